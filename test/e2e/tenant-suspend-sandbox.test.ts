// `tenant suspend` / `tenant resume` through the built CLI on the sandbox with lag (token
// mapping): a user of tenant acme signs in through the identity pool and reads its own rows;
// suspend denies its existing credentials AND fresh credentials from its still-valid ID token;
// resume lets both in again; re-runs make zero mutating calls; another tenant is untouched; bad
// input is exit 2, an unknown tenant exit 3.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsApis, type AwsApis } from '../../src/aws/apis.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox, type RequestLogLine } from '../helpers/sandbox.js';
import { eventually, freshCredentials, readPartition, signIn, type TenantUserCredentials } from '../helpers/tenant-user.js';

const LAG = { iam: 300, cognito: 500, dynamodb: 800 };
let sb: TestSandbox;
let apis: AwsApis;
let acme: TenantUserCredentials;

function cli(args: string[], timeoutMs = 90_000): Promise<CliResult> {
  return runCli(['--sandbox', sb.stateDir, ...args], { timeoutMs });
}
const mutating = (lines: RequestLogLine[]) => lines.filter((l) => l.mutating).map((l) => `${l.service} ${l.operation}`);
const readOwn = (creds: TenantUserCredentials['credentials'], tenant: string) => readPartition(sb, creds, tenant);

beforeAll(async () => {
  sb = await startTestSandbox({ stack: 'sus', mapping: 'token', lag: LAG });
  apis = awsApis(sb.clients);
  expect((await cli(['init'])).code).toBe(0);
  for (const t of ['acme', 'globex']) {
    const r = await cli(['tenant', 'create', t, '--wait', 'data', '--json']);
    expect(r.code, r.stderr).toBe(0);
  }
  acme = await signIn(sb, 'acme');
}, 180_000);

afterAll(async () => {
  await sb?.stop();
});

describe('tenant suspend / resume (sandbox, token mapping, lag)', () => {
  it('suspend denies existing and fresh credentials of the tenant; others keep working; a re-run changes nothing', async () => {
    await eventually(() => readOwn(acme.credentials, 'acme'), 'allowed');
    const r = await cli(['tenant', 'suspend', 'acme', '--wait', 'data', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json();
    expect(doc).toMatchObject({ tenant: 'acme', action: 'suspend', status: 'changed', suspended: true, changes: { iam: true, registry: 'updated' } });
    expect(doc.wait.checks.map((c: { name: string; state: string }) => [c.name, c.state])).toEqual([
      ['iam:suspend-policy', 'ok'],
      ['dynamodb:probe-denied', 'ok'],
    ]);
    // The probe saw the deny, so DynamoDB serves it: the user's credentials from before, and new
    // ones bought with the same (unexpired) ID token, are both denied.
    expect(await readOwn(acme.credentials, 'acme')).toBe('denied');
    expect(await readOwn(await freshCredentials(sb, acme), 'acme')).toBe('denied');
    const globex = await signIn(sb, 'globex');
    await eventually(() => readOwn(globex.credentials, 'globex'), 'allowed');

    const mark = sb.mark();
    const again = await cli(['tenant', 'suspend', 'acme', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json()).toMatchObject({ status: 'unchanged', changes: { iam: false, registry: 'unchanged' } });
    expect(mutating(sb.since(mark))).toEqual([]);
  }, 120_000);

  it('a suspended tenant shows as suspended; create (repair) keeps the suspension deny', async () => {
    const list = await cli(['tenant', 'list', '--deep', '--json']);
    expect(list.code, list.stderr).toBe(0);
    const row = list.json().tenants.find((t: { tenant: string }) => t.tenant === 'acme');
    expect(row).toMatchObject({ lifecycle: 'suspended', status: 'ok', drift: [] });
    const create = await cli(['tenant', 'create', 'acme', '--wait', 'none', '--json']);
    expect(create.code, create.stderr).toBe(0);
    expect(create.json()).toMatchObject({ status: 'unchanged', registry: 'unchanged' });
    expect(await apis.iam.listRolePolicies('isoctl-sus-acme')).toEqual(['isoctl-data', 'isoctl-suspended']);
  }, 60_000);

  it('resume lets the same credentials and new ones in again; a re-run changes nothing', async () => {
    const r = await cli(['tenant', 'resume', 'acme', '--wait', 'data', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ action: 'resume', status: 'changed', suspended: false, changes: { iam: true, registry: 'updated' } });
    expect(r.json().wait.checks.map((c: { name: string; state: string }) => [c.name, c.state])).toEqual([
      ['iam:suspend-policy-gone', 'ok'],
      ['dynamodb:probe', 'ok'],
    ]);
    expect(await readOwn(acme.credentials, 'acme')).toBe('allowed');
    expect(await readOwn(await freshCredentials(sb, acme), 'acme')).toBe('allowed');
    const mark = sb.mark();
    const again = await cli(['tenant', 'resume', 'acme', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json().status).toBe('unchanged');
    expect(mutating(sb.since(mark))).toEqual([]);
  }, 120_000);

  it('an unknown tenant is exit 3, a bad id or flag exit 2, and nothing changes', async () => {
    const mark = sb.mark();
    const missing = await cli(['tenant', 'suspend', 'nosuch', '--json']);
    expect(missing.code, missing.stderr).toBe(3);
    expect(missing.json().error.code).toBe('tenant_not_found');
    const bad = await cli(['tenant', 'suspend', 'Bad_Id', '--json']);
    expect(bad.code, bad.stderr).toBe(2);
    const flag = await cli(['tenant', 'resume', 'acme', '--wait', 'cognito']);
    expect(flag.code, flag.stderr).toBe(2);
    expect(mutating(sb.since(mark))).toEqual([]);
  }, 60_000);

  it('delete of a suspended tenant removes the suspension policy with the role and the registry row; its user stays shut out', async () => {
    const globex = await signIn(sb, 'globex');
    expect((await cli(['tenant', 'suspend', 'globex', '--wait', 'none'])).code).toBe(0);
    const del = await cli(['tenant', 'delete', 'globex', '--yes', '--json']);
    expect(del.code, del.stderr).toBe(0);
    expect(
      del
        .json()
        .items.filter((i: { action: string }) => i.action === 'delete-inline-policy')
        .map((i: { target: string }) => i.target)
        .sort(),
    ).toEqual(['isoctl-sus-globex/isoctl-data', 'isoctl-sus-globex/isoctl-suspended']);
    expect(del.json().registry).toBe('removed');
    const gone = await cli(['tenant', 'suspend', 'globex']);
    expect(gone.code).toBe(3);
    // The suspension went with the role, and the user is still out: its credentials from before
    // read nothing, and its still-valid ID token (group globex, gone) buys no fresh ones.
    expect(await readOwn(globex.credentials, 'globex')).toBe('denied');
    const fresh = await freshCredentials(sb, globex).then(
      () => 'issued',
      (e: Error) => e.name,
    );
    expect(fresh).not.toBe('issued');
  }, 90_000);
});
