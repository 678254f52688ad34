// Independent reference for the DynamoDB sandbox's enforcement: every decision it makes in a run of
// transactions, PartiQL and index queries (allowed and denied, per item) is re-evaluated with
// @cloud-copilot/iam-simulate, which must reach the same decision with the same request context.
// iam-simulate also refuses context keys AWS does not list for the action (Service Authorization
// Reference), so a key the sandbox invents for an action would fail here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyDocument } from '../../../src/policy/types.js';
import type { JsonService } from '../../../src/sandbox/contract.js';
import { createDynamoService } from '../../../src/sandbox/dynamodb/index.js';
import type { EnforcementDecision } from '../../../src/sandbox/dynamodb/authorize.js';
import { simulate } from '../../policy/helpers.js';
import { ACCOUNT, ADMIN, FakeContext, REGION, session } from './fake-context.js';

const ARN = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/Pooled`;
const ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:PartiQLSelect',
  'dynamodb:PartiQLInsert',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PartiQLDelete',
];
const POLICY: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: ACTIONS,
      Resource: [ARN, `${ARN}/index/*`],
      Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['${aws:PrincipalTag/tenant}'] }, Null: { 'dynamodb:LeadingKeys': 'false' } },
    },
    { Effect: 'Deny', Action: 'dynamodb:PartiQLSelect', Resource: '*', Condition: { Bool: { 'dynamodb:FullTableScan': 'true' } } },
  ],
};

describe('DynamoDB sandbox decisions agree with iam-simulate', () => {
  const ctx = new FakeContext();
  const decisions: EnforcementDecision[] = [];
  let ddb: JsonService;
  const acme = session('tenant-role', { tenant: 'acme' });
  const k = (t: string, sk: string) => ({ tenant: { S: t }, sk: { S: sk } });

  beforeAll(async () => {
    ctx.addRole({ name: 'tenant-role', inlinePolicies: { data: POLICY } });
    ddb = await createDynamoService(ctx, { dataDir: undefined, tableCreatingMs: 0, onDecision: (d) => decisions.push(d) });
    await ddb.handle(
      'CreateTable',
      {
        TableName: 'Pooled',
        AttributeDefinitions: ['tenant', 'sk', 'status'].map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
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

  it('re-evaluates every decision of a mixed run', async () => {
    const calls: Array<[string, Record<string, unknown>]> = [
      [
        'TransactWriteItems',
        {
          TransactItems: [
            { Put: { TableName: 'Pooled', Item: { ...k('acme', 'a'), status: { S: 'acme' } } } },
            { ConditionCheck: { TableName: 'Pooled', Key: k('acme', 'b'), ConditionExpression: 'attribute_not_exists(sk)' } },
          ],
        },
      ],
      [
        'TransactWriteItems',
        {
          TransactItems: [
            { Update: { TableName: 'Pooled', Key: k('acme', 'a'), UpdateExpression: 'SET n = :n', ExpressionAttributeValues: { ':n': { N: '1' } } } },
            { Delete: { TableName: 'Pooled', Key: k('globex', 'x') } },
          ],
        },
      ],
      ['TransactGetItems', { TransactItems: [{ Get: { TableName: 'Pooled', Key: k('acme', 'a'), ProjectionExpression: 'n' } }] }],
      ['TransactGetItems', { TransactItems: [{ Get: { TableName: 'Pooled', Key: k('globex', 'a') } }] }],
      ['PutItem', { TableName: 'Pooled', Item: k('acme', 'c'), ConditionExpression: 'attribute_exists(sk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }],
      ['ExecuteStatement', { Statement: `SELECT n FROM "Pooled" WHERE tenant = 'acme'` }],
      ['ExecuteStatement', { Statement: `SELECT * FROM "Pooled"` }],
      ['ExecuteStatement', { Statement: `INSERT INTO "Pooled" VALUE {'tenant': 'globex', 'sk': 'z'}` }],
      ['ExecuteStatement', { Statement: `UPDATE "Pooled" SET n = 2 WHERE tenant = 'acme' AND sk = 'a'` }],
      ['ExecuteStatement', { Statement: `DELETE FROM "Pooled" WHERE tenant = 'acme' AND sk = 'c'` }],
      ['ExecuteStatement', { Statement: `SELECT * FROM "Pooled"."ByStatus" WHERE status = 'acme'` }],
      [
        'Query',
        {
          TableName: 'Pooled',
          IndexName: 'ByStatus',
          KeyConditionExpression: '#s = :v',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':v': { S: 'globex' } },
        },
      ],
      ['Scan', { TableName: 'Pooled', IndexName: 'ByStatus' }],
    ];
    for (const [op, input] of calls) await ddb.handle(op, input, acme).catch(() => undefined);
    const outcomes = new Set(decisions.map((d) => d.decision));
    expect(outcomes).toEqual(new Set(['Allow', 'ImplicitDeny', 'ExplicitDeny']));
    const disagreements: string[] = [];
    for (const d of decisions) {
      const theirs = await simulate(d.request, d.principal);
      if (theirs !== d.decision) disagreements.push(`${d.request.action} ${JSON.stringify(d.request.context)}: sandbox=${d.decision} iam-simulate=${theirs}`);
    }
    expect(disagreements).toEqual([]);
    expect(decisions.length).toBeGreaterThanOrEqual(14);
  }, 60_000);
});
