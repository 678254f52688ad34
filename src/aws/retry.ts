// The one retry layer (CONVENTIONS 4): every loop that tries an AWS call again, or polls until AWS
// shows a change, goes through `retry`, on the caller's injected clock and abort signal, deciding by
// the error kinds of ./errors.ts. The SDK's own per-call retries (clients.ts) sit below it.
//
//   - validation and access errors are never retried (a Cognito "no role resolved" during a fresh
//     mapping is the one access error that means "not yet", and it is classified as such);
//   - what the caller's `retryOn` accepts (propagation: "not found yet", "still propagating", a
//     poll that is not there yet) is retried until the `until` deadline; the last wait is cut so
//     that one attempt happens at the deadline;
//   - throttling that `retryOn` does not claim is retried a bounded number of times whatever the
//     deadline, so the items a long gc run reaches last keep their retries.
import pRetry from 'p-retry';
import { AwsCallError } from './errors.js';

export interface RetryClock {
  /** epoch ms (or any monotonic ms; `until` is on the same scale) */
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  signal?: AbortSignal | undefined;
}

export interface RetryOptions {
  /** Errors that mean "not yet": retried until `until`. */
  retryOn?: (err: unknown) => boolean;
  /** Deadline on ctx's clock for the `retryOn` errors; none: bounded by `attempts` only. */
  until?: number | undefined;
  /** Attempts in all (default: no limit besides the deadline and the throttling budget). */
  attempts?: number | undefined;
  /** Retries of throttling that `retryOn` does not claim (default 8). */
  throttleAttempts?: number | undefined;
  /** The backoff's first interval and its cap (default 200 ms and MAX_INTERVAL_MS). */
  backoff?: { firstMs: number; maxMs: number } | undefined;
  /** Called before each wait: the error, the attempt that failed, how long the wait is. */
  onRetry?: ((err: unknown, attempt: number, waitMs: number) => void) | undefined;
}

export const MAX_INTERVAL_MS = 2_000;
const FIRST_INTERVAL_MS = 200;

/** Capped exponential backoff with equal jitter: half fixed, half random; never above MAX_INTERVAL_MS. */
export function backoffMs(attempt: number, random: () => number = Math.random, firstMs = FIRST_INTERVAL_MS, maxMs = MAX_INTERVAL_MS): number {
  const ceiling = Math.min(maxMs, firstMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** The access errors that mean "not yet" (retried only when the caller's `retryOn` claims them). */
const NOT_YET_ACCESS_REASONS: ReadonlySet<string | undefined> = new Set(['role-mapping-unresolved', 'password-replaced']);

/** Errors no amount of waiting fixes. */
export function neverRetried(err: unknown): boolean {
  return err instanceof AwsCallError && (err.kind === 'invalid' || (err.kind === 'access-denied' && !NOT_YET_ACCESS_REASONS.has(err.reason)));
}

/** One failed attempt, as p-retry sees it: always an Error, never a TypeError, so p-retry's own
 *  rules (it never retries a TypeError, it turns a thrown non-Error into one) do not change ours. */
class AttemptFailed extends Error {
  constructor(readonly error: unknown) {
    super('attempt failed');
  }
}
/** The backoff wait itself failed (the signal aborted during it): never retried. */
class WaitFailed extends AttemptFailed {}

/** What to do after `attempt` failed with `err`: the wait before the next attempt, or undefined: give up. */
function nextWait(ctx: RetryClock, opts: RetryOptions, err: unknown, attempt: number, throttled: { count: number; max: number }): number | undefined {
  if (neverRetried(err) || ctx.signal?.aborted) return undefined;
  const wait = backoffMs(attempt, Math.random, opts.backoff?.firstMs, opts.backoff?.maxMs);
  if (opts.retryOn?.(err)) {
    if (opts.until === undefined) return wait;
    const left = opts.until - ctx.now();
    return left <= 0 ? undefined : Math.min(wait, left);
  }
  if (err instanceof AwsCallError && err.kind === 'throttled') {
    throttled.count++;
    return throttled.count >= throttled.max ? undefined : wait;
  }
  return undefined;
}

/**
 * p-retry is the engine (attempt count, the loop, the decision hook); the clock is the caller's:
 * p-retry's own delays are 0 (it never starts a timer), the backoff wait is `ctx.sleep` at the
 * start of the next attempt, and `shouldRetry` decides with the classification above. The signal
 * is not handed to p-retry: p-retry rejects with the abort reason even for an attempt that failed
 * on its own, where this layer rethrows the attempt's error (an abort during a wait still rejects
 * with the wait's error, the abort reason).
 */
export async function retry<T>(ctx: RetryClock, fn: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? Number.POSITIVE_INFINITY;
  const throttled = { count: 0, max: opts.throttleAttempts ?? 8 };
  let pendingWait = 0;
  try {
    return await pRetry(
      async (attempt) => {
        if (attempt > 1) {
          try {
            await ctx.sleep(pendingWait, ctx.signal);
          } catch (err) {
            throw new WaitFailed(err);
          }
        }
        try {
          return await fn(attempt);
        } catch (err) {
          throw new AttemptFailed(err);
        }
      },
      {
        retries: attempts - 1,
        minTimeout: 0,
        maxTimeout: 0,
        randomize: false,
        shouldRetry: ({ error, attemptNumber }) => {
          if (!(error instanceof AttemptFailed) || error instanceof WaitFailed) return false;
          const wait = nextWait(ctx, opts, error.error, attemptNumber, throttled);
          if (wait === undefined) return false;
          pendingWait = wait;
          opts.onRetry?.(error.error, attemptNumber, wait);
          return true;
        },
      },
    );
  } catch (err) {
    throw err instanceof AttemptFailed ? err.error : err;
  }
}
