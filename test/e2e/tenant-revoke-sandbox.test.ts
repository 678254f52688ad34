// `tenant revoke-sessions` through the built CLI on the sandbox with lag (token mapping): a user
// of tenant acme signs in through the identity pool and reads its rows; revoke-sessions denies
// its credentials from before, refuses its refresh token ("Refresh Token has been revoked") and
// its access token; a new sign-in reads again; tenant globex is unaffected. The inline-policy
// ceiling is exit 4 with the number and nothing changed, revocations older than 12 h are dropped;
// an unknown or deleted tenant is exit 3.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import {
  AdminInitiateAuthCommand,
  AdminSetUserPasswordCommand,
  DescribeUserPoolClientCommand,
  UpdateUserAttributesCommand,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { awsApis, type AwsApis } from '../../src/aws/apis.js';
import { buildRevokePolicy, policySize, serializePolicy } from '../../src/policy/index.js';
import { signInAsTenantUser, type TenantUserCredentials } from '../../src/sandbox-user.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox, type RequestLogLine } from '../helpers/sandbox.js';

const LAG = { iam: 300, cognito: 500, dynamodb: 800 };
let sb: TestSandbox;
let apis: AwsApis;
let idp: CognitoIdentityProviderClient;

function cli(args: string[], timeoutMs = 90_000): Promise<CliResult> {
  return runCli(['--sandbox', sb.stateDir, ...args], { timeoutMs });
}
const mutating = (lines: RequestLogLine[]) => lines.filter((l) => l.mutating).map((l) => `${l.service} ${l.operation}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function signIn(tenant: string): Promise<TenantUserCredentials> {
  return signInAsTenantUser({ endpoint: sb.endpoint, region: sb.region, credentials: sb.credentials }, sb.config, tenant);
}

/** The user's user-pool tokens, refresh token included (signInAsTenantUser keeps only the ID token). */
async function poolTokens(username: string): Promise<{ refresh: string; access: string; secretHash?: string }> {
  const password = 'Revoke-test-1234!';
  const { UserPoolId, ClientId } = { UserPoolId: sb.config.userPoolId, ClientId: sb.config.userPoolClientId };
  await idp.send(new AdminSetUserPasswordCommand({ UserPoolId, Username: username, Password: password, Permanent: true }));
  const secret = (await idp.send(new DescribeUserPoolClientCommand({ UserPoolId, ClientId }))).UserPoolClient?.ClientSecret;
  const secretHash = secret
    ? createHmac('sha256', secret)
        .update(username + ClientId)
        .digest('base64')
    : undefined;
  const res = await idp.send(
    new AdminInitiateAuthCommand({
      UserPoolId,
      ClientId,
      AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: username, PASSWORD: password, ...(secretHash ? { SECRET_HASH: secretHash } : {}) },
    }),
  );
  return { refresh: res.AuthenticationResult!.RefreshToken!, access: res.AuthenticationResult!.AccessToken!, ...(secretHash ? { secretHash } : {}) };
}

/** REFRESH_TOKEN_AUTH: 'ok' or the error's name and message. */
async function refresh(t: { refresh: string; secretHash?: string }): Promise<string> {
  try {
    await idp.send(
      new AdminInitiateAuthCommand({
        UserPoolId: sb.config.userPoolId,
        ClientId: sb.config.userPoolClientId,
        AuthFlow: 'REFRESH_TOKEN_AUTH',
        AuthParameters: { REFRESH_TOKEN: t.refresh, ...(t.secretHash ? { SECRET_HASH: t.secretHash } : {}) },
      }),
    );
    return 'ok';
  } catch (err) {
    return `${(err as Error).name}: ${(err as Error).message}`;
  }
}

/** A token-authorized user operation with the access token: 'ok' or the error. */
async function useAccessToken(access: string): Promise<string> {
  try {
    await idp.send(new UpdateUserAttributesCommand({ AccessToken: access, UserAttributes: [] }));
    return 'ok';
  } catch (err) {
    return `${(err as Error).name}: ${(err as Error).message}`;
  }
}

async function readOwn(creds: TenantUserCredentials['credentials'], tenant: string): Promise<'allowed' | 'denied'> {
  const as = apis.withCredentials(creds);
  try {
    await as.dynamodb.query({ table: sb.config.tables[0]!.name, keyName: 'tenantId', keyValue: { S: tenant } });
    return 'allowed';
  } catch (err) {
    if ((err as { kind?: string }).kind === 'access-denied') return 'denied';
    throw err;
  } finally {
    as.close();
  }
}

/** Until `fn` says `want` (the sandbox's lag): assert on the state, not on time. */
async function eventually(fn: () => Promise<string>, want: string): Promise<void> {
  let last = '';
  for (let i = 0; i < 40; i++) {
    last = await fn();
    if (last === want) return;
    await sleep(250);
  }
  expect(last).toBe(want);
}

beforeAll(async () => {
  sb = await startTestSandbox({ stack: 'rvk', mapping: 'token', lag: LAG });
  apis = awsApis(sb.clients);
  idp = await sb.clients.cognitoIdp();
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
    const acme = await signIn('acme');
    const acmeTokens = await poolTokens(acme.username);
    const globex = await signIn('globex');
    const globexTokens = await poolTokens(globex.username);
    await eventually(() => readOwn(acme.credentials, 'acme'), 'allowed');
    await eventually(() => readOwn(globex.credentials, 'globex'), 'allowed');
    expect(await refresh(acmeTokens)).toBe('ok');

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
    expect(await refresh(acmeTokens)).toBe('NotAuthorizedException: Refresh Token has been revoked');
    expect(await useAccessToken(acmeTokens.access)).toBe('NotAuthorizedException: Access Token has been revoked');

    // A new sign-in (after the revocation moment: TokenIssueTime has whole seconds) reads again.
    await sleep(Math.max(0, Date.parse(doc.issuedBefore) - Date.now()) + 100);
    const again = await signIn('acme');
    expect(await readOwn(again.credentials, 'acme')).toBe('allowed');
    const newTokens = await poolTokens(acme.username);
    expect(await refresh(newTokens)).toBe('ok');
    expect(await useAccessToken(newTokens.access)).toBe('ok');

    // globex: untouched.
    expect(await readOwn(globex.credentials, 'globex')).toBe('allowed');
    expect(await refresh(globexTokens)).toBe('ok');
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
