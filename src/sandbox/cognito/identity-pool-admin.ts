// Identity pools themselves: CreateIdentityPool, DescribeIdentityPool, UpdateIdentityPool,
// DeleteIdentityPool, ListIdentityPools, and their principal-tag attribute maps
// (SetPrincipalTagAttributeMap, GetPrincipalTagAttributeMap). The credential flow is in
// identity-pools.ts, the roles and role mappings in identity-pool-roles.ts.
import { randomUUID } from 'node:crypto';
import { SandboxError, type SandboxContext } from '../contract.js';
import { freshId, poolsPage } from './pool-listing.js';
import { canonicalProvider, userPoolOfProvider } from './provider-names.js';
import { latest, recordVersion, type CognitoIdentityProviderConfig, type IdentityPoolRecord, type IdentityState, type PrincipalTagMap } from './state.js';
import { invalid, optArray, optBool, optString, optStringArray, optStringMap, PATTERNS, reqBool, reqString, type Input } from './validate.js';

/** The principal tags UseDefaults applies for a Cognito user pool provider. */
export const DEFAULT_PRINCIPAL_TAGS: Record<string, string> = { username: 'sub', client: 'aud' };

export function poolAdminHandlers(
  ctx: SandboxContext,
  state: IdentityState,
  poolOf: (input: Input) => IdentityPoolRecord,
): Record<string, (input: Input) => unknown> {
  function describePool(pool: IdentityPoolRecord): Record<string, unknown> {
    return {
      IdentityPoolId: pool.IdentityPoolId,
      IdentityPoolName: pool.IdentityPoolName,
      AllowUnauthenticatedIdentities: pool.AllowUnauthenticatedIdentities,
      ...(pool.AllowClassicFlow !== undefined ? { AllowClassicFlow: pool.AllowClassicFlow } : {}),
      SupportedLoginProviders: pool.SupportedLoginProviders ?? {},
      ...(pool.DeveloperProviderName !== undefined ? { DeveloperProviderName: pool.DeveloperProviderName } : {}),
      OpenIdConnectProviderARNs: pool.OpenIdConnectProviderARNs ?? [],
      CognitoIdentityProviders: pool.CognitoIdentityProviders ?? [],
      SamlProviderARNs: pool.SamlProviderARNs ?? [],
      IdentityPoolTags: pool.IdentityPoolTags ?? {},
    };
  }

  function poolConfig(input: Input): Omit<IdentityPoolRecord, 'IdentityPoolId' | 'CreationDate' | 'roles' | 'principalTags' | 'identities' | 'loginIndex'> {
    const name = reqString(input, 'IdentityPoolName', { min: 1, max: 128, pattern: PATTERNS.identityPoolName });
    const allowUnauth = reqBool(input, 'AllowUnauthenticatedIdentities');
    const allowClassic = optBool(input, 'AllowClassicFlow');
    const supported = optStringMap(input, 'SupportedLoginProviders', { max: 10 });
    const developer = optString(input, 'DeveloperProviderName', { min: 1, max: 128, pattern: '[\\w._-]+' });
    const oidc = optStringArray(input, 'OpenIdConnectProviderARNs');
    const saml = optStringArray(input, 'SamlProviderARNs');
    const tags = optStringMap(input, 'IdentityPoolTags');
    const providers: CognitoIdentityProviderConfig[] = [];
    const seen = new Set<string>();
    for (const raw of optArray(input, 'CognitoIdentityProviders') ?? []) {
      const p = (raw ?? {}) as Input;
      const providerName = reqString(p, 'ProviderName', { min: 1, max: 128, pattern: PATTERNS.cognitoProviderName });
      const clientId = optString(p, 'ClientId', { min: 1, max: 128, pattern: PATTERNS.cognitoProviderClientId });
      const check = optBool(p, 'ServerSideTokenCheck');
      if (!userPoolOfProvider(providerName))
        throw invalid(`${providerName} is not a valid Cognito user pool provider name (expected cognito-idp.<region>.amazonaws.com/<userPoolId>).`);
      const key = `${canonicalProvider(providerName)}:${clientId ?? ''}`;
      if (seen.has(key)) throw invalid(`Duplicate provider: ${providerName} with client ${clientId ?? ''}`);
      seen.add(key);
      providers.push({ ProviderName: providerName, ...(clientId !== undefined ? { ClientId: clientId } : {}), ServerSideTokenCheck: check ?? false });
    }
    return {
      IdentityPoolName: name,
      AllowUnauthenticatedIdentities: allowUnauth,
      ...(allowClassic !== undefined ? { AllowClassicFlow: allowClassic } : {}),
      ...(supported ? { SupportedLoginProviders: supported } : {}),
      ...(developer !== undefined ? { DeveloperProviderName: developer } : {}),
      ...(oidc ? { OpenIdConnectProviderARNs: oidc } : {}),
      ...(providers.length > 0 ? { CognitoIdentityProviders: providers } : {}),
      ...(saml ? { SamlProviderARNs: saml } : {}),
      ...(tags ? { IdentityPoolTags: tags } : {}),
    };
  }

  function createIdentityPool(input: Input) {
    const config = poolConfig(input);
    const id = freshId(
      () => `${ctx.region}:${randomUUID()}`,
      (candidate) => !!state.pools[candidate],
    );
    const pool: IdentityPoolRecord = { IdentityPoolId: id, ...config, CreationDate: ctx.now(), principalTags: {}, identities: {}, loginIndex: {} };
    state.pools[id] = pool;
    ctx.save();
    return describePool(pool);
  }

  function updateIdentityPool(input: Input) {
    const pool = poolOf(input);
    const config = poolConfig(input);
    for (const k of [
      'AllowClassicFlow',
      'SupportedLoginProviders',
      'DeveloperProviderName',
      'OpenIdConnectProviderARNs',
      'CognitoIdentityProviders',
      'SamlProviderARNs',
    ] as const)
      delete pool[k];
    Object.assign(pool, config);
    ctx.save();
    return describePool(pool);
  }

  function deleteIdentityPool(input: Input) {
    const pool = poolOf(input);
    for (const id of Object.keys(pool.identities)) delete state.identityIndex[id];
    delete state.pools[pool.IdentityPoolId];
    ctx.save();
    return {};
  }

  function listIdentityPools(input: Input) {
    const { page, nextToken } = poolsPage(input, Object.values(state.pools), (p) => p.IdentityPoolId, 'identity-pools', 65535);
    return {
      IdentityPools: page.map((p) => ({ IdentityPoolId: p.IdentityPoolId, IdentityPoolName: p.IdentityPoolName })),
      ...(nextToken ? { NextToken: nextToken } : {}),
    };
  }

  // ---- principal-tag attribute maps ------------------------------------------------------------

  function providerOf(pool: IdentityPoolRecord, input: Input): { name: string; canonical: string } {
    const name = reqString(input, 'IdentityProviderName', { min: 1, max: 128 });
    const canonical = canonicalProvider(name);
    const known =
      (pool.CognitoIdentityProviders ?? []).some((p) => canonicalProvider(p.ProviderName) === canonical) ||
      Object.keys(pool.SupportedLoginProviders ?? {}).includes(name) ||
      [...(pool.OpenIdConnectProviderARNs ?? []), ...(pool.SamlProviderARNs ?? [])].includes(name);
    if (!known)
      throw new SandboxError('ResourceNotFoundException', `Identity provider '${name}' is not configured for identity pool '${pool.IdentityPoolId}'.`);
    return { name, canonical };
  }

  function setPrincipalTagAttributeMap(input: Input) {
    const pool = poolOf(input);
    const provider = providerOf(pool, input);
    const useDefaults = optBool(input, 'UseDefaults') ?? false;
    const tags = optStringMap(input, 'PrincipalTags', { max: 50 }) ?? {};
    for (const [k, v] of Object.entries(tags)) {
      if (k.length < 1 || k.length > 128) throw invalid(`Principal tag key '${k}' must be 1 to 128 characters long.`);
      if (v.length < 1 || v.length > 256) throw invalid(`Principal tag '${k}' must name a claim of 1 to 256 characters.`);
    }
    const map: PrincipalTagMap = { UseDefaults: useDefaults, PrincipalTags: useDefaults ? { ...DEFAULT_PRINCIPAL_TAGS } : tags };
    pool.principalTags[provider.canonical] = recordVersion(ctx, pool.principalTags[provider.canonical], map);
    ctx.save();
    return { IdentityPoolId: pool.IdentityPoolId, IdentityProviderName: provider.name, UseDefaults: map.UseDefaults, PrincipalTags: map.PrincipalTags };
  }

  function getPrincipalTagAttributeMap(input: Input) {
    const pool = poolOf(input);
    const provider = providerOf(pool, input);
    const map = latest(pool.principalTags[provider.canonical]);
    return {
      IdentityPoolId: pool.IdentityPoolId,
      IdentityProviderName: provider.name,
      UseDefaults: map?.UseDefaults ?? false,
      PrincipalTags: map?.PrincipalTags ?? {},
    };
  }

  return {
    CreateIdentityPool: createIdentityPool,
    DescribeIdentityPool: (i) => describePool(poolOf(i)),
    UpdateIdentityPool: updateIdentityPool,
    DeleteIdentityPool: deleteIdentityPool,
    ListIdentityPools: listIdentityPools,
    SetPrincipalTagAttributeMap: setPrincipalTagAttributeMap,
    GetPrincipalTagAttributeMap: getPrincipalTagAttributeMap,
  };
}
