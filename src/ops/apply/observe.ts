// What AWS shows for a whole fleet, read once for every tenant: one role scan (ListRoles under the
// stack path), one group listing (token mapping), one probe-user listing, one read of the
// identity pool's role configuration and of the boundary. Only tenants whose role exists cost
// per-tenant reads (the role's tags, boundary and inline policies, which ListRoles does not
// return; the probe user's groups); a tenant that does not exist yet costs none.
import type { AwsApis, GroupInfo, IdentityPoolRoles, RoleInfo, UserInfo } from '../../aws/apis.js';
import { retry } from '../../aws/retry.js';
import type { StackConfig } from '../../config/schema.js';
import { roleName } from '../../config/tenant-id.js';
import { FailedError } from '../../errors.js';
import { boundaryPolicyArn, INLINE_POLICY_NAME } from '../../policy/index.js';
import type { TenantContext } from '../../tenant/context.js';
import { PROBE_USER_PREFIX, probeUsername, tenantGroupName } from '../../tenant/names.js';
import { mappingKeyOf, rulesOf, type ObservedTenant } from '../../tenant/observe.js';
import { group as groupResource, probeUser as probeResource, role as roleResource, rule as ruleResource } from '../../tenant/resources/index.js';
import { mapLimit } from '../concurrency.js';

export interface FleetView {
  /** Every tenant of the stack that has anything isoctl made (role, group, rule or probe user). */
  existing: Set<string>;
  roles: Map<string, RoleInfo>;
  groups: Map<string, GroupInfo>;
  users: Map<string, UserInfo>;
  poolRoles: IdentityPoolRoles;
  mappingKey: string;
}

/** Retries throttling, 5xx and resets of one read (all classed 'throttled'; the SDK's own attempts sit below). */
export function readRetry<T>(ctx: TenantContext, fn: () => Promise<T>): Promise<T> {
  return retry(ctx, fn, { throttleAttempts: 6 });
}

/** The shared reads: listings and the pool's role configuration, each once. */
export async function scanFleet(ctx: TenantContext): Promise<FleetView> {
  const { apis, config } = ctx;
  ctx.progress?.('reading the stack: roles, mappings, probe users');
  const [boundary, roles, groups, users, poolRoles] = await Promise.all([
    readRetry(ctx, () => apis.iam.getPolicy(boundaryPolicyArn(config))),
    readRetry(ctx, () => apis.iam.listStackRoles(config.stack)),
    config.mapping === 'token' ? readRetry(ctx, () => apis.cognitoIdp.listGroups(config.userPoolId)) : Promise.resolve([] as GroupInfo[]),
    readRetry(ctx, () => apis.scans.listUsersByPrefix(config.userPoolId, PROBE_USER_PREFIX)),
    readRetry(ctx, () => apis.cognitoIdentity.getIdentityPoolRoles(config.identityPoolId)),
  ]);
  if (!boundary)
    throw new FailedError(`the stack's permissions boundary ${boundaryPolicyArn(config)} does not exist; run \`isoctl init\` first`, 'not_initialized');
  const mappingKey = mappingKeyOf(config);
  const entry = poolRoles.RoleMappings[mappingKey];
  const wantType = config.mapping === 'token' ? 'Token' : 'Rules';
  // Rules mode starts as a Token entry until the first rule is written (as `tenant create` accepts).
  if (!entry || (config.mapping === 'token' && entry.Type !== wantType))
    throw new FailedError(
      `the identity pool ${config.identityPoolId} has no ${wantType} role mapping for ${mappingKey}; run \`isoctl init\` first${
        config.mapping === 'token'
          ? ' with administrator credentials (the admin step writes the Token entry; the operator policy has no SetIdentityPoolRoles in token mode)'
          : ''
      }`,
      'not_initialized',
    );

  const view: FleetView = { existing: new Set(), roles: new Map(), groups: new Map(), users: new Map(), poolRoles, mappingKey };
  for (const r of roles) {
    const t = roleResource.tenantOfRoleName(config, r.name);
    if (t !== undefined) view.roles.set(t, r);
  }
  for (const g of groups) {
    const t = groupResource.tenantOfGroup(config, g);
    if (t !== undefined && g.name === tenantGroupName(t)) view.groups.set(t, g);
  }
  for (const u of users) {
    const t = probeResource.tenantOfProbeUser(u.username);
    if (t !== undefined)
      view.users.set(t, { ...u, createdAt: (u as { createDate?: string }).createDate ? Date.parse((u as { createDate?: string }).createDate!) : undefined });
  }
  for (const t of view.roles.keys()) view.existing.add(t);
  for (const [t, g] of view.groups) if (groupResource.owned(config, g, t).owned) view.existing.add(t);
  for (const [t, u] of view.users) if (probeResource.owned(config, u, t).owned) view.existing.add(t);
  for (const r of rulesOf(poolRoles, mappingKey)) if (ruleResource.owned(config, r).owned) view.existing.add(r.Value);
  return view;
}

/**
 * The ObservedTenant of each tenant, from the shared view plus per-tenant reads only where the
 * view shows something: the role's own reads when it exists; the probe user's groups (token
 * mapping) when it exists; silo tables when the config has any.
 */
export async function observeTenants(ctx: TenantContext, view: FleetView, tenants: string[], concurrency: number): Promise<Map<string, ObservedTenant>> {
  const out = new Map<string, ObservedTenant>();
  await mapLimit(tenants, concurrency, async (t) => {
    if (ctx.signal?.aborted) return;
    out.set(t, await observeOne(ctx, view, t));
  });
  return out;
}

async function observeOne(ctx: TenantContext, view: FleetView, tenant: string): Promise<ObservedTenant> {
  const { apis, config } = ctx;
  const name = roleName(config.stack, tenant);
  const rolePart = (async () => {
    if (!view.roles.has(tenant)) return { role: undefined, inlinePolicyNames: [] as string[], dataPolicy: undefined };
    const [role, inlinePolicyNames, dataPolicy] = await Promise.all([
      readRetry(ctx, () => apis.iam.getRole(name)),
      readRetry(ctx, () => apis.iam.listRolePolicies(name)).catch((err: unknown) => {
        if ((err as { kind?: string }).kind === 'not-found') return [] as string[];
        throw err;
      }),
      readRetry(ctx, () => apis.iam.getRolePolicy(name, INLINE_POLICY_NAME)),
    ]);
    return role ? { role, inlinePolicyNames, dataPolicy } : { role: undefined, inlinePolicyNames: [] as string[], dataPolicy: undefined };
  })();
  const user = view.users.get(tenant);
  const probePart = (async () => {
    const groups =
      user && config.mapping === 'token' ? await readRetry(ctx, () => apis.cognitoIdp.adminListGroupsForUser(config.userPoolId, probeUsername(tenant))) : [];
    return { user, groups };
  })();
  const siloPart = Promise.all(
    config.tables
      .filter((t) => t.model === 'silo')
      .map(async (t) => {
        const table = await readRetry(ctx, () => apis.dynamodb.describeTable(`${t.name}-${tenant}`));
        return { name: `${t.name}-${tenant}`, table, tags: table ? await readRetry(ctx, () => apis.dynamodb.listTableTags(table.arn)) : undefined };
      }),
  );
  const [r, probe, siloTables] = await Promise.all([rolePart, probePart, siloPart]);
  const mapping: ObservedTenant['mapping'] =
    config.mapping === 'token'
      ? { kind: 'group', group: view.groups.get(tenant) }
      : {
          kind: 'rule',
          rules: rulesOf(view.poolRoles, view.mappingKey),
          entryType: view.poolRoles.RoleMappings[view.mappingKey]?.Type,
          mappingKey: view.mappingKey,
        };
  return { tenant, ...r, mapping, probe, siloTables };
}

/** Whether every tenant in `ids` exists per the view (for the bulk forms' "not found"). */
export function missingTenants(view: FleetView, ids: string[]): string[] {
  return ids.filter((t) => !view.existing.has(t));
}

export type { StackConfig, AwsApis };
