// What a tenant's application user does in the e2e tests, on top of `tenantUserCredentials`
// (src/sandbox-user.ts: sign in through the user pool and the identity pool): read a tenant's
// partition of the pooled table, buy fresh credentials with a still-valid ID token, use the
// refresh and access tokens. Each answers with a state ('allowed', 'ok', the error), so tests
// assert on states, and `eventually` waits out the sandbox's lag without timing anything.
import { awsApis, cognitoProviderName } from '../../src/aws/apis.js';
import { signInAsTenantUser, type TenantUserCredentials } from '../../src/sandbox-user.js';
import type { TestSandbox } from './sandbox.js';

export type { TenantUserCredentials };
type Credentials = TenantUserCredentials['credentials'];

/** A user of `tenant` signed in through the identity pool (created on first use, a new session each call). */
export function signIn(sb: TestSandbox, tenant: string, username?: string): Promise<TenantUserCredentials> {
  return signInAsTenantUser({ endpoint: sb.endpoint, region: sb.region, credentials: sb.credentials }, sb.config, tenant, username);
}

/** Queries `tenant`'s partition of the stack's first table with these credentials: 'allowed' or 'denied'. */
export async function readPartition(sb: TestSandbox, creds: Credentials, tenant: string): Promise<'allowed' | 'denied'> {
  const as = awsApis(sb.clients).withCredentials(creds);
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

/** Fresh credentials from the user's ID token (still valid: the sandbox's ID tokens live an hour). */
export async function freshCredentials(sb: TestSandbox, u: TenantUserCredentials): Promise<Credentials> {
  const apis = awsApis(sb.clients);
  const logins = { [cognitoProviderName(sb.region, sb.config.userPoolId)]: u.idToken };
  const c = await apis.cognitoIdentity.getCredentialsForIdentity(u.identityId, logins);
  return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken };
}

/** REFRESH_TOKEN_AUTH with the user's refresh token: 'ok' or the error's name and message. */
export async function refresh(sb: TestSandbox, u: TenantUserCredentials): Promise<string> {
  const { InitiateAuthCommand } = await import('@aws-sdk/client-cognito-identity-provider');
  try {
    const idp = await sb.clients.cognitoIdp();
    await idp.send(
      new InitiateAuthCommand({ ClientId: sb.config.userPoolClientId, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: u.refreshToken! } }),
    );
    return 'ok';
  } catch (err) {
    return `${(err as Error).name}: ${(err as Error).message}`;
  }
}

/** A token-authorized user operation (UpdateUserAttributes with nothing to update): 'ok' or the error. */
export async function useAccessToken(sb: TestSandbox, u: TenantUserCredentials): Promise<string> {
  const { UpdateUserAttributesCommand } = await import('@aws-sdk/client-cognito-identity-provider');
  try {
    const idp = await sb.clients.cognitoIdp();
    await idp.send(new UpdateUserAttributesCommand({ AccessToken: u.accessToken!, UserAttributes: [] }));
    return 'ok';
  } catch (err) {
    return `${(err as Error).name}: ${(err as Error).message}`;
  }
}

/** Until `fn` says `want` (the sandbox's lag): asserts on the state, not on time. */
export async function eventually(fn: () => Promise<string>, want: string, tries = 40): Promise<void> {
  let last = '';
  for (let i = 0; i < tries; i++) {
    last = await fn();
    if (last === want) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  if (last !== want) throw new Error(`still ${JSON.stringify(last)} after ${tries} tries, want ${JSON.stringify(want)}`);
}
