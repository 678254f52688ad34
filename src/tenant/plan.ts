// Desired state vs observed state -> the ordered steps that are missing. Pure: no AWS calls.
// The safety filters live here too: a plan never contains a step that touches something
// outside the stack's path or without its tags; such a tenant is refused (exit 4) as a whole,
// before anything is changed.
import type { MappingRule } from '../aws/apis.js';
import type { StackConfig } from '../config/schema.js';
import { RefusedError } from '../errors.js';
import { INLINE_POLICY_NAME, MANAGED_BY_VALUE, TAG_MANAGED_BY, TAG_STACK, policiesEqual } from '../policy/index.js';
import { stackPath } from '../config/schema.js';
import type { PolicyDocument } from '../policy/types.js';
import type { DesiredTenant } from './desired.js';
import type { ObservedTenant } from './observe.js';
import { isManagedGroupDescription } from './names.js';

export type StepAction =
  | 'create-role'
  | 'update-trust-policy'
  | 'put-permissions-boundary'
  | 'tag-role'
  | 'untag-role'
  | 'put-data-policy'
  | 'delete-inline-policy'
  | 'create-silo-table'
  | 'create-group'
  | 'update-group'
  | 'put-rule'
  | 'create-probe-user'
  | 'update-probe-attributes'
  | 'add-probe-to-group'
  | 'delete-group'
  | 'remove-rule'
  | 'delete-probe-user'
  | 'delete-role';

export type StepService = 'iam' | 'cognito-idp' | 'cognito-identity' | 'dynamodb';

export interface Step {
  action: StepAction;
  service: StepService;
  /** What the step changes: a role name, policy name, group, rule, user or table. */
  target: string;
  /** Why it is needed (what is missing or different). */
  reason: string;
  /** The exact document a create/put step sends. */
  document?: PolicyDocument | undefined;
  /** Tags, attributes or rule fields the step sends. */
  details?: Record<string, unknown> | undefined;
}

/** Maximum rules per provider in an identity pool's RulesConfiguration. */
export const MAX_RULES = 25;

export function roleOwnershipProblem(role: { name: string; path: string; tags: Record<string, string> | undefined }, stack: string): string | undefined {
  const path = stackPath(stack);
  if (role.path !== path) return `role ${role.name} exists at path ${role.path}, outside the stack path ${path}`;
  const tags = role.tags ?? {};
  if (tags[TAG_MANAGED_BY] !== MANAGED_BY_VALUE) return `role ${role.name} does not carry the tag ${TAG_MANAGED_BY}=${MANAGED_BY_VALUE}`;
  if (tags[TAG_STACK] !== stack) return `role ${role.name} carries ${TAG_STACK}=${tags[TAG_STACK] ?? '(none)'}, not ${stack}`;
  return undefined;
}

function refuseRole(problem: string, tenant: string, verb: string): never {
  throw new RefusedError(
    `${problem}; isoctl only changes roles under its stack path that carry its tags, so it will not ${verb} tenant ${JSON.stringify(tenant)}. Rename or remove that role yourself, or pick another tenant id.`,
    'not_owned',
  );
}

function isStackRoleArn(arn: string, config: StackConfig): boolean {
  return arn.includes(`:role${stackPath(config.stack)}`);
}

function sameTags(want: Record<string, string>, have: Record<string, string> | undefined): { missing: Record<string, string>; extra: string[] } {
  const missing: Record<string, string> = {};
  for (const [k, v] of Object.entries(want)) if (have?.[k] !== v) missing[k] = v;
  // Only isoctl's own tag keys are removed; tags others put on the role stay.
  const extra = Object.keys(have ?? {}).filter((k) => k.startsWith('isoctl:') && !(k in want));
  return { missing, extra };
}

function docEqual(want: PolicyDocument, have: unknown): boolean {
  if (have === undefined || have === null) return false;
  if (typeof have !== 'string' && typeof have !== 'object') return false;
  return policiesEqual(want, have as PolicyDocument | string);
}

/** The rule of `tenant` among `rules`: same claim, Equals, same value. */
export function findTenantRule(rules: MappingRule[], claim: string, tenant: string): MappingRule | undefined {
  return rules.find((r) => r.Claim === claim && r.MatchType === 'Equals' && r.Value === tenant);
}

export function planCreate(config: StackConfig, desired: DesiredTenant, observed: ObservedTenant): Step[] {
  const steps: Step[] = [];
  const { role } = desired;
  const t = desired.tenant;

  if (!observed.role) {
    steps.push({
      action: 'create-role',
      service: 'iam',
      target: role.name,
      reason: 'role does not exist',
      document: role.trustPolicy,
      details: { path: role.path, permissionsBoundary: role.boundaryArn, tags: role.tags },
    });
  } else {
    const problem = roleOwnershipProblem(observed.role, config.stack);
    if (problem) refuseRole(problem, t, 'create or change');
    if (!docEqual(role.trustPolicy, observed.role.trustPolicy))
      steps.push({ action: 'update-trust-policy', service: 'iam', target: role.name, reason: 'trust policy differs from the config', document: role.trustPolicy });
    if (observed.role.permissionsBoundaryArn !== role.boundaryArn)
      steps.push({
        action: 'put-permissions-boundary',
        service: 'iam',
        target: role.name,
        reason: observed.role.permissionsBoundaryArn ? `boundary is ${observed.role.permissionsBoundaryArn}` : 'role has no permissions boundary',
        details: { permissionsBoundary: role.boundaryArn },
      });
    const tags = sameTags(role.tags, observed.role.tags);
    if (Object.keys(tags.missing).length > 0)
      steps.push({ action: 'tag-role', service: 'iam', target: role.name, reason: `tags missing or different: ${Object.keys(tags.missing).join(', ')}`, details: { tags: tags.missing } });
    if (tags.extra.length > 0)
      steps.push({ action: 'untag-role', service: 'iam', target: role.name, reason: `stale isoctl tags: ${tags.extra.join(', ')}`, details: { keys: tags.extra } });
  }

  if (!observed.role || !docEqual(desired.dataPolicy.document, observed.dataPolicy))
    steps.push({
      action: 'put-data-policy',
      service: 'iam',
      target: `${role.name}/${desired.dataPolicy.name}`,
      reason: observed.dataPolicy === undefined ? 'inline data policy missing' : 'inline data policy differs from the config (edited by hand?)',
      document: desired.dataPolicy.document,
    });
  for (const name of observed.inlinePolicyNames)
    if (name !== INLINE_POLICY_NAME)
      steps.push({ action: 'delete-inline-policy', service: 'iam', target: `${role.name}/${name}`, reason: 'inline policy not made by isoctl widens what the config allows' });

  for (const table of desired.siloTables) {
    const seen = observed.siloTables.find((s) => s.name === table.name);
    if (!seen?.table)
      steps.push({ action: 'create-silo-table', service: 'dynamodb', target: table.name, reason: 'silo table does not exist', details: { partitionKey: table.partitionKey, sortKey: table.sortKey } });
  }

  const mapping = desired.mapping;
  if (mapping.kind === 'group' && observed.mapping.kind === 'group') {
    const g = observed.mapping.group;
    if (!g) {
      steps.push({ action: 'create-group', service: 'cognito-idp', target: mapping.groupName, reason: 'group does not exist', details: { roleArn: mapping.roleArn, description: mapping.description } });
    } else {
      const ours = isManagedGroupDescription(config, g.description) === t || g.roleArn === mapping.roleArn;
      if (!ours)
        throw new RefusedError(
          `user pool group ${JSON.stringify(g.name)} exists and is not isoctl's (role ${g.roleArn ?? 'none'}, description ${JSON.stringify(g.description ?? '')}); isoctl will not take it over for tenant ${JSON.stringify(t)}`,
          'not_owned',
        );
      if (g.roleArn !== mapping.roleArn || g.description !== mapping.description)
        steps.push({
          action: 'update-group',
          service: 'cognito-idp',
          target: mapping.groupName,
          reason: g.roleArn !== mapping.roleArn ? `group maps to ${g.roleArn ?? 'no role'}` : 'group description differs',
          details: { roleArn: mapping.roleArn, description: mapping.description },
        });
    }
  } else if (mapping.kind === 'rule' && observed.mapping.kind === 'rule') {
    const rule = findTenantRule(observed.mapping.rules, mapping.claim, mapping.value);
    if (rule && rule.RoleArn !== mapping.roleArn && !isStackRoleArn(rule.RoleArn, config))
      throw new RefusedError(
        `the identity pool already has a rule ${mapping.claim} Equals ${JSON.stringify(mapping.value)} mapping to ${rule.RoleArn}, which is not a role of stack ${config.stack}; isoctl will not change it`,
        'not_owned',
      );
    if (!rule || rule.RoleArn !== mapping.roleArn) {
      if (!rule && observed.mapping.rules.length >= MAX_RULES) throw rulesLimitError(config, t, observed.mapping.rules.length);
      steps.push({
        action: 'put-rule',
        service: 'cognito-identity',
        target: `${observed.mapping.mappingKey} ${mapping.claim}=${mapping.value}`,
        reason: rule ? `rule maps to ${rule.RoleArn}` : 'rule does not exist',
        details: { Claim: mapping.claim, MatchType: 'Equals', Value: mapping.value, RoleArn: mapping.roleArn },
      });
    }
  }

  const user = observed.probe.user;
  if (!user) {
    steps.push({ action: 'create-probe-user', service: 'cognito-idp', target: desired.probe.username, reason: 'probe user does not exist', details: { attributes: desired.probe.attributes } });
  } else {
    const diff: Record<string, string> = {};
    for (const [k, v] of Object.entries(desired.probe.attributes)) if (user.attributes[k] !== v) diff[k] = v;
    if (Object.keys(diff).length > 0)
      steps.push({ action: 'update-probe-attributes', service: 'cognito-idp', target: desired.probe.username, reason: `attributes differ: ${Object.keys(diff).join(', ')}`, details: { attributes: diff } });
  }
  if (desired.probe.group && (!user || !observed.probe.groups.includes(desired.probe.group)))
    steps.push({ action: 'add-probe-to-group', service: 'cognito-idp', target: `${desired.probe.username} -> ${desired.probe.group}`, reason: 'probe user is not in the tenant group' });

  return steps;
}

export function rulesLimitError(config: StackConfig, tenant: string, count: number): RefusedError {
  return new RefusedError(
    `cannot add tenant ${JSON.stringify(tenant)}: the identity pool ${config.identityPoolId} already has ${count} rules for this user pool client, and Cognito allows ${MAX_RULES} per provider. ` +
      'Use "mapping": "token" (a user pool group per tenant; no such limit), or spread tenants over several identity pools / stacks.',
    'rules_limit',
    { limit: MAX_RULES, count },
  );
}

/** Whether anything of the tenant exists at all. */
export function tenantExists(observed: ObservedTenant, config: StackConfig): boolean {
  if (observed.role) return true;
  if (observed.probe.user) return true;
  if (observed.mapping.kind === 'group') return observed.mapping.group !== undefined && (isManagedGroupDescription(config, observed.mapping.group.description) === observed.tenant || isStackRoleArn(observed.mapping.group.roleArn ?? '', config));
  return findTenantRule(observed.mapping.rules, config.tenantClaim, observed.tenant) !== undefined;
}

/** Reverse order of create: mapping, probe user, inline policies, role. Silo tables (data) are kept. */
export function planDelete(config: StackConfig, observed: ObservedTenant, roleArn: string): Step[] {
  const steps: Step[] = [];
  const t = observed.tenant;
  if (observed.role) {
    const problem = roleOwnershipProblem(observed.role, config.stack);
    if (problem) refuseRole(problem, t, 'delete');
  }
  if (observed.mapping.kind === 'group' && observed.mapping.group) {
    const g = observed.mapping.group;
    const ours = isManagedGroupDescription(config, g.description) === t || g.roleArn === roleArn;
    if (!ours)
      throw new RefusedError(
        `user pool group ${JSON.stringify(g.name)} is not isoctl's (role ${g.roleArn ?? 'none'}, description ${JSON.stringify(g.description ?? '')}); isoctl will not delete it`,
        'not_owned',
      );
    steps.push({ action: 'delete-group', service: 'cognito-idp', target: g.name, reason: 'tenant mapping (group)' });
  } else if (observed.mapping.kind === 'rule') {
    const rule = findTenantRule(observed.mapping.rules, config.tenantClaim, t);
    if (rule) {
      if (rule.RoleArn !== roleArn && !isStackRoleArn(rule.RoleArn, config))
        throw new RefusedError(
          `the identity pool rule ${config.tenantClaim} Equals ${JSON.stringify(t)} maps to ${rule.RoleArn}, which is not a role of stack ${config.stack}; isoctl will not remove it`,
          'not_owned',
        );
      steps.push({ action: 'remove-rule', service: 'cognito-identity', target: `${observed.mapping.mappingKey} ${config.tenantClaim}=${t}`, reason: 'tenant mapping (rule)' });
    }
  }
  if (observed.probe.user) steps.push({ action: 'delete-probe-user', service: 'cognito-idp', target: observed.probe.user.username, reason: 'probe user of the tenant' });
  if (observed.role) {
    for (const name of observed.inlinePolicyNames)
      steps.push({ action: 'delete-inline-policy', service: 'iam', target: `${observed.role.name}/${name}`, reason: 'inline policies go before the role' });
    steps.push({ action: 'delete-role', service: 'iam', target: observed.role.name, reason: 'tenant role' });
  }
  return steps;
}
