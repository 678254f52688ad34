// Errors the pure policy layer raises. They say what is wrong with the input, not how a user
// typed it: src/cli.ts maps them to exit codes and the JSON error document with the others.

export type PolicyErrorReason =
  /** The input names something the config does not have (e.g. an unknown scope). Exit 2. */
  | 'invalid-input'
  /** The documents would exceed an AWS limit (policy size, rules, ...). Exit 4. */
  | 'over-limit';

export class PolicyError extends Error {
  constructor(
    message: string,
    readonly reason: PolicyErrorReason,
    /** Stable machine-readable code for `{"error":{"code":...}}`. */
    readonly code: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'PolicyError';
  }
}
