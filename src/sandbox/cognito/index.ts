// The two Cognito services of the sandbox. The core wires them into its server.
export { createCognitoIdpService } from './user-pools.js';
export { createCognitoIdentityService, type CognitoIdentityOptions } from './identity-pools.js';
export { verifyOpenIdToken } from './tokens.js';
export type { TrustEvaluator, TrustRequest } from './trust.js';
