// "Orphan or dangling?", decided once for `tenant list`, `tenant show` and `gc`:
//   - a role that no mapping (group or rule) reaches is an orphan: nobody can use it;
//   - a mapping or probe user whose role does not exist is dangling: it points at nothing;
//   - while the youngest piece is younger than PROPAGATION_MS, either can be IAM's or Cognito's
//     read lag right after a create (the other piece is not visible yet): that is `propagating`,
//     not an alarm. gc has its own, longer, operator-set --min-age for what it may remove.
export type Linkage = 'linked' | 'orphan' | 'dangling' | 'absent';

/** How long after a create a piece of the tenant may still be missing from another service's reads. */
export const PROPAGATION_MS = 60_000;

export interface TenantPieces {
  role: boolean;
  /** Some group or rule maps the role. */
  mapped: boolean;
  /** A probe user of the tenant exists (counts as a trace of a tenant whose role is gone). */
  probe?: boolean | undefined;
  /** Creation times (epoch ms) of the pieces that were seen; undefined when unknown. */
  createdAt?: Array<number | undefined> | undefined;
}

export interface LinkageAnswer {
  linkage: Linkage;
  /** orphan/dangling, but a piece is younger than PROPAGATION_MS: probably lag, re-read shortly. */
  propagating: boolean;
}

export function linkageOf(p: TenantPieces, now: number): LinkageAnswer {
  const linkage: Linkage = p.role ? (p.mapped ? 'linked' : 'orphan') : p.mapped || p.probe ? 'dangling' : 'absent';
  const times = (p.createdAt ?? []).filter((t): t is number => t !== undefined && !Number.isNaN(t));
  const youngest = times.length > 0 ? Math.max(...times) : undefined;
  const propagating = (linkage === 'orphan' || linkage === 'dangling') && youngest !== undefined && now - youngest < PROPAGATION_MS;
  return { linkage, propagating };
}
