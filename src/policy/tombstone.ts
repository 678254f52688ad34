// Dated ABAC tombstones (issue 12). `tenant delete` in ABAC mode puts the tenant id into the
// tombstone Deny of the scope roles' deny lists (src/policy/deny-list.ts); gc may drop it only once
// the longest token lifetime has passed since it was written. The time is kept IN the policy, as
// the statement's Sid (`DeletedTenantsAt<YYYYMMDDHHMM>`, UTC, rounded up to the next whole minute),
// not in the registry, because:
//   - it is written by the same policy write as the deny it dates (a deny without its date, or a
//     date without its deny, cannot exist);
//   - it sits where the deny is enforced and can only be changed by whoever can change the deny
//     (IAM write on the scope roles), while the registry row of a deleted tenant is gone (delete
//     removes it) and a re-created tenant would write a new row over an old date;
//   - a re-run of delete finds the id already there and leaves its entry, hence its date, as it is:
//     the date stays the first write's, and re-runs converge with zero writes.
// Rounding up errs late (gc waits up to a minute longer), never early. Tenants tombstoned in the
// same minute share one statement, so a bulk delete costs one statement, not one per tenant.
// A statement without a date (`DeletedTenants`, written before tombstones were dated) names
// tenants whose time is unknown: never prunable until gc --apply dates them "now". Pure.

/** The Sid of an undated tombstone statement (isoctl before dated tombstones). */
export const UNDATED_TOMBSTONE_SID = 'DeletedTenants';
const DATED_SID = /^DeletedTenantsAt(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})$/;

/** The time a tombstone written at `nowMs` records: the next whole minute (ISO, no milliseconds). */
export function tombstoneMoment(nowMs: number): string {
  const minute = 60_000;
  return new Date(Math.ceil(nowMs / minute) * minute).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The Sid of the statement holding tombstones written at `at` (undefined: the undated statement). */
export function tombstoneSid(at: string | undefined): string {
  if (at === undefined) return UNDATED_TOMBSTONE_SID;
  const d = new Date(Date.parse(at));
  const p = (n: number) => String(n).padStart(2, '0');
  return `DeletedTenantsAt${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}`;
}

/** The date a dated tombstone Sid records, or undefined (not a dated tombstone Sid). */
export function tombstoneAt(sid: unknown): string | undefined {
  const m = typeof sid === 'string' ? DATED_SID.exec(sid) : null;
  if (!m) return undefined;
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:00Z`;
  return Number.isNaN(Date.parse(iso)) ? undefined : iso;
}

/**
 * When a tombstone written at `at` may go: every ID token issued before the tenant's users were
 * shut out has expired (`idTokenSeconds`, the app client's IdTokenValidity), and so have the
 * credentials bought with such a token in its last second (`credentialSeconds`).
 */
export function tombstoneExpiry(at: string, idTokenSeconds: number, credentialSeconds: number): number {
  return Date.parse(at) + (idTokenSeconds + credentialSeconds) * 1000;
}
