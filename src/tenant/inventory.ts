// `tenant list` and `tenant show`: what exists, joined across IAM and Cognito, with a status per
// tenant: ok, drift (trust, policy, boundary, tags or mapping differ from the config), orphan
// (role without mapping), dangling (mapping or group without role).
import type { GroupInfo, MappingRule, RoleInfo } from '../aws/apis.js';
import { roleName, assertTenantId } from '../config/tenant-id.js';
import { stackPath } from '../config/schema.js';
import { NotFoundError } from '../errors.js';
import { buildTrustPolicy, policiesEqual, TAG_TENANT, type PolicyDocument } from '../policy/index.js';
import type { TenantContext } from './context.js';
import { desiredTenant, scopesFromTag, resolveScopes } from './desired.js';
import { mappingKeyOf, observeTenant, rulesOf, type ObservedTenant } from './observe.js';
import { isManagedGroupDescription, TAG_SCOPES } from './names.js';
import { findTenantRule, planCreate, roleOwnershipProblem, tenantExists } from './plan.js';

export type TenantStatus = 'ok' | 'drift' | 'orphan' | 'dangling';
export type DriftAspect = 'trust' | 'policy' | 'boundary' | 'tags' | 'mapping' | 'probe' | 'extra-policies' | 'ownership' | 'silo-table';

export interface TenantListEntry {
  tenant: string;
  status: TenantStatus;
  /** What differs from the config (status drift). */
  drift: DriftAspect[];
  role: { name: string; arn: string; createDate: string | undefined } | null;
  mapping: { kind: 'group' | 'rule'; roleArn: string | undefined } | null;
}

export interface TenantListResult {
  stack: string;
  mapping: 'token' | 'rules';
  /** Which aspects were compared: ListRoles returns no tags, boundary or inline policies, so those need --deep (per-role calls). */
  checked: DriftAspect[];
  tenants: TenantListEntry[];
  counts: Record<TenantStatus, number>;
}

function tenantOfRole(stack: string, role: RoleInfo): string | undefined {
  const prefix = roleName(stack, '');
  if (!role.name.startsWith(prefix)) return undefined;
  return role.tags?.[TAG_TENANT] ?? role.name.slice(prefix.length);
}

export async function listTenants(ctx: TenantContext, opts: { deep: boolean }): Promise<TenantListResult> {
  const { apis, config } = ctx;
  ctx.progress?.('listing roles and mappings');
  const [roles, mappings] = await Promise.all([
    apis.iam.listStackRoles(config.stack),
    (async (): Promise<Map<string, { roleArn: string | undefined; kind: 'group' | 'rule' }>> => {
      const out = new Map<string, { roleArn: string | undefined; kind: 'group' | 'rule' }>();
      if (config.mapping === 'token') {
        const groups: GroupInfo[] = await apis.cognitoIdp.listGroups(config.userPoolId);
        for (const g of groups) {
          const marked = isManagedGroupDescription(config, g.description);
          if (marked) out.set(marked, { roleArn: g.roleArn, kind: 'group' });
          else if (g.roleArn?.includes(`:role${stackPath(config.stack)}`)) out.set(g.name, { roleArn: g.roleArn, kind: 'group' });
        }
      } else {
        const poolRoles = await apis.cognitoIdentity.getIdentityPoolRoles(config.identityPoolId);
        for (const r of rulesOf(poolRoles, mappingKeyOf(config)) as MappingRule[])
          if (r.Claim === config.tenantClaim && r.MatchType === 'Equals' && r.RoleArn.includes(`:role${stackPath(config.stack)}`))
            out.set(r.Value, { roleArn: r.RoleArn, kind: 'rule' });
      }
      return out;
    })(),
  ]);
  const trust = buildTrustPolicy(config);
  const checked: DriftAspect[] = opts.deep ? ['trust', 'mapping', 'policy', 'boundary', 'tags', 'extra-policies', 'ownership'] : ['trust', 'mapping'];
  const byTenant = new Map<string, RoleInfo>();
  for (const r of roles) {
    const t = tenantOfRole(config.stack, r);
    if (t) byTenant.set(t, r);
  }
  const ids = [...new Set([...byTenant.keys(), ...mappings.keys()])].sort();
  const tenants: TenantListEntry[] = [];
  for (const tenant of ids) {
    const role = byTenant.get(tenant);
    const mapping = mappings.get(tenant);
    const drift: DriftAspect[] = [];
    let status: TenantStatus;
    if (!role) status = 'dangling';
    else if (!mapping) status = 'orphan';
    else {
      if (!policiesEqual(trust, role.trustPolicy as PolicyDocument)) drift.push('trust');
      if (mapping.roleArn !== role.arn) drift.push('mapping');
      if (opts.deep) drift.push(...(await deepDrift(ctx, tenant)));
      status = drift.length > 0 ? 'drift' : 'ok';
    }
    tenants.push({
      tenant,
      status,
      drift: [...new Set(drift)],
      role: role ? { name: role.name, arn: role.arn, createDate: role.createDate } : null,
      mapping: mapping ? { kind: mapping.kind, roleArn: mapping.roleArn } : null,
    });
  }
  const counts: Record<TenantStatus, number> = { ok: 0, drift: 0, orphan: 0, dangling: 0 };
  for (const t of tenants) counts[t.status]++;
  return { stack: config.stack, mapping: config.mapping, checked, tenants, counts };
}

/** Per-role reads: what a create would change is what drifted. */
async function deepDrift(ctx: TenantContext, tenant: string): Promise<DriftAspect[]> {
  const observed = await observeTenant(ctx.apis, ctx.config, tenant);
  return driftOf(ctx, tenant, observed);
}

function driftOf(ctx: TenantContext, tenant: string, observed: ObservedTenant): DriftAspect[] {
  const { config } = ctx;
  if (!observed.role) return [];
  if (roleOwnershipProblem(observed.role, config.stack)) return ['ownership'];
  const scopes = scopesFromTag(config, observed.role.tags?.[TAG_SCOPES]) ?? resolveScopes(config, undefined);
  let steps;
  try {
    steps = planCreate(config, desiredTenant(config, tenant, scopes), observed);
  } catch {
    return ['ownership'];
  }
  const aspects: DriftAspect[] = [];
  for (const s of steps) {
    if (s.action === 'update-trust-policy') aspects.push('trust');
    else if (s.action === 'put-data-policy') aspects.push('policy');
    else if (s.action === 'put-permissions-boundary') aspects.push('boundary');
    else if (s.action === 'tag-role' || s.action === 'untag-role') aspects.push('tags');
    else if (s.action === 'delete-inline-policy') aspects.push('extra-policies');
    else if (s.action === 'create-group' || s.action === 'update-group' || s.action === 'put-rule') aspects.push('mapping');
    else if (s.action === 'create-probe-user' || s.action === 'update-probe-attributes' || s.action === 'add-probe-to-group') aspects.push('probe');
    else if (s.action === 'create-silo-table') aspects.push('silo-table');
  }
  return [...new Set(aspects)];
}

export interface TenantShowResult {
  tenant: string;
  stack: string;
  status: TenantStatus;
  drift: DriftAspect[];
  scopes: string[];
  role: {
    name: string;
    arn: string;
    path: string;
    createDate: string | undefined;
    permissionsBoundaryArn: string | undefined;
    tags: Record<string, string>;
    inlinePolicies: string[];
  } | null;
  documents: { trustPolicy: unknown; dataPolicy: unknown };
  mapping:
    | { kind: 'group'; name: string; roleArn: string | undefined; description: string | undefined }
    | { kind: 'rule'; claim: string; value: string; roleArn: string; position: number; ruleCount: number }
    | null;
  probeUser: { username: string; status: string | undefined; groups: string[] } | null;
  siloTables: Array<{ name: string; exists: boolean }>;
}

export async function showTenant(ctx: TenantContext, tenantId: string): Promise<TenantShowResult> {
  const { config } = ctx;
  const tenant = assertTenantId(tenantId, config.stack);
  const observed = await observeTenant(ctx.apis, config, tenant);
  if (!tenantExists(observed, config)) throw new NotFoundError(`tenant ${JSON.stringify(tenant)} does not exist in stack ${config.stack}`, 'tenant_not_found');
  const scopes = (observed.role && scopesFromTag(config, observed.role.tags?.[TAG_SCOPES])) ?? resolveScopes(config, undefined);
  let mapping: TenantShowResult['mapping'] = null;
  if (observed.mapping.kind === 'group' && observed.mapping.group)
    mapping = { kind: 'group', name: observed.mapping.group.name, roleArn: observed.mapping.group.roleArn, description: observed.mapping.group.description };
  if (observed.mapping.kind === 'rule') {
    const rules = observed.mapping.rules;
    const rule = findTenantRule(rules, config.tenantClaim, tenant);
    if (rule) mapping = { kind: 'rule', claim: rule.Claim, value: rule.Value, roleArn: rule.RoleArn, position: rules.indexOf(rule) + 1, ruleCount: rules.length };
  }
  const drift = driftOf(ctx, tenant, observed);
  const status: TenantStatus = !observed.role ? 'dangling' : !mapping ? 'orphan' : drift.length > 0 ? 'drift' : 'ok';
  return {
    tenant,
    stack: config.stack,
    status,
    drift: status === 'orphan' ? drift.filter((d) => d !== 'mapping') : drift,
    scopes,
    role: observed.role
      ? {
          name: observed.role.name,
          arn: observed.role.arn,
          path: observed.role.path,
          createDate: observed.role.createDate,
          permissionsBoundaryArn: observed.role.permissionsBoundaryArn,
          tags: observed.role.tags ?? {},
          inlinePolicies: observed.inlinePolicyNames,
        }
      : null,
    documents: { trustPolicy: observed.role?.trustPolicy ?? null, dataPolicy: observed.dataPolicy ?? null },
    mapping,
    probeUser: observed.probe.user ? { username: observed.probe.user.username, status: observed.probe.user.status, groups: observed.probe.groups } : null,
    siloTables: observed.siloTables.map((s) => ({ name: s.name, exists: s.table !== undefined })),
  };
}

