// `tenant list`: the registry beside what IAM and Cognito show. A stack made before the registry
// existed has no rows: the first list fills them from AWS (scopes from the role's tag) and marks
// the registry filled. From then on a row without AWS resources is registry-only drift and a
// tenant AWS shows without a row is AWS-only drift (`--deep` exits 1 on either).
import { TAG_SCOPES } from './names.js';
import { resolveScopes, scopesFromTag } from './desired.js';
import type { TenantContext } from './context.js';
import { listRegistry, markRegistryFilled, registerTenant, type RegistryListing, type RegistryRow } from './registry.js';

/** A row younger than this without AWS resources is a create in progress, not drift. */
export const REGISTRY_PROPAGATION_MS = 60_000;

export interface RegistryReport {
  /** Rows read, and the Scan pages it took. */
  rows: number;
  calls: number;
  /** Rows written now from what AWS showed (the first run after upgrading). */
  filled: string[];
  /** Rows whose tenant AWS does not show (deleted by hand, or a delete that stopped half-way). */
  registryOnly: string[];
  /** Tenants AWS shows without a registry row. */
  awsOnly: string[];
  /**
   * Whether the rows were compared with what AWS shows. false: only the registry was read (plain
   * `tenant list` in ABAC mode), so `registryOnly` and `awsOnly` are empty without having been checked.
   */
  comparedWithAws: boolean;
}

/** The report of a list that read only the registry: nothing filled, nothing compared with AWS. */
export function registryOnlyReport(listing: RegistryListing): RegistryReport {
  return { rows: listing.rows.length, calls: listing.calls, filled: [], registryOnly: [], awsOnly: [], comparedWithAws: false };
}

export async function reconcileRegistry(
  ctx: TenantContext,
  seen: Array<{ tenant: string; roleName: string | undefined; scopes?: string[] | undefined }>,
  /** The registry as the caller already read it (saves a second Scan). */
  read?: RegistryListing,
): Promise<{ report: RegistryReport; rows: Map<string, RegistryRow> }> {
  let listing = read ?? (await listRegistry(ctx));
  const filled: string[] = [];
  if (!listing.filled) {
    const have = new Set(listing.rows.map((r) => r.tenant));
    for (const s of seen) {
      if (have.has(s.tenant) || (s.roleName === undefined && s.scopes === undefined)) continue;
      ctx.progress?.(`registering tenant ${s.tenant} from what AWS shows`);
      // ABAC tenants have no role of their own: the caller names the scopes.
      const role = s.roleName === undefined ? undefined : await ctx.apis.iam.getRole(s.roleName);
      const scopes = s.scopes ?? scopesFromTag(ctx.config, role?.tags?.[TAG_SCOPES]) ?? resolveScopes(ctx.config, undefined);
      if ((await registerTenant(ctx, s.tenant, scopes)) === 'created') filled.push(s.tenant);
    }
    await markRegistryFilled(ctx);
    if (filled.length > 0) listing = { ...(await listRegistry(ctx)), calls: listing.calls + 1 };
  }
  const rows = new Map(listing.rows.map((r) => [r.tenant, r]));
  const inAws = new Set(seen.map((s) => s.tenant));
  const now = ctx.now();
  const registryOnly = listing.rows
    .filter((r) => !inAws.has(r.tenant) && !(r.status !== 'deleting' && now - Date.parse(r.updatedAt) < REGISTRY_PROPAGATION_MS))
    .map((r) => r.tenant);
  const awsOnly = seen.filter((s) => !rows.has(s.tenant)).map((s) => s.tenant);
  return { report: { rows: listing.rows.length, calls: listing.calls, filled, registryOnly, awsOnly, comparedWithAws: true }, rows };
}
