// Each DynamoDB operation through the service with the admin caller (dynalite underneath),
// and persistence across a close and reopen of the same data directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxError, type JsonService } from '../../../src/sandbox/contract.js';
import { createDynamoService } from '../../../src/sandbox/dynamodb/index.js';
import { ACCOUNT, ADMIN, FakeContext, REGION } from './fake-context.js';

async function failure(p: Promise<unknown>): Promise<SandboxError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof SandboxError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

const ORDERS = {
  TableName: 'Orders',
  AttributeDefinitions: [
    { AttributeName: 'tenant', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
    { AttributeName: 'status', AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: 'tenant', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  GlobalSecondaryIndexes: [
    {
      IndexName: 'ByStatus',
      KeySchema: [{ AttributeName: 'status', KeyType: 'HASH' }],
      Projection: { ProjectionType: 'ALL' },
    },
  ],
  BillingMode: 'PAY_PER_REQUEST',
};

describe('DynamoDB operations (admin caller, in memory)', () => {
  let ddb: JsonService;
  const call = (op: string, input: Record<string, unknown>) => ddb.handle(op, input, ADMIN) as Promise<Record<string, any>>;

  beforeAll(async () => {
    ddb = await createDynamoService(new FakeContext(), { dataDir: undefined, tableCreatingMs: 0 });
  });
  afterAll(async () => {
    await ddb.close?.();
  });

  it('CreateTable returns CREATING with the account and region in the ARN, and the table is usable at once', async () => {
    const out = await call('CreateTable', ORDERS);
    expect(out.TableDescription.TableStatus).toBe('CREATING');
    expect(out.TableDescription.TableArn).toBe(`arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/Orders`);
    expect(out.TableDescription.GlobalSecondaryIndexes[0].IndexArn).toBe(`arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/Orders/index/ByStatus`);
    const described = await call('DescribeTable', { TableName: 'Orders' });
    expect(described.Table.TableStatus).toBe('ACTIVE');
    expect(described.Table.KeySchema).toEqual(ORDERS.KeySchema);
    expect(described.Table.BillingModeSummary.BillingMode).toBe('PAY_PER_REQUEST');
  });

  it("CreateTable of an existing table is ResourceInUseException with AWS's message", async () => {
    const err = await failure(call('CreateTable', ORDERS));
    expect([err.code, err.message, err.status]).toEqual(['ResourceInUseException', 'Table already exists: Orders', 400]);
  });

  it('PutItem, GetItem, and a failed condition', async () => {
    expect(
      await call('PutItem', { TableName: 'Orders', Item: { tenant: { S: 'acme' }, sk: { S: 'o#1' }, status: { S: 'open' }, amount: { N: '10.50' } } }),
    ).toEqual({});
    await call('PutItem', { TableName: 'Orders', Item: { tenant: { S: 'acme' }, sk: { S: 'o#2' }, status: { S: 'shipped' }, amount: { N: '3' } } });
    await call('PutItem', { TableName: 'Orders', Item: { tenant: { S: 'globex' }, sk: { S: 'o#1' }, status: { S: 'open' }, amount: { N: '99' } } });
    const got = await call('GetItem', {
      TableName: 'Orders',
      Key: { tenant: { S: 'acme' }, sk: { S: 'o#1' } },
      ProjectionExpression: 'amount, #s',
      ExpressionAttributeNames: { '#s': 'status' },
    });
    expect(got).toEqual({ Item: { amount: { N: '10.5' }, status: { S: 'open' } } });
    expect(await call('GetItem', { TableName: 'Orders', Key: { tenant: { S: 'acme' }, sk: { S: 'none' } } })).toEqual({});
    const err = await failure(
      call('PutItem', { TableName: 'Orders', Item: { tenant: { S: 'acme' }, sk: { S: 'o#1' } }, ConditionExpression: 'attribute_not_exists(tenant)' }),
    );
    expect([err.code, err.message]).toEqual(['ConditionalCheckFailedException', 'The conditional request failed']);
  });

  it('UpdateItem returns the new values; DeleteItem the old ones', async () => {
    const updated = await call('UpdateItem', {
      TableName: 'Orders',
      Key: { tenant: { S: 'acme' }, sk: { S: 'o#1' } },
      UpdateExpression: 'SET amount = amount + :d, notes = list_append(if_not_exists(notes, :empty), :n)',
      ExpressionAttributeValues: { ':d': { N: '1' }, ':empty': { L: [] }, ':n': { L: [{ S: 'rush' }] } },
      ReturnValues: 'UPDATED_NEW',
    });
    expect(updated).toEqual({ Attributes: { amount: { N: '11.5' }, notes: { L: [{ S: 'rush' }] } } });
    const deleted = await call('DeleteItem', { TableName: 'Orders', Key: { tenant: { S: 'acme' }, sk: { S: 'o#2' } }, ReturnValues: 'ALL_OLD' });
    expect(deleted.Attributes.status).toEqual({ S: 'shipped' });
    expect(await call('GetItem', { TableName: 'Orders', Key: { tenant: { S: 'acme' }, sk: { S: 'o#2' } } })).toEqual({});
  });

  it('Query by partition key with begins_with, and on a global secondary index', async () => {
    const q = await call('Query', {
      TableName: 'Orders',
      KeyConditionExpression: 'tenant = :t AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':t': { S: 'acme' }, ':p': { S: 'o#' } },
    });
    expect(q.Count).toBe(1);
    expect(q.Items[0].sk).toEqual({ S: 'o#1' });
    const byStatus = await call('Query', {
      TableName: 'Orders',
      IndexName: 'ByStatus',
      KeyConditionExpression: '#s = :open',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':open': { S: 'open' } },
    });
    expect(byStatus.Items.map((i: any) => i.tenant.S).sort()).toEqual(['acme', 'globex']);
  });

  it('Scan with a filter and a limit that pages', async () => {
    const all = await call('Scan', { TableName: 'Orders', FilterExpression: 'amount > :n', ExpressionAttributeValues: { ':n': { N: '50' } } });
    expect(all.Items.map((i: any) => i.tenant.S)).toEqual(['globex']);
    expect(all.ScannedCount).toBe(2);
    const page = await call('Scan', { TableName: 'Orders', Limit: 1 });
    expect(page.Count).toBe(1);
    expect(page.LastEvaluatedKey).toBeDefined();
  });

  it('BatchWriteItem then BatchGetItem', async () => {
    const written = await call('BatchWriteItem', {
      RequestItems: {
        Orders: [
          { PutRequest: { Item: { tenant: { S: 'initech' }, sk: { S: 'a' } } } },
          { PutRequest: { Item: { tenant: { S: 'initech' }, sk: { S: 'b' } } } },
          { DeleteRequest: { Key: { tenant: { S: 'globex' }, sk: { S: 'o#1' } } } },
        ],
      },
    });
    expect(written).toEqual({ UnprocessedItems: {} });
    const got = await call('BatchGetItem', {
      RequestItems: {
        Orders: {
          Keys: [
            { tenant: { S: 'initech' }, sk: { S: 'a' } },
            { tenant: { S: 'initech' }, sk: { S: 'b' } },
            { tenant: { S: 'globex' }, sk: { S: 'o#1' } },
          ],
        },
      },
    });
    expect(got.Responses.Orders.map((i: any) => i.sk.S).sort()).toEqual(['a', 'b']);
    expect(got.UnprocessedKeys).toEqual({});
  });

  it('ListTables pages with Limit and LastEvaluatedTableName', async () => {
    await call('CreateTable', {
      ...ORDERS,
      TableName: 'Orders2',
      GlobalSecondaryIndexes: undefined,
      AttributeDefinitions: ORDERS.AttributeDefinitions.slice(0, 2),
    });
    expect(await call('ListTables', {})).toEqual({ TableNames: ['Orders', 'Orders2'] });
    expect(await call('ListTables', { Limit: 1 })).toEqual({ TableNames: ['Orders'], LastEvaluatedTableName: 'Orders' });
    expect(await call('ListTables', { ExclusiveStartTableName: 'Orders' })).toEqual({ TableNames: ['Orders2'] });
  });

  it('UpdateTimeToLive and DescribeTimeToLive', async () => {
    expect(await call('DescribeTimeToLive', { TableName: 'Orders' })).toEqual({ TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } });
    expect(await call('UpdateTimeToLive', { TableName: 'Orders', TimeToLiveSpecification: { Enabled: true, AttributeName: 'expiresAt' } })).toEqual({
      TimeToLiveSpecification: { Enabled: true, AttributeName: 'expiresAt' },
    });
    expect(await call('DescribeTimeToLive', { TableName: 'Orders' })).toEqual({
      TimeToLiveDescription: { TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' },
    });
    const again = await failure(call('UpdateTimeToLive', { TableName: 'Orders', TimeToLiveSpecification: { Enabled: true, AttributeName: 'expiresAt' } }));
    expect([again.code, again.message]).toEqual(['ValidationException', 'TimeToLive is already enabled']);
    const missing = await failure(call('DescribeTimeToLive', { TableName: 'Missing' }));
    expect(missing.code).toBe('ResourceNotFoundException');
  });

  it('DeleteTable returns DELETING; the table is gone afterwards', async () => {
    const out = await call('DeleteTable', { TableName: 'Orders2' });
    expect(out.TableDescription.TableStatus).toBe('DELETING');
    const err = await failure(call('DescribeTable', { TableName: 'Orders2' }));
    expect([err.code, err.message]).toEqual(['ResourceNotFoundException', 'Requested resource not found: Table: Orders2 not found']);
    expect(await call('ListTables', {})).toEqual({ TableNames: ['Orders'] });
  });

  it('validation errors come from the engine as ValidationException', async () => {
    const syntax = await failure(
      call('Query', { TableName: 'Orders', KeyConditionExpression: 'tenant = :t AND', ExpressionAttributeValues: { ':t': { S: 'a' } } }),
    );
    expect(syntax.code).toBe('ValidationException');
    expect(syntax.message).toMatch(/^Invalid KeyConditionExpression: Syntax error/);
    const reserved = await failure(call('GetItem', { TableName: 'Orders', Key: { tenant: { S: 'a' }, sk: { S: 'b' } }, ProjectionExpression: 'status' }));
    expect(reserved.message).toMatch(/reserved keyword; reserved keyword: status/);
    const key = await failure(call('GetItem', { TableName: 'Orders', Key: { tenant: { S: 'a' } } }));
    expect([key.code, key.message]).toEqual(['ValidationException', 'The provided key element does not match the schema']);
    const missingTable = await failure(call('GetItem', { TableName: 'Nope', Key: { id: { S: 'a' } } }));
    expect([missingTable.code, missingTable.message]).toEqual(['ResourceNotFoundException', 'Requested resource not found']);
  });

  it('unknown operations and unsigned callers are refused', async () => {
    const unknown = await failure(call('RestoreTableFromBackup', { TargetTableName: 'x', BackupArn: 'y' }));
    expect(unknown.code).toBe('UnknownOperationException');
    const anonymous = await failure(ddb.handle('GetItem', { TableName: 'Orders', Key: { tenant: { S: 'a' }, sk: { S: 'b' } } }, { kind: 'anonymous' }));
    expect([anonymous.code, anonymous.message]).toEqual(['MissingAuthenticationTokenException', 'Request is missing Authentication Token']);
  });

  it('reports which operations mutate', () => {
    expect(['CreateTable', 'DeleteTable', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'UpdateTimeToLive'].every((op) => ddb.isMutating(op))).toBe(
      true,
    );
    expect(['DescribeTable', 'ListTables', 'GetItem', 'Query', 'Scan', 'BatchGetItem', 'DescribeTimeToLive'].some((op) => ddb.isMutating(op))).toBe(false);
  });
});

describe('DynamoDB persistence in a data directory (LevelDB)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'isoctl-ddb-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps tables and items across close and reopen', async () => {
    const dataDir = join(dir, 'dynamodb');
    const first = await createDynamoService(new FakeContext(), { dataDir, tableCreatingMs: 0 });
    await first.handle('CreateTable', { ...ORDERS, GlobalSecondaryIndexes: undefined, AttributeDefinitions: ORDERS.AttributeDefinitions.slice(0, 2) }, ADMIN);
    await first.handle('PutItem', { TableName: 'Orders', Item: { tenant: { S: 'acme' }, sk: { S: '1' }, v: { S: 'kept' } } }, ADMIN);
    await first.close?.();

    const second = await createDynamoService(new FakeContext(), { dataDir, tableCreatingMs: 0 });
    try {
      expect(await second.handle('ListTables', {}, ADMIN)).toEqual({ TableNames: ['Orders'] });
      expect(await second.handle('GetItem', { TableName: 'Orders', Key: { tenant: { S: 'acme' }, sk: { S: '1' } } }, ADMIN)).toEqual({
        Item: { tenant: { S: 'acme' }, sk: { S: '1' }, v: { S: 'kept' } },
      });
      expect(((await second.handle('DescribeTable', { TableName: 'Orders' }, ADMIN)) as any).Table.TableStatus).toBe('ACTIVE');
    } finally {
      await second.close?.();
    }
  });

  it('finishes a table status change a stopped process left half done (CREATING -> ACTIVE, DELETING -> gone)', async () => {
    const dataDir = join(dir, 'interrupted');
    const level = new Level<string, unknown>(dataDir, { valueEncoding: 'json' });
    const table = (name: string, status: string) => ({
      TableName: name,
      TableStatus: status,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      ProvisionedThroughput: { ReadCapacityUnits: 0, WriteCapacityUnits: 0, NumberOfDecreasesToday: 0 },
      CreationDateTime: Date.now() / 1000,
      ItemCount: 0,
      TableSizeBytes: 0,
    });
    await level.put('table~Stuck', table('Stuck', 'CREATING'));
    await level.put('table~Leaving', table('Leaving', 'DELETING'));
    await level.close();

    const ddb = await createDynamoService(new FakeContext(), { dataDir, tableCreatingMs: 0 });
    try {
      expect(await ddb.handle('ListTables', {}, ADMIN)).toEqual({ TableNames: ['Stuck'] });
      expect(((await ddb.handle('DescribeTable', { TableName: 'Stuck' }, ADMIN)) as any).Table.TableStatus).toBe('ACTIVE');
      await ddb.handle('PutItem', { TableName: 'Stuck', Item: { id: { S: 'usable' } } }, ADMIN);
      expect(await ddb.handle('GetItem', { TableName: 'Stuck', Key: { id: { S: 'usable' } } }, ADMIN)).toEqual({ Item: { id: { S: 'usable' } } });
    } finally {
      await ddb.close?.();
    }
  });

  it('a second engine on the same directory fails clearly while the first holds it', async () => {
    const dataDir = join(dir, 'locked');
    const first = await createDynamoService(new FakeContext(), { dataDir, tableCreatingMs: 0 });
    try {
      await expect(createDynamoService(new FakeContext(), { dataDir, tableCreatingMs: 0 })).rejects.toThrow(/cannot open the DynamoDB store in .*locked/);
    } finally {
      await first.close?.();
    }
  });
});
