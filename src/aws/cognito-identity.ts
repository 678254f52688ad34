// Cognito Identity (identity pools): role mappings, the principal-tag attribute map, and the
// public sign-in path of a probe (GetId -> GetCredentialsForIdentity).
import type { CognitoIdentityClient } from '@aws-sdk/client-cognito-identity';
import type { AwsClients, StaticCredentials } from './clients.js';
import { call, orUndefined } from './call.js';

export interface MappingRule {
  Claim: string;
  MatchType: 'Equals' | 'Contains' | 'StartsWith' | 'NotEqual';
  Value: string;
  RoleArn: string;
}

export interface RoleMapping {
  Type: 'Token' | 'Rules';
  AmbiguousRoleResolution?: 'AuthenticatedRole' | 'Deny' | undefined;
  RulesConfiguration?: { Rules: MappingRule[] } | undefined;
}

/** The whole of an identity pool's role configuration: SetIdentityPoolRoles replaces all of it. */
export interface IdentityPoolRoles {
  /** e.g. { authenticated: arn, unauthenticated: arn } */
  Roles: Record<string, string>;
  /** provider name ("cognito-idp.<region>.amazonaws.com/<pool>:<client>") -> mapping */
  RoleMappings: Record<string, RoleMapping>;
}

export interface PrincipalTagMap {
  useDefaults: boolean;
  /** tag key -> token claim */
  principalTags: Record<string, string>;
}

export interface IdentityPoolInfo {
  id: string;
  name: string | undefined;
  allowUnauthenticated: boolean;
  /** The basic (classic) flow: GetOpenIdToken + the caller's own AssumeRoleWithWebIdentity on any role trusting the pool. */
  allowClassicFlow?: boolean;
  /** provider names of the configured Cognito user pool clients */
  cognitoProviders: Array<{ providerName: string; clientId: string }>;
}

export interface TemporaryCredentials extends StaticCredentials {
  sessionToken: string;
  expiration: string | undefined;
}

export interface CognitoIdentityApi {
  describeIdentityPool(identityPoolId: string): Promise<IdentityPoolInfo | undefined>;
  getIdentityPoolRoles(identityPoolId: string): Promise<IdentityPoolRoles>;
  setIdentityPoolRoles(identityPoolId: string, roles: IdentityPoolRoles): Promise<void>;
  getPrincipalTagAttributeMap(identityPoolId: string, providerName: string): Promise<PrincipalTagMap | undefined>;
  setPrincipalTagAttributeMap(identityPoolId: string, providerName: string, map: PrincipalTagMap): Promise<void>;
  /** The identity id for a signed-in user (public API: the id token is the credential). */
  getId(identityPoolId: string, accountId: string, logins: Record<string, string>): Promise<string>;
  getCredentialsForIdentity(identityId: string, logins: Record<string, string>, customRoleArn?: string): Promise<TemporaryCredentials>;
}

/** The provider name an identity pool uses for a user pool app client. */
export function cognitoProviderName(region: string, userPoolId: string): string {
  return `cognito-idp.${region}.amazonaws.com/${userPoolId}`;
}

/** The RoleMappings key for a user pool app client. */
export function roleMappingKey(region: string, userPoolId: string, clientId: string): string {
  return `${cognitoProviderName(region, userPoolId)}:${clientId}`;
}

export function cognitoIdentityApi(clients: AwsClients): CognitoIdentityApi {
  type Sdk = typeof import('@aws-sdk/client-cognito-identity');
  let sdkP: Promise<[Sdk, CognitoIdentityClient]> | undefined;
  const sdk = () => (sdkP ??= Promise.all([import('@aws-sdk/client-cognito-identity'), clients.cognitoIdentity()]));
  const run = async <T>(operation: string, fn: (m: Sdk, c: CognitoIdentityClient) => Promise<T>): Promise<T> => {
    const [m, c] = await sdk();
    return call('cognito-identity', operation, () => fn(m, c));
  };

  return {
    describeIdentityPool: (identityPoolId) =>
      orUndefined(
        run('DescribeIdentityPool', async (m, c) => {
          const res = await c.send(new m.DescribeIdentityPoolCommand({ IdentityPoolId: identityPoolId }));
          return {
            id: res.IdentityPoolId ?? identityPoolId,
            name: res.IdentityPoolName,
            allowUnauthenticated: res.AllowUnauthenticatedIdentities === true,
            allowClassicFlow: res.AllowClassicFlow === true,
            cognitoProviders: (res.CognitoIdentityProviders ?? []).map((p) => ({ providerName: p.ProviderName ?? '', clientId: p.ClientId ?? '' })),
          };
        }),
      ),
    getIdentityPoolRoles: (identityPoolId) =>
      run('GetIdentityPoolRoles', async (m, c) => {
        const res = await c.send(new m.GetIdentityPoolRolesCommand({ IdentityPoolId: identityPoolId }));
        const mappings: Record<string, RoleMapping> = {};
        for (const [k, v] of Object.entries(res.RoleMappings ?? {})) {
          const mapping: RoleMapping = { Type: (v.Type as RoleMapping['Type']) ?? 'Token' };
          if (v.AmbiguousRoleResolution) mapping.AmbiguousRoleResolution = v.AmbiguousRoleResolution as RoleMapping['AmbiguousRoleResolution'];
          if (v.RulesConfiguration)
            mapping.RulesConfiguration = {
              Rules: (v.RulesConfiguration.Rules ?? []).map((r) => ({
                Claim: r.Claim ?? '',
                MatchType: (r.MatchType as MappingRule['MatchType']) ?? 'Equals',
                Value: r.Value ?? '',
                RoleArn: r.RoleARN ?? '',
              })),
            };
          mappings[k] = mapping;
        }
        return { Roles: { ...(res.Roles ?? {}) }, RoleMappings: mappings };
      }),
    setIdentityPoolRoles: (identityPoolId, roles) =>
      run('SetIdentityPoolRoles', async (m, c) => {
        const mappings: Record<string, import('@aws-sdk/client-cognito-identity').RoleMapping> = {};
        for (const [k, v] of Object.entries(roles.RoleMappings)) {
          mappings[k] = {
            Type: v.Type,
            AmbiguousRoleResolution: v.AmbiguousRoleResolution,
            RulesConfiguration: v.RulesConfiguration
              ? { Rules: v.RulesConfiguration.Rules.map((r) => ({ Claim: r.Claim, MatchType: r.MatchType, Value: r.Value, RoleARN: r.RoleArn })) }
              : undefined,
          };
        }
        await c.send(new m.SetIdentityPoolRolesCommand({ IdentityPoolId: identityPoolId, Roles: roles.Roles, RoleMappings: mappings }));
      }),
    getPrincipalTagAttributeMap: (identityPoolId, providerName) =>
      orUndefined(
        run('GetPrincipalTagAttributeMap', async (m, c) => {
          const res = await c.send(new m.GetPrincipalTagAttributeMapCommand({ IdentityPoolId: identityPoolId, IdentityProviderName: providerName }));
          return { useDefaults: res.UseDefaults === true, principalTags: { ...(res.PrincipalTags ?? {}) } };
        }),
      ),
    setPrincipalTagAttributeMap: (identityPoolId, providerName, map) =>
      run('SetPrincipalTagAttributeMap', async (m, c) => {
        await c.send(
          new m.SetPrincipalTagAttributeMapCommand({
            IdentityPoolId: identityPoolId,
            IdentityProviderName: providerName,
            UseDefaults: map.useDefaults,
            PrincipalTags: map.principalTags,
          }),
        );
      }),
    getId: (identityPoolId, accountId, logins) =>
      run('GetId', async (m, c) => {
        const res = await c.send(new m.GetIdCommand({ IdentityPoolId: identityPoolId, AccountId: accountId, Logins: logins }));
        if (!res.IdentityId) throw Object.assign(new Error('GetId returned no IdentityId'), { name: 'InternalErrorException' });
        return res.IdentityId;
      }),
    getCredentialsForIdentity: (identityId, logins, customRoleArn) =>
      run('GetCredentialsForIdentity', async (m, c) => {
        const res = await c.send(new m.GetCredentialsForIdentityCommand({ IdentityId: identityId, Logins: logins, CustomRoleArn: customRoleArn }));
        const cr = res.Credentials;
        if (!cr?.AccessKeyId || !cr.SecretKey || !cr.SessionToken)
          throw Object.assign(new Error('GetCredentialsForIdentity returned no credentials'), { name: 'InternalErrorException' });
        return {
          accessKeyId: cr.AccessKeyId,
          secretAccessKey: cr.SecretKey,
          sessionToken: cr.SessionToken,
          expiration: cr.Expiration ? new Date(cr.Expiration).toISOString() : undefined,
        };
      }),
  };
}
