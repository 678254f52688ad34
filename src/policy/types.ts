// Shapes shared by the policy builders, the evaluator, the lint and the isolation proof.
// This file is the contract other parts of isoctl (src/tenant, src/sandbox) code against.

export type ConditionValue = string | boolean | number | Array<string | boolean | number>;
/** operator (e.g. "ForAllValues:StringEquals") -> condition key -> value(s) */
export type ConditionBlock = Record<string, Record<string, ConditionValue>>;

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: '*' | Record<string, string | string[]>;
  NotPrincipal?: '*' | Record<string, string | string[]>;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: ConditionBlock;
}

export interface PolicyDocument {
  Version: '2012-10-17' | '2008-10-17';
  Id?: string;
  Statement: PolicyStatement | PolicyStatement[];
}

/** Values of request context keys. Multi-valued keys (dynamodb:LeadingKeys, dynamodb:Attributes) are arrays. */
export type ContextValue = string | string[] | boolean | number;

export interface EvalRequest {
  /** e.g. "dynamodb:Query" */
  action: string;
  /** e.g. "arn:aws:dynamodb:eu-central-1:123456789012:table/Orders" */
  resource: string;
  /** Request context. Keys are case-insensitive as in IAM (the evaluator normalises them).
   * Includes aws:PrincipalTag/<k>, aws:PrincipalArn, aws:username, dynamodb:LeadingKeys, ... */
  context: Record<string, ContextValue | undefined>;
  /** Identity-based policies of the principal (inline and attached). */
  identityPolicies: PolicyDocument[];
  /** Permissions boundary of the principal, if any. */
  permissionsBoundary?: PolicyDocument | undefined;
}

export type Decision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny' | 'CannotEvaluate';

export interface DecidingStatement {
  /** "identity[0]" | "boundary" */
  policy: string;
  index: number;
  sid?: string;
  effect: 'Allow' | 'Deny';
}

export interface EvalResult {
  decision: Decision;
  /** Statements that decided the result: the denying ones for ExplicitDeny, the allowing ones for Allow. */
  decidedBy: DecidingStatement[];
  /** Why the request is not allowed, in words (e.g. "no identity-based policy allows the dynamodb:Query action"). */
  reason?: string;
  /** For CannotEvaluate: the unsupported construct. */
  unsupported?: string;
}
