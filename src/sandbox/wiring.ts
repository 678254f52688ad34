// Where the core meets the other parts of the sandbox: the Cognito and DynamoDB services,
// Cognito's OpenID token check and the policy engine's trust evaluation.
import { SandboxError, type JsonService, type RoleView, type SandboxContext } from './contract.js';
import type { WebIdentity } from './sts.js';

export type JsonServiceName = 'cognito-identity' | 'cognito-idp' | 'dynamodb';

export async function defaultJsonServices(): Promise<Partial<Record<JsonServiceName, (ctx: SandboxContext) => Promise<JsonService>>>> {
  return {};
}

export async function defaultWebIdentityVerifier(_ctx: SandboxContext, _token: string): Promise<WebIdentity> {
  throw new SandboxError('InvalidIdentityToken', "Couldn't retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements");
}

/** Fails closed until the policy engine's trust evaluation is wired in. */
export function defaultTrustCheck(_role: RoleView, _identity: WebIdentity): boolean {
  return false;
}
