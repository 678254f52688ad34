// What an app client may read and write of a user's attributes, as AWS defines it, and what that
// means for the tenant claim: ID tokens, UpdateUserAttributes, ListUsers filters, principal tags.
import { describe, expect, it } from 'vitest';
import { createCognitoIdentityService } from '../../../src/sandbox/cognito/index.js';
import { cognitoTrust, REGION } from './fake-context.js';
import { anonymous, caller, claimsOf, expectError, PASSWORD, STANDARD_READABLE, userPoolFixture, type Json, type UserPoolFixture } from './helpers.js';

const UNAUTHORIZED_WRITE = 'A client attempted to write unauthorized attribute';

/** A second app client of the fixture's pool, with the given attribute settings. */
async function client(f: UserPoolFixture, settings: { ReadAttributes?: string[]; WriteAttributes?: string[] }): Promise<string> {
  const res = await f.call('CreateUserPoolClient', {
    UserPoolId: f.poolId,
    ClientName: 'other',
    ExplicitAuthFlows: ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
    ...settings,
  });
  return res.UserPoolClient.ClientId as string;
}

async function signIn(f: UserPoolFixture, clientId: string, username: string): Promise<Json> {
  const res = await f.call('InitiateAuth', { ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: username, PASSWORD } }, anonymous);
  return res.AuthenticationResult;
}

describe('ID tokens carry only what the app client may read', () => {
  it('a client without ReadAttributes gets the standard attributes and the *_verified flags, no custom attribute', async () => {
    const f = await userPoolFixture();
    await f.createUser('alice', { email: 'alice@example.com', email_verified: 'true', 'custom:tenant': 'acme' });
    const plain = await client(f, {});
    const claims = claimsOf((await signIn(f, plain, 'alice')).IdToken);
    expect(claims).toMatchObject({ email: 'alice@example.com', email_verified: true, 'cognito:username': 'alice' });
    expect(claims).not.toHaveProperty('custom:tenant');
    // AWS returns ReadAttributes only when it was set.
    expect((await f.call('DescribeUserPoolClient', { UserPoolId: f.poolId, ClientId: plain })).UserPoolClient).not.toHaveProperty('ReadAttributes');
  });

  it('a client that lists the claim gets it; one that lists only some attributes gets only those', async () => {
    const f = await userPoolFixture();
    await f.createUser('alice', { email: 'alice@example.com', 'custom:tenant': 'acme' });
    expect(claimsOf((await signIn(f, f.clientId, 'alice')).IdToken)['custom:tenant']).toBe('acme');
    const narrow = await client(f, { ReadAttributes: ['custom:tenant'] });
    const claims = claimsOf((await signIn(f, narrow, 'alice')).IdToken);
    expect(claims['custom:tenant']).toBe('acme');
    expect(claims).not.toHaveProperty('email');
    expect(claims.sub).toBeTypeOf('string');
  });
});

describe('UpdateUserAttributes: the signed-in user writes only what the client may write', () => {
  it('refuses the tenant claim under AWS default WriteAttributes and under a list without it; admins still set it', async () => {
    const f = await userPoolFixture();
    await f.createUser('alice', { email: 'alice@example.com', email_verified: 'true', 'custom:tenant': 'acme' });
    const bootstrapLike = await client(f, { ReadAttributes: [...STANDARD_READABLE, 'custom:tenant'], WriteAttributes: ['email', 'name'] });
    for (const clientId of [f.clientId, bootstrapLike]) {
      const { AccessToken } = await signIn(f, clientId, 'alice');
      await expectError(
        f.call('UpdateUserAttributes', { AccessToken, UserAttributes: [{ Name: 'custom:tenant', Value: 'globex' }] }, anonymous),
        'NotAuthorizedException',
        UNAUTHORIZED_WRITE,
      );
      // Nothing of a refused call is applied, the writable attribute in it included.
      await expectError(
        f.call(
          'UpdateUserAttributes',
          {
            AccessToken,
            UserAttributes: [
              { Name: 'name', Value: 'Al' },
              { Name: 'custom:tenant', Value: 'globex' },
            ],
          },
          anonymous,
        ),
        'NotAuthorizedException',
      );
      await expectError(
        f.call('UpdateUserAttributes', { AccessToken, UserAttributes: [{ Name: 'email_verified', Value: 'true' }] }, anonymous),
        'NotAuthorizedException',
        UNAUTHORIZED_WRITE,
      );
    }
    const user = await f.call('AdminGetUser', { UserPoolId: f.poolId, Username: 'alice' });
    const attrs = Object.fromEntries(user.UserAttributes.map((a: Json) => [a.Name, a.Value]));
    expect(attrs['custom:tenant']).toBe('acme');
    expect(attrs.name).toBeUndefined();

    const { AccessToken } = await signIn(f, bootstrapLike, 'alice');
    expect(
      await f.call(
        'UpdateUserAttributes',
        {
          AccessToken,
          UserAttributes: [
            { Name: 'name', Value: 'Alice' },
            { Name: 'email', Value: 'al@example.com' },
          ],
        },
        anonymous,
      ),
    ).toEqual({});
    const after = Object.fromEntries(
      (await f.call('AdminGetUser', { UserPoolId: f.poolId, Username: 'alice' })).UserAttributes.map((a: Json) => [a.Name, a.Value]),
    );
    expect(after).toMatchObject({ name: 'Alice', email: 'al@example.com', email_verified: 'false', 'custom:tenant': 'acme' });
    await f.call('AdminUpdateUserAttributes', { UserPoolId: f.poolId, Username: 'alice', UserAttributes: [{ Name: 'custom:tenant', Value: 'globex' }] });
  });

  it('lets a client that lists the claim in WriteAttributes change it (the misconfiguration isoctl refuses)', async () => {
    const f = await userPoolFixture();
    await f.createUser('alice', { 'custom:tenant': 'acme' });
    const writable = await client(f, { ReadAttributes: ['custom:tenant'], WriteAttributes: ['custom:tenant'] });
    const { AccessToken } = await signIn(f, writable, 'alice');
    await f.call('UpdateUserAttributes', { AccessToken, UserAttributes: [{ Name: 'custom:tenant', Value: 'globex' }] }, anonymous);
    expect(claimsOf((await signIn(f, writable, 'alice')).IdToken)['custom:tenant']).toBe('globex');
  });

  it('authenticates with the access token only: ID tokens, forged, expired and disabled users are refused', async () => {
    const f = await userPoolFixture();
    await f.createUser('alice', { 'custom:tenant': 'acme' });
    const { AccessToken, IdToken } = await signIn(f, f.clientId, 'alice');
    const name = [{ Name: 'name', Value: 'x' }];
    await expectError(
      f.call('UpdateUserAttributes', { AccessToken: IdToken, UserAttributes: name }, anonymous),
      'NotAuthorizedException',
      'Invalid Access Token',
    );
    const [h, , s] = (AccessToken as string).split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claimsOf(AccessToken), username: 'bob' })).toString('base64url')}.${s}`;
    await expectError(
      f.call('UpdateUserAttributes', { AccessToken: forged, UserAttributes: name }, anonymous),
      'NotAuthorizedException',
      'Invalid Access Token',
    );
    await f.call('AdminDisableUser', { UserPoolId: f.poolId, Username: 'alice' });
    await expectError(f.call('UpdateUserAttributes', { AccessToken, UserAttributes: name }, anonymous), 'NotAuthorizedException', 'User is disabled.');
    await f.call('AdminEnableUser', { UserPoolId: f.poolId, Username: 'alice' });
    f.ctx.advance(3600_000);
    await expectError(f.call('UpdateUserAttributes', { AccessToken, UserAttributes: name }, anonymous), 'NotAuthorizedException', 'Access Token has expired');
  });
});

describe('ListUsers filters only on searchable attributes', () => {
  it('refuses a filter on a custom attribute (or a non-searchable standard one) with InvalidParameterException', async () => {
    const f = await userPoolFixture();
    await f.createUser('alice', { email: 'alice@example.com', 'custom:tenant': 'acme' });
    await expectError(
      f.call('ListUsers', { UserPoolId: f.poolId, Filter: 'custom:tenant = "acme"' }),
      'InvalidParameterException',
      'Invalid search attribute: custom:tenant',
    );
    await expectError(f.call('ListUsers', { UserPoolId: f.poolId, Filter: 'locale = "en"' }), 'InvalidParameterException', 'Invalid search attribute: locale');
    expect((await f.call('ListUsers', { UserPoolId: f.poolId, Filter: 'email = "alice@example.com"' })).Users).toHaveLength(1);
    expect((await f.call('ListUsers', { UserPoolId: f.poolId, Filter: 'username ^= "al"' })).Users).toHaveLength(1);
  });
});

describe('principal tags come only from claims the token carries', () => {
  it('maps no tenant tag when the client cannot read custom:tenant, and maps it when it can', async () => {
    const f = await userPoolFixture();
    const identity = caller(await createCognitoIdentityService(f.ctx));
    const plain = await client(f, {});
    const providerName = `cognito-idp.${REGION}.amazonaws.com/${f.poolId}`;
    const pool = await identity('CreateIdentityPool', {
      IdentityPoolName: 'tenants',
      AllowUnauthenticatedIdentities: false,
      CognitoIdentityProviders: [
        { ProviderName: providerName, ClientId: f.clientId },
        { ProviderName: providerName, ClientId: plain },
      ],
    });
    const role = f.ctx.addRole('shared', cognitoTrust(pool.IdentityPoolId, { tagSession: true })).arn;
    await identity('SetIdentityPoolRoles', { IdentityPoolId: pool.IdentityPoolId, Roles: { authenticated: role } });
    await identity('SetPrincipalTagAttributeMap', {
      IdentityPoolId: pool.IdentityPoolId,
      IdentityProviderName: providerName,
      UseDefaults: false,
      PrincipalTags: { tenant: 'custom:tenant', userid: 'sub' },
    });
    await f.createUser('alice', { 'custom:tenant': 'acme' });
    const tagsVia = async (clientId: string) => {
      const logins = { [providerName]: (await signIn(f, clientId, 'alice')).IdToken };
      const { IdentityId } = await identity('GetId', { IdentityPoolId: pool.IdentityPoolId, Logins: logins }, anonymous);
      await identity('GetCredentialsForIdentity', { IdentityId, Logins: logins }, anonymous);
      return f.ctx.sessions.at(-1)!.sessionTags;
    };
    const sub = claimsOf((await signIn(f, plain, 'alice')).IdToken).sub;
    expect(await tagsVia(plain)).toEqual({ userid: sub });
    expect(await tagsVia(f.clientId)).toEqual({ tenant: 'acme', userid: sub });
  });
});

describe('UpdateUserPoolClient replaces the client settings, with the same validation as CreateUserPoolClient', () => {
  const FLOWS = ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'];
  it('granting the claim reaches the next ID token; an update that leaves ReadAttributes out restores AWS default (no custom attribute)', async () => {
    const f = await userPoolFixture();
    await f.createUser('alice', { email: 'alice@example.com', 'custom:tenant': 'acme' });
    const id = await client(f, {});
    const before = (await f.call('DescribeUserPoolClient', { UserPoolId: f.poolId, ClientId: id })).UserPoolClient;
    expect(claimsOf((await signIn(f, id, 'alice')).IdToken)).not.toHaveProperty('custom:tenant');

    const updated = (
      await f.call('UpdateUserPoolClient', {
        UserPoolId: f.poolId,
        ClientId: id,
        ExplicitAuthFlows: FLOWS,
        ReadAttributes: [...STANDARD_READABLE, 'custom:tenant'],
        WriteAttributes: ['email'],
      })
    ).UserPoolClient;
    expect(updated).toMatchObject({
      ClientId: id,
      ClientName: 'other',
      UserPoolId: f.poolId,
      ReadAttributes: [...STANDARD_READABLE, 'custom:tenant'],
      WriteAttributes: ['email'],
    });
    expect(updated.CreationDate).toEqual(before.CreationDate);
    expect((await f.call('DescribeUserPoolClient', { UserPoolId: f.poolId, ClientId: id })).UserPoolClient).toEqual(updated);
    expect(claimsOf((await signIn(f, id, 'alice')).IdToken)['custom:tenant']).toBe('acme');

    // Not given = AWS's default, not "unchanged": the claim is gone again, and so are the auth flows.
    const reset = (await f.call('UpdateUserPoolClient', { UserPoolId: f.poolId, ClientId: id, ClientName: 'renamed', ExplicitAuthFlows: FLOWS }))
      .UserPoolClient;
    expect(reset.ClientName).toBe('renamed');
    expect(reset).not.toHaveProperty('ReadAttributes');
    expect(reset).not.toHaveProperty('WriteAttributes');
    expect(claimsOf((await signIn(f, id, 'alice')).IdToken)).not.toHaveProperty('custom:tenant');
    const noFlows = (await f.call('UpdateUserPoolClient', { UserPoolId: f.poolId, ClientId: id })).UserPoolClient;
    expect(noFlows.ExplicitAuthFlows).toEqual(['ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_CUSTOM_AUTH']);
  });

  it('WriteAttributes granted by an update let the user write the claim (what init and doctor refuse); the refusal comes back with the next update', async () => {
    const f = await userPoolFixture();
    await f.createUser('alice', { 'custom:tenant': 'acme' });
    const id = await client(f, {});
    await f.call('UpdateUserPoolClient', { UserPoolId: f.poolId, ClientId: id, ExplicitAuthFlows: FLOWS, WriteAttributes: ['custom:tenant'] });
    const { AccessToken } = await signIn(f, id, 'alice');
    expect(await f.call('UpdateUserAttributes', { AccessToken, UserAttributes: [{ Name: 'custom:tenant', Value: 'globex' }] }, anonymous)).toEqual({});
    await f.call('UpdateUserPoolClient', { UserPoolId: f.poolId, ClientId: id, ExplicitAuthFlows: FLOWS, WriteAttributes: ['email'] });
    await expectError(
      f.call('UpdateUserAttributes', { AccessToken, UserAttributes: [{ Name: 'custom:tenant', Value: 'acme' }] }, anonymous),
      'NotAuthorizedException',
      UNAUTHORIZED_WRITE,
    );
  });

  it('refuses an unknown attribute, bad flows or validity, and a client that does not exist; nothing changes', async () => {
    const f = await userPoolFixture();
    const id = await client(f, { ReadAttributes: ['email'] });
    await expectError(
      f.call('UpdateUserPoolClient', { UserPoolId: f.poolId, ClientId: id, ReadAttributes: ['custom:nope'] }),
      'InvalidParameterException',
      'Invalid read/write attribute specified: custom:nope',
    );
    await expectError(
      f.call('UpdateUserPoolClient', { UserPoolId: f.poolId, ClientId: id, ExplicitAuthFlows: ['USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH'] }),
      'InvalidParameterException',
    );
    await expectError(
      f.call('UpdateUserPoolClient', { UserPoolId: f.poolId, ClientId: id, IdTokenValidity: 2, TokenValidityUnits: { IdToken: 'days' } }),
      'InvalidParameterException',
    );
    await expectError(f.call('UpdateUserPoolClient', { UserPoolId: f.poolId, ClientId: 'nosuchclient0000000000000' }), 'ResourceNotFoundException');
    expect((await f.call('DescribeUserPoolClient', { UserPoolId: f.poolId, ClientId: id })).UserPoolClient.ReadAttributes).toEqual(['email']);
  });
});
