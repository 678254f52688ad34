// A lease in the stack's lock table serialises every write of the identity pool's role
// configuration (SetIdentityPoolRoles replaces all of it). The lease expires on its own, so a
// crashed holder blocks others for at most LEASE_MS.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { AwsApis } from '../aws/apis.js';
import { AwsCallError } from '../aws/errors.js';
import { retry } from '../aws/retry.js';
import { lockTableName, type StackConfig } from '../config/schema.js';
import { FailedError, RefusedError } from '../errors.js';
import { identityPoolLockId } from './names.js';

export const LEASE_MS = 30_000;
/**
 * How long a waiter waits for a held lease by default: longer than a lease lives, so the re-run
 * of a command whose holder was killed (the lease stays until it expires) still gets the lock.
 */
export const LOCK_WAIT_MS = LEASE_MS + 5_000;

const LEASE_BACKOFF = { firstMs: 100, maxMs: 1_000 };

/** Someone else holds the lease (what they wrote: holder and expiry). */
class LeaseHeld extends Error {
  constructor(readonly lease: { holder: string; expiresAt: number }) {
    super('the lease is held');
  }
}

export interface LockOptions {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  signal?: AbortSignal | undefined;
  /** How long to wait for a held lease before refusing (exit 4). */
  waitMs?: number;
  /** Words for the lock holder field (command line). */
  purpose?: string;
}

export async function withIdentityPoolLock<T>(apis: AwsApis, config: StackConfig, opts: LockOptions, body: () => Promise<T>): Promise<T> {
  const table = lockTableName(config);
  const lockId = identityPoolLockId(config.identityPoolId);
  const owner = randomUUID();
  const holder = `${hostname()} pid ${process.pid}${opts.purpose ? ` (${opts.purpose})` : ''}`;
  const deadline = opts.now() + (opts.waitMs ?? LOCK_WAIT_MS);
  try {
    // A held lease is "not yet": retried until the deadline, 100 ms -> 1 s apart (equal jitter).
    await retry(
      opts,
      async () => {
        let current;
        try {
          current = await apis.dynamodb.tryAcquireLease(table, { lockId, owner, expiresAt: opts.now() + LEASE_MS, holder }, opts.now());
        } catch (err) {
          if (err instanceof AwsCallError && err.kind === 'not-found')
            throw new FailedError(`the lock table ${table} does not exist; run \`isoctl init\` first`, 'not_initialized', { cause: err });
          throw err;
        }
        if (current) throw new LeaseHeld(current);
      },
      { retryOn: (err) => err instanceof LeaseHeld, until: deadline, backoff: LEASE_BACKOFF },
    );
  } catch (err) {
    if (!(err instanceof LeaseHeld)) throw err;
    // Interrupted while waiting: that is the answer, not "locked".
    if (opts.signal?.aborted) throw opts.signal.reason;
    const { holder: by, expiresAt } = err.lease;
    throw new RefusedError(
      `the identity pool ${config.identityPoolId} is locked by ${by || 'another isoctl'} until ${new Date(expiresAt).toISOString()}; try again then (the lease expires by itself if its holder crashed)`,
      'lock_held',
      { holder: by, expiresAt: new Date(expiresAt).toISOString() },
    );
  }
  try {
    return await body();
  } finally {
    await apis.dynamodb.releaseLease(table, lockId, owner).catch(() => undefined);
  }
}
