// What every resource module shares: the answer of an ownership filter, the one removal state
// vocabulary (libnuke's ItemState, in isoctl's words) and what a removal needs from outside.
// `tenant delete` and `gc` both report removals in these words; nothing translates between them.
import type { AwsApis } from '../../aws/apis.js';
import { AwsCallError } from '../../aws/errors.js';
import type { StackConfig } from '../../config/schema.js';
import { withRetry, type RetryClock } from '../../ops/retry.js';
import { retry } from '../../aws/retry.js';

/** An ownership filter's answer: owned, or why not (shown to the operator as is). */
export type Ownership = { owned: true } | { owned: false; reason: string };

export const OWNED: Ownership = Object.freeze({ owned: true }) as Ownership;
export function notOwned(reason: string): Ownership {
  return { owned: false, reason };
}

/**
 * planned: would be removed (dry run, or not reached yet); removed: gone now; waiting: the delete
 * was sent but AWS still shows it, or kept answering "still propagating" until the deadline (a
 * re-run confirms); failed: an error that re-running will not fix by itself; skipped: left alone,
 * the reason says why (already gone, not ours any more, too young, data kept).
 */
export type RemovalState = 'planned' | 'removed' | 'waiting' | 'failed' | 'skipped';
export const REMOVAL_STATES: readonly RemovalState[] = ['planned', 'removed', 'waiting', 'failed', 'skipped'];

export interface RemovalOutcome {
  state: RemovalState;
  /** What was done, or why it was skipped, failed or is waiting. */
  detail?: string | undefined;
}

export const ALREADY_GONE = 'already gone';

export interface RemovalContext extends RetryClock {
  apis: AwsApis;
  config: StackConfig;
  /** Epoch ms: "still propagating" and DeleteConflict are retried until then. */
  deadline: number;
  /** Poll after the delete until the service stops showing the resource (else: waiting). */
  confirm: boolean;
  /** For the identity-pool lock's holder field. */
  purpose?: string | undefined;
  progress?: ((message: string) => void) | undefined;
}

export function describeError(err: unknown): string {
  if (err instanceof AwsCallError) return err.summary;
  return (err as Error)?.message ?? String(err);
}

/** The state of a removal that threw: still propagating (a re-run may finish it) or failed. */
export function outcomeOfError(err: unknown): RemovalOutcome {
  if (err instanceof AwsCallError && (err.kind === 'still-propagating' || err.kind === 'conflict' || err.kind === 'throttled'))
    return { state: 'waiting', detail: `${describeError(err)} (still so after the --timeout; run again)` };
  return { state: 'failed', detail: describeError(err) };
}

export function countRemovals(items: ReadonlyArray<{ state: RemovalState }>): Record<RemovalState, number> {
  const counts: Record<RemovalState, number> = { planned: 0, removed: 0, waiting: 0, failed: 0, skipped: 0 };
  for (const i of items) counts[i.state]++;
  return counts;
}

/** Retries throttling, and `also` errors until the context's deadline (the one retry helper of src/ops). */
export function retryRemoval<T>(ctx: RemovalContext, fn: () => Promise<T>, also?: (e: AwsCallError) => boolean): Promise<T> {
  return withRetry(ctx, fn, { deadline: ctx.deadline, ...(also ? { also } : {}), attempts: also ? 1000 : 8 });
}

/** Polls `stillThere` until it says false; false when the deadline comes first. */
export function confirmGone(ctx: RemovalContext, stillThere: () => Promise<boolean>): Promise<boolean> {
  const STILL_THERE = new Error('still there');
  return retry(
    ctx,
    async () => {
      if (await retryRemoval(ctx, stillThere)) throw STILL_THERE;
      return true;
    },
    { until: ctx.deadline, retryOn: (err) => err === STILL_THERE },
  ).catch((err: unknown) => (err === STILL_THERE ? false : Promise.reject(err)));
}
