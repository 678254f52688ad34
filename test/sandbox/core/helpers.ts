// Shared setup for the sandbox core tests: a sandbox on a free loopback port over a temp state dir.
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import {
  AdminCreateUserCommand,
  AdminInitiateAuthCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { CognitoIdentityClient, CreateIdentityPoolCommand, GetIdCommand, GetOpenIdTokenCommand } from '@aws-sdk/client-cognito-identity';
import { startSandbox, type RunningSandbox, type StartSandboxOptions } from '../../../src/sandbox/server.js';
import type { RequestLogEntry } from '../../../src/sandbox/request-log.js';

export function tempStateDir(): string {
  return mkdtempSync(join(tmpdir(), 'isoctl-sbx-'));
}

export async function sandbox(opts: Partial<StartSandboxOptions> = {}): Promise<RunningSandbox> {
  return startSandbox({ stateDir: tempStateDir(), ...opts });
}

type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

export function iamClient(sb: Pick<RunningSandbox, 'endpoint' | 'credentials'>, opts: { credentials?: Creds; maxAttempts?: number } = {}): IAMClient {
  return new IAMClient({ region: 'us-east-1', endpoint: sb.endpoint, credentials: opts.credentials ?? sb.credentials, maxAttempts: opts.maxAttempts ?? 1 });
}

export function stsClient(sb: Pick<RunningSandbox, 'endpoint' | 'credentials'>, opts: { credentials?: Creds; maxAttempts?: number } = {}): STSClient {
  return new STSClient({ region: 'us-east-1', endpoint: sb.endpoint, credentials: opts.credentials ?? sb.credentials, maxAttempts: opts.maxAttempts ?? 1 });
}

export function readRequestLog(path: string): RequestLogEntry[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as RequestLogEntry);
}

/** Rejects with the SDK error so tests can assert name, status and message. */
export async function failure(p: Promise<unknown>): Promise<{ name: string; message: string; status: number | undefined }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail, it succeeded');
}

export const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Federated: 'cognito-identity.amazonaws.com' },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: {
        StringEquals: { 'cognito-identity.amazonaws.com:aud': 'us-east-1:11111111-2222-3333-4444-555555555555' },
        'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' },
      },
    },
  ],
});

export function dataPolicy(tenant: string, table = 'arn:aws:dynamodb:us-east-1:000000000000:table/items'): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:Query'],
        Resource: table,
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [tenant] }, Null: { 'dynamodb:LeadingKeys': 'false' } },
      },
    ],
  });
}

export const BOUNDARY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:Query'], Resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/*' }],
});

/** A Cognito OpenID token the real way: user pool sign-in -> identity pool GetId -> GetOpenIdToken. */
export async function cognitoOpenIdToken(
  sb: Pick<RunningSandbox, 'endpoint' | 'credentials'>,
): Promise<{ token: string; identityPoolId: string; identityId: string }> {
  const cfg = { region: 'us-east-1', endpoint: sb.endpoint, credentials: sb.credentials, maxAttempts: 1 };
  const idp = new CognitoIdentityProviderClient(cfg);
  const ci = new CognitoIdentityClient(cfg);
  try {
    const pool = (await idp.send(new CreateUserPoolCommand({ PoolName: 'token-pool' }))).UserPool!;
    const client = (
      await idp.send(
        new CreateUserPoolClientCommand({
          UserPoolId: pool.Id!,
          ClientName: 'app',
          ExplicitAuthFlows: ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
        }),
      )
    ).UserPoolClient!;
    await idp.send(new AdminCreateUserCommand({ UserPoolId: pool.Id!, Username: 'alice', MessageAction: 'SUPPRESS' }));
    await idp.send(new AdminSetUserPasswordCommand({ UserPoolId: pool.Id!, Username: 'alice', Password: 'Correct-horse-1', Permanent: true }));
    const auth = await idp.send(
      new AdminInitiateAuthCommand({
        UserPoolId: pool.Id!,
        ClientId: client.ClientId!,
        AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: 'alice', PASSWORD: 'Correct-horse-1' },
      }),
    );
    const provider = `cognito-idp.us-east-1.amazonaws.com/${pool.Id}`;
    const identityPoolId = (
      await ci.send(
        new CreateIdentityPoolCommand({
          IdentityPoolName: 'token_pool',
          AllowUnauthenticatedIdentities: false,
          // GetOpenIdToken is the basic flow, which AWS (and the sandbox) leaves off unless asked.
          AllowClassicFlow: true,
          CognitoIdentityProviders: [{ ProviderName: provider, ClientId: client.ClientId! }],
        }),
      )
    ).IdentityPoolId!;
    const logins = { [provider]: auth.AuthenticationResult!.IdToken! };
    const identityId = (await ci.send(new GetIdCommand({ IdentityPoolId: identityPoolId, Logins: logins }))).IdentityId!;
    const token = (await ci.send(new GetOpenIdTokenCommand({ IdentityId: identityId, Logins: logins }))).Token!;
    return { token, identityPoolId, identityId };
  } finally {
    idp.destroy();
    ci.destroy();
  }
}

/** A trust policy for Cognito identities of one identity pool, authenticated only. */
export function cognitoTrust(identityPoolId: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: 'cognito-identity.amazonaws.com' },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: { 'cognito-identity.amazonaws.com:aud': identityPoolId },
          'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' },
        },
      },
    ],
  });
}
