// ABAC's deny lists (issue 12): the scope roles are shared, so a tenant is shut out by Deny
// statements keyed on its principal tag (`aws:PrincipalTag/isoctl-tenant`), carried by every scope
// role. Three kinds, each packed as one statement listing tenant ids:
// - deleted (tombstones): `tenant delete`; denies data actions to the deleted tenant's sessions;
// - suspended: `tenant suspend`; denies every action until `tenant resume`;
// - revoked: `tenant revoke-sessions`; denies credentials of the tenant issued before a moment
//   (`DateLessThan aws:TokenIssueTime`); tenants revoked at the same moment share a statement.
// They live first in one inline policy per kind on every scope role (`isoctl-tombstones`,
// `isoctl-suspensions`, `isoctl-revocations`, which share IAM's 10,240 characters per role with the
// data policy), and, once that is full, in isoctl-owned customer managed policies
// `isoctl-<stack>-deny-list-<n>` under `/isoctl/<stack>/` (6,144 characters each) attached to every
// scope role (10 managed policies per role by default). Pure.
import { stackPath } from '../config/schema.js';
import { LIMITS } from './limits.js';
import { TENANT_PIN_TAG, arnPartition, denyListPolicyArnPattern, denyListPolicyPrefix } from './names.js';

export { denyListPolicyArnPattern, denyListPolicyPrefix };
import { policiesEqual, policySize } from './serialize.js';
import { tombstoneAt, tombstoneSid } from './tombstone.js';
import type { PolicyDocument, PolicyStatement } from './types.js';

export type DenyKind = 'deleted' | 'suspended' | 'revoked';
export interface DenyEntry {
  kind: DenyKind;
  tenant: string;
  /** revoked only: credentials issued before this (ISO, whole seconds) are denied. */
  issuedBefore?: string | undefined;
  /**
   * deleted only: when the tombstone was written (ISO, whole minute, rounded up; src/policy/tombstone.ts),
   * kept in the statement's Sid `DeletedTenantsAt<YYYYMMDDHHMM>`; undefined: undated (written
   * before tombstones were dated). Not part of the entry's identity: a re-run of delete keeps the first date.
   */
  at?: string | undefined;
}

/** Inline policy of each kind on every scope role (`isoctl-tombstones` is ABAC delete's, unchanged). */
export const DENY_INLINE_POLICY_NAMES: Readonly<Record<DenyKind, string>> = Object.freeze({
  deleted: 'isoctl-tombstones',
  suspended: 'isoctl-suspensions',
  revoked: 'isoctl-revocations',
});
export const DENY_KINDS: readonly DenyKind[] = ['deleted', 'suspended', 'revoked'];

/** IAM's default quota of managed policies attached to one role (adjustable up to 20; isoctl assumes the default). */
export const ATTACHED_POLICIES_PER_ROLE = 10;

const TAG_KEY = `aws:PrincipalTag/${TENANT_PIN_TAG}`;
const SIDS: Record<Exclude<DenyKind, 'revoked'>, string> = { deleted: 'DeletedTenants', suspended: 'SuspendedTenants' };

export function denyListPolicyName(stack: string, n: number): string {
  return `${denyListPolicyPrefix(stack)}${n}`;
}
export function denyListPolicyArn(config: { stack: string; region: string; accountId: string }, n: number): string {
  return `arn:${arnPartition(config.region)}:iam::${config.accountId}:policy${stackPath(config.stack)}${denyListPolicyName(config.stack, n)}`;
}
/** The number n of a deny-list policy name of this stack, or undefined. */
export function denyListPolicyNumber(stack: string, name: string): number | undefined {
  const prefix = denyListPolicyPrefix(stack);
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  return /^[1-9][0-9]{0,2}$/.test(rest) ? Number(rest) : undefined;
}

function sortedEntries(entries: DenyEntry[]): DenyEntry[] {
  const seen = new Map<string, DenyEntry>();
  for (const e of entries) {
    const key = `${e.kind}\u0000${e.tenant}\u0000${e.issuedBefore ?? ''}`;
    const prev = seen.get(key);
    // A tombstone seen twice keeps the later date, or none if either is undated (unknown is never older).
    if (prev && e.kind === 'deleted') seen.set(key, { ...e, at: prev.at === undefined || e.at === undefined ? undefined : prev.at > e.at ? prev.at : e.at });
    else seen.set(key, e);
  }
  return [...seen.values()].sort((a, b) => (a.kind + a.tenant + (a.issuedBefore ?? '') < b.kind + b.tenant + (b.issuedBefore ?? '') ? -1 : 1));
}

/** The compact statements of some entries: one per kind (deleted, suspended), one per revocation moment. */
export function denyStatements(entries: DenyEntry[]): PolicyStatement[] {
  const out: PolicyStatement[] = [];
  const sorted = sortedEntries(entries);
  // Tombstones: one statement per date (undated first), so gc can tell when each was written.
  const byDate = new Map<string, Set<string>>();
  for (const e of sorted)
    if (e.kind === 'deleted') (byDate.get(tombstoneSid(e.at)) ?? byDate.set(tombstoneSid(e.at), new Set()).get(tombstoneSid(e.at))!).add(e.tenant);
  for (const sid of [...byDate.keys()].sort())
    out.push({
      Sid: sid,
      Effect: 'Deny',
      // A tombstone keeps its data-only shape (ABAC delete's); a suspension denies everything, as role mode's.
      Action: ['dynamodb:*', 's3:*'],
      Resource: '*',
      Condition: { StringEquals: { [TAG_KEY]: [...byDate.get(sid)!].sort() } },
    });
  const suspended = [...new Set(sorted.filter((e) => e.kind === 'suspended').map((e) => e.tenant))].sort();
  if (suspended.length > 0)
    out.push({ Sid: SIDS.suspended, Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringEquals: { [TAG_KEY]: suspended } } });
  const byTime = new Map<string, Set<string>>();
  for (const e of sorted)
    if (e.kind === 'revoked' && e.issuedBefore) (byTime.get(e.issuedBefore) ?? byTime.set(e.issuedBefore, new Set()).get(e.issuedBefore)!).add(e.tenant);
  for (const t of [...byTime.keys()].sort())
    out.push({
      Sid: `RevokedBefore${t.replace(/[^0-9]/g, '')}`,
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: { StringEquals: { [TAG_KEY]: [...byTime.get(t)!].sort() }, DateLessThan: { 'aws:TokenIssueTime': t } },
    });
  return out;
}

/**
 * Whether a deny document as read equals the one wanted: policiesEqual, which ignores Sids, and the
 * same Sids, since a tombstone's date lives in its Sid (re-dating one must be written).
 */
export function denyDocumentsEqual(want: PolicyDocument, have: unknown): boolean {
  if (have === undefined || !policiesEqual(want, have as PolicyDocument)) return false;
  const sids = (d: unknown) => {
    const st = (d as { Statement?: unknown } | undefined)?.Statement;
    return (Array.isArray(st) ? st : st === undefined ? [] : [st])
      .map((x) => String((x as { Sid?: unknown })?.Sid ?? ''))
      .sort()
      .join(',');
  };
  return sids(want) === sids(have);
}

/** A policy document of these entries; undefined when there are none. */
export function denyDocument(entries: DenyEntry[]): PolicyDocument | undefined {
  const st = denyStatements(entries);
  return st.length === 0 ? undefined : { Version: '2012-10-17', Statement: st };
}

/** The entries of a deny document isoctl wrote (statements of another shape name none). */
export function readDenyEntries(doc: unknown): DenyEntry[] {
  const statements = (doc as { Statement?: unknown } | undefined)?.Statement;
  const out: DenyEntry[] = [];
  for (const s of Array.isArray(statements) ? statements : statements === undefined ? [] : [statements]) {
    const st = s as PolicyStatement;
    if (st?.Effect !== 'Deny' || typeof st.Sid !== 'string') continue;
    const cond = (st.Condition ?? {}) as Record<string, Record<string, unknown>>;
    const v = cond.StringEquals?.[TAG_KEY];
    const ids = (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string');
    const time = cond.DateLessThan?.['aws:TokenIssueTime'];
    const at = tombstoneAt(st.Sid);
    const kind: DenyKind | undefined =
      st.Sid === SIDS.deleted || at !== undefined
        ? 'deleted'
        : st.Sid === SIDS.suspended
          ? 'suspended'
          : st.Sid.startsWith('RevokedBefore') && typeof time === 'string'
            ? 'revoked'
            : undefined;
    if (!kind) continue;
    for (const tenant of ids)
      out.push(
        kind === 'revoked' ? { kind, tenant, issuedBefore: time as string } : kind === 'deleted' && at !== undefined ? { kind, tenant, at } : { kind, tenant },
      );
  }
  return sortedEntries(out);
}

/**
 * Where deny entries live. `inline`: the per-kind inline policies of every scope role, sharing
 * `capacity` characters (IAM's 10,240 less the largest other inline policies of a scope role);
 * `managed`: one customer managed policy (capacity 6,144).
 */
export interface DenyContainer {
  kind: 'inline' | 'managed';
  /** inline: 0; managed: the n of `isoctl-<stack>-deny-list-<n>`. */
  n: number;
  capacity: number;
  entries: DenyEntry[];
}

/** The documents a container holds: per inline policy name, or the managed policy's one document. */
export function containerDocuments(c: Pick<DenyContainer, 'kind' | 'entries'>): Record<string, PolicyDocument> {
  if (c.kind === 'managed') {
    const doc = denyDocument(c.entries);
    return doc ? { managed: doc } : {};
  }
  const out: Record<string, PolicyDocument> = {};
  for (const kind of DENY_KINDS) {
    const doc = denyDocument(c.entries.filter((e) => e.kind === kind));
    if (doc) out[DENY_INLINE_POLICY_NAMES[kind]] = doc;
  }
  return out;
}

/** Characters a container's documents take (IAM counts without whitespace). */
export function containerSize(c: Pick<DenyContainer, 'kind' | 'entries'>): number {
  return Object.values(containerDocuments(c)).reduce((n, d) => n + policySize(d), 0);
}

export const entryKey = (e: DenyEntry): string => `${e.kind}\u0000${e.tenant}\u0000${e.issuedBefore ?? ''}`;

export interface DenyPlacement {
  containers: DenyContainer[];
  /** Containers whose entries differ from before (to write), gainers first: a moved entry is never absent. */
  changed: DenyContainer[];
}
export interface DenyOverflow {
  overflow: true;
  /** Characters the deny lists would need, and what inline space plus every managed slot allows. */
  needed: number;
  limit: number;
  managedSlots: number;
}

/**
 * Removes the entries `drop` selects and adds `add`, sticky: an entry already placed stays where it
 * is; a new one goes to the first container with room (inline, then the managed policies in order,
 * then a new managed policy while `managedSlots` allow). Overflow when nothing fits: nothing to write.
 */
export function placeDenyEntries(
  current: DenyContainer[],
  add: DenyEntry[],
  drop: (e: DenyEntry) => boolean,
  managedSlots: number,
): DenyPlacement | DenyOverflow {
  // What is written includes a tombstone's date (re-dating one is a change), unlike the entry's identity.
  const stateKey = (e: DenyEntry) => `${entryKey(e)}\u0000${e.at ?? ''}`;
  const before = new Map(current.map((c) => [`${c.kind}${c.n}`, new Set(c.entries.map(stateKey))]));
  const containers = current
    .map((c) => ({ ...c, entries: c.entries.filter((e) => !drop(e)) }))
    .sort((a, b) => (a.kind === b.kind ? a.n - b.n : a.kind === 'inline' ? -1 : 1));
  const present = new Set(containers.flatMap((c) => c.entries.map(entryKey)));
  for (const e of sortedEntries(add)) {
    if (present.has(entryKey(e))) continue;
    let placed = false;
    for (const c of containers) {
      if (containerSize({ kind: c.kind, entries: [...c.entries, e] }) <= c.capacity) {
        c.entries.push(e);
        placed = true;
        break;
      }
    }
    if (!placed) {
      const managed = containers.filter((c) => c.kind === 'managed');
      if (managed.length >= managedSlots) {
        const all = [...containers.flatMap((c) => c.entries), e];
        const limit = containers.reduce((n, c) => n + c.capacity, 0);
        return { overflow: true, needed: containerSize({ kind: 'inline', entries: all }), limit, managedSlots };
      }
      let n = 1;
      while (managed.some((c) => c.n === n)) n++;
      const fresh: DenyContainer = { kind: 'managed', n, capacity: LIMITS.managedPolicyChars, entries: [] };
      containers.push(fresh);
      if (containerSize({ kind: 'managed', entries: [e] }) > fresh.capacity) throw new Error(`deny entry for ${e.tenant} does not fit an empty managed policy`);
      fresh.entries.push(e);
    }
    present.add(entryKey(e));
  }
  const changed = containers.filter((c) => {
    const old = before.get(`${c.kind}${c.n}`) ?? new Set<string>();
    const now = new Set(c.entries.map(stateKey));
    return old.size !== now.size || [...now].some((k) => !old.has(k));
  });
  const gains = (c: DenyContainer) => c.entries.some((e) => !(before.get(`${c.kind}${c.n}`) ?? new Set()).has(stateKey(e)));
  changed.sort((a, b) => Number(gains(b)) - Number(gains(a)));
  return { containers, changed };
}

export interface DenyHeadroom {
  /** Characters the deny lists take now, and the most they may take (inline space + every managed slot). */
  used: number;
  limit: number;
  /** Managed deny-list policies in use, and how many the scope roles may carry. */
  managedPolicies: number;
  managedSlots: number;
  /** How many more tenant ids of `idLength` characters fit as suspensions or tombstones. */
  moreTenants: number;
  idLength: number;
}

/**
 * The scope roles' headroom for deny entries (for `doctor`): characters used/limit, and how many
 * more tenant ids of a given length fit (each id joins the list of an existing statement: its
 * length plus 3 characters, `,"id"`; a container without the statement pays for it once).
 */
export function denyListHeadroom(containers: DenyContainer[], managedSlots: number, idLength = 32): DenyHeadroom {
  const id = 'x'.repeat(Math.max(1, idLength));
  const fitIn = (c: Pick<DenyContainer, 'kind' | 'entries' | 'capacity'>): number => {
    const withOne = containerSize({ kind: c.kind, entries: [...c.entries, { kind: 'suspended', tenant: id }] });
    if (withOne > c.capacity) return 0;
    return 1 + Math.floor((c.capacity - withOne) / (id.length + 3));
  };
  const managed = containers.filter((c) => c.kind === 'managed');
  const freeSlots = Math.max(0, managedSlots - managed.length);
  const moreTenants = containers.reduce((n, c) => n + fitIn(c), 0) + freeSlots * fitIn({ kind: 'managed', entries: [], capacity: LIMITS.managedPolicyChars });
  return {
    used: containers.reduce((n, c) => n + containerSize(c), 0),
    limit: containers.filter((c) => c.kind === 'inline').reduce((n, c) => n + c.capacity, 0) + managedSlots * LIMITS.managedPolicyChars,
    managedPolicies: managed.length,
    managedSlots,
    moreTenants,
    idLength: id.length,
  };
}
