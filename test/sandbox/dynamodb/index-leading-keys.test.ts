// #11 vector 1 on the sandbox: for a Query on a secondary index, dynamodb:LeadingKeys is the value
// of the INDEX's partition key (AWS: a query on an index must pin the index partition key with EQ,
// and LeadingKeys is "the partition key" of what is read). A Scan pins no partition key, so it has
// no LeadingKeys at all. These tests show the leak a LeadingKeys grant on an index opens, exactly
// as AWS would evaluate it, so the policy side (the isolation engineer's) can be proven against it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyDocument } from '../../../src/policy/types.js';
import { SandboxError, type JsonService } from '../../../src/sandbox/contract.js';
import { createDynamoService } from '../../../src/sandbox/dynamodb/index.js';
import type { EnforcementDecision } from '../../../src/sandbox/dynamodb/authorize.js';
import { deriveChecks } from '../../../src/policy/dynamodb/context-keys.js';
import { ACCOUNT, ADMIN, FakeContext, REGION, session } from './fake-context.js';

const TABLE_ARN = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/Orders`;

/** The grant #11 found: the tenant's LeadingKeys on the table AND its indexes. */
function tenantPolicy(tenant: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:PutItem'],
        Resource: [TABLE_ARN, `${TABLE_ARN}/index/*`],
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [tenant] }, Null: { 'dynamodb:LeadingKeys': 'false' } },
      },
    ],
  };
}

describe('LeadingKeys of a secondary-index query is the index partition key value', () => {
  const ctx = new FakeContext();
  const decisions: EnforcementDecision[] = [];
  let ddb: JsonService;
  const tenantA = session('tenant-A');
  const tenantB = session('tenant-B');
  const call = (caller: ReturnType<typeof session>, op: string, input: Record<string, unknown>) =>
    ddb.handle(op, input, caller) as Promise<Record<string, any>>;

  beforeAll(async () => {
    ctx.addRole({ name: 'tenant-A', inlinePolicies: { data: tenantPolicy('A') } });
    ctx.addRole({ name: 'tenant-B', inlinePolicies: { data: tenantPolicy('B') } });
    ddb = await createDynamoService(ctx, { dataDir: undefined, tableCreatingMs: 0, onDecision: (d) => decisions.push(d) });
    await ddb.handle(
      'CreateTable',
      {
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
        GlobalSecondaryIndexes: [{ IndexName: 'ByStatus', KeySchema: [{ AttributeName: 'status', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } }],
        BillingMode: 'PAY_PER_REQUEST',
      },
      ADMIN,
    );
  });
  afterAll(async () => {
    await ddb.close?.();
  });

  it('tenant B plants a row in its own partition with status = "A" (LeadingKeys of the PutItem: ["B"])', async () => {
    decisions.length = 0;
    await call(tenantB, 'PutItem', { TableName: 'Orders', Item: { tenant: { S: 'B' }, sk: { S: 'o1' }, status: { S: 'A' }, secret: { S: 'B only' } } });
    expect(decisions.map((d) => [d.request.action, d.request.context['dynamodb:LeadingKeys'], d.decision])).toEqual([['dynamodb:PutItem', ['B'], 'Allow']]);
  });

  it('tenant A queries the index with status = "A": LeadingKeys ["A"] on the index ARN, allowed, and B\'s row comes back', async () => {
    decisions.length = 0;
    const out = await call(tenantA, 'Query', {
      TableName: 'Orders',
      IndexName: 'ByStatus',
      KeyConditionExpression: '#s = :v',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':v': { S: 'A' } },
    });
    expect(decisions).toHaveLength(1);
    expect(decisions[0]!.request.resource).toBe(`${TABLE_ARN}/index/ByStatus`);
    expect(decisions[0]!.request.context['dynamodb:LeadingKeys']).toEqual(['A']);
    expect(decisions[0]!.decision).toBe('Allow');
    expect(out.Items).toEqual([{ tenant: { S: 'B' }, sk: { S: 'o1' }, status: { S: 'A' }, secret: { S: 'B only' } }]);
  });

  it('the table partition key named in a filter does not count: LeadingKeys stays the index key value', async () => {
    decisions.length = 0;
    await call(tenantA, 'Query', {
      TableName: 'Orders',
      IndexName: 'ByStatus',
      KeyConditionExpression: '#s = :v',
      FilterExpression: 'tenant = :me',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':v': { S: 'A' }, ':me': { S: 'A' } },
    });
    expect(decisions[0]!.request.context['dynamodb:LeadingKeys']).toEqual(['A']);
    // B querying the index for its own status value is refused: the index key value is not "B".
    const err = await call(tenantB, 'Query', {
      TableName: 'Orders',
      IndexName: 'ByStatus',
      KeyConditionExpression: '#s = :v',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':v': { S: 'A' } },
    }).catch((e: unknown) => e);
    expect((err as SandboxError).code).toBe('AccessDeniedException');
  });

  it('a Scan of the index carries no LeadingKeys (no partition key is pinned), so a Null:false guard denies it', async () => {
    decisions.length = 0;
    const err = await call(tenantA, 'Scan', { TableName: 'Orders', IndexName: 'ByStatus' }).catch((e: unknown) => e);
    expect((err as SandboxError).code).toBe('AccessDeniedException');
    expect(decisions).toHaveLength(1);
    expect(decisions[0]!.request.resource).toBe(`${TABLE_ARN}/index/ByStatus`);
    expect('dynamodb:LeadingKeys' in decisions[0]!.request.context).toBe(false);
  });

  it('pure derivation: index key schema, not the table key, feeds LeadingKeys (KeyConditionExpression and legacy KeyConditions)', () => {
    const env = {
      region: REGION,
      accountId: ACCOUNT,
      keysOf: () => ({ partitionKey: 'tenant', sortKey: 'sk', indexes: { ByStatus: { partitionKey: 'status' } } }),
    };
    const [expr] = deriveChecks(
      'Query',
      { TableName: 'Orders', IndexName: 'ByStatus', KeyConditionExpression: 'status = :v', ExpressionAttributeValues: { ':v': { S: 'A' } } },
      env,
    );
    expect(expr!.context['dynamodb:LeadingKeys']).toEqual(['A']);
    const [legacy] = deriveChecks(
      'Query',
      { TableName: 'Orders', IndexName: 'ByStatus', KeyConditions: { status: { ComparisonOperator: 'EQ', AttributeValueList: [{ S: 'A' }] } } },
      env,
    );
    expect(legacy!.context['dynamodb:LeadingKeys']).toEqual(['A']);
    // A key condition on the TABLE's partition key against an index pins nothing of the index.
    const [wrong] = deriveChecks(
      'Query',
      { TableName: 'Orders', IndexName: 'ByStatus', KeyConditionExpression: 'tenant = :v', ExpressionAttributeValues: { ':v': { S: 'A' } } },
      env,
    );
    expect(wrong!.context['dynamodb:LeadingKeys']).toBeUndefined();
    const [scan] = deriveChecks('Scan', { TableName: 'Orders', IndexName: 'ByStatus' }, env);
    expect(scan!.context['dynamodb:LeadingKeys']).toBeUndefined();
    expect(scan!.resource).toBe(`${TABLE_ARN}/index/ByStatus`);
  });
});
