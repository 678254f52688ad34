import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { UsageError } from '../../src/errors.js';

const valid = {
  stack: 'prod',
  region: 'eu-central-1',
  accountId: '123456789012',
  userPoolId: 'eu-central-1_AbC123',
  userPoolClientId: 'abc123clientid',
  identityPoolId: 'eu-central-1:1234abcd-0000-1111-2222-333344445555',
  tables: [{ name: 'Orders', partitionKey: 'tenantId' }],
};

function errorOf(raw: unknown): UsageError {
  try {
    parseConfigText(typeof raw === 'string' ? raw : JSON.stringify(raw), 'isoctl.json');
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error('expected the config to be rejected');
}

describe('config schema', () => {
  it('fills defaults', () => {
    const cfg = parseConfigText(JSON.stringify(valid), 'x');
    expect(cfg.mapping).toBe('token');
    expect(cfg.granularity).toBe('tenant');
    expect(cfg.tables[0]!.model).toBe('pooled');
    expect(Object.keys(cfg.scopes)).toEqual(['read', 'write']);
    expect(cfg.trustPolicyMaxChars).toBe(2048);
  });

  it('applies --stack and --region overrides over the file', () => {
    const cfg = parseConfigText(JSON.stringify(valid), 'x', { stack: 'staging', region: 'us-east-1' });
    expect(cfg.stack).toBe('staging');
    expect(cfg.region).toBe('us-east-1');
  });

  it('names path, expectation and what was found for a wrong type', () => {
    const e = errorOf({ ...valid, tables: [{ name: 'Orders', partitionKey: 42 }] });
    expect(e.message).toContain('tables[0].partitionKey: expected string, found number 42');
  });

  it('names a missing field', () => {
    const { accountId: _omit, ...rest } = valid;
    expect(errorOf(rest).message).toContain('accountId: required field is missing');
  });

  it('lists the allowed values for an unknown mapping', () => {
    expect(errorOf({ ...valid, mapping: 'magic' }).message).toContain('mapping: expected one of "token", "rules", "abac", found "magic"');
  });

  it('rejects unknown keys, naming them', () => {
    expect(errorOf({ ...valid, tabels: [] }).message).toContain('unknown field "tabels"');
  });

  it('rejects bad formats with the expected shape', () => {
    expect(errorOf({ ...valid, accountId: '12345' }).message).toContain('accountId: expected a 12-digit AWS account id, found "12345"');
    expect(errorOf({ ...valid, region: 'Europe' }).message).toMatch(/region: expected an AWS region/);
  });

  it('rejects invalid JSON and non-object documents', () => {
    expect(errorOf('{"stack": ').message).toMatch(/is not valid JSON/);
    expect(errorOf('[1,2]').message).toContain('expected a JSON object at the top level, found an array of 2');
  });

  it('requires key attributes in an attribute restriction', () => {
    const e = errorOf({ ...valid, tables: [{ name: 'Orders', partitionKey: 'tenantId', attributes: ['total'] }] });
    expect(e.message).toContain('tables[0].attributes: must include the partition key "tenantId"');
  });

  it('rejects wildcard actions in scopes', () => {
    expect(errorOf({ ...valid, scopes: { read: ['dynamodb:*'] } }).message).toContain('scopes.read[0]');
  });

  it('carries every issue as JSON details', () => {
    const e = errorOf({ ...valid, stack: 'Prod', mapping: 'x' });
    const issues = (e.details as { issues: Array<{ path: string }> }).issues.map((i) => i.path);
    expect(issues).toEqual(expect.arrayContaining(['stack', 'mapping']));
  });
});

describe('the README example config', () => {
  it('validates as documented', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const text = readFileSync(join(import.meta.dirname, '..', '..', 'examples', 'isoctl.json'), 'utf8');
    const cfg = parseConfigText(text, 'examples/isoctl.json');
    expect(cfg.tables.map((t) => t.model)).toEqual(['pooled', 'pooled', 'silo']);
    expect(cfg.buckets[0]!.prefix).toBe('{tenant}/');
  });
});
