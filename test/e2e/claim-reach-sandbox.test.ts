// Who else can reach a tenant's identity (docs/security.md rows 5b, 5c): a second app client of
// the user pool that lets users write the tenant claim, and an identity pool that hands an isoctl
// role to identities its mapping does not place. The attack is run for real first (a user of alpha
// becomes bravo through the second client and reads bravo's rows: that is AWS's semantics, which
// isoctl cannot change at run time), then `doctor` must flag it (exit 1) and `init` refuse it
// (exit 4, nothing changed); once the setting is put right both are clean again.
import {
  CognitoIdentityClient,
  GetCredentialsForIdentityCommand,
  GetIdCommand,
  GetIdentityPoolRolesCommand,
  SetIdentityPoolRolesCommand,
} from '@aws-sdk/client-cognito-identity';
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  InitiateAuthCommand,
  UpdateUserAttributesCommand,
  UpdateUserPoolClientCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const PASSWORD = 'Correct-horse-9';

interface DoctorFinding {
  check: string;
  status: string;
  message: string;
}

describe('who else reaches a tenant: other app clients, default roles (ABAC on the sandbox)', () => {
  let sb: TestSandbox;
  const cli = (args: string[]): Promise<CliResult> => runCli(['--sandbox', sb.stateDir, ...args], { timeoutMs: 60_000 });
  const base = () => ({ region: sb.region, endpoint: sb.endpoint, maxAttempts: 1 });
  const reach = (r: CliResult) => (r.json().findings as DoctorFinding[]).filter((f) => f.check === 'reach');

  beforeAll(async () => {
    sb = await startTestSandbox({ stack: 'reach', mapping: 'abac', granularity: 'tenant' });
    expect((await cli(['init', '--json'])).code).toBe(0);
    for (const t of ['alpha', 'bravo']) expect((await cli(['tenant', 'create', t, '--wait', 'none', '--json'])).code).toBe(0);
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it('a second app client that lets users write the claim: the attack works on AWS semantics; doctor flags it, init refuses it', async () => {
    const idp = new CognitoIdentityProviderClient({ ...base(), credentials: sb.credentials });
    const anon = new CognitoIdentityProviderClient(base());
    const ddb = new DynamoDBClient({ ...base(), credentials: sb.credentials });
    const table = sb.config.tables[0]!.name;
    const pool = sb.config.userPoolId;
    for (const t of ['alpha', 'bravo'])
      await ddb.send(new PutItemCommand({ TableName: table, Item: { tenantId: { S: t }, sk: { S: 'row' }, v: { S: `${t}-data` } } }));
    await idp.send(
      new AdminCreateUserCommand({
        UserPoolId: pool,
        Username: 'mallory',
        MessageAction: 'SUPPRESS',
        UserAttributes: [{ Name: 'custom:tenant', Value: 'alpha' }],
      }),
    );
    await idp.send(new AdminSetUserPasswordCommand({ UserPoolId: pool, Username: 'mallory', Password: PASSWORD, Permanent: true }));
    await idp.send(new AdminAddUserToGroupCommand({ UserPoolId: pool, Username: 'mallory', GroupName: 'isoctl-reach-read' }));
    const mobile = await idp.send(
      new CreateUserPoolClientCommand({
        UserPoolId: pool,
        ClientName: 'mobile',
        ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
        ReadAttributes: ['custom:tenant'],
        WriteAttributes: ['custom:tenant'],
      }),
    );
    const mobileId = mobile.UserPoolClient!.ClientId!;

    // The attack: sign in through the mobile client, rewrite the claim, sign in through isoctl's client.
    const viaMobile = await anon.send(
      new InitiateAuthCommand({ ClientId: mobileId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'mallory', PASSWORD } }),
    );
    await anon.send(
      new UpdateUserAttributesCommand({
        AccessToken: viaMobile.AuthenticationResult!.AccessToken!,
        UserAttributes: [{ Name: 'custom:tenant', Value: 'bravo' }],
      }),
    );
    const auth = await anon.send(
      new InitiateAuthCommand({ ClientId: sb.config.userPoolClientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'mallory', PASSWORD } }),
    );
    const identity = new CognitoIdentityClient(base());
    const logins = { [`cognito-idp.${sb.region}.amazonaws.com/${pool}`]: auth.AuthenticationResult!.IdToken! };
    const { IdentityId } = await identity.send(new GetIdCommand({ IdentityPoolId: sb.config.identityPoolId, Logins: logins }));
    const c = (await identity.send(new GetCredentialsForIdentityCommand({ IdentityId, Logins: logins }))).Credentials!;
    const asMallory = new DynamoDBClient({
      ...base(),
      credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretKey!, sessionToken: c.SessionToken! },
    });
    const stolen = await asMallory.send(new GetItemCommand({ TableName: table, Key: { tenantId: { S: 'bravo' }, sk: { S: 'row' } } }));
    expect(stolen.Item?.v?.S).toBe('bravo-data');

    // isoctl's part: doctor names the client; init refuses and changes nothing.
    const doc = await cli(['doctor', '--json']);
    expect(doc.code).toBe(1);
    const found = reach(doc);
    expect(found.map((f) => f.status)).toEqual(['problem']);
    expect(found[0]!.message).toContain(mobileId);
    const mark = sb.mark();
    const init = await cli(['init', '--json']);
    expect(init.code, init.stderr).toBe(4);
    expect(init.json().error.code).toBe('isolation_unsafe');
    expect(init.stdout).toContain(mobileId);
    expect(sb.since(mark).filter((l) => l.mutating)).toEqual([]);

    await idp.send(
      new UpdateUserPoolClientCommand({ UserPoolId: pool, ClientId: mobileId, ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH'], WriteAttributes: ['email'] }),
    );
    expect(reach(await cli(['doctor', '--json'])).map((f) => f.status)).toEqual(['ok']);
    expect((await cli(['init', '--json'])).code).toBe(0);
  });

  it("an isoctl role as the identity pool's default authenticated role: doctor flags it, init refuses it", async () => {
    const identity = new CognitoIdentityClient({ ...base(), credentials: sb.credentials });
    const current = await identity.send(new GetIdentityPoolRolesCommand({ IdentityPoolId: sb.config.identityPoolId }));
    const scopeRole = `arn:aws:iam::${sb.accountId}:role/isoctl/reach/isoctl-reach-write`;
    await identity.send(
      new SetIdentityPoolRolesCommand({ IdentityPoolId: sb.config.identityPoolId, Roles: { authenticated: scopeRole }, RoleMappings: current.RoleMappings }),
    );
    const doc = await cli(['doctor', '--json']);
    expect(doc.code).toBe(1);
    expect(
      reach(doc)
        .map((f) => f.message)
        .join('\n'),
    ).toContain(`default authenticated role is ${scopeRole}`);
    const init = await cli(['init', '--json']);
    expect(init.code, init.stderr).toBe(4);
    expect(init.json().error.code).toBe('isolation_unsafe');

    await identity.send(
      new SetIdentityPoolRolesCommand({ IdentityPoolId: sb.config.identityPoolId, Roles: current.Roles ?? {}, RoleMappings: current.RoleMappings }),
    );
    expect(reach(await cli(['doctor', '--json'])).map((f) => f.status)).toEqual(['ok']);
  });
});
