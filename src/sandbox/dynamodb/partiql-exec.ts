// ExecuteStatement / BatchExecuteStatement / ExecuteTransaction: each parsed statement becomes the
// single-item (or Query/Scan) request DynamoDB documents as its equivalent, run by the engine.
// - SELECT pinning the whole primary key: GetItem; pinning the partition key: Query; else Scan.
// - INSERT: PutItem that fails with DuplicateItemException when the key exists.
// - UPDATE: UpdateItem on an existing item (ConditionalCheckFailedException when there is none).
// - DELETE: DeleteItem. UPDATE and DELETE must name every key attribute with '='.
// Not served: pagination (NextToken, Limit), RETURNING, document paths, non-equality WHERE terms.
import { SandboxError } from '../contract.js';
import type { TableKeys } from '../../policy/dynamodb/context-keys.js';
import { PartiQLError, type Equality, type PartiQLStatement } from '../../policy/dynamodb/partiql.js';
import type { Engine } from './engine.js';
import { returnOldOnFailure, writeItem, type Mutex } from './transactions.js';

type Json = Record<string, unknown>;

export interface PlannedStatement {
  operation: 'GetItem' | 'Query' | 'Scan' | 'PutItem' | 'UpdateItem' | 'DeleteItem';
  input: Json;
  insert: boolean;
}

function validation(message: string): SandboxError {
  return new SandboxError('ValidationException', message, 400);
}

export function partiqlError(err: unknown): unknown {
  return err instanceof PartiQLError ? validation(err.message) : err;
}

class Names {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  private n = 0;
  name(attribute: string): string {
    const k = `#n${this.n++}`;
    this.names[k] = attribute;
    return k;
  }
  value(v: unknown): string {
    const k = `:v${this.n++}`;
    this.values[k] = v;
    return k;
  }
  eq(e: Equality): string {
    return `${this.name(e.attribute)} = ${this.value(e.value)}`;
  }
  into(input: Json): Json {
    if (Object.keys(this.names).length) input.ExpressionAttributeNames = this.names;
    if (Object.keys(this.values).length) input.ExpressionAttributeValues = this.values;
    return input;
  }
}

function fullKey(keys: TableKeys, where: Equality[]): { key: Json; rest: Equality[] } | undefined {
  const pk = where.find((w) => w.attribute === keys.partitionKey);
  const sk = keys.sortKey === undefined ? undefined : where.find((w) => w.attribute === keys.sortKey);
  if (!pk || (keys.sortKey !== undefined && !sk)) return undefined;
  const key: Json = { [keys.partitionKey]: pk.value };
  if (sk) key[keys.sortKey!] = sk.value;
  return { key, rest: where.filter((w) => w !== pk && w !== sk) };
}

const MANDATORY = 'Where clause does not contain a mandatory equality on all key attributes';

export function planStatement(s: PartiQLStatement, keys: TableKeys | undefined, consistentRead: boolean): PlannedStatement {
  if (!keys) throw new SandboxError('ResourceNotFoundException', 'Requested resource not found', 400);
  const n = new Names();
  const table = s.table;
  switch (s.kind) {
    case 'select': {
      const projection = s.projection === '*' ? {} : { ProjectionExpression: s.projection.map((a) => n.name(a)).join(', ') };
      const full = s.index === undefined ? fullKey(keys, s.where) : undefined;
      if (full && full.rest.length === 0)
        return { operation: 'GetItem', input: n.into({ TableName: table, Key: full.key, ConsistentRead: consistentRead, ...projection }), insert: false };
      const ks = s.index === undefined ? keys : keys.indexes[s.index];
      if (!ks) throw validation(`The table does not have the specified index: ${s.index}`);
      const pk = s.where.find((w) => w.attribute === ks.partitionKey);
      const index = s.index === undefined ? {} : { IndexName: s.index };
      if (pk) {
        const sk = ks.sortKey === undefined ? undefined : s.where.find((w) => w.attribute === ks.sortKey);
        const keyCond = [n.eq(pk), ...(sk ? [n.eq(sk)] : [])].join(' AND ');
        const rest = s.where.filter((w) => w !== pk && w !== sk);
        const filter = rest.length ? { FilterExpression: rest.map((w) => n.eq(w)).join(' AND ') } : {};
        return { operation: 'Query', input: n.into({ TableName: table, ...index, KeyConditionExpression: keyCond, ...filter, ...projection }), insert: false };
      }
      const filter = s.where.length ? { FilterExpression: s.where.map((w) => n.eq(w)).join(' AND ') } : {};
      return { operation: 'Scan', input: n.into({ TableName: table, ...index, ...filter, ...projection }), insert: false };
    }
    case 'insert': {
      if (s.item[keys.partitionKey] === undefined || (keys.sortKey !== undefined && s.item[keys.sortKey] === undefined)) {
        throw validation('One or more parameter values were invalid: Missing the key in the item');
      }
      return {
        operation: 'PutItem',
        input: n.into({ TableName: table, Item: s.item, ConditionExpression: `attribute_not_exists(${n.name(keys.partitionKey)})` }),
        insert: true,
      };
    }
    case 'update': {
      const full = fullKey(keys, s.where);
      if (!full) throw validation(MANDATORY);
      const parts = [];
      if (s.set.length) parts.push(`SET ${s.set.map((x) => n.eq(x)).join(', ')}`);
      if (s.remove.length) parts.push(`REMOVE ${s.remove.map((a) => n.name(a)).join(', ')}`);
      const cond = [`attribute_exists(${n.name(keys.partitionKey)})`, ...full.rest.map((w) => n.eq(w))].join(' AND ');
      return {
        operation: 'UpdateItem',
        input: n.into({ TableName: table, Key: full.key, UpdateExpression: parts.join(' '), ConditionExpression: cond }),
        insert: false,
      };
    }
    case 'delete': {
      const full = fullKey(keys, s.where);
      if (!full) throw validation(MANDATORY);
      const cond = full.rest.length ? { ConditionExpression: full.rest.map((w) => n.eq(w)).join(' AND ') } : {};
      return { operation: 'DeleteItem', input: n.into({ TableName: table, Key: full.key, ...cond }), insert: false };
    }
  }
}

/** Runs one planned statement; `input` is the ExecuteStatement request (for ReturnValuesOnConditionCheckFailure). */
export async function runStatement(engine: Engine, mutex: Mutex, p: PlannedStatement, request: Json): Promise<Json> {
  const validated = engine.validate(p.operation, p.input);
  if (p.operation === 'GetItem') {
    const out = await engine.execute('GetItem', validated);
    return { Items: out.Item ? [out.Item] : [] };
  }
  if (p.operation === 'Query' || p.operation === 'Scan') {
    const out = await engine.execute(p.operation, validated);
    return { Items: (out.Items as unknown[]) ?? [] };
  }
  returnOldOnFailure(request);
  try {
    await mutex.run(() =>
      writeItem(engine, p.operation, { ...p.input, ReturnValuesOnConditionCheckFailure: request.ReturnValuesOnConditionCheckFailure }, validated),
    );
  } catch (err) {
    if (p.insert && err instanceof SandboxError && err.code === 'ConditionalCheckFailedException') {
      throw new SandboxError('DuplicateItemException', 'Duplicate primary key exists in table', 400);
    }
    throw err;
  }
  return { Items: [] };
}

/** BatchExecuteStatement: up to 25 statements, each answered on its own (an error does not stop the others). */
export async function runBatch(engine: Engine, mutex: Mutex, planned: PlannedStatement[]): Promise<Json> {
  if (planned.some((p) => p.operation === 'Query' || p.operation === 'Scan')) {
    throw validation('Batch read statements must specify an equality condition on all key attributes');
  }
  const responses: Json[] = [];
  for (const p of planned) {
    try {
      const out = await runStatement(engine, mutex, p, {});
      const item = (out.Items as Json[] | undefined)?.[0];
      responses.push({ TableName: p.input.TableName, ...(item ? { Item: item } : {}) });
    } catch (err) {
      if (!(err instanceof SandboxError) || err.status >= 500) throw err;
      responses.push({
        TableName: p.input.TableName,
        Error: { Code: err.code.replace(/Exception$/, ''), Message: err.message, ...(err.details?.Item ? { Item: err.details.Item } : {}) },
      });
    }
  }
  return { Responses: responses };
}

/** ExecuteTransaction as the TransactGetItems / TransactWriteItems request it stands for. */
export function transactionOf(planned: PlannedStatement[]): { operation: 'TransactGetItems' | 'TransactWriteItems'; input: Json } {
  const reads = planned.filter((p) => p.operation === 'GetItem' || p.operation === 'Query' || p.operation === 'Scan');
  if (reads.length && reads.length !== planned.length) throw validation('Transactions can only contain either all read statements or all write statements');
  if (reads.some((p) => p.operation !== 'GetItem'))
    throw validation('Select statements within a transaction must specify an equality condition on all key attributes');
  if (reads.length) return { operation: 'TransactGetItems', input: { TransactItems: planned.map((p) => ({ Get: p.input })) } };
  const kind = { PutItem: 'Put', UpdateItem: 'Update', DeleteItem: 'Delete' } as const;
  return { operation: 'TransactWriteItems', input: { TransactItems: planned.map((p) => ({ [kind[p.operation as keyof typeof kind]]: p.input })) } };
}
