// The role's trust policy check Cognito Identity's enhanced flow makes before issuing credentials:
// sts:AssumeRoleWithWebIdentity for the federated principal cognito-identity.amazonaws.com with
// the identity's aud / amr / sub, plus sts:TagSession when principal tags are applied.
import { evaluateTrust } from '../../policy/index.js';
import type { ContextValue, EvalResult, PolicyDocument } from '../../policy/types.js';

export interface TrustRequest {
  action: string;
  principal: { Federated?: string; AWS?: string; Service?: string };
  context: Record<string, ContextValue | undefined>;
}

/** The policy engine's `evaluateTrust` (src/policy). */
export type TrustEvaluator = (trust: PolicyDocument, request: TrustRequest) => EvalResult;

export const COGNITO_PRINCIPAL = { Federated: 'cognito-identity.amazonaws.com' };

export interface TrustCheck {
  action: 'sts:AssumeRoleWithWebIdentity' | 'sts:TagSession';
  result: EvalResult;
}

/**
 * Evaluates every action the issue needs. Returns the first check that is not Allow, or undefined
 * when all are allowed.
 */
export function checkTrust(
  evaluate: TrustEvaluator,
  trust: PolicyDocument,
  identity: { identityPoolId: string; identityId: string; amr: string[] },
  sessionTags: Record<string, string>,
): TrustCheck | undefined {
  const context: Record<string, ContextValue | undefined> = {
    'cognito-identity.amazonaws.com:aud': identity.identityPoolId,
    'cognito-identity.amazonaws.com:amr': identity.amr,
    'cognito-identity.amazonaws.com:sub': identity.identityId,
    'aws:FederatedProvider': 'cognito-identity.amazonaws.com',
  };
  const tagKeys = Object.keys(sessionTags);
  if (tagKeys.length > 0) {
    context['aws:TagKeys'] = tagKeys;
    for (const [k, v] of Object.entries(sessionTags)) context[`aws:RequestTag/${k}`] = v;
  }
  const actions: TrustCheck['action'][] = ['sts:AssumeRoleWithWebIdentity'];
  if (tagKeys.length > 0) actions.push('sts:TagSession');
  for (const action of actions) {
    const result = evaluate(trust, { action, principal: COGNITO_PRINCIPAL, context });
    if (result.decision !== 'Allow') return { action, result };
  }
  return undefined;
}

/** src/policy's evaluateTrust. */
export const defaultTrustEvaluator: TrustEvaluator = evaluateTrust;
