// The lifecycle policies isoctl puts on a tenant's role besides its data policy: a deny-all while
// the tenant is suspended (covers every session, old and new), and the revoke-older-sessions deny
// (`aws:TokenIssueTime` before a moment: credentials issued earlier stop working, later ones work).
import type { PolicyDocument } from './types.js';

/** Inline policy of a suspended tenant's role: deny everything. */
export const SUSPEND_POLICY_NAME = 'isoctl-suspended';
/** Inline policy of a tenant whose sessions were revoked: deny credentials issued before a time. */
export const REVOKE_POLICY_NAME = 'isoctl-revoked';
/** Inline policies isoctl owns on a tenant role beside the data policy (create keeps them, delete and gc remove them). */
export const LIFECYCLE_POLICY_NAMES: readonly string[] = [SUSPEND_POLICY_NAME, REVOKE_POLICY_NAME];

/** IAM's ceiling on the aggregate size of a role's inline policies (characters, whitespace excluded). */
export const ROLE_INLINE_POLICY_CHARS = 10_240;

export function buildSuspendPolicy(): PolicyDocument {
  return { Version: '2012-10-17', Statement: [{ Sid: 'IsoctlTenantSuspended', Effect: 'Deny', Action: '*', Resource: '*' }] };
}

/**
 * AWS's "revoke active sessions" policy (AWSRevokeOlderSessions): deny every action to sessions
 * whose token was issued before `issuedBefore` (ISO time, whole seconds). One statement per
 * revocation still within the longest credential lifetime; gc drops older ones.
 */
export function buildRevokePolicy(issuedBefore: string[]): PolicyDocument {
  const times = [...new Set(issuedBefore)].sort();
  return {
    Version: '2012-10-17',
    Statement: times.map((t) => ({
      Sid: `IsoctlRevokedBefore${t.replace(/[^0-9]/g, '')}`,
      Effect: 'Deny' as const,
      Action: '*',
      Resource: '*',
      Condition: { DateLessThan: { 'aws:TokenIssueTime': t } },
    })),
  };
}

/** The times of the revocation statements in a revoke policy isoctl wrote (others are ignored). */
export function revocationTimes(doc: unknown): string[] {
  if (!doc || typeof doc !== 'object') return [];
  const st = (doc as PolicyDocument).Statement;
  const list = Array.isArray(st) ? st : st ? [st] : [];
  const out: string[] = [];
  for (const s of list) {
    const t = (s.Condition as Record<string, Record<string, unknown>> | undefined)?.DateLessThan?.['aws:TokenIssueTime'];
    if (s.Effect === 'Deny' && typeof t === 'string') out.push(t);
  }
  return out.sort();
}
