// SDK errors are classified once, here. Callers branch on the class, never on error names.

export type AwsErrorClass = 'not-found' | 'already-exists' | 'throttled' | 'still-propagating' | 'access-denied' | 'invalid' | 'conflict' | 'limit' | 'other';

const NOT_FOUND = new Set(['NoSuchEntity', 'NoSuchEntityException', 'ResourceNotFoundException', 'UserNotFoundException', 'NotFoundException']);
const ALREADY_EXISTS = new Set([
  'EntityAlreadyExists',
  'EntityAlreadyExistsException',
  'ResourceInUseException',
  'GroupExistsException',
  'UsernameExistsException',
  'ResourceConflictException',
]);
const THROTTLED = new Set([
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'SlowDown',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalServerError',
  'InternalErrorException',
  'ServiceFailure',
]);
const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'NotAuthorizedException']);
const INVALID = new Set([
  'ValidationError',
  'ValidationException',
  'InvalidInput',
  'InvalidInputException',
  'InvalidParameterException',
  'InvalidParameterValue',
  'MalformedPolicyDocument',
  'MalformedPolicyDocumentException',
  'InvalidIdentityPoolConfigurationException',
  'SerializationException',
]);
const CONFLICT = new Set([
  'DeleteConflict',
  'DeleteConflictException',
  'ConditionalCheckFailedException',
  'ConcurrentModificationException',
  'ConcurrentModification',
]);
const LIMIT = new Set(['LimitExceeded', 'LimitExceededException', 'ServiceQuotaExceededException']);

/** Messages AWS gives while a new role is not yet visible to the service that uses it. */
const PROPAGATING_MESSAGES = [
  /invalid principal in policy/i,
  /role .* (?:is )?(?:invalid|not found|does not exist)/i,
  /cannot be assumed/i,
  /not authorized to perform: sts:AssumeRoleWithWebIdentity/i,
  /invalid identity pool configuration/i,
  // SetIdentityPoolRoles right after CreateRole (boto/boto3#73); a role that never appears runs out the propagation wait.
  /^Access to Role '.*' is forbidden\.?$/i,
];

export interface AwsErrorLike {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

export function awsErrorName(err: unknown): string {
  const e = err as AwsErrorLike | undefined;
  return e?.name ?? e?.Code ?? e?.code ?? 'Error';
}

export function classifyAwsError(err: unknown): AwsErrorClass {
  const e = (err ?? {}) as AwsErrorLike;
  const name = awsErrorName(err);
  const message = e.message ?? '';
  if (NOT_FOUND.has(name)) return 'not-found';
  if (ALREADY_EXISTS.has(name)) return 'already-exists';
  if (THROTTLED.has(name)) return 'throttled';
  if (LIMIT.has(name)) return 'limit';
  if (CONFLICT.has(name)) return 'conflict';
  if (PROPAGATING_MESSAGES.some((re) => re.test(message)) && (INVALID.has(name) || ACCESS_DENIED.has(name))) return 'still-propagating';
  if (ACCESS_DENIED.has(name)) return 'access-denied';
  if (INVALID.has(name)) return 'invalid';
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && (status === 429 || status >= 500)) return 'throttled';
  if (['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'TimeoutError', 'socket hang up'].some((k) => name.includes(k) || message.includes(k)))
    return 'throttled';
  return 'other';
}

/**
 * Finer meanings within a class that callers act on. They are read from AWS's messages, so they
 * are decided here and nowhere else.
 */
export type AwsErrorReason =
  /** Cognito could not map the identity to a role (no rule matched, ambiguous role): right after a mapping change, it is not visible yet. */
  | 'role-mapping-unresolved'
  /**
   * A password sign-in refused for the password ("Incorrect username or password."): for the probe
   * user, another isoctl set its own random password in between; a fresh password and another try fix it.
   */
  | 'password-replaced'
  /** DeleteRole refused: managed policies or instance profiles are attached, which isoctl never detaches. */
  | 'attached-policies'
  /** The SDK found no credentials before any request was sent. */
  | 'no-credentials';

const ROLE_MAPPING_UNRESOLVED = /unable to resolve a role|ambiguous role|no rule matched|not authorized to perform: sts:AssumeRoleWithWebIdentity/i;
const ATTACHED_POLICIES = /detach|instance profile/i;
const PASSWORD_REFUSED = /^incorrect username or password\.?$/i;

export function awsErrorReason(err: unknown, kind: AwsErrorClass = classifyAwsError(err)): AwsErrorReason | undefined {
  const name = awsErrorName(err);
  const message = (err as AwsErrorLike | undefined)?.message ?? '';
  if (name === 'CredentialsProviderError') return 'no-credentials';
  if (kind === 'access-denied' && ROLE_MAPPING_UNRESOLVED.test(message)) return 'role-mapping-unresolved';
  if (name === 'NotAuthorizedException' && PASSWORD_REFUSED.test(message)) return 'password-replaced';
  if (kind === 'conflict' && ATTACHED_POLICIES.test(message)) return 'attached-policies';
  return undefined;
}

/**
 * An error that reached the top without passing through an adapter (the SDK's credential chain, a
 * socket): whether it came from AWS or the network, its code and a message. Undefined for anything else.
 */
export function describeStrayAwsError(err: unknown): { code: string; message: string; retryable: boolean } | undefined {
  const e = err as (AwsErrorLike & { code?: string }) | undefined;
  const fromAws = e?.$metadata !== undefined || /^(ECONN|EPIPE|ETIMEDOUT|ENOTFOUND)/.test(e?.code ?? '');
  if (!fromAws) return undefined;
  const name = awsErrorName(err);
  return { code: name, message: `AWS ${name}: ${e?.message}`, retryable: classifyAwsError(err) === 'throttled' };
}

export function isNotFound(err: unknown): boolean {
  return classifyAwsError(err) === 'not-found';
}

export function isAlreadyExists(err: unknown): boolean {
  return classifyAwsError(err) === 'already-exists';
}

/**
 * An AWS call that failed, classified once. The adapters in src/aws throw only this, so code
 * outside src/aws branches on `kind` and never sees SDK error types.
 */
export class AwsCallError extends Error {
  readonly kind: AwsErrorClass;
  /** A finer meaning within `kind`, when one matters to a caller. */
  readonly reason: AwsErrorReason | undefined;
  /** AWS's error code, e.g. "NoSuchEntity", "AccessDeniedException". */
  readonly awsCode: string;
  readonly service: string;
  readonly operation: string;
  readonly httpStatus: number | undefined;

  constructor(service: string, operation: string, cause: unknown) {
    const e = (cause ?? {}) as AwsErrorLike;
    const awsCode = awsErrorName(cause);
    super(`${service} ${operation}: ${awsCode}: ${e.message ?? String(cause)}`);
    this.name = 'AwsCallError';
    this.kind = classifyAwsError(cause);
    this.reason = awsErrorReason(cause, this.kind);
    this.awsCode = awsCode;
    this.service = service;
    this.operation = operation;
    this.httpStatus = e.$metadata?.httpStatusCode;
    (this as { cause?: unknown }).cause = cause;
  }

  /** AWS's own message without the service/operation prefix. */
  get awsMessage(): string {
    const c = (this as { cause?: AwsErrorLike }).cause;
    return c?.message ?? this.message;
  }

  /** "Code: message", for reports that show what AWS said. */
  get summary(): string {
    return `${this.awsCode}: ${this.awsMessage}`;
  }
}

export function isAwsCallError(err: unknown, kind?: AwsErrorClass): err is AwsCallError {
  return err instanceof AwsCallError && (kind === undefined || err.kind === kind);
}
