// An AWS-compatible endpoint for adapter tests: moto (fixtures made with raw JSON calls, since
// moto does not check signatures and tests do not import the SDK) or the sandbox.
import { createAwsClients, type AwsClients } from '../../src/aws/clients.js';
import { startMoto, type MotoServer } from './moto.js';
import type { SandboxResponse } from '../../src/sandbox/server.js';

export interface AwsTarget {
  name: 'moto' | 'sandbox';
  endpoint: string;
  region: string;
  accountId: string;
  userPoolId: string;
  clientId: string;
  identityPoolId: string;
  clients: AwsClients;
  stop(): Promise<void>;
}

async function jsonCall(endpoint: string, region: string, service: string, target: string, body: unknown): Promise<any> {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': target,
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20240101/${region}/${service}/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${target}: ${res.status} ${text}`);
  return JSON.parse(text);
}

/** moto with a user pool (custom:tenant attribute), an app client allowing admin password sign-in, and an identity pool. */
export async function motoTarget(): Promise<AwsTarget & { moto: MotoServer }> {
  const moto = await startMoto();
  const { endpoint, region } = moto;
  const pool = await jsonCall(endpoint, region, 'cognito-idp', 'AWSCognitoIdentityProviderService.CreateUserPool', {
    PoolName: 'isoctl-test',
    Schema: [{ Name: 'tenant', AttributeDataType: 'String', Mutable: true }],
  });
  const userPoolId: string = pool.UserPool.Id;
  const client = await jsonCall(endpoint, region, 'cognito-idp', 'AWSCognitoIdentityProviderService.CreateUserPoolClient', {
    UserPoolId: userPoolId,
    ClientName: 'isoctl-test',
    ExplicitAuthFlows: ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
  });
  const clientId: string = client.UserPoolClient.ClientId;
  const idp = await jsonCall(endpoint, region, 'cognito-identity', 'AWSCognitoIdentityService.CreateIdentityPool', {
    IdentityPoolName: 'isoctl_test',
    AllowUnauthenticatedIdentities: false,
    CognitoIdentityProviders: [{ ProviderName: `cognito-idp.${region}.amazonaws.com/${userPoolId}`, ClientId: clientId }],
  });
  const clients = createAwsClients({ region, endpoint, credentials: moto.credentials, maxAttempts: 2 });
  return {
    name: 'moto',
    moto,
    endpoint,
    region,
    accountId: '123456789012',
    userPoolId,
    clientId,
    identityPoolId: idp.IdentityPoolId,
    clients,
    async stop() {
      clients.destroy();
      await moto.stop();
    },
  };
}

/** The isoctl sandbox, bootstrapped (user pool with custom:tenant, app client, identity pool). */
export async function sandboxTarget(opts: { onResponse?: (r: SandboxResponse) => void } = {}): Promise<AwsTarget> {
  const { startTestSandbox } = await import('./sandbox.js');
  const sb = await startTestSandbox({ stack: 'conform', ...opts });
  return {
    name: 'sandbox',
    endpoint: sb.endpoint,
    region: sb.region,
    accountId: sb.accountId,
    userPoolId: sb.config.userPoolId,
    clientId: sb.config.userPoolClientId,
    identityPoolId: sb.config.identityPoolId,
    clients: sb.clients,
    stop: () => sb.stop(),
  };
}
