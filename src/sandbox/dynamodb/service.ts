// The sandbox's DynamoDB (awsJson1_0): validate with the engine, authorise with IAM's evaluator
// against the caller's role as DynamoDB sees it, then execute with the engine.
import { evaluate as policyEvaluate } from '../../policy/index.js';
import { SandboxError, type Caller, type JsonService, type SandboxContext } from '../contract.js';
import { authenticate, authorize, type DecisionSink, type Evaluate } from './authorize.js';
import { deriveChecks, type TableKeys } from '../../policy/dynamodb/context-keys.js';
import { ENGINE_OPERATIONS, openEngine } from './engine.js';
import { describeContinuousBackups } from './backups.js';
import { describeTimeToLive, updateTimeToLive, type TtlState } from './ttl.js';
import { Mutex, transactGetItems, transactWriteItems, writeItem } from './transactions.js';
import { partiqlError, planStatement, runBatch, runStatement, transactionOf } from './partiql-exec.js';
import { statementsOf } from '../../policy/dynamodb/context-keys.js';
import type { PartiQLStatement } from '../../policy/dynamodb/partiql.js';

/** Served outside dynalite: TTL, transactions and PartiQL. */
const SERVICE_OPERATIONS = [
  'DescribeContinuousBackups',
  'UpdateTimeToLive',
  'TransactWriteItems',
  'TransactGetItems',
  'ExecuteStatement',
  'BatchExecuteStatement',
  'ExecuteTransaction',
];
export const DYNAMODB_OPERATIONS: readonly string[] = [...ENGINE_OPERATIONS, ...SERVICE_OPERATIONS];

const MUTATING = new Set([
  'CreateTable',
  'DeleteTable',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'UpdateTimeToLive',
  'TagResource',
  'UntagResource',
  'TransactWriteItems',
  'ExecuteStatement',
  'BatchExecuteStatement',
  'ExecuteTransaction',
]);
const ITEM_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);

export interface DynamoServiceOptions {
  /** Directory for the engine's LevelDB files; in memory when undefined. */
  dataDir: string | undefined;
  /** Overrides the IAM evaluator (tests only). */
  evaluate?: Evaluate;
  /** Receives every enforcement decision (tests re-evaluate them with iam-simulate). */
  onDecision?: DecisionSink;
  /** How long a new table stays CREATING (default DEFAULT_TABLE_CREATING_MS; 0: ACTIVE when CreateTable returns). */
  tableCreatingMs?: number;
}

/**
 * A new table is CREATING for a while on AWS (seconds; "you can use a table only when it is
 * ACTIVE", CreateTable in the DynamoDB API reference), so the sandbox is never quicker by default:
 * callers that skip the wait for ACTIVE meet ResourceNotFoundException here too. Short enough
 * that tests creating tables stay fast.
 */
export const DEFAULT_TABLE_CREATING_MS = 500;

function tablesOf(operation: string, input: Record<string, unknown>, statements: PartiQLStatement[]): string[] {
  if (operation === 'BatchGetItem' || operation === 'BatchWriteItem') {
    const items = input.RequestItems;
    return items && typeof items === 'object' ? Object.keys(items) : [];
  }
  if (operation === 'TransactWriteItems' || operation === 'TransactGetItems') {
    const items = Array.isArray(input.TransactItems) ? (input.TransactItems as Array<Record<string, Record<string, unknown> | undefined>>) : [];
    return items.flatMap((i) => Object.values(i ?? {}).map((part) => String(part?.TableName ?? '')));
  }
  if (statements.length) return statements.map((s) => s.table);
  return typeof input.TableName === 'string' ? [input.TableName] : [];
}

function statementCount(operation: string, input: Record<string, unknown>): void {
  const list = operation === 'BatchExecuteStatement' ? input.Statements : operation === 'ExecuteTransaction' ? input.TransactStatements : [input];
  const max = operation === 'BatchExecuteStatement' ? 25 : 100;
  const field = operation === 'BatchExecuteStatement' ? 'statements' : 'transactStatements';
  if (!Array.isArray(list))
    throw new SandboxError(
      'ValidationException',
      `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`,
      400,
    );
  if (list.length < 1 || list.length > max) {
    throw new SandboxError(
      'ValidationException',
      `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must have length between 1 and ${max}`,
      400,
    );
  }
}

export async function createDynamoService(ctx: SandboxContext, opts: DynamoServiceOptions): Promise<JsonService> {
  const engine = await openEngine({
    dataDir: opts.dataDir,
    accountId: ctx.accountId,
    region: ctx.region,
    tableCreatingMs: opts.tableCreatingMs ?? DEFAULT_TABLE_CREATING_MS,
  });
  const evaluate = opts.evaluate ?? policyEvaluate;
  const ttl = () => ctx.section<TtlState>('dynamodb-ttl', () => ({ tables: {} }));
  const supported = new Set(DYNAMODB_OPERATIONS);
  const writes = new Mutex();

  async function keysFor(operation: string, input: Record<string, unknown>, statements: PartiQLStatement[]): Promise<Map<string, TableKeys | undefined>> {
    const keys = new Map<string, TableKeys | undefined>();
    for (const table of tablesOf(operation, input, statements)) keys.set(table, await engine.tableKeys(table));
    return keys;
  }

  async function checkAccess(operation: string, input: Record<string, unknown>, caller: Caller, statements: PartiQLStatement[] = []): Promise<void> {
    if (caller.kind !== 'session') return;
    const keys = await keysFor(operation, input, statements);
    const checks = deriveChecks(operation, input, { region: ctx.region, accountId: ctx.accountId, keysOf: (t) => keys.get(t) });
    authorize(caller, checks, ctx, evaluate, opts.onDecision);
  }

  async function partiql(operation: string, input: Record<string, unknown>, caller: Caller): Promise<unknown> {
    let statements: PartiQLStatement[];
    try {
      if (operation !== 'ExecuteStatement') statementCount(operation, input);
      statements = statementsOf(operation, input);
    } catch (err) {
      throw partiqlError(err);
    }
    await checkAccess(operation, input, caller, statements);
    const keys = await keysFor(operation, input, statements);
    const planned = statements.map((st) => planStatement(st, keys.get(st.table), input.ConsistentRead === true));
    if (operation === 'ExecuteStatement') return runStatement(engine, writes, planned[0]!, input);
    if (operation === 'BatchExecuteStatement') return runBatch(engine, writes, planned);
    const tx = transactionOf(planned);
    if (tx.operation === 'TransactGetItems') return transactGetItems(engine, writes, tx.input);
    await transactWriteItems(engine, writes, tx.input);
    return {};
  }

  return {
    async handle(operation, input, caller) {
      if (!supported.has(operation)) {
        throw new SandboxError('UnknownOperationException', `The sandbox does not implement DynamoDB ${operation}`, 400);
      }
      authenticate(caller, ctx);
      if (operation === 'UpdateTimeToLive') {
        await checkAccess(operation, input, caller);
        return updateTimeToLive(input, ttl(), engine, () => ctx.save());
      }
      if (operation === 'DescribeContinuousBackups') {
        await checkAccess(operation, input, caller);
        return describeContinuousBackups(input, engine);
      }
      if (operation === 'ExecuteStatement' || operation === 'BatchExecuteStatement' || operation === 'ExecuteTransaction')
        return partiql(operation, input, caller);
      if (operation === 'TransactWriteItems' || operation === 'TransactGetItems') {
        // Authorise first (every item), then validate and run; AWS refuses a request any item of which is denied.
        await checkAccess(operation, input, caller);
        return operation === 'TransactWriteItems' ? transactWriteItems(engine, writes, input) : transactGetItems(engine, writes, input);
      }
      const validated = engine.validate(operation, input);
      await checkAccess(operation, input, caller);
      if (ITEM_WRITES.has(operation))
        return writes.run(() => (operation === 'BatchWriteItem' ? engine.execute(operation, validated) : writeItem(engine, operation, input, validated)));
      if (operation === 'DescribeTimeToLive') {
        await engine.execute(operation, validated); // ResourceNotFoundException for a missing table
        return describeTimeToLive(input, ttl());
      }
      const output = await engine.execute(operation, validated);
      if (operation === 'CreateTable' || operation === 'DeleteTable') {
        const state = ttl();
        const table = input.TableName as string;
        if (state.tables[table]) {
          delete state.tables[table];
          ctx.save();
        }
      }
      return output;
    },
    isMutating(operation) {
      return MUTATING.has(operation);
    },
    close() {
      return engine.close();
    },
  };
}
