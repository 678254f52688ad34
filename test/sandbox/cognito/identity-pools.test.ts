import { describe, expect, it } from 'vitest';
import { createCognitoIdentityService, verifyOpenIdToken } from '../../../src/sandbox/cognito/index.js';
import type { PolicyDocument } from '../../../src/policy/types.js';
import { cognitoTrust, ENDPOINT, REGION, roleArn } from './fake-context.js';
import { anonymous, caller, claimsOf, expectError, userPoolFixture, type Json, type UserPoolFixture } from './helpers.js';

const INVALID_CONFIG = 'Invalid identity pool configuration. Check assigned IAM roles for this pool.';

interface IdentityFixture {
  up: UserPoolFixture;
  call: ReturnType<typeof caller>;
  identityPoolId: string;
  providerName: string;
  mappingKey: string;
  /** Signs `username` in, GetId, and returns { identityId, logins }. */
  login(username: string): Promise<{ identityId: string; logins: Record<string, string>; idToken: string }>;
  /** The whole public flow: sign-in, GetId, GetCredentialsForIdentity. */
  credentials(username: string, customRoleArn?: string): Promise<Json>;
  /** Adds an IAM role trusting this identity pool (visible to Cognito after its lag). */
  addRole(name: string, opts?: { tagSession?: boolean; trust?: PolicyDocument }): string;
}

async function identityFixture(opts: { lagCognito?: number; allowUnauthenticated?: boolean; allowClassicFlow?: boolean } = {}): Promise<IdentityFixture> {
  const up = await userPoolFixture({ lagCognito: opts.lagCognito ?? 0 });
  const identity = await createCognitoIdentityService(up.ctx);
  const call = caller(identity);
  const providerName = `cognito-idp.${REGION}.amazonaws.com/${up.poolId}`;
  const created = await call('CreateIdentityPool', {
    IdentityPoolName: 'tenants',
    AllowUnauthenticatedIdentities: opts.allowUnauthenticated ?? false,
    ...(opts.allowClassicFlow !== undefined ? { AllowClassicFlow: opts.allowClassicFlow } : {}),
    CognitoIdentityProviders: [{ ProviderName: providerName, ClientId: up.clientId, ServerSideTokenCheck: false }],
  });
  const identityPoolId = created.IdentityPoolId as string;
  const f: IdentityFixture = {
    up,
    call,
    identityPoolId,
    providerName,
    mappingKey: `${providerName}:${up.clientId}`,
    async login(username) {
      const idToken = (await up.signIn(username)).IdToken as string;
      const logins = { [providerName]: idToken };
      const { IdentityId } = await call('GetId', { IdentityPoolId: identityPoolId, AccountId: '123456789012', Logins: logins }, anonymous);
      return { identityId: IdentityId, logins, idToken };
    },
    async credentials(username, customRoleArn) {
      const { identityId, logins } = await f.login(username);
      return call(
        'GetCredentialsForIdentity',
        { IdentityId: identityId, Logins: logins, ...(customRoleArn ? { CustomRoleArn: customRoleArn } : {}) },
        anonymous,
      );
    },
    addRole(name, o = {}) {
      return up.ctx.addRole(name, o.trust ?? cognitoTrust(identityPoolId, { tagSession: o.tagSession ?? false })).arn;
    },
  };
  return f;
}

describe('identity pools', () => {
  it('creates, describes, updates, lists and deletes identity pools', async () => {
    const f = await identityFixture();
    expect(f.identityPoolId).toMatch(new RegExp(`^${REGION}:[0-9a-f-]{36}$`));
    const described = await f.call('DescribeIdentityPool', { IdentityPoolId: f.identityPoolId });
    expect(described).toMatchObject({
      IdentityPoolName: 'tenants',
      AllowUnauthenticatedIdentities: false,
      CognitoIdentityProviders: [{ ProviderName: f.providerName, ClientId: f.up.clientId, ServerSideTokenCheck: false }],
    });
    expect(described).not.toHaveProperty('AllowClassicFlow');

    const updated = await f.call('UpdateIdentityPool', {
      IdentityPoolId: f.identityPoolId,
      IdentityPoolName: 'renamed',
      AllowUnauthenticatedIdentities: true,
      CognitoIdentityProviders: [{ ProviderName: f.providerName, ClientId: f.up.clientId }],
    });
    expect(updated).toMatchObject({ IdentityPoolName: 'renamed', AllowUnauthenticatedIdentities: true });

    const second = await f.call('CreateIdentityPool', { IdentityPoolName: 'second', AllowUnauthenticatedIdentities: false });
    const page1 = await f.call('ListIdentityPools', { MaxResults: 1 });
    const page2 = await f.call('ListIdentityPools', { MaxResults: 1, NextToken: page1.NextToken });
    expect(page2.NextToken).toBeUndefined();
    expect([...page1.IdentityPools, ...page2.IdentityPools].map((p: Json) => p.IdentityPoolId).sort()).toEqual(
      [f.identityPoolId, second.IdentityPoolId].sort(),
    );

    await f.call('DeleteIdentityPool', { IdentityPoolId: second.IdentityPoolId });
    await expectError(
      f.call('DescribeIdentityPool', { IdentityPoolId: second.IdentityPoolId }),
      'ResourceNotFoundException',
      `IdentityPool '${second.IdentityPoolId}' not found.`,
    );
    await expectError(
      f.call('CreateIdentityPool', {
        IdentityPoolName: 'bad',
        AllowUnauthenticatedIdentities: false,
        CognitoIdentityProviders: [{ ProviderName: 'accounts.google.com', ClientId: 'x' }],
      }),
      'InvalidParameterException',
    );
    await expectError(f.call('ListIdentityPools', { MaxResults: 1 }, anonymous), 'MissingAuthenticationTokenException');
  });

  it('sets and gets roles and role mappings; each call replaces the whole configuration', async () => {
    const f = await identityFixture();
    const auth = f.addRole('authenticated');
    const rules = {
      Type: 'Rules',
      AmbiguousRoleResolution: 'Deny',
      RulesConfiguration: { Rules: [{ Claim: 'custom:tenant', MatchType: 'Equals', Value: 'acme', RoleARN: f.addRole('acme') }] },
    };
    await f.call('SetIdentityPoolRoles', { IdentityPoolId: f.identityPoolId, Roles: { authenticated: auth }, RoleMappings: { [f.mappingKey]: rules } });
    expect(await f.call('GetIdentityPoolRoles', { IdentityPoolId: f.identityPoolId })).toEqual({
      IdentityPoolId: f.identityPoolId,
      Roles: { authenticated: auth },
      RoleMappings: { [f.mappingKey]: rules },
    });
    await f.call('SetIdentityPoolRoles', { IdentityPoolId: f.identityPoolId, Roles: { authenticated: auth } });
    const after = await f.call('GetIdentityPoolRoles', { IdentityPoolId: f.identityPoolId });
    expect(after.RoleMappings).toBeUndefined();
  });

  it('validates roles and mappings as AWS does (role ARNs, 25 rules, 10 providers, providers of the pool)', async () => {
    const f = await identityFixture();
    const set = (input: Record<string, unknown>) => f.call('SetIdentityPoolRoles', { IdentityPoolId: f.identityPoolId, ...input });
    await expectError(set({ Roles: { authenticated: 'isoctl-prod-acme' } }), 'NotAuthorizedException', "Access to Role 'isoctl-prod-acme' is forbidden.");
    await expectError(set({ Roles: { guest: roleArn('x') } }), 'InvalidParameterException');
    await expectError(set({}), 'InvalidParameterException');

    const manyRules = (n: number) => ({
      Type: 'Rules',
      AmbiguousRoleResolution: 'Deny',
      RulesConfiguration: {
        Rules: Array.from({ length: n }, (_, i) => ({ Claim: 'custom:tenant', MatchType: 'Equals', Value: `t${i}`, RoleARN: roleArn(`t${i}`) })),
      },
    });
    for (let i = 0; i < 26; i++) f.addRole(`t${i}`);
    await set({ Roles: {}, RoleMappings: { [f.mappingKey]: manyRules(25) } });
    expect((await f.call('GetIdentityPoolRoles', { IdentityPoolId: f.identityPoolId })).RoleMappings[f.mappingKey].RulesConfiguration.Rules).toHaveLength(25);
    await expectError(set({ Roles: {}, RoleMappings: { [f.mappingKey]: manyRules(26) } }), 'InvalidParameterException', /26 rules; the limit is 25/);
    // The rejected call changed nothing.
    expect((await f.call('GetIdentityPoolRoles', { IdentityPoolId: f.identityPoolId })).RoleMappings[f.mappingKey].RulesConfiguration.Rules).toHaveLength(25);

    const bad = { ...manyRules(1) };
    bad.RulesConfiguration.Rules[0]!.RoleARN = 'not-a-role';
    await expectError(set({ Roles: {}, RoleMappings: { [f.mappingKey]: bad } }), 'NotAuthorizedException', /Access to Role 'not-a-role' is forbidden/);

    const eleven = Object.fromEntries(
      Array.from({ length: 11 }, (_, i) => [`${f.providerName}:client${i}`, { Type: 'Token', AmbiguousRoleResolution: 'Deny' }]),
    );
    await expectError(set({ Roles: {}, RoleMappings: eleven }), 'InvalidParameterException', /less than or equal to 10/);
    await expectError(set({ Roles: {}, RoleMappings: { [f.mappingKey]: { Type: 'Token' } } }), 'InvalidParameterException', /AmbiguousRoleResolution/);
    await expectError(
      set({ Roles: {}, RoleMappings: { [f.mappingKey]: { Type: 'Rules', AmbiguousRoleResolution: 'Deny' } } }),
      'InvalidParameterException',
      /RulesConfiguration/,
    );
    await expectError(
      set({ Roles: {}, RoleMappings: { [`${f.providerName}:someotherclient`]: { Type: 'Token', AmbiguousRoleResolution: 'Deny' } } }),
      'InvalidParameterException',
      /not an identity provider of this identity pool/,
    );
    await expectError(
      f.call('SetIdentityPoolRoles', { IdentityPoolId: `${REGION}:00000000-0000-0000-0000-000000000000`, Roles: {} }),
      'ResourceNotFoundException',
    );
  });

  it('keeps principal-tag attribute maps per provider', async () => {
    const f = await identityFixture();
    const base = { IdentityPoolId: f.identityPoolId, IdentityProviderName: f.providerName };
    expect(await f.call('GetPrincipalTagAttributeMap', base)).toEqual({ ...base, UseDefaults: false, PrincipalTags: {} });
    const set = await f.call('SetPrincipalTagAttributeMap', { ...base, PrincipalTags: { tenant: 'custom:tenant', userid: 'sub' } });
    expect(set).toEqual({ ...base, UseDefaults: false, PrincipalTags: { tenant: 'custom:tenant', userid: 'sub' } });
    expect(await f.call('GetPrincipalTagAttributeMap', base)).toEqual(set);
    const defaults = await f.call('SetPrincipalTagAttributeMap', { ...base, UseDefaults: true });
    expect(defaults.PrincipalTags).toEqual({ username: 'sub', client: 'aud' });
    await expectError(
      f.call('GetPrincipalTagAttributeMap', { IdentityPoolId: f.identityPoolId, IdentityProviderName: 'accounts.google.com' }),
      'ResourceNotFoundException',
    );
  });
});

describe('GetId: verifying the login token', () => {
  it('gives one identity per user, whichever spelling of the provider name is used', async () => {
    const f = await identityFixture();
    await f.up.createUser('alice');
    await f.up.createUser('bob');
    const a1 = await f.login('alice');
    const a2 = await f.login('alice');
    const b = await f.login('bob');
    expect(a1.identityId).toMatch(new RegExp(`^${REGION}:[0-9a-f-]{36}$`));
    expect(a2.identityId).toBe(a1.identityId);
    expect(b.identityId).not.toBe(a1.identityId);
    const sandboxSpelling = `${ENDPOINT.replace('http://', '')}/${f.up.poolId}`;
    const viaIssuer = await f.call('GetId', { IdentityPoolId: f.identityPoolId, Logins: { [sandboxSpelling]: a1.idToken } }, anonymous);
    expect(viaIssuer.IdentityId).toBe(a1.identityId);
  });

  it('refuses forged, expired, foreign-audience, access and unsupported-provider tokens', async () => {
    const f = await identityFixture();
    await f.up.createUser('alice');
    const { IdToken, AccessToken } = await f.up.signIn('alice');
    const getId = (logins: Record<string, string>) => f.call('GetId', { IdentityPoolId: f.identityPoolId, Logins: logins }, anonymous);

    const [h, , s] = (IdToken as string).split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claimsOf(IdToken), 'custom:tenant': 'globex' })).toString('base64url')}.${s}`;
    await expectError(getId({ [f.providerName]: forged }), 'NotAuthorizedException', 'Invalid login token. Not a valid OpenId Connect identity token.');
    await expectError(getId({ [f.providerName]: AccessToken }), 'NotAuthorizedException', /Not a valid OpenId Connect identity token/);
    await expectError(getId({ 'accounts.google.com': IdToken }), 'NotAuthorizedException', 'Token is not from a supported provider of this identity pool.');
    await expectError(getId({}), 'NotAuthorizedException', 'Unauthenticated access is not supported for this identity pool.');

    const other = (
      await f.up.call('CreateUserPoolClient', { UserPoolId: f.up.poolId, ClientName: 'other', ExplicitAuthFlows: ['ALLOW_ADMIN_USER_PASSWORD_AUTH'] })
    ).UserPoolClient;
    const otherToken = (
      await f.up.call('AdminInitiateAuth', {
        UserPoolId: f.up.poolId,
        ClientId: other.ClientId,
        AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: 'alice', PASSWORD: 'Correct-horse-9' },
      })
    ).AuthenticationResult.IdToken;
    await expectError(getId({ [f.providerName]: otherToken }), 'NotAuthorizedException', 'Invalid login token. Incorrect token audience.');

    f.up.ctx.advance(3600_000);
    await expectError(getId({ [f.providerName]: IdToken }), 'NotAuthorizedException', /Invalid login token. Token expired: \d+ >= \d+/);
  });
});

describe('GetCredentialsForIdentity: role resolution, lag, principal tags, trust', () => {
  it('issues credentials for the authenticated role when there is no mapping', async () => {
    const f = await identityFixture();
    const auth = f.addRole('authenticated');
    await f.call('SetIdentityPoolRoles', { IdentityPoolId: f.identityPoolId, Roles: { authenticated: auth } });
    await f.up.createUser('alice');
    const res = await f.credentials('alice');
    expect(res.Credentials).toEqual({
      AccessKeyId: 'ASIAFAKEFAKEFAKEFAKE',
      SecretKey: 'fake-secret',
      SessionToken: 'fake-session-token',
      Expiration: (f.up.ctx.now() + 3600_000) / 1000,
    });
    expect(res.IdentityId).toMatch(/^eu-central-1:/);
    const issued = f.up.ctx.sessions.at(-1)!;
    expect(issued).toMatchObject({ sessionName: 'CognitoIdentityCredentials', sessionTags: {}, durationSeconds: 3600 });
    expect(issued.role.arn).toBe(auth);
  });

  it('Token mapping: preferred role, CustomRoleArn within cognito:roles, ambiguity resolved by the setting', async () => {
    const f = await identityFixture();
    const auth = f.addRole('authenticated');
    const acme = f.addRole('isoctl-prod-acme');
    const globex = f.addRole('isoctl-prod-globex');
    const setMapping = (ambiguous: string) =>
      f.call('SetIdentityPoolRoles', {
        IdentityPoolId: f.identityPoolId,
        Roles: { authenticated: auth },
        RoleMappings: { [f.mappingKey]: { Type: 'Token', AmbiguousRoleResolution: ambiguous } },
      });
    await setMapping('Deny');
    await f.up.call('CreateGroup', { UserPoolId: f.up.poolId, GroupName: 'acme', RoleArn: acme, Precedence: 1 });
    await f.up.call('CreateGroup', { UserPoolId: f.up.poolId, GroupName: 'globex', RoleArn: globex });
    await f.up.createUser('alice', { 'custom:tenant': 'acme' }, ['acme']);
    await f.up.createUser('both', {}, ['acme', 'globex']);
    await f.up.createUser('nobody');

    await f.credentials('alice');
    expect(f.up.ctx.sessions.at(-1)!.role.arn).toBe(acme);
    // 'both' has acme (precedence 1) and globex (none): preferred acme; CustomRoleArn may pick globex.
    await f.credentials('both');
    expect(f.up.ctx.sessions.at(-1)!.role.arn).toBe(acme);
    await f.credentials('both', globex);
    expect(f.up.ctx.sessions.at(-1)!.role.arn).toBe(globex);
    await expectError(f.credentials('alice', globex), 'NotAuthorizedException', /not in the token's cognito:roles/);

    // No role in the token at all: Deny refuses, AuthenticatedRole falls back.
    await expectError(f.credentials('nobody'), 'NotAuthorizedException', `The ambiguous role mapping rules for: ${f.providerName} denied this request.`);
    await setMapping('AuthenticatedRole');
    await f.credentials('nobody');
    expect(f.up.ctx.sessions.at(-1)!.role.arn).toBe(auth);

    // Two roles, same precedence: no preferred role -> ambiguous.
    await f.up.call('UpdateGroup', { UserPoolId: f.up.poolId, GroupName: 'globex', Precedence: 1 });
    await setMapping('Deny');
    await expectError(f.credentials('both'), 'NotAuthorizedException', `The ambiguous role mapping rules for: ${f.providerName} denied this request.`);
  });

  it('Rules mapping: first matching rule, else AmbiguousRoleResolution', async () => {
    const f = await identityFixture();
    const acme = f.addRole('isoctl-prod-acme');
    const globex = f.addRole('isoctl-prod-globex');
    await f.call('SetIdentityPoolRoles', {
      IdentityPoolId: f.identityPoolId,
      Roles: {},
      RoleMappings: {
        [f.mappingKey]: {
          Type: 'Rules',
          AmbiguousRoleResolution: 'Deny',
          RulesConfiguration: {
            Rules: [
              { Claim: 'custom:tenant', MatchType: 'Equals', Value: 'acme', RoleARN: acme },
              { Claim: 'custom:tenant', MatchType: 'Equals', Value: 'globex', RoleARN: globex },
            ],
          },
        },
      },
    });
    await f.up.createUser('alice', { 'custom:tenant': 'acme' });
    await f.up.createUser('gina', { 'custom:tenant': 'globex' });
    await f.up.createUser('ivan', { 'custom:tenant': 'initech' });
    await f.credentials('alice');
    expect(f.up.ctx.sessions.at(-1)!.role.arn).toBe(acme);
    await f.credentials('gina');
    expect(f.up.ctx.sessions.at(-1)!.role.arn).toBe(globex);
    await expectError(f.credentials('ivan'), 'NotAuthorizedException', `The ambiguous role mapping rules for: ${f.providerName} denied this request.`);
    await expectError(f.credentials('alice', globex), 'NotAuthorizedException');
  });

  it('refuses a role Cognito does not see yet: SetIdentityPoolRoles answers as AWS does right after CreateRole', async () => {
    const f = await identityFixture({ lagCognito: 5000 });
    await f.up.createUser('alice');
    const later = roleArn('later');
    // No such role at all, then a role made a moment ago: both refused alike.
    await expectError(
      f.call('SetIdentityPoolRoles', { IdentityPoolId: f.identityPoolId, Roles: { authenticated: later } }),
      'NotAuthorizedException',
      `Access to Role '${later}' is forbidden.`,
    );
    f.addRole('later');
    f.up.ctx.advance(4999);
    await expectError(
      f.call('SetIdentityPoolRoles', { IdentityPoolId: f.identityPoolId, Roles: { authenticated: later } }),
      'NotAuthorizedException',
      `Access to Role '${later}' is forbidden.`,
    );
    const rules = {
      Type: 'Rules',
      AmbiguousRoleResolution: 'Deny',
      RulesConfiguration: { Rules: [{ Claim: 'custom:tenant', MatchType: 'Equals', Value: 'acme', RoleARN: later }] },
    };
    await expectError(
      f.call('SetIdentityPoolRoles', { IdentityPoolId: f.identityPoolId, Roles: {}, RoleMappings: { [f.mappingKey]: rules } }),
      'NotAuthorizedException',
      `Access to Role '${later}' is forbidden.`,
    );
    expect(await f.call('GetIdentityPoolRoles', { IdentityPoolId: f.identityPoolId })).toEqual({ IdentityPoolId: f.identityPoolId, Roles: {} });
    f.up.ctx.advance(1);
    await f.call('SetIdentityPoolRoles', { IdentityPoolId: f.identityPoolId, Roles: { authenticated: later } });
    // The mapping itself shows to the credential path only after the cognito lag.
    await expectError(f.credentials('alice'), 'InvalidIdentityPoolConfigurationException', INVALID_CONFIG);
    f.up.ctx.advance(5000);
    expect((await f.credentials('alice')).Credentials.SessionToken).toBe('fake-session-token');
  });

  it('shows role-mapping changes after the cognito lag', async () => {
    const f = await identityFixture({ lagCognito: 3000 });
    const acme = f.addRole('isoctl-prod-acme');
    const globex = f.addRole('isoctl-prod-globex');
    f.up.ctx.advance(3000); // Cognito sees the roles.
    await f.up.createUser('alice', { 'custom:tenant': 'acme' });
    const mapping = (role: string) => ({
      IdentityPoolId: f.identityPoolId,
      Roles: {},
      RoleMappings: {
        [f.mappingKey]: {
          Type: 'Rules',
          AmbiguousRoleResolution: 'Deny',
          RulesConfiguration: { Rules: [{ Claim: 'custom:tenant', MatchType: 'Equals', Value: 'acme', RoleARN: role }] },
        },
      },
    });
    await f.call('SetIdentityPoolRoles', mapping(acme));
    // Nothing configured yet as far as Cognito's credential path is concerned.
    await expectError(f.credentials('alice'), 'InvalidIdentityPoolConfigurationException');
    f.up.ctx.advance(3000);
    await f.credentials('alice');
    expect(f.up.ctx.sessions.at(-1)!.role.arn).toBe(acme);
    await f.call('SetIdentityPoolRoles', mapping(globex));
    expect((await f.call('GetIdentityPoolRoles', { IdentityPoolId: f.identityPoolId })).RoleMappings[f.mappingKey].RulesConfiguration.Rules[0].RoleARN).toBe(
      globex,
    );
    await f.credentials('alice');
    expect(f.up.ctx.sessions.at(-1)!.role.arn).toBe(acme);
    f.up.ctx.advance(3000);
    await f.credentials('alice');
    expect(f.up.ctx.sessions.at(-1)!.role.arn).toBe(globex);
  });

  it('applies principal tags from the attribute map; the trust policy must allow sts:TagSession', async () => {
    const f = await identityFixture();
    const tagging = f.addRole('tagging', { tagSession: true });
    const plain = f.addRole('plain', { tagSession: false });
    const user = await f.up.createUser('alice', { 'custom:tenant': 'acme' });
    const sub = (user.Attributes as Json[]).find((a) => a.Name === 'sub').Value;

    // No attribute map: no tags, and a trust policy without TagSession is fine.
    await f.call('SetIdentityPoolRoles', { IdentityPoolId: f.identityPoolId, Roles: { authenticated: plain } });
    await f.credentials('alice');
    expect(f.up.ctx.sessions.at(-1)!.sessionTags).toEqual({});

    await f.call('SetPrincipalTagAttributeMap', {
      IdentityPoolId: f.identityPoolId,
      IdentityProviderName: f.providerName,
      PrincipalTags: { tenant: 'custom:tenant', userid: 'sub', missing: 'custom:nothing' },
    });
    // Tags applied now, and the role's trust policy lacks sts:TagSession: refused.
    await expectError(f.credentials('alice'), 'InvalidIdentityPoolConfigurationException', INVALID_CONFIG);

    await f.call('SetIdentityPoolRoles', { IdentityPoolId: f.identityPoolId, Roles: { authenticated: tagging } });
    await f.credentials('alice');
    expect(f.up.ctx.sessions.at(-1)!.sessionTags).toEqual({ tenant: 'acme', userid: sub });

    await f.call('SetPrincipalTagAttributeMap', { IdentityPoolId: f.identityPoolId, IdentityProviderName: f.providerName, UseDefaults: true });
    await f.credentials('alice');
    expect(f.up.ctx.sessions.at(-1)!.sessionTags).toEqual({ username: sub, client: f.up.clientId });
  });

  it('refuses roles whose trust policy does not trust this pool or authenticated identities', async () => {
    const f = await identityFixture();
    const otherPool = f.addRole('other-pool', { trust: cognitoTrust(`${REGION}:11111111-2222-3333-4444-555555555555`) });
    const guestsOnly = f.addRole('guests-only', {
      trust: {
        Version: '2012-10-17',
        Statement: {
          Effect: 'Allow',
          Principal: { Federated: 'cognito-identity.amazonaws.com' },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: {
            StringEquals: { 'cognito-identity.amazonaws.com:aud': f.identityPoolId },
            'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'unauthenticated' },
          },
        },
      },
    });
    const lambda = f.addRole('lambda', {
      trust: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] },
    });
    await f.up.createUser('alice');
    for (const role of [otherPool, guestsOnly, lambda]) {
      await f.call('SetIdentityPoolRoles', { IdentityPoolId: f.identityPoolId, Roles: { authenticated: role } });
      await expectError(f.credentials('alice'), 'InvalidIdentityPoolConfigurationException', INVALID_CONFIG);
    }
    expect(f.up.ctx.sessions).toHaveLength(0);
  });

  it('binds credentials to the identity of the login', async () => {
    const f = await identityFixture();
    const auth = f.addRole('authenticated');
    await f.call('SetIdentityPoolRoles', { IdentityPoolId: f.identityPoolId, Roles: { authenticated: auth } });
    await f.up.createUser('alice');
    await f.up.createUser('bob');
    const alice = await f.login('alice');
    const bob = await f.login('bob');
    await expectError(
      f.call('GetCredentialsForIdentity', { IdentityId: alice.identityId, Logins: bob.logins }, anonymous),
      'NotAuthorizedException',
      "Logins don't match. Please include at least one valid login for this identity or identity pool.",
    );
    await expectError(
      f.call('GetCredentialsForIdentity', { IdentityId: alice.identityId }, anonymous),
      'NotAuthorizedException',
      `Access to Identity '${alice.identityId}' is forbidden.`,
    );
    await expectError(
      f.call('GetCredentialsForIdentity', { IdentityId: `${REGION}:00000000-0000-0000-0000-000000000000` }, anonymous),
      'ResourceNotFoundException',
    );
  });

  it('gives guests the unauthenticated role when the pool allows them', async () => {
    const f = await identityFixture({ allowUnauthenticated: true });
    const guestTrust = cognitoTrust(f.identityPoolId);
    ((guestTrust.Statement as Json[])[0].Condition['ForAnyValue:StringLike'] as Json)['cognito-identity.amazonaws.com:amr'] = 'unauthenticated';
    const guest = f.addRole('guest', { trust: guestTrust });
    await f.call('SetIdentityPoolRoles', { IdentityPoolId: f.identityPoolId, Roles: { unauthenticated: guest } });
    const { IdentityId } = await f.call('GetId', { IdentityPoolId: f.identityPoolId }, anonymous);
    await f.call('GetCredentialsForIdentity', { IdentityId }, anonymous);
    expect(f.up.ctx.sessions.at(-1)!.role.arn).toBe(guest);
  });
});

describe('GetOpenIdToken (basic flow) and verifyOpenIdToken (for STS)', () => {
  it('issues a token STS can verify, with the identity, the pool and the amr', async () => {
    const f = await identityFixture({ allowClassicFlow: true });
    await f.up.createUser('alice');
    const { identityId, logins } = await f.login('alice');
    const sub = claimsOf((await f.up.signIn('alice')).IdToken).sub;
    const { Token, IdentityId } = await f.call('GetOpenIdToken', { IdentityId: identityId, Logins: logins }, anonymous);
    expect(IdentityId).toBe(identityId);
    const verified = await verifyOpenIdToken(f.up.ctx, Token);
    expect(verified).toEqual({
      identityId,
      identityPoolId: f.identityPoolId,
      amr: ['authenticated', f.providerName, `${f.providerName}:CognitoSignIn:${sub}`],
    });
    expect(claimsOf(Token)).toMatchObject({ iss: 'https://cognito-identity.amazonaws.com', aud: f.identityPoolId, sub: identityId });

    const [h, , s] = (Token as string).split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claimsOf(Token), aud: 'other' })).toString('base64url')}.${s}`;
    await expectError(verifyOpenIdToken(f.up.ctx, forged), 'InvalidIdentityToken');
    await expectError(verifyOpenIdToken(f.up.ctx, 'not-a-jwt'), 'InvalidIdentityToken');
    f.up.ctx.advance(600_000);
    await expectError(verifyOpenIdToken(f.up.ctx, Token), 'ExpiredTokenException');
  });

  it('is off unless the pool turns it on (AWS default), and UpdateIdentityPool switches it', async () => {
    const f = await identityFixture();
    await f.up.createUser('alice');
    const first = await f.login('alice');
    expect(await f.call('DescribeIdentityPool', { IdentityPoolId: f.identityPoolId })).not.toHaveProperty('AllowClassicFlow');
    const refused = 'Basic (classic) flow is not enabled, please use enhanced flow.';
    await expectError(f.call('GetOpenIdToken', { IdentityId: first.identityId, Logins: first.logins }, anonymous), 'InvalidParameterException', refused);
    const update = (allow: boolean) =>
      f.call('UpdateIdentityPool', {
        IdentityPoolId: f.identityPoolId,
        IdentityPoolName: 'tenants',
        AllowUnauthenticatedIdentities: false,
        AllowClassicFlow: allow,
        CognitoIdentityProviders: [{ ProviderName: f.providerName, ClientId: f.up.clientId }],
      });
    expect(await update(true)).toMatchObject({ IdentityPoolId: f.identityPoolId, AllowClassicFlow: true });
    expect((await f.call('GetOpenIdToken', { IdentityId: first.identityId, Logins: first.logins }, anonymous)).IdentityId).toBe(first.identityId);
    await update(false);
    await expectError(f.call('GetOpenIdToken', { IdentityId: first.identityId, Logins: first.logins }, anonymous), 'InvalidParameterException', refused);
  });

  it('is refused when the pool disables the basic (classic) flow', async () => {
    const f = await identityFixture({ allowClassicFlow: true });
    await f.call('UpdateIdentityPool', {
      IdentityPoolId: f.identityPoolId,
      IdentityPoolName: 'tenants',
      AllowUnauthenticatedIdentities: false,
      AllowClassicFlow: false,
      CognitoIdentityProviders: [{ ProviderName: f.providerName, ClientId: f.up.clientId }],
    });
    await f.up.createUser('alice');
    const { identityId, logins } = await f.login('alice');
    await expectError(
      f.call('GetOpenIdToken', { IdentityId: identityId, Logins: logins }, anonymous),
      'InvalidParameterException',
      'Basic (classic) flow is not enabled, please use enhanced flow.',
    );
  });
});
