// `isoctl user add|move|remove` (issue 12) through the CLI on sandbox stacks: the admin API sets
// the tenant claim and the group; the user signs in through the identity pool and reads its
// tenant's rows only; a move switches the rows it reads and revokes its refresh token; a removed
// user cannot sign in; bad inputs change nothing. ABAC and token mapping run the whole flow;
// rules mapping checks what differs there: the tenant is the claim alone (no group), so add, the
// "already in another tenant" refusal, move and remove go by the claim, the user cannot change
// the claim itself, and --scope is refused.
import { CognitoIdentityClient, GetCredentialsForIdentityCommand, GetIdCommand } from '@aws-sdk/client-cognito-identity';
import {
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  UpdateUserAttributesCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const PASSWORD = 'Correct-horse-9';
const denied = (r: string | Error) => (r instanceof Error ? r.name : r);

/** A stack with tenants alpha and bravo (one row each), and what a user of it does. */
function userStack(mapping: 'abac' | 'token' | 'rules') {
  let sb: TestSandbox;
  const base = () => ({ region: sb.region, endpoint: sb.endpoint, maxAttempts: 1 });
  const cli = (args: string[]): Promise<CliResult> => runCli(['--sandbox', sb.stateDir, ...args], { timeoutMs: 60_000 });
  const admin = () => new CognitoIdentityProviderClient({ ...base(), credentials: sb.credentials });

  async function signIn(username: string): Promise<{ readRow: (t: string) => Promise<string | Error>; refreshToken: string; accessToken: string }> {
    const anon = new CognitoIdentityProviderClient(base());
    const identity = new CognitoIdentityClient(base());
    const auth = await anon.send(
      new InitiateAuthCommand({ ClientId: sb.config.userPoolClientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: username, PASSWORD } }),
    );
    const logins = { [`cognito-idp.${sb.region}.amazonaws.com/${sb.config.userPoolId}`]: auth.AuthenticationResult!.IdToken! };
    const { IdentityId } = await identity.send(new GetIdCommand({ IdentityPoolId: sb.config.identityPoolId, Logins: logins }));
    const c = (await identity.send(new GetCredentialsForIdentityCommand({ IdentityId, Logins: logins }))).Credentials!;
    const ddb = new DynamoDBClient({ ...base(), credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretKey!, sessionToken: c.SessionToken! } });
    return {
      refreshToken: auth.AuthenticationResult!.RefreshToken!,
      accessToken: auth.AuthenticationResult!.AccessToken!,
      readRow: (t) =>
        ddb
          .send(new GetItemCommand({ TableName: sb.config.tables[0]!.name, Key: { tenantId: { S: t }, sk: { S: 'row' } } }))
          .then((r) => r.Item?.v?.S ?? '')
          .catch((e: Error) => e),
    };
  }

  /** REFRESH_TOKEN_AUTH: 'ok' or the error's name. */
  const refresh = (token: string) =>
    new CognitoIdentityProviderClient(base())
      .send(new InitiateAuthCommand({ ClientId: sb.config.userPoolClientId, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: token } }))
      .then(
        () => 'ok',
        (e: Error) => e.name,
      );
  /** The user's own UpdateUserAttributes of the tenant claim: 'changed' or the error's name. */
  const setOwnClaim = (accessToken: string, value: string) =>
    new CognitoIdentityProviderClient(base())
      .send(new UpdateUserAttributesCommand({ AccessToken: accessToken, UserAttributes: [{ Name: 'custom:tenant', Value: value }] }))
      .then(
        () => 'changed',
        (e: Error) => e.name,
      );
  const claimOf = async (username: string) =>
    ((await admin().send(new AdminGetUserCommand({ UserPoolId: sb.config.userPoolId, Username: username }))).UserAttributes ?? []).find(
      (a) => a.Name === 'custom:tenant',
    )?.Value;
  const groupsOf = async (username: string) =>
    ((await admin().send(new AdminListGroupsForUserCommand({ UserPoolId: sb.config.userPoolId, Username: username }))).Groups ?? []).map((g) => g.GroupName);
  const setPassword = (username: string) =>
    admin().send(new AdminSetUserPasswordCommand({ UserPoolId: sb.config.userPoolId, Username: username, Password: PASSWORD, Permanent: true }));

  beforeAll(async () => {
    sb = await startTestSandbox({ stack: 'usr', mapping, granularity: 'tenant' });
    expect((await cli(['init', '--json'])).code).toBe(0);
    const ddb = new DynamoDBClient({ ...base(), credentials: sb.credentials });
    for (const t of ['alpha', 'bravo']) {
      const c = await cli(['tenant', 'create', t, '--wait', 'none', '--json']);
      expect(c.code, c.stderr).toBe(0);
      await ddb.send(new PutItemCommand({ TableName: sb.config.tables[0]!.name, Item: { tenantId: { S: t }, sk: { S: 'row' }, v: { S: `${t}-data` } } }));
    }
  });
  afterAll(async () => {
    await sb?.stop();
  });
  return { sb: () => sb, cli, admin, signIn, refresh, setOwnClaim, claimOf, groupsOf, setPassword };
}

describe.each(['abac', 'token'] as const)('isoctl user add|move|remove on a %s sandbox stack', (mapping) => {
  const { sb, cli, admin, signIn, refresh, claimOf, groupsOf, setPassword } = userStack(mapping);
  const abac = mapping === 'abac';

  it('add in alpha reads alpha only; move to bravo reads bravo only and revokes the refresh token; remove: no sign-in', async () => {
    const add = await cli(['user', 'add', 'alpha', 'alice', '--email', 'alice@example.com', '--json']);
    expect(add.code, add.stderr).toBe(0);
    expect(add.json()).toMatchObject({ username: 'alice', tenant: 'alpha', status: 'created', group: abac ? 'isoctl-usr-read' : 'alpha' });
    // ABAC: the claim; token mode: the tenant's group only.
    expect(await claimOf('alice')).toBe(abac ? 'alpha' : undefined);
    const again = await cli(['user', 'add', 'alpha', 'alice', '--json']);
    expect(again.json()).toMatchObject({ status: 'unchanged', changes: [] });
    await setPassword('alice');

    const inAlpha = await signIn('alice');
    expect(await inAlpha.readRow('alpha')).toBe('alpha-data');
    expect(denied(await inAlpha.readRow('bravo'))).toBe('AccessDeniedException');

    // add into another tenant is refused: that is a move.
    const wrong = await cli(['user', 'add', 'bravo', 'alice', '--json']);
    expect(wrong.code).toBe(4);
    expect(wrong.json().error.code).toBe('user_in_other_tenant');
    expect(wrong.stderr).toMatch(/isoctl user move alice bravo/);

    const move = await cli(['user', 'move', 'alice', 'bravo', ...(abac ? ['--scope', 'write'] : []), '--json']);
    expect(move.code, move.stderr).toBe(0);
    expect(move.json()).toMatchObject({
      status: 'moved',
      tenant: 'bravo',
      previousTenant: 'alpha',
      group: abac ? 'isoctl-usr-write' : 'bravo',
      signedOut: true,
    });
    expect(await groupsOf('alice')).toEqual([abac ? 'isoctl-usr-write' : 'bravo']);
    // The old refresh token no longer buys tokens (of the old tenant).
    expect(await refresh(inAlpha.refreshToken)).toBe('NotAuthorizedException');
    const inBravo = await signIn('alice');
    expect(await inBravo.readRow('bravo')).toBe('bravo-data');
    expect(denied(await inBravo.readRow('alpha'))).toBe('AccessDeniedException');

    const remove = await cli(['user', 'remove', 'alice', '--json']);
    expect(remove.code, remove.stderr).toBe(0);
    expect(remove.json()).toMatchObject({ status: 'removed', previousTenant: 'bravo' });
    const gone = await signIn('alice').catch((e: Error) => e);
    expect(gone).toBeInstanceOf(Error);
    expect((await cli(['user', 'remove', 'alice', '--json'])).code).toBe(3);
  }, 120_000);

  it('bad inputs change nothing: unregistered tenant (3), unknown scope (2, did you mean), probe username (2), a user of no tenant (4)', async () => {
    const mark = sb().mark();
    const none = await cli(['user', 'add', 'zulu', 'bob', '--json']);
    expect(none.code).toBe(3);
    expect(none.json().error.code).toBe('tenant_not_found');
    const scope = await cli(['user', 'add', 'alpha', 'bob', '--scope', 'wrte', '--json']);
    expect(scope.code).toBe(2);
    expect(scope.stderr).toMatch(abac ? /did you mean "?write"?/i : /--scope applies to ABAC stacks only/);
    const probe = await cli(['user', 'add', 'alpha', 'isoctl-probe-alpha', '--json']);
    expect(probe.code).toBe(2);
    const moveMissing = await cli(['user', 'move', 'nobody', 'alpha', '--json']);
    expect(moveMissing.code).toBe(3);
    expect(
      sb()
        .since(mark)
        .filter((l) => l.mutating),
    ).toEqual([]);
    // A pool user isoctl did not give a tenant is not isoctl's to remove.
    await admin().send(new AdminCreateUserCommand({ UserPoolId: sb().config.userPoolId, Username: 'outsider', MessageAction: 'SUPPRESS' }));
    const outsider = await cli(['user', 'remove', 'outsider', '--json']);
    expect(outsider.code).toBe(4);
    expect(outsider.json().error.code).toBe('not_a_tenant_user');
  }, 60_000);
});

describe('isoctl user add|move|remove on a rules sandbox stack: what differs from token mapping', () => {
  const { sb, cli, admin, signIn, refresh, setOwnClaim, claimOf, groupsOf, setPassword } = userStack('rules');

  it('the claim alone is the tenant: add sets it (no group), another tenant is refused by it, move changes it and signs out, remove', async () => {
    const add = await cli(['user', 'add', 'alpha', 'carol', '--json']);
    expect(add.code, add.stderr).toBe(0);
    expect(add.json()).toMatchObject({ username: 'carol', tenant: 'alpha', status: 'created', group: null });
    expect(await claimOf('carol')).toBe('alpha');
    expect(await groupsOf('carol')).toEqual([]);
    await setPassword('carol');
    const inAlpha = await signIn('carol');
    expect(await inAlpha.readRow('alpha')).toBe('alpha-data');
    expect(denied(await inAlpha.readRow('bravo'))).toBe('AccessDeniedException');
    // The claim is not the user's to change: the app client may not write it (init refuses one that may).
    expect(await setOwnClaim(inAlpha.accessToken, 'bravo')).toBe('NotAuthorizedException');
    expect(await claimOf('carol')).toBe('alpha');

    // The claim says alpha: adding to bravo is a move; --scope is ABAC's; neither changes anything.
    const mark = sb().mark();
    const wrong = await cli(['user', 'add', 'bravo', 'carol', '--json']);
    expect(wrong.code).toBe(4);
    expect(wrong.json().error.code).toBe('user_in_other_tenant');
    const scope = await cli(['user', 'add', 'alpha', 'dave', '--scope', 'nope', '--json']);
    expect(scope.code).toBe(2);
    expect(scope.stderr).toMatch(/--scope applies to ABAC stacks only/);
    expect(
      sb()
        .since(mark)
        .filter((l) => l.mutating),
    ).toEqual([]);

    const move = await cli(['user', 'move', 'carol', 'bravo', '--json']);
    expect(move.code, move.stderr).toBe(0);
    expect(move.json()).toMatchObject({ status: 'moved', tenant: 'bravo', previousTenant: 'alpha', group: null, signedOut: true });
    expect(await claimOf('carol')).toBe('bravo');
    expect(await groupsOf('carol')).toEqual([]);
    expect(await refresh(inAlpha.refreshToken)).toBe('NotAuthorizedException');
    const inBravo = await signIn('carol');
    expect(await inBravo.readRow('bravo')).toBe('bravo-data');
    expect(denied(await inBravo.readRow('alpha'))).toBe('AccessDeniedException');

    const remove = await cli(['user', 'remove', 'carol', '--json']);
    expect(remove.code, remove.stderr).toBe(0);
    expect(remove.json()).toMatchObject({ status: 'removed', previousTenant: 'bravo' });
    expect(await signIn('carol').catch((e: Error) => e)).toBeInstanceOf(Error);
    // A pool user without the claim is no tenant's.
    await admin().send(new AdminCreateUserCommand({ UserPoolId: sb().config.userPoolId, Username: 'outsider', MessageAction: 'SUPPRESS' }));
    const outsider = await cli(['user', 'remove', 'outsider', '--json']);
    expect(outsider.code).toBe(4);
    expect(outsider.json().error.code).toBe('not_a_tenant_user');
  }, 120_000);
});
