// The documents isoctl itself generates (src/policy: tenant data policy, stack boundary, role
// tags) enforced by the sandbox's DynamoDB: the isolation they promise holds on real requests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackConfigSchema } from '../../../src/config/schema.js';
import { buildBoundaryPolicy, buildDataPolicy, tenantRoleName, tenantTags } from '../../../src/policy/index.js';
import { SandboxError, type Caller, type JsonService } from '../../../src/sandbox/contract.js';
import { createDynamoService } from '../../../src/sandbox/dynamodb/index.js';
import { ACCOUNT, ADMIN, FakeContext, REGION, session } from './fake-context.js';

const config = stackConfigSchema.parse({
  stack: 'prod',
  region: REGION,
  accountId: ACCOUNT,
  userPoolId: `${REGION}_AbC123`,
  userPoolClientId: 'client123',
  identityPoolId: `${REGION}:1234abcd-0000-0000-0000-000000000000`,
  tables: [
    { name: 'Orders', partitionKey: 'tenant', sortKey: 'sk' },
    { name: 'Agents', partitionKey: 'tenant', sortKey: 'agentId', attributes: ['tenant', 'agentId', 'isOnAssignment'] },
  ],
});

async function refused(p: Promise<unknown>): Promise<SandboxError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof SandboxError) return err;
    throw err;
  }
  throw new Error('expected the call to be refused');
}

describe("isoctl's generated policies under enforcement", () => {
  const ctx = new FakeContext();
  let ddb: JsonService;
  const as = (caller: Caller, op: string, input: Record<string, unknown>) => ddb.handle(op, input, caller) as Promise<Record<string, any>>;
  const tags = (tenant: string) => Object.fromEntries(tenantTags(config, tenant).map((t) => [t.Key, t.Value]));
  const roleFor = (tenant: string, scopes: string[], policyTenant = tenant) => {
    const name = `${tenantRoleName(config, tenant)}-${scopes.join('-')}${policyTenant === tenant ? '' : `-as-${policyTenant}`}`;
    ctx.addRole({ name, inlinePolicies: { data: buildDataPolicy(config, policyTenant, scopes) }, boundary: buildBoundaryPolicy(config), tags: tags(tenant) });
    return session(name);
  };

  beforeAll(async () => {
    ddb = await createDynamoService(ctx, { dataDir: undefined, tableCreatingMs: 0 });
    for (const [name, sortKey] of [
      ['Orders', 'sk'],
      ['Agents', 'agentId'],
    ] as const) {
      await as(ADMIN, 'CreateTable', {
        TableName: name,
        AttributeDefinitions: [
          { AttributeName: 'tenant', AttributeType: 'S' },
          { AttributeName: sortKey, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'tenant', KeyType: 'HASH' },
          { AttributeName: sortKey, KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      });
    }
    for (const tenant of ['acme', 'globex']) {
      await as(ADMIN, 'PutItem', { TableName: 'Orders', Item: { tenant: { S: tenant }, sk: { S: 'o1' }, amount: { N: '5' } } });
      await as(ADMIN, 'PutItem', {
        TableName: 'Agents',
        Item: { tenant: { S: tenant }, agentId: { S: 'a1' }, isOnAssignment: { BOOL: false }, realName: { S: 'secret' } },
      });
    }
  });
  afterAll(async () => {
    await ddb.close?.();
  });

  it('read scope: own partition yes, the other tenant no, Scan no, writes no', async () => {
    const acme = roleFor('acme', ['read']);
    const own = await as(acme, 'Query', { TableName: 'Orders', KeyConditionExpression: 'tenant = :t', ExpressionAttributeValues: { ':t': { S: 'acme' } } });
    expect(own.Items.map((i: any) => i.tenant.S)).toEqual(['acme']);
    for (const [op, input] of [
      ['Query', { TableName: 'Orders', KeyConditionExpression: 'tenant = :t', ExpressionAttributeValues: { ':t': { S: 'globex' } } }],
      ['GetItem', { TableName: 'Orders', Key: { tenant: { S: 'globex' }, sk: { S: 'o1' } } }],
      [
        'BatchGetItem',
        {
          RequestItems: {
            Orders: {
              Keys: [
                { tenant: { S: 'acme' }, sk: { S: 'o1' } },
                { tenant: { S: 'globex' }, sk: { S: 'o1' } },
              ],
            },
          },
        },
      ],
      ['Scan', { TableName: 'Orders' }],
      ['PutItem', { TableName: 'Orders', Item: { tenant: { S: 'acme' }, sk: { S: 'o2' } } }],
    ] as const) {
      expect((await refused(as(acme, op, input))).code, op).toBe('AccessDeniedException');
    }
  });

  it('write scope: writes its own partition only', async () => {
    const acme = roleFor('acme', ['write']);
    await as(acme, 'PutItem', { TableName: 'Orders', Item: { tenant: { S: 'acme' }, sk: { S: 'o2' } } });
    expect((await refused(as(acme, 'PutItem', { TableName: 'Orders', Item: { tenant: { S: 'globex' }, sk: { S: 'o2' } } }))).code).toBe(
      'AccessDeniedException',
    );
    expect(await as(ADMIN, 'GetItem', { TableName: 'Orders', Key: { tenant: { S: 'globex' }, sk: { S: 'o2' } } })).toEqual({});
  });

  it('attribute-restricted table: the listed attributes only, and only when asked for by name', async () => {
    const acme = roleFor('acme', ['read']);
    const query = (projection?: string) => ({
      TableName: 'Agents',
      KeyConditionExpression: 'tenant = :t',
      ExpressionAttributeValues: { ':t': { S: 'acme' } },
      ...(projection ? { ProjectionExpression: projection } : {}),
    });
    expect((await as(acme, 'Query', query('agentId, isOnAssignment'))).Items).toEqual([{ agentId: { S: 'a1' }, isOnAssignment: { BOOL: false } }]);
    expect((await refused(as(acme, 'Query', query('agentId, realName')))).code).toBe('AccessDeniedException');
    expect((await refused(as(acme, 'Query', query()))).code).toBe('AccessDeniedException');
  });

  it('the boundary keeps a role inside its own tenant tag even if its inline policy names another tenant', async () => {
    const widened = roleFor('acme', ['read'], 'globex');
    const err = await refused(
      as(widened, 'Query', { TableName: 'Orders', KeyConditionExpression: 'tenant = :t', ExpressionAttributeValues: { ':t': { S: 'globex' } } }),
    );
    expect(err.code).toBe('AccessDeniedException');
    expect(err.message).toMatch(/boundary/);
  });
});
