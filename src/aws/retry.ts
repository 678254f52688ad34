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
  /** Called before each wait: the error, the attempt that failed, how long the wait is. */
  onRetry?: ((err: unknown, attempt: number, waitMs: number) => void) | undefined;
}

export const MAX_INTERVAL_MS = 2_000;
const FIRST_INTERVAL_MS = 200;

/** Capped exponential backoff with equal jitter: half fixed, half random; never above MAX_INTERVAL_MS. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_INTERVAL_MS, FIRST_INTERVAL_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Errors no amount of waiting fixes. */
export function neverRetried(err: unknown): boolean {
  return err instanceof AwsCallError && (err.kind === 'invalid' || (err.kind === 'access-denied' && err.reason !== 'role-mapping-unresolved'));
}

export async function retry<T>(ctx: RetryClock, fn: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? Number.POSITIVE_INFINITY;
  const throttleAttempts = opts.throttleAttempts ?? 8;
  let throttled = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (neverRetried(err) || attempt >= attempts || ctx.signal?.aborted) throw err;
      let wait = backoffMs(attempt);
      if (opts.retryOn?.(err)) {
        if (opts.until !== undefined) {
          const left = opts.until - ctx.now();
          if (left <= 0) throw err;
          wait = Math.min(wait, left);
        }
      } else if (err instanceof AwsCallError && err.kind === 'throttled') {
        throttled++;
        if (throttled >= throttleAttempts) throw err;
      } else throw err;
      opts.onRetry?.(err, attempt, wait);
      await ctx.sleep(wait, ctx.signal);
    }
  }
}
