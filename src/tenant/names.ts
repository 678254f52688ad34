// Names isoctl gives the per-tenant Cognito pieces, and how it recognises its own.
import type { StackConfig } from '../config/schema.js';

/** Cognito user-pool group of a tenant (token mapping). */
export function tenantGroupName(tenant: string): string {
  return tenant;
}

/** Description isoctl writes on the groups it manages: groups carry no tags, so this is the mark. */
export function groupDescription(config: Pick<StackConfig, 'stack'>, tenant: string): string {
  return `managed by isoctl: stack=${config.stack} tenant=${tenant}`;
}

export function isManagedGroupDescription(config: Pick<StackConfig, 'stack'>, description: string | undefined): string | undefined {
  const m = /^managed by isoctl: stack=([a-z0-9-]+) tenant=([a-z0-9-]+)$/.exec(description ?? '');
  return m && m[1] === config.stack ? m[2] : undefined;
}

export const PROBE_USER_PREFIX = 'isoctl-probe-';

/** The probe user of a tenant in the user pool. */
export function probeUsername(tenant: string): string {
  return `${PROBE_USER_PREFIX}${tenant}`;
}

/** Lease id in the lock table guarding writes of one identity pool's role configuration. */
export function identityPoolLockId(identityPoolId: string): string {
  return `identity-pool/${identityPoolId}`;
}

// The scopes tag is named once, with the other isoctl tags; re-runs and `list` rebuild the same policy from it.
export { TAG_SCOPES } from '../policy/names.js';
export const SCOPES_SEPARATOR = '+';
