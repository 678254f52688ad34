// Cognito Identity (awsJson1_1, target prefix AWSCognitoIdentityService.): the public credential
// flow GetId -> GetCredentialsForIdentity (enhanced flow) or GetId -> GetOpenIdToken (basic flow),
// DescribeIdentity, and the dispatch. The pools and their principal-tag maps are in
// identity-pool-admin.ts, their roles and role mappings in identity-pool-roles.ts.
import { randomUUID } from 'node:crypto';
import { SandboxError, type Caller, type JsonService, type SandboxContext } from '../contract.js';
import { poolAdminHandlers } from './identity-pool-admin.js';
import { poolRoleHandlers } from './identity-pool-roles.js';
import { freshId } from './pool-listing.js';
import { canonicalMappingKey, canonicalProvider, userPoolOfProvider } from './provider-names.js';
import { INVALID_CONFIGURATION, resolveRole } from './role-resolution.js';
import { cognitoView, identityState, idpState, type IdentityPoolRecord, type IdentityRecord } from './state.js';
import { issueOpenIdToken, OPENID_TOKEN_SECONDS, verifyUserPoolIdToken } from './tokens.js';
import { checkTrust, defaultTrustEvaluator, type TrustEvaluator } from './trust.js';
import { epochSeconds, invalid, optString, optStringMap, PATTERNS, reqString, type Input } from './validate.js';

const PUBLIC_OPERATIONS = new Set(['GetId', 'GetOpenIdToken', 'GetCredentialsForIdentity']);
const READ_OPERATIONS = new Set([
  'DescribeIdentityPool',
  'ListIdentityPools',
  'GetIdentityPoolRoles',
  'GetPrincipalTagAttributeMap',
  'DescribeIdentity',
  'GetOpenIdToken',
  'GetCredentialsForIdentity',
]);

export { MAX_RULES_PER_MAPPING, MAX_ROLE_MAPPINGS } from './identity-pool-roles.js';
export { DEFAULT_PRINCIPAL_TAGS } from './identity-pool-admin.js';
const SESSION_SECONDS = 3600;

export interface CognitoIdentityOptions {
  /** The trust-policy evaluator (defaults to src/policy's evaluateTrust). */
  evaluateTrust?: TrustEvaluator;
}

interface VerifiedLogin {
  /** Canonical provider name. */
  provider: string;
  sub: string;
  clientId: string;
  claims: Record<string, unknown>;
}

export function createCognitoIdentityService(ctx: SandboxContext, options: CognitoIdentityOptions = {}): Promise<JsonService> {
  const state = identityState(ctx);
  const evaluateTrust = options.evaluateTrust ?? defaultTrustEvaluator;

  // ---- lookups -------------------------------------------------------------------------------

  function poolIdOf(input: Input): string {
    return reqString(input, 'IdentityPoolId', { min: 1, max: 55, pattern: PATTERNS.identityPoolId });
  }

  function poolOf(input: Input): IdentityPoolRecord {
    const id = poolIdOf(input);
    const pool = state.pools[id];
    if (!pool) throw new SandboxError('ResourceNotFoundException', `IdentityPool '${id}' not found.`);
    return pool;
  }

  function identityOf(input: Input): { pool: IdentityPoolRecord; identity: IdentityRecord } {
    const id = reqString(input, 'IdentityId', { min: 1, max: 55, pattern: PATTERNS.identityId });
    const poolId = state.identityIndex[id];
    const pool = poolId ? state.pools[poolId] : undefined;
    const identity = pool?.identities[id];
    if (!pool || !identity) throw new SandboxError('ResourceNotFoundException', `Identity '${id}' not found.`);
    return { pool, identity };
  }

  // ---- access ----------------------------------------------------------------------------------

  function authorize(operation: string, caller: Caller, input: Input): void {
    // An IAM user's call was already judged by its policies (control-plane/authorize.ts).
    if (PUBLIC_OPERATIONS.has(operation) || caller.kind === 'admin' || caller.kind === 'user') return;
    if (caller.kind === 'anonymous') throw new SandboxError('MissingAuthenticationTokenException', 'Missing Authentication Token');
    const poolId = typeof input.IdentityPoolId === 'string' ? input.IdentityPoolId : '*';
    const resource = `arn:aws:cognito-identity:${ctx.region}:${ctx.accountId}:identitypool/${poolId}`;
    throw new SandboxError(
      'AccessDeniedException',
      `User: ${caller.arn} is not authorized to perform: cognito-identity:${operation} on resource: ${resource} because no identity-based policy allows the cognito-identity:${operation} action`,
    );
  }

  // ---- logins ----------------------------------------------------------------------------------

  async function verifyLogin(pool: IdentityPoolRecord, key: string, token: string): Promise<VerifiedLogin> {
    const userPoolId = userPoolOfProvider(key);
    const provider = canonicalProvider(key);
    const configured = (pool.CognitoIdentityProviders ?? []).filter((p) => canonicalProvider(p.ProviderName) === provider);
    if (!userPoolId || configured.length === 0)
      throw new SandboxError('NotAuthorizedException', 'Token is not from a supported provider of this identity pool.');
    const clientIds = configured.map((p) => p.ClientId).filter((c): c is string => !!c);
    const claims = await verifyUserPoolIdToken(ctx, token, userPoolId, clientIds);
    const sub = claims.sub as string;
    const clientId = claims.aud as string;
    if (configured.some((p) => p.ClientId === clientId && p.ServerSideTokenCheck)) {
      const userPool = idpState(ctx).pools[userPoolId];
      const user = userPool && Object.values(userPool.users).find((u) => u.sub === sub);
      const signedOut = user?.signedOutAt !== undefined && typeof claims.iat === 'number' && claims.iat <= user.signedOutAt;
      if (!user || !user.enabled || signedOut)
        throw new SandboxError('NotAuthorizedException', 'Invalid login token. Token is revoked or the user no longer exists.');
    }
    return { provider, sub, clientId, claims };
  }

  async function verifyLogins(pool: IdentityPoolRecord, logins: Record<string, string>): Promise<VerifiedLogin[]> {
    const out: VerifiedLogin[] = [];
    for (const [key, token] of Object.entries(logins)) out.push(await verifyLogin(pool, key, token));
    return out;
  }

  function loginKey(l: VerifiedLogin): string {
    return `${l.provider} ${l.sub}`;
  }

  function newIdentity(pool: IdentityPoolRecord): IdentityRecord {
    const id = freshId(
      () => `${ctx.region}:${randomUUID()}`,
      (candidate) => !!state.identityIndex[candidate],
    );
    const t = ctx.now();
    const identity: IdentityRecord = { IdentityId: id, logins: {}, CreationDate: t, LastModifiedDate: t };
    pool.identities[id] = identity;
    state.identityIndex[id] = pool.IdentityPoolId;
    return identity;
  }

  async function getId(input: Input) {
    const pool = poolOf(input);
    const accountId = optString(input, 'AccountId', { min: 1, max: 15, pattern: '\\d+' });
    if (accountId !== undefined && accountId !== ctx.accountId)
      throw new SandboxError('NotAuthorizedException', `Account ${accountId} does not own identity pool ${pool.IdentityPoolId}.`);
    const logins = optStringMap(input, 'Logins', { max: 10 }) ?? {};
    if (Object.keys(logins).length === 0) {
      if (!pool.AllowUnauthenticatedIdentities)
        throw new SandboxError('NotAuthorizedException', 'Unauthenticated access is not supported for this identity pool.');
      const identity = newIdentity(pool);
      ctx.save();
      return { IdentityId: identity.IdentityId };
    }
    const verified = await verifyLogins(pool, logins);
    const linked = [...new Set(verified.map((l) => pool.loginIndex[loginKey(l)]).filter((id): id is string => !!id && !!pool.identities[id]))];
    if (linked.length > 1) throw new SandboxError('ResourceConflictException', 'The logins belong to different identities.');
    const identity = linked[0] ? pool.identities[linked[0]]! : newIdentity(pool);
    let changed = !linked[0];
    for (const l of verified) {
      if (identity.logins[l.provider] !== l.sub) {
        identity.logins[l.provider] = l.sub;
        pool.loginIndex[loginKey(l)] = identity.IdentityId;
        changed = true;
      }
    }
    if (changed) {
      identity.LastModifiedDate = ctx.now();
      ctx.save();
    }
    return { IdentityId: identity.IdentityId };
  }

  /** Checks the Logins of a call on an existing identity; returns the verified logins (empty for a guest). */
  async function loginsFor(pool: IdentityPoolRecord, identity: IdentityRecord, input: Input): Promise<VerifiedLogin[]> {
    const logins = optStringMap(input, 'Logins', { max: 10 }) ?? {};
    const authenticated = Object.keys(identity.logins).length > 0;
    if (Object.keys(logins).length === 0) {
      if (authenticated) throw new SandboxError('NotAuthorizedException', `Access to Identity '${identity.IdentityId}' is forbidden.`);
      if (!pool.AllowUnauthenticatedIdentities)
        throw new SandboxError('NotAuthorizedException', 'Unauthenticated access is not supported for this identity pool.');
      return [];
    }
    const verified = await verifyLogins(pool, logins);
    for (const l of verified)
      if (pool.loginIndex[loginKey(l)] !== identity.IdentityId)
        throw new SandboxError('NotAuthorizedException', "Logins don't match. Please include at least one valid login for this identity or identity pool.");
    return verified;
  }

  function amrOf(verified: VerifiedLogin[]): string[] {
    if (verified.length === 0) return ['unauthenticated'];
    const amr = ['authenticated'];
    for (const l of verified) amr.push(l.provider, `${l.provider}:CognitoSignIn:${l.sub}`);
    return amr;
  }

  async function getOpenIdToken(input: Input) {
    const { pool, identity } = identityOf(input);
    // Off unless the pool turned it on: AWS's default for AllowClassicFlow (botocore, CreateIdentityPoolInput).
    if (pool.AllowClassicFlow !== true) throw invalid('Basic (classic) flow is not enabled, please use enhanced flow.');
    const verified = await loginsFor(pool, identity, input);
    const token = await issueOpenIdToken(
      ctx,
      { identityId: identity.IdentityId, identityPoolId: pool.IdentityPoolId, amr: amrOf(verified) },
      OPENID_TOKEN_SECONDS,
    );
    return { IdentityId: identity.IdentityId, Token: token };
  }

  // ---- credentials -----------------------------------------------------------------------------

  function principalTagsFor(pool: IdentityPoolRecord, login: VerifiedLogin): Record<string, string> {
    const map = cognitoView(ctx, pool.principalTags[login.provider]);
    if (!map) return {};
    const tags: Record<string, string> = {};
    for (const [tag, claim] of Object.entries(map.PrincipalTags)) {
      const value = login.claims[claim];
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
        const s = String(value);
        if (s.length > 0 && s.length <= 256) tags[tag] = s;
      }
    }
    return tags;
  }

  async function getCredentialsForIdentity(input: Input) {
    const { pool, identity } = identityOf(input);
    const customRoleArn = optString(input, 'CustomRoleArn', { min: 20, max: 2048 });
    const verified = await loginsFor(pool, identity, input);
    const config = cognitoView(ctx, pool.roles);
    const identityRef = { identityPoolId: pool.IdentityPoolId, identityId: identity.IdentityId, amr: amrOf(verified) };

    let roleArn: string;
    let tags: Record<string, string> = {};
    const login = verified[0];
    if (!login) {
      const unauth = config?.Roles.unauthenticated;
      if (!unauth) throw new SandboxError('InvalidIdentityPoolConfigurationException', INVALID_CONFIGURATION);
      if (customRoleArn !== undefined && customRoleArn !== unauth)
        throw new SandboxError('NotAuthorizedException', `CustomRoleArn ${customRoleArn} is not a role this identity may assume.`);
      roleArn = unauth;
    } else {
      const mappings = config?.RoleMappings ?? {};
      const wanted = `${login.provider}:${login.clientId}`;
      const mappingKey =
        Object.keys(mappings).find((k) => canonicalMappingKey(k) === wanted) ?? Object.keys(mappings).find((k) => canonicalMappingKey(k) === login.provider);
      const resolution = resolveRole({
        claims: login.claims,
        mapping: mappingKey ? mappings[mappingKey] : undefined,
        authenticatedRole: config?.Roles.authenticated,
        customRoleArn,
        provider: login.provider,
      });
      if (!resolution.ok) throw new SandboxError(resolution.code, resolution.message);
      roleArn = resolution.roleArn;
      tags = principalTagsFor(pool, login);
    }

    // Cognito sees IAM changes only after its lag: a role created a moment ago is "not there".
    const role = ctx.getRole(roleArn, 'cognito');
    if (!role) throw new SandboxError('InvalidIdentityPoolConfigurationException', INVALID_CONFIGURATION);
    const denied = checkTrust(evaluateTrust, role.trustPolicy, identityRef, tags);
    if (denied) throw new SandboxError('InvalidIdentityPoolConfigurationException', INVALID_CONFIGURATION);

    const creds = ctx.issueSession(role, 'CognitoIdentityCredentials', tags, SESSION_SECONDS);
    return {
      IdentityId: identity.IdentityId,
      Credentials: {
        AccessKeyId: creds.accessKeyId,
        SecretKey: creds.secretAccessKey,
        SessionToken: creds.sessionToken,
        Expiration: epochSeconds(creds.expiration),
      },
    };
  }

  function describeIdentity(input: Input) {
    const { identity } = identityOf(input);
    return {
      IdentityId: identity.IdentityId,
      Logins: Object.keys(identity.logins),
      CreationDate: epochSeconds(identity.CreationDate),
      LastModifiedDate: epochSeconds(identity.LastModifiedDate),
    };
  }

  // ---- dispatch --------------------------------------------------------------------------------

  const handlers: Record<string, (input: Input) => unknown> = {
    ...poolAdminHandlers(ctx, state, poolOf),
    ...poolRoleHandlers(ctx, poolOf),
    GetId: getId,
    GetOpenIdToken: getOpenIdToken,
    GetCredentialsForIdentity: getCredentialsForIdentity,
    DescribeIdentity: describeIdentity,
  };

  const service: JsonService = {
    async handle(operation, input, caller) {
      const handler = handlers[operation];
      if (!handler) throw new SandboxError('UnknownOperationException', `The isoctl sandbox does not implement cognito-identity ${operation}.`);
      authorize(operation, caller, input ?? {});
      return handler(input ?? {});
    },
    isMutating(operation) {
      return !READ_OPERATIONS.has(operation);
    },
  };
  return Promise.resolve(service);
}
