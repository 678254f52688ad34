// IAM enforcement for DynamoDB requests: who is calling, what their role looks like to DynamoDB
// right now (after the dynamodb lag), and whether every authorisation the request needs is allowed.
import { accessDeniedMessage } from '../../policy/index.js';
import type { ContextValue, EvalRequest, EvalResult } from '../../policy/types.js';
import { SandboxError, type Caller, type RoleView, type SandboxContext } from '../contract.js';
import type { AuthorizationCheck } from '../../policy/dynamodb/context-keys.js';

export type Evaluate = (request: EvalRequest) => EvalResult;

/** One enforcement decision, complete enough to be re-evaluated by another evaluator (iam-simulate in the tests). */
export interface EnforcementDecision {
  principal: string;
  request: EvalRequest;
  decision: EvalResult['decision'];
}
export type DecisionSink = (d: EnforcementDecision) => void;

type SessionCaller = Extract<Caller, { kind: 'session' }>;

/** Principal tags as AWS builds them for a session: the role's tags, overlaid by the session tags (keys compare case-insensitively). */
export function principalTags(roleTags: Record<string, string>, sessionTags: Record<string, string>): Record<string, string> {
  const merged: Record<string, string> = {};
  const overridden = new Set(Object.keys(sessionTags).map((k) => k.toLowerCase()));
  for (const [k, v] of Object.entries(roleTags)) if (!overridden.has(k.toLowerCase())) merged[k] = v;
  for (const [k, v] of Object.entries(sessionTags)) merged[k] = v;
  return merged;
}

/** The global condition keys of a request made with a role session. */
export function principalContext(
  caller: SessionCaller,
  role: RoleView,
  ctx: Pick<SandboxContext, 'accountId' | 'region' | 'now'>,
): Record<string, ContextValue> {
  const now = ctx.now();
  const context: Record<string, ContextValue> = {
    'aws:PrincipalArn': role.arn,
    'aws:PrincipalAccount': ctx.accountId,
    'aws:PrincipalType': 'AssumedRole',
    'aws:userid': `${role.roleId}:${caller.sessionName}`,
    'aws:RequestedRegion': ctx.region,
    'aws:CurrentTime': new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    'aws:EpochTime': String(Math.floor(now / 1000)),
    // "The date and time that temporary security credentials were issued" (IAM global condition
    // keys); present in requests signed with temporary credentials only. What AWS's
    // revoke-older-sessions policy (DateLessThan aws:TokenIssueTime) compares.
    ...(caller.issuedAt !== undefined ? { 'aws:TokenIssueTime': new Date(caller.issuedAt).toISOString().replace(/\.\d{3}Z$/, 'Z') } : {}),
    // The sandbox listens on plain HTTP; AWS endpoints are HTTPS, which is what policies are written for.
    'aws:SecureTransport': true,
  };
  for (const [k, v] of Object.entries(principalTags(role.tags, caller.sessionTags))) context[`aws:PrincipalTag/${k}`] = v;
  return context;
}

export function accessDenied(caller: SessionCaller, check: AuthorizationCheck, result: EvalResult | undefined): SandboxError {
  const why: EvalResult = result ?? { decision: 'ImplicitDeny', decidedBy: [] };
  return new SandboxError('AccessDeniedException', accessDeniedMessage(caller.arn, check.action, check.resource, why), 400);
}

/** Refuses callers DynamoDB would refuse before looking at the request itself. */
export function authenticate(caller: Caller, ctx: Pick<SandboxContext, 'now'>): void {
  if (caller.kind === 'anonymous') {
    throw new SandboxError('MissingAuthenticationTokenException', 'Request is missing Authentication Token', 400);
  }
  if (caller.kind === 'session' && caller.expiresAt <= ctx.now()) {
    throw new SandboxError('ExpiredTokenException', 'The security token included in the request is expired', 400);
  }
}

/**
 * Throws AccessDeniedException unless every check is allowed for `caller`.
 * Admin callers pass; a role DynamoDB does not see yet (lag) allows nothing.
 */
export function authorize(
  caller: Caller,
  checks: AuthorizationCheck[],
  ctx: Pick<SandboxContext, 'accountId' | 'region' | 'now' | 'getRole'>,
  evaluate: Evaluate,
  onDecision?: DecisionSink,
): void {
  authenticate(caller, ctx);
  if (caller.kind !== 'session') return;
  const role = ctx.getRole(caller.roleArn, 'dynamodb');
  if (!role) {
    const first = checks[0];
    if (first) throw accessDenied(caller, first, undefined);
    return;
  }
  const base = principalContext(caller, role, ctx);
  for (const check of checks) {
    const request: EvalRequest = {
      action: check.action,
      resource: check.resource,
      context: { ...base, ...check.context },
      identityPolicies: Object.values(role.inlinePolicies),
      permissionsBoundary: role.permissionsBoundary?.document,
    };
    const result = evaluate(request);
    onDecision?.({ principal: caller.arn, request, decision: result.decision });
    if (result.decision !== 'Allow') throw accessDenied(caller, check, result);
  }
}
