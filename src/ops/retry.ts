// The operations commands' view of the one retry layer (src/aws/retry.ts): throttling (and 5xx,
// resets) is retried within an attempt budget, the `also` errors (propagation) until a deadline.
// The SDK already retries each call a few times; this keeps a long gc run going through bursts.
import { AwsCallError } from '../aws/errors.js';
import { retry, type RetryClock } from '../aws/retry.js';

export type { RetryClock };

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

export function withRetry<T>(clock: RetryClock, fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const also = opts.also;
  return retry(clock, fn, {
    attempts: opts.attempts ?? 8,
    throttleAttempts: opts.throttleAttempts ?? 8,
    until: opts.deadline,
    retryOn: also ? (err) => err instanceof AwsCallError && also(err) : undefined,
    onRetry: opts.onRetry ? (err, attempt) => opts.onRetry?.(err as AwsCallError, attempt) : undefined,
  });
}
