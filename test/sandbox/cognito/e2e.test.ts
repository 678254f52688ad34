// The Cognito services behind the sandbox's HTTP server, driven by unmodified SDK v3 clients and
// by the AWS CLI (botocore's models parse every response).
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CognitoIdentityClient,
  CreateIdentityPoolCommand,
  GetCredentialsForIdentityCommand,
  GetIdCommand,
  GetIdentityPoolRolesCommand,
  GetOpenIdTokenCommand,
  SetIdentityPoolRolesCommand,
  SetPrincipalTagAttributeMapCommand,
} from '@aws-sdk/client-cognito-identity';
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminInitiateAuthCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  InitiateAuthCommand,
  ListGroupsCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCognitoIdentityService, createCognitoIdpService, verifyOpenIdToken } from '../../../src/sandbox/cognito/index.js';
import { startSandbox, type RunningSandbox } from '../../../src/sandbox/server.js';
import { STANDARD_READABLE } from './helpers.js';

const run = promisify(execFile);
const PASSWORD = 'Correct-horse-9';

async function start(lag: { iam?: number; cognito?: number; dynamodb?: number } = {}): Promise<RunningSandbox> {
  return startSandbox({
    stateDir: mkdtempSync(join(tmpdir(), 'isoctl-cognito-')),
    lag: { iam: 0, cognito: 0, dynamodb: 0, ...lag },
    services: { 'cognito-idp': createCognitoIdpService, 'cognito-identity': createCognitoIdentityService },
    verifyWebIdentity: verifyOpenIdToken,
  });
}

function clients(sb: RunningSandbox) {
  const base = { region: sb.region, endpoint: sb.endpoint, maxAttempts: 1 };
  return {
    idp: new CognitoIdentityProviderClient({ ...base, credentials: sb.credentials }),
    identity: new CognitoIdentityClient({ ...base, credentials: sb.credentials }),
    iam: new IAMClient({ ...base, credentials: sb.credentials }),
    sts: (credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) => new STSClient({ ...base, credentials }),
  };
}

function trustFor(identityPoolId: string, tagSession = false): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: 'cognito-identity.amazonaws.com' },
        Action: tagSession ? ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession'] : 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: { 'cognito-identity.amazonaws.com:aud': identityPoolId },
          'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' },
        },
      },
    ],
  });
}

async function rejection(p: Promise<unknown>): Promise<{ name: string; message: string; status: number | undefined }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

let worlds = 0;

/** A user pool (custom:tenant), an app client, an identity pool trusting it, a tenant role and group, a signed-up user. */
async function world(sb: RunningSandbox, opts: { lagged?: boolean } = {}) {
  const c = clients(sb);
  const pool = (await c.idp.send(new CreateUserPoolCommand({ PoolName: 'tenants', Schema: [{ Name: 'tenant', AttributeDataType: 'String', Mutable: true }] })))
    .UserPool!;
  const client = (
    await c.idp.send(
      new CreateUserPoolClientCommand({
        UserPoolId: pool.Id!,
        ClientName: 'app',
        ExplicitAuthFlows: ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
        // The tenant claim reaches ID tokens only when the client may read it.
        ReadAttributes: [...STANDARD_READABLE, 'custom:tenant'],
        WriteAttributes: ['email', 'name'],
      }),
    )
  ).UserPoolClient!;
  const providerName = `cognito-idp.${sb.region}.amazonaws.com/${pool.Id!}`;
  const idPool = await c.identity.send(
    new CreateIdentityPoolCommand({
      IdentityPoolName: 'tenants',
      AllowUnauthenticatedIdentities: false,
      // The tests below exercise the basic flow too; AWS's default is off.
      AllowClassicFlow: true,
      CognitoIdentityProviders: [{ ProviderName: providerName, ClientId: client.ClientId! }],
    }),
  );
  const role = await c.iam.send(
    new CreateRoleCommand({ RoleName: `isoctl-prod-acme${++worlds}`, Path: '/isoctl/prod/', AssumeRolePolicyDocument: trustFor(idPool.IdentityPoolId!, true) }),
  );
  const roleArn = role.Role!.Arn!;
  if (!opts.lagged) {
    await c.idp.send(new CreateGroupCommand({ UserPoolId: pool.Id!, GroupName: 'acme', RoleArn: roleArn, Precedence: 1 }));
  }
  await c.idp.send(
    new AdminCreateUserCommand({
      UserPoolId: pool.Id!,
      Username: 'alice',
      MessageAction: 'SUPPRESS',
      UserAttributes: [{ Name: 'custom:tenant', Value: 'acme' }],
    }),
  );
  await c.idp.send(new AdminSetUserPasswordCommand({ UserPoolId: pool.Id!, Username: 'alice', Password: PASSWORD, Permanent: true }));
  if (!opts.lagged) await c.idp.send(new AdminAddUserToGroupCommand({ UserPoolId: pool.Id!, Username: 'alice', GroupName: 'acme' }));
  const mappingKey = `${providerName}:${client.ClientId!}`;
  return {
    c,
    poolId: pool.Id!,
    clientId: client.ClientId!,
    identityPoolId: idPool.IdentityPoolId!,
    providerName,
    mappingKey,
    roleArn,
    roleName: role.Role!.RoleName!,
  };
}

// The AWS CLI cases run some 20-40 `aws` processes one after another (botocore's start-up is about
// 1-2 s each on a busy 2-core machine): the suite's 60 s default is too tight for them.
const AWS_CLI_TIMEOUT_MS = 300_000;

describe('Cognito over the sandbox HTTP server (SDK v3)', () => {
  let sb: RunningSandbox;
  beforeAll(async () => {
    sb = await start();
  });
  afterAll(async () => {
    await sb?.close();
  });

  it('signs a user in, verifies the token with the JWKS URL, and turns it into tenant-role credentials', async () => {
    const w = await world(sb);
    const anonymousIdp = new CognitoIdentityProviderClient({ region: sb.region, endpoint: sb.endpoint, maxAttempts: 1 });
    const auth = await anonymousIdp.send(
      new InitiateAuthCommand({ ClientId: w.clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'alice', PASSWORD } }),
    );
    const idToken = auth.AuthenticationResult!.IdToken!;
    const issuer = `${sb.endpoint}/${w.poolId}`;
    const { payload } = await jwtVerify(idToken, createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`)), { issuer, audience: w.clientId });
    expect(payload).toMatchObject({ 'cognito:preferred_role': w.roleArn, 'cognito:groups': ['acme'], 'custom:tenant': 'acme', token_use: 'id' });

    await w.c.identity.send(
      new SetIdentityPoolRolesCommand({
        IdentityPoolId: w.identityPoolId,
        Roles: {},
        RoleMappings: { [w.mappingKey]: { Type: 'Token', AmbiguousRoleResolution: 'Deny' } },
      }),
    );
    await w.c.identity.send(
      new SetPrincipalTagAttributeMapCommand({
        IdentityPoolId: w.identityPoolId,
        IdentityProviderName: w.providerName,
        PrincipalTags: { tenant: 'custom:tenant' },
      }),
    );
    const roles = await w.c.identity.send(new GetIdentityPoolRolesCommand({ IdentityPoolId: w.identityPoolId }));
    expect(roles.RoleMappings?.[w.mappingKey]?.Type).toBe('Token');

    // GetId and GetCredentialsForIdentity are unsigned in SDK v3: no credentials on this client.
    const publicIdentity = new CognitoIdentityClient({ region: sb.region, endpoint: sb.endpoint, maxAttempts: 1 });
    const logins = { [w.providerName]: idToken };
    const { IdentityId } = await publicIdentity.send(new GetIdCommand({ IdentityPoolId: w.identityPoolId, Logins: logins }));
    const creds = await publicIdentity.send(new GetCredentialsForIdentityCommand({ IdentityId, Logins: logins }));
    expect(creds.Credentials?.Expiration).toBeInstanceOf(Date);
    expect(creds.Credentials!.Expiration!.getTime()).toBeGreaterThan(Date.now() + 3500_000);

    const who = await w.c
      .sts({ accessKeyId: creds.Credentials!.AccessKeyId!, secretAccessKey: creds.Credentials!.SecretKey!, sessionToken: creds.Credentials!.SessionToken! })
      .send(new GetCallerIdentityCommand({}));
    expect(who.Arn).toBe(`arn:aws:sts::${sb.accountId}:assumed-role/${w.roleName}/CognitoIdentityCredentials`);
    const session = (sb.context as unknown as { session(k: string): { sessionTags: Record<string, string> } | undefined }).session(
      creds.Credentials!.AccessKeyId!,
    );
    expect(session?.sessionTags).toEqual({ tenant: 'acme' });

    // Basic flow: GetOpenIdToken, then STS AssumeRoleWithWebIdentity verifies it with verifyOpenIdToken.
    const open = await publicIdentity.send(new GetOpenIdTokenCommand({ IdentityId, Logins: logins }));
    expect(open.Token).toBeTypeOf('string');
    const sts = new STSClient({ region: sb.region, endpoint: sb.endpoint, maxAttempts: 1 });
    const garbage = await rejection(
      sts.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: w.roleArn, RoleSessionName: 'basic', WebIdentityToken: 'garbage' })),
    );
    expect(garbage.name).toBe('InvalidIdentityTokenException');
    // The real token passes verification and the role's trust policy (aud = pool, amr = authenticated).
    const basic = await sts.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: w.roleArn, RoleSessionName: 'basic', WebIdentityToken: open.Token! }));
    expect(basic.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${sb.accountId}:assumed-role/${w.roleName}/basic`);
    expect(basic.SubjectFromWebIdentityToken).toBe(IdentityId);
  });

  it('returns AWS error codes and messages the SDK turns into typed errors', async () => {
    const w = await world(sb);
    const bad = await rejection(
      w.c.idp.send(
        new AdminInitiateAuthCommand({
          UserPoolId: w.poolId,
          ClientId: w.clientId,
          AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
          AuthParameters: { USERNAME: 'alice', PASSWORD: 'Wrong-pass-1' },
        }),
      ),
    );
    expect(bad).toMatchObject({ name: 'NotAuthorizedException', message: 'Incorrect username or password.', status: 400 });
    expect(await rejection(w.c.idp.send(new CreateGroupCommand({ UserPoolId: w.poolId, GroupName: 'acme' })))).toMatchObject({ name: 'GroupExistsException' });
    expect(await rejection(w.c.idp.send(new ListGroupsCommand({ UserPoolId: 'eu-west-1_nothere00' })))).toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'User pool eu-west-1_nothere00 does not exist.',
    });
    const unauthenticated = new CognitoIdentityProviderClient({
      region: sb.region,
      endpoint: sb.endpoint,
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'x' },
    });
    expect((await rejection(unauthenticated.send(new ListGroupsCommand({ UserPoolId: w.poolId })))).status).toBeGreaterThanOrEqual(400);
    const publicIdentity = new CognitoIdentityClient({ region: sb.region, endpoint: sb.endpoint, maxAttempts: 1 });
    expect(await rejection(publicIdentity.send(new GetIdCommand({ IdentityPoolId: w.identityPoolId, Logins: { [w.providerName]: 'x.y.z' } })))).toMatchObject({
      name: 'NotAuthorizedException',
      message: 'Invalid login token. Not a valid OpenId Connect identity token.',
    });
    const tooMany = await rejection(
      w.c.identity.send(
        new SetIdentityPoolRolesCommand({
          IdentityPoolId: w.identityPoolId,
          Roles: {},
          RoleMappings: {
            [w.mappingKey]: {
              Type: 'Rules',
              AmbiguousRoleResolution: 'Deny',
              RulesConfiguration: {
                Rules: Array.from({ length: 26 }, (_, i) => ({ Claim: 'custom:tenant', MatchType: 'Equals', Value: `t${i}`, RoleARN: w.roleArn })),
              },
            },
          },
        }),
      ),
    );
    expect(tooMany.name).toBe('InvalidParameterException');
  });
});

describe('Cognito eventual consistency over HTTP', () => {
  it('does not see a just-created role or mapping until the cognito lag has passed', async () => {
    const sb = await start({ cognito: 1200 });
    try {
      const w = await world(sb, { lagged: true });
      // Sign-in and GetId first, so that each check below follows its write at once (the lag is 1.2 s).
      const token = (
        await w.c.idp.send(
          new AdminInitiateAuthCommand({
            UserPoolId: w.poolId,
            ClientId: w.clientId,
            AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
            AuthParameters: { USERNAME: 'alice', PASSWORD },
          }),
        )
      ).AuthenticationResult!.IdToken!;
      const publicIdentity = new CognitoIdentityClient({ region: sb.region, endpoint: sb.endpoint, maxAttempts: 1 });
      const logins = { [w.providerName]: token };
      const { IdentityId } = await publicIdentity.send(new GetIdCommand({ IdentityPoolId: w.identityPoolId, Logins: logins }));
      const fresh = await w.c.iam.send(
        new CreateRoleCommand({ RoleName: `isoctl-prod-fresh${++worlds}`, Path: '/isoctl/prod/', AssumeRolePolicyDocument: trustFor(w.identityPoolId, true) }),
      );
      const setRoles = () =>
        w.c.identity.send(new SetIdentityPoolRolesCommand({ IdentityPoolId: w.identityPoolId, Roles: { authenticated: fresh.Role!.Arn! } }));
      // Cognito does not see the role yet: AWS's answer right after CreateRole.
      expect(await rejection(setRoles())).toMatchObject({ name: 'NotAuthorizedException', message: `Access to Role '${fresh.Role!.Arn!}' is forbidden.` });
      await new Promise((r) => setTimeout(r, 1300));
      await setRoles();
      const early = await rejection(publicIdentity.send(new GetCredentialsForIdentityCommand({ IdentityId, Logins: logins })));
      expect(early).toMatchObject({
        name: 'InvalidIdentityPoolConfigurationException',
        message: 'Invalid identity pool configuration. Check assigned IAM roles for this pool.',
      });
      await new Promise((r) => setTimeout(r, 1300));
      const later = await publicIdentity.send(new GetCredentialsForIdentityCommand({ IdentityId, Logins: logins }));
      expect(later.Credentials?.AccessKeyId).toMatch(/^ASIA/);
    } finally {
      await sb.close();
    }
  });
});

describe('the AWS CLI parses the Cognito responses', () => {
  let sb: RunningSandbox;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    sb = await start();
    env = {
      PATH: process.env.PATH,
      HOME: mkdtempSync(join(tmpdir(), 'isoctl-awscli-')),
      AWS_ACCESS_KEY_ID: sb.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: sb.credentials.secretAccessKey,
      AWS_DEFAULT_REGION: sb.region,
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_PAGER: '',
    };
  });
  afterAll(async () => {
    await sb?.close();
  });

  async function aws(...args: string[]): Promise<Record<string, unknown>> {
    const { stdout } = await run('aws', ['--endpoint-url', sb.endpoint, '--output', 'json', ...args], { env, timeout: 30_000 });
    return stdout.trim() === '' ? {} : (JSON.parse(stdout) as Record<string, unknown>);
  }

  async function awsError(...args: string[]): Promise<string> {
    try {
      await run('aws', ['--endpoint-url', sb.endpoint, '--output', 'json', ...args], { env, timeout: 30_000 });
    } catch (err) {
      return String((err as { stderr?: string }).stderr);
    }
    throw new Error(`aws ${args.join(' ')} succeeded`);
  }

  /** Runs independent CLI calls a few at a time (the machine has 2 cores). */
  async function all<T>(calls: Array<() => Promise<T>>, width = 3): Promise<T[]> {
    const out: T[] = new Array(calls.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: width }, async () => {
        while (next < calls.length) {
          const i = next++;
          out[i] = await calls[i]!();
        }
      }),
    );
    return out;
  }

  it(
    'cognito-idp: pools, clients, groups, users, sign-in',
    async () => {
      const pool = (await aws('cognito-idp', 'create-user-pool', '--pool-name', 'cli', '--schema', 'Name=tenant,AttributeDataType=String,Mutable=true')) as {
        UserPool: { Id: string };
      };
      const poolId = pool.UserPool.Id;
      const client = (await aws(
        'cognito-idp',
        'create-user-pool-client',
        '--user-pool-id',
        poolId,
        '--client-name',
        'cli',
        '--explicit-auth-flows',
        'ALLOW_ADMIN_USER_PASSWORD_AUTH',
        'ALLOW_USER_PASSWORD_AUTH',
        'ALLOW_REFRESH_TOKEN_AUTH',
      )) as { UserPoolClient: { ClientId: string } };
      const clientId = client.UserPoolClient.ClientId;
      const role = `arn:aws:iam::${sb.accountId}:role/isoctl/prod/isoctl-prod-cli`;
      const group = await aws('cognito-idp', 'create-group', '--user-pool-id', poolId, '--group-name', 'acme', '--role-arn', role, '--precedence', '1');
      expect(group).toMatchObject({ Group: { GroupName: 'acme', RoleArn: role, Precedence: 1 } });
      const user = await aws(
        'cognito-idp',
        'admin-create-user',
        '--user-pool-id',
        poolId,
        '--username',
        'alice',
        '--message-action',
        'SUPPRESS',
        '--user-attributes',
        'Name=custom:tenant,Value=acme',
      );
      expect(user).toMatchObject({ User: { Username: 'alice', UserStatus: 'FORCE_CHANGE_PASSWORD', Enabled: true } });
      await aws('cognito-idp', 'admin-set-user-password', '--user-pool-id', poolId, '--username', 'alice', '--password', PASSWORD, '--permanent');
      await aws('cognito-idp', 'admin-add-user-to-group', '--user-pool-id', poolId, '--username', 'alice', '--group-name', 'acme');

      const [described, describedClient, clientsList, pools, got, groups, updated, forUser, gotUser, users, adminAuth, publicAuth] = await all([
        () => aws('cognito-idp', 'describe-user-pool', '--user-pool-id', poolId),
        () => aws('cognito-idp', 'describe-user-pool-client', '--user-pool-id', poolId, '--client-id', clientId),
        () => aws('cognito-idp', 'list-user-pool-clients', '--user-pool-id', poolId),
        () => aws('cognito-idp', 'list-user-pools', '--max-results', '10'),
        () => aws('cognito-idp', 'get-group', '--user-pool-id', poolId, '--group-name', 'acme'),
        () => aws('cognito-idp', 'list-groups', '--user-pool-id', poolId),
        () => aws('cognito-idp', 'update-group', '--user-pool-id', poolId, '--group-name', 'acme', '--description', 'tenant acme'),
        () => aws('cognito-idp', 'admin-list-groups-for-user', '--user-pool-id', poolId, '--username', 'alice'),
        () => aws('cognito-idp', 'admin-get-user', '--user-pool-id', poolId, '--username', 'alice'),
        () => aws('cognito-idp', 'list-users', '--user-pool-id', poolId),
        () =>
          aws(
            'cognito-idp',
            'admin-initiate-auth',
            '--user-pool-id',
            poolId,
            '--client-id',
            clientId,
            '--auth-flow',
            'ADMIN_USER_PASSWORD_AUTH',
            '--auth-parameters',
            `USERNAME=alice,PASSWORD=${PASSWORD}`,
          ),
        () =>
          aws(
            '--no-sign-request',
            'cognito-idp',
            'initiate-auth',
            '--client-id',
            clientId,
            '--auth-flow',
            'USER_PASSWORD_AUTH',
            '--auth-parameters',
            `USERNAME=alice,PASSWORD=${PASSWORD}`,
          ),
      ]);
      expect((described as Json).UserPool.Id).toBe(poolId);
      expect((described as Json).UserPool.SchemaAttributes.some((a: Json) => a.Name === 'custom:tenant')).toBe(true);
      expect((describedClient as Json).UserPoolClient.ExplicitAuthFlows).toContain('ALLOW_USER_PASSWORD_AUTH');
      expect((clientsList as Json).UserPoolClients[0].ClientId).toBe(clientId);
      expect((pools as Json).UserPools.map((p: Json) => p.Id)).toContain(poolId);
      expect((got as Json).Group.RoleArn).toBe(role);
      expect((groups as Json).Groups.map((g: Json) => g.GroupName)).toEqual(['acme']);
      expect((updated as Json).Group.Description).toBe('tenant acme');
      expect((forUser as Json).Groups[0].GroupName).toBe('acme');
      expect((gotUser as Json).UserStatus).toBe('CONFIRMED');
      expect((users as Json).Users).toHaveLength(1);
      expect((adminAuth as Json).AuthenticationResult.TokenType).toBe('Bearer');
      expect((publicAuth as Json).AuthenticationResult.IdToken).toBeTypeOf('string');
      // A client with AWS's default ReadAttributes: no custom attribute in the ID token.
      expect(JSON.parse(Buffer.from((publicAuth as Json).AuthenticationResult.IdToken.split('.')[1], 'base64url').toString())).not.toHaveProperty(
        'custom:tenant',
      );
      const accessToken = (publicAuth as Json).AuthenticationResult.AccessToken as string;
      expect(
        await aws('--no-sign-request', 'cognito-idp', 'update-user-attributes', '--access-token', accessToken, '--user-attributes', 'Name=name,Value=Alice'),
      ).toEqual({});
      expect(
        await awsError(
          '--no-sign-request',
          'cognito-idp',
          'update-user-attributes',
          '--access-token',
          accessToken,
          '--user-attributes',
          'Name=custom:tenant,Value=globex',
        ),
      ).toContain(
        'An error occurred (NotAuthorizedException) when calling the UpdateUserAttributes operation: A client attempted to write unauthorized attribute',
      );
      expect(await awsError('cognito-idp', 'list-users', '--user-pool-id', poolId, '--filter', 'custom:tenant = "acme"')).toContain(
        'An error occurred (InvalidParameterException) when calling the ListUsers operation: Invalid search attribute: custom:tenant',
      );
      const refreshed = await aws(
        '--no-sign-request',
        'cognito-idp',
        'initiate-auth',
        '--client-id',
        clientId,
        '--auth-flow',
        'REFRESH_TOKEN_AUTH',
        '--auth-parameters',
        `REFRESH_TOKEN=${(adminAuth as Json).AuthenticationResult.RefreshToken}`,
      );
      expect((refreshed as Json).AuthenticationResult.AccessToken).toBeTypeOf('string');

      expect(
        await awsError(
          'cognito-idp',
          'admin-initiate-auth',
          '--user-pool-id',
          poolId,
          '--client-id',
          clientId,
          '--auth-flow',
          'ADMIN_USER_PASSWORD_AUTH',
          '--auth-parameters',
          'USERNAME=alice,PASSWORD=Wrong-pass-1',
        ),
      ).toContain('An error occurred (NotAuthorizedException) when calling the AdminInitiateAuth operation: Incorrect username or password.');
      expect(await awsError('cognito-idp', 'get-group', '--user-pool-id', poolId, '--group-name', 'ghost')).toContain('(ResourceNotFoundException)');

      await all(
        [
          () => aws('cognito-idp', 'admin-remove-user-from-group', '--user-pool-id', poolId, '--username', 'alice', '--group-name', 'acme'),
          () => aws('cognito-idp', 'delete-group', '--user-pool-id', poolId, '--group-name', 'acme'),
          () => aws('cognito-idp', 'admin-delete-user', '--user-pool-id', poolId, '--username', 'alice'),
        ],
        1,
      );
      await aws('cognito-idp', 'delete-user-pool', '--user-pool-id', poolId);
      expect(await awsError('cognito-idp', 'describe-user-pool', '--user-pool-id', poolId)).toContain(`User pool ${poolId} does not exist.`);
    },
    AWS_CLI_TIMEOUT_MS,
  );

  it(
    'cognito-identity: pools, roles and mappings, principal tags, GetId, credentials, OpenID token',
    async () => {
      const w = await world(sb);
      const roleMappings = {
        IdentityPoolId: w.identityPoolId,
        Roles: {},
        RoleMappings: {
          [w.mappingKey]: {
            Type: 'Rules',
            AmbiguousRoleResolution: 'Deny',
            RulesConfiguration: { Rules: [{ Claim: 'custom:tenant', MatchType: 'Equals', Value: 'acme', RoleARN: w.roleArn }] },
          },
        },
      };
      expect(await aws('cognito-identity', 'set-identity-pool-roles', '--cli-input-json', JSON.stringify(roleMappings))).toEqual({});
      const tags = await aws(
        'cognito-identity',
        'set-principal-tag-attribute-map',
        '--identity-pool-id',
        w.identityPoolId,
        '--identity-provider-name',
        w.providerName,
        '--principal-tags',
        'tenant=custom:tenant,userid=sub',
      );
      expect(tags).toMatchObject({ UseDefaults: false, PrincipalTags: { tenant: 'custom:tenant', userid: 'sub' } });

      const token = (await aws(
        'cognito-idp',
        'admin-initiate-auth',
        '--user-pool-id',
        w.poolId,
        '--client-id',
        w.clientId,
        '--auth-flow',
        'ADMIN_USER_PASSWORD_AUTH',
        '--auth-parameters',
        `USERNAME=alice,PASSWORD=${PASSWORD}`,
      )) as Json;
      const logins = `${w.providerName}=${token.AuthenticationResult.IdToken}`;
      const id = (await aws('--no-sign-request', 'cognito-identity', 'get-id', '--identity-pool-id', w.identityPoolId, '--logins', logins)) as {
        IdentityId: string;
      };
      expect(id.IdentityId).toMatch(/^us-east-1:[0-9a-f-]{36}$/);

      const [described, roles, tagMap, pools, creds, openId, updated] = await all([
        () => aws('cognito-identity', 'describe-identity-pool', '--identity-pool-id', w.identityPoolId),
        () => aws('cognito-identity', 'get-identity-pool-roles', '--identity-pool-id', w.identityPoolId),
        () => aws('cognito-identity', 'get-principal-tag-attribute-map', '--identity-pool-id', w.identityPoolId, '--identity-provider-name', w.providerName),
        () => aws('cognito-identity', 'list-identity-pools', '--max-results', '10'),
        () => aws('--no-sign-request', 'cognito-identity', 'get-credentials-for-identity', '--identity-id', id.IdentityId, '--logins', logins),
        () => aws('--no-sign-request', 'cognito-identity', 'get-open-id-token', '--identity-id', id.IdentityId, '--logins', logins),
        () =>
          aws(
            'cognito-identity',
            'update-identity-pool',
            '--identity-pool-id',
            w.identityPoolId,
            '--identity-pool-name',
            'renamed',
            '--no-allow-unauthenticated-identities',
            '--allow-classic-flow',
            '--cognito-identity-providers',
            `ProviderName=${w.providerName},ClientId=${w.clientId},ServerSideTokenCheck=false`,
          ),
      ]);
      expect((described as Json).CognitoIdentityProviders[0].ClientId).toBe(w.clientId);
      expect((roles as Json).RoleMappings[w.mappingKey].RulesConfiguration.Rules[0].RoleARN).toBe(w.roleArn);
      expect((tagMap as Json).PrincipalTags.userid).toBe('sub');
      expect((pools as Json).IdentityPools.map((p: Json) => p.IdentityPoolId)).toContain(w.identityPoolId);
      expect((creds as Json).Credentials.AccessKeyId).toMatch(/^ASIA/);
      // AWS CLI v1 prints timestamps as received (cli_timestamp_format=none): epoch seconds.
      expect((creds as Json).Credentials.Expiration * 1000).toBeGreaterThan(Date.now() + 3500_000);
      expect((openId as Json).Token).toBeTypeOf('string');
      expect(updated as Json).toMatchObject({ IdentityPoolName: 'renamed', AllowClassicFlow: true });

      expect(
        await awsError('--no-sign-request', 'cognito-identity', 'get-id', '--identity-pool-id', w.identityPoolId, '--logins', `${w.providerName}=a.b.c`),
      ).toContain(
        'An error occurred (NotAuthorizedException) when calling the GetId operation: Invalid login token. Not a valid OpenId Connect identity token.',
      );
      expect(
        await awsError(
          'cognito-identity',
          'set-identity-pool-roles',
          '--identity-pool-id',
          w.identityPoolId,
          '--roles',
          'authenticated=isoctl-prod-acme-tenant-role',
        ),
      ).toContain("(NotAuthorizedException) when calling the SetIdentityPoolRoles operation: Access to Role 'isoctl-prod-acme-tenant-role' is forbidden.");
      await aws(
        'cognito-identity',
        'update-identity-pool',
        '--identity-pool-id',
        w.identityPoolId,
        '--identity-pool-name',
        'renamed',
        '--no-allow-unauthenticated-identities',
        '--no-allow-classic-flow',
        '--cognito-identity-providers',
        `ProviderName=${w.providerName},ClientId=${w.clientId},ServerSideTokenCheck=false`,
      );
      expect(await awsError('--no-sign-request', 'cognito-identity', 'get-open-id-token', '--identity-id', id.IdentityId, '--logins', logins)).toContain(
        'An error occurred (InvalidParameterException) when calling the GetOpenIdToken operation: Basic (classic) flow is not enabled, please use enhanced flow.',
      );
      await aws('cognito-identity', 'delete-identity-pool', '--identity-pool-id', w.identityPoolId);
      expect(await awsError('cognito-identity', 'describe-identity-pool', '--identity-pool-id', w.identityPoolId)).toContain('(ResourceNotFoundException)');
    },
    AWS_CLI_TIMEOUT_MS,
  );
});

type Json = any;
