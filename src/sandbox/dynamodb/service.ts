// The sandbox's DynamoDB (awsJson1_0): validate with the engine, authorise with IAM's evaluator
// against the caller's role as DynamoDB sees it, then execute with the engine.
import { evaluate as policyEvaluate } from '../../policy/index.js';
import { SandboxError, type Caller, type JsonService, type SandboxContext } from '../contract.js';
import { authenticate, authorize, type DecisionSink, type Evaluate } from './authorize.js';
import { deriveChecks, type TableKeys } from '../../policy/dynamodb/context-keys.js';
import { ENGINE_OPERATIONS, openEngine } from './engine.js';
import { describeTimeToLive, updateTimeToLive, type TtlState } from './ttl.js';

export const DYNAMODB_OPERATIONS: readonly string[] = [...ENGINE_OPERATIONS, 'UpdateTimeToLive'];

const MUTATING = new Set(['CreateTable', 'DeleteTable', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'UpdateTimeToLive', 'TagResource', 'UntagResource']);

export interface DynamoServiceOptions {
  /** Directory for the engine's LevelDB files; in memory when undefined. */
  dataDir: string | undefined;
  /** Overrides the IAM evaluator (tests only). */
  evaluate?: Evaluate;
  /** Receives every enforcement decision (tests re-evaluate them with iam-simulate). */
  onDecision?: DecisionSink;
}

function tablesOf(operation: string, input: Record<string, unknown>): string[] {
  if (operation === 'BatchGetItem' || operation === 'BatchWriteItem') {
    const items = input.RequestItems;
    return items && typeof items === 'object' ? Object.keys(items) : [];
  }
  return typeof input.TableName === 'string' ? [input.TableName] : [];
}

export async function createDynamoService(ctx: SandboxContext, opts: DynamoServiceOptions): Promise<JsonService> {
  const engine = await openEngine({ dataDir: opts.dataDir, accountId: ctx.accountId, region: ctx.region });
  const evaluate = opts.evaluate ?? policyEvaluate;
  const ttl = () => ctx.section<TtlState>('dynamodb-ttl', () => ({ tables: {} }));
  const supported = new Set(DYNAMODB_OPERATIONS);

  async function checkAccess(operation: string, input: Record<string, unknown>, caller: Caller): Promise<void> {
    if (caller.kind !== 'session') return;
    const keys = new Map<string, TableKeys | undefined>();
    for (const table of tablesOf(operation, input)) keys.set(table, await engine.tableKeys(table));
    const checks = deriveChecks(operation, input, { region: ctx.region, accountId: ctx.accountId, keysOf: (t) => keys.get(t) });
    authorize(caller, checks, ctx, evaluate, opts.onDecision);
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
      const validated = engine.validate(operation, input);
      await checkAccess(operation, input, caller);
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
