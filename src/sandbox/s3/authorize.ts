// IAM enforcement for S3 requests made with role sessions: the role as the data plane sees it
// now (after the lag), its inline policies and permissions boundary, evaluated by isoctl's
// policy engine with the request's S3 condition keys. Admin callers pass.
import { accessDeniedMessage, evaluate } from '../../policy/index.js';
import type { EvalResult } from '../../policy/types.js';
import type { S3AuthorizationCheck } from '../../policy/s3/context-keys.js';
import type { Caller, SandboxContext } from '../contract.js';
import { principalContext, type DecisionSink } from '../dynamodb/authorize.js';
import { S3Error } from './xml.js';

type SessionCaller = Extract<Caller, { kind: 'session' }>;

/** S3's AccessDenied; the message names the principal, action and quoted resource as S3 does for same-account denials. */
export function s3AccessDenied(caller: SessionCaller, check: S3AuthorizationCheck, result: EvalResult | undefined): S3Error {
  const why: EvalResult = result ?? { decision: 'ImplicitDeny', decidedBy: [] };
  return new S3Error('AccessDenied', accessDeniedMessage(caller.arn, check.action, `"${check.resource}"`, why), 403);
}

/** The first denied check's error, or undefined when every check is allowed (per-check results for DeleteObjects). */
export function decide(
  caller: Caller,
  checks: S3AuthorizationCheck[],
  ctx: Pick<SandboxContext, 'accountId' | 'region' | 'now' | 'getRole'>,
  onDecision?: DecisionSink,
): Array<S3Error | undefined> {
  // An IAM user's call was already judged by its policies (control-plane/authorize.ts).
  if (caller.kind === 'admin' || caller.kind === 'user') return checks.map(() => undefined);
  if (caller.kind === 'anonymous') return checks.map(() => new S3Error('AccessDenied', 'Access Denied', 403));
  // S3 is a data-plane service: it sees role changes after the data-plane (dynamodb=) lag.
  const role = ctx.getRole(caller.roleArn, 'dynamodb');
  if (!role) return checks.map((c) => s3AccessDenied(caller, c, undefined));
  const base = principalContext(caller, role, ctx);
  return checks.map((check) => {
    const request = {
      action: check.action,
      resource: check.resource,
      context: { ...base, ...check.context },
      identityPolicies: Object.values(role.inlinePolicies),
      permissionsBoundary: role.permissionsBoundary?.document,
    };
    const result = evaluate(request);
    onDecision?.({ principal: caller.arn, request, decision: result.decision });
    return result.decision === 'Allow' ? undefined : s3AccessDenied(caller, check, result);
  });
}
