// TransactWriteItems / TransactGetItems and ReturnValuesOnConditionCheckFailure, over dynalite's
// single-item calls (dynalite has no transactions).
//
// All-or-nothing as far as the sandbox can make it: every item write of the service (single,
// batch and transactional) runs under one mutex, so a transaction sees no interleaved write.
// Inside it, all conditions are checked first against the items as stored; only when every one
// holds are the writes applied, in order; should a write still fail (e.g. an UpdateExpression
// that does not fit the stored item), the items already written are put back as they were.
// Limits (documented in docs/sandbox.md): no idempotency window for ClientRequestToken, no
// TransactionConflictException (the mutex serialises instead), a crash in the middle of the writes
// can leave part of a transaction applied (dynalite's writes are not one LevelDB batch).
import { SandboxError } from '../contract.js';
import type { TableKeys } from '../../policy/dynamodb/context-keys.js';
import type { Engine } from './engine.js';

type Json = Record<string, unknown>;

export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

function validation(message: string): SandboxError {
  return new SandboxError('ValidationException', message, 400);
}

/** ReturnValuesOnConditionCheckFailure: ALL_OLD or NONE (the default). */
export function returnOldOnFailure(input: Json, field = 'returnValuesOnConditionCheckFailure'): boolean {
  const v = input.ReturnValuesOnConditionCheckFailure;
  if (v === undefined || v === null || v === 'NONE') return false;
  if (v === 'ALL_OLD') return true;
  throw validation(
    `1 validation error detected: Value '${String(v)}' at '${field}' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]`,
  );
}

/**
 * A single PutItem/UpdateItem/DeleteItem. With ReturnValuesOnConditionCheckFailure = ALL_OLD a
 * failed condition answers ConditionalCheckFailedException with the item as it was (`Item`), as
 * AWS does (API reference, PutItem: "ReturnValuesOnConditionCheckFailure").
 */
export async function writeItem(engine: Engine, operation: string, input: Json, validated: object): Promise<Record<string, unknown>> {
  const wantOld = returnOldOnFailure(input);
  try {
    return await engine.execute(operation, validated);
  } catch (err) {
    if (!wantOld || !(err instanceof SandboxError) || err.code !== 'ConditionalCheckFailedException') throw err;
    const key = (validated as { Key?: Json; Item?: Json }).Key ?? (await keyOf(engine, input.TableName as string, (validated as { Item: Json }).Item));
    const old = await engine.getItem(input.TableName as string, key);
    throw new SandboxError(err.code, err.message, err.status, old ? { Item: old } : undefined);
  }
}

async function keyOf(engine: Engine, table: string, item: Json): Promise<Json> {
  const keys = await engine.tableKeys(table);
  if (!keys) throw new SandboxError('ResourceNotFoundException', 'Requested resource not found', 400);
  return pickKey(keys, item);
}

export function pickKey(keys: TableKeys, item: Json): Json {
  const key: Json = {};
  key[keys.partitionKey] = item[keys.partitionKey];
  if (keys.sortKey !== undefined) key[keys.sortKey] = item[keys.sortKey];
  return key;
}

type Kind = 'Put' | 'Update' | 'Delete' | 'ConditionCheck';
const OPERATION: Record<Kind, string> = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'DeleteItem' };

interface Planned {
  kind: Kind;
  table: string;
  key: Json;
  input: Json;
  validated: object;
  wantOld: boolean;
}

function transactItems(input: Json, max: number): Json[] {
  const items = input.TransactItems;
  if (!Array.isArray(items))
    throw validation("1 validation error detected: Value null at 'transactItems' failed to satisfy constraint: Member must not be null");
  if (items.length < 1 || items.length > max) {
    throw validation(
      `1 validation error detected: Value '[${items.length} items]' at 'transactItems' failed to satisfy constraint: Member must have length ${items.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${max}`}`,
    );
  }
  return items as Json[];
}

function keyId(table: string, keys: TableKeys, key: Json): string {
  return JSON.stringify([table, key[keys.partitionKey], keys.sortKey === undefined ? null : key[keys.sortKey]]);
}

/** Validates each item with dynalite's own checks for the single-item operation it stands for. */
async function plan(engine: Engine, input: Json): Promise<Planned[]> {
  const planned: Planned[] = [];
  const seen = new Set<string>();
  for (const raw of transactItems(input, 100)) {
    const kinds = (['ConditionCheck', 'Put', 'Delete', 'Update'] as Kind[]).filter((k) => raw[k] !== undefined && raw[k] !== null);
    if (kinds.length !== 1) throw validation('TransactItems can only contain one of Check, Put, Update or Delete');
    const kind = kinds[0]!;
    const part = raw[kind] as Json;
    const { ReturnValuesOnConditionCheckFailure: _r, ...single } = part;
    if (kind === 'ConditionCheck' && typeof part.ConditionExpression !== 'string') {
      throw validation(
        "1 validation error detected: Value null at 'transactItems.1.member.conditionCheck.conditionExpression' failed to satisfy constraint: Member must not be null",
      );
    }
    const validated = engine.validate(OPERATION[kind], single);
    const table = String(part.TableName);
    const keys = await engine.tableKeys(table);
    if (!keys) throw new SandboxError('ResourceNotFoundException', 'Requested resource not found', 400);
    const key = kind === 'Put' ? pickKey(keys, part.Item as Json) : (part.Key as Json);
    const id = keyId(table, keys, key);
    if (seen.has(id)) throw validation('Transaction request cannot include multiple operations on one item');
    seen.add(id);
    planned.push({ kind, table, key, input: part, validated, wantOld: returnOldOnFailure(part) });
  }
  return planned;
}

export async function transactWriteItems(engine: Engine, mutex: Mutex, input: Json): Promise<Json> {
  const planned = await plan(engine, input);
  return mutex.run(async () => {
    const before: Array<Json | undefined> = [];
    for (const p of planned) before.push(await engine.getItem(p.table, p.key));
    const failed = planned.map((p, i) => !engine.conditionHolds(p.validated, before[i]));
    if (failed.some(Boolean)) {
      const reasons = planned.map((p, i) =>
        failed[i]
          ? { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed', ...(p.wantOld && before[i] ? { Item: before[i] } : {}) }
          : { Code: 'None' },
      );
      const message = `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`;
      // AWS's model names this error's message member "Message" (capital M).
      throw new SandboxError('TransactionCanceledException', message, 400, { Message: message, CancellationReasons: reasons });
    }
    const done: number[] = [];
    try {
      for (const [i, p] of planned.entries()) {
        if (p.kind === 'ConditionCheck') continue;
        await engine.execute(OPERATION[p.kind], p.validated);
        done.push(i);
      }
    } catch (err) {
      for (const i of done.reverse()) await restore(engine, planned[i]!, before[i]).catch(() => undefined);
      throw err;
    }
    return {};
  });
}

async function restore(engine: Engine, p: Planned, old: Json | undefined): Promise<void> {
  if (old) await engine.execute('PutItem', engine.validate('PutItem', { TableName: p.table, Item: old }));
  else await engine.execute('DeleteItem', engine.validate('DeleteItem', { TableName: p.table, Key: p.key }));
}

export async function transactGetItems(engine: Engine, mutex: Mutex, input: Json): Promise<Json> {
  const gets = transactItems(input, 100).map((raw) => {
    if (!raw.Get || typeof raw.Get !== 'object')
      throw validation("1 validation error detected: Value null at 'transactItems.1.member.get' failed to satisfy constraint: Member must not be null");
    return engine.validate('GetItem', { ...(raw.Get as Json), ConsistentRead: true });
  });
  return mutex.run(async () => {
    const responses: Json[] = [];
    for (const g of gets) {
      const out = await engine.execute('GetItem', g);
      responses.push(out.Item ? { Item: out.Item } : {});
    }
    return { Responses: responses };
  });
}
