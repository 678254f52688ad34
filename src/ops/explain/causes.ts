// The causes `isoctl explain` can name, each with words for people and the fix. The first
// three seed causes (second seed, section 7) are principal-tag-*, no-projection and
// cognito-sub-variable; the rest come from how isoctl builds and converges a tenant.

export type CauseId =
  | 'not-a-role-session'
  | 'wrong-account'
  | 'role-missing'
  | 'not-isoctl-role'
  | 'not-propagated'
  | 'table-not-configured'
  | 'index-not-allowed'
  | 'scan'
  | 'action-not-in-scope'
  | 'inline-policy-missing'
  | 'inline-policy-edited'
  | 'cognito-sub-variable'
  | 'explicit-deny'
  | 'boundary-outdated'
  | 'boundary-other'
  | 'tenant-tag'
  | 'boundary'
  | 'principal-tag-map-missing'
  | 'principal-tag-missing'
  | 'principal-tag-wrong'
  | 'tenant-deleted'
  | 'tenant-suspended'
  | 'tenant-revoked'
  | 'trust-no-tag-session'
  | 'other-tenant-key'
  | 'no-partition-key'
  | 'no-projection'
  | 'forbidden-attribute'
  | 'other-tenant-prefix'
  | 'allowed-now'
  | 'undetermined';

/** certain: shown by evaluating the role's real policies; likely: fits every fact known; possible: depends on request details not given. */
export type Certainty = 'certain' | 'likely' | 'possible';

export interface Fix {
  /** The isoctl command that repairs it, when isoctl can. */
  command?: string | undefined;
  /** What to do, in words (application changes, config edits, waiting). */
  action: string;
}

export interface Cause {
  id: CauseId;
  certainty: Certainty;
  /** One line. */
  summary: string;
  /** Why, with the values that show it. */
  detail: string;
  fix: Fix;
  /** Which item of the second seed's list (section 7) this is, when it is one of them. */
  seedCause?: 1 | 2 | 3 | undefined;
}

export function cause(id: CauseId, certainty: Certainty, summary: string, detail: string, fix: Fix, seedCause?: 1 | 2 | 3): Cause {
  const c: Cause = { id, certainty, summary, detail, fix };
  if (seedCause !== undefined) c.seedCause = seedCause;
  return c;
}

/** Order in which causes are reported when several hold: state that isoctl can repair first, then the request. */
export const CAUSE_ORDER: CauseId[] = [
  'not-a-role-session',
  'wrong-account',
  'role-missing',
  'not-propagated',
  'table-not-configured',
  'index-not-allowed',
  'scan',
  'action-not-in-scope',
  'explicit-deny',
  'inline-policy-missing',
  'cognito-sub-variable',
  'inline-policy-edited',
  'tenant-tag',
  'boundary-other',
  'boundary-outdated',
  'boundary',
  'principal-tag-map-missing',
  'trust-no-tag-session',
  'principal-tag-missing',
  'principal-tag-wrong',
  'tenant-deleted',
  'tenant-suspended',
  'tenant-revoked',
  'other-tenant-key',
  'no-partition-key',
  'forbidden-attribute',
  'no-projection',
  'other-tenant-prefix',
  'not-isoctl-role',
  'allowed-now',
  'undetermined',
];

export function byCauseOrder(a: Cause, b: Cause): number {
  return CAUSE_ORDER.indexOf(a.id) - CAUSE_ORDER.indexOf(b.id);
}
