// Every AWS read doctor makes goes through here: throttling is retried, and an access-denied
// answer is recorded against the IAM action it needed (the caller's permissions check) instead
// of failing the whole run.
import { AwsCallError } from '../../aws/errors.js';
import { withRetry, type RetryClock } from '../retry.js';

export type ReadOutcome<T> = { ok: true; value: T } | { ok: false; denied: boolean; error: string };

export interface ReadRecord {
  /** The IAM action the call needs, e.g. "iam:GetPolicy". */
  action: string;
  denied: boolean;
  error?: string | undefined;
}

export class Reads {
  readonly records: ReadRecord[] = [];
  private readonly shared = new Map<string, Promise<ReadOutcome<unknown>>>();

  constructor(private readonly clock: RetryClock) {}

  async run<T>(action: string, fn: () => Promise<T>): Promise<ReadOutcome<T>> {
    try {
      const value = await withRetry(this.clock, fn);
      this.records.push({ action, denied: false });
      return { ok: true, value };
    } catch (err) {
      if (!(err instanceof AwsCallError)) throw err;
      const denied = err.kind === 'access-denied';
      const error = err.summary;
      this.records.push({ action, denied, error });
      return { ok: false, denied, error };
    }
  }

  /**
   * A stack-wide read several checks need (the caller, the user pool, the stack's roles, the
   * identity pool's roles, its principal-tag map): made once per doctor run, its outcome shared.
   * `key` tells reads of the same action apart when they take an argument.
   */
  once<T>(action: string, fn: () => Promise<T>, key = ''): Promise<ReadOutcome<T>> {
    const id = `${action} ${key}`;
    let p = this.shared.get(id);
    if (!p) {
      p = this.run(action, fn);
      this.shared.set(id, p);
    }
    return p as Promise<ReadOutcome<T>>;
  }
}
