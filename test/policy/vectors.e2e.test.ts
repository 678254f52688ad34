// The #11 vectors as a user meets them in `isoctl policy check` / `config validate` (the built
// CLI as a subprocess): a sound config (the README's own example) passes; an index keyed on
// another attribute is refused with exit 4; templates two tenants can both produce, exit 2.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

let dir: string;
const file = (name: string, config: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof config === 'string' ? config : JSON.stringify(config));
  return path;
};

/** The README's example config, exactly as printed there. */
function readmeExample(): string {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const block = /```json\n(\{\n\s+"stack"[\s\S]*?\n\})\n```/.exec(readme);
  if (!block?.[1]) throw new Error('README has no example config');
  return block[1];
}

const base = {
  stack: 'prod',
  region: 'eu-central-1',
  accountId: '123456789012',
  userPoolId: 'eu-central-1_AbC123',
  userPoolClientId: 'client123',
  identityPoolId: 'eu-central-1:11111111-2222-3333-4444-555555555555',
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'isoctl-vectors-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('policy check on the #11 vectors', () => {
  it('the README example passes `policy check --all` unchanged (exit 0, no errors)', async () => {
    const r = await runCli(['--config', file('readme.json', readmeExample()), 'policy', 'check', '--all', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json();
    expect(doc.errors).toBe(0);
    expect(doc.proof.failures).toBe(0);
  });

  it('vector 1: an index declared on another partition key is refused with exit 4, naming the index, its key and the fix', async () => {
    const cfg = { ...base, tables: [{ name: 'Orders', partitionKey: 'tenantId', sortKey: 'sk', indexes: [{ name: 'byStatus', partitionKey: 'status' }] }] };
    const r = await runCli(['--config', file('status-index.json', cfg), 'policy', 'check', '--all', '--json']);
    expect(r.code).toBe(4);
    const finding = r.json().error.findings.find((f: { rule: string }) => f.rule === 'index-not-tenant-keyed');
    expect(finding.location).toBe('config > index byStatus of Orders');
    expect(finding.why).toContain('partitioned on "status"');
    expect(finding.fix).toContain('re-key the index on "tenantId"');
  });

  it('vector 3: silo Vault beside silo Vault-archive is a config error (exit 2) naming both and a colliding pair of ids', async () => {
    const cfg = {
      ...base,
      tables: [
        { name: 'Vault', partitionKey: 'pk', model: 'silo' },
        { name: 'Vault-archive', partitionKey: 'pk', model: 'silo' },
      ],
    };
    const r = await runCli(['--config', file('vault.json', cfg), 'policy', 'check', '--all', '--json']);
    expect(r.code).toBe(2);
    expect(r.json().error.code).toBe('config_invalid');
    expect(r.stderr).toMatch(/tables\[1\]\.name: table "Vault" \(silo\) and table "Vault-archive" \(silo\) can name the same table "Vault-archive-[a-z0-9-]+"/);
  });

  it('vector 3: bucket prefixes {tenant}/ and t/{tenant}/ of one bucket are a config error (exit 2)', async () => {
    const cfg = {
      ...base,
      tables: [{ name: 'Orders', partitionKey: 'tenantId' }],
      buckets: [
        { name: 'files', prefix: '{tenant}/' },
        { name: 'files', prefix: 't/{tenant}/' },
      ],
    };
    const r = await runCli(['--config', file('prefixes.json', cfg), 'config', 'validate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"t/" (tenant "t" of bucket "files" prefix "{tenant}/") is a prefix of "t/');
  });
});
