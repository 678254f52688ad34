// Executes an ABAC gc plan. Probe users: the tenant's registry row is read again first (a create
// since the plan registers it, and then the user is left alone). Tombstones: the users' claims
// and the registry are read again, then the scope roles' deny lists are changed through their one
// read-modify-write (under the stack's lock, which delete, suspend, resume and revoke-sessions take
// too): only the planned tenants that still qualify are dropped, and undated tombstones are dated
// now on the way (so they can go later). A re-run that finds nothing due writes nothing.
import { AwsCallError } from '../../aws/errors.js';
import { tombstoneExpiry, tombstoneMoment } from '../../policy/index.js';
import type { TenantContext } from '../../tenant/context.js';
import { changeDenyLists } from '../../tenant/deny-list-store.js';
import { getTenantRow } from '../../tenant/registry.js';
import { probeUser } from '../../tenant/resources/index.js';
import { describeError, outcomeOfError, type RemovalContext, type RemovalOutcome } from '../../tenant/resources/types.js';
import { mapLimit } from '../concurrency.js';
import { liveRevocations } from '../../tenant/revoke.js';
import { withRetry } from '../retry.js';
import type { AbacGcListing } from './abac-plan.js';
import { claimHolders } from './abac-scan.js';
import type { GcItem } from './plan.js';

export interface AbacGcApplyOptions {
  concurrency: number;
  timeoutMs: number;
  onItem?: ((item: GcItem) => void) | undefined;
}

export async function applyAbacGc(ctx: TenantContext, listing: AbacGcListing, items: GcItem[], opts: AbacGcApplyOptions): Promise<void> {
  const rctx: RemovalContext = { ...ctx, deadline: ctx.now() + opts.timeoutMs, confirm: true, purpose: ctx.purpose ?? 'gc' };
  const settle = (item: GcItem, o: RemovalOutcome) => {
    item.state = o.state;
    item.detail = o.detail;
    opts.onItem?.(item);
  };

  const users = items.filter((i) => i.state === 'planned' && i.kind === 'probe-user');
  await mapLimit(users, opts.concurrency, async (item) => {
    try {
      const row = await getTenantRow(ctx, item.tenant);
      if (row)
        return settle(item, { state: 'skipped', detail: `tenant ${item.tenant} is in the registry now (status ${row.status}): a create ran since the plan` });
      ctx.progress?.(`deleting probe user ${item.target}`);
      settle(item, await probeUser.remove(rctx, { username: item.target }));
    } catch (err) {
      settle(item, outcomeOfError(err));
    }
  });

  const graves = items.filter((i) => i.state === 'planned' && i.kind === 'tombstone');
  const revoked = items.filter((i) => i.state === 'planned' && i.kind === 'revocation');
  const undated = listing.tombstones.some((t) => t.at === undefined);
  if (graves.length === 0 && revoked.length === 0 && !undated) return;
  try {
    await rewriteDenyLists(ctx, listing, graves, revoked, settle);
  } catch (err) {
    for (const g of [...graves, ...revoked])
      if (g.state === 'planned')
        settle(g, err instanceof AwsCallError ? outcomeOfError(err) : { state: 'failed', detail: `rewriting the tombstones: ${describeError(err)}` });
  }
}

async function rewriteDenyLists(
  ctx: TenantContext,
  listing: AbacGcListing,
  graves: GcItem[],
  revoked: GcItem[],
  settle: (item: GcItem, o: RemovalOutcome) => void,
): Promise<void> {
  const { apis, config } = ctx;
  // Checked again right before the write: a user given the claim, or a re-created tenant, keeps its tombstone.
  const claims = await claimHolders(apis, config, ctx);
  const due = new Set<string>();
  for (const g of graves) {
    const holders = claims.get(g.tenant) ?? [];
    const row = await withRetry(ctx, () => getTenantRow(ctx, g.tenant));
    if (holders.length > 0)
      settle(g, { state: 'skipped', detail: `${holders.length} user(s) carry ${config.tenantClaim}=${g.tenant} now (changed since the plan)` });
    else if (row && row.status !== 'deleting') settle(g, { state: 'skipped', detail: `tenant ${g.tenant} is in the registry now (changed since the plan)` });
    else due.add(g.tenant);
  }
  const now = tombstoneMoment(ctx.now());
  const dropped = new Set<string>();
  const revokedDue = new Set(revoked.map((r) => r.target.slice(r.target.indexOf(':') + 1)));
  const undated = listing.tombstones.filter((t) => t.at === undefined && !due.has(t.tenant)).map((t) => t.tenant);
  // The deny lists' own read-modify-write, under the stack's lock (src/tenant/deny-list-store.ts).
  // An entry goes only when its own date is past the lifetime (an entry re-dated by a later delete
  // stays); an undated one is replaced by one dated now.
  await changeDenyLists(
    ctx,
    {
      add: undated.map((tenant) => ({ kind: 'deleted' as const, tenant, at: now })),
      drop: (e) => {
        if (e.kind === 'revoked' && e.issuedBefore) {
          // The same split revoke-sessions makes, on the entry as read now.
          if (!revokedDue.has(`${e.tenant}@${e.issuedBefore}`) || liveRevocations([e.issuedBefore], ctx.now()).pruned.length === 0) return false;
          dropped.add(`${e.tenant}@${e.issuedBefore}`);
          return true;
        }
        if (e.kind !== 'deleted') return false;
        if (e.at === undefined) return undated.includes(e.tenant);
        if (!due.has(e.tenant) || ctx.now() < tombstoneExpiry(e.at, listing.idTokenSeconds, listing.credentialSeconds)) return false;
        dropped.add(e.tenant);
        return true;
      },
    },
    'gc tombstones and revocations',
  );
  for (const r of revoked) {
    const key = r.target.slice(r.target.indexOf(':') + 1);
    settle(
      r,
      dropped.has(key) ? { state: 'removed', detail: 'dropped from the deny lists of every scope role' } : { state: 'skipped', detail: 'already gone' },
    );
  }
  for (const g of graves) {
    if (!due.has(g.tenant)) continue;
    settle(
      g,
      dropped.has(g.tenant)
        ? { state: 'removed', detail: 'dropped from the deny lists of every scope role' }
        : { state: 'skipped', detail: 'already gone, or re-dated since the plan' },
    );
  }
}
