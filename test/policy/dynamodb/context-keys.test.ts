import { describe, expect, it } from 'vitest';
import { deriveChecks, keyValueString, tableArn, type DeriveEnv, type TableKeys } from '../../../src/policy/dynamodb/context-keys.js';

const TABLES: Record<string, TableKeys> = {
  AgentsTable: { partitionKey: 'userId', sortKey: 'fieldName', indexes: { ByAssignment: { partitionKey: 'isOnAssignment', sortKey: 'fieldName' } } },
  Pooled: { partitionKey: 'tenant', sortKey: 'sk', indexes: {} },
  Counters: { partitionKey: 'id', indexes: {} },
};
const env: DeriveEnv = { region: 'eu-central-1', accountId: '123456789012', keysOf: (t) => TABLES[t] };
const ARN = 'arn:aws:dynamodb:eu-central-1:123456789012:table/AgentsTable';

describe('deriveChecks: single-item operations', () => {
  it('GetItem with a projection: leading key, key + projected attributes, SPECIFIC_ATTRIBUTES', () => {
    const [check, ...rest] = deriveChecks(
      'GetItem',
      {
        TableName: 'AgentsTable',
        Key: { userId: { S: 'COGNITO_ID_1' }, fieldName: { S: 'f1' } },
        ProjectionExpression: 'isOnAssignment, #r.first',
        ExpressionAttributeNames: { '#r': 'realName' },
      },
      env,
    );
    expect(rest).toEqual([]);
    expect(check).toEqual({
      action: 'dynamodb:GetItem',
      resource: ARN,
      table: 'AgentsTable',
      context: {
        'dynamodb:LeadingKeys': ['COGNITO_ID_1'],
        'dynamodb:Attributes': ['userId', 'fieldName', 'isOnAssignment', 'realName'],
        'dynamodb:Select': 'SPECIFIC_ATTRIBUTES',
        'dynamodb:ReturnConsumedCapacity': 'NONE',
      },
    });
  });

  it('GetItem without a projection asks for ALL_ATTRIBUTES; AttributesToGet counts as a projection', () => {
    const key = { userId: { S: 'u' }, fieldName: { S: 'f' } };
    expect(deriveChecks('GetItem', { TableName: 'AgentsTable', Key: key }, env)[0]!.context['dynamodb:Select']).toBe('ALL_ATTRIBUTES');
    const legacy = deriveChecks('GetItem', { TableName: 'AgentsTable', Key: key, AttributesToGet: ['isOnAssignment'] }, env)[0]!;
    expect(legacy.context['dynamodb:Select']).toBe('SPECIFIC_ATTRIBUTES');
    expect(legacy.context['dynamodb:Attributes']).toEqual(['userId', 'fieldName', 'isOnAssignment']);
  });

  it('PutItem: every item attribute, condition attributes, ReturnValues defaults to NONE', () => {
    const [check] = deriveChecks(
      'PutItem',
      {
        TableName: 'Pooled',
        Item: { tenant: { S: 'acme' }, sk: { S: 'order#1' }, total: { N: '3' } },
        ConditionExpression: 'attribute_not_exists(#t) OR version < :v',
        ExpressionAttributeNames: { '#t': 'tenant' },
        ReturnConsumedCapacity: 'TOTAL',
      },
      env,
    );
    expect(check!.context).toEqual({
      'dynamodb:LeadingKeys': ['acme'],
      'dynamodb:Attributes': ['tenant', 'sk', 'total', 'version'],
      'dynamodb:ReturnValues': 'NONE',
      'dynamodb:ReturnConsumedCapacity': 'TOTAL',
    });
  });

  it('UpdateItem: key attributes, update targets and sources, condition attributes, explicit ReturnValues', () => {
    const [check] = deriveChecks(
      'UpdateItem',
      {
        TableName: 'Pooled',
        Key: { tenant: { S: 'acme' }, sk: { S: 's' } },
        UpdateExpression: 'SET #c = if_not_exists(#c, :z) + :one, notes[0] = :n REMOVE #old.#inner',
        ConditionExpression: 'attribute_exists(tenant)',
        ExpressionAttributeNames: { '#c': 'count', '#old': 'legacy', '#inner': 'x' },
        ReturnValues: 'ALL_NEW',
      },
      env,
    );
    expect(check!.context['dynamodb:LeadingKeys']).toEqual(['acme']);
    expect(check!.context['dynamodb:Attributes']).toEqual(['tenant', 'sk', 'count', 'notes', 'legacy']);
    expect(check!.context['dynamodb:ReturnValues']).toBe('ALL_NEW');
    expect(check!.context['dynamodb:Select']).toBeUndefined();
  });

  it('UpdateItem with legacy AttributeUpdates and Expected', () => {
    const [check] = deriveChecks(
      'UpdateItem',
      {
        TableName: 'Counters',
        Key: { id: { N: '42' } },
        AttributeUpdates: { hits: { Action: 'ADD', Value: { N: '1' } } },
        Expected: { state: { Value: { S: 'open' } } },
      },
      env,
    );
    expect(check!.context['dynamodb:LeadingKeys']).toEqual(['42']);
    expect(check!.context['dynamodb:Attributes']).toEqual(['id', 'hits', 'state']);
  });

  it('DeleteItem: leading key and key attributes', () => {
    const [check] = deriveChecks('DeleteItem', { TableName: 'Pooled', Key: { tenant: { S: 'b' }, sk: { S: 'x' } }, ReturnValues: 'ALL_OLD' }, env);
    expect(check!.action).toBe('dynamodb:DeleteItem');
    expect(check!.context).toMatchObject({ 'dynamodb:LeadingKeys': ['b'], 'dynamodb:Attributes': ['tenant', 'sk'], 'dynamodb:ReturnValues': 'ALL_OLD' });
  });

  it('leaves LeadingKeys out when the table (and so its key schema) is unknown', () => {
    const [check] = deriveChecks('GetItem', { TableName: 'Nope', Key: { id: { S: 'x' } } }, env);
    expect(check!.context['dynamodb:LeadingKeys']).toBeUndefined();
    expect(check!.context['dynamodb:Attributes']).toEqual(['id']);
    expect(check!.resource).toBe('arn:aws:dynamodb:eu-central-1:123456789012:table/Nope');
  });
});

describe('deriveChecks: Query and Scan', () => {
  it("the second seed's Query: leading key from :sub, projection and key condition attributes", () => {
    const [check] = deriveChecks(
      'Query',
      {
        TableName: 'AgentsTable',
        KeyConditionExpression: 'userId = :sub',
        ExpressionAttributeValues: { ':sub': { S: 'COGNITO_ID_1' } },
        ProjectionExpression: 'userId,fieldName,isOnAssignment',
      },
      env,
    );
    expect(check).toEqual({
      action: 'dynamodb:Query',
      resource: ARN,
      table: 'AgentsTable',
      context: {
        'dynamodb:LeadingKeys': ['COGNITO_ID_1'],
        'dynamodb:Attributes': ['userId', 'fieldName', 'isOnAssignment'],
        'dynamodb:Select': 'SPECIFIC_ATTRIBUTES',
        'dynamodb:ReturnConsumedCapacity': 'NONE',
      },
    });
  });

  it('#names, begins_with on the sort key and a filter on a reserved word', () => {
    const [check] = deriveChecks(
      'Query',
      {
        TableName: 'Pooled',
        KeyConditionExpression: '#pk = :t AND begins_with(#sk, :prefix)',
        FilterExpression: '#status = :open',
        ExpressionAttributeNames: { '#pk': 'tenant', '#sk': 'sk', '#status': 'status' },
        ExpressionAttributeValues: { ':t': { S: 'acme' }, ':prefix': { S: 'order#' }, ':open': { S: 'open' } },
      },
      env,
    );
    expect(check!.context['dynamodb:LeadingKeys']).toEqual(['acme']);
    expect(check!.context['dynamodb:Attributes']).toEqual(['tenant', 'sk', 'status']);
    expect(check!.context['dynamodb:Select']).toBe('ALL_ATTRIBUTES');
  });

  it('a sort-key value equal to another tenant is not a leading key', () => {
    const [check] = deriveChecks(
      'Query',
      {
        TableName: 'Pooled',
        KeyConditionExpression: 'sk = :other AND tenant = :mine',
        ExpressionAttributeValues: { ':other': { S: 'globex' }, ':mine': { S: 'acme' } },
      },
      env,
    );
    expect(check!.context['dynamodb:LeadingKeys']).toEqual(['acme']);
  });

  it('an index query uses the index ARN, its partition key and ALL_PROJECTED_ATTRIBUTES by default', () => {
    const [check] = deriveChecks(
      'Query',
      {
        TableName: 'AgentsTable',
        IndexName: 'ByAssignment',
        KeyConditionExpression: 'isOnAssignment = :yes',
        ExpressionAttributeValues: { ':yes': { S: 'yes' } },
      },
      env,
    );
    expect(check!.resource).toBe(`${ARN}/index/ByAssignment`);
    expect(check!.context['dynamodb:LeadingKeys']).toEqual(['yes']);
    expect(check!.context['dynamodb:Select']).toBe('ALL_PROJECTED_ATTRIBUTES');
  });

  it('legacy KeyConditions EQ on the partition key', () => {
    const [check] = deriveChecks(
      'Query',
      {
        TableName: 'Pooled',
        KeyConditions: {
          tenant: { ComparisonOperator: 'EQ', AttributeValueList: [{ S: 'acme' }] },
          sk: { ComparisonOperator: 'BEGINS_WITH', AttributeValueList: [{ S: 'o' }] },
        },
        Select: 'COUNT',
      },
      env,
    );
    expect(check!.context).toMatchObject({ 'dynamodb:LeadingKeys': ['acme'], 'dynamodb:Attributes': ['tenant', 'sk'], 'dynamodb:Select': 'COUNT' });
  });

  it('a number partition key is compared as its digits', () => {
    const [check] = deriveChecks('Query', { TableName: 'Counters', KeyConditionExpression: 'id = :n', ExpressionAttributeValues: { ':n': { N: '7' } } }, env);
    expect(check!.context['dynamodb:LeadingKeys']).toEqual(['7']);
  });

  it('Scan has no leading keys at all; attributes only from projection and filter', () => {
    const [plain] = deriveChecks('Scan', { TableName: 'Pooled' }, env);
    expect(plain!.context).toEqual({ 'dynamodb:Select': 'ALL_ATTRIBUTES', 'dynamodb:ReturnConsumedCapacity': 'NONE' });
    const [filtered] = deriveChecks(
      'Scan',
      { TableName: 'Pooled', ProjectionExpression: 'a.b', FilterExpression: 'c > :x', ExpressionAttributeValues: { ':x': { N: '1' } } },
      env,
    );
    expect(filtered!.context).toEqual({
      'dynamodb:Attributes': ['a', 'c'],
      'dynamodb:Select': 'SPECIFIC_ATTRIBUTES',
      'dynamodb:ReturnConsumedCapacity': 'NONE',
    });
  });
});

describe('deriveChecks: batches and control plane', () => {
  it('BatchGetItem: one check per table, with every key of that table', () => {
    const checks = deriveChecks(
      'BatchGetItem',
      {
        RequestItems: {
          Pooled: {
            Keys: [
              { tenant: { S: 'acme' }, sk: { S: '1' } },
              { tenant: { S: 'globex' }, sk: { S: '2' } },
            ],
            ProjectionExpression: 'sk, total',
          },
          AgentsTable: { Keys: [{ userId: { S: 'u1' }, fieldName: { S: 'f' } }] },
        },
      },
      env,
    );
    expect(checks.map((c) => [c.action, c.table, c.context['dynamodb:LeadingKeys'], c.context['dynamodb:Attributes'], c.context['dynamodb:Select']])).toEqual([
      ['dynamodb:BatchGetItem', 'Pooled', ['acme', 'globex'], ['tenant', 'sk', 'total'], 'SPECIFIC_ATTRIBUTES'],
      ['dynamodb:BatchGetItem', 'AgentsTable', ['u1'], ['userId', 'fieldName'], 'ALL_ATTRIBUTES'],
    ]);
  });

  it('BatchWriteItem: puts and deletes of a table share one check', () => {
    const [check] = deriveChecks(
      'BatchWriteItem',
      {
        RequestItems: {
          Pooled: [
            { PutRequest: { Item: { tenant: { S: 'acme' }, sk: { S: '1' }, body: { S: 'x' } } } },
            { DeleteRequest: { Key: { tenant: { S: 'globex' }, sk: { S: '2' } } } },
          ],
        },
      },
      env,
    );
    expect(check!.action).toBe('dynamodb:BatchWriteItem');
    expect(check!.context['dynamodb:LeadingKeys']).toEqual(['acme', 'globex']);
    expect(check!.context['dynamodb:Attributes']).toEqual(['tenant', 'sk', 'body']);
  });

  it('table operations carry no data keys; ListTables is on table/*', () => {
    expect(deriveChecks('CreateTable', { TableName: 'New' }, env)).toEqual([
      { action: 'dynamodb:CreateTable', resource: 'arn:aws:dynamodb:eu-central-1:123456789012:table/New', table: 'New', context: {} },
    ]);
    expect(deriveChecks('ListTables', {}, env)[0]!.resource).toBe('arn:aws:dynamodb:eu-central-1:123456789012:table/*');
    expect(deriveChecks('TagResource', { ResourceArn: ARN }, env)[0]).toMatchObject({ resource: ARN, table: 'AgentsTable' });
  });

  it('key values and ARNs', () => {
    expect(keyValueString({ S: 'a' })).toBe('a');
    expect(keyValueString({ N: '1.5' })).toBe('1.5');
    expect(keyValueString({ B: 'AAE=' })).toBe('AAE=');
    expect(keyValueString({ B: new Uint8Array([0, 1]) })).toBe('AAE=');
    expect(keyValueString({ BOOL: true })).toBeUndefined();
    expect(tableArn(env, 'T', 'I')).toBe('arn:aws:dynamodb:eu-central-1:123456789012:table/T/index/I');
  });
});
