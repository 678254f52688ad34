// apply keeps the tenant registry in step with what it creates, updates and deletes, as `tenant
// create` and `tenant delete` do: one scan for the whole run, then a write only where a tenant's
// row is missing or differs (so a re-run of an applied file writes nothing). The write is decided
// on the scanned row (no GetItem first) and conditional on its version (or on its absence): a row
// another operator changed since the scan fails the condition, and only then is it re-read and
// decided again (src/tenant/registry.ts updateTenantRow).
import { listRegistry, registerTenant, setTenantStatus, unregisterTenant } from '../../tenant/registry.js';
import type { TenantContext } from '../../tenant/context.js';
import type { TenantPlan } from './plan.js';

export interface RegistrySync {
  /** Whether the tenant's row is missing, marked deleting, or has other scopes or another mode. */
  needs(t: TenantPlan): boolean;
  /** Registers (or updates) the tenant when `needs` says so. */
  ensure(t: TenantPlan): Promise<void>;
  /** Before a delete's removals: the row (if any) is marked deleting. */
  deleting(tenant: string): Promise<void>;
  /** After a delete's removals: the row (if any) goes. */
  removed(tenant: string): Promise<void>;
}

const scopesOf = (t: TenantPlan): string[] => t.desired?.scopes ?? t.scopes ?? [];

export async function registrySync(ctx: TenantContext): Promise<RegistrySync> {
  const { rows } = await listRegistry(ctx);
  const byId = new Map(rows.map((r) => [r.tenant, r]));
  const needs = (t: TenantPlan): boolean => {
    const row = byId.get(t.tenant);
    return !row || row.status === 'deleting' || row.scopes.join('+') !== scopesOf(t).join('+') || row.mode !== ctx.config.mapping;
  };
  return {
    needs,
    async ensure(t) {
      if (needs(t)) await registerTenant(ctx, t.tenant, scopesOf(t), { row: byId.get(t.tenant) });
    },
    async deleting(tenant) {
      const row = byId.get(tenant);
      if (!row) return;
      const change = await setTenantStatus(ctx, tenant, 'deleting', [], undefined, { row });
      // What the row is now, for `removed`: its version moved on only if this wrote it.
      byId.set(tenant, change === 'updated' ? { ...row, status: 'deleting', version: row.version + 1 } : row);
    },
    async removed(tenant) {
      const row = byId.get(tenant);
      if (row) await unregisterTenant(ctx, tenant, { row });
    },
  };
}
