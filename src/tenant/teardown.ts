// `teardown`: the inverse of `init`, for a stack without tenants. It removes what init made, and
// only that, each piece through its resource module (owned, then remove): the identity pool's
// mapping entry and principal-tag map, ABAC's scope groups and scope roles (with their deny
// lists), the lock table (lease and registry) and, last, the permissions boundary. Pieces that
// only the admin step may write (the boundary; the Token entry and the principal-tag map, whose
// APIs work only on Resource "*") are marked: the operator's run removes the rest and says so.
import type { MappingMode } from '../config/schema.js';
import { lockTableName } from '../config/schema.js';
import { cognitoProviderName } from '../aws/apis.js';
import { AwsCallError } from '../aws/errors.js';
import { IsoctlError } from '../errors.js';
import { ATTACHED_POLICIES_PER_ROLE, boundaryPolicyArn, buildScopeRoles, denyListPolicyArn } from '../policy/index.js';
import type { TenantContext } from './context.js';
import { mappingKeyOf, rulesOf } from './observe.js';
import { PROBE_USER_PREFIX } from './names.js';
import { REGISTRY_PREFIX, FILLED_KEY } from './registry.js';
import { group as groupResource, probeUser as probeUserResource, role as roleResource, rule as ruleResource } from './resources/index.js';
import * as boundary from './resources/boundary.js';
import * as denyListPolicy from './resources/deny-list-policy.js';
import * as lockTable from './resources/lock-table.js';
import * as poolMapping from './resources/pool-mapping.js';
import * as principalTags from './resources/principal-tags.js';
import * as scopeGroup from './resources/scope-group.js';
import * as scopeRole from './resources/scope-role.js';
import { countRemovals, describeError, outcomeOfError, type RemovalContext, type RemovalOutcome, type RemovalState } from './resources/types.js';

export type TeardownKind = 'pool-mapping' | 'principal-tags' | 'scope-group' | 'scope-role' | 'deny-list-policy' | 'lock-table' | 'boundary';

export interface TeardownItem {
  kind: TeardownKind;
  target: string;
  state: RemovalState;
  /** Why it is planned (what it is), or why it was skipped. */
  reason: string;
  detail?: string | undefined;
  /** Only the admin step's credentials may remove it (the operator policy has no such grant). */
  adminOnly: boolean;
  /** The removal was refused by IAM (AccessDenied): run teardown again with administrator credentials. */
  accessDenied?: boolean | undefined;
  /** Scope of ABAC pieces. */
  scope?: string | undefined;
}

export interface TeardownResult {
  stack: string;
  mapping: MappingMode;
  dryRun: boolean;
  items: TeardownItem[];
  counts: Record<RemovalState, number>;
  /** Targets whose removal needs the admin step's credentials and was refused to these. */
  needsAdmin: string[];
}

/** The tenants the stack still has, by any trace: a registry row, a tenant role, group, rule or probe user. */
export async function stackTenants(ctx: TenantContext): Promise<string[]> {
  const { apis, config } = ctx;
  const scopeRoles = new Set(config.mapping === 'abac' ? buildScopeRoles(config).map((s) => s.roleName) : []);
  // Pools already destroyed (terraform destroy before teardown) hold no tenants.
  const [lock, userPool, idPool] = await Promise.all([
    apis.dynamodb.describeTable(lockTableName(config)),
    apis.cognitoIdp.describeUserPool(config.userPoolId),
    apis.cognitoIdentity.describeIdentityPool(config.identityPoolId),
  ]);
  const [roles, groups, poolRoles, probes, registry] = await Promise.all([
    apis.iam.listStackRoles(config.stack),
    config.mapping === 'token' && userPool ? apis.cognitoIdp.listGroups(config.userPoolId) : Promise.resolve([]),
    config.mapping === 'rules' && idPool ? apis.cognitoIdentity.getIdentityPoolRoles(config.identityPoolId) : Promise.resolve(undefined),
    userPool ? apis.scans.listUsersByPrefix(config.userPoolId, PROBE_USER_PREFIX) : Promise.resolve([]),
    lock ? apis.registry.scan(lockTableName(config), REGISTRY_PREFIX) : Promise.resolve({ rows: [], calls: 0 }),
  ]);
  const found = new Set<string>();
  for (const r of roles) {
    const t = scopeRoles.has(r.name) ? undefined : roleResource.tenantOfRoleName(config, r.name);
    if (t !== undefined) found.add(t);
  }
  for (const g of groups) {
    const t = groupResource.tenantOfGroup(config, g);
    if (t !== undefined && groupResource.owned(config, g, t).owned) found.add(t);
  }
  if (poolRoles) for (const r of rulesOf(poolRoles, mappingKeyOf(config))) if (ruleResource.owned(config, r).owned) found.add(r.Value);
  for (const u of probes) {
    const t = probeUserResource.tenantOfProbeUser(u.username);
    if (t !== undefined && probeUserResource.owned(config, u, t).owned) found.add(t);
  }
  for (const r of registry.rows) if (r.key !== FILLED_KEY && r.row.tenant) found.add(r.row.tenant);
  return [...found].sort();
}

/** Reads only: what init made that is still there, each piece with its owner's verdict. */
export async function planTeardown(ctx: TenantContext): Promise<TeardownItem[]> {
  const { apis, config } = ctx;
  const items: TeardownItem[] = [];
  const key = mappingKeyOf(config);
  const provider = cognitoProviderName(config.region, config.userPoolId);
  const skippedOr = (o: { owned: true } | { owned: false; reason: string }, reason: string) =>
    o.owned ? { state: 'planned' as const, reason } : { state: 'skipped' as const, reason: `not isoctl's: ${o.reason}` };

  const [idPool, userPool] = await Promise.all([
    apis.cognitoIdentity.describeIdentityPool(config.identityPoolId),
    apis.cognitoIdp.describeUserPool(config.userPoolId),
  ]);
  const roles = idPool ? await apis.cognitoIdentity.getIdentityPoolRoles(config.identityPoolId) : undefined;
  const entry = roles?.RoleMappings[key];
  if (entry)
    items.push({
      kind: 'pool-mapping',
      target: `${config.identityPoolId} ${key}`,
      ...skippedOr(poolMapping.owned(config, entry), `the ${entry.Type} mapping entry init wrote`),
      // Rules mode grants the operator SetIdentityPoolRoles (a rule per tenant); token and ABAC do not.
      adminOnly: config.mapping !== 'rules',
    });
  const tags = idPool ? await apis.cognitoIdentity.getPrincipalTagAttributeMap(config.identityPoolId, provider) : undefined;
  if (tags && !principalTags.isEmpty(tags))
    items.push({
      kind: 'principal-tags',
      target: `${config.identityPoolId} ${provider}`,
      ...skippedOr(principalTags.owned(config, tags), 'the principal-tag map init wrote'),
      adminOnly: true,
    });
  if (config.mapping === 'abac')
    for (const spec of buildScopeRoles(config)) {
      const [group, role] = await Promise.all([
        userPool ? apis.cognitoIdp.getGroup(config.userPoolId, spec.roleName) : undefined,
        apis.iam.getRole(spec.roleName),
      ]);
      if (group)
        items.push({
          kind: 'scope-group',
          target: spec.roleName,
          scope: spec.scope,
          ...skippedOr(scopeGroup.owned(config, group, spec.scope), `user-pool group of scope ${spec.scope}`),
          adminOnly: false,
        });
      if (role)
        items.push({
          kind: 'scope-role',
          target: spec.roleName,
          scope: spec.scope,
          ...skippedOr(scopeRole.owned(config, role, spec.scope), `role of scope ${spec.scope}, its data policy and deny lists`),
          adminOnly: false,
        });
    }
  // ABAC's spilled deny lists: isoctl's managed policies isoctl-<stack>-deny-list-<n> (n is at most
  // the attached-policies quota: a new one takes the smallest free number).
  if (config.mapping === 'abac')
    for (let n = 1; n <= ATTACHED_POLICIES_PER_ROLE; n++) {
      const policy = await apis.iam.getPolicy(denyListPolicyArn(config, n));
      if (policy)
        items.push({
          kind: 'deny-list-policy',
          target: policy.arn,
          ...skippedOr(denyListPolicy.owned(config, policy), 'a deny list (tombstones, suspensions, revocations) the scope roles outgrew'),
          adminOnly: false,
        });
    }
  const table = await apis.dynamodb.describeTable(lockTableName(config));
  if (table) {
    // The operator policy cannot list the table's tags: then remove() decides with the admin's.
    const tableTags = await apis.dynamodb.listTableTags(table.arn).catch((err: unknown) => {
      if (err instanceof AwsCallError && err.kind === 'access-denied') return undefined;
      throw err;
    });
    items.push({
      kind: 'lock-table',
      target: table.name,
      ...skippedOr(lockTable.owned(config, { name: table.name, tags: tableTags }), 'the lock and the tenant registry'),
      adminOnly: true,
    });
  }
  const policy = await apis.iam.getPolicy(boundaryPolicyArn(config));
  if (policy)
    items.push({
      kind: 'boundary',
      target: policy.arn,
      ...skippedOr(boundary.ownedForRemoval(config, policy), 'the permissions boundary'),
      adminOnly: true,
    });
  return items;
}

const gone = (i: TeardownItem) => i.state === 'removed' || (i.state === 'skipped' && i.detail === 'already gone');

/**
 * Removes the planned items in order. A piece another depends on that was not removed keeps its
 * dependants: the lock table stays while the mapping entry does (its removal takes the lock), the
 * boundary while a scope role does (IAM refuses to delete a boundary in use).
 */
export async function applyTeardown(ctx: RemovalContext, items: TeardownItem[], onItem?: (i: TeardownItem) => void): Promise<void> {
  for (const item of items) {
    if (item.state !== 'planned') continue;
    const blocker =
      item.kind === 'lock-table'
        ? items.find((i) => i.kind === 'pool-mapping' && !gone(i))
        : item.kind === 'boundary'
          ? items.find((i) => i.kind === 'scope-role' && !gone(i))
          : undefined;
    if (blocker) {
      Object.assign(item, { state: 'skipped', detail: `kept: ${blocker.kind} ${blocker.target} is still there` });
      onItem?.(item);
      continue;
    }
    ctx.progress?.(`removing ${item.kind} ${item.target}`);
    let outcome: RemovalOutcome;
    try {
      outcome = await removeOne(ctx, item);
    } catch (err) {
      if (err instanceof AwsCallError && err.kind === 'access-denied') {
        outcome = { state: 'failed', detail: `access denied (${describeError(err)})` };
        item.accessDenied = true;
      } else if (err instanceof IsoctlError) outcome = { state: 'failed', detail: err.message };
      else outcome = outcomeOfError(err);
    }
    item.state = outcome.state;
    item.detail = outcome.detail;
    onItem?.(item);
  }
}

function removeOne(ctx: RemovalContext, item: TeardownItem): Promise<RemovalOutcome> {
  switch (item.kind) {
    case 'pool-mapping':
      return poolMapping.remove(ctx);
    case 'principal-tags':
      return principalTags.remove(ctx);
    case 'scope-group':
      return scopeGroup.remove(ctx, { name: item.target, scope: item.scope ?? '' });
    case 'scope-role':
      return scopeRole.remove(ctx, { name: item.target, scope: item.scope ?? '' });
    case 'deny-list-policy':
      return denyListPolicy.remove(ctx, { arn: item.target });
    case 'lock-table':
      return lockTable.remove(ctx);
    case 'boundary':
      return boundary.remove(ctx);
  }
}

export function teardownResult(ctx: TenantContext, items: TeardownItem[], dryRun: boolean): TeardownResult {
  return {
    stack: ctx.config.stack,
    mapping: ctx.config.mapping,
    dryRun,
    items,
    counts: countRemovals(items),
    needsAdmin: items.filter((i) => i.accessDenied).map((i) => i.target),
  };
}
