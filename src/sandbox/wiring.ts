// Where the core meets the other parts of the sandbox: the Cognito and DynamoDB services,
// Cognito's OpenID token check and the policy engine's trust evaluation.
import { join } from 'node:path';
import { evaluateTrust } from '../policy/index.js';
import { SandboxError, type JsonService, type RoleView, type SandboxContext } from './contract.js';
import { createDynamoService } from './dynamodb/index.js';
import type { WebIdentity } from './sts.js';

export type JsonServiceName = 'cognito-identity' | 'cognito-idp' | 'dynamodb';

export function defaultJsonServices(stateDir: string): Partial<Record<JsonServiceName, (ctx: SandboxContext) => Promise<JsonService>>> {
  return {
    dynamodb: (ctx) => createDynamoService(ctx, { dataDir: join(stateDir, 'dynamodb') }),
  };
}

export async function defaultWebIdentityVerifier(_ctx: SandboxContext, _token: string): Promise<WebIdentity> {
  throw new SandboxError('InvalidIdentityToken', "Couldn't retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements");
}

/** sts:AssumeRoleWithWebIdentity for cognito-identity.amazonaws.com with the identity's aud / amr / sub. */
export function defaultTrustCheck(role: RoleView, identity: WebIdentity): boolean {
  const result = evaluateTrust(role.trustPolicy, {
    action: 'sts:AssumeRoleWithWebIdentity',
    principal: { Federated: 'cognito-identity.amazonaws.com' },
    context: {
      'cognito-identity.amazonaws.com:aud': identity.identityPoolId,
      'cognito-identity.amazonaws.com:amr': identity.amr,
      'cognito-identity.amazonaws.com:sub': identity.identityId,
      'aws:FederatedProvider': 'cognito-identity.amazonaws.com',
    },
  });
  return result.decision === 'Allow';
}
