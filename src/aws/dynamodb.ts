// DynamoDB, narrowed to isoctl's needs: the lock table (a lease written with conditional
// writes), silo tables, and the probe's reads made with a tenant's temporary credentials.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AwsClients } from './clients.js';
import { AwsCallError } from './errors.js';
import { call, orUndefined, tagList, tagRecord } from './call.js';

export type ScalarType = 'S' | 'N' | 'B';
export type KeyValue = { S: string } | { N: string } | { B: Uint8Array };

export interface TableInfo {
  name: string;
  arn: string;
  status: string;
  partitionKey: { name: string; type: ScalarType };
  sortKey: { name: string; type: ScalarType } | undefined;
  /** Global and local secondary indexes: name -> partition key attribute (an LSI shares the table's). */
  indexPartitionKeys?: Record<string, string>;
}

export interface CreateTableInput {
  name: string;
  partitionKey: { name: string; type: ScalarType };
  sortKey?: { name: string; type: ScalarType } | undefined;
  tags: Record<string, string>;
}

export interface Lease {
  lockId: string;
  owner: string;
  /** epoch ms */
  expiresAt: number;
  /** free text: who holds it (host, pid, command) */
  holder: string;
}

export interface QueryInput {
  table: string;
  index?: string;
  keyName: string;
  keyValue: KeyValue;
  /** Attributes to read (ProjectionExpression); all when omitted. */
  attributes?: string[];
  limit?: number;
}

export interface DynamoApi {
  describeTable(name: string): Promise<TableInfo | undefined>;
  /** PAY_PER_REQUEST table; returns what CreateTable returned (status CREATING or ACTIVE). */
  createTable(input: CreateTableInput): Promise<TableInfo>;
  /** false when it was already gone. */
  deleteTable(name: string): Promise<boolean>;
  /** Tags of a table by ARN (ListTagsOfResource, all pages); undefined when the table does not exist. */
  listTableTags(arn: string): Promise<Record<string, string> | undefined>;
  /**
   * Writes the lease when nobody holds it or the holder's lease expired (conditional PutItem).
   * Returns undefined on success, else the current lease.
   */
  tryAcquireLease(table: string, lease: Lease, now: number): Promise<Lease | undefined>;
  /** Deletes the lease when `owner` still holds it; false when someone else does (or nobody). */
  releaseLease(table: string, lockId: string, owner: string): Promise<boolean>;
  getLease(table: string, lockId: string): Promise<Lease | undefined>;
  /** Query one partition; resolves with the item count, rejects with AwsCallError (access-denied when IAM says no). */
  query(input: QueryInput): Promise<number>;
  /** GetItem of one key; resolves with whether an item was found. */
  getItem(table: string, key: Record<string, KeyValue>, attributes?: string[]): Promise<boolean>;
  /** BatchGetItem of several keys of one table; resolves with the number of items found. */
  batchGetItem(table: string, keys: Array<Record<string, KeyValue>>, attributes?: string[]): Promise<number>;
}

/** Partition key of the lock table. */
export const LOCK_KEY = 'lockId';

export function dynamoApi(clients: AwsClients): DynamoApi {
  type Sdk = typeof import('@aws-sdk/client-dynamodb');
  let sdkP: Promise<[Sdk, DynamoDBClient]> | undefined;
  const sdk = () => (sdkP ??= Promise.all([import('@aws-sdk/client-dynamodb'), clients.dynamodb()]));
  const run = async <T>(operation: string, fn: (m: Sdk, c: DynamoDBClient) => Promise<T>): Promise<T> => {
    const [m, c] = await sdk();
    return call('dynamodb', operation, () => fn(m, c));
  };
  type SdkTable = import('@aws-sdk/client-dynamodb').TableDescription;
  const toTable = (t: SdkTable | undefined): TableInfo => {
    const types = new Map((t?.AttributeDefinitions ?? []).map((a) => [a.AttributeName ?? '', (a.AttributeType ?? 'S') as ScalarType]));
    const hash = t?.KeySchema?.find((k) => k.KeyType === 'HASH')?.AttributeName ?? '';
    const range = t?.KeySchema?.find((k) => k.KeyType === 'RANGE')?.AttributeName;
    return {
      name: t?.TableName ?? '',
      arn: t?.TableArn ?? '',
      status: t?.TableStatus ?? 'UNKNOWN',
      partitionKey: { name: hash, type: types.get(hash) ?? 'S' },
      sortKey: range ? { name: range, type: types.get(range) ?? 'S' } : undefined,
      indexPartitionKeys: Object.fromEntries(
        [...(t?.GlobalSecondaryIndexes ?? []), ...(t?.LocalSecondaryIndexes ?? [])].map((i) => [
          i.IndexName ?? '',
          i.KeySchema?.find((k) => k.KeyType === 'HASH')?.AttributeName ?? '',
        ]),
      ),
    };
  };
  const projection = (attributes: string[] | undefined) => {
    if (!attributes || attributes.length === 0) return {};
    const names: Record<string, string> = {};
    attributes.forEach((a, i) => (names[`#a${i}`] = a));
    return { ProjectionExpression: Object.keys(names).join(', '), ExpressionAttributeNames: names };
  };
  const toLease = (item: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined): Lease | undefined => {
    if (!item) return undefined;
    return {
      lockId: item[LOCK_KEY]?.S ?? '',
      owner: item.owner?.S ?? '',
      expiresAt: Number(item.expiresAt?.N ?? '0'),
      holder: item.holder?.S ?? '',
    };
  };
  const getLease = (table: string, lockId: string) =>
    run('GetItem', async (m, c) => {
      const res = await c.send(new m.GetItemCommand({ TableName: table, Key: { [LOCK_KEY]: { S: lockId } }, ConsistentRead: true }));
      return toLease(res.Item);
    });

  return {
    describeTable: (name) => orUndefined(run('DescribeTable', async (m, c) => toTable((await c.send(new m.DescribeTableCommand({ TableName: name }))).Table))),
    createTable: (input) =>
      run('CreateTable', async (m, c) => {
        const defs = [{ AttributeName: input.partitionKey.name, AttributeType: input.partitionKey.type }];
        const schema = [{ AttributeName: input.partitionKey.name, KeyType: 'HASH' as const }];
        if (input.sortKey) {
          defs.push({ AttributeName: input.sortKey.name, AttributeType: input.sortKey.type });
          schema.push({ AttributeName: input.sortKey.name, KeyType: 'RANGE' as never });
        }
        const res = await c.send(
          new m.CreateTableCommand({
            TableName: input.name,
            AttributeDefinitions: defs,
            KeySchema: schema,
            BillingMode: 'PAY_PER_REQUEST',
            Tags: tagList(input.tags),
          }),
        );
        return toTable(res.TableDescription);
      }),
    deleteTable: async (name) =>
      (await orUndefined(
        run('DeleteTable', async (m, c) => {
          await c.send(new m.DeleteTableCommand({ TableName: name }));
          return true;
        }),
      )) ?? false,
    listTableTags: (arn) =>
      orUndefined(
        run('ListTagsOfResource', async (m, c) => {
          const out: Record<string, string> = {};
          let next: string | undefined;
          do {
            const res = await c.send(new m.ListTagsOfResourceCommand({ ResourceArn: arn, NextToken: next }));
            Object.assign(out, tagRecord(res.Tags));
            next = res.NextToken;
          } while (next);
          return out;
        }),
      ),
    tryAcquireLease: async (table, lease, now) => {
      try {
        await run('PutItem', async (m, c) => {
          await c.send(
            new m.PutItemCommand({
              TableName: table,
              Item: {
                [LOCK_KEY]: { S: lease.lockId },
                owner: { S: lease.owner },
                expiresAt: { N: String(lease.expiresAt) },
                holder: { S: lease.holder },
              },
              ConditionExpression: 'attribute_not_exists(#k) OR #e < :now OR #o = :me',
              ExpressionAttributeNames: { '#k': LOCK_KEY, '#e': 'expiresAt', '#o': 'owner' },
              ExpressionAttributeValues: { ':now': { N: String(now) }, ':me': { S: lease.owner } },
            }),
          );
        });
        return undefined;
      } catch (err) {
        if (err instanceof AwsCallError && err.awsCode === 'ConditionalCheckFailedException') {
          const current = await getLease(table, lease.lockId);
          // Released between our write and our read: report an expired placeholder so the caller retries at once.
          return current ?? { lockId: lease.lockId, owner: '', expiresAt: 0, holder: '' };
        }
        throw err;
      }
    },
    releaseLease: async (table, lockId, owner) => {
      try {
        await run('DeleteItem', async (m, c) => {
          await c.send(
            new m.DeleteItemCommand({
              TableName: table,
              Key: { [LOCK_KEY]: { S: lockId } },
              ConditionExpression: '#o = :me',
              ExpressionAttributeNames: { '#o': 'owner' },
              ExpressionAttributeValues: { ':me': { S: owner } },
            }),
          );
        });
        return true;
      } catch (err) {
        if (err instanceof AwsCallError && err.awsCode === 'ConditionalCheckFailedException') return false;
        throw err;
      }
    },
    getLease,
    query: (input) =>
      run('Query', async (m, c) => {
        const p = projection(input.attributes);
        const res = await c.send(
          new m.QueryCommand({
            TableName: input.table,
            IndexName: input.index,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': input.keyName, ...(p.ExpressionAttributeNames ?? {}) },
            ExpressionAttributeValues: { ':pk': input.keyValue as never },
            ProjectionExpression: p.ProjectionExpression,
            Limit: input.limit ?? 1,
          }),
        );
        return res.Count ?? 0;
      }),
    getItem: (table, key, attributes) =>
      run('GetItem', async (m, c) => {
        const res = await c.send(new m.GetItemCommand({ TableName: table, Key: key as never, ...projection(attributes) }));
        return res.Item !== undefined;
      }),
    batchGetItem: (table, keys, attributes) =>
      run('BatchGetItem', async (m, c) => {
        const res = await c.send(new m.BatchGetItemCommand({ RequestItems: { [table]: { Keys: keys as never, ...projection(attributes) } } }));
        return res.Responses?.[table]?.length ?? 0;
      }),
  };
}
