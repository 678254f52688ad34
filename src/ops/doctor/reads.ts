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
}
