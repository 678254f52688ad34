// What `gc` would remove in ABAC mode (issue 12), from one listing (pure). ABAC tenants own no IAM
// object: a tenant is its registry row, its probe user (tenant claim = id, in a scope group) and
// its silo tables. So:
//   - an orphan is a probe user of this stack (named isoctl-probe-<t>, claim absent or t, member of
//     one of this stack's scope groups) whose tenant has no registry row: it goes, unless younger
//     than --min-age (a create registers first, so a create in progress has its row already);
//     the orphan tenant's silo tables (isoctl's tags for it) are listed too, and kept: isoctl
//     never deletes a table that holds a tenant's data (resources/silo-table.ts);
//   - a tombstone (a deleted tenant's id in the scope roles' deny) goes only when no user of the
//     pool carries the tenant's claim and the longest token lifetime has passed since it was
//     written (src/policy/tombstone.ts): the ID token validity of the app client plus the longest
//     credential lifetime, since credentials bought in a token's last second outlive it;
//   - a revoke-sessions entry (tenant tag AND aws:TokenIssueTime before a moment) goes once the
//     moment is more than the longest credential lifetime (12 h) ago.
// Never listed: a scope role, its group, the boundary, anything without isoctl's marks. The
// registry is authoritative for ABAC tenants: ABAC mode came with it and every ABAC create
// registers the tenant before its first AWS change.
import type { DatedUser } from '../../aws/account-scans.js';
import type { RegistryRow } from '../../aws/apis.js';
import type { StackConfig } from '../../config/schema.js';
import { DENY_INLINE_POLICY_NAMES, tombstoneExpiry, TOMBSTONE_POLICY_NAME } from '../../policy/index.js';
import { liveRevocations, LONGEST_CREDENTIAL_SECONDS } from '../../tenant/revoke.js';
import { probeUser, siloTable } from '../../tenant/resources/index.js';
import { formatAge, type GcItem } from './plan.js';

/** A deleted tenant's tombstone across the scope roles' deny lists: its latest date; undefined when undated. */
export interface Tombstone {
  tenant: string;
  at: string | undefined;
}

export { MAX_ID_TOKEN_SECONDS } from '../../tenant/token-lifetimes.js';

export interface AbacGcListing {
  registry: RegistryRow[];
  /** Users named isoctl-probe-*, with their creation dates. */
  probeUsers: DatedUser[];
  /** Usernames in any of this stack's scope groups. */
  scopeMembers: Set<string>;
  /** Every user of the pool whose tenant claim is set: claim value -> usernames. */
  claims: Map<string, string[]>;
  /** The tombstones across the scope roles (a tenant's latest date; undated wins). */
  tombstones: Tombstone[];
  /** ABAC revoke-sessions entries in the deny lists (tenant, moment). */
  revocations: Array<{ tenant: string; issuedBefore: string }>;
  /** ID token lifetime to wait out, and where it came from. */
  idTokenSeconds: number;
  idTokenSource: string;
  /** Credential lifetime after the last token (seconds). */
  credentialSeconds: number;
  /** Silo tables of the orphan candidates: tenant -> tables seen (with tags). */
  siloTables: Map<string, Array<{ name: string; tags: Record<string, string> | undefined }>>;
}

function age(now: number, iso: string | undefined): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : Math.max(0, Math.floor((now - t) / 1000));
}

/** Tenants whose probe user looks orphaned (their silo tables are read for the plan). */
export function abacOrphanCandidates(config: StackConfig, listing: Pick<AbacGcListing, 'registry' | 'probeUsers'>): string[] {
  const registered = new Set(listing.registry.map((r) => r.tenant));
  const out: string[] = [];
  for (const u of listing.probeUsers) {
    const t = probeUser.tenantOfProbeUser(u.username);
    if (t !== undefined && !registered.has(t) && !(t in config.scopes) && probeUser.owned(config, u, t).owned) out.push(t);
  }
  return out.sort();
}

export function lifetimeText(l: Pick<AbacGcListing, 'idTokenSeconds' | 'credentialSeconds' | 'idTokenSource'>): string {
  return `ID token ${formatAge(l.idTokenSeconds)} (${l.idTokenSource}) + credentials ${formatAge(l.credentialSeconds)}`;
}

export function planAbacGc(config: StackConfig, listing: AbacGcListing, opts: { now: number; minAgeMs: number }): GcItem[] {
  const minAge = Math.floor(opts.minAgeMs / 1000);
  const rows = new Map(listing.registry.map((r) => [r.tenant, r]));
  const items: GcItem[] = [];

  for (const u of [...listing.probeUsers].sort((a, b) => a.username.localeCompare(b.username))) {
    const t = probeUser.tenantOfProbeUser(u.username);
    if (t === undefined || t in config.scopes || !probeUser.owned(config, u, t).owned) continue;
    const row = rows.get(t);
    if (row && row.status !== 'deleting') continue; // a tenant of the stack
    const item: GcItem = {
      kind: 'probe-user',
      tenant: t,
      target: u.username,
      reason: row
        ? `probe user of tenant ${t}, whose delete stopped half-way (registry status deleting)`
        : `probe user of tenant ${t}, which is not in the registry`,
      createdAt: u.createDate ?? null,
      ageSeconds: age(opts.now, u.createDate),
      state: 'planned',
    };
    if (row) {
      item.state = 'skipped';
      item.detail = `finish it with \`isoctl tenant delete ${t}\` (it tombstones the tenant first)`;
    } else if (!listing.scopeMembers.has(u.username)) {
      item.state = 'skipped';
      item.detail = `not in a scope group of stack ${config.stack}: it may be another stack's (a shared user pool)`;
    } else if (item.ageSeconds === null) {
      item.state = 'skipped';
      item.detail = 'creation date unknown: cannot tell it is older than --min-age';
    } else if (item.ageSeconds < minAge) {
      item.state = 'skipped';
      item.detail = `younger than --min-age ${formatAge(minAge)} (created ${formatAge(item.ageSeconds)} ago): a tenant create may be in progress`;
    }
    items.push(item);
    for (const table of listing.siloTables.get(t) ?? []) {
      if (!siloTable.owned(config, table, t).owned) continue;
      items.push({
        kind: 'silo-table',
        tenant: t,
        target: table.name,
        reason: `silo table of tenant ${t}, which is not in the registry`,
        createdAt: null,
        ageSeconds: null,
        state: 'skipped',
        detail: `${siloTable.KEPT_REASON}; delete it by hand once its data is no longer needed`,
      });
    }
  }

  for (const ts of listing.tombstones) {
    const t = ts.tenant;
    const item: GcItem = {
      kind: 'tombstone',
      tenant: t,
      target: `${TOMBSTONE_POLICY_NAME}:${t}`,
      reason: `tombstone of deleted tenant ${t}${ts.at ? `, written ${ts.at}` : ''}`,
      createdAt: ts.at ?? null,
      ageSeconds: age(opts.now, ts.at),
      state: 'planned',
    };
    const holders = listing.claims.get(t) ?? [];
    const row = rows.get(t);
    if (row && row.status !== 'deleting') {
      item.state = 'skipped';
      item.detail = `tenant ${t} is in the registry again (status ${row.status}): its tombstone denies its sessions; kept until it is deleted again`;
    } else if (holders.length > 0) {
      item.state = 'skipped';
      item.detail = `${holders.length} user(s) still carry ${config.tenantClaim}=${t} (${holders.slice(0, 3).join(', ')}${holders.length > 3 ? ', ...' : ''}): kept until none does (isoctl user remove|move)`;
    } else if (ts.at === undefined) {
      item.state = 'skipped';
      item.detail = 'undated (written before tombstones were dated): gc --apply dates it now, and it may go one token lifetime later';
    } else {
      const expiry = tombstoneExpiry(ts.at, listing.idTokenSeconds, listing.credentialSeconds);
      if (opts.now < expiry) {
        item.state = 'skipped';
        item.detail = `within the longest token lifetime (${lifetimeText(listing)}): may go after ${new Date(expiry).toISOString()}`;
      } else item.reason += `: no user carries ${config.tenantClaim}=${t} and the longest token lifetime (${lifetimeText(listing)}) has passed`;
    }
    items.push(item);
  }

  // Revocations past the longest credential lifetime (revoke-sessions' own liveRevocations decides).
  for (const r of listing.revocations) {
    if (liveRevocations([r.issuedBefore], opts.now).pruned.length === 0) continue;
    items.push({
      kind: 'revocation',
      tenant: r.tenant,
      target: `${DENY_INLINE_POLICY_NAMES.revoked}:${r.tenant}@${r.issuedBefore}`,
      reason: `revocation of tenant ${r.tenant}'s credentials issued before ${r.issuedBefore}, older than the longest credential lifetime ${formatAge(LONGEST_CREDENTIAL_SECONDS)}: it can match no live credentials`,
      createdAt: r.issuedBefore,
      ageSeconds: age(opts.now, r.issuedBefore),
      state: 'planned',
    });
  }
  return items;
}
