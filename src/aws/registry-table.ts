// The tenant registry's rows, kept in the stack's lock table beside the lease (one table made by
// `init`, partition key `lockId`): one item per tenant under `tenant#<id>`, written only with
// conditional writes so two operators never overwrite each other's change.
import type { DynamoDBClient, AttributeValue } from '@aws-sdk/client-dynamodb';
import type { AwsClients } from './clients.js';
import { AwsCallError } from './errors.js';
import { call } from './call.js';
import { LOCK_KEY } from './dynamodb.js';

export type RegistryStatus = 'active' | 'suspended' | 'deleting';

export interface RegistryRow {
  tenant: string;
  status: RegistryStatus;
  scopes: string[];
  /** The stack's mapping mode when the row was written (token, rules, abac). */
  mode: string;
  /** ISO times. */
  createdAt: string;
  updatedAt: string;
  /** Bumped by every write; a write names the version it read (optimistic concurrency). */
  version: number;
  /** Free-form extras of a lifecycle module (e.g. revocation times); strings only. */
  extra?: Record<string, string> | undefined;
}

/** What a conditional write expects to find: no row, or the row at this version. */
export type RegistryExpect = { absent: true } | { version: number };

export interface RegistryTableApi {
  /** Consistent read of one row; undefined when absent. */
  get(table: string, key: string): Promise<RegistryRow | undefined>;
  /** Conditional PutItem; false when the condition failed (someone else wrote first). */
  put(table: string, key: string, row: RegistryRow, expect: RegistryExpect): Promise<boolean>;
  /** Conditional DeleteItem at a version (or unconditional); false when the condition failed. */
  remove(table: string, key: string, expect?: { version: number }): Promise<boolean>;
  /** Every row whose key starts with `prefix` (Scan, all pages); `calls` counts the pages read. */
  scan(table: string, prefix: string): Promise<{ rows: Array<{ key: string; row: RegistryRow }>; calls: number }>;
}

function toItem(key: string, row: RegistryRow): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {
    [LOCK_KEY]: { S: key },
    tenant: { S: row.tenant },
    status: { S: row.status },
    scopes: { S: row.scopes.join('+') },
    mode: { S: row.mode },
    createdAt: { S: row.createdAt },
    updatedAt: { S: row.updatedAt },
    version: { N: String(row.version) },
  };
  if (row.extra && Object.keys(row.extra).length > 0) item.extra = { M: Object.fromEntries(Object.entries(row.extra).map(([k, v]) => [k, { S: v }])) };
  return item;
}

function fromItem(item: Record<string, AttributeValue>): RegistryRow {
  const extra = item.extra?.M ? Object.fromEntries(Object.entries(item.extra.M).map(([k, v]) => [k, v.S ?? ''])) : undefined;
  return {
    tenant: item.tenant?.S ?? '',
    status: (item.status?.S ?? 'active') as RegistryStatus,
    scopes: (item.scopes?.S ?? '').split('+').filter(Boolean),
    mode: item.mode?.S ?? '',
    createdAt: item.createdAt?.S ?? '',
    updatedAt: item.updatedAt?.S ?? '',
    version: Number(item.version?.N ?? '0'),
    extra,
  };
}

const conditionFailed = (err: unknown) => err instanceof AwsCallError && err.awsCode === 'ConditionalCheckFailedException';

export function registryTableApi(clients: AwsClients): RegistryTableApi {
  type Sdk = typeof import('@aws-sdk/client-dynamodb');
  let sdkP: Promise<[Sdk, DynamoDBClient]> | undefined;
  const sdk = () => (sdkP ??= Promise.all([import('@aws-sdk/client-dynamodb'), clients.dynamodb()]));
  const run = async <T>(operation: string, fn: (m: Sdk, c: DynamoDBClient) => Promise<T>): Promise<T> => {
    const [m, c] = await sdk();
    return call('dynamodb', operation, () => fn(m, c));
  };
  const condition = (
    expect: RegistryExpect,
  ): { ConditionExpression: string; ExpressionAttributeNames: Record<string, string>; ExpressionAttributeValues?: Record<string, AttributeValue> } =>
    'absent' in expect
      ? { ConditionExpression: 'attribute_not_exists(#k)', ExpressionAttributeNames: { '#k': LOCK_KEY } }
      : { ConditionExpression: '#v = :v', ExpressionAttributeNames: { '#v': 'version' }, ExpressionAttributeValues: { ':v': { N: String(expect.version) } } };
  return {
    get: (table, key) =>
      run('GetItem', async (m, c) => {
        const res = await c.send(new m.GetItemCommand({ TableName: table, Key: { [LOCK_KEY]: { S: key } }, ConsistentRead: true }));
        return res.Item ? fromItem(res.Item) : undefined;
      }),
    put: async (table, key, row, expect) => {
      try {
        await run('PutItem', (m, c) => c.send(new m.PutItemCommand({ TableName: table, Item: toItem(key, row), ...condition(expect) })));
        return true;
      } catch (err) {
        if (conditionFailed(err)) return false;
        throw err;
      }
    },
    remove: async (table, key, expect) => {
      try {
        await run('DeleteItem', (m, c) =>
          c.send(new m.DeleteItemCommand({ TableName: table, Key: { [LOCK_KEY]: { S: key } }, ...(expect ? condition(expect) : {}) })),
        );
        return true;
      } catch (err) {
        if (conditionFailed(err)) return false;
        throw err;
      }
    },
    scan: (table, prefix) =>
      run('Scan', async (m, c) => {
        const rows: Array<{ key: string; row: RegistryRow }> = [];
        let start: Record<string, AttributeValue> | undefined;
        let calls = 0;
        do {
          const res = await c.send(
            new m.ScanCommand({
              TableName: table,
              ConsistentRead: true,
              FilterExpression: 'begins_with(#k, :p)',
              ExpressionAttributeNames: { '#k': LOCK_KEY },
              ExpressionAttributeValues: { ':p': { S: prefix } },
              ExclusiveStartKey: start,
            }),
          );
          calls++;
          for (const item of res.Items ?? []) rows.push({ key: item[LOCK_KEY]?.S ?? '', row: fromItem(item) });
          start = res.LastEvaluatedKey;
        } while (start);
        return { rows, calls };
      }),
  };
}
