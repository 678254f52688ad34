// End to end through the sandbox core: SigV4-signed requests from the real AWS SDK clients and
// the AWS CLI, a role made with IAM, temporary credentials bound to it, the dynamodb lag,
// enforcement, the request log, and the data surviving a restart over the same state dir.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CreateTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxContext } from '../../../src/sandbox/contract.js';
import { createDynamoService } from '../../../src/sandbox/dynamodb/index.js';
import { startSandbox, type RunningSandbox } from '../../../src/sandbox/server.js';

const run = promisify(execFile);
const ACCOUNT = '123456789012';
const REGION = 'eu-central-1';
const TABLE_ARN = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/Pooled`;
const LAG_MS = 1_500;

const stateDir = mkdtempSync(join(tmpdir(), 'isoctl-ddb-e2e-'));
let sandbox: RunningSandbox;
let ctx: SandboxContext;

async function start(): Promise<void> {
  sandbox = await startSandbox({
    stateDir,
    accountId: ACCOUNT,
    region: REGION,
    lag: { iam: 0, cognito: 0, dynamodb: LAG_MS },
    services: {
      dynamodb: async (c) => {
        ctx = c;
        return createDynamoService(c, { dataDir: join(stateDir, 'dynamodb'), tableCreatingMs: 0 });
      },
    },
  });
}

function ddb(credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }): DynamoDBClient {
  return new DynamoDBClient({ endpoint: sandbox.endpoint, region: REGION, credentials, maxAttempts: 1 });
}

beforeAll(start);
afterAll(async () => {
  await sandbox?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('DynamoDB behind the sandbox core', () => {
  let tenantCreds: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
  let roleWrittenAt = 0;

  it("the admin creates a pooled table and two tenants' items", async () => {
    const admin = ddb(sandbox.credentials);
    await admin.send(
      new CreateTableCommand({
        TableName: 'Pooled',
        AttributeDefinitions: [
          { AttributeName: 'tenant', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'tenant', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    for (const tenant of ['acme', 'globex']) {
      await admin.send(new PutItemCommand({ TableName: 'Pooled', Item: { tenant: { S: tenant }, sk: { S: 'doc' }, body: { S: `${tenant} data` } } }));
    }
    admin.destroy();
  });

  it('a role made through IAM, with temporary credentials: denied while DynamoDB does not see it (lag)', async () => {
    const iam = new IAMClient({ endpoint: sandbox.endpoint, region: REGION, credentials: sandbox.credentials, maxAttempts: 1 });
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'isoctl-prod-acme',
        Path: '/isoctl/prod/',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Federated: 'cognito-identity.amazonaws.com' }, Action: 'sts:AssumeRoleWithWebIdentity' }],
        }),
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'isoctl-prod-acme',
        PolicyName: 'data',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem'],
              Resource: TABLE_ARN,
              Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['acme'] }, Null: { 'dynamodb:LeadingKeys': 'false' } },
            },
          ],
        }),
      }),
    );
    roleWrittenAt = Date.now();
    iam.destroy();
    const role = ctx.getRole('isoctl-prod-acme', 'iam');
    expect(role).toBeDefined();
    const issued = ctx.issueSession(role!, 'CognitoIdentityCredentials', {}, 3600);
    tenantCreds = { accessKeyId: issued.accessKeyId, secretAccessKey: issued.secretAccessKey, sessionToken: issued.sessionToken };

    const client = ddb(tenantCreds);
    const err = await client
      .send(new QueryCommand({ TableName: 'Pooled', KeyConditionExpression: 'tenant = :t', ExpressionAttributeValues: { ':t': { S: 'acme' } } }))
      .catch((e: unknown) => e);
    client.destroy();
    expect(Date.now() - roleWrittenAt).toBeLessThan(LAG_MS); // still inside the lag, or the test proves nothing
    expect((err as Error).name).toBe('AccessDeniedException');
    expect((err as Error).message).toBe(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/isoctl-prod-acme/CognitoIdentityCredentials is not authorized to perform: dynamodb:Query on resource: ${TABLE_ARN} because no identity-based policy allows the dynamodb:Query action`,
    );
  });

  it('after the lag: the tenant reads its partition and is denied the other one (SDK)', async () => {
    await new Promise((r) => setTimeout(r, Math.max(0, roleWrittenAt + LAG_MS + 100 - Date.now())));
    const client = ddb(tenantCreds);
    try {
      const own = await client.send(
        new QueryCommand({ TableName: 'Pooled', KeyConditionExpression: 'tenant = :t', ExpressionAttributeValues: { ':t': { S: 'acme' } } }),
      );
      expect(own.Items).toEqual([{ tenant: { S: 'acme' }, sk: { S: 'doc' }, body: { S: 'acme data' } }]);
      const other = await client.send(new GetItemCommand({ TableName: 'Pooled', Key: { tenant: { S: 'globex' }, sk: { S: 'doc' } } })).catch((e: unknown) => e);
      expect((other as Error).name).toBe('AccessDeniedException');
      expect((other as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(400);
    } finally {
      client.destroy();
    }
  });

  it('the AWS CLI reads the same answers, denial included', async () => {
    const env = { ...process.env, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_DEFAULT_REGION: REGION, AWS_MAX_ATTEMPTS: '1' };
    const admin = { ...env, AWS_ACCESS_KEY_ID: sandbox.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: sandbox.credentials.secretAccessKey };
    const tenant = {
      ...env,
      AWS_ACCESS_KEY_ID: tenantCreds.accessKeyId,
      AWS_SECRET_ACCESS_KEY: tenantCreds.secretAccessKey,
      AWS_SESSION_TOKEN: tenantCreds.sessionToken,
    };
    const aws = (e: NodeJS.ProcessEnv, ...args: string[]) =>
      run('aws', ['dynamodb', ...args, '--endpoint-url', sandbox.endpoint, '--output', 'json'], { env: e });

    const tables = JSON.parse((await aws(admin, 'list-tables')).stdout);
    expect(tables.TableNames).toEqual(['Pooled']);
    const own = JSON.parse((await aws(tenant, 'get-item', '--table-name', 'Pooled', '--key', '{"tenant":{"S":"acme"},"sk":{"S":"doc"}}')).stdout);
    expect(own.Item.body).toEqual({ S: 'acme data' });
    const denied = await aws(
      tenant,
      'query',
      '--table-name',
      'Pooled',
      '--key-condition-expression',
      'tenant = :t',
      '--expression-attribute-values',
      '{":t":{"S":"globex"}}',
    ).catch((e: { stderr: string }) => e);
    expect((denied as { stderr: string }).stderr).toContain(
      `An error occurred (AccessDeniedException) when calling the Query operation: User: arn:aws:sts::${ACCOUNT}:assumed-role/isoctl-prod-acme/CognitoIdentityCredentials is not authorized to perform: dynamodb:Query on resource: ${TABLE_ARN} because no identity-based policy allows the dynamodb:Query action`,
    );
  });

  it('the request log records DynamoDB calls with caller, status and whether they mutate', () => {
    const entries = readFileSync(sandbox.requestLogPath, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { service: string; operation: string; caller: string; status: number; mutating: boolean; error?: string })
      .filter((e) => e.service === 'dynamodb');
    expect(entries.filter((e) => e.operation === 'PutItem' && e.caller === 'admin' && e.status === 200 && e.mutating)).toHaveLength(2);
    const denials = entries.filter((e) => e.error === 'AccessDeniedException');
    expect(denials.length).toBe(3); // the lagged Query, the GetItem of globex, the CLI query of globex
    expect(denials.every((e) => e.caller.endsWith(':role/isoctl/prod/isoctl-prod-acme') && e.status === 400 && !e.mutating)).toBe(true);
  });

  it('tables, items and the TTL setting survive a restart over the same state dir', async () => {
    const before = ddb(sandbox.credentials);
    await before.send(new UpdateTimeToLiveCommand({ TableName: 'Pooled', TimeToLiveSpecification: { Enabled: true, AttributeName: 'expiresAt' } }));
    before.destroy();
    await sandbox.close();
    await start();
    const admin = ddb(sandbox.credentials);
    try {
      const got = await admin.send(new GetItemCommand({ TableName: 'Pooled', Key: { tenant: { S: 'globex' }, sk: { S: 'doc' } } }));
      expect(got.Item?.body).toEqual({ S: 'globex data' });
      const ttl = await admin.send(new DescribeTimeToLiveCommand({ TableName: 'Pooled' }));
      expect(ttl.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
    } finally {
      admin.destroy();
    }
  });
});
