// IAM enforcement on the DynamoDB data plane with the real policy evaluator and the seeds'
// policies: tenants' partitions, attribute restrictions, lag, scopes, batch requests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyDocument, PolicyStatement } from '../../../src/policy/types.js';
import { SandboxError, type JsonService } from '../../../src/sandbox/contract.js';
import { createDynamoService } from '../../../src/sandbox/dynamodb/index.js';
import { ACCOUNT, ADMIN, FakeContext, REGION, session } from './fake-context.js';

const POOLED_ARN = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/Pooled`;
const AGENTS_ARN = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/AgentsTable`;
const READ = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem'];
const WRITE = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

const doc = (...Statement: PolicyStatement[]): PolicyDocument => ({ Version: '2012-10-17', Statement });

/** isoctl's pooled-table statement (DESIGN.md): the tenant's leading key, and a leading key must be present. */
function pooledPolicy(tenant: string, actions: string[]): PolicyDocument {
  return doc({
    Sid: 'TenantPartition',
    Effect: 'Allow',
    Action: actions,
    Resource: POOLED_ARN,
    Condition: {
      'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [tenant] },
      Null: { 'dynamodb:LeadingKeys': 'false' },
    },
  });
}

/** The second seed's OfficeAdminRole permissions: items by principal tag, attributes restricted. */
const OFFICE_ADMIN = doc({
  Effect: 'Allow',
  Action: READ,
  Resource: AGENTS_ARN,
  Condition: {
    'ForAllValues:StringEquals': {
      'dynamodb:LeadingKeys': ['${aws:PrincipalTag/userid}'],
      'dynamodb:Attributes': ['userId', 'fieldName', 'isOnAssignment'],
    },
    StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
  },
});

const BOUNDARY = doc({ Effect: 'Allow', Action: 'dynamodb:*', Resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/*` });

function denial(role: string, action: string, resource: string, sessionName = 'CognitoIdentityCredentials'): string {
  return `User: arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${sessionName} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;
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

const acmeRead = session('isoctl-prod-acme-read');
const acmeWrite = session('isoctl-prod-acme-write');
const jane = session('OfficeAdminRole', { userid: 'COGNITO_ID_1' });
const john = session('OfficeAdminRole', { userid: 'COGNITO_ID_2' });

describe('DynamoDB IAM enforcement', () => {
  const ctx = new FakeContext();
  let ddb: JsonService;
  const as = (caller: typeof ADMIN, op: string, input: Record<string, unknown>) => ddb.handle(op, input, caller) as Promise<Record<string, any>>;

  beforeAll(async () => {
    ctx.addRole({ name: 'isoctl-prod-acme-read', inlinePolicies: { data: pooledPolicy('acme', READ) }, boundary: BOUNDARY });
    ctx.addRole({ name: 'isoctl-prod-acme-write', inlinePolicies: { data: pooledPolicy('acme', [...READ, ...WRITE]) }, boundary: BOUNDARY });
    ctx.addRole({ name: 'OfficeAdminRole', inlinePolicies: { agents: OFFICE_ADMIN } });
    ddb = await createDynamoService(ctx, { dataDir: undefined, tableCreatingMs: 0 });
    await as(ADMIN, 'CreateTable', {
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
    await as(ADMIN, 'CreateTable', {
      TableName: 'AgentsTable',
      AttributeDefinitions: [
        { AttributeName: 'userId', AttributeType: 'S' },
        { AttributeName: 'fieldName', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'userId', KeyType: 'HASH' },
        { AttributeName: 'fieldName', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    });
    for (const tenant of ['acme', 'globex']) {
      await as(ADMIN, 'PutItem', { TableName: 'Pooled', Item: { tenant: { S: tenant }, sk: { S: 'doc#1' }, body: { S: `${tenant} secret` } } });
    }
    for (const [user, agent] of [
      ['COGNITO_ID_1', 'bond'],
      ['COGNITO_ID_2', 'smiley'],
    ] as const) {
      await as(ADMIN, 'PutItem', {
        TableName: 'AgentsTable',
        Item: { userId: { S: user }, fieldName: { S: agent }, isOnAssignment: { BOOL: true }, realName: { S: `${agent} (real)` } },
      });
    }
  });
  afterAll(async () => {
    await ddb.close?.();
  });

  describe('pooled table, one partition per tenant', () => {
    it("tenant A's session reads A's partition", async () => {
      const out = await as(acmeRead, 'Query', {
        TableName: 'Pooled',
        KeyConditionExpression: 'tenant = :t',
        ExpressionAttributeValues: { ':t': { S: 'acme' } },
      });
      expect(out.Items).toEqual([{ tenant: { S: 'acme' }, sk: { S: 'doc#1' }, body: { S: 'acme secret' } }]);
      const got = await as(acmeRead, 'GetItem', { TableName: 'Pooled', Key: { tenant: { S: 'acme' }, sk: { S: 'doc#1' } } });
      expect(got.Item.body).toEqual({ S: 'acme secret' });
      expect(ctx.getRoleCalls.at(-1)).toEqual({ nameOrArn: `arn:aws:iam::${ACCOUNT}:role/isoctl-prod-acme-read`, observer: 'dynamodb' });
    });

    it("and is denied B's, with AWS's message", async () => {
      const err = await failure(
        as(acmeRead, 'Query', {
          TableName: 'Pooled',
          KeyConditionExpression: '#p = :t',
          ExpressionAttributeNames: { '#p': 'tenant' },
          ExpressionAttributeValues: { ':t': { S: 'globex' } },
        }),
      );
      expect([err.code, err.status, err.message]).toEqual(['AccessDeniedException', 400, denial('isoctl-prod-acme-read', 'dynamodb:Query', POOLED_ARN)]);
      const get = await failure(as(acmeRead, 'GetItem', { TableName: 'Pooled', Key: { tenant: { S: 'globex' }, sk: { S: 'doc#1' } } }));
      expect(get.message).toBe(denial('isoctl-prod-acme-read', 'dynamodb:GetItem', POOLED_ARN));
    });

    it('a sort-key condition naming B does not smuggle B in, nor does begins_with', async () => {
      const out = await as(acmeRead, 'Query', {
        TableName: 'Pooled',
        KeyConditionExpression: 'tenant = :t AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':t': { S: 'acme' }, ':p': { S: 'globex' } },
      });
      expect(out.Count).toBe(0);
    });

    it('mixed keys: BatchGetItem with A and B is denied as a whole; A alone is allowed', async () => {
      const keys = (...tenants: string[]) => ({ RequestItems: { Pooled: { Keys: tenants.map((t) => ({ tenant: { S: t }, sk: { S: 'doc#1' } })) } } });
      const err = await failure(as(acmeRead, 'BatchGetItem', keys('acme', 'globex')));
      expect(err.message).toBe(denial('isoctl-prod-acme-read', 'dynamodb:BatchGetItem', POOLED_ARN));
      const ok = await as(acmeRead, 'BatchGetItem', keys('acme'));
      expect(ok.Responses.Pooled.map((i: any) => i.tenant.S)).toEqual(['acme']);
    });

    it('a missing key: Scan carries no leading key, so the Null check refuses it even where Scan is listed', async () => {
      ctx.addRole({ name: 'scan-with-null-check', inlinePolicies: { data: pooledPolicy('acme', [...READ, 'dynamodb:Scan']) } });
      const err = await failure(as(session('scan-with-null-check'), 'Scan', { TableName: 'Pooled' }));
      expect(err.message).toBe(denial('scan-with-null-check', 'dynamodb:Scan', POOLED_ARN));
    });

    it('without the Null check, ForAllValues holds on an empty set and Scan reads every tenant (the trap AWS documents)', async () => {
      ctx.addRole({
        name: 'scan-without-null-check',
        inlinePolicies: {
          data: doc({
            Effect: 'Allow',
            Action: [...READ, 'dynamodb:Scan'],
            Resource: POOLED_ARN,
            Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['acme'] } },
          }),
        },
      });
      const out = await as(session('scan-without-null-check'), 'Scan', { TableName: 'Pooled' });
      expect(out.Items.map((i: any) => i.tenant.S).sort()).toEqual(['acme', 'globex']);
    });

    it('a write in a read scope is denied and leaves nothing behind', async () => {
      const item = { tenant: { S: 'acme' }, sk: { S: 'doc#2' } };
      const err = await failure(as(acmeRead, 'PutItem', { TableName: 'Pooled', Item: item }));
      expect(err.message).toBe(denial('isoctl-prod-acme-read', 'dynamodb:PutItem', POOLED_ARN));
      expect(await as(ADMIN, 'GetItem', { TableName: 'Pooled', Key: item })).toEqual({});
    });

    it("the write scope writes A's partition, not B's, and not B's through a batch", async () => {
      await as(acmeWrite, 'PutItem', { TableName: 'Pooled', Item: { tenant: { S: 'acme' }, sk: { S: 'doc#3' } } });
      await as(acmeWrite, 'UpdateItem', {
        TableName: 'Pooled',
        Key: { tenant: { S: 'acme' }, sk: { S: 'doc#3' } },
        UpdateExpression: 'SET body = :b',
        ExpressionAttributeValues: { ':b': { S: 'x' } },
      });
      const put = await failure(as(acmeWrite, 'PutItem', { TableName: 'Pooled', Item: { tenant: { S: 'globex' }, sk: { S: 'doc#3' } } }));
      expect(put.message).toBe(denial('isoctl-prod-acme-write', 'dynamodb:PutItem', POOLED_ARN));
      const del = await failure(as(acmeWrite, 'DeleteItem', { TableName: 'Pooled', Key: { tenant: { S: 'globex' }, sk: { S: 'doc#1' } } }));
      expect(del.code).toBe('AccessDeniedException');
      const batch = await failure(
        as(acmeWrite, 'BatchWriteItem', {
          RequestItems: {
            Pooled: [
              { PutRequest: { Item: { tenant: { S: 'acme' }, sk: { S: 'doc#4' } } } },
              { DeleteRequest: { Key: { tenant: { S: 'globex' }, sk: { S: 'doc#1' } } } },
            ],
          },
        }),
      );
      expect(batch.message).toBe(denial('isoctl-prod-acme-write', 'dynamodb:BatchWriteItem', POOLED_ARN));
      expect((await as(ADMIN, 'GetItem', { TableName: 'Pooled', Key: { tenant: { S: 'globex' }, sk: { S: 'doc#1' } } })).Item).toBeDefined();
      expect(await as(ADMIN, 'GetItem', { TableName: 'Pooled', Key: { tenant: { S: 'acme' }, sk: { S: 'doc#4' } } })).toEqual({});
    });

    it('table operations are authorised too', async () => {
      const err = await failure(
        as(acmeWrite, 'CreateTable', {
          TableName: 'Sneaky',
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      expect(err.message).toBe(denial('isoctl-prod-acme-write', 'dynamodb:CreateTable', `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/Sneaky`));
      const del = await failure(as(acmeWrite, 'DeleteTable', { TableName: 'Pooled' }));
      expect(del.code).toBe('AccessDeniedException');
      const list = await failure(as(acmeRead, 'ListTables', {}));
      expect(list.message).toBe(denial('isoctl-prod-acme-read', 'dynamodb:ListTables', `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/*`));
      expect((await as(ADMIN, 'ListTables', {})).TableNames).toContain('Pooled');
    });

    it('the permissions boundary caps what the inline policy allows', async () => {
      ctx.addRole({
        name: 'capped',
        inlinePolicies: { data: pooledPolicy('acme', READ) },
        boundary: doc({ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: POOLED_ARN }),
      });
      await as(session('capped'), 'GetItem', { TableName: 'Pooled', Key: { tenant: { S: 'acme' }, sk: { S: 'doc#1' } } });
      const err = await failure(
        as(session('capped'), 'Query', { TableName: 'Pooled', KeyConditionExpression: 'tenant = :t', ExpressionAttributeValues: { ':t': { S: 'acme' } } }),
      );
      expect(err.code).toBe('AccessDeniedException');
      expect(err.message).toMatch(
        /^User: arn:aws:sts::123456789012:assumed-role\/capped\/CognitoIdentityCredentials is not authorized to perform: dynamodb:Query on resource: arn:aws:dynamodb:eu-central-1:123456789012:table\/Pooled (because|with) /,
      );
      expect(err.message).toMatch(/boundary/);
    });

    it('an explicit deny wins over the allow', async () => {
      ctx.addRole({
        name: 'denied-docs',
        inlinePolicies: {
          data: pooledPolicy('acme', READ),
          deny: doc({ Effect: 'Deny', Action: 'dynamodb:GetItem', Resource: POOLED_ARN }),
        },
      });
      const err = await failure(as(session('denied-docs'), 'GetItem', { TableName: 'Pooled', Key: { tenant: { S: 'acme' }, sk: { S: 'doc#1' } } }));
      expect(err.message).toMatch(/dynamodb:GetItem on resource: arn:aws:dynamodb:eu-central-1:123456789012:table\/Pooled with an explicit deny/);
    });
  });

  describe("the second seed's OfficeAdminRole: items by principal tag, attributes restricted", () => {
    const query = (sub: string, projection?: string, extra: Record<string, unknown> = {}) => ({
      TableName: 'AgentsTable',
      KeyConditionExpression: 'userId = :sub',
      ExpressionAttributeValues: { ':sub': { S: sub } },
      ...(projection ? { ProjectionExpression: projection } : {}),
      ...extra,
    });

    it("Jane's query of her own agents with the allowed projection succeeds and never shows realName", async () => {
      const out = await as(jane, 'Query', query('COGNITO_ID_1', 'userId,fieldName,isOnAssignment'));
      expect(out.Items).toEqual([{ userId: { S: 'COGNITO_ID_1' }, fieldName: { S: 'bond' }, isOnAssignment: { BOOL: true } }]);
    });

    it("John's tag does not reach Jane's agents: the seed's exact error", async () => {
      const err = await failure(as(john, 'Query', query('COGNITO_ID_1', 'userId,fieldName,isOnAssignment')));
      expect(err.message).toBe(denial('OfficeAdminRole', 'dynamodb:Query', AGENTS_ARN));
    });

    it('no userid tag on the session: denied', async () => {
      const err = await failure(as(session('OfficeAdminRole'), 'Query', query('COGNITO_ID_1', 'userId,fieldName')));
      expect(err.code).toBe('AccessDeniedException');
    });

    it("session tags override the role's own tag of the same key", async () => {
      ctx.addRole({ name: 'TaggedAdminRole', inlinePolicies: { agents: { ...OFFICE_ADMIN } }, tags: { userid: 'COGNITO_ID_2' } });
      const roleOnly = session('TaggedAdminRole');
      expect((await as(roleOnly, 'Query', query('COGNITO_ID_2', 'userId'))).Count).toBe(1);
      const overridden = session('TaggedAdminRole', { UserId: 'COGNITO_ID_1' });
      expect((await as(overridden, 'Query', query('COGNITO_ID_1', 'userId'))).Count).toBe(1);
      expect((await failure(as(overridden, 'Query', query('COGNITO_ID_2', 'userId')))).code).toBe('AccessDeniedException');
    });

    it('a forbidden attribute in the projection (realName) is denied, also behind a #name or a nested path', async () => {
      for (const extra of [
        { ProjectionExpression: 'userId,fieldName,realName' },
        { ProjectionExpression: 'fieldName, #r', ExpressionAttributeNames: { '#r': 'realName' } },
        { ProjectionExpression: 'realName.given' },
      ]) {
        const err = await failure(as(jane, 'Query', query('COGNITO_ID_1', undefined, extra)));
        expect(err.message).toBe(denial('OfficeAdminRole', 'dynamodb:Query', AGENTS_ARN));
      }
    });

    it('a filter on a forbidden attribute is denied too', async () => {
      const err = await failure(
        as(
          jane,
          'Query',
          query('COGNITO_ID_1', 'userId', {
            FilterExpression: 'begins_with(realName, :x)',
            ExpressionAttributeValues: { ':sub': { S: 'COGNITO_ID_1' }, ':x': { S: 'b' } },
          }),
        ),
      );
      expect(err.code).toBe('AccessDeniedException');
    });

    it("Select=ALL_ATTRIBUTES, or no projection at all (the seed's second cause), is denied under the attribute restriction", async () => {
      const explicit = await failure(as(jane, 'Query', query('COGNITO_ID_1', undefined, { Select: 'ALL_ATTRIBUTES' })));
      expect(explicit.message).toBe(denial('OfficeAdminRole', 'dynamodb:Query', AGENTS_ARN));
      const implicit = await failure(as(jane, 'Query', query('COGNITO_ID_1')));
      expect(implicit.code).toBe('AccessDeniedException');
      const getAll = await failure(as(jane, 'GetItem', { TableName: 'AgentsTable', Key: { userId: { S: 'COGNITO_ID_1' }, fieldName: { S: 'bond' } } }));
      expect(getAll.message).toBe(denial('OfficeAdminRole', 'dynamodb:GetItem', AGENTS_ARN));
      const ok = await as(jane, 'GetItem', {
        TableName: 'AgentsTable',
        Key: { userId: { S: 'COGNITO_ID_1' }, fieldName: { S: 'bond' } },
        ProjectionExpression: 'isOnAssignment',
      });
      expect(ok.Item).toEqual({ isOnAssignment: { BOOL: true } });
    });
  });

  describe('eventual consistency: the role as DynamoDB sees it', () => {
    it('a role DynamoDB does not see yet is denied; once visible, the same request passes', async () => {
      ctx.addRole({ name: 'isoctl-prod-initech', inlinePolicies: { data: pooledPolicy('acme', READ) }, visibleToDynamoAt: ctx.clock + 8_000 });
      const request = { TableName: 'Pooled', KeyConditionExpression: 'tenant = :t', ExpressionAttributeValues: { ':t': { S: 'acme' } } };
      const err = await failure(as(session('isoctl-prod-initech'), 'Query', request));
      expect(err.message).toBe(denial('isoctl-prod-initech', 'dynamodb:Query', POOLED_ARN));
      ctx.clock += 8_000;
      const out = await as(session('isoctl-prod-initech'), 'Query', request);
      expect(out.Count).toBeGreaterThan(0);
      expect(out.Items.every((i: any) => i.tenant.S === 'acme')).toBe(true);
    });

    it('a role seen without its inline policy yet allows nothing', async () => {
      ctx.addRole({ name: 'isoctl-prod-hooli', inlinePolicies: {} });
      const err = await failure(as(session('isoctl-prod-hooli'), 'GetItem', { TableName: 'Pooled', Key: { tenant: { S: 'acme' }, sk: { S: 'doc#1' } } }));
      expect(err.message).toBe(denial('isoctl-prod-hooli', 'dynamodb:GetItem', POOLED_ARN));
    });

    it('expired session credentials are refused before any policy is read', async () => {
      const expired = { ...(acmeRead as Extract<typeof acmeRead, { kind: 'session' }>), expiresAt: ctx.clock - 1 };
      const err = await failure(as(expired, 'GetItem', { TableName: 'Pooled', Key: { tenant: { S: 'acme' }, sk: { S: 'doc#1' } } }));
      expect([err.code, err.message]).toEqual(['ExpiredTokenException', 'The security token included in the request is expired']);
    });
  });
});
