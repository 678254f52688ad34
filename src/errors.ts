// Typed errors of isoctl. Commands throw these; src/cli.ts maps them to exit codes in one place.

export type ErrorKind = 'usage' | 'not-found' | 'refused' | 'pending' | 'failed' | 'interrupted';

export abstract class IsoctlError extends Error {
  abstract readonly kind: ErrorKind;
  /** Stable machine-readable code for `{"error":{"code":...}}`. */
  readonly code: string;
  readonly retryable: boolean = false;
  /** Extra fields for the JSON error document (e.g. the partial result of a command). */
  readonly details: Record<string, unknown> | undefined;
  /** Seconds to wait before the same call can finish the job (set when the change is still propagating). */
  readonly retryAfterSeconds: number | undefined = undefined;

  constructor(message: string, code: string, details?: Record<string, unknown>) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }

  /** The CLI's exit code for this error (the one mapping, EXIT_CODES). */
  get exitCode(): number {
    return EXIT_CODES[this.kind];
  }
}

/** Bad flags, arguments, config or input. Nothing was changed. Exit 2. */
export class UsageError extends IsoctlError {
  readonly kind = 'usage' as const;
  constructor(message: string, code = 'usage', details?: Record<string, unknown>) {
    super(message, code, details);
  }
}

/** The thing asked for does not exist. Exit 3. */
export class NotFoundError extends IsoctlError {
  readonly kind = 'not-found' as const;
  constructor(message: string, code = 'not_found', details?: Record<string, unknown>) {
    super(message, code, details);
  }
}

/** Refused for safety or a limit: not owned by the stack, 25 rules, quota, lock held. Exit 4. */
export class RefusedError extends IsoctlError {
  readonly kind = 'refused' as const;
  constructor(message: string, code = 'refused', details?: Record<string, unknown>) {
    super(message, code, details);
  }
}

/** Changes were made but are not yet visible everywhere; re-running is safe. Exit 75. */
export class PendingError extends IsoctlError {
  readonly kind = 'pending' as const;
  override readonly retryable = true;
  override readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number, details?: Record<string, unknown>) {
    super(message, 'not_converged', details);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The operation failed. Exit 1. */
export class FailedError extends IsoctlError {
  readonly kind = 'failed' as const;
  override readonly retryable: boolean;
  constructor(message: string, code = 'failed', options: { retryable?: boolean; details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, code, options.details);
    this.retryable = options.retryable ?? false;
    if (options.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

/** SIGINT / SIGTERM. Exit 130. */
export class InterruptedError extends IsoctlError {
  readonly kind = 'interrupted' as const;
  constructor(message = 'interrupted', details?: Record<string, unknown>) {
    super(message, 'interrupted', details);
  }
}

export const EXIT_CODES: Record<ErrorKind | 'ok', number> = {
  ok: 0,
  failed: 1,
  usage: 2,
  'not-found': 3,
  refused: 4,
  pending: 75,
  interrupted: 130,
};
