// Shared setup for the sandbox core tests: a sandbox on a free loopback port over a temp state dir.
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
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
