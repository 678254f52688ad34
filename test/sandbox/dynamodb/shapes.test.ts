// Independent reference for the DynamoDB sandbox's response shapes: every output of a run over
// all served operations (and the extra members of its modelled errors) is walked against
// botocore's service-2.json output shape: no unknown members, required members present, the
// right JSON types, enum values in range.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxError, type JsonService } from '../../../src/sandbox/contract.js';
import { createDynamoService } from '../../../src/sandbox/dynamodb/index.js';
import { checkJson as check, loadModel } from '../../helpers/botocore-shapes.js';
import { ADMIN, FakeContext } from './fake-context.js';

describe("DynamoDB sandbox responses against botocore's model", () => {
  const model = loadModel('dynamodb');
  let ddb: JsonService;
  const problems: string[] = [];
  const seen = new Set<string>();
  const call = async (op: string, input: Record<string, unknown>): Promise<void> => {
    try {
      const out = JSON.parse(JSON.stringify(await ddb.handle(op, input, ADMIN))) as unknown;
      const shape = model.operations[op]?.output?.shape;
      if (!shape) {
        if (JSON.stringify(out) !== '{}') problems.push(`${op}: the model has no output, the sandbox answered ${JSON.stringify(out)}`);
      } else check(model, shape, out, op, problems);
      seen.add(op);
    } catch (err) {
      if (!(err instanceof SandboxError)) throw err;
      // A modelled error's extra members must be members of its shape.
      const errShape = model.shapes[err.code];
      if (!errShape) problems.push(`${op}: error ${err.code} is not in the model (${err.message})`);
      else {
        // The message member is "message" or "Message" depending on the error's shape.
        const messageMember = errShape.members?.Message ? 'Message' : 'message';
        check(model, err.code, { [messageMember]: err.message, ...err.details }, `${op}!${err.code}`, problems);
      }
      seen.add(`${op}!${err.code}`);
    }
  };

  beforeAll(async () => {
    ddb = await createDynamoService(new FakeContext(), { dataDir: undefined, tableCreatingMs: 0 });
  });
  afterAll(async () => {
    await ddb.close?.();
  });

  it('every response and modelled error of a run over the served operations fits its shape', async () => {
    const key = (sk: string) => ({ pk: { S: 'p' }, sk: { S: sk } });
    await call('CreateTable', {
      TableName: 'Shapes',
      AttributeDefinitions: ['pk', 'sk', 'g'].map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [{ IndexName: 'Gsi', KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } }],
      BillingMode: 'PAY_PER_REQUEST',
      Tags: [{ Key: 'k', Value: 'v' }],
    });
    await call('DescribeTable', { TableName: 'Shapes' });
    await call('ListTables', {});
    await call('PutItem', {
      TableName: 'Shapes',
      Item: { ...key('a'), g: { S: 'x' }, n: { N: '1' }, l: { L: [{ BOOL: true }, { NULL: true }] }, b: { B: 'AAE=' } },
      ReturnValues: 'ALL_OLD',
    });
    await call('PutItem', { TableName: 'Shapes', Item: key('a'), ReturnValues: 'ALL_OLD', ReturnConsumedCapacity: 'TOTAL' });
    await call('GetItem', { TableName: 'Shapes', Key: key('a'), ReturnConsumedCapacity: 'TOTAL' });
    await call('UpdateItem', {
      TableName: 'Shapes',
      Key: key('a'),
      UpdateExpression: 'SET n = :n',
      ExpressionAttributeValues: { ':n': { N: '2' } },
      ReturnValues: 'ALL_NEW',
    });
    await call('UpdateItem', {
      TableName: 'Shapes',
      Key: key('a'),
      UpdateExpression: 'SET n = :n',
      ConditionExpression: 'n = :z',
      ExpressionAttributeValues: { ':n': { N: '3' }, ':z': { N: '0' } },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    await call('Query', { TableName: 'Shapes', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'p' } }, Limit: 1 });
    await call('Scan', { TableName: 'Shapes', IndexName: 'Gsi', Select: 'COUNT' });
    await call('BatchWriteItem', { RequestItems: { Shapes: [{ PutRequest: { Item: key('b') } }, { DeleteRequest: { Key: key('zz') } }] } });
    await call('BatchGetItem', { RequestItems: { Shapes: { Keys: [key('a'), key('b')] } } });
    await call('TransactWriteItems', {
      TransactItems: [
        { Put: { TableName: 'Shapes', Item: key('c') } },
        { ConditionCheck: { TableName: 'Shapes', Key: key('a'), ConditionExpression: 'attribute_exists(n)' } },
      ],
    });
    await call('TransactWriteItems', {
      TransactItems: [
        { Delete: { TableName: 'Shapes', Key: key('c'), ConditionExpression: 'attribute_exists(nope)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } },
      ],
    });
    await call('TransactGetItems', { TransactItems: [{ Get: { TableName: 'Shapes', Key: key('c') } }, { Get: { TableName: 'Shapes', Key: key('none') } }] });
    await call('ExecuteStatement', { Statement: `SELECT * FROM "Shapes" WHERE pk = 'p'` });
    await call('ExecuteStatement', { Statement: `INSERT INTO "Shapes" VALUE {'pk': 'p', 'sk': 'c'}` });
    await call('BatchExecuteStatement', {
      Statements: [{ Statement: `SELECT * FROM "Shapes" WHERE pk = 'p' AND sk = 'a'` }, { Statement: `INSERT INTO "Shapes" VALUE {'pk': 'p', 'sk': 'a'}` }],
    });
    await call('ExecuteTransaction', { TransactStatements: [{ Statement: `SELECT * FROM "Shapes" WHERE pk = 'p' AND sk = 'a'` }] });
    await call('UpdateTimeToLive', { TableName: 'Shapes', TimeToLiveSpecification: { Enabled: true, AttributeName: 'ttl' } });
    await call('DescribeTimeToLive', { TableName: 'Shapes' });
    const arn = `arn:aws:dynamodb:eu-central-1:123456789012:table/Shapes`;
    await call('TagResource', { ResourceArn: arn, Tags: [{ Key: 'k2', Value: 'v2' }] });
    await call('ListTagsOfResource', { ResourceArn: arn });
    await call('UntagResource', { ResourceArn: arn, TagKeys: ['k2'] });
    await call('DeleteItem', { TableName: 'Shapes', Key: key('a'), ReturnValues: 'ALL_OLD' });
    await call('DeleteTable', { TableName: 'Shapes' });
    expect(problems).toEqual([]);
    // The run did reach the outcomes it is meant to check.
    for (const op of [
      'UpdateItem!ConditionalCheckFailedException',
      'TransactWriteItems!TransactionCanceledException',
      'ExecuteStatement!DuplicateItemException',
      'BatchExecuteStatement',
      'ExecuteTransaction',
    ])
      expect(seen.has(op), op).toBe(true);
  });
});
