// One retry layer for the operations commands: throttling (and 5xx, resets) is retried with the
// tenant code's capped, jittered backoff until an attempt budget or a deadline runs out. The SDK
// already retries each call a few times; this layer keeps a long gc run going through bursts.
import { AwsCallError } from '../aws/errors.js';
import { backoffMs } from '../tenant/wait.js';

export interface RetryClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  signal?: AbortSignal | undefined;
}

export interface RetryOptions {
  /** Attempts in all (default 8). */
  attempts?: number;
  /** Epoch ms after which no further attempt starts for the `also` errors (propagation); throttling is bounded by throttleAttempts instead. */
  deadline?: number;
  /** Throttled attempts in all, whatever the deadline (default 8). */
  throttleAttempts?: number;
  /** Which errors to retry besides throttling. */
  also?: (err: AwsCallError) => boolean;
  /** Called before each retry (counts for the report). */
  onRetry?: (err: AwsCallError, attempt: number) => void;
}

export function isThrottled(err: unknown): err is AwsCallError {
  return err instanceof AwsCallError && err.kind === 'throttled';
}

export async function withRetry<T>(clock: RetryClock, fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? 8;
  const throttleAttempts = opts.throttleAttempts ?? 8;
  let throttled = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const isThrottled = err instanceof AwsCallError && err.kind === 'throttled';
      const retryable = isThrottled || (err instanceof AwsCallError && opts.also?.(err) === true);
      const wait = backoffMs(attempt);
      if (isThrottled) throttled++;
      // Throttling is retried a bounded number of times whenever it comes: the items a long run
      // reaches last must not lose their retries. The deadline bounds waiting for propagation.
      const outOfTime = !isThrottled && opts.deadline !== undefined && clock.now() + wait > opts.deadline;
      if (!retryable || attempt >= attempts || throttled >= throttleAttempts || outOfTime) throw err;
      opts.onRetry?.(err, attempt);
      await clock.sleep(wait, clock.signal);
    }
  }
}
