// `isoctl policy check` on an ABAC stack (the built CLI as a subprocess): the proof evaluates
// representative ids and says how many of how many, and why (docs/security.md row 10g), in the
// human output and in the JSON; role mode evaluates every id as before.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

let dir: string;
let abac: string;
let role: string;

const base = {
  stack: 'prod',
  region: 'eu-central-1',
  accountId: '123456789012',
  userPoolId: 'eu-central-1_AbC123',
  userPoolClientId: 'client123',
  identityPoolId: 'eu-central-1:11111111-2222-3333-4444-555555555555',
  tables: [
    { name: 'Orders', partitionKey: 'tenantId', sortKey: 'sk' },
    { name: 'ledger', partitionKey: 'pk', model: 'silo' },
  ],
  buckets: [{ name: 'isoctl-files' }],
};

// 40 ids: acme / acme-corp and 38 four-letter ids alike in shape and length.
const bulk = Array.from({ length: 38 }, (_, i) => `b${'dfghjkmv'[i % 8]}${'dfghjkmv'[Math.floor(i / 8) % 8]}z`);
const ids = ['acme', ...bulk.slice(0, 19), 'acme-corp', ...bulk.slice(19)];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'isoctl-proof-cli-'));
  abac = join(dir, 'abac.json');
  role = join(dir, 'role.json');
  writeFileSync(abac, JSON.stringify({ ...base, mapping: 'abac' }));
  writeFileSync(role, JSON.stringify(base));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('policy check: the proof over representative ids', () => {
  it('ABAC, JSON: tenants = all ids, sampled = the ids evaluated, each with the rules that picked it', async () => {
    expect(new Set(ids).size).toBe(40);
    const r = await runCli(['--config', abac, 'policy', 'check', ...ids, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const proof = r.json().proof;
    expect(proof).toMatchObject({ ok: true, tenants: 40, failures: 0, sampling: { mode: 'representative' } });
    expect(proof.sampled).toBeLessThan(40);
    expect(proof.sampling.why).toContain('ABAC proof by representative ids');
    const acme = proof.sampling.picks.find((p: { id: string }) => p.id === 'acme');
    expect(acme.rules).toEqual(expect.arrayContaining(['first', 'prefix of acme-corp']));
    expect(proof.sampling.picks).toHaveLength(proof.sampled);
  });

  it('ABAC, human: says N representative ids of M and why', async () => {
    const r = await runCli(['--config', abac, 'policy', 'check', ...ids]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/the proof evaluated \d+ representative id\(s\) of 40: ABAC: the scope roles name no tenant/);
  });

  it('role mode: every id evaluated, no sampling line', async () => {
    const r = await runCli(['--config', role, 'policy', 'check', ...ids.slice(0, 6), '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().proof).toMatchObject({ tenants: 6, sampled: 6, sampling: { mode: 'full' } });
    const human = await runCli(['--config', role, 'policy', 'check', ...ids.slice(0, 6)]);
    expect(human.stdout).not.toContain('representative');
  });
});
