// Which role an authenticated identity gets, as Cognito Identity decides it:
// - no mapping for the provider: the pool's authenticated role;
// - Token: CustomRoleArn when it is among cognito:roles (otherwise denied), else cognito:preferred_role,
//   else AmbiguousRoleResolution;
// - Rules: the first matching rule in order (CustomRoleArn may pick any matching rule's role),
//   else AmbiguousRoleResolution.
import type { MappingRule, RoleMapping } from './state.js';

export type Resolution =
  | { ok: true; roleArn: string; via: 'authenticated-role' | 'custom-role' | 'preferred-role' | 'rule' | 'ambiguous-authenticated-role' }
  | { ok: false; code: 'NotAuthorizedException' | 'InvalidIdentityPoolConfigurationException'; message: string; reason?: string };

export const INVALID_CONFIGURATION = 'Invalid identity pool configuration. Check assigned IAM roles for this pool.';

function asStrings(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map((v) => String(v));
  if (typeof value === 'string') return [value];
  if (typeof value === 'number' || typeof value === 'boolean') return [String(value)];
  return undefined;
}

/** A claim matches a rule. Multi-valued claims (cognito:groups) match when one of their values does (NotEqual: when none equals). */
export function ruleMatches(rule: MappingRule, claims: Record<string, unknown>): boolean {
  const values = asStrings(claims[rule.Claim]);
  // Cognito: "If the match type is NotEqual and the claim doesn't exist, the rule is not evaluated."
  if (!values || values.length === 0) return false;
  switch (rule.MatchType) {
    case 'Equals':
      return values.some((v) => v === rule.Value);
    case 'NotEqual':
      return values.every((v) => v !== rule.Value);
    case 'StartsWith':
      return values.some((v) => v.startsWith(rule.Value));
    case 'Contains':
      return values.some((v) => v.includes(rule.Value));
    default:
      return false;
  }
}

function tokenRoles(claims: Record<string, unknown>): string[] {
  const roles = claims['cognito:roles'];
  if (Array.isArray(roles)) return roles.filter((r): r is string => typeof r === 'string');
  // The developer guide describes cognito:roles as a comma-separated string in some tokens.
  if (typeof roles === 'string')
    return roles
      .split(',')
      .map((r) => r.trim())
      .filter(Boolean);
  return [];
}

/**
 * No role from the mapping: the authenticated role, or AWS's denial. `why` is kept for the
 * sandbox's own tests (the `reason` field); AWS's message names only the provider.
 */
function ambiguous(mapping: RoleMapping, authenticatedRole: string | undefined, why: string, provider: string): Resolution {
  if (mapping.AmbiguousRoleResolution === 'AuthenticatedRole') {
    if (!authenticatedRole) return { ok: false, code: 'InvalidIdentityPoolConfigurationException', message: INVALID_CONFIGURATION };
    return { ok: true, roleArn: authenticatedRole, via: 'ambiguous-authenticated-role' };
  }
  return { ok: false, code: 'NotAuthorizedException', message: `The ambiguous role mapping rules for: ${provider} denied this request.`, reason: why };
}

export function resolveRole(opts: {
  claims: Record<string, unknown>;
  mapping: RoleMapping | undefined;
  authenticatedRole: string | undefined;
  customRoleArn?: string | undefined;
  /** The identity provider of the login (named in AWS's ambiguous-role denial). */
  provider?: string | undefined;
}): Resolution {
  const { claims, mapping, authenticatedRole, customRoleArn } = opts;
  const provider = opts.provider ?? 'the identity provider';
  if (!mapping) {
    if (!authenticatedRole) return { ok: false, code: 'InvalidIdentityPoolConfigurationException', message: INVALID_CONFIGURATION };
    if (customRoleArn !== undefined && customRoleArn !== authenticatedRole)
      return { ok: false, code: 'NotAuthorizedException', message: `CustomRoleArn ${customRoleArn} is not a role this identity may assume.` };
    return { ok: true, roleArn: authenticatedRole, via: 'authenticated-role' };
  }
  if (mapping.Type === 'Token') {
    const roles = tokenRoles(claims);
    if (customRoleArn !== undefined) {
      if (roles.includes(customRoleArn)) return { ok: true, roleArn: customRoleArn, via: 'custom-role' };
      return { ok: false, code: 'NotAuthorizedException', message: `CustomRoleArn ${customRoleArn} is not in the token's cognito:roles claim.` };
    }
    const preferred = claims['cognito:preferred_role'];
    if (typeof preferred === 'string' && preferred.length > 0) return { ok: true, roleArn: preferred, via: 'preferred-role' };
    return ambiguous(
      mapping,
      authenticatedRole,
      roles.length === 0 ? 'the token has no cognito:roles claim' : 'the token has several cognito:roles and no cognito:preferred_role',
      provider,
    );
  }
  const rules = mapping.RulesConfiguration?.Rules ?? [];
  const matching = rules.filter((r) => ruleMatches(r, claims));
  if (customRoleArn !== undefined) {
    if (matching.some((r) => r.RoleARN === customRoleArn)) return { ok: true, roleArn: customRoleArn, via: 'custom-role' };
    return { ok: false, code: 'NotAuthorizedException', message: `CustomRoleArn ${customRoleArn} is not the role of any rule matching this token.` };
  }
  if (matching[0]) return { ok: true, roleArn: matching[0].RoleARN, via: 'rule' };
  return ambiguous(mapping, authenticatedRole, 'no rule matched the token', provider);
}
