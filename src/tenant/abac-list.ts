// `tenant list` in ABAC mode (issue 12). An ABAC tenant has no IAM object of its own (the scope
// roles are shared), so the registry says which tenants exist. Plain `tenant list` of a filled
// registry reads only the registry (its Scan pages: two calls for 10,000 tenants) and compares
// nothing with AWS. `--deep`, and the first list of a stack made before the registry (which fills
// it), read what Cognito and DynamoDB show: the probe users (tenant claim = id, one ListUsers page
// set for the stack) and, with --deep, per tenant its silo tables and the probe's scope group.
import { cognitoProviderName, type DatedUser } from '../aws/apis.js';
import { buildScopeRoles } from '../policy/index.js';
import { detectAbacClobber, type Clobber } from './clobber.js';
import type { TenantContext } from './context.js';
import { desiredTenant, resolveScopes } from './desired.js';
import type { DriftAspect, DriftFinding, TenantListEntry, TenantListResult, TenantStatus } from './inventory.js';
import { PROBE_USER_PREFIX } from './names.js';
import { observeTenant } from './observe.js';
import { reconcileRegistry, registryOnlyReport, REGISTRY_PROPAGATION_MS } from './registry-reconcile.js';
import { listRegistry, type RegistryListing, type RegistryRow } from './registry.js';
import { probeUser as probeUserResource } from './resources/index.js';
/** The stack's probe users by the tenant their claim names (isoctl's only: name and claim agree). */
async function probesByClaim(ctx: TenantContext): Promise<Map<string, DatedUser>> {
  const out = new Map<string, DatedUser>();
  for (const u of await ctx.apis.scans.listUsersByPrefix(ctx.config.userPoolId, PROBE_USER_PREFIX)) {
    const t = probeUserResource.tenantOfProbeUser(u.username);
    if (t === undefined || !probeUserResource.owned(ctx.config, u, t).owned) continue;
    // A probe user without the claim carries no tenant (its create stopped half-way): still the tenant's trace.
    out.set(u.attributes[ctx.config.tenantClaim] ?? t, u);
  }
  return out;
}

export async function listAbacTenants(ctx: TenantContext, opts: { deep: boolean }): Promise<TenantListResult> {
  ctx.progress?.('reading the registry');
  const listing = await listRegistry(ctx);
  // A stack made before the registry: read AWS once (fills the rows and marks the registry filled).
  return !opts.deep && listing.filled ? fromRegistry(ctx, listing) : reconciled(ctx, opts, listing);
}

/** A `deleting` row is a delete that stopped half-way once older than the propagation window (younger: in progress). */
function unfinishedDelete(row: RegistryRow | undefined, now: number): 'young' | 'old' | undefined {
  if (row?.status !== 'deleting') return undefined;
  return now - Date.parse(row.updatedAt) < REGISTRY_PROPAGATION_MS ? 'young' : 'old';
}

const deletingFinding = (row: RegistryRow): DriftFinding => ({
  aspect: 'registry',
  detail: `the registry row has said "deleting" since ${row.updatedAt}: a tenant delete stopped half-way`,
});

const registeredOf = (row: RegistryRow | undefined) => (row ? { registered: { scopes: row.scopes, createdAt: row.createdAt, updatedAt: row.updatedAt } } : {});

function countsOf(tenants: TenantListEntry[]): Record<TenantStatus, number> {
  const counts: Record<TenantStatus, number> = { ok: 0, drift: 0, orphan: 0, dangling: 0, propagating: 0 };
  for (const t of tenants) counts[t.status]++;
  return counts;
}

/**
 * Plain list of a filled registry: one entry per row, nothing read from Cognito, IAM or the silo
 * tables (`checked: ['registry']`, `registry.comparedWithAws: false`, no `probeUser`).
 */
function fromRegistry(ctx: TenantContext, listing: RegistryListing): TenantListResult {
  const now = ctx.now();
  const tenants = listing.rows.map((row): TenantListEntry => {
    const deleting = unfinishedDelete(row, now);
    const status: TenantStatus = deleting === 'old' ? 'drift' : deleting === 'young' ? 'propagating' : 'ok';
    return {
      tenant: row.tenant,
      status,
      drift: deleting === 'old' ? ['registry'] : [],
      role: null,
      mapping: null,
      lifecycle: row.status,
      ...registeredOf(row),
      ...(deleting === 'old' ? { findings: [deletingFinding(row)], fix: `isoctl tenant delete ${row.tenant} (finish the delete)` } : {}),
    };
  });
  return {
    stack: ctx.config.stack,
    mapping: ctx.config.mapping,
    checked: ['registry'],
    tenants,
    counts: countsOf(tenants),
    registry: registryOnlyReport(listing),
  };
}

/** The registry beside the probe users (and with --deep silo tables, scope groups and the identity pool). */
async function reconciled(ctx: TenantContext, opts: { deep: boolean }, listing: RegistryListing): Promise<TenantListResult> {
  const { config } = ctx;
  ctx.progress?.('listing probe users');
  const probes = await probesByClaim(ctx);
  const defaultScopes = resolveScopes(config, undefined);
  const { report, rows } = await reconcileRegistry(
    ctx,
    [...probes.keys()].map((tenant) => ({ tenant, roleName: undefined, scopes: defaultScopes })),
    listing,
  );
  const ids = [...new Set([...rows.keys(), ...probes.keys()])].sort();
  const checked: DriftAspect[] = opts.deep ? ['registry', 'probe', 'silo-table', 'mapping-removed'] : ['registry', 'probe'];
  // --deep: the stack's one Token entry and principal-tag map, replaced by another writer (issue 17).
  const clobber = opts.deep ? await abacClobber(ctx, ids) : undefined;
  const tenants: TenantListEntry[] = [];
  const now = ctx.now();
  for (const tenant of ids) {
    const row = rows.get(tenant);
    const probe = probes.get(tenant);
    const drift: DriftAspect[] = [];
    const findings: DriftFinding[] = [];
    let siloTables: Array<{ name: string; exists: boolean }> | undefined;
    const desired = desiredTenant(config, tenant, row?.scopes.length ? row.scopes : defaultScopes);
    const deleting = unfinishedDelete(row, now);
    if (row && deleting === 'old') findings.push(deletingFinding(row));
    if (!probe) findings.push({ aspect: 'probe', detail: `no probe user ${desired.probe.username} carrying ${config.tenantClaim}=${tenant}` });
    else if (probe.attributes[config.tenantClaim] !== tenant)
      findings.push({ aspect: 'probe', detail: `the probe user does not carry ${config.tenantClaim}=${tenant}` });
    if (opts.deep) {
      const observed = await observeTenant(ctx.apis, config, tenant);
      siloTables = observed.siloTables.map((s) => ({ name: s.name, exists: s.table !== undefined }));
      const missing = siloTables.filter((s) => !s.exists).map((s) => s.name);
      if (missing.length > 0) findings.push({ aspect: 'silo-table', detail: `silo table(s) missing: ${missing.join(', ')}` });
      if (probe && desired.probe.group && !observed.probe.groups.includes(desired.probe.group))
        findings.push({ aspect: 'probe', detail: `the probe user is not in the scope group ${desired.probe.group}` });
    }
    if (clobber) findings.push({ aspect: 'mapping-removed', detail: `the identity pool shows ${clobber.found}: no user of the tenant gets credentials` });
    drift.push(...findings.map((f) => f.aspect));
    // A row younger than the propagation window without a probe user is a create in progress; a
    // `deleting` row younger than that is a delete in progress.
    const young = row !== undefined && row.status !== 'deleting' && now - Date.parse(row.updatedAt) < REGISTRY_PROPAGATION_MS;
    const status: TenantStatus = deleting === 'young' && !clobber ? 'propagating' : drift.length === 0 ? 'ok' : !probe && young ? 'propagating' : 'drift';
    tenants.push({
      tenant,
      status,
      drift: [...new Set(drift)],
      role: null,
      mapping: null,
      lifecycle: row?.status ?? null,
      probeUser: probe ? probe.username : null,
      ...registeredOf(row),
      ...(siloTables ? { siloTables } : {}),
      ...(findings.length > 0 && (opts.deep || deleting === 'old') ? { findings } : {}),
      ...(status === 'drift'
        ? {
            fix:
              clobber && findings.every((f) => f.aspect === 'mapping-removed')
                ? `${clobber.command} (with administrator credentials)`
                : deleting === 'old'
                  ? `isoctl tenant delete ${tenant} (finish the delete)`
                  : `isoctl tenant create ${tenant} (finish it) or isoctl tenant delete ${tenant} (remove what is left)`,
          }
        : {}),
    });
  }
  return { stack: config.stack, mapping: config.mapping, checked, tenants, counts: countsOf(tenants), registry: report, ...(clobber ? { clobber } : {}) };
}

async function abacClobber(ctx: TenantContext, tenants: string[]): Promise<Clobber | undefined> {
  const { apis, config } = ctx;
  const [roles, poolRoles, tagMap] = await Promise.all([
    apis.iam.listStackRoles(config.stack),
    apis.cognitoIdentity.getIdentityPoolRoles(config.identityPoolId),
    apis.cognitoIdentity.getPrincipalTagAttributeMap(config.identityPoolId, cognitoProviderName(config.region, config.userPoolId)),
  ]);
  const scopeRoles = new Set(buildScopeRoles(config).map((s) => s.roleName));
  return detectAbacClobber(
    config,
    poolRoles,
    tagMap,
    roles.some((r) => scopeRoles.has(r.name)),
    tenants,
  );
}
