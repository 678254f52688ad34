// The tenant registry: one row per tenant (status, scopes, mode, times) in the stack's lock
// table. Every write is a conditional write on the version it read, so two operators never
// overwrite each other; a lost race re-reads and re-decides. AWS (IAM, Cognito) stays the truth
// for ownership and gc; the registry is what `tenant list` reads and what lifecycle commands
// (suspend, resume, revoke-sessions) record. ABAC mode registers tenants the same way.
import type { RegistryRow, RegistryStatus } from '../aws/apis.js';
import { AwsCallError } from '../aws/errors.js';
import { lockTableName } from '../config/schema.js';
import { FailedError, RefusedError } from '../errors.js';
import type { TenantContext } from './context.js';

export type { RegistryRow, RegistryStatus };

export const REGISTRY_PREFIX = 'tenant#';
/** The row saying the registry was filled from what AWS showed (stacks made before the registry). */
export const FILLED_KEY = REGISTRY_PREFIX;
const MAX_RACES = 8;

export const registryKey = (tenant: string) => `${REGISTRY_PREFIX}${tenant}`;

export interface RegistryListing {
  rows: RegistryRow[];
  /** Whether the registry was filled from AWS already (or began with the stack). */
  filled: boolean;
  /** Scan pages read. */
  calls: number;
}

export type RegistryChange = 'created' | 'updated' | 'unchanged' | 'removed' | 'absent';

function notInitialized(ctx: TenantContext, err: unknown): never {
  if (err instanceof AwsCallError && err.kind === 'not-found')
    throw new FailedError(`the registry table ${lockTableName(ctx.config)} does not exist; run \`isoctl init\` first`, 'not_initialized', { cause: err });
  throw err;
}

export async function getTenantRow(ctx: TenantContext, tenant: string): Promise<RegistryRow | undefined> {
  const row = await ctx.apis.registry.get(lockTableName(ctx.config), registryKey(tenant)).catch((e: unknown) => notInitialized(ctx, e));
  return row && row.tenant ? row : undefined;
}

export async function listRegistry(ctx: TenantContext): Promise<RegistryListing> {
  const { rows, calls } = await ctx.apis.registry.scan(lockTableName(ctx.config), REGISTRY_PREFIX).catch((e: unknown) => notInitialized(ctx, e));
  const tenants = rows.filter((r) => r.key !== FILLED_KEY).map((r) => r.row);
  tenants.sort((a, b) => (a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : 0));
  return { rows: tenants, filled: rows.some((r) => r.key === FILLED_KEY), calls };
}

/**
 * What the caller read of a tenant's row moments ago (a consistent Scan of the registry: `row`
 * undefined when it had none). The first decision is made on it instead of a GetItem; the write is
 * conditional on that version all the same, so a row changed since is re-read and decided again.
 */
export interface KnownRow {
  row: RegistryRow | undefined;
}

/**
 * Read-decide-write until the write lands: `decide` gets the current row (undefined: none) and
 * returns the row wanted, `null` to delete it, or undefined for "already as wanted" (no write).
 */
export async function updateTenantRow(
  ctx: TenantContext,
  tenant: string,
  decide: (current: RegistryRow | undefined, now: string) => RegistryRow | null | undefined,
  known?: KnownRow,
): Promise<{ change: RegistryChange; row: RegistryRow | undefined }> {
  const table = lockTableName(ctx.config);
  const key = registryKey(tenant);
  for (let i = 0; i < MAX_RACES; i++) {
    const current = i === 0 && known ? known.row : await getTenantRow(ctx, tenant);
    const now = new Date(ctx.now()).toISOString();
    const want = decide(current, now);
    if (want === undefined) return { change: 'unchanged', row: current };
    if (want === null) {
      if (!current) return { change: 'absent', row: undefined };
      if (await ctx.apis.registry.remove(table, key, { version: current.version })) return { change: 'removed', row: undefined };
      continue;
    }
    const row: RegistryRow = { ...want, tenant, version: (current?.version ?? 0) + 1, updatedAt: now, createdAt: current?.createdAt ?? want.createdAt ?? now };
    if (await ctx.apis.registry.put(table, key, row, current ? { version: current.version } : { absent: true }))
      return { change: current ? 'updated' : 'created', row };
  }
  throw new RefusedError(
    `the registry row of tenant ${tenant} kept changing under this command (${MAX_RACES} tries); another operator is changing it: try again`,
    'registry_conflict',
  );
}

/** `tenant create`: the tenant is registered active with these scopes; no write when it already is. */
export async function registerTenant(ctx: TenantContext, tenant: string, scopes: string[], known?: KnownRow): Promise<RegistryChange> {
  const { change } = await updateTenantRow(
    ctx,
    tenant,
    (cur, now) => {
      // A suspended tenant stays suspended (create repairs, it does not resume); `deleting` was an
      // interrupted delete that create now undoes.
      const status: RegistryStatus = cur?.status === 'suspended' ? 'suspended' : 'active';
      if (cur && cur.status === status && cur.scopes.join('+') === scopes.join('+') && cur.mode === ctx.config.mapping) return undefined;
      return { tenant, status, scopes, mode: ctx.config.mapping, createdAt: cur?.createdAt ?? now, updatedAt: now, version: 0, extra: cur?.extra };
    },
    known,
  );
  return change;
}

/** Sets the status of a registered tenant (or registers it with `scopes` when it has no row yet). */
export async function setTenantStatus(
  ctx: TenantContext,
  tenant: string,
  status: RegistryStatus,
  scopes: string[],
  extra?: Record<string, string>,
  known?: KnownRow,
): Promise<RegistryChange> {
  const { change } = await updateTenantRow(
    ctx,
    tenant,
    (cur, now) => {
      const wantExtra = extra ? { ...(cur?.extra ?? {}), ...extra } : cur?.extra;
      if (cur && cur.status === status && JSON.stringify(cur.extra ?? {}) === JSON.stringify(wantExtra ?? {})) return undefined;
      const base = { scopes: cur?.scopes ?? scopes, mode: cur?.mode ?? ctx.config.mapping, createdAt: cur?.createdAt ?? now };
      return { tenant, status, ...base, updatedAt: now, version: 0, extra: wantExtra };
    },
    known,
  );
  return change;
}

export async function unregisterTenant(ctx: TenantContext, tenant: string, known?: KnownRow): Promise<RegistryChange> {
  return (await updateTenantRow(ctx, tenant, () => null, known)).change;
}

/** Records that the registry holds every tenant AWS showed (written once, after filling). */
export async function markRegistryFilled(ctx: TenantContext): Promise<void> {
  const now = new Date(ctx.now()).toISOString();
  await ctx.apis.registry.put(
    lockTableName(ctx.config),
    FILLED_KEY,
    { tenant: '', status: 'active', scopes: [], mode: ctx.config.mapping, createdAt: now, updatedAt: now, version: 1 },
    { absent: true },
  );
}
