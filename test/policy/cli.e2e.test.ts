// `isoctl policy render` and `isoctl policy check` through the built CLI (node bin/isoctl.js),
// with a temporary isoctl.json: what a user sees on stdout/stderr and the exit code.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { buildDataPolicy, serializePolicy } from '../../src/policy/index.js';
import { richConfig } from './helpers.js';

let dir: string;
let good: string;
let bad: string;

const base = {
  stack: 'prod',
  region: 'eu-central-1',
  accountId: '123456789012',
  userPoolId: 'eu-central-1_AbC123',
  userPoolClientId: 'client123',
  identityPoolId: 'eu-central-1:11111111-2222-3333-4444-555555555555',
  tables: [
    {
      name: 'Orders',
      partitionKey: 'tenantId',
      sortKey: 'sk',
      indexes: [
        { name: 'byDate', partitionKey: 'tenantId' },
        { name: 'byStatus', partitionKey: 'tenantId' },
      ],
    },
    { name: 'Agents', partitionKey: 'userId', sortKey: 'fieldName', attributes: ['userId', 'fieldName', 'isOnAssignment'] },
    { name: 'ledger', partitionKey: 'pk', model: 'silo' },
  ],
  buckets: [{ name: 'isoctl-files' }, { name: 'isoctl-exports', prefix: 'exports/{tenant}/' }],
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'isoctl-policy-e2e-'));
  good = join(dir, 'isoctl.json');
  writeFileSync(good, JSON.stringify(base));
  bad = join(dir, 'bad.json');
  // A misspelt action, and a scope with only Scan (cannot be confined on pooled tables).
  writeFileSync(bad, JSON.stringify({ ...base, scopes: { read: ['dynamodb:GetItems', 'dynamodb:Query'], audit: ['dynamodb:Scan'] } }));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('isoctl policy render', () => {
  it('--kind data --json prints exactly the wire document', async () => {
    const r = await runCli(['--config', good, 'policy', 'render', 'acme', '--kind', 'data', '--json']);
    expect(r.code, r.stderr).toBe(0);
    // Same config as richConfig(): the CLI prints what the library builds, in the same key order.
    expect(JSON.stringify(r.json())).toBe(serializePolicy(buildDataPolicy(richConfig(), 'acme')));
  });

  it('without --kind prints every document with its size (human) or one JSON document', async () => {
    const human = await runCli(['--config', good, 'policy', 'render', 'acme']);
    expect(human.code).toBe(0);
    for (const title of [
      '# trust policy of isoctl-prod-acme',
      '# inline data-access policy isoctl-data of isoctl-prod-acme',
      '# permissions boundary arn:aws:iam::123456789012:policy/isoctl/prod/isoctl-prod-boundary',
      '# operator policy',
    ])
      expect(human.stdout).toContain(title);
    expect(human.stdout).toMatch(/\(\d[\d,]* of 10,240 characters\)/);
    const json = await runCli(['--config', good, 'policy', 'render', 'acme', '--json']);
    const doc = json.json();
    expect(Object.keys(doc.documents)).toEqual(['trust', 'data', 'boundary', 'operator', 'admin']);
    expect(doc.role).toMatchObject({ name: 'isoctl-prod-acme', path: '/isoctl/prod/', inlinePolicyName: 'isoctl-data' });
    expect(doc.limits).toEqual([]);
  });

  it('--scope read renders a data policy without writes', async () => {
    const r = await runCli(['--config', good, 'policy', 'render', 'acme', '--kind', 'data', '--scope', 'read', '--json']);
    expect(r.code).toBe(0);
    const text = r.stdout;
    expect(text).toContain('dynamodb:Query');
    expect(text).not.toContain('dynamodb:PutItem');
    expect(text).not.toContain('s3:PutObject');
  });

  it('refuses an invalid tenant id, an unknown scope or kind with exit 2', async () => {
    const id = await runCli(['--config', good, 'policy', 'render', 'Acme*', '--json']);
    expect(id.code).toBe(2);
    expect(id.json().error.code).toBe('invalid_tenant_id');
    const scope = await runCli(['--config', good, 'policy', 'render', 'acme', '--scope', 'admin']);
    expect(scope.code).toBe(2);
    expect(scope.stderr).toContain('unknown scope "admin"');
    const kind = await runCli(['--config', good, 'policy', 'render', 'acme', '--kind', 'nope']);
    expect(kind.code).toBe(2);
  });

  it('a missing config is exit 2', async () => {
    const r = await runCli(['--config', join(dir, 'missing.json'), 'policy', 'render', 'acme']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not found');
  });
});

describe('isoctl policy check', () => {
  it('exit 0 for a clean config, with the proof and the catalog in the JSON result', async () => {
    const r = await runCli(['--config', good, 'policy', 'check', 'acme', 'acme-corp', 'globex', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json();
    expect(doc).toMatchObject({ ok: true, stack: 'prod', tenants: ['acme', 'acme-corp', 'globex'], errors: 0 });
    // Writes on the attribute-restricted Agents table: the one warning no policy can remove (#11 vector 6).
    expect(doc.findings.map((f: { rule: string }) => f.rule)).toEqual(['write-returns-hidden-attributes']);
    expect(doc.catalog).toMatch(/^@cloud-copilot\/iam-data /);
    expect(doc.proof).toMatchObject({ ok: true, tenants: 3, failures: 0 });
    expect(doc.proof.probes).toBeGreaterThan(300);
  });

  it('--all checks the sample ids standing for every tenant id', async () => {
    const r = await runCli(['--config', good, 'policy', 'check', '--all']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/✓ stack prod, tenants a, a0, a-b, ab, 0 and \d+ more: lint: 0 error\(s\), 1 warning\(s\)/);
  });

  it('exit 4 with findings (rule, location, why, fix) in the JSON error document', async () => {
    const r = await runCli(['--config', bad, 'policy', 'check', 'acme', '--json']);
    expect(r.code).toBe(4);
    const doc = r.json();
    expect(doc.error.code).toBe('policy_check_failed');
    const rules = doc.error.findings.map((f: { rule: string }) => f.rule);
    expect(rules).toContain('unknown-action');
    expect(rules).toContain('action-not-partitionable');
    for (const f of doc.error.findings) expect(Object.keys(f).sort()).toEqual(['fix', 'location', 'rule', 'severity', 'why']);
    const unknown = doc.error.findings.find((f: { rule: string }) => f.rule === 'unknown-action');
    expect(unknown.location).toContain('dynamodb:GetItems');
  });

  it('exit 4 in human mode: findings on stdout, the error on stderr', async () => {
    const r = await runCli(['--config', bad, 'policy', 'check', 'acme']);
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/error unknown-action {2}tenant acme > role isoctl-prod-acme > inline policy isoctl-data > /);
    expect(r.stdout).toContain('  why: ');
    expect(r.stdout).toContain('  fix: ');
    expect(r.stderr).toMatch(/error: policy check found \d+ error\(s\)/);
  });

  it('needs a tenant or --all (exit 2); a bad id is exit 2', async () => {
    expect((await runCli(['--config', good, 'policy', 'check'])).code).toBe(2);
    expect((await runCli(['--config', good, 'policy', 'check', 'acme', 'UPPER'])).code).toBe(2);
  });
});
