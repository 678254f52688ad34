// Cognito User Pools (awsJson1_1, target prefix AWSCognitoIdentityProviderService.): the service's
// dispatch, access check and JWKS routes. The operations live in one module per responsibility:
// pools, app clients, groups, users and auth flows (tokens in ./tokens.ts).
import { SandboxError, type Caller, type JsonService, type SandboxContext } from '../contract.js';
import { clientHandlers } from './app-clients.js';
import { authHandlers } from './auth-flows.js';
import { groupHandlers } from './groups.js';
import { idpContext, type Handlers } from './idp-context.js';
import { jwksDocument } from './keys.js';
import { poolHandlers } from './pools.js';
import { userPoolIssuer } from './tokens.js';
import { userHandlers } from './users.js';
import type { Input } from './validate.js';

// Authorised by the caller's tokens, not IAM (botocore's documentation of each).
const PUBLIC_OPERATIONS = new Set(['InitiateAuth', 'RespondToAuthChallenge', 'UpdateUserAttributes']);
const READ_OPERATIONS = new Set([
  'DescribeUserPool',
  'GetUserPoolMfaConfig',
  'ListUserPools',
  'DescribeUserPoolClient',
  'ListUserPoolClients',
  'GetGroup',
  'ListGroups',
  'ListUsersInGroup',
  'AdminGetUser',
  'AdminListGroupsForUser',
  'ListUsers',
  'AdminInitiateAuth',
  'InitiateAuth',
]);

export function createCognitoIdpService(ctx: SandboxContext): Promise<JsonService> {
  const c = idpContext(ctx);
  const { state } = c;

  function authorize(operation: string, caller: Caller, input: Input): void {
    // An IAM user's call was already judged by its policies (control-plane/authorize.ts).
    if (PUBLIC_OPERATIONS.has(operation) || caller.kind === 'admin' || caller.kind === 'user') return;
    if (caller.kind === 'anonymous') throw new SandboxError('MissingAuthenticationTokenException', 'Missing Authentication Token');
    const poolId = typeof input.UserPoolId === 'string' ? input.UserPoolId : '*';
    const resource = `arn:aws:cognito-idp:${ctx.region}:${ctx.accountId}:userpool/${poolId}`;
    throw new SandboxError(
      'AccessDeniedException',
      `User: ${caller.arn} is not authorized to perform: cognito-idp:${operation} on resource: ${resource} because no identity-based policy allows the cognito-idp:${operation} action`,
    );
  }

  const handlers: Handlers = { ...poolHandlers(c), ...clientHandlers(c), ...groupHandlers(c), ...userHandlers(c), ...authHandlers(c) };

  const service: JsonService = {
    async handle(operation, input, caller) {
      const handler = handlers[operation];
      if (!handler) throw new SandboxError('UnknownOperationException', `The isoctl sandbox does not implement cognito-idp ${operation}.`);
      authorize(operation, caller, input ?? {});
      return handler(input ?? {});
    },
    isMutating(operation) {
      return !READ_OPERATIONS.has(operation);
    },
    route(method, path) {
      const m = /^\/([\w-]+_[0-9a-zA-Z]+)\/\.well-known\/(jwks\.json|openid-configuration)$/.exec(path);
      if (!m) return undefined;
      if (method !== 'GET' && method !== 'HEAD')
        return { status: 405, contentType: 'application/json', body: JSON.stringify({ message: 'Method not allowed' }) };
      const pool = state.pools[m[1]!];
      if (!pool) return { status: 404, contentType: 'application/json', body: JSON.stringify({ message: `User pool ${m[1]} does not exist.` }) };
      if (m[2] === 'jwks.json') return { status: 200, contentType: 'application/json', body: jwksDocument(pool.keys) };
      const issuer = userPoolIssuer(ctx, pool.Id);
      return {
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify({
          issuer,
          jwks_uri: `${issuer}/.well-known/jwks.json`,
          id_token_signing_alg_values_supported: ['RS256'],
          subject_types_supported: ['public'],
          response_types_supported: ['code', 'token'],
        }),
      };
    },
  };
  return Promise.resolve(service);
}
