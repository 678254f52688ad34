// Read-modify-write of an identity pool's role configuration, under the lock, keeping every
// other entry and rule intact, and re-read after writing.
import type { AwsApis, IdentityPoolRoles } from '../aws/apis.js';
import type { StackConfig } from '../config/schema.js';
import { FailedError } from '../errors.js';
import { withIdentityPoolLock, type LockOptions } from './lock.js';

/** Canonical JSON of a role configuration: keys sorted, undefined dropped (AWS omits empty fields). */
export function canonicalPoolRoles(r: IdentityPoolRoles): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) {
        const x = (v as Record<string, unknown>)[k];
        if (x !== undefined) out[k] = sort(x);
      }
      return out;
    }
    return v;
  };
  return JSON.stringify(sort(r));
}

export interface PoolRolesChange {
  changed: boolean;
  before: IdentityPoolRoles;
  after: IdentityPoolRoles;
}

/**
 * Applies `mutate` to a fresh read of the pool's role configuration under the lock. `mutate`
 * edits its argument in place (or throws to refuse); nothing is written when it changed nothing.
 */
export async function modifyIdentityPoolRoles(
  apis: AwsApis,
  config: StackConfig,
  lock: LockOptions,
  mutate: (roles: IdentityPoolRoles) => void,
): Promise<PoolRolesChange> {
  return withIdentityPoolLock(apis, config, lock, async () => {
    const before = await apis.cognitoIdentity.getIdentityPoolRoles(config.identityPoolId);
    const next = structuredClone(before);
    mutate(next);
    if (canonicalPoolRoles(next) === canonicalPoolRoles(before)) return { changed: false, before, after: before };
    await apis.cognitoIdentity.setIdentityPoolRoles(config.identityPoolId, next);
    const after = await apis.cognitoIdentity.getIdentityPoolRoles(config.identityPoolId);
    if (canonicalPoolRoles(after) !== canonicalPoolRoles(next))
      throw new FailedError(
        `the identity pool ${config.identityPoolId} does not show what isoctl wrote (someone else wrote it without the lock?); run the command again`,
        'pool_roles_mismatch',
        { retryable: true, details: { wrote: next, read: after } },
      );
    return { changed: true, before, after };
  });
}
