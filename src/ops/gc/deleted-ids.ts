// gc of `deleted#<id>` records (src/tenant/deleted-ids.ts): `tenant delete` leaves one so that
// `tenant create` refuses the id while the deleted tenant's users could still get in. A record goes
// once it refuses nothing any more: the ID token + credential lifetime has passed since the delete
// and (rules, ABAC) no user other than the probe user carries the id's claim; or the tenant is in
// the registry again (taken back with --reuse-id). Any mode; ABAC tombstones are abac-plan.ts's.
import type { RegistryRow } from '../../aws/apis.js';
import { AwsCallError } from '../../aws/errors.js';
import type { StackConfig } from '../../config/schema.js';
import type { TenantContext } from '../../tenant/context.js';
import { deletedKey, freeAt, getDeletionRecord, listDeletionRecords, removeDeletionRecord, type DeletionRecord } from '../../tenant/deleted-ids.js';
import { probeUsername } from '../../tenant/names.js';
import { getTenantRow, listRegistry } from '../../tenant/registry.js';
import { describeError } from '../../tenant/resources/types.js';
import { idTokenLifetime, LONGEST_CREDENTIAL_SECONDS } from '../../tenant/token-lifetimes.js';
import { withRetry } from '../retry.js';
import { claimHolders } from './abac-scan.js';
import { formatAge, type GcItem } from './plan.js';

export interface DeletedIdsListing {
  records: DeletionRecord[];
  registry: Map<string, RegistryRow>;
  /** Claim value -> usernames (rules, ABAC; empty in token mode). */
  claims: Map<string, string[]>;
  idTokenSeconds: number;
  credentialSeconds: number;
}

/** One Scan of the lock table; the registry, the pool's users and the app client only when there are records. */
export async function scanDeletedIds(ctx: TenantContext): Promise<DeletedIdsListing> {
  // No lock table (a stack gc'd before init made one): no records.
  const records = await withRetry(ctx, () => listDeletionRecords(ctx)).catch((err: unknown) => {
    if (err instanceof AwsCallError && err.kind === 'not-found') return [];
    throw err;
  });
  const listing: DeletedIdsListing = { records, registry: new Map(), claims: new Map(), idTokenSeconds: 0, credentialSeconds: LONGEST_CREDENTIAL_SECONDS };
  if (records.length === 0) return listing;
  const [registry, claims, lifetime] = await Promise.all([
    listRegistry(ctx),
    ctx.config.mapping === 'token' ? Promise.resolve(new Map<string, string[]>()) : claimHolders(ctx.apis, ctx.config, ctx),
    idTokenLifetime(ctx.apis, ctx.config, ctx),
  ]);
  return { ...listing, registry: new Map(registry.rows.map((r) => [r.tenant, r])), claims, idTokenSeconds: lifetime.seconds };
}

function holdersOf(config: StackConfig, claims: Map<string, string[]>, tenant: string): string[] {
  return config.mapping === 'token' ? [] : (claims.get(tenant) ?? []).filter((u) => u !== probeUsername(tenant));
}

export function planDeletedIds(config: StackConfig, listing: DeletedIdsListing, now: number): GcItem[] {
  return listing.records.map((r) => {
    const t = r.tenant;
    const ageSeconds = Number.isNaN(Date.parse(r.deletedAt)) ? null : Math.max(0, Math.floor((now - Date.parse(r.deletedAt)) / 1000));
    const item: GcItem = {
      kind: 'deleted-id',
      tenant: t,
      target: deletedKey(t),
      reason: `record of deleted tenant ${t} (deleted ${r.deletedAt}): \`tenant create ${t}\` is refused while it matters`,
      createdAt: r.deletedAt,
      ageSeconds,
      state: 'planned',
    };
    const row = listing.registry.get(t);
    const holders = holdersOf(config, listing.claims, t);
    const free = freeAt(r.deletedAt, listing.idTokenSeconds, listing.credentialSeconds);
    if (row && row.status !== 'deleting') item.reason += `; tenant ${t} is in the registry again (status ${row.status}): the record refuses nothing`;
    else if (!(now >= free)) {
      item.state = 'skipped';
      item.detail = `within the longest token lifetime (ID token ${formatAge(listing.idTokenSeconds)} + credentials ${formatAge(listing.credentialSeconds)}): may go after ${new Date(free).toISOString()}`;
    } else if (holders.length > 0) {
      item.state = 'skipped';
      item.detail = `${holders.length} user(s) still carry ${config.tenantClaim}=${t} (${holders.slice(0, 3).join(', ')}${holders.length > 3 ? ', ...' : ''}): kept until none does (isoctl user remove|move)`;
    } else item.reason += `; the token lifetime has passed and no user carries ${config.tenantClaim}=${t}`;
    return item;
  });
}

/** Re-reads each planned record (a new delete re-dates it) and the claims, then removes it at the version judged. */
export async function applyDeletedIds(ctx: TenantContext, listing: DeletedIdsListing, items: GcItem[], onItem?: (i: GcItem) => void): Promise<void> {
  const due = items.filter((i) => i.kind === 'deleted-id' && i.state === 'planned');
  if (due.length === 0) return;
  const settle = (item: GcItem, state: GcItem['state'], detail: string) => {
    item.state = state;
    item.detail = detail;
    onItem?.(item);
  };
  let claims: Map<string, string[]>;
  try {
    claims = ctx.config.mapping === 'token' ? new Map() : await claimHolders(ctx.apis, ctx.config, ctx);
  } catch (err) {
    for (const i of due) settle(i, 'failed', `reading the pool's users again: ${describeError(err)}`);
    return;
  }
  for (const item of due) {
    try {
      const [record, row] = await Promise.all([
        withRetry(ctx, () => getDeletionRecord(ctx, item.tenant)),
        withRetry(ctx, () => getTenantRow(ctx, item.tenant)),
      ]);
      if (!record) {
        settle(item, 'skipped', 'already gone');
        continue;
      }
      const registered = row !== undefined && row.status !== 'deleting';
      const holders = holdersOf(ctx.config, claims, item.tenant);
      if (!registered && ctx.now() < freeAt(record.deletedAt, listing.idTokenSeconds, listing.credentialSeconds)) {
        settle(item, 'skipped', `tenant ${item.tenant} was deleted again since the plan (${record.deletedAt})`);
        continue;
      }
      if (!registered && holders.length > 0) {
        settle(item, 'skipped', `${holders.length} user(s) carry ${ctx.config.tenantClaim}=${item.tenant} now (changed since the plan)`);
        continue;
      }
      ctx.progress?.(`removing ${item.target}`);
      if (await removeDeletionRecord(ctx, record)) settle(item, 'removed', 'the id may be given to a new tenant');
      else settle(item, 'skipped', 'the record changed since it was read (a new delete): kept');
    } catch (err) {
      settle(item, 'failed', describeError(err));
    }
  }
}
