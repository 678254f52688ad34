// Where the core meets the other parts of the sandbox: the Cognito and DynamoDB services,
// Cognito's OpenID token check and the policy engine's trust evaluation.
import { join } from 'node:path';
import { evaluateTrust } from '../policy/index.js';
import type { JsonService, RoleView, SandboxContext } from './contract.js';
import { createCognitoIdentityService, createCognitoIdpService, verifyOpenIdToken } from './cognito/index.js';
import { checkTrust } from './cognito/trust.js';
import { createDynamoService } from './dynamodb/index.js';
import type { WebIdentity } from './sts.js';

export type JsonServiceName = 'cognito-identity' | 'cognito-idp' | 'dynamodb';

export function defaultJsonServices(stateDir: string): Record<JsonServiceName, (ctx: SandboxContext) => Promise<JsonService>> {
  return {
    'cognito-idp': (ctx) => createCognitoIdpService(ctx),
    'cognito-identity': (ctx) => createCognitoIdentityService(ctx),
    // ISOCTL_SANDBOX_TABLE_CREATING_MS: how long new tables stay CREATING (default DEFAULT_TABLE_CREATING_MS; 0 turns the phase off).
    dynamodb: (ctx) =>
      createDynamoService(ctx, { dataDir: join(stateDir, 'dynamodb'), tableCreatingMs: tableCreatingMsFromEnv(process.env.ISOCTL_SANDBOX_TABLE_CREATING_MS) }),
  };
}

/** A whole number of ms, or undefined (the default) when unset or not one. */
export function tableCreatingMsFromEnv(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,7}$/.test(text.trim())) return undefined;
  return Number(text.trim());
}

export function defaultWebIdentityVerifier(ctx: SandboxContext, token: string): Promise<WebIdentity> {
  return verifyOpenIdToken(ctx, token);
}

/** The same trust check Cognito's enhanced flow makes, without session tags (STS's basic flow applies none). */
export function defaultTrustCheck(role: RoleView, identity: WebIdentity): boolean {
  return checkTrust(evaluateTrust, role.trustPolicy, identity, {}) === undefined;
}
