// `isoctl config schema`: generated from the zod schema; the committed schema/isoctl.schema.json
// must be the same document (regenerate: node bin/isoctl.js config schema > schema/isoctl.schema.json),
// and the example config names it in "$schema" and still validates.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configJsonSchema } from '../../src/config/json-schema.js';
import { parseConfigText } from '../../src/config/load.js';
import { repoRoot, runCli } from '../helpers/cli.js';

const committed = () => JSON.parse(readFileSync(join(repoRoot, 'schema', 'isoctl.schema.json'), 'utf8'));

describe('config JSON Schema', () => {
  it('the committed schema/isoctl.schema.json is in sync with the zod schema', () => {
    expect(committed()).toEqual(configJsonSchema());
  });

  it('describes the fields, their patterns and defaults, and refuses unknown keys', () => {
    type Field = { pattern?: string; default?: unknown; enum?: string[] };
    const s = configJsonSchema() as { properties: Record<string, Field>; required: string[]; additionalProperties: boolean };
    expect(s.additionalProperties).toBe(false);
    expect(s.required).toEqual(expect.arrayContaining(['stack', 'region', 'accountId', 'userPoolId', 'userPoolClientId', 'identityPoolId', 'tables']));
    expect(s.properties.mapping).toMatchObject({ default: 'token', enum: ['token', 'rules', 'abac'] });
    expect(s.properties.accountId?.pattern).toBe('^\\d{12}$');
    expect(Object.keys(s.properties)).toContain('$schema');
  });

  it('isoctl config schema prints it; the example config names it and validates', async () => {
    const r = await runCli(['config', 'schema']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(committed());
    const text = readFileSync(join(repoRoot, 'examples', 'isoctl.json'), 'utf8');
    expect(JSON.parse(text).$schema).toBe('../schema/isoctl.schema.json');
    expect(parseConfigText(text, 'examples/isoctl.json').stack).toBe('prod');
  });
});
