// The service's responses as real clients read them: the AWS SDK v3 DynamoDB client and the
// AWS CLI (botocore's service-2.json model) parse the output of every operation.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteItemCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  QueryCommand,
  ResourceNotFoundException,
  ScanCommand,
  UpdateItemCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonService } from '../../../src/sandbox/contract.js';
import { createDynamoService } from '../../../src/sandbox/dynamodb/index.js';
import { ADMIN, FakeContext, REGION } from './fake-context.js';
import { serveJson } from './json-server.js';

const run = promisify(execFile);

let service: JsonService;
let server: { url: string; close(): Promise<void> };

beforeAll(async () => {
  service = await createDynamoService(new FakeContext(), { dataDir: undefined, tableCreatingMs: 0 });
  server = await serveJson(service, ADMIN);
});
afterAll(async () => {
  await server.close();
  await service.close?.();
});

describe('AWS SDK v3 DynamoDB client', () => {
  it('runs every operation and maps errors to the SDK error classes', async () => {
    const client = new DynamoDBClient({
      endpoint: server.url,
      region: REGION,
      credentials: { accessKeyId: 'AKIATEST', secretAccessKey: 'secret' },
      maxAttempts: 1,
    });
    try {
      const created = await client.send(
        new CreateTableCommand({
          TableName: 'SdkTable',
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'N' },
          ],
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      expect(created.TableDescription?.TableStatus).toBe('CREATING');
      expect(created.TableDescription?.CreationDateTime).toBeInstanceOf(Date);
      const described = await client.send(new DescribeTableCommand({ TableName: 'SdkTable' }));
      expect(described.Table?.TableStatus).toBe('ACTIVE');
      expect((await client.send(new ListTablesCommand({}))).TableNames).toEqual(['SdkTable']);
      await client.send(
        new PutItemCommand({
          TableName: 'SdkTable',
          Item: { pk: { S: 'a' }, sk: { N: '1' }, tags: { SS: ['x', 'y'] }, blob: { B: new Uint8Array([1, 2, 3]) } },
        }),
      );
      const got = await client.send(new GetItemCommand({ TableName: 'SdkTable', Key: { pk: { S: 'a' }, sk: { N: '1' } } }));
      expect(got.Item?.tags).toEqual({ SS: ['x', 'y'] });
      expect(got.Item?.blob?.B).toEqual(new Uint8Array([1, 2, 3]));
      const updated = await client.send(
        new UpdateItemCommand({
          TableName: 'SdkTable',
          Key: { pk: { S: 'a' }, sk: { N: '1' } },
          UpdateExpression: 'ADD hits :one',
          ExpressionAttributeValues: { ':one': { N: '1' } },
          ReturnValues: 'ALL_NEW',
        }),
      );
      expect(updated.Attributes?.hits).toEqual({ N: '1' });
      await client.send(new BatchWriteItemCommand({ RequestItems: { SdkTable: [{ PutRequest: { Item: { pk: { S: 'a' }, sk: { N: '2' } } } }] } }));
      const q = await client.send(
        new QueryCommand({
          TableName: 'SdkTable',
          KeyConditionExpression: 'pk = :p AND sk BETWEEN :a AND :b',
          ExpressionAttributeValues: { ':p': { S: 'a' }, ':a': { N: '1' }, ':b': { N: '5' } },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      expect(q.Count).toBe(2);
      expect(q.ConsumedCapacity?.TableName).toBe('SdkTable');
      expect((await client.send(new ScanCommand({ TableName: 'SdkTable', Limit: 1 }))).LastEvaluatedKey).toBeDefined();
      const batch = await client.send(new BatchGetItemCommand({ RequestItems: { SdkTable: { Keys: [{ pk: { S: 'a' }, sk: { N: '2' } }] } } }));
      expect(batch.Responses?.SdkTable).toHaveLength(1);
      await client.send(new UpdateTimeToLiveCommand({ TableName: 'SdkTable', TimeToLiveSpecification: { Enabled: true, AttributeName: 'ttl' } }));
      expect((await client.send(new DescribeTimeToLiveCommand({ TableName: 'SdkTable' }))).TimeToLiveDescription).toEqual({
        TimeToLiveStatus: 'ENABLED',
        AttributeName: 'ttl',
      });
      await expect(
        client.send(new PutItemCommand({ TableName: 'SdkTable', Item: { pk: { S: 'a' }, sk: { N: '2' } }, ConditionExpression: 'attribute_not_exists(pk)' })),
      ).rejects.toBeInstanceOf(ConditionalCheckFailedException);
      await client.send(new DeleteItemCommand({ TableName: 'SdkTable', Key: { pk: { S: 'a' }, sk: { N: '2' } } }));
      await client.send(new DeleteTableCommand({ TableName: 'SdkTable' }));
      await expect(client.send(new DescribeTableCommand({ TableName: 'SdkTable' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    } finally {
      client.destroy();
    }
  });
});

describe('AWS CLI (botocore) parses every response', () => {
  // iso8601 makes botocore parse timestamps instead of echoing them.
  const configDir = mkdtempSync(join(tmpdir(), 'isoctl-aws-cli-'));
  writeFileSync(join(configDir, 'config'), '[default]\ncli_timestamp_format = iso8601\n');
  afterAll(() => rmSync(configDir, { recursive: true, force: true }));
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'AKIATEST',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_DEFAULT_REGION: REGION,
    AWS_CONFIG_FILE: join(configDir, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_MAX_ATTEMPTS: '1',
  };
  async function aws(...args: string[]): Promise<any> {
    const { stdout } = await run('aws', ['dynamodb', ...args, '--endpoint-url', server.url, '--output', 'json'], { env });
    return stdout.trim() ? JSON.parse(stdout) : {};
  }
  async function awsError(...args: string[]): Promise<string> {
    try {
      await aws(...args);
    } catch (err) {
      return String((err as { stderr?: string }).stderr);
    }
    throw new Error('expected the CLI to fail');
  }

  it('table operations', async () => {
    const created = await aws(
      'create-table',
      '--table-name',
      'CliTable',
      '--attribute-definitions',
      'AttributeName=pk,AttributeType=S',
      'AttributeName=sk,AttributeType=S',
      '--key-schema',
      'AttributeName=pk,KeyType=HASH',
      'AttributeName=sk,KeyType=RANGE',
      '--billing-mode',
      'PAY_PER_REQUEST',
    );
    expect(created.TableDescription.TableStatus).toBe('CREATING');
    expect(created.TableDescription.TableArn).toMatch(/^arn:aws:dynamodb:eu-central-1:123456789012:table\/CliTable$/);
    const described = await aws('describe-table', '--table-name', 'CliTable');
    expect(described.Table.TableStatus).toBe('ACTIVE');
    expect(Math.abs(Date.parse(described.Table.CreationDateTime) - Date.now())).toBeLessThan(60_000); // botocore parsed the epoch seconds
    expect((await aws('list-tables')).TableNames).toContain('CliTable');
    expect(await aws('update-time-to-live', '--table-name', 'CliTable', '--time-to-live-specification', 'Enabled=true,AttributeName=ttl')).toEqual({
      TimeToLiveSpecification: { Enabled: true, AttributeName: 'ttl' },
    });
    expect((await aws('describe-time-to-live', '--table-name', 'CliTable')).TimeToLiveDescription.TimeToLiveStatus).toBe('ENABLED');
  });

  it('item operations', async () => {
    expect(await aws('put-item', '--table-name', 'CliTable', '--item', '{"pk":{"S":"t1"},"sk":{"S":"a"},"n":{"N":"1"}}')).toEqual({});
    expect((await aws('get-item', '--table-name', 'CliTable', '--key', '{"pk":{"S":"t1"},"sk":{"S":"a"}}')).Item.n).toEqual({ N: '1' });
    const updated = await aws(
      'update-item',
      '--table-name',
      'CliTable',
      '--key',
      '{"pk":{"S":"t1"},"sk":{"S":"a"}}',
      '--update-expression',
      'SET n = n + :one',
      '--expression-attribute-values',
      '{":one":{"N":"1"}}',
      '--return-values',
      'UPDATED_NEW',
    );
    expect(updated.Attributes).toEqual({ n: { N: '2' } });
    const written = await aws('batch-write-item', '--request-items', '{"CliTable":[{"PutRequest":{"Item":{"pk":{"S":"t1"},"sk":{"S":"b"}}}}]}');
    expect(written.UnprocessedItems).toEqual({});
    const q = await aws(
      'query',
      '--table-name',
      'CliTable',
      '--key-condition-expression',
      'pk = :p AND begins_with(sk, :s)',
      '--expression-attribute-values',
      '{":p":{"S":"t1"},":s":{"S":"a"}}',
    );
    expect(q.Count).toBe(1);
    const scan = await aws('scan', '--table-name', 'CliTable', '--select', 'COUNT');
    expect(scan.Count).toBe(2);
    const got = await aws('batch-get-item', '--request-items', '{"CliTable":{"Keys":[{"pk":{"S":"t1"},"sk":{"S":"a"}},{"pk":{"S":"t1"},"sk":{"S":"b"}}]}}');
    expect(got.Responses.CliTable).toHaveLength(2);
    const deleted = await aws('delete-item', '--table-name', 'CliTable', '--key', '{"pk":{"S":"t1"},"sk":{"S":"b"}}', '--return-values', 'ALL_OLD');
    expect(deleted.Attributes.sk).toEqual({ S: 'b' });
  });

  it('errors come out with the AWS code and message', async () => {
    const stderr = await awsError(
      'put-item',
      '--table-name',
      'CliTable',
      '--item',
      '{"pk":{"S":"t1"},"sk":{"S":"a"}}',
      '--condition-expression',
      'attribute_not_exists(pk)',
    );
    expect(stderr).toMatch(/An error occurred \(ConditionalCheckFailedException\) when calling the PutItem operation: The conditional request failed/);
    expect(await awsError('describe-table', '--table-name', 'Missing')).toMatch(
      /\(ResourceNotFoundException\) when calling the DescribeTable operation: Requested resource not found: Table: Missing not found/,
    );
    expect((await aws('delete-table', '--table-name', 'CliTable')).TableDescription.TableStatus).toBe('DELETING');
  });
});
