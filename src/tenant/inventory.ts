// `tenant list` and `tenant show`: what exists, joined across IAM and Cognito, with a status per
// tenant: ok, drift (trust, policy, boundary, tags, mapping or the probe user differ from the config), orphan
// (role without mapping), dangling (mapping or group without role), propagating (orphan or
// dangling, but younger than a minute: another service's read has not caught up yet).
// What is isoctl's and what is orphaned is decided by src/tenant/resources.
import type { DatedUser, GroupInfo, MappingRule, RoleInfo } from '../aws/apis.js';
import type { MappingMode, StackConfig } from '../config/schema.js';
import { assertTenantId } from '../config/tenant-id.js';
import { NotFoundError } from '../errors.js';
import { INLINE_POLICY_NAME, buildTrustPolicy, parsePolicy, policiesEqual, reachBeyondTenant, type PolicyDocument } from '../policy/index.js';
import type { TenantContext } from './context.js';
import { desiredTenant, scopesFromTag, resolveScopes } from './desired.js';
import { mappingKeyOf, observeTenant, rulesOf, type ObservedTenant } from './observe.js';
import { PROBE_USER_PREFIX, TAG_SCOPES } from './names.js';
import { findTenantRule, planCreate, tenantExists } from './plan.js';
import { group as groupResource, probeUser as probeUserResource, role as roleResource, rule as ruleResource } from './resources/index.js';
import { linkageOf } from './resources/orphans.js';
import { detectClobber, type Clobber } from './clobber.js';
import { reconcileRegistry, type RegistryReport } from './registry-reconcile.js';
import type { RegistryStatus } from './registry.js';

export type TenantStatus = 'ok' | 'drift' | 'orphan' | 'dangling' | 'propagating';
export type DriftAspect =
  | 'trust'
  | 'policy'
  | 'boundary'
  | 'tags'
  | 'mapping'
  | 'mapping-removed'
  | 'probe'
  | 'extra-policies'
  | 'attached-policies'
  | 'reach'
  | 'ownership'
  | 'silo-table'
  /** ABAC: the registry row itself (a `deleting` row: a delete that stopped half-way). In `checked`: the registry was read. */
  | 'registry';

/** One thing that drifted, in words (`tenant list --deep`). */
export interface DriftFinding {
  aspect: DriftAspect;
  detail: string;
}

export interface TenantListEntry {
  tenant: string;
  status: TenantStatus;
  /** What differs from the config (status drift). */
  drift: DriftAspect[];
  role: { name: string; arn: string; createDate: string | undefined } | null;
  mapping: { kind: 'group' | 'rule'; roleArn: string | undefined } | null;
  /** The tenant's registry status (active, suspended, deleting); null when it has no registry row. */
  lifecycle: RegistryStatus | null;
  /** With --deep: what drifted, in words. */
  findings?: DriftFinding[] | undefined;
  /** How to repair a tenant that is not ok (drift, orphan, dangling). */
  fix?: string | undefined;
  /** ABAC: the tenant's probe user (null: none carries its claim). Absent when probe users were not read (plain list of a filled registry). */
  probeUser?: string | null | undefined;
  /** ABAC: the tenant's registry row (scopes and times); absent when it has none. */
  registered?: { scopes: string[]; createdAt: string; updatedAt: string } | undefined;
  /** ABAC with --deep: the tenant's silo tables and whether DynamoDB shows them. */
  siloTables?: Array<{ name: string; exists: boolean }> | undefined;
}

export interface TenantListResult {
  stack: string;
  mapping: MappingMode;
  /** Which aspects were compared: ListRoles returns no tags, boundary or inline policies, so those need --deep (per-role calls). */
  checked: DriftAspect[];
  tenants: TenantListEntry[];
  counts: Record<TenantStatus, number>;
  /** Tenants whose identity-pool entry or rule another writer removed, the likely cause and the repair. */
  clobber?: Clobber;
  /** The registry compared with what AWS shows: rows read, rows filled from AWS, drift both ways. */
  registry: RegistryReport;
}

function ms(iso: string | undefined): number | undefined {
  return iso === undefined ? undefined : Date.parse(iso);
}

/** The status of a tenant from its pieces; `drift` only counts when role and mapping are linked. */
function statusOf(
  pieces: { role: boolean; mapped: boolean; probe?: boolean; createdAt: Array<number | undefined> },
  drift: DriftAspect[],
  now: number,
): TenantStatus {
  const { linkage, propagating } = linkageOf(pieces, now);
  if (linkage === 'orphan' || linkage === 'dangling') return propagating ? 'propagating' : linkage;
  return drift.length > 0 ? 'drift' : 'ok';
}

export async function listTenants(ctx: TenantContext, opts: { deep: boolean }): Promise<TenantListResult> {
  const { apis, config } = ctx;
  ctx.progress?.('listing roles and mappings');
  // Rules mode reads the pool's configuration anyway; --deep reads it in token mode too, for the clobber check.
  const poolRolesP =
    config.mapping === 'rules' || (opts.deep && config.mapping === 'token') ? apis.cognitoIdentity.getIdentityPoolRoles(config.identityPoolId) : undefined;
  const [roles, mappings, probes, poolRolesRead] = await Promise.all([
    apis.iam.listStackRoles(config.stack),
    (async (): Promise<Map<string, { roleArn: string | undefined; kind: 'group' | 'rule'; createdAt: number | undefined }>> => {
      const out = new Map<string, { roleArn: string | undefined; kind: 'group' | 'rule'; createdAt: number | undefined }>();
      if (config.mapping === 'token') {
        const groups: GroupInfo[] = await apis.cognitoIdp.listGroups(config.userPoolId);
        for (const g of groups) {
          const t = groupResource.tenantOfGroup(config, g);
          if (t !== undefined && groupResource.owned(config, g, t).owned) out.set(t, { roleArn: g.roleArn, kind: 'group', createdAt: g.createdAt });
        }
      } else {
        const poolRoles = await (poolRolesP ?? apis.cognitoIdentity.getIdentityPoolRoles(config.identityPoolId));
        for (const r of rulesOf(poolRoles, mappingKeyOf(config)) as MappingRule[])
          if (ruleResource.owned(config, r).owned) out.set(r.Value, { roleArn: r.RoleArn, kind: 'rule', createdAt: undefined });
      }
      return out;
    })(),
    probeUsers(ctx),
    poolRolesP,
  ]);
  const clobber = poolRolesRead ? detectClobber(config, poolRolesRead, roles, ctx.now()) : undefined;
  const clobbered = new Set(clobber?.tenants ?? []);
  const trust = buildTrustPolicy(config);
  const checked: DriftAspect[] = opts.deep
    ? [
        'trust',
        'mapping',
        'probe',
        'policy',
        'boundary',
        'tags',
        'extra-policies',
        'attached-policies',
        'reach',
        'ownership',
        ...(poolRolesP ? (['mapping-removed'] as const) : []),
      ]
    : ['trust', 'mapping', 'probe', ...(poolRolesP ? (['mapping-removed'] as const) : [])];
  const byTenant = new Map<string, RoleInfo>();
  for (const r of roles) {
    const t = roleResource.tenantOfRoleName(config, r.name);
    if (t) byTenant.set(t, r);
  }
  // A probe user left alone (role and mapping gone) is a trace of a tenant: dangling (ABAC is listed by abac-list.ts).
  const traces = [...probes.keys()];
  const ids = [...new Set([...byTenant.keys(), ...mappings.keys(), ...traces])].sort();
  const tenants: TenantListEntry[] = [];
  for (const tenant of ids) {
    const role = byTenant.get(tenant);
    const mapping = mappings.get(tenant);
    const probe = probes.get(tenant);
    const drift: DriftAspect[] = [];
    let findings: DriftFinding[] | undefined;
    if (role && mapping) {
      // A create stopped before its probe user (or its tenant claim) exists cannot be signed in
      // to: not ok. --deep's plan finds the same (and the group membership).
      if (probeIncomplete(config, tenant, probe)) drift.push('probe');
      // ListRoles carries no tags on AWS; where a listing does, the ownership filter applies already.
      if (role.tags !== undefined && !roleResource.owned(config, role, tenant).owned) drift.push('ownership');
      if (!policiesEqual(trust, role.trustPolicy as PolicyDocument)) drift.push('trust');
      if (mapping.roleArn !== role.arn) drift.push('mapping');
      if (opts.deep) {
        findings = await deepDrift(ctx, tenant, ids);
        drift.push(...findings.map((f) => f.aspect));
      }
    }
    // Its entry or rule was removed by another writer: not an orphan to collect, a tenant to repair.
    if (role && clobbered.has(tenant)) drift.push('mapping-removed');
    const status =
      clobbered.has(tenant) && role
        ? 'drift'
        : statusOf(
            {
              role: role !== undefined,
              mapped: mapping !== undefined,
              probe: probe !== undefined,
              createdAt: [ms(role?.createDate), mapping?.createdAt, ms(probe?.createDate)],
            },
            drift,
            ctx.now(),
          );
    tenants.push({
      tenant,
      status,
      drift: [...new Set(drift)],
      role: role ? { name: role.name, arn: role.arn, createDate: role.createDate } : null,
      mapping: mapping ? { kind: mapping.kind, roleArn: mapping.roleArn } : null,
      lifecycle: null,
      ...(findings && findings.length > 0 ? { findings } : {}),
      ...(fixOf(tenant, status, drift) ? { fix: fixOf(tenant, status, drift) } : {}),
    });
  }
  const counts: Record<TenantStatus, number> = { ok: 0, drift: 0, orphan: 0, dangling: 0, propagating: 0 };
  for (const t of tenants) counts[t.status]++;
  const { report, rows } = await reconcileRegistry(
    ctx,
    tenants.map((t) => ({ tenant: t.tenant, roleName: t.role?.name })),
  );
  for (const t of tenants) t.lifecycle = rows.get(t.tenant)?.status ?? null;
  return { stack: config.stack, mapping: config.mapping, checked, tenants, counts, registry: report, ...(clobber ? { clobber } : {}) };
}

/** The stack's probe users by tenant: one paginated ListUsers (`username ^= "isoctl-probe-"`), isoctl's only. */
async function probeUsers(ctx: TenantContext): Promise<Map<string, DatedUser>> {
  const out = new Map<string, DatedUser>();
  for (const u of await ctx.apis.scans.listUsersByPrefix(ctx.config.userPoolId, PROBE_USER_PREFIX)) {
    const t = probeUserResource.tenantOfProbeUser(u.username);
    if (t !== undefined && probeUserResource.owned(ctx.config, u, t).owned) out.set(t, u);
  }
  return out;
}

/**
 * The probe user's own plan says what is missing (the user, or in rules mode its tenant claim);
 * its group membership needs one call per user, so only --deep compares it.
 */
function probeIncomplete(config: StackConfig, tenant: string, user: DatedUser | undefined): boolean {
  const desired = desiredTenant(config, tenant, resolveScopes(config, undefined));
  const groups = desired.probe.group ? [desired.probe.group] : [];
  return probeUserResource.plan(desired, { user, groups }).length > 0;
}

/** The way out for a tenant that is not ok. */
function fixOf(tenant: string, status: TenantStatus, drift: DriftAspect[]): string | undefined {
  if (status === 'orphan' || status === 'dangling') return `isoctl tenant create ${tenant} (finish it) or isoctl tenant delete ${tenant} (remove what is left)`;
  if (status !== 'drift') return undefined;
  if (drift.includes('ownership'))
    return `the role is not isoctl's for tenant ${tenant} (its tags name another stack or tenant): inspect it by hand; isoctl will not change it`;
  const byHand = drift.includes('attached-policies')
    ? `detach the managed policies by hand (aws iam detach-role-policy --role-name <role> --policy-arn <arn>), then `
    : '';
  return `${byHand}isoctl tenant create ${tenant} (rewrites trust, data policy, boundary, tags and mapping from the config and removes extra inline policies)`;
}

/** Per-role reads: what a create would change is what drifted; plus attached managed policies and reach beyond the tenant. */
async function deepDrift(ctx: TenantContext, tenant: string, stackTenants: string[]): Promise<DriftFinding[]> {
  const observed = await observeTenant(ctx.apis, ctx.config, tenant);
  const findings = describeDrift(tenant, observed, driftOf(ctx, tenant, observed));
  if (observed.role && roleResource.owned(ctx.config, observed.role, tenant).owned) {
    const attached = await ctx.apis.iam.listAttachedRolePolicies(observed.role.name);
    if (attached.length > 0)
      findings.push({
        aspect: 'attached-policies',
        detail: `attached managed polic${attached.length === 1 ? 'y' : 'ies'} ${attached.join(', ')} (isoctl attaches none)`,
      });
    // Proven against every existing tenant of the stack, only for a document that differs from the config's.
    const doc = findings.some((f) => f.aspect === 'policy') ? readDocument(observed.dataPolicy) : undefined;
    const reach = doc ? reachBeyondTenant(ctx.config, tenant, doc, stackTenants) : [];
    if (reach.length > 0)
      findings.push({
        aspect: 'reach',
        detail: `the data policy reaches beyond tenant ${tenant}: ${reach.length} cross-tenant probe(s) allowed, e.g. ${reach[0]}`,
      });
  }
  return findings;
}

function readDocument(value: unknown): PolicyDocument | undefined {
  try {
    const doc = typeof value === 'string' || (typeof value === 'object' && value !== null) ? parsePolicy(value as PolicyDocument | string) : undefined;
    return doc && typeof doc === 'object' && 'Statement' in doc ? doc : undefined;
  } catch {
    return undefined;
  }
}

const DRIFT_WORDS: Record<DriftAspect, string> = {
  trust: 'the trust policy differs from the config',
  policy: 'the isoctl-data policy is missing or differs from the config',
  boundary: 'the permissions boundary is missing or not the stack boundary',
  tags: "the role's isoctl tags differ",
  mapping: 'the group or rule does not map the role',
  'mapping-removed': "the identity pool's mapping entry or rule of the tenant was removed by another writer",
  probe: 'the probe user is missing or not set up',
  'extra-policies': 'extra inline policies beside isoctl-data',
  'attached-policies': 'attached managed policies',
  reach: 'the data policy reaches beyond the tenant',
  ownership: "the role's tags name another stack or tenant",
  'silo-table': 'a silo table is missing',
  registry: 'the registry row says a delete stopped half-way',
};

function describeDrift(tenant: string, observed: ObservedTenant, aspects: DriftAspect[]): DriftFinding[] {
  return aspects.map((aspect) => {
    if (aspect === 'extra-policies') {
      const extra = observed.inlinePolicyNames.filter((n) => n !== INLINE_POLICY_NAME);
      return { aspect, detail: `extra inline polic${extra.length === 1 ? 'y' : 'ies'} ${extra.join(', ')} beside isoctl-data` };
    }
    if (aspect === 'policy' && observed.dataPolicy === undefined)
      return { aspect, detail: `no isoctl-data policy on ${observed.role?.name ?? tenant} (its users are denied everything)` };
    return { aspect, detail: DRIFT_WORDS[aspect] };
  });
}

function driftOf(ctx: TenantContext, tenant: string, observed: ObservedTenant): DriftAspect[] {
  const { config } = ctx;
  if (!observed.role) return [];
  if (!roleResource.owned(config, observed.role, tenant).owned) return ['ownership'];
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
    if (rule)
      mapping = { kind: 'rule', claim: rule.Claim, value: rule.Value, roleArn: rule.RoleArn, position: rules.indexOf(rule) + 1, ruleCount: rules.length };
  }
  const drift = driftOf(ctx, tenant, observed);
  const group = observed.mapping.kind === 'group' ? observed.mapping.group : undefined;
  const status = statusOf(
    {
      role: observed.role !== undefined,
      mapped: mapping !== null,
      probe: observed.probe.user !== undefined,
      createdAt: [ms(observed.role?.createDate), group?.createdAt, observed.probe.user?.createdAt],
    },
    drift,
    ctx.now(),
  );
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
