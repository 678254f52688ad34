// The DynamoDB engine: dynalite 4 (Apache-2.0) driven in-process through its own request
// validation and action modules: the same two steps its HTTP handler runs, without the HTTP
// hop, the port or the signature check (the sandbox core has already identified the caller).
// Storage is LevelDB (classic-level, loaded from its shipped prebuilds) under `dataDir`, or
// memory-level when there is none.
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { SandboxError } from '../contract.js';
import type { TableKeys } from '../../policy/dynamodb/context-keys.js';

// dynalite's internals are CommonJS without types; these are the parts used here (pinned to 4.0.0).
interface DynaliteError extends Error {
  statusCode?: number;
  body?: { __type?: string; message?: string; Message?: string };
}
type Callback<T> = (err: DynaliteError | null | undefined, value?: T) => void;
interface SubDb {
  get(key: string, cb: Callback<unknown>): void;
  put(key: string, value: unknown, cb: Callback<void>): void;
  del(key: string, cb: Callback<void>): void;
  createValueStream(options: object): NodeJS.ReadableStream;
  awsAccountId: string;
  awsRegion: string;
}
interface Store {
  db: { open(): Promise<void>; close(cb: Callback<void>): void };
  tableDb: SubDb;
  getTable(name: string, checkStatus: boolean, cb: Callback<StoredTable>): void;
}
interface KeySchemaElement {
  AttributeName: string;
  KeyType: 'HASH' | 'RANGE';
}
interface StoredTable {
  TableName: string;
  TableStatus: string;
  KeySchema: KeySchemaElement[];
  GlobalSecondaryIndexes?: Array<{ IndexName: string; KeySchema: KeySchemaElement[]; IndexStatus?: string }>;
  LocalSecondaryIndexes?: Array<{ IndexName: string; KeySchema: KeySchemaElement[] }>;
}
interface ActionValidation {
  types: object;
  custom?: (data: object, store: Store) => string | undefined;
}
type Action = (store: Store, data: object, cb: Callback<unknown>) => void;

const require = createRequire(import.meta.url);

/** Operations handed to dynalite (UpdateTimeToLive / DescribeTimeToLive are answered by the service). */
export const ENGINE_OPERATIONS = [
  'CreateTable',
  'DescribeTable',
  'DeleteTable',
  'ListTables',
  'PutItem',
  'GetItem',
  'UpdateItem',
  'DeleteItem',
  'Query',
  'Scan',
  'BatchGetItem',
  'BatchWriteItem',
  'DescribeTimeToLive',
  'TagResource',
  'UntagResource',
  'ListTagsOfResource',
] as const;

function lowerFirst(op: string): string {
  return op[0]!.toLowerCase() + op.slice(1);
}

/** dynalite's error body -> the AWS-shaped error the core renders. */
export function toSandboxError(err: unknown): SandboxError {
  if (err instanceof SandboxError) return err;
  const e = err as DynaliteError;
  if (e?.statusCode && e.body) {
    const code = (e.body.__type ?? 'InternalServerError').split('#').pop()!;
    return new SandboxError(code, e.body.message ?? e.body.Message ?? '', e.statusCode);
  }
  return new SandboxError('InternalServerError', `DynamoDB engine failure: ${e?.message ?? String(err)}`, 500);
}

function keyPair(schema: KeySchemaElement[]): { partitionKey: string; sortKey?: string } {
  const hash = schema.find((k) => k.KeyType === 'HASH');
  const range = schema.find((k) => k.KeyType === 'RANGE');
  return { partitionKey: hash?.AttributeName ?? '', ...(range ? { sortKey: range.AttributeName } : {}) };
}

export interface Engine {
  /** Runs dynalite's type checks and validations; returns the normalised request or throws SandboxError. */
  validate(operation: string, input: Record<string, unknown>): object;
  /** Executes a validated request; returns a plain JSON copy of the output. */
  execute(operation: string, validated: object): Promise<Record<string, unknown>>;
  /** The table's key schema (cached until the table is created or deleted again), undefined when it does not exist. */
  tableKeys(table: string): Promise<TableKeys | undefined>;
  tableExists(table: string): Promise<boolean>;
  /** The stored item with `key` (strongly consistent), undefined when there is none. */
  getItem(table: string, key: Record<string, unknown>): Promise<Record<string, unknown> | undefined>;
  /** Whether a validated Put/Update/Delete request's condition (expression or legacy Expected) holds for `existing`. */
  conditionHolds(validated: object, existing: Record<string, unknown> | undefined): boolean;
  close(): Promise<void>;
}

export async function openEngine(opts: {
  dataDir: string | undefined;
  accountId: string;
  region: string;
  /** How long a new table stays CREATING (data calls on it: ResourceNotFoundException, as on AWS); 0: ACTIVE once CreateTable returns. */
  tableCreatingMs?: number;
}): Promise<Engine> {
  const creatingMs = Math.max(0, opts.tableCreatingMs ?? 0);
  const db = require('dynalite/db/index.js') as {
    create(options: object): Store;
    checkConditional(data: object, existing: object | undefined): DynaliteError | null | undefined;
  };
  const validations = require('dynalite/validations/index.js') as {
    checkTypes(data: object, types: object): object;
    checkValidations(data: object, types: object, custom: ActionValidation['custom'], store: Store): void;
  };
  const actions = new Map<string, { validation: ActionValidation; action: Action }>();
  for (const op of ENGINE_OPERATIONS) {
    actions.set(op, {
      validation: require(`dynalite/validations/${lowerFirst(op)}.js`) as ActionValidation,
      action: require(`dynalite/actions/${lowerFirst(op)}.js`) as Action,
    });
  }

  if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true });
  // Status changes (CREATING -> ACTIVE, DELETING -> gone) are timers in dynalite; with 0 they
  // happen on the next tick and execute() waits for them, so a table is usable once CreateTable returns.
  const store = db.create({ path: opts.dataDir, createTableMs: creatingMs, deleteTableMs: 0, updateTableMs: 0 });
  store.tableDb.awsAccountId = opts.accountId;
  store.tableDb.awsRegion = opts.region;
  try {
    await store.db.open();
  } catch (err) {
    const cause = (err as { cause?: Error }).cause;
    throw new Error(`cannot open the DynamoDB store in ${opts.dataDir}: ${cause?.message ?? (err as Error).message}`);
  }

  const keyCache = new Map<string, TableKeys>();

  function getStored(name: string): Promise<StoredTable | undefined> {
    return new Promise((resolve, reject) => {
      store.tableDb.get(name, (err, value) => {
        if (err) return err.name === 'NotFoundError' || (err as { code?: string }).code === 'LEVEL_NOT_FOUND' ? resolve(undefined) : reject(err);
        resolve(value && typeof value === 'object' ? (value as StoredTable) : undefined);
      });
    });
  }
  function putStored(name: string, value: StoredTable): Promise<void> {
    return new Promise((resolve, reject) => store.tableDb.put(name, value, (err) => (err ? reject(err) : resolve())));
  }
  function delStored(name: string): Promise<void> {
    return new Promise((resolve, reject) => store.tableDb.del(name, (err) => (err ? reject(err) : resolve())));
  }
  async function waitFor(name: string, done: (t: StoredTable | undefined) => boolean): Promise<void> {
    for (let i = 0; i < 500; i++) {
      if (done(await getStored(name))) return;
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  // A process that stopped between a table's status change and its timer leaves it CREATING or
  // DELETING for ever (dynalite hides CREATING tables from data calls): finish those changes now.
  const stored: StoredTable[] = await new Promise((resolve, reject) => {
    const all: StoredTable[] = [];
    store.tableDb
      .createValueStream({})
      .on('data', (t: StoredTable) => all.push(t))
      .on('error', reject)
      .on('end', () => resolve(all));
  });
  for (const t of stored) {
    if (!t || typeof t !== 'object' || !t.TableName) continue;
    if (t.TableStatus === 'DELETING') await delStored(t.TableName);
    else if (t.TableStatus !== 'ACTIVE') {
      t.TableStatus = 'ACTIVE';
      for (const i of t.GlobalSecondaryIndexes ?? []) i.IndexStatus = 'ACTIVE';
      await putStored(t.TableName, t);
    }
  }

  const engine: Engine = {
    validate(operation, input) {
      const entry = actions.get(operation);
      if (!entry) throw new SandboxError('UnknownOperationException', `The sandbox does not implement DynamoDB ${operation}`, 400);
      try {
        const data = validations.checkTypes(structuredClone(input), entry.validation.types);
        validations.checkValidations(data, entry.validation.types, entry.validation.custom, store);
        // dynalite predates CreateTable's Tags parameter: carry them to execute(), which applies them.
        if (operation === 'CreateTable' && Array.isArray(input.Tags) && input.Tags.length > 0) (data as { Tags?: unknown }).Tags = structuredClone(input.Tags);
        return data;
      } catch (err) {
        throw toSandboxError(err);
      }
    },

    async execute(operation, validated) {
      const entry = actions.get(operation);
      if (!entry) throw new SandboxError('UnknownOperationException', `The sandbox does not implement DynamoDB ${operation}`, 400);
      const table = (validated as { TableName?: string }).TableName;
      let output: unknown;
      try {
        output = await new Promise((resolve, reject) => entry.action(store, validated, (err, value) => (err ? reject(err) : resolve(value))));
        // Copy before dynalite's status timer mutates the object it returned.
        output = output === '' || output === undefined ? {} : JSON.parse(JSON.stringify(output));
        // dynalite adds members AWS's TableDescription does not have (botocore's model): drop them.
        for (const d of [(output as { TableDescription?: object }).TableDescription, (output as { Table?: object }).Table]) {
          if (d && typeof d === 'object') {
            delete (d as Record<string, unknown>).Tags;
            delete (d as Record<string, unknown>).TableThroughputModeSummary;
          }
        }
      } catch (err) {
        const e = toSandboxError(err);
        if (e.code === 'ResourceInUseException' && operation === 'CreateTable' && !e.message) {
          throw new SandboxError(e.code, `Table already exists: ${table}`, e.status);
        }
        throw e;
      }
      if (table !== undefined && (operation === 'CreateTable' || operation === 'DeleteTable')) {
        keyCache.delete(table);
        if (operation === 'DeleteTable') await waitFor(table, (t) => t === undefined);
        else if (creatingMs === 0) await waitFor(table, (t) => t?.TableStatus === 'ACTIVE');
        const tags = (validated as { Tags?: unknown[] }).Tags;
        const arn = (output as { TableDescription?: { TableArn?: string } }).TableDescription?.TableArn;
        if (operation === 'CreateTable' && tags && arn) {
          const tag = actions.get('TagResource')!.action;
          await new Promise((resolve, reject) =>
            tag(store, { ResourceArn: arn, Tags: tags }, (err, value) => (err ? reject(toSandboxError(err)) : resolve(value))),
          );
        }
      }
      return output as Record<string, unknown>;
    },

    async tableKeys(name) {
      const cached = keyCache.get(name);
      if (cached) return cached;
      const t = await getStored(name);
      if (!t || !Array.isArray(t.KeySchema)) return undefined;
      const indexes: TableKeys['indexes'] = {};
      for (const i of [...(t.GlobalSecondaryIndexes ?? []), ...(t.LocalSecondaryIndexes ?? [])]) indexes[i.IndexName] = keyPair(i.KeySchema);
      const keys: TableKeys = { ...keyPair(t.KeySchema), indexes };
      keyCache.set(name, keys);
      return keys;
    },

    async tableExists(name) {
      const t = await getStored(name);
      return t !== undefined && t.TableStatus !== 'DELETING';
    },

    async getItem(table, key) {
      const entry = actions.get('GetItem')!;
      let data: object;
      try {
        data = validations.checkTypes(structuredClone({ TableName: table, Key: key, ConsistentRead: true }), entry.validation.types);
        validations.checkValidations(data, entry.validation.types, entry.validation.custom, store);
      } catch (err) {
        throw toSandboxError(err);
      }
      const out = await engine.execute('GetItem', data);
      return out.Item as Record<string, unknown> | undefined;
    },

    conditionHolds(validated, existing) {
      return !db.checkConditional(validated, existing);
    },

    close() {
      return new Promise((resolve, reject) => store.db.close((err) => (err ? reject(err) : resolve())));
    },
  };
  return engine;
}
