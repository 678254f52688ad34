// The one mapping from anything a command throws to a typed IsoctlError (and so to an exit code):
// the CLI (src/cli.ts reportError) and the library (src/index.ts) both go through it.
import { FailedError, IsoctlError, InterruptedError, RefusedError, UsageError } from './errors.js';
import { AwsCallError, describeStrayAwsError } from './aws/errors.js';
import { PolicyError } from './policy/errors.js';

export interface ErrorContext {
  /** The AWS profile in use, for the "no credentials" message. */
  profile?: string | undefined;
}

export function toIsoctlError(err: unknown, interrupted: boolean, context: ErrorContext = {}): IsoctlError {
  if (err instanceof IsoctlError) return err;
  if (err instanceof PolicyError)
    return err.reason === 'over-limit' ? new RefusedError(err.message, err.code, err.details) : new UsageError(err.message, err.code, err.details);
  if (interrupted || (err as Error)?.name === 'AbortError') return new InterruptedError();
  if (err instanceof AwsCallError && err.reason === 'no-credentials') {
    // Resolved before the first request is sent, so nothing was changed: a setup error of the environment.
    const where = context.profile ? `profile ${JSON.stringify(context.profile)}` : 'the environment, ~/.aws/credentials or ~/.aws/config';
    return new UsageError(
      `no AWS credentials found in ${where} (${err.awsMessage}); set AWS_PROFILE or --profile to a configured profile, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (--sandbox needs none)`,
      'no_credentials',
    );
  }
  if (err instanceof AwsCallError) {
    // An AWS error no command turned into a typed one: keep AWS's code for scripts.
    const retryable = err.kind === 'throttled' || err.kind === 'still-propagating';
    return err.kind === 'limit' ? new RefusedError(err.message, err.awsCode) : new FailedError(err.message, err.awsCode, { retryable, cause: err });
  }
  const e = err as Error | undefined;
  const stray = describeStrayAwsError(err);
  return stray
    ? new FailedError(stray.message, stray.code, { retryable: stray.retryable, cause: err })
    : new FailedError(e?.message ?? String(err), 'internal', { cause: err });
}
