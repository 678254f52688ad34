// An identity pool's roles and role mappings: SetIdentityPoolRoles (validated as AWS does,
// every role checked against what IAM shows Cognito) and GetIdentityPoolRoles.
import { SandboxError, type SandboxContext } from '../contract.js';
import { canonicalMappingKey, canonicalProvider } from './provider-names.js';
import { latest, recordVersion, type IdentityPoolRecord, type MappingRule, type PoolRoles, type RoleMapping } from './state.js';
import { invalid, isRoleArn, optArray, optObject, optString, reqString, type Input } from './validate.js';

/** Cognito's quota of rules per role mapping (adjustable in AWS; the sandbox holds the default). */
export const MAX_RULES_PER_MAPPING = 25;
export const MAX_ROLE_MAPPINGS = 10;

export function poolRoleHandlers(ctx: SandboxContext, poolOf: (input: Input) => IdentityPoolRecord): Record<string, (input: Input) => unknown> {
  /** AWS answers a value that is not a role ARN as a refused iam:PassRole. */
  function checkRoleArn(value: unknown, where: string): string {
    if (typeof value !== 'string') throw invalid(`Invalid type for '${where}': expected a string`);
    if (value.length < 20 || value.length > 2048 || !isRoleArn(value))
      throw new SandboxError('NotAuthorizedException', `Access to Role '${value}' is forbidden.`);
    return value;
  }

  /** Whether a role-mapping key names a provider configured on the pool. */
  function mappingKeyKnown(pool: IdentityPoolRecord, key: string): boolean {
    const canonical = canonicalMappingKey(key);
    if ((pool.CognitoIdentityProviders ?? []).some((p) => `${canonicalProvider(p.ProviderName)}:${p.ClientId ?? ''}` === canonical)) return true;
    if (Object.keys(pool.SupportedLoginProviders ?? {}).includes(key)) return true;
    return [...(pool.OpenIdConnectProviderARNs ?? []), ...(pool.SamlProviderARNs ?? [])].some((arn) => arn === key || arn.endsWith(`/${key}`));
  }

  function parseMapping(pool: IdentityPoolRecord, key: string, raw: unknown): RoleMapping {
    if (key.length < 1 || key.length > 128)
      throw invalid(`1 validation error detected: Value '${key}' at 'roleMappings' failed to satisfy constraint: Map keys must have length between 1 and 128`);
    if (!mappingKeyKnown(pool, key))
      throw invalid(
        `Role mapping key '${key}' is not an identity provider of this identity pool; for a user pool use '<ProviderName>:<ClientId>' of one of its CognitoIdentityProviders.`,
      );
    const m = (raw ?? {}) as Input;
    const type = reqString(m, 'Type', { enum: ['Token', 'Rules'] }) as RoleMapping['Type'];
    const ambiguous = optString(m, 'AmbiguousRoleResolution', { enum: ['AuthenticatedRole', 'Deny'] }) as RoleMapping['AmbiguousRoleResolution'];
    if (!ambiguous) throw invalid(`AmbiguousRoleResolution must be specified for the ${type} role mapping of '${key}'.`);
    const mapping: RoleMapping = { Type: type, AmbiguousRoleResolution: ambiguous };
    const rc = optObject(m, 'RulesConfiguration');
    if (type === 'Rules' && !rc) throw invalid(`RulesConfiguration is required for the Rules role mapping of '${key}'.`);
    if (rc) {
      const rawRules = optArray(rc, 'Rules', { min: 1, max: 400 });
      if (!rawRules || rawRules.length === 0) throw invalid(`RulesConfiguration of '${key}' must have at least 1 rule.`);
      if (rawRules.length > MAX_RULES_PER_MAPPING)
        throw invalid(`RulesConfiguration of '${key}' has ${rawRules.length} rules; the limit is ${MAX_RULES_PER_MAPPING} rules per identity provider.`);
      const rules: MappingRule[] = rawRules.map((r) => {
        const rule = (r ?? {}) as Input;
        return {
          Claim: reqString(rule, 'Claim', { min: 1, max: 64, pattern: '[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+' }),
          MatchType: reqString(rule, 'MatchType', { enum: ['Equals', 'Contains', 'StartsWith', 'NotEqual'] }) as MappingRule['MatchType'],
          Value: reqString(rule, 'Value', { min: 1, max: 128 }),
          RoleARN: checkRoleArn(rule.RoleARN, 'RoleARN'),
        };
      });
      mapping.RulesConfiguration = { Rules: rules };
    }
    return mapping;
  }

  function setIdentityPoolRoles(input: Input) {
    const pool = poolOf(input);
    const rolesIn = optObject(input, 'Roles');
    if (!rolesIn) throw invalid("1 validation error detected: Value null at 'roles' failed to satisfy constraint: Member must not be null");
    const roles: Record<string, string> = {};
    const entries = Object.entries(rolesIn);
    if (entries.length > 2)
      throw invalid("1 validation error detected: Value at 'roles' failed to satisfy constraint: Member must have length less than or equal to 2");
    for (const [k, v] of entries) {
      if (k !== 'authenticated' && k !== 'unauthenticated')
        throw invalid(
          `1 validation error detected: Value '${k}' at 'roles' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: (un)?authenticated]`,
        );
      roles[k] = checkRoleArn(v, 'roles');
    }
    const mappingsIn = optObject(input, 'RoleMappings');
    const config: PoolRoles = { Roles: roles };
    if (mappingsIn) {
      const keys = Object.keys(mappingsIn);
      if (keys.length > MAX_ROLE_MAPPINGS)
        throw invalid(
          `1 validation error detected: Value at 'roleMappings' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ROLE_MAPPINGS}`,
        );
      const mappings: Record<string, RoleMapping> = {};
      const canonicalSeen = new Set<string>();
      for (const key of keys) {
        const canonical = canonicalMappingKey(key);
        if (canonicalSeen.has(canonical)) throw invalid(`Duplicate role mapping for provider '${key}'.`);
        canonicalSeen.add(canonical);
        mappings[key] = parseMapping(pool, key, mappingsIn[key]);
      }
      if (keys.length > 0) config.RoleMappings = mappings;
    }
    // A role this call adds must be one IAM shows Cognito: a role created a moment ago (or none at
    // all) is refused as AWS users report it right after CreateRole. Roles the pool already names
    // are not re-checked, so a pool whose role was deleted can still be edited (AWS documents no
    // scope for the check; this is the narrowest that models the lag).
    const named = (c: PoolRoles | null | undefined) => [
      ...Object.values(c?.Roles ?? {}),
      ...Object.values(c?.RoleMappings ?? {}).flatMap((m) => (m.RulesConfiguration?.Rules ?? []).map((r) => r.RoleARN)),
    ];
    const known = new Set(named(latest(pool.roles)));
    for (const arn of new Set(named(config)))
      if (!known.has(arn) && !ctx.getRole(arn, 'cognito')) throw new SandboxError('NotAuthorizedException', `Access to Role '${arn}' is forbidden.`);
    // The call replaces the whole configuration, mappings included (as AWS does).
    pool.roles = recordVersion(ctx, pool.roles, config);
    ctx.save();
    return {};
  }

  function getIdentityPoolRoles(input: Input) {
    const pool = poolOf(input);
    const config = latest(pool.roles);
    return {
      IdentityPoolId: pool.IdentityPoolId,
      Roles: config?.Roles ?? {},
      ...(config?.RoleMappings ? { RoleMappings: config.RoleMappings } : {}),
    };
  }

  return { SetIdentityPoolRoles: setIdentityPoolRoles, GetIdentityPoolRoles: getIdentityPoolRoles };
}
