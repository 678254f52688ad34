// `isoctl user add|move|remove` (issue 12) through the CLI on an ABAC sandbox stack: the admin API
// sets the tenant claim and the scope group; the user signs in through the identity pool and reads
// its tenant's rows only; a move switches the rows it reads and revokes its refresh token; a
// removed user cannot sign in; bad inputs change nothing.
import { CognitoIdentityClient, GetCredentialsForIdentityCommand, GetIdCommand } from '@aws-sdk/client-cognito-identity';
import {
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const PASSWORD = 'Correct-horse-9';

describe.each(['abac', 'token'] as const)('isoctl user add|move|remove on a %s sandbox stack', (mapping) => {
  let sb: TestSandbox;
  const cli = (args: string[]): Promise<CliResult> => runCli(['--sandbox', sb.stateDir, ...args], { timeoutMs: 60_000 });
  const base = () => ({ region: sb.region, endpoint: sb.endpoint, maxAttempts: 1 });

  async function signIn(username: string): Promise<{ readRow: (t: string) => Promise<string | Error>; refreshToken: string }> {
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
      readRow: (t) =>
        ddb
          .send(new GetItemCommand({ TableName: sb.config.tables[0]!.name, Key: { tenantId: { S: t }, sk: { S: 'row' } } }))
          .then((r) => r.Item?.v?.S ?? '')
          .catch((e: Error) => e),
    };
  }
  const denied = (r: string | Error) => (r instanceof Error ? r.name : r);
  const abac = mapping === 'abac';

  beforeAll(async () => {
    sb = await startTestSandbox({ stack: 'usr', mapping, granularity: 'tenant' });
    expect((await cli(['init', '--json'])).code).toBe(0);
    const admin = new DynamoDBClient({ ...base(), credentials: sb.credentials });
    for (const t of ['alpha', 'bravo']) {
      const c = await cli(['tenant', 'create', t, '--wait', 'none', '--json']);
      expect(c.code, c.stderr).toBe(0);
      await admin.send(new PutItemCommand({ TableName: sb.config.tables[0]!.name, Item: { tenantId: { S: t }, sk: { S: 'row' }, v: { S: `${t}-data` } } }));
    }
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it('add in alpha reads alpha only; move to bravo reads bravo only and revokes the refresh token; remove: no sign-in', async () => {
    const idp = new CognitoIdentityProviderClient({ ...base(), credentials: sb.credentials });
    const pool = sb.config.userPoolId;
    const add = await cli(['user', 'add', 'alpha', 'alice', '--email', 'alice@example.com', '--json']);
    expect(add.code, add.stderr).toBe(0);
    expect(add.json()).toMatchObject({ username: 'alice', tenant: 'alpha', status: 'created', group: abac ? 'isoctl-usr-read' : 'alpha' });
    const attrs = (await idp.send(new AdminGetUserCommand({ UserPoolId: pool, Username: 'alice' }))).UserAttributes ?? [];
    // ABAC: the claim; token mode: the tenant's group only.
    expect(attrs.find((a) => a.Name === 'custom:tenant')?.Value).toBe(abac ? 'alpha' : undefined);
    const again = await cli(['user', 'add', 'alpha', 'alice', '--json']);
    expect(again.json()).toMatchObject({ status: 'unchanged', changes: [] });
    await idp.send(new AdminSetUserPasswordCommand({ UserPoolId: pool, Username: 'alice', Password: PASSWORD, Permanent: true }));

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
    const groups = (await idp.send(new AdminListGroupsForUserCommand({ UserPoolId: pool, Username: 'alice' }))).Groups!.map((g) => g.GroupName);
    expect(groups).toEqual([abac ? 'isoctl-usr-write' : 'bravo']);
    // The old refresh token no longer buys tokens (of the old tenant).
    const refresh = await new CognitoIdentityProviderClient(base())
      .send(
        new InitiateAuthCommand({
          ClientId: sb.config.userPoolClientId,
          AuthFlow: 'REFRESH_TOKEN_AUTH',
          AuthParameters: { REFRESH_TOKEN: inAlpha.refreshToken },
        }),
      )
      .catch((e: Error) => e);
    expect(denied(refresh as Error)).toBe('NotAuthorizedException');
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
    const mark = sb.mark();
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
    expect(sb.since(mark).filter((l) => l.mutating)).toEqual([]);
    // A pool user isoctl did not give a tenant is not isoctl's to remove.
    const idp = new CognitoIdentityProviderClient({ ...base(), credentials: sb.credentials });
    const { AdminCreateUserCommand } = await import('@aws-sdk/client-cognito-identity-provider');
    await idp.send(new AdminCreateUserCommand({ UserPoolId: sb.config.userPoolId, Username: 'outsider', MessageAction: 'SUPPRESS' }));
    const outsider = await cli(['user', 'remove', 'outsider', '--json']);
    expect(outsider.code).toBe(4);
    expect(outsider.json().error.code).toBe('not_a_tenant_user');
  }, 60_000);
});
