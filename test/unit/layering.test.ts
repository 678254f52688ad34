// The lint layer must be able to fail: each layering rule rejects a file that breaks it, naming the rule.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';

const eslint = new ESLint({ cwd: repoRoot });

async function problems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('layering rules (eslint.config.js)', () => {
  it('only src/aws imports the AWS SDK', async () => {
    const code = "import { IAMClient } from '@aws-sdk/client-iam';\nexport const c = IAMClient;\n";
    expect(await problems('src/tenant/example.ts', code)).toEqual([expect.stringMatching(/^no-restricted-imports: .*only src\/aws talks to the AWS SDK/)]);
    expect(await problems('src/commands/example.ts', code)).toHaveLength(1);
    expect(await problems('src/aws/example.ts', code)).toEqual([]);
  });

  it('src/policy imports neither the SDK, the CLI layer nor I/O', async () => {
    const code = [
      "import { STSClient } from '@aws-sdk/client-sts';",
      "import type { Output } from '../io/output.js';",
      "import { runInit } from '../commands/init.js';",
      "import { readFileSync } from 'node:fs';",
      "import { UsageError } from '../errors.js';",
      "import { awsApis } from '../aws/apis.js';",
      'export type O = Output;',
      'export const all = [STSClient, runInit, readFileSync, UsageError, awsApis];',
      '',
    ].join('\n');
    const found = await problems('src/policy/example.ts', code);
    expect(found).toHaveLength(6);
    for (const p of found) expect(p).toMatch(/^no-restricted-imports: .*layering: /);
    expect(await problems('src/policy/example.ts', "import { PolicyError } from './errors.js';\nexport const e = PolicyError;\n")).toEqual([]);
  });

  it('lines are at most 160 characters (Prettier printWidth), except strings, templates, regexes and URLs', async () => {
    const long = `export const sum = ${Array.from({ length: 40 }, (_, i) => `v${i}`).join(' + ')};`;
    const vars = Array.from({ length: 40 }, (_, i) => `const v${i} = ${i};`).join('\n');
    expect(long.length).toBeGreaterThan(160);
    expect(await problems('src/tenant/example.ts', `${vars}\n${long}\n`)).toEqual([
      expect.stringMatching(/^@stylistic\/max-len: This line has a length of \d+\. Maximum allowed is 160/),
    ]);
    const str = `export const s = '${'x'.repeat(170)}';\n// see https://docs.aws.amazon.com/${'y'.repeat(170)}\nexport const r = /${'z'.repeat(170)}/;\n`;
    expect(await problems('test/example.test.ts', str)).toEqual([]);
    const prettier = JSON.parse(readFileSync(join(repoRoot, '.prettierrc.json'), 'utf8')) as { printWidth: number };
    expect(prettier.printWidth).toBe(160);
  });
});
