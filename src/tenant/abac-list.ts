// `tenant list` in ABAC mode (issue 12). An ABAC tenant has no IAM object of its own (the scope
// roles are shared), so a tenant is its registry row plus what Cognito and DynamoDB show: its probe
// user (tenant claim = id) and, with --deep, its silo tables and the probe's scope group. One
// registry Scan and one ListUsers page set for the whole stack; --deep reads per tenant.
import { cognitoProviderName, type DatedUser } from '../aws/apis.js';
import { buildScopeRoles } from '../policy/index.js';
import { detectAbacClobber, type Clobber } from './clobber.js';
import type { TenantContext } from './context.js';
import { desiredTenant, resolveScopes } from './desired.js';
import type { DriftAspect, DriftFinding, TenantListEntry, TenantListResult, TenantStatus } from './inventory.js';
import { PROBE_USER_PREFIX } from './names.js';
import { observeTenant } from './observe.js';
import { reconcileRegistry, REGISTRY_PROPAGATION_MS } from './registry-reconcile.js';
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
  const { config } = ctx;
  ctx.progress?.('listing probe users and the registry');
  const probes = await probesByClaim(ctx);
  const defaultScopes = resolveScopes(config, undefined);
  const { report, rows } = await reconcileRegistry(
    ctx,
    [...probes.keys()].map((tenant) => ({ tenant, roleName: undefined, scopes: defaultScopes })),
  );
  const ids = [...new Set([...rows.keys(), ...probes.keys()])].sort();
  const checked: DriftAspect[] = opts.deep ? ['probe', 'silo-table', 'mapping-removed'] : ['probe'];
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
    // A row younger than the propagation window without a probe user is a create in progress.
    const young = row !== undefined && row.status !== 'deleting' && now - Date.parse(row.updatedAt) < REGISTRY_PROPAGATION_MS;
    const status: TenantStatus = drift.length === 0 ? 'ok' : !probe && young ? 'propagating' : 'drift';
    tenants.push({
      tenant,
      status,
      drift: [...new Set(drift)],
      role: null,
      mapping: null,
      lifecycle: row?.status ?? null,
      probeUser: probe ? probe.username : null,
      ...(siloTables ? { siloTables } : {}),
      ...(opts.deep && findings.length > 0 ? { findings } : {}),
      ...(status === 'drift'
        ? {
            fix:
              clobber && findings.every((f) => f.aspect === 'mapping-removed')
                ? `${clobber.command} (with administrator credentials)`
                : `isoctl tenant create ${tenant} (finish it) or isoctl tenant delete ${tenant} (remove what is left)`,
          }
        : {}),
    });
  }
  const counts: Record<TenantStatus, number> = { ok: 0, drift: 0, orphan: 0, dangling: 0, propagating: 0 };
  for (const t of tenants) counts[t.status]++;
  return { stack: config.stack, mapping: config.mapping, checked, tenants, counts, registry: report, ...(clobber ? { clobber } : {}) };
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
