// What `gc` would remove, from one listing of the stack (pure). Per tenant id found anywhere
// (role, group, rule, probe user), one of:
//   - role of the stack, mapped by some group or rule      -> healthy, nothing to do
//   - role of the stack, mapped by nothing                 -> orphan (or half-created when its
//                                                             inline policy is missing): the role
//                                                             and the tenant's probe user go
//   - no role (confirmed with GetRole)                      -> dangling: isoctl's group or rule
//                                                             and the probe user go
// Safety is the resource modules' ownership filters (src/tenant/resources), whatever the flags;
// orphan vs dangling is resources/orphans.ts. gc adds only what is about garbage: probe users
// whose tenant another isoctl stack of the account has are left alone (a shared user pool), and
// everything not owned is never listed. Nothing younger than --min-age is touched: when any resource of a
// tenant is younger, all of the tenant's items are skipped (a create may be in progress).
import type { MappingRule, RoleInfo } from '../../aws/apis.js';
import type { DatedGroup, DatedUser } from '../../aws/account-scans.js';
import { stackPath, type StackConfig } from '../../config/schema.js';
import { roleName, TENANT_ID_PATTERN } from '../../config/tenant-id.js';
import { INLINE_POLICY_NAME, tenantRoleArn } from '../../policy/index.js';
import { group as groupResource, probeUser, role as roleResource, rule as ruleResource } from '../../tenant/resources/index.js';
import { linkageOf } from '../../tenant/resources/orphans.js';
import { CLOBBER_CAUSE } from '../../tenant/clobber.js';
import { countRemovals, type RemovalState } from '../../tenant/resources/types.js';

/**
 * tombstone: an ABAC deleted tenant's id in the scope roles' tombstone deny; revocation: a
 * revoke-sessions statement (aws:TokenIssueTime) past the longest credential lifetime; silo-table:
 * reported for an orphaned ABAC tenant, always kept (it holds data); deleted-id: the record a tenant
 * delete leaves so its id is not given to a new tenant too soon (src/ops/gc/deleted-ids.ts).
 */
export type GcKind = 'group' | 'rule' | 'probe-user' | 'role' | 'silo-table' | 'tombstone' | 'revocation' | 'deleted-id';
/** The one removal vocabulary (src/tenant/resources/types.ts). */
export type GcState = RemovalState;

/** A role tag isoctl (or an operator) may set to date a role; CreateDate is used otherwise. */
export const TAG_CREATED_AT = 'isoctl:created-at';

export interface GcItem {
  kind: GcKind;
  tenant: string;
  /** Role name, group name, `<claim>=<value>` of a rule, username, table name, `<policy>:<tenant>` (tombstone) or `<role>/<policy>` (revocation). */
  target: string;
  /** Why it is garbage. */
  reason: string;
  createdAt: string | null;
  ageSeconds: number | null;
  state: GcState;
  /** Why it was skipped, failed or is waiting; what was done. */
  detail?: string | undefined;
  /** role: its inline policies; group / rule: the role ARN it maps to. */
  inlinePolicies?: string[] | undefined;
  roleArn?: string | undefined;
}

export interface GcListing {
  /** Every role under /isoctl/ (all stacks), from one ListRoles scan. */
  roles: RoleInfo[];
  /** Token mapping: every group of the user pool. */
  groups: DatedGroup[] | undefined;
  /** Rules mapping: the rules of the user pool client's entry. */
  rules: MappingRule[] | undefined;
  /** Users named isoctl-probe-*. */
  probeUsers: DatedUser[];
}

/** Per-role reads for the roles that may be removed: tags, inline policies (GetRole + ListRolePolicies). */
export interface RoleDetails {
  exists: boolean;
  arn: string;
  path: string;
  createDate: string | undefined;
  tags: Record<string, string>;
  inlinePolicies: string[];
}

export interface GcReads {
  /** Role name -> details, for the orphan candidates. */
  roles: Map<string, RoleDetails>;
  /** Role name -> whether GetRole found it, for tenants whose role the listing did not show. */
  exists: Map<string, boolean>;
}

export interface GcCandidates {
  /** Stack roles no group or rule maps: read their tags and inline policies. */
  detailRoles: string[];
  /** Role names of tenants with a mapping or probe user but no role in the listing: confirm with GetRole. */
  confirmAbsent: string[];
}

interface TenantView {
  tenant: string;
  role: RoleInfo | undefined;
  group: DatedGroup | undefined;
  rule: MappingRule | undefined;
  probe: DatedUser | undefined;
}

function view(config: StackConfig, listing: GcListing) {
  const path = stackPath(config.stack);
  const prefix = roleName(config.stack, '');
  const tenants = new Map<string, TenantView>();
  const at = (t: string) => {
    let v = tenants.get(t);
    if (!v) tenants.set(t, (v = { tenant: t, role: undefined, group: undefined, rule: undefined, probe: undefined }));
    return v;
  };
  /** Tenant ids other isoctl stacks of the account have (a shared user pool's probe users may be theirs). */
  const otherStacks = new Map<string, string[]>();
  for (const r of listing.roles) {
    const m = /^\/isoctl\/([a-z0-9-]+)\/$/.exec(r.path);
    if (!m) continue;
    const stack = m[1] as string;
    const own = roleName(stack, '');
    if (!r.name.startsWith(own)) continue;
    const t = r.name.slice(own.length);
    if (!TENANT_ID_PATTERN.test(t)) continue;
    if (r.path === path && r.name.startsWith(prefix)) at(t).role = r;
    else if (stack !== config.stack) otherStacks.set(t, [...(otherStacks.get(t) ?? []), stack]);
  }
  const mappedArns = new Set<string>();
  const foreignGroupNames = new Set<string>();
  for (const g of listing.groups ?? []) {
    if (g.roleArn) mappedArns.add(g.roleArn);
    const marked = groupResource.tenantOfGroup(config, g);
    if (marked !== undefined && groupResource.owned(config, g, marked).owned) at(marked).group = g;
    else foreignGroupNames.add(g.name);
  }
  for (const r of listing.rules ?? []) {
    if (r.RoleArn) mappedArns.add(r.RoleArn);
    if (ruleResource.owned(config, r).owned) at(r.Value).rule = r;
  }
  for (const u of listing.probeUsers) {
    const t = probeUser.tenantOfProbeUser(u.username);
    if (t !== undefined && probeUser.owned(config, u, t).owned) at(t).probe = u;
  }
  return { tenants, mappedArns, otherStacks, foreignGroupNames };
}

/** The per-candidate reads the plan needs (few: only tenants that look like garbage). */
export function gcCandidates(config: StackConfig, listing: GcListing): GcCandidates {
  const { tenants, mappedArns } = view(config, listing);
  const detailRoles: string[] = [];
  const confirmAbsent: string[] = [];
  for (const v of [...tenants.values()].sort((a, b) => a.tenant.localeCompare(b.tenant))) {
    if (v.role) {
      if (!mappedArns.has(v.role.arn)) detailRoles.push(v.role.name);
    } else if (v.group || v.rule || v.probe) confirmAbsent.push(roleName(config.stack, v.tenant));
  }
  return { detailRoles, confirmAbsent };
}

function age(now: number, iso: string | undefined): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : Math.max(0, Math.floor((now - t) / 1000));
}

export function formatAge(seconds: number): string {
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds >= 60 && seconds % 60 === 0 && seconds < 7200) return `${seconds / 60}min`;
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}

export function planGc(config: StackConfig, listing: GcListing, reads: GcReads, opts: { now: number; minAgeMs: number }): GcItem[] {
  const { tenants, mappedArns, otherStacks, foreignGroupNames } = view(config, listing);
  const minAge = Math.floor(opts.minAgeMs / 1000);
  const mappingWord = config.mapping === 'token' ? 'user pool group' : 'identity-pool rule';
  const clobbered = config.mapping === 'rules' && !(listing.rules ?? []).some((r) => ruleResource.owned(config, r).owned);
  const items: GcItem[] = [];

  for (const v of [...tenants.values()].sort((a, b) => a.tenant.localeCompare(b.tenant))) {
    const t = v.tenant;
    const mine: GcItem[] = [];
    const probeItem = (why: string) => {
      if (!v.probe) return;
      const item: GcItem = {
        kind: 'probe-user',
        tenant: t,
        target: v.probe.username,
        reason: why,
        createdAt: v.probe.createDate ?? null,
        ageSeconds: age(opts.now, v.probe.createDate),
        state: 'planned',
      };
      const others = otherStacks.get(t);
      if (others) {
        item.state = 'skipped';
        item.detail = `tenant ${t} exists in stack ${others.join(', ')}, which may share this user pool: the probe user may be theirs`;
      } else if (config.mapping === 'token' && foreignGroupNames.has(t)) {
        item.state = 'skipped';
        item.detail = `a group "${t}" that this stack did not make exists: the probe user may belong to another stack`;
      }
      mine.push(item);
    };

    // A role the listing did not show counts as absent only once GetRole confirmed it (the listing may lag).
    if (!v.role && reads.exists.get(roleName(config.stack, t)) !== false) continue;
    const { linkage } = linkageOf(
      { role: v.role !== undefined, mapped: v.role ? mappedArns.has(v.role.arn) : v.group !== undefined || v.rule !== undefined, probe: v.probe !== undefined },
      opts.now,
    );
    if (linkage !== 'orphan' && linkage !== 'dangling') continue;
    if (v.role) {
      const d = reads.roles.get(v.role.name);
      if (!d || !d.exists) continue; // gone since the listing: nothing to do
      if (!roleResource.owned(config, { name: v.role.name, path: d.path, tags: d.tags }, t).owned) continue; // not isoctl's: never listed
      const createdAt = validDate(d.tags[TAG_CREATED_AT]) ?? d.createDate ?? v.role.createDate;
      const halfCreated = !d.inlinePolicies.includes(INLINE_POLICY_NAME);
      mine.push({
        kind: 'role',
        tenant: t,
        target: v.role.name,
        reason: halfCreated
          ? `half-created tenant: role without its inline policy ${INLINE_POLICY_NAME}, and no ${mappingWord} maps it`
          : `orphaned role: no ${mappingWord} maps it`,
        createdAt: createdAt ?? null,
        ageSeconds: age(opts.now, createdAt),
        state: 'planned',
        inlinePolicies: [...d.inlinePolicies].sort(),
        // No rule of isoctl's left at all: another writer replaced the pool's configuration
        // (Terraform's role attachment...), and these are tenants to repair, not garbage.
        ...(clobbered && !halfCreated
          ? {
              state: 'skipped' as const,
              detail: `no rule of this stack is left in the identity pool: most likely ${CLOBBER_CAUSE}; repair with \`isoctl tenant create ${t}\`, or delete the tenant with \`isoctl tenant delete ${t}\``,
            }
          : {}),
      });
      if (!clobbered || halfCreated) probeItem(`probe user of tenant ${t}, whose ${halfCreated ? 'half-created' : 'orphaned'} role goes`);
    } else {
      const arn = tenantRoleArn(config, t);
      if (v.group)
        mine.push({
          kind: 'group',
          tenant: t,
          target: v.group.name,
          reason: `group maps to ${v.group.roleArn ?? 'no role'}, which no longer exists`,
          createdAt: v.group.createDate ?? null,
          ageSeconds: age(opts.now, v.group.createDate),
          state: 'planned',
          roleArn: v.group.roleArn,
        });
      if (v.rule)
        mine.push({
          kind: 'rule',
          tenant: t,
          target: `${v.rule.Claim}=${v.rule.Value}`,
          reason: `rule maps ${v.rule.Claim}=${v.rule.Value} to ${arn}, which no longer exists`,
          createdAt: null,
          ageSeconds: null,
          state: 'planned',
          roleArn: v.rule.RoleArn,
        });
      probeItem(`probe user of tenant ${t}, which no longer exists (no role${v.group || v.rule ? '; its mapping goes too' : ', no mapping'})`);
    }

    // A tenant with anything younger than --min-age may be half-way through a create or delete.
    const ages = mine.map((i) => i.ageSeconds).filter((a): a is number => a !== null);
    const youngest = ages.length > 0 ? Math.min(...ages) : null;
    for (const item of mine) {
      if (item.state !== 'planned') continue;
      if (youngest !== null && youngest < minAge) {
        item.state = 'skipped';
        item.detail =
          item.ageSeconds === youngest
            ? `younger than --min-age ${formatAge(minAge)} (created ${formatAge(youngest)} ago): a tenant create may be in progress`
            : `tenant ${t} has a resource created ${formatAge(youngest)} ago (younger than --min-age ${formatAge(minAge)}): a tenant create may be in progress`;
      } else if (item.kind === 'role' && item.ageSeconds === null) {
        item.state = 'skipped';
        item.detail = 'creation date unknown: cannot tell it is older than --min-age';
      } else if (item.kind === 'rule' && item.ageSeconds === null) {
        item.detail = "Cognito keeps no creation date for rules: the role's absence was confirmed with GetRole, and is checked again under the lock";
      }
    }
    items.push(...mine);
  }
  const order: Record<GcKind, number> = { group: 0, rule: 0, 'probe-user': 1, role: 2, 'silo-table': 3, tombstone: 4, revocation: 5, 'deleted-id': 6 };
  return items.sort((a, b) => a.tenant.localeCompare(b.tenant) || order[a.kind] - order[b.kind]);
}

function validDate(s: string | undefined): string | undefined {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

export function countStates(items: GcItem[]): Record<GcState, number> {
  return countRemovals(items);
}
