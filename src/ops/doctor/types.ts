// What `isoctl doctor` reports: one finding per check, each with its fix.

export type FindingStatus = 'ok' | 'warning' | 'problem' | 'skipped';

export type CheckId =
  | 'account'
  | 'user-pool'
  | 'app-client'
  | 'identity-pool'
  | 'role-mapping'
  | 'reach'
  | 'clobber'
  | 'principal-tags'
  | 'boundary'
  | 'trust'
  | 'scope-roles'
  | 'policy-headroom'
  | 'scope-groups'
  | 'tenant-policies'
  | 'tables'
  | 'lock-table'
  | 'quota-roles'
  | 'quota-rules'
  | 'quota-groups'
  | 'permissions';

export interface Finding {
  check: CheckId;
  status: FindingStatus;
  /** One line: what was found. */
  message: string;
  /** How to repair it (problems and warnings). */
  fix?: { command?: string | undefined; action: string } | undefined;
  /** Values behind the finding (counts, ARNs, the differing fields). */
  details?: Record<string, unknown> | undefined;
}

export interface DoctorResult {
  stack: string;
  region: string;
  accountId: string;
  /** No problems (warnings allowed). */
  healthy: boolean;
  counts: Record<FindingStatus, number>;
  findings: Finding[];
  elapsedMs: number;
}

export function finding(check: CheckId, status: FindingStatus, message: string, fix?: Finding['fix'], details?: Record<string, unknown>): Finding {
  const f: Finding = { check, status, message };
  if (fix) f.fix = fix;
  if (details) f.details = details;
  return f;
}
