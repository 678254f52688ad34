// The contract between the sandbox's parts: the core (HTTP server, SigV4, state, lag,
// faults, request log, IAM, STS), the Cognito services and the DynamoDB service.
// Each part owns its own folder; they meet only through these types.
import type { PolicyDocument } from '../policy/types.js';

export type ServiceName = 'iam' | 'sts' | 'cognito-identity' | 'cognito-idp' | 'dynamodb' | 's3';
/** Which service is looking: each sees a change only after its own lag. */
export type Observer = 'iam' | 'cognito' | 'dynamodb';

export interface LagConfig {
  iam: number; // ms
  cognito: number;
  dynamodb: number;
}

export type Caller =
  /** Signed with the sandbox's admin keys: may do everything. */
  | { kind: 'admin'; accessKeyId: string; arn: string }
  /** Signed with an IAM user's access key: authorised by the user's policies (control-plane/). */
  | { kind: 'user'; accessKeyId: string; userName: string; userId: string; path: string; arn: string }
  /** Signed with temporary credentials the sandbox issued for a role. */
  | {
      kind: 'session';
      accessKeyId: string;
      roleArn: string;
      roleName: string;
      sessionName: string;
      /** arn:aws:sts::<acct>:assumed-role/<role>/<session> */
      arn: string;
      /** Session tags applied at issue time (e.g. from the principal-tag attribute map). */
      sessionTags: Record<string, string>;
      /** When the credentials were issued (epoch ms): the request's aws:TokenIssueTime. */
      issuedAt?: number | undefined;
      expiresAt: number;
    }
  /** Unsigned request (Cognito's public APIs: InitiateAuth, GetId, GetCredentialsForIdentity). */
  | { kind: 'anonymous' };

/** An AWS-shaped error. `code` is the AWS error code, e.g. "NoSuchEntity", "ResourceNotFoundException". */
export class SandboxError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    /** Extra members of a JSON error body, e.g. DynamoDB's `Item` or `CancellationReasons`. */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = code;
  }
}

/** A role as one observer sees it at this moment (lag applied per part). */
export interface RoleView {
  arn: string;
  name: string;
  path: string;
  roleId: string;
  createdAt: number;
  trustPolicy: PolicyDocument;
  /** Inline policies visible to this observer (a freshly put policy may not be there yet). */
  inlinePolicies: Record<string, PolicyDocument>;
  permissionsBoundary?: { arn: string; document: PolicyDocument } | undefined;
  tags: Record<string, string>;
}

export interface IssuedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: number; // epoch ms
}

export interface SandboxContext {
  accountId: string;
  region: string;
  now(): number;
  lag: LagConfig;
  /** A persisted state section owned by one part, created with `init` on first use. Mutate it in place, then call `save()`. */
  section<T extends object>(name: string, init: () => T): T;
  /** Persists all sections atomically (write + rename); cheap to call after every mutation. */
  save(): void;
  /** The IAM role with `nameOrArn` as `observer` sees it now, or undefined when that observer does not see it yet / at all. */
  getRole(nameOrArn: string, observer: Observer): RoleView | undefined;
  /** Issues temporary credentials bound to {role, session tags} (STS). */
  issueSession(role: RoleView, sessionName: string, sessionTags: Record<string, string>, durationSeconds: number): IssuedCredentials;
  /** Base URL of this server, e.g. http://127.0.0.1:4566 (for JWKS and token issuers). */
  endpoint(): string;
}

/** A JSON-protocol service (awsJson1_0 / awsJson1_1): one call per operation. */
export interface JsonService {
  /** Returns the output object, or throws SandboxError. Unknown operations throw SandboxError('UnknownOperationException'). */
  handle(operation: string, input: Record<string, unknown>, caller: Caller): Promise<unknown>;
  /** Operations that change state (for the request log). */
  isMutating(operation: string): boolean;
  /** Extra plain HTTP routes (e.g. the JWKS document). Return undefined when the path is not this service's. */
  route?(method: string, path: string): { status: number; contentType: string; body: string } | undefined;
  close?(): Promise<void>;
}
