// The `tenantUserCredentials` helper of 'isoctl/sandbox': a user of a tenant signs in the way the
// tenant's users do (user pool -> identity pool -> temporary credentials of the tenant's role),
// so an application's own tests can hold two tenants' credentials and check it never mixes them.
import { createAwsClients } from './aws/clients.js';
import { awsApis, cognitoProviderName } from './aws/apis.js';
import { validateConfig } from './config/load.js';
import type { StackConfigInput } from './config/schema.js';
import { NotFoundError } from './errors.js';
import { desiredTenant, resolveScopes } from './tenant/desired.js';
import { randomPassword } from './tenant/probe.js';
import { scopeRoleName, tenantRoleName } from './policy/index.js';

export interface TenantUserCredentials {
  tenant: string;
  username: string;
  identityId: string;
  idToken: string;
  /** The user-pool session's other tokens: the refresh token (REFRESH_TOKEN_AUTH) and the access token. */
  refreshToken?: string;
  accessToken?: string;
  /** Temporary credentials of the tenant's role, from the identity pool (the shape AWS SDK v3 clients take). */
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string; expiration?: Date };
}

export async function signInAsTenantUser(
  sandbox: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } },
  input: StackConfigInput,
  tenant: string,
  username = `app-user-${tenant}`,
): Promise<TenantUserCredentials> {
  const config = validateConfig(input, 'the config object');
  // Mapped like isoctl's probe user: the tenant's group (token mapping), its claim (rules mapping), or
  // its claim and the first scope's group (ABAC).
  const desired = desiredTenant(config, tenant, resolveScopes(config, undefined));
  const clients = createAwsClients({ region: config.region, endpoint: sandbox.endpoint, credentials: sandbox.credentials });
  const apis = awsApis(clients);
  try {
    // ABAC: the tenant has no role of its own; its users reach the shared scope role of their group.
    const abacRole = scopeRoleName(config, desired.scopes[0] ?? '');
    const role = await apis.iam.getRole(config.mapping === 'abac' ? abacRole : tenantRoleName(config, desired.tenant));
    if (!role)
      throw new NotFoundError(
        config.mapping === 'abac'
          ? `the ABAC scope role ${abacRole} does not exist in stack ${config.stack}; run init first`
          : `tenant ${desired.tenant} does not exist in stack ${config.stack}; create it first`,
        'tenant_not_found',
      );
    const idp = apis.cognitoIdp;
    if (!(await idp.adminGetUser(config.userPoolId, username))) await idp.adminCreateUser(config.userPoolId, username, desired.probe.attributes);
    if (desired.probe.group) await idp.adminAddUserToGroup(config.userPoolId, username, desired.probe.group);
    const password = randomPassword();
    await idp.adminSetUserPassword(config.userPoolId, username, password);
    const { idToken, refreshToken, accessToken } = await idp.adminSignIn(config.userPoolId, config.userPoolClientId, username, password);
    const logins = { [cognitoProviderName(config.region, config.userPoolId)]: idToken };
    const identityId = await apis.cognitoIdentity.getId(config.identityPoolId, config.accountId, logins);
    const c = await apis.cognitoIdentity.getCredentialsForIdentity(identityId, logins);
    return {
      tenant: desired.tenant,
      username,
      identityId,
      idToken,
      ...(refreshToken ? { refreshToken } : {}),
      ...(accessToken ? { accessToken } : {}),
      credentials: {
        accessKeyId: c.accessKeyId,
        secretAccessKey: c.secretAccessKey,
        sessionToken: c.sessionToken,
        ...(c.expiration ? { expiration: new Date(c.expiration) } : {}),
      },
    };
  } finally {
    await apis.close();
  }
}
