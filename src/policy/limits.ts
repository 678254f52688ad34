// IAM and Cognito quotas a tenant's documents must fit, checked before any AWS call. Each
// finding names the limit, the value, the maximum and what to do about it.
import { stackPath, type StackConfig } from '../config/schema.js';
import { PolicyError } from './errors.js';
import { buildBoundaryPolicy, buildTenantRole, principalTagAttributeMap } from './documents.js';
import { buildOperatorPolicy } from './operator-policy.js';
import { MANAGED_POLICIES_PER_PRINCIPAL, MANAGED_POLICY_CHARS, splitOperatorPolicy } from './operator-split.js';
import { policySize } from './serialize.js';

export const LIMITS = Object.freeze({
  roleNameChars: 64,
  pathChars: 512,
  /** All inline policies of a role together, whitespace not counted. */
  inlinePolicyCharsPerRole: 10_240,
  policyNameChars: 128,
  managedPolicyChars: MANAGED_POLICY_CHARS,
  managedPoliciesPerPrincipal: MANAGED_POLICIES_PER_PRINCIPAL,
  trustPolicyChars: 2_048,
  trustPolicyCharsRaised: 4_096,
  tagsPerRole: 50,
  tagKeyChars: 128,
  tagValueChars: 256,
  identityPoolRulesPerProvider: 25,
  roleMappingProviders: 10,
  principalTagsPerProvider: 50,
  principalTagKeyChars: 128,
  principalTagValueChars: 256,
  ruleClaimChars: 64,
  ruleValueChars: 128,
});

export interface LimitFinding {
  limit: string;
  value: number;
  max: number;
  message: string;
}

const ROLE_NAME_CHARS = /^[\w+=,.@-]+$/;
const PATH_FORMAT = /^\/(?:[\u0021-\u007E]*\/)?$/;
const n = (v: number) => v.toLocaleString('en-US');

function over(findings: LimitFinding[], limit: string, value: number, max: number, message: string): void {
  if (value > max) findings.push({ limit, value, max, message });
}

export function checkTenantLimits(config: StackConfig, tenant: string, scopes?: string[]): LimitFinding[] {
  const f: LimitFinding[] = [];
  const role = buildTenantRole(config, tenant, scopes);

  over(
    f,
    'role-name-length',
    role.roleName.length,
    LIMITS.roleNameChars,
    `role name "${role.roleName}" is ${role.roleName.length} characters; IAM allows ${LIMITS.roleNameChars}: use a shorter tenant id or stack name`,
  );
  const badChars = [...role.roleName].filter((c) => !ROLE_NAME_CHARS.test(c)).length;
  over(
    f,
    'role-name-characters',
    badChars,
    0,
    `role name "${role.roleName}" has ${badChars} character(s) outside [A-Za-z0-9+=,.@_-]; use a tenant id of a-z, 0-9 and "-"`,
  );
  over(
    f,
    'role-path-length',
    role.path.length,
    LIMITS.pathChars,
    `role path "${role.path}" is ${role.path.length} characters; IAM allows ${LIMITS.pathChars}: use a shorter stack name`,
  );
  if (!PATH_FORMAT.test(role.path))
    f.push({ limit: 'role-path-format', value: 1, max: 0, message: `role path "${role.path}" must start and end with "/" and use printable ASCII` });

  let inline = 0;
  for (const [name, doc] of Object.entries(role.inlinePolicies)) {
    inline += policySize(doc);
    over(
      f,
      'policy-name-length',
      name.length,
      LIMITS.policyNameChars,
      `inline policy name "${name}" is ${name.length} characters; IAM allows ${LIMITS.policyNameChars}`,
    );
  }
  over(
    f,
    'inline-policy-size',
    inline,
    LIMITS.inlinePolicyCharsPerRole,
    `inline policies of role ${role.roleName} are ${n(inline)} characters (whitespace not counted); IAM allows ${n(LIMITS.inlinePolicyCharsPerRole)} per role: ` +
      'reduce the tables, indexes, attributes or buckets in the config, or give the tenant fewer scopes (--scope)',
  );

  const boundary = policySize(buildBoundaryPolicy(config));
  over(
    f,
    'boundary-policy-size',
    boundary,
    LIMITS.managedPolicyChars,
    `permissions boundary of stack ${config.stack} is ${n(boundary)} characters; IAM allows ${n(LIMITS.managedPolicyChars)} for a managed policy: ` +
      'reduce the tables, indexes, attributes, buckets or scope actions in the config',
  );

  const trust = policySize(role.assumeRolePolicy);
  const trustMax = config.trustPolicyMaxChars;
  over(
    f,
    'trust-policy-size',
    trust,
    trustMax,
    `trust policy of role ${role.roleName} is ${n(trust)} characters; the account allows ${n(trustMax)}` +
      (trustMax < LIMITS.trustPolicyCharsRaised
        ? `: ask AWS to raise "Role trust policy length" to ${n(LIMITS.trustPolicyCharsRaised)} and set "trustPolicyMaxChars": ${LIMITS.trustPolicyCharsRaised}`
        : ''),
  );

  over(
    f,
    'tags-per-role',
    role.tags.length,
    LIMITS.tagsPerRole,
    `role ${role.roleName} would carry ${role.tags.length} tags; IAM allows ${LIMITS.tagsPerRole}`,
  );
  for (const t of role.tags) {
    over(f, 'tag-key-length', t.Key.length, LIMITS.tagKeyChars, `tag key "${t.Key}" is ${t.Key.length} characters; IAM allows ${LIMITS.tagKeyChars}`);
    over(
      f,
      'tag-value-length',
      t.Value.length,
      LIMITS.tagValueChars,
      `value of tag ${t.Key} is ${t.Value.length} characters; IAM allows ${LIMITS.tagValueChars}`,
    );
  }

  if (config.mapping === 'rules') {
    over(
      f,
      'rule-claim-length',
      config.tenantClaim.length,
      LIMITS.ruleClaimChars,
      `identity pool rule claim "${config.tenantClaim}" is ${config.tenantClaim.length} characters; Cognito allows ${LIMITS.ruleClaimChars}: choose a shorter "tenantClaim"`,
    );
    over(
      f,
      'rule-value-length',
      tenant.length,
      LIMITS.ruleValueChars,
      `identity pool rule value "${tenant}" is ${tenant.length} characters; Cognito allows ${LIMITS.ruleValueChars}`,
    );
  }
  const tagMap = Object.entries(principalTagAttributeMap(config));
  over(
    f,
    'principal-tags',
    tagMap.length,
    LIMITS.principalTagsPerProvider,
    `principal-tag attribute map has ${tagMap.length} entries; Cognito allows ${LIMITS.principalTagsPerProvider}`,
  );
  for (const [k, v] of tagMap) {
    over(
      f,
      'principal-tag-key-length',
      k.length,
      LIMITS.principalTagKeyChars,
      `principal tag "${k}" is ${k.length} characters; Cognito allows ${LIMITS.principalTagKeyChars}`,
    );
    over(
      f,
      'principal-tag-claim-length',
      v.length,
      LIMITS.principalTagValueChars,
      `claim "${v}" of principal tag ${k} is ${v.length} characters; Cognito allows ${LIMITS.principalTagValueChars}`,
    );
  }
  return f;
}

/** Throws PolicyError 'over-limit' (exit 4) carrying every finding when the tenant's documents exceed a limit. */
export function assertTenantWithinLimits(config: StackConfig, tenant: string, scopes?: string[]): void {
  const findings = checkTenantLimits(config, tenant, scopes);
  if (findings.length === 0) return;
  const list = findings.map((x) => `  - ${x.limit}: ${x.message}`).join('\n');
  throw new PolicyError(
    `tenant "${tenant}" exceeds ${findings.length === 1 ? 'a limit' : `${findings.length} limits`}; nothing was changed:\n${list}`,
    'over-limit',
    'limit_exceeded',
    {
      tenant,
      findings,
    },
  );
}

/** Stack-wide quotas: rules per identity-pool provider (rules mapping), providers, the operator policy size. */
export function checkStackLimits(config: StackConfig, counts: { rules?: number; providers?: number } = {}): LimitFinding[] {
  const f: LimitFinding[] = [];
  if (counts.rules !== undefined)
    over(
      f,
      'identity-pool-rules',
      counts.rules,
      LIMITS.identityPoolRulesPerProvider,
      `the identity pool would have ${counts.rules} rules for the user pool provider; Cognito allows ${LIMITS.identityPoolRulesPerProvider}: ` +
        'switch the stack to "mapping": "token" (one user pool group per tenant) or split tenants across stacks',
    );
  if (counts.providers !== undefined)
    over(
      f,
      'role-mapping-providers',
      counts.providers,
      LIMITS.roleMappingProviders,
      `the identity pool would have role mappings for ${counts.providers} providers; Cognito allows ${LIMITS.roleMappingProviders}`,
    );
  f.push(...checkOperatorPolicyLimits(config));
  const boundary = policySize(buildBoundaryPolicy(config));
  over(
    f,
    'boundary-policy-size',
    boundary,
    LIMITS.managedPolicyChars,
    `permissions boundary of stack ${config.stack} is ${n(boundary)} characters; IAM allows ${n(LIMITS.managedPolicyChars)}: reduce the tables, indexes, attributes, buckets or scope actions in the config`,
  );
  if (stackPath(config.stack).length > LIMITS.pathChars)
    f.push({ limit: 'role-path-length', value: stackPath(config.stack).length, max: LIMITS.pathChars, message: 'stack path too long' });
  return f;
}

/**
 * The operator policy is attached as managed policies: one when it fits 6,144 characters, else
 * numbered parts of whole statements (splitOperatorPolicy). Flagged only when it needs more parts
 * than IAM attaches to one user or role, or when one statement alone does not fit.
 */
export function checkOperatorPolicyLimits(config: StackConfig): LimitFinding[] {
  const doc = buildOperatorPolicy(config);
  const chars = policySize(doc);
  let parts: number;
  try {
    parts = splitOperatorPolicy(doc, LIMITS.managedPolicyChars).length;
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    const d = err.details as { chars: number; max: number };
    return [{ limit: 'operator-policy-size', value: d.chars, max: d.max, message: err.message }];
  }
  const f: LimitFinding[] = [];
  over(
    f,
    'operator-policy-parts',
    parts,
    LIMITS.managedPoliciesPerPrincipal,
    `operator policy is ${n(chars)} characters: it needs ${parts} managed policies of at most ${n(LIMITS.managedPolicyChars)} characters, and IAM attaches ` +
      `${LIMITS.managedPoliciesPerPrincipal} to a user or role by default: reduce the tables or buckets in the config, or split the stack`,
  );
  return f;
}
