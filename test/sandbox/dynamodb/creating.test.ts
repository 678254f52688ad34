// A table's CREATING phase (configurable; 0 by default): DescribeTable says CREATING, data calls on
// it are ResourceNotFoundException (AWS: "The resource might not be specified correctly, or its
// status might not be ACTIVE"), and it turns ACTIVE after the configured time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxError, type JsonService } from '../../../src/sandbox/contract.js';
import { createDynamoService } from '../../../src/sandbox/dynamodb/index.js';
import { ADMIN, FakeContext } from './fake-context.js';

describe('CreateTable with a CREATING phase', () => {
  let ddb: JsonService;
  beforeAll(async () => {
    ddb = await createDynamoService(new FakeContext(), { dataDir: undefined, tableCreatingMs: 400 });
  });
  afterAll(async () => {
    await ddb.close?.();
  });

  it('is CREATING, refuses data calls, then is ACTIVE', async () => {
    const created = (await ddb.handle(
      'CreateTable',
      {
        TableName: 'Slow',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      },
      ADMIN,
    )) as { TableDescription: { TableStatus: string } };
    expect(created.TableDescription.TableStatus).toBe('CREATING');
    const described = (await ddb.handle('DescribeTable', { TableName: 'Slow' }, ADMIN)) as { Table: { TableStatus: string } };
    expect(described.Table.TableStatus).toBe('CREATING');
    const err = await ddb.handle('PutItem', { TableName: 'Slow', Item: { pk: { S: 'a' } } }, ADMIN).catch((e: unknown) => e);
    expect((err as SandboxError).code).toBe('ResourceNotFoundException');
    const started = Date.now();
    for (;;) {
      const t = (await ddb.handle('DescribeTable', { TableName: 'Slow' }, ADMIN)) as { Table: { TableStatus: string } };
      if (t.Table.TableStatus === 'ACTIVE') break;
      if (Date.now() - started > 5_000) throw new Error('never ACTIVE');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    await ddb.handle('PutItem', { TableName: 'Slow', Item: { pk: { S: 'a' } } }, ADMIN);
  });
});
