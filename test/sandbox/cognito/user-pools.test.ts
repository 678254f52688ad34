import { createHmac } from 'node:crypto';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { createCognitoIdpService } from '../../../src/sandbox/cognito/index.js';
import { ENDPOINT, REGION, roleArn } from './fake-context.js';
import { anonymous, caller, claimsOf, expectError, PASSWORD, session, userPoolFixture, type Json } from './helpers.js';

const ROLE_A = roleArn('isoctl-prod-acme');
const ROLE_B = roleArn('isoctl-prod-globex');

function jwksOf(f: { idp: { route?: (m: string, p: string) => { status: number; body: string } | undefined }; poolId: string }) {
  const res = f.idp.route!('GET', `/${f.poolId}/.well-known/jwks.json`);
  expect(res?.status).toBe(200);
  return createLocalJWKSet(JSON.parse(res!.body) as { keys: [] });
}

describe('user pools', () => {
  it('creates a pool with AWS-shaped ids, the standard schema and custom attributes', async () => {
    const f = await userPoolFixture();
    expect(f.poolId).toMatch(new RegExp(`^${REGION}_[0-9A-Za-z]{9}$`));
    const { UserPool } = await f.call('DescribeUserPool', { UserPoolId: f.poolId });
    expect(UserPool.Arn).toBe(`arn:aws:cognito-idp:${REGION}:123456789012:userpool/${f.poolId}`);
    const names = (UserPool.SchemaAttributes as Json[]).map((a) => a.Name);
    expect(names).toContain('sub');
    expect(names).toContain('email');
    expect(UserPool.SchemaAttributes.find((a: Json) => a.Name === 'custom:tenant')).toMatchObject({
      AttributeDataType: 'String',
      Mutable: true,
      Required: false,
    });
    expect(UserPool.Policies.PasswordPolicy).toMatchObject({ MinimumLength: 8, RequireSymbols: true });
    expect(typeof UserPool.CreationDate).toBe('number');
    expect(f.ctx.saves).toBeGreaterThan(0);
  });

  it('lists pools page by page and deletes them (not while deletion protection is active)', async () => {
    const f = await userPoolFixture();
    const protectedPool = (await f.call('CreateUserPool', { PoolName: 'guarded', DeletionProtection: 'ACTIVE' })).UserPool;
    const first = await f.call('ListUserPools', { MaxResults: 1 });
    expect(first.UserPools).toHaveLength(1);
    expect(first.NextToken).toBeTypeOf('string');
    const second = await f.call('ListUserPools', { MaxResults: 1, NextToken: first.NextToken });
    expect(second.UserPools).toHaveLength(1);
    expect(second.NextToken).toBeUndefined();
    expect(new Set([first.UserPools[0].Id, second.UserPools[0].Id])).toEqual(new Set([f.poolId, protectedPool.Id]));

    await expectError(f.call('DeleteUserPool', { UserPoolId: protectedPool.Id }), 'InvalidParameterException', /deletion protection/);
    await f.call('DeleteUserPool', { UserPoolId: f.poolId });
    await expectError(f.call('DescribeUserPool', { UserPoolId: f.poolId }), 'ResourceNotFoundException', `User pool ${f.poolId} does not exist.`);
    await expectError(f.call('DescribeUserPool', {}), 'InvalidParameterException', /Value null at 'userPoolId'/);
  });

  it('creates app clients with AWS defaults and checks their auth flows', async () => {
    const f = await userPoolFixture();
    const { UserPoolClient } = await f.call('CreateUserPoolClient', { UserPoolId: f.poolId, ClientName: 'default' });
    expect(UserPoolClient.ClientId).toMatch(/^[a-z0-9]{26}$/);
    expect(UserPoolClient.ExplicitAuthFlows.sort()).toEqual(['ALLOW_CUSTOM_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_SRP_AUTH']);
    expect(UserPoolClient.ClientSecret).toBeUndefined();
    const described = await f.call('DescribeUserPoolClient', { UserPoolId: f.poolId, ClientId: UserPoolClient.ClientId });
    expect(described.UserPoolClient.ClientName).toBe('default');
    await expectError(
      f.call('CreateUserPoolClient', { UserPoolId: f.poolId, ClientName: 'mixed', ExplicitAuthFlows: ['ADMIN_NO_SRP_AUTH', 'ALLOW_USER_PASSWORD_AUTH'] }),
      'InvalidParameterException',
    );
    await expectError(
      f.call('DescribeUserPoolClient', { UserPoolId: f.poolId, ClientId: 'nope' }),
      'ResourceNotFoundException',
      'User pool client nope does not exist.',
    );
  });
});

describe('groups', () => {
  it('creates, reads, updates, lists (paginated) and deletes groups', async () => {
    const f = await userPoolFixture();
    const created = await f.call('CreateGroup', { UserPoolId: f.poolId, GroupName: 'acme', RoleArn: ROLE_A, Precedence: 3, Description: 'tenant acme' });
    expect(created.Group).toMatchObject({ GroupName: 'acme', UserPoolId: f.poolId, RoleArn: ROLE_A, Precedence: 3, Description: 'tenant acme' });
    await expectError(f.call('CreateGroup', { UserPoolId: f.poolId, GroupName: 'acme' }), 'GroupExistsException', /acme already exists/);

    await f.call('UpdateGroup', { UserPoolId: f.poolId, GroupName: 'acme', RoleArn: ROLE_B });
    const got = await f.call('GetGroup', { UserPoolId: f.poolId, GroupName: 'acme' });
    expect(got.Group).toMatchObject({ RoleArn: ROLE_B, Precedence: 3, Description: 'tenant acme' });

    for (const name of ['b', 'c', 'd', 'e']) await f.call('CreateGroup', { UserPoolId: f.poolId, GroupName: name });
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await f.call('ListGroups', { UserPoolId: f.poolId, Limit: 2, ...(token ? { NextToken: token } : {}) });
      expect(page.Groups.length).toBeLessThanOrEqual(2);
      seen.push(...page.Groups.map((g: Json) => g.GroupName));
      token = page.NextToken;
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual(['acme', 'b', 'c', 'd', 'e']);

    await f.call('DeleteGroup', { UserPoolId: f.poolId, GroupName: 'acme' });
    await expectError(f.call('GetGroup', { UserPoolId: f.poolId, GroupName: 'acme' }), 'ResourceNotFoundException', 'Group not found.');
    await expectError(f.call('DeleteGroup', { UserPoolId: f.poolId, GroupName: 'acme' }), 'ResourceNotFoundException');
    await expectError(f.call('ListGroups', { UserPoolId: f.poolId, NextToken: 'garbage' }), 'InvalidParameterException');
  });

  it('accepts only IAM role ARNs as RoleArn', async () => {
    const f = await userPoolFixture();
    await expectError(f.call('CreateGroup', { UserPoolId: f.poolId, GroupName: 'x', RoleArn: 'isoctl-prod-acme' }), 'InvalidParameterException', /roleArn/);
    await expectError(
      f.call('CreateGroup', { UserPoolId: f.poolId, GroupName: 'x', RoleArn: 'arn:aws:iam::123456789012:user/someone' }),
      'InvalidParameterException',
      /not a valid IAM role ARN/,
    );
    await expectError(f.call('CreateGroup', { UserPoolId: f.poolId, GroupName: 'x', Precedence: -1 }), 'InvalidParameterException');
  });
});

describe('users', () => {
  it('creates users (SUPPRESS), keeps attributes, sets a permanent password, manages groups and deletes', async () => {
    const f = await userPoolFixture();
    await f.call('CreateGroup', { UserPoolId: f.poolId, GroupName: 'acme', RoleArn: ROLE_A });
    const created = await f.call('AdminCreateUser', {
      UserPoolId: f.poolId,
      Username: 'alice',
      MessageAction: 'SUPPRESS',
      UserAttributes: [
        { Name: 'email', Value: 'alice@example.com' },
        { Name: 'custom:tenant', Value: 'acme' },
      ],
    });
    expect(created.User).toMatchObject({ Username: 'alice', Enabled: true, UserStatus: 'FORCE_CHANGE_PASSWORD' });
    const attrs = Object.fromEntries((created.User.Attributes as Json[]).map((a) => [a.Name, a.Value]));
    expect(attrs.sub).toMatch(/^[0-9a-f-]{36}$/);
    expect(attrs['custom:tenant']).toBe('acme');

    await expectError(
      f.call('AdminCreateUser', { UserPoolId: f.poolId, Username: 'alice', MessageAction: 'SUPPRESS' }),
      'UsernameExistsException',
      'User account already exists',
    );
    await expectError(
      f.call('AdminCreateUser', { UserPoolId: f.poolId, Username: 'bob', UserAttributes: [{ Name: 'custom:nope', Value: 'x' }] }),
      'InvalidParameterException',
      /custom:nope: Attribute does not exist in the schema/,
    );

    await expectError(
      f.call('AdminSetUserPassword', { UserPoolId: f.poolId, Username: 'alice', Password: 'short', Permanent: true }),
      'InvalidPasswordException',
      /not long enough/,
    );
    await expectError(
      f.call('AdminSetUserPassword', { UserPoolId: f.poolId, Username: 'alice', Password: 'nosymbols123A', Permanent: true }),
      'InvalidPasswordException',
      /symbol characters/,
    );
    await f.call('AdminSetUserPassword', { UserPoolId: f.poolId, Username: 'alice', Password: PASSWORD, Permanent: true });
    expect((await f.call('AdminGetUser', { UserPoolId: f.poolId, Username: 'alice' })).UserStatus).toBe('CONFIRMED');

    await f.call('AdminAddUserToGroup', { UserPoolId: f.poolId, Username: 'alice', GroupName: 'acme' });
    await f.call('AdminAddUserToGroup', { UserPoolId: f.poolId, Username: 'alice', GroupName: 'acme' });
    const groups = await f.call('AdminListGroupsForUser', { UserPoolId: f.poolId, Username: 'alice' });
    expect(groups.Groups.map((g: Json) => g.GroupName)).toEqual(['acme']);
    await expectError(f.call('AdminAddUserToGroup', { UserPoolId: f.poolId, Username: 'alice', GroupName: 'ghost' }), 'ResourceNotFoundException');
    await f.call('AdminRemoveUserFromGroup', { UserPoolId: f.poolId, Username: 'alice', GroupName: 'acme' });
    expect((await f.call('AdminListGroupsForUser', { UserPoolId: f.poolId, Username: 'alice' })).Groups).toEqual([]);

    const listed = await f.call('ListUsers', { UserPoolId: f.poolId, Filter: 'email = "alice@example.com"' });
    expect(listed.Users.map((u: Json) => u.Username)).toEqual(['alice']);

    // The password is kept hashed only.
    expect(JSON.stringify([...f.ctx.sections.values()])).not.toContain(PASSWORD);

    await f.call('AdminDeleteUser', { UserPoolId: f.poolId, Username: 'alice' });
    await expectError(f.call('AdminGetUser', { UserPoolId: f.poolId, Username: 'alice' }), 'UserNotFoundException', 'User does not exist.');
  });

  it('requires admin credentials for admin operations', async () => {
    const f = await userPoolFixture();
    await expectError(f.call('ListGroups', { UserPoolId: f.poolId }, anonymous), 'MissingAuthenticationTokenException');
    const denied = await expectError(f.call('AdminCreateUser', { UserPoolId: f.poolId, Username: 'x' }, session), 'AccessDeniedException');
    expect(denied.message).toBe(
      `User: ${(session as Json).arn} is not authorized to perform: cognito-idp:AdminCreateUser on resource: arn:aws:cognito-idp:${REGION}:123456789012:userpool/${f.poolId} because no identity-based policy allows the cognito-idp:AdminCreateUser action`,
    );
  });
});

describe('sign-in', () => {
  it('signs in with ADMIN_USER_PASSWORD_AUTH and USER_PASSWORD_AUTH (public), refusing wrong passwords', async () => {
    const f = await userPoolFixture();
    await f.createUser('alice');
    const admin = await f.signIn('alice');
    expect(admin).toMatchObject({ ExpiresIn: 3600, TokenType: 'Bearer' });
    expect(admin.IdToken).toBeTypeOf('string');
    expect(admin.RefreshToken).toBeTypeOf('string');

    const pub = await f.call(
      'InitiateAuth',
      { ClientId: f.clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'alice', PASSWORD } },
      anonymous,
    );
    expect(claimsOf(pub.AuthenticationResult.IdToken)['cognito:username']).toBe('alice');

    await expectError(f.signIn('alice', 'Wrong-password-1'), 'NotAuthorizedException', 'Incorrect username or password.');
    await expectError(f.signIn('nobody'), 'UserNotFoundException', 'User does not exist.');
    await expectError(
      f.call('InitiateAuth', { ClientId: f.clientId, AuthFlow: 'ADMIN_USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'alice', PASSWORD } }, anonymous),
      'InvalidParameterException',
      'Initiate Auth method not supported.',
    );
    await f.call('AdminDisableUser', { UserPoolId: f.poolId, Username: 'alice' });
    await expectError(f.signIn('alice'), 'NotAuthorizedException', 'User is disabled.');
  });

  it('AdminUserGlobalSignOut revokes the refresh tokens and the access tokens issued up to then; a later sign-in works', async () => {
    const f = await userPoolFixture();
    await f.createUser('alice');
    await f.createUser('bob');
    const before = await f.signIn('alice');
    const bobs = await f.signIn('bob');
    const refresh = (token: string) =>
      f.call('AdminInitiateAuth', { UserPoolId: f.poolId, ClientId: f.clientId, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: token } });
    const useAccess = (token: string) => f.call('UpdateUserAttributes', { AccessToken: token, UserAttributes: [] }, anonymous);
    expect((await refresh(before.RefreshToken)).AuthenticationResult.AccessToken).toBeTypeOf('string');
    expect(await f.call('AdminUserGlobalSignOut', { UserPoolId: f.poolId, Username: 'alice' })).toEqual({});
    await expectError(refresh(before.RefreshToken), 'NotAuthorizedException', 'Refresh Token has been revoked');
    await expectError(useAccess(before.AccessToken), 'NotAuthorizedException', 'Access Token has been revoked');
    // Whole seconds: a sign-in in a later second is a new session, untouched.
    f.ctx.advance(1000);
    const after = await f.signIn('alice');
    expect((await refresh(after.RefreshToken)).AuthenticationResult.AccessToken).toBeTypeOf('string');
    expect(await useAccess(after.AccessToken)).toEqual({});
    // Another user: untouched.
    expect((await refresh(bobs.RefreshToken)).AuthenticationResult.AccessToken).toBeTypeOf('string');
    await expectError(f.call('AdminUserGlobalSignOut', { UserPoolId: f.poolId, Username: 'nobody' }), 'UserNotFoundException', 'User does not exist.');
    await expectError(f.call('AdminUserGlobalSignOut', { UserPoolId: 'eu-west-1_nosuchpoo', Username: 'alice' }), 'ResourceNotFoundException');
    await expectError(f.call('AdminUserGlobalSignOut', { UserPoolId: f.poolId }), 'InvalidParameterException');
    expect(f.idp.isMutating('AdminUserGlobalSignOut')).toBe(true);
  });

  it('refuses flows the app client does not allow, and hides user existence when the client asks', async () => {
    const f = await userPoolFixture();
    await f.createUser('alice');
    const srpOnly = (await f.call('CreateUserPoolClient', { UserPoolId: f.poolId, ClientName: 'srp', PreventUserExistenceErrors: 'ENABLED' })).UserPoolClient;
    const attempt = (username: string) =>
      f.call('AdminInitiateAuth', {
        UserPoolId: f.poolId,
        ClientId: srpOnly.ClientId,
        AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: username, PASSWORD },
      });
    await expectError(attempt('alice'), 'InvalidParameterException', 'Auth flow not enabled for this client');
    const legacy = (
      await f.call('CreateUserPoolClient', {
        UserPoolId: f.poolId,
        ClientName: 'legacy',
        ExplicitAuthFlows: ['ADMIN_NO_SRP_AUTH'],
        PreventUserExistenceErrors: 'ENABLED',
      })
    ).UserPoolClient;
    const r = await f
      .call('AdminInitiateAuth', {
        UserPoolId: f.poolId,
        ClientId: legacy.ClientId,
        AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: 'nobody', PASSWORD },
      })
      .catch((e: Json) => e);
    expect(r.code).toBe('NotAuthorizedException');
    expect(r.message).toBe('Incorrect username or password.');
  });

  it('asks for a new password after a temporary one, then issues tokens', async () => {
    const f = await userPoolFixture();
    await f.call('AdminCreateUser', { UserPoolId: f.poolId, Username: 'carol', TemporaryPassword: 'Temp-pass-123', MessageAction: 'SUPPRESS' });
    const first = await f.call('AdminInitiateAuth', {
      UserPoolId: f.poolId,
      ClientId: f.clientId,
      AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: 'carol', PASSWORD: 'Temp-pass-123' },
    });
    expect(first.ChallengeName).toBe('NEW_PASSWORD_REQUIRED');
    expect(first.AuthenticationResult).toBeUndefined();
    expect(first.Session.length).toBeGreaterThanOrEqual(20);
    await expectError(
      f.call('AdminRespondToAuthChallenge', {
        UserPoolId: f.poolId,
        ClientId: f.clientId,
        ChallengeName: 'NEW_PASSWORD_REQUIRED',
        Session: 'x'.repeat(40),
        ChallengeResponses: { USERNAME: 'carol', NEW_PASSWORD: PASSWORD },
      }),
      'NotAuthorizedException',
    );
    const done = await f.call(
      'RespondToAuthChallenge',
      {
        ClientId: f.clientId,
        ChallengeName: 'NEW_PASSWORD_REQUIRED',
        Session: first.Session,
        ChallengeResponses: { USERNAME: 'carol', NEW_PASSWORD: PASSWORD },
      },
      anonymous,
    );
    expect(done.AuthenticationResult.IdToken).toBeTypeOf('string');
    expect((await f.call('AdminGetUser', { UserPoolId: f.poolId, Username: 'carol' })).UserStatus).toBe('CONFIRMED');
    expect((await f.signIn('carol')).IdToken).toBeTypeOf('string');
  });

  it('requires SECRET_HASH for clients with a secret', async () => {
    const f = await userPoolFixture();
    await f.createUser('alice');
    const c = (
      await f.call('CreateUserPoolClient', {
        UserPoolId: f.poolId,
        ClientName: 'secret',
        GenerateSecret: true,
        ExplicitAuthFlows: ['ALLOW_ADMIN_USER_PASSWORD_AUTH'],
      })
    ).UserPoolClient;
    expect(c.ClientSecret).toBeTypeOf('string');
    const auth = (extra: Record<string, string>) =>
      f.call('AdminInitiateAuth', {
        UserPoolId: f.poolId,
        ClientId: c.ClientId,
        AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: 'alice', PASSWORD, ...extra },
      });
    await expectError(auth({}), 'NotAuthorizedException', /configured with secret but SECRET_HASH was not received/);
    await expectError(auth({ SECRET_HASH: 'AAAA' }), 'NotAuthorizedException', /Unable to verify secret hash/);
    const hash = createHmac('sha256', c.ClientSecret)
      .update('alice' + c.ClientId)
      .digest('base64');
    expect((await auth({ SECRET_HASH: hash })).AuthenticationResult.IdToken).toBeTypeOf('string');
  });

  it('refreshes tokens with REFRESH_TOKEN_AUTH, keeping auth_time', async () => {
    const f = await userPoolFixture();
    await f.createUser('alice');
    const first = await f.signIn('alice');
    f.ctx.advance(120_000);
    const refreshed = await f.call(
      'InitiateAuth',
      { ClientId: f.clientId, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: first.RefreshToken } },
      anonymous,
    );
    expect(refreshed.AuthenticationResult.RefreshToken).toBeUndefined();
    const a = claimsOf(first.IdToken);
    const b = claimsOf(refreshed.AuthenticationResult.IdToken);
    expect(b.auth_time).toBe(a.auth_time);
    expect(b.iat).toBe(a.iat + 120);
    await expectError(
      f.call('InitiateAuth', { ClientId: f.clientId, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: 'bogus' } }, anonymous),
      'NotAuthorizedException',
      'Invalid Refresh Token',
    );
  });
});

describe('tokens', () => {
  it('carries the claims identity pools and isoctl read, signed RS256 and verifiable with the JWKS', async () => {
    const f = await userPoolFixture();
    await f.call('CreateGroup', { UserPoolId: f.poolId, GroupName: 'acme', RoleArn: ROLE_A, Precedence: 1 });
    await f.call('CreateGroup', { UserPoolId: f.poolId, GroupName: 'readers' });
    const user = await f.createUser('alice', { email: 'alice@example.com', email_verified: 'true', 'custom:tenant': 'acme' }, ['acme', 'readers']);
    const sub = (user.Attributes as Json[]).find((a) => a.Name === 'sub').Value;
    const { IdToken, AccessToken } = await f.signIn('alice');

    const jwks = jwksOf(f);
    const issuer = `${ENDPOINT}/${f.poolId}`;
    const { payload, protectedHeader } = await jwtVerify(IdToken, jwks, { issuer, audience: f.clientId, currentDate: new Date(f.ctx.now()) });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({
      sub,
      aud: f.clientId,
      iss: issuer,
      token_use: 'id',
      'cognito:username': 'alice',
      'cognito:groups': ['acme', 'readers'],
      'cognito:roles': [ROLE_A],
      'cognito:preferred_role': ROLE_A,
      'custom:tenant': 'acme',
      email: 'alice@example.com',
      email_verified: true,
    });
    expect(payload.exp! - payload.iat!).toBe(3600);
    expect(payload.auth_time).toBe(payload.iat);

    const access = await jwtVerify(AccessToken, jwks, { issuer, currentDate: new Date(f.ctx.now()) });
    expect(access.payload).toMatchObject({ token_use: 'access', client_id: f.clientId, username: 'alice', sub, 'cognito:groups': ['acme', 'readers'] });
    expect(access.payload.aud).toBeUndefined();
    expect(access.protectedHeader.kid).not.toBe(protectedHeader.kid);

    // A tampered token and another pool's keys do not verify.
    const [h, , s] = IdToken.split('.');
    const forged = Buffer.from(JSON.stringify({ ...claimsOf(IdToken), 'custom:tenant': 'globex' })).toString('base64url');
    await expect(jwtVerify(`${h}.${forged}.${s}`, jwks, { currentDate: new Date(f.ctx.now()) })).rejects.toThrow();
    const other = await f.call('CreateUserPool', { PoolName: 'other' });
    await expect(jwtVerify(IdToken, jwksOf({ idp: f.idp, poolId: other.UserPool.Id }), { currentDate: new Date(f.ctx.now()) })).rejects.toThrow();

    expect(f.idp.route!('GET', '/eu-central-1_missing00/.well-known/jwks.json')?.status).toBe(404);
    expect(f.idp.route!('GET', '/something/else')).toBeUndefined();
  });

  it('puts the role of the lowest-precedence group in cognito:preferred_role, and none on a tie', async () => {
    const f = await userPoolFixture();
    await f.call('CreateGroup', { UserPoolId: f.poolId, GroupName: 'acme', RoleArn: ROLE_A, Precedence: 5 });
    await f.call('CreateGroup', { UserPoolId: f.poolId, GroupName: 'globex', RoleArn: ROLE_B, Precedence: 2 });
    await f.createUser('alice', {}, ['acme', 'globex']);
    let claims = claimsOf((await f.signIn('alice')).IdToken);
    expect(claims['cognito:preferred_role']).toBe(ROLE_B);
    expect(claims['cognito:roles'].sort()).toEqual([ROLE_A, ROLE_B].sort());

    await f.call('UpdateGroup', { UserPoolId: f.poolId, GroupName: 'acme', Precedence: 2 });
    claims = claimsOf((await f.signIn('alice')).IdToken);
    expect(claims).not.toHaveProperty('cognito:preferred_role');
    expect(claims['cognito:roles']).toHaveLength(2);
  });

  it('shows group changes to token issuance only after the cognito lag', async () => {
    const f = await userPoolFixture({ lagCognito: 5000 });
    await f.call('CreateGroup', { UserPoolId: f.poolId, GroupName: 'acme', RoleArn: ROLE_A, Precedence: 1 });
    await f.createUser('alice', {}, ['acme']);
    // The admin API sees the group at once ...
    expect((await f.call('GetGroup', { UserPoolId: f.poolId, GroupName: 'acme' })).Group.RoleArn).toBe(ROLE_A);
    // ... tokens issued during the lag do not.
    let claims = claimsOf((await f.signIn('alice')).IdToken);
    expect(claims).not.toHaveProperty('cognito:groups');
    expect(claims).not.toHaveProperty('cognito:roles');
    f.ctx.advance(5000);
    claims = claimsOf((await f.signIn('alice')).IdToken);
    expect(claims['cognito:roles']).toEqual([ROLE_A]);

    // A RoleArn just changed: the old role stays in tokens for the lag.
    await f.call('UpdateGroup', { UserPoolId: f.poolId, GroupName: 'acme', RoleArn: ROLE_B });
    f.ctx.advance(4999);
    expect(claimsOf((await f.signIn('alice')).IdToken)['cognito:preferred_role']).toBe(ROLE_A);
    f.ctx.advance(1);
    expect(claimsOf((await f.signIn('alice')).IdToken)['cognito:preferred_role']).toBe(ROLE_B);
  });

  it('survives a restart: state and keys persist, tokens issued before still verify', async () => {
    const f = await userPoolFixture();
    await f.createUser('alice', { 'custom:tenant': 'acme' });
    const before = await f.signIn('alice');
    const restored = JSON.parse(JSON.stringify(Object.fromEntries(f.ctx.sections))) as Record<string, object>;
    f.ctx.sections.clear();
    for (const [k, v] of Object.entries(restored)) f.ctx.sections.set(k, v);
    const again = await createCognitoIdpService(f.ctx);
    const jwks = jwksOf({ idp: again, poolId: f.poolId });
    await jwtVerify(before.IdToken, jwks, { currentDate: new Date(f.ctx.now()) });
    const call = caller(again);
    const res = await call('AdminInitiateAuth', {
      UserPoolId: f.poolId,
      ClientId: f.clientId,
      AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: 'alice', PASSWORD },
    });
    expect(claimsOf(res.AuthenticationResult.IdToken)['custom:tenant']).toBe('acme');
  });
});
