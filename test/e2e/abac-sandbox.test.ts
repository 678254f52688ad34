// ABAC mode (issue 12) through the built CLI on the sandbox: init makes one shared role and group
// per scope and the identity pool's tenant-tag map; tenant create makes zero IAM writes; users of
// two tenants sign in through the identity pool and each reads only its own rows; a user cannot
// change its own tenant claim.
import { CognitoIdentityClient, GetCredentialsForIdentityCommand, GetIdCommand, GetPrincipalTagAttributeMapCommand } from '@aws-sdk/client-cognito-identity';
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  UpdateUserAttributesCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type RequestLogLine, type TestSandbox } from '../helpers/sandbox.js';

const PASSWORD = 'Correct-horse-9';
const mutatingIam = (lines: RequestLogLine[]) => lines.filter((l) => l.mutating && l.service === 'iam').map((l) => l.operation);

type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken: string };
const signedIn: Record<string, { creds: Creds; accessToken: string; logins: Record<string, string>; identityId: string }> = {};

describe('ABAC mode on the sandbox', () => {
  let sb: TestSandbox;
  const cli = (args: string[]): Promise<CliResult> => runCli(['--sandbox', sb.stateDir, ...args], { timeoutMs: 60_000 });

  beforeAll(async () => {
    sb = await startTestSandbox({ stack: 'abac', mapping: 'abac', granularity: 'tenant' });
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it('init: a role and a group per scope, token mapping, the tenant-tag map; again: nothing to do', async () => {
    const init = await cli(['init', '--json']);
    expect(init.code, init.stderr).toBe(0);
    const steps = init.json().steps.map((s: { action: string; target: string }) => `${s.action} ${s.target}`);
    expect(steps).toEqual(
      expect.arrayContaining([
        'create-scope-role isoctl-abac-read',
        'create-scope-role isoctl-abac-write',
        'put-scope-group isoctl-abac-read',
        'put-scope-group isoctl-abac-write',
        expect.stringMatching(/^put-role-mapping /),
        expect.stringMatching(/^put-principal-tag-map /),
      ]),
    );
    const map = await new CognitoIdentityClient({ region: sb.region, endpoint: sb.endpoint, credentials: sb.credentials }).send(
      new GetPrincipalTagAttributeMapCommand({
        IdentityPoolId: sb.config.identityPoolId,
        IdentityProviderName: `cognito-idp.${sb.region}.amazonaws.com/${sb.config.userPoolId}`,
      }),
    );
    expect(map.PrincipalTags).toEqual({ 'isoctl-tenant': 'custom:tenant' });
    const again = await cli(['init', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json().steps).toEqual([]);
  });

  it('tenant create --wait none makes zero mutating IAM calls; --wait data converges; verify holds', async () => {
    const mark = sb.mark();
    const a = await cli(['tenant', 'create', 'alpha', '--wait', 'none', '--json']);
    expect(a.code, a.stderr).toBe(0);
    expect(mutatingIam(sb.since(mark))).toEqual([]);
    const b = await cli(['tenant', 'create', 'bravo', '--wait', 'data', '--json']);
    expect(b.code, b.stderr).toBe(0);
    expect(b.json().wait.checks.map((c: { name: string; state: string }) => `${c.name} ${c.state}`)).toEqual(['cognito:credentials ok', 'dynamodb:probe ok']);
    expect(mutatingIam(sb.since(mark))).toEqual([]);
    const v = await cli(['tenant', 'verify', 'alpha', '--against', 'bravo', '--json']);
    expect(v.code, v.stderr).toBe(0);
    expect(v.json().isolated).toBe(true);
    expect(v.json().roleArn).toMatch(/role\/isoctl\/abac\/isoctl-abac-read$/);
  });

  it('users of two tenants sign in through the identity pool: own rows readable, the other tenant denied; the claim is not theirs to change', async () => {
    const base = { region: sb.region, endpoint: sb.endpoint, maxAttempts: 1 };
    const idp = new CognitoIdentityProviderClient({ ...base, credentials: sb.credentials });
    const anon = new CognitoIdentityProviderClient(base);
    const identity = new CognitoIdentityClient(base);
    const admin = new DynamoDBClient({ ...base, credentials: sb.credentials });
    const table = sb.config.tables[0]!.name;
    const provider = `cognito-idp.${sb.region}.amazonaws.com/${sb.config.userPoolId}`;
    for (const t of ['alpha', 'bravo']) {
      await admin.send(new PutItemCommand({ TableName: table, Item: { tenantId: { S: t }, sk: { S: 'row' }, v: { S: `${t}-data` } } }));
      const user = `user-${t}`;
      await idp.send(
        new AdminCreateUserCommand({
          UserPoolId: sb.config.userPoolId,
          Username: user,
          MessageAction: 'SUPPRESS',
          UserAttributes: [{ Name: 'custom:tenant', Value: t }],
        }),
      );
      await idp.send(new AdminSetUserPasswordCommand({ UserPoolId: sb.config.userPoolId, Username: user, Password: PASSWORD, Permanent: true }));
      await idp.send(new AdminAddUserToGroupCommand({ UserPoolId: sb.config.userPoolId, Username: user, GroupName: 'isoctl-abac-write' }));
      const auth = await anon.send(
        new InitiateAuthCommand({ ClientId: sb.config.userPoolClientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: user, PASSWORD } }),
      );
      const logins = { [provider]: auth.AuthenticationResult!.IdToken! };
      const { IdentityId } = await identity.send(new GetIdCommand({ IdentityPoolId: sb.config.identityPoolId, Logins: logins }));
      const c = (await identity.send(new GetCredentialsForIdentityCommand({ IdentityId, Logins: logins }))).Credentials!;
      signedIn[t] = {
        creds: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretKey!, sessionToken: c.SessionToken! },
        accessToken: auth.AuthenticationResult!.AccessToken!,
        logins,
        identityId: IdentityId!,
      };
    }
    for (const [me, other] of [
      ['alpha', 'bravo'],
      ['bravo', 'alpha'],
    ] as const) {
      const ddb = new DynamoDBClient({ ...base, credentials: signedIn[me]!.creds });
      const own = await ddb.send(new GetItemCommand({ TableName: table, Key: { tenantId: { S: me }, sk: { S: 'row' } } }));
      expect(own.Item?.v?.S).toBe(`${me}-data`);
      const theirs = await ddb.send(new GetItemCommand({ TableName: table, Key: { tenantId: { S: other }, sk: { S: 'row' } } })).catch((e: Error) => e);
      expect((theirs as Error).name).toBe('AccessDeniedException');
      const write = await ddb.send(new PutItemCommand({ TableName: table, Item: { tenantId: { S: other }, sk: { S: 'planted' } } })).catch((e: Error) => e);
      expect((write as Error).name).toBe('AccessDeniedException');
      // The user's own attempt to become the other tenant: the app client may not write the claim.
      const claim = await anon
        .send(new UpdateUserAttributesCommand({ AccessToken: signedIn[me]!.accessToken, UserAttributes: [{ Name: 'custom:tenant', Value: other }] }))
        .catch((e: Error) => e);
      expect(claim).toBeInstanceOf(Error);
      expect((claim as Error).name).toBe('NotAuthorizedException');
    }
  });

  it('delete shuts the tenant out: its old credentials and fresh ones from a still-valid ID token are denied; the other tenant keeps working', async () => {
    const base = { region: sb.region, endpoint: sb.endpoint, maxAttempts: 1 };
    const table = sb.config.tables[0]!.name;
    const own = (creds: Creds, t: string) =>
      new DynamoDBClient({ ...base, credentials: creds })
        .send(new GetItemCommand({ TableName: table, Key: { tenantId: { S: t }, sk: { S: 'row' } } }))
        .catch((e: Error) => e);
    const del = await cli(['tenant', 'delete', 'alpha', '--yes', '--json']);
    expect(del.code, del.stderr).toBe(0);
    const old = await own(signedIn.alpha!.creds, 'alpha');
    expect((old as Error).name).toBe('AccessDeniedException');
    const identity = new CognitoIdentityClient(base);
    const fresh = await identity
      .send(new GetCredentialsForIdentityCommand({ IdentityId: signedIn.alpha!.identityId, Logins: signedIn.alpha!.logins }))
      .catch((e: Error) => e);
    if (!(fresh instanceof Error)) {
      const c = fresh.Credentials!;
      const r = await own({ accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretKey!, sessionToken: c.SessionToken! }, 'alpha');
      expect((r as Error).name).toBe('AccessDeniedException');
    }
    expect(del.json().lockout).toEqual({
      roles: ['isoctl-abac-read', 'isoctl-abac-write'],
      disabledUsers: expect.arrayContaining(['user-alpha', 'isoctl-probe-alpha']),
    });
    const bravo = await own(signedIn.bravo!.creds, 'bravo');
    expect(bravo).not.toBeInstanceOf(Error);
    const again = await cli(['tenant', 'delete', 'alpha', '--yes', '--json']);
    expect(again.code).toBe(3);
  });

  it('changing the mapping mode of a stack with tenants is refused (exit 4)', async () => {
    const { readFileSync, writeFileSync } = await import('node:fs');
    const cfg = JSON.parse(readFileSync(sb.configPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(sb.configPath, JSON.stringify({ ...cfg, mapping: 'token' }));
    try {
      const r = await cli(['init', '--json']);
      expect(r.code, r.stderr).toBe(4);
      expect(r.json().error.code).toBe('mapping_mode_change');
    } finally {
      writeFileSync(sb.configPath, JSON.stringify(cfg));
    }
  });
});
