// Convergence waits: poll each check until the service it asks sees the change. Capped
// exponential backoff with jitter (the one retry layer, src/aws/retry.ts, on the caller's clock;
// the interval never exceeds 2 s), one deadline for all checks. Errors that mean "not yet" are
// retried inside the window; errors that mean "wrong" stop at once with their cause.
import { AwsCallError } from '../aws/errors.js';
import { retry, type RetryClock } from '../aws/retry.js';

export { backoffMs, MAX_INTERVAL_MS } from '../aws/retry.js';

export type WaitLevel = 'none' | 'iam' | 'cognito' | 'data';
export const WAIT_LEVELS: readonly WaitLevel[] = ['none', 'iam', 'cognito', 'data'];
export type CheckService = 'iam' | 'cognito' | 'dynamodb';
export type CheckState = 'ok' | 'pending' | 'failed';

/** The change is not visible yet: retry. */
export class NotYet extends Error {
  override name = 'NotYet';
}
/** Retrying will not help: stop and report. */
export class Wrong extends Error {
  override name = 'Wrong';
}

export interface Check {
  name: string;
  service: CheckService;
  /** For the spinner: "waiting for IAM to show the role". */
  waitingFor: string;
  /** Resolves with a short detail when the check holds; throws NotYet / Wrong / AwsCallError. */
  run(): Promise<string | undefined>;
  /** Extra "not yet" classification for AWS errors of this check (e.g. AccessDenied inside the window). */
  notYet?: (err: AwsCallError) => boolean;
}

export interface CheckResult {
  name: string;
  service: CheckService;
  state: CheckState;
  attempts: number;
  elapsedMs: number;
  detail?: string | undefined;
}

export interface WaitResult {
  ok: boolean;
  timedOut: boolean;
  elapsedMs: number;
  checks: CheckResult[];
}

/** Whether an error means "not visible yet" (retry) rather than "wrong" (stop). */
export function isNotYet(err: unknown, check?: Pick<Check, 'notYet'>): boolean {
  if (err instanceof NotYet) return true;
  if (err instanceof Wrong) return false;
  if (err instanceof AwsCallError) {
    if (err.kind === 'not-found' || err.kind === 'still-propagating' || err.kind === 'throttled') return true;
    return check?.notYet?.(err) ?? false;
  }
  return false;
}

function describe(err: unknown): string {
  if (err instanceof AwsCallError) return err.summary;
  return (err as Error)?.message ?? String(err);
}

export interface WaitOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Called when a check starts and each time it is retried (spinner text). */
  onProgress?: (check: Check, attempt: number, lastError: string | undefined) => void;
  /** The injected clock (Deps.clock / the tenant context); default: the real one. */
  clock?: Pick<RetryClock, 'now' | 'sleep'> | undefined;
}

const realClock: Pick<RetryClock, 'now' | 'sleep'> = { now: () => performance.now(), sleep };

/** Runs the checks in order against one deadline. Never throws for a timeout; the caller decides (exit 75). */
export async function waitFor(checks: Check[], opts: WaitOptions): Promise<WaitResult> {
  const clock = opts.clock ?? realClock;
  const now = () => clock.now();
  const started = now();
  const deadline = started + opts.timeoutMs;
  const results: CheckResult[] = [];
  let timedOut = false;
  let failed = false;
  for (const check of checks) {
    // Past the deadline no further check is started (a slow apply or sign-in used the window up).
    if (!timedOut && !failed && checks.indexOf(check) > 0 && now() >= deadline) timedOut = true;
    if (timedOut || failed) {
      results.push({
        name: check.name,
        service: check.service,
        state: 'pending',
        attempts: 0,
        elapsedMs: 0,
        detail: failed ? 'not checked (an earlier check failed)' : 'not checked before the timeout',
      });
      continue;
    }
    const checkStart = now();
    let attempts = 0;
    let lastError: string | undefined;
    opts.onProgress?.(check, 1, undefined);
    try {
      const detail = await retry(
        { now, sleep: (ms, signal) => clock.sleep(ms, signal), signal: opts.signal },
        () => {
          attempts++;
          return check.run();
        },
        {
          until: deadline,
          retryOn: (error) => {
            if (!isNotYet(error, check)) return false;
            lastError = describe(error);
            return true;
          },
          onRetry: (_error, attempt) => opts.onProgress?.(check, attempt + 1, lastError),
        },
      );
      results.push({ name: check.name, service: check.service, state: 'ok', attempts, elapsedMs: Math.round(now() - checkStart), detail });
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      const elapsedMs = Math.round(now() - checkStart);
      if (isNotYet(err, check)) {
        timedOut = true;
        results.push({ name: check.name, service: check.service, state: 'pending', attempts, elapsedMs, detail: lastError ?? describe(err) });
      } else {
        failed = true;
        results.push({ name: check.name, service: check.service, state: 'failed', attempts, elapsedMs, detail: describe(err) });
      }
    }
  }
  return { ok: !timedOut && !failed, timedOut, elapsedMs: Math.round(now() - started), checks: results };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Seconds a caller should wait before re-running after a timeout: the slowest pending service's typical lag. */
export function retryAfterSeconds(result: WaitResult): number {
  const pending = result.checks.filter((c) => c.state === 'pending');
  if (pending.some((c) => c.service === 'dynamodb')) return 15;
  if (pending.some((c) => c.service === 'cognito')) return 10;
  return 5;
}
