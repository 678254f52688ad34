// TransactWriteItems / TransactGetItems and ReturnValuesOnConditionCheckFailure on the sandbox:
// all-or-nothing, AWS's error shapes, and authorisation per item as the per-item actions
// (PutItem/UpdateItem/DeleteItem/GetItem with dynamodb:EnclosingOperation, ConditionCheckItem).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyDocument } from '../../../src/policy/types.js';
import { SandboxError, type JsonService } from '../../../src/sandbox/contract.js';
import { createDynamoService } from '../../../src/sandbox/dynamodb/index.js';
import type { EnforcementDecision } from '../../../src/sandbox/dynamodb/authorize.js';
import { ACCOUNT, ADMIN, FakeContext, REGION, session } from './fake-context.js';

const ARN = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/Pooled`;

function tenantPolicy(tenant: string, actions: string[]): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: actions,
        Resource: ARN,
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [tenant] }, Null: { 'dynamodb:LeadingKeys': 'false' } },
      },
    ],
  };
}

async function failure(p: Promise<unknown>): Promise<SandboxError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof SandboxError) return err;
    throw err;
  }
  throw new Error('expected the call to be refused');
}

const item = (tenant: string, sk: string, extra: Record<string, unknown> = {}) => ({ tenant: { S: tenant }, sk: { S: sk }, ...extra });

describe('DynamoDB transactions', () => {
  const ctx = new FakeContext();
  const decisions: EnforcementDecision[] = [];
  let ddb: JsonService;
  const call = (caller: typeof ADMIN, op: string, input: Record<string, unknown>) => ddb.handle(op, input, caller) as Promise<Record<string, any>>;
  const get = async (tenant: string, sk: string) => (await call(ADMIN, 'GetItem', { TableName: 'Pooled', Key: item(tenant, sk) })).Item;
  const acme = session('acme');
  const acmeNoCheck = session('acme-nocheck');

  beforeAll(async () => {
    ctx.addRole({
      name: 'acme',
      inlinePolicies: {
        data: tenantPolicy('acme', ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem']),
      },
    });
    ctx.addRole({
      name: 'acme-nocheck',
      inlinePolicies: { data: tenantPolicy('acme', ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']) },
    });
    ddb = await createDynamoService(ctx, { dataDir: undefined, tableCreatingMs: 0, onDecision: (d) => decisions.push(d) });
    await call(ADMIN, 'CreateTable', {
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
    });
    await call(ADMIN, 'PutItem', { TableName: 'Pooled', Item: item('acme', 'counter', { n: { N: '1' }, secret: { S: 'hidden' } }) });
    await call(ADMIN, 'PutItem', { TableName: 'Pooled', Item: item('globex', 'doc', { body: { S: 'globex secret' } }) });
  });
  afterAll(async () => {
    await ddb.close?.();
  });

  it('applies Put, Update, Delete and a passing ConditionCheck together', async () => {
    await call(ADMIN, 'PutItem', { TableName: 'Pooled', Item: item('acme', 'old') });
    const out = await call(acme, 'TransactWriteItems', {
      TransactItems: [
        { Put: { TableName: 'Pooled', Item: item('acme', 'new', { v: { S: 'x' } }), ConditionExpression: 'attribute_not_exists(sk)' } },
        {
          Update: {
            TableName: 'Pooled',
            Key: item('acme', 'counter'),
            UpdateExpression: 'SET n = n + :one',
            ExpressionAttributeValues: { ':one': { N: '1' } },
          },
        },
        { Delete: { TableName: 'Pooled', Key: item('acme', 'old') } },
        { ConditionCheck: { TableName: 'Pooled', Key: item('acme', 'counter'), ConditionExpression: 'attribute_exists(n)' } },
      ],
    }).catch((e: unknown) => e);
    // Two items on one key (counter: Update and ConditionCheck) is AWS's ValidationException.
    expect((out as SandboxError).code).toBe('ValidationException');
    expect((out as SandboxError).message).toBe('Transaction request cannot include multiple operations on one item');
    expect(await get('acme', 'new')).toBeUndefined();

    decisions.length = 0;
    await call(acme, 'TransactWriteItems', {
      TransactItems: [
        { Put: { TableName: 'Pooled', Item: item('acme', 'new', { v: { S: 'x' } }), ConditionExpression: 'attribute_not_exists(sk)' } },
        {
          Update: {
            TableName: 'Pooled',
            Key: item('acme', 'counter'),
            UpdateExpression: 'SET n = n + :one',
            ExpressionAttributeValues: { ':one': { N: '1' } },
          },
        },
        { Delete: { TableName: 'Pooled', Key: item('acme', 'old') } },
        { ConditionCheck: { TableName: 'Pooled', Key: item('acme', 'flag'), ConditionExpression: 'attribute_not_exists(sk)' } },
      ],
    });
    expect(await get('acme', 'new')).toEqual(item('acme', 'new', { v: { S: 'x' } }));
    expect((await get('acme', 'counter')).n).toEqual({ N: '2' });
    expect(await get('acme', 'old')).toBeUndefined();
    expect(
      decisions.map((d) => [d.request.action, d.request.context['dynamodb:EnclosingOperation'], d.request.context['dynamodb:LeadingKeys'], d.decision]),
    ).toEqual([
      ['dynamodb:PutItem', 'TransactWriteItems', ['acme'], 'Allow'],
      ['dynamodb:UpdateItem', 'TransactWriteItems', ['acme'], 'Allow'],
      ['dynamodb:DeleteItem', 'TransactWriteItems', ['acme'], 'Allow'],
      ['dynamodb:ConditionCheckItem', undefined, ['acme'], 'Allow'],
    ]);
  });

  it('a failed condition cancels everything, with CancellationReasons and (ALL_OLD) the old item', async () => {
    const err = await failure(
      call(acme, 'TransactWriteItems', {
        TransactItems: [
          { Put: { TableName: 'Pooled', Item: item('acme', 'never') } },
          {
            Update: {
              TableName: 'Pooled',
              Key: item('acme', 'counter'),
              UpdateExpression: 'SET n = :z',
              ConditionExpression: 'n = :ten',
              ExpressionAttributeValues: { ':z': { N: '0' }, ':ten': { N: '10' } },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
        ],
      }),
    );
    expect(err.code).toBe('TransactionCanceledException');
    expect(err.message).toBe('Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]');
    expect(err.details).toEqual({
      Message: err.message,
      CancellationReasons: [
        { Code: 'None' },
        {
          Code: 'ConditionalCheckFailed',
          Message: 'The conditional request failed',
          Item: item('acme', 'counter', { n: { N: '2' }, secret: { S: 'hidden' } }),
        },
      ],
    });
    expect(await get('acme', 'never')).toBeUndefined();
    expect((await get('acme', 'counter')).n).toEqual({ N: '2' });
  });

  it('a write that fails after the checks is rolled back with the ones before it', async () => {
    const err = await failure(
      call(ADMIN, 'TransactWriteItems', {
        TransactItems: [
          { Put: { TableName: 'Pooled', Item: item('acme', 'rolled-back') } },
          {
            Update: { TableName: 'Pooled', Key: item('acme', 'new'), UpdateExpression: 'SET v = v + :one', ExpressionAttributeValues: { ':one': { N: '1' } } },
          },
        ],
      }),
    );
    expect(err.code).toBe('ValidationException'); // v is a string: + does not apply
    expect(await get('acme', 'rolled-back')).toBeUndefined();
  });

  it('one item of another tenant denies the whole transaction, as its per-item action', async () => {
    const err = await failure(
      call(acme, 'TransactWriteItems', {
        TransactItems: [{ Put: { TableName: 'Pooled', Item: item('acme', 'mine') } }, { Delete: { TableName: 'Pooled', Key: item('globex', 'doc') } }],
      }),
    );
    expect(err.code).toBe('AccessDeniedException');
    expect(err.message).toContain('is not authorized to perform: dynamodb:DeleteItem on resource: ' + ARN);
    expect(await get('acme', 'mine')).toBeUndefined();
    expect(await get('globex', 'doc')).toBeDefined();
  });

  it('ConditionCheck needs dynamodb:ConditionCheckItem', async () => {
    const err = await failure(
      call(acmeNoCheck, 'TransactWriteItems', {
        TransactItems: [{ ConditionCheck: { TableName: 'Pooled', Key: item('acme', 'counter'), ConditionExpression: 'attribute_exists(n)' } }],
      }),
    );
    expect(err.code).toBe('AccessDeniedException');
    expect(err.message).toContain('dynamodb:ConditionCheckItem');
  });

  it('TransactGetItems reads each item as GetItem (EnclosingOperation TransactGetItems) and denies another tenant', async () => {
    decisions.length = 0;
    const out = await call(acme, 'TransactGetItems', {
      TransactItems: [{ Get: { TableName: 'Pooled', Key: item('acme', 'new') } }, { Get: { TableName: 'Pooled', Key: item('acme', 'none') } }],
    });
    expect(out).toEqual({ Responses: [{ Item: item('acme', 'new', { v: { S: 'x' } }) }, {}] });
    expect(decisions.map((d) => [d.request.action, d.request.context['dynamodb:EnclosingOperation'], d.request.context['dynamodb:Select']])).toEqual([
      ['dynamodb:GetItem', 'TransactGetItems', 'ALL_ATTRIBUTES'],
      ['dynamodb:GetItem', 'TransactGetItems', 'ALL_ATTRIBUTES'],
    ]);
    const err = await failure(call(acme, 'TransactGetItems', { TransactItems: [{ Get: { TableName: 'Pooled', Key: item('globex', 'doc') } }] }));
    expect(err.code).toBe('AccessDeniedException');
  });

  it('ReturnValuesOnConditionCheckFailure = ALL_OLD on PutItem/UpdateItem/DeleteItem returns the whole old item, hidden attributes too', async () => {
    // No condition key governs this parameter (dynamodb:ReturnValues reflects ReturnValues only): the request is allowed with ReturnValues NONE.
    decisions.length = 0;
    for (const [op, extra] of [
      ['PutItem', { Item: item('acme', 'counter', { n: { N: '0' } }) }],
      ['UpdateItem', { Key: item('acme', 'counter'), UpdateExpression: 'SET n = :n', ExpressionAttributeValues: { ':n': { N: '0' } } }],
      ['DeleteItem', { Key: item('acme', 'counter') }],
    ] as const) {
      const values = 'ExpressionAttributeValues' in extra ? extra.ExpressionAttributeValues : {};
      const err = await failure(
        call(acme, op, {
          TableName: 'Pooled',
          ...extra,
          ConditionExpression: 'n = :ten',
          ExpressionAttributeValues: { ...values, ':ten': { N: '10' } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      expect([op, err.code, err.message]).toEqual([op, 'ConditionalCheckFailedException', 'The conditional request failed']);
      expect(err.details).toEqual({ Item: item('acme', 'counter', { n: { N: '2' }, secret: { S: 'hidden' } }) });
    }
    expect(decisions.every((d) => d.request.context['dynamodb:ReturnValues'] === 'NONE')).toBe(true);
    // Without ALL_OLD, no item in the error.
    const plain = await failure(
      call(acme, 'DeleteItem', { TableName: 'Pooled', Key: item('acme', 'counter'), ConditionExpression: 'attribute_not_exists(n)' }),
    );
    expect(plain.details).toBeUndefined();
    const bad = await failure(call(ADMIN, 'DeleteItem', { TableName: 'Pooled', Key: item('acme', 'counter'), ReturnValuesOnConditionCheckFailure: 'SOME' }));
    expect(bad.code).toBe('ValidationException');
  });
});
