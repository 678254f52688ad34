// `tenant revoke-sessions` through the built CLI on the sandbox with lag (token mapping): a user
// of tenant acme signs in through the identity pool and reads its rows; revoke-sessions denies
// its credentials from before, refuses its refresh token ("Refresh Token has been revoked") and
// its access token; a new sign-in reads again; tenant globex is unaffected. The inline-policy
// ceiling is exit 4 with the number and nothing changed, revocations older than 12 h are dropped;
// an unknown or deleted tenant is exit 3.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsApis, type AwsApis } from '../../src/aws/apis.js';
import { buildRevokePolicy, policySize, serializePolicy } from '../../src/policy/index.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox, type RequestLogLine } from '../helpers/sandbox.js';
import { eventually, readPartition, refresh, signIn, useAccessToken, type TenantUserCredentials } from '../helpers/tenant-user.js';

const LAG = { iam: 300, cognito: 500, dynamodb: 800 };
let sb: TestSandbox;
let apis: AwsApis;

function cli(args: string[], timeoutMs = 90_000): Promise<CliResult> {
  return runCli(['--sandbox', sb.stateDir, ...args], { timeoutMs });
}
const mutating = (lines: RequestLogLine[]) => lines.filter((l) => l.mutating).map((l) => `${l.service} ${l.operation}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const readOwn = (creds: TenantUserCredentials['credentials'], tenant: string) => readPartition(sb, creds, tenant);

beforeAll(async () => {
  sb = await startTestSandbox({ stack: 'rvk', mapping: 'token', lag: LAG });
  apis = awsApis(sb.clients);
  expect((await cli(['init'])).code).toBe(0);
  for (const t of ['acme', 'globex']) {
    const r = await cli(['tenant', 'create', t, '--wait', 'data', '--json']);
    expect(r.code, r.stderr).toBe(0);
  }
}, 180_000);

afterAll(async () => {
  await sb?.stop();
});

describe('tenant revoke-sessions (sandbox, token mapping, lag)', () => {
  it('denies credentials issued before, revokes refresh and access tokens; new sign-ins work; another tenant is unaffected', async () => {
    const acme = await signIn(sb, 'acme');
    const globex = await signIn(sb, 'globex');
    await eventually(() => readOwn(acme.credentials, 'acme'), 'allowed');
    await eventually(() => readOwn(globex.credentials, 'globex'), 'allowed');
    expect(await refresh(sb, acme)).toBe('ok');

    const r = await cli(['tenant', 'revoke-sessions', 'acme', '--wait', 'data', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json();
    expect(doc).toMatchObject({ tenant: 'acme', action: 'revoke-sessions', inlinePolicyChars: { limit: 10240 } });
    expect(doc.revocations).toEqual([doc.issuedBefore]);
    expect(doc.signedOut).toEqual(expect.arrayContaining([acme.username]));
    expect(doc.signedOut).not.toContain(globex.username);
    expect(doc.wait.checks.map((c: { name: string; state: string }) => [c.name, c.state])).toEqual([
      ['iam:revoke-policy', 'ok'],
      ['dynamodb:old-credentials-denied', 'ok'],
      ['dynamodb:new-sign-in', 'ok'],
    ]);

    // Credentials from before: denied. Refresh token and access token: revoked, as AWS says.
    await eventually(() => readOwn(acme.credentials, 'acme'), 'denied');
    expect(await refresh(sb, acme)).toBe('NotAuthorizedException: Refresh Token has been revoked');
    expect(await useAccessToken(sb, acme)).toBe('NotAuthorizedException: Access Token has been revoked');

    // A new sign-in (after the revocation moment: TokenIssueTime has whole seconds) reads again.
    await sleep(Math.max(0, Date.parse(doc.issuedBefore) - Date.now()) + 100);
    const again = await signIn(sb, 'acme');
    expect(await readOwn(again.credentials, 'acme')).toBe('allowed');
    expect(await refresh(sb, again)).toBe('ok');
    expect(await useAccessToken(sb, again)).toBe('ok');

    // globex: untouched.
    expect(await readOwn(globex.credentials, 'globex')).toBe('allowed');
    expect(await refresh(sb, globex)).toBe('ok');
    expect(await apis.iam.listRolePolicies('isoctl-rvk-globex')).toEqual(['isoctl-data']);
  }, 120_000);

  it("over IAM's 10,240 inline characters: exit 4 with the number, nothing changed; revocations older than 12 h are dropped", async () => {
    const role = 'isoctl-rvk-acme';
    const data = policySize(serializePolicy((await apis.iam.getRolePolicy(role, 'isoctl-data')) as never));
    // Revocations of the last hours (still live: credentials live up to 12 h), one a second.
    const base = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
    const times = (n: number, from = base) => Array.from({ length: n }, (_, i) => new Date(from + i * 1000).toISOString().replace('.000Z', 'Z'));
    let n = 1;
    while (data + policySize(buildRevokePolicy(times(n + 1))) <= 10_240) n++;
    await apis.iam.putRolePolicy(role, 'isoctl-revoked', serializePolicy(buildRevokePolicy(times(n))));
    const mark = sb.mark();
    const r = await cli(['tenant', 'revoke-sessions', 'acme', '--json']);
    expect(r.code, r.stderr).toBe(4);
    const err = r.json().error;
    expect(err.code).toBe('inline_policy_size');
    expect(err.message).toMatch(/would be \d+ characters, over IAM's 10240/);
    expect(mutating(sb.since(mark))).toEqual([]);

    // The same number of revocations older than 12 h can match no live credentials: dropped, and the revoke goes through.
    const old = times(n, base - 13 * 3_600_000);
    await apis.iam.putRolePolicy(role, 'isoctl-revoked', serializePolicy(buildRevokePolicy(old)));
    const ok = await cli(['tenant', 'revoke-sessions', 'acme', '--wait', 'none', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.json().pruned).toEqual(old);
    expect(ok.json().revocations).toEqual([ok.json().issuedBefore]);
  }, 60_000);

  it('an unknown or deleted tenant is exit 3, a bad id exit 2, and nothing changes', async () => {
    expect((await cli(['tenant', 'delete', 'globex', '--yes'])).code).toBe(0);
    const mark = sb.mark();
    for (const t of ['nosuch', 'globex']) {
      const r = await cli(['tenant', 'revoke-sessions', t, '--json']);
      expect(r.code, r.stderr).toBe(3);
      expect(r.json().error.code).toBe('tenant_not_found');
    }
    expect((await cli(['tenant', 'revoke-sessions', 'Bad_Id'])).code).toBe(2);
    expect((await cli(['tenant', 'revoke-sessions', 'acme', '--wait', 'cognito'])).code).toBe(2);
    expect(mutating(sb.since(mark))).toEqual([]);
  }, 90_000);
});
