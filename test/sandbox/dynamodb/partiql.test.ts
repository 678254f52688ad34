// PartiQL on the sandbox: the single-item subset it serves, AWS's errors for the rest, and
// authorisation as dynamodb:PartiQLSelect/Insert/Update/Delete with the keys AWS lists for them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyDocument } from '../../../src/policy/types.js';
import { SandboxError, type JsonService } from '../../../src/sandbox/contract.js';
import { createDynamoService } from '../../../src/sandbox/dynamodb/index.js';
import type { EnforcementDecision } from '../../../src/sandbox/dynamodb/authorize.js';
import { parsePartiQL } from '../../../src/policy/dynamodb/partiql.js';
import { ACCOUNT, ADMIN, FakeContext, REGION, session } from './fake-context.js';

const ARN = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/Pooled`;

const POLICY: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: ['dynamodb:PartiQLSelect', 'dynamodb:PartiQLInsert', 'dynamodb:PartiQLUpdate', 'dynamodb:PartiQLDelete'],
      Resource: ARN,
      Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['acme'] }, Null: { 'dynamodb:LeadingKeys': 'false' } },
    },
  ],
};

async function failure(p: Promise<unknown>): Promise<SandboxError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof SandboxError) return err;
    throw err;
  }
  throw new Error('expected the call to be refused');
}

describe('PartiQL', () => {
  const ctx = new FakeContext();
  const decisions: EnforcementDecision[] = [];
  let ddb: JsonService;
  const acme = session('acme');
  const run = (caller: typeof ADMIN, Statement: string, Parameters?: unknown[], extra: Record<string, unknown> = {}) =>
    ddb.handle('ExecuteStatement', { Statement, ...(Parameters ? { Parameters } : {}), ...extra }, caller) as Promise<Record<string, any>>;

  beforeAll(async () => {
    ctx.addRole({ name: 'acme', inlinePolicies: { data: POLICY } });
    ddb = await createDynamoService(ctx, { dataDir: undefined, tableCreatingMs: 0, onDecision: (d) => decisions.push(d) });
    await ddb.handle(
      'CreateTable',
      {
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
      },
      ADMIN,
    );
    await run(ADMIN, `INSERT INTO "Pooled" VALUE {'tenant': 'globex', 'sk': 'doc', 'body': 'globex secret'}`);
  });
  afterAll(async () => {
    await ddb.close?.();
  });

  it('INSERT, SELECT by key, UPDATE, DELETE on one item', async () => {
    await run(acme, `INSERT INTO "Pooled" VALUE {'tenant': ?, 'sk': 'a', 'n': 1, 'tags': ['x'], 'm': {'k': true}}`, [{ S: 'acme' }]);
    expect(await run(acme, `SELECT * FROM "Pooled" WHERE tenant = 'acme' AND sk = 'a'`)).toEqual({
      Items: [{ tenant: { S: 'acme' }, sk: { S: 'a' }, n: { N: '1' }, tags: { L: [{ S: 'x' }] }, m: { M: { k: { BOOL: true } } } }],
    });
    await run(acme, `UPDATE "Pooled" SET n = 2 SET note = ? REMOVE tags WHERE tenant = 'acme' AND sk = 'a'`, [{ S: 'hi' }]);
    expect((await run(acme, `SELECT n, note, tags FROM "Pooled" WHERE tenant = ? AND sk = ?`, [{ S: 'acme' }, { S: 'a' }])).Items).toEqual([
      { n: { N: '2' }, note: { S: 'hi' } },
    ]);
    expect((await run(acme, `SELECT sk FROM "Pooled" WHERE tenant = 'acme'`)).Items).toEqual([{ sk: { S: 'a' } }]);
    await run(acme, `DELETE FROM "Pooled" WHERE tenant = 'acme' AND sk = 'a'`);
    expect((await run(acme, `SELECT * FROM "Pooled" WHERE tenant = 'acme' AND sk = 'a'`)).Items).toEqual([]);
  });

  it("AWS's errors: duplicate INSERT, UPDATE of a missing item, a partial key, unsupported syntax", async () => {
    await run(ADMIN, `INSERT INTO "Pooled" VALUE {'tenant': 'acme', 'sk': 'dup'}`);
    const dup = await failure(run(ADMIN, `INSERT INTO "Pooled" VALUE {'tenant': 'acme', 'sk': 'dup'}`));
    expect([dup.code, dup.message]).toEqual(['DuplicateItemException', 'Duplicate primary key exists in table']);
    const missing = await failure(run(ADMIN, `UPDATE "Pooled" SET n = 1 WHERE tenant = 'acme' AND sk = 'nope'`));
    expect(missing.code).toBe('ConditionalCheckFailedException');
    const partial = await failure(run(ADMIN, `DELETE FROM "Pooled" WHERE tenant = 'acme'`));
    expect([partial.code, partial.message]).toEqual(['ValidationException', 'Where clause does not contain a mandatory equality on all key attributes']);
    for (const stmt of [
      `SELECT * FROM "Pooled" WHERE tenant = 'a' OR sk = 'b'`,
      `SELECT * FROM "Pooled" WHERE n > 1`,
      'EXISTS(SELECT 1)',
      `SELECT * FROM "Pooled" WHERE m.k = 1`,
    ]) {
      expect((await failure(run(ADMIN, stmt))).code, stmt).toBe('ValidationException');
    }
    expect((await failure(run(ADMIN, `SELECT * FROM "Pooled" WHERE tenant = ?`, []))).message).toBe(
      "Number of parameters in request and statement don't match.",
    );
  });

  it('ReturnValuesOnConditionCheckFailure = ALL_OLD on a failed UPDATE returns the old item', async () => {
    await run(ADMIN, `INSERT INTO "Pooled" VALUE {'tenant': 'acme', 'sk': 'c', 'secret': 's'}`);
    const err = await failure(
      run(ADMIN, `UPDATE "Pooled" SET n = 1 WHERE tenant = 'acme' AND sk = 'c' AND secret = 'other'`, undefined, {
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    expect([err.code, err.details]).toEqual(['ConditionalCheckFailedException', { Item: { tenant: { S: 'acme' }, sk: { S: 'c' }, secret: { S: 's' } } }]);
  });

  it('is authorised as dynamodb:PartiQL* with LeadingKeys, Attributes, FullTableScan and Select', async () => {
    decisions.length = 0;
    await run(acme, `SELECT sk FROM "Pooled" WHERE tenant = 'acme'`);
    expect(decisions[0]!.request.action).toBe('dynamodb:PartiQLSelect');
    expect(decisions[0]!.request.context).toMatchObject({
      'dynamodb:LeadingKeys': ['acme'],
      'dynamodb:Attributes': ['sk', 'tenant'],
      'dynamodb:FullTableScan': false,
      'dynamodb:Select': 'SPECIFIC_ATTRIBUTES',
    });
    // Another tenant's partition, and a full scan (no LeadingKeys), are denied.
    const other = await failure(run(acme, `SELECT * FROM "Pooled" WHERE tenant = 'globex' AND sk = 'doc'`));
    expect(other.message).toContain('dynamodb:PartiQLSelect on resource: ' + ARN);
    decisions.length = 0;
    expect((await failure(run(acme, `SELECT * FROM "Pooled"`))).code).toBe('AccessDeniedException');
    expect(decisions[0]!.request.context['dynamodb:FullTableScan']).toBe(true);
    expect('dynamodb:LeadingKeys' in decisions[0]!.request.context).toBe(false);
    const write = await failure(run(acme, `UPDATE "Pooled" SET body = 'mine' WHERE tenant = 'globex' AND sk = 'doc'`));
    expect(write.message).toContain('dynamodb:PartiQLUpdate');
  });

  it('BatchExecuteStatement answers per statement; ExecuteTransaction is all-or-nothing with EnclosingOperation', async () => {
    const batch = (await ddb.handle(
      'BatchExecuteStatement',
      {
        Statements: [
          { Statement: `INSERT INTO "Pooled" VALUE {'tenant': 'acme', 'sk': 'b1'}` },
          { Statement: `INSERT INTO "Pooled" VALUE {'tenant': 'acme', 'sk': 'dup'}` },
          { Statement: `SELECT * FROM "Pooled" WHERE tenant = 'acme' AND sk = 'b1'` },
        ],
      },
      acme,
    )) as Record<string, any>;
    expect(batch.Responses).toEqual([
      { TableName: 'Pooled' },
      { TableName: 'Pooled', Error: { Code: 'DuplicateItem', Message: 'Duplicate primary key exists in table' } },
      { TableName: 'Pooled', Item: { tenant: { S: 'acme' }, sk: { S: 'b1' } } },
    ]);
    decisions.length = 0;
    const err = await failure(
      ddb.handle(
        'ExecuteTransaction',
        {
          TransactStatements: [
            { Statement: `INSERT INTO "Pooled" VALUE {'tenant': 'acme', 'sk': 't1'}` },
            { Statement: `UPDATE "Pooled" SET n = 1 WHERE tenant = 'acme' AND sk = 'missing'` },
          ],
        },
        acme,
      ),
    );
    expect(err.code).toBe('TransactionCanceledException');
    expect(decisions.map((d) => [d.request.action, d.request.context['dynamodb:EnclosingOperation']])).toEqual([
      ['dynamodb:PartiQLInsert', 'ExecuteTransaction'],
      ['dynamodb:PartiQLUpdate', 'ExecuteTransaction'],
    ]);
    expect((await run(ADMIN, `SELECT * FROM "Pooled" WHERE tenant = 'acme' AND sk = 't1'`)).Items).toEqual([]);
  });

  it('the reader keeps quoted names, escapes and numbers', () => {
    expect(parsePartiQL(`select "a""b", c from "T"."I" where "x" = 'it''s' and y = -1.5e3`)).toEqual({
      kind: 'select',
      table: 'T',
      index: 'I',
      projection: ['a"b', 'c'],
      where: [
        { attribute: 'x', value: { S: "it's" } },
        { attribute: 'y', value: { N: '-1.5e3' } },
      ],
    });
  });
});
