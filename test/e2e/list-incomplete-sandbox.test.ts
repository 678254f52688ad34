// Issue 15 item 6, second half: a `tenant create` stopped before its probe user exists (killed,
// Ctrl-C) left a role and a mapping, and plain `tenant list` showed it `ok`, though nobody can
// sign in as its probe (`--wait data`, `tenant verify` fail). Plain `tenant list` reads the
// stack's probe users with one ListUsers and shows such a tenant as drift `probe`, with the
// command that finishes it; re-running the create makes it ok. The real CLI on the sandbox.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsApis } from '../../src/aws/apis.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let sb: TestSandbox;
const cli = (args: string[]): Promise<CliResult> => runCli(['--sandbox', sb.stateDir, ...args], { timeoutMs: 60_000 });

beforeAll(async () => {
  sb = await startTestSandbox({ stack: 'inc', mapping: 'rules' });
  expect((await cli(['init'])).code).toBe(0);
  for (const t of ['half', 'whole', 'unmarked']) {
    const r = await cli(['tenant', 'create', t, '--wait', 'none']);
    expect(r.code, r.stderr).toBe(0);
  }
  const apis = awsApis(sb.clients);
  // The create of `half` stopped before AdminCreateUser; `unmarked` stopped before its tenant claim.
  await apis.cognitoIdp.adminDeleteUser(sb.config.userPoolId, 'isoctl-probe-half');
  await apis.cognitoIdp.adminDeleteUser(sb.config.userPoolId, 'isoctl-probe-unmarked');
  await apis.cognitoIdp.adminCreateUser(sb.config.userPoolId, 'isoctl-probe-unmarked', {});
}, 120_000);

afterAll(async () => {
  await sb?.stop();
});

describe('plain tenant list after a create stopped before its probe user', () => {
  it('shows the tenant as drift probe (JSON and table), not ok, with one ListUsers call', async () => {
    const mark = sb.mark();
    const listed = await cli(['tenant', 'list', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const doc = listed.json();
    expect(doc.tenants.map((t: { tenant: string; status: string; drift: string[] }) => [t.tenant, t.status, t.drift])).toEqual([
      ['half', 'drift', ['probe']],
      ['unmarked', 'drift', ['probe']],
      ['whole', 'ok', []],
    ]);
    expect(doc.checked).toContain('probe');
    expect(doc.counts).toMatchObject({ ok: 1, drift: 2 });
    expect(sb.since(mark).filter((l) => l.operation === 'ListUsers')).toHaveLength(1);

    const human = await cli(['tenant', 'list']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/half\s+drift\s+active\s+probe/);
    expect(human.stdout).toMatch(/not complete \(no probe user to sign in as\): half, unmarked; run `isoctl tenant create <tenant>` again to finish/);
  });

  it('the same create finishes them: ok', async () => {
    for (const t of ['half', 'unmarked']) {
      const r = await cli(['tenant', 'create', t, '--wait', 'none']);
      expect(r.code, r.stderr).toBe(0);
    }
    const listed = await cli(['tenant', 'list', '--json']);
    expect(listed.json().tenants.map((t: { tenant: string; status: string }) => `${t.tenant}:${t.status}`)).toEqual(['half:ok', 'unmarked:ok', 'whole:ok']);
    expect((await cli(['tenant', 'list'])).stdout).not.toMatch(/not complete/);
  });
});

describe('a stale probe user (its role and mapping gone)', () => {
  it('is listed (propagating while young, like dangling); gc --json (dry run and --apply) has no null detail', async () => {
    await awsApis(sb.clients).cognitoIdp.adminCreateUser(sb.config.userPoolId, 'isoctl-probe-ghost', {});
    const listed = await cli(['tenant', 'list', '--json']);
    expect(listed.json().tenants).toContainEqual(expect.objectContaining({ tenant: 'ghost', status: 'propagating', role: null, mapping: null }));
    for (const args of [
      ['gc', '--json', '--min-age', '0s'],
      ['gc', '--apply', '--yes', '--json', '--min-age', '0s'],
    ]) {
      const r = await cli(args);
      expect(r.code, r.stderr).toBe(0);
      const items = r.json().items as Array<Record<string, unknown>>;
      expect(items.map((i) => `${i.kind} ${i.tenant}`)).toContain('probe-user ghost');
      for (const i of items) expect(i.detail === undefined || typeof i.detail === 'string', JSON.stringify(i)).toBe(true);
      // (scanned.groups/rules: null in the mode without them is the README's documented shape)
      expect(r.stdout).not.toMatch(/"detail":\s*null/);
    }
  });
});
