// UpdateTimeToLive / DescribeTimeToLive: dynalite has no TTL, so the specification is kept in
// the sandbox state. Expired items are not deleted (AWS deletes them within days, not on time).
import { SandboxError } from '../contract.js';

export interface TtlState {
  tables: Record<string, { attributeName: string; enabled: boolean }>;
}

function validationError(message: string): SandboxError {
  return new SandboxError('ValidationException', message, 400);
}

function checkTableName(name: unknown): string {
  if (typeof name !== 'string')
    throw validationError("1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null");
  if (name.length < 3 || name.length > 255 || !/^[a-zA-Z0-9_.-]+$/.test(name)) {
    throw validationError(
      `1 validation error detected: Value '${name}' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length between 3 and 255`,
    );
  }
  return name;
}

export async function updateTimeToLive(
  input: Record<string, unknown>,
  state: TtlState,
  engine: { tableExists(name: string): Promise<boolean> },
  save: () => void,
): Promise<unknown> {
  const table = checkTableName(input.TableName);
  const spec = input.TimeToLiveSpecification as { Enabled?: unknown; AttributeName?: unknown } | undefined;
  if (!spec || typeof spec !== 'object') {
    throw validationError("1 validation error detected: Value null at 'timeToLiveSpecification' failed to satisfy constraint: Member must not be null");
  }
  if (typeof spec.Enabled !== 'boolean') {
    throw validationError("1 validation error detected: Value null at 'timeToLiveSpecification.enabled' failed to satisfy constraint: Member must not be null");
  }
  if (typeof spec.AttributeName !== 'string' || spec.AttributeName.length < 1 || spec.AttributeName.length > 255) {
    throw validationError(
      "1 validation error detected: Value at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must have length between 1 and 255",
    );
  }
  if (!(await engine.tableExists(table))) {
    throw new SandboxError('ResourceNotFoundException', `Requested resource not found: Table: ${table} not found`, 400);
  }
  const current = state.tables[table];
  if (spec.Enabled && current?.enabled) throw validationError('TimeToLive is already enabled');
  if (!spec.Enabled && !current?.enabled) throw validationError('TimeToLive is already disabled');
  if (!spec.Enabled && current && current.attributeName !== spec.AttributeName) {
    throw validationError(`TimeToLive attribute name does not match the current attribute name: ${current.attributeName}`);
  }
  state.tables[table] = { attributeName: spec.AttributeName, enabled: spec.Enabled };
  save();
  return { TimeToLiveSpecification: { Enabled: spec.Enabled, AttributeName: spec.AttributeName } };
}

export function describeTimeToLive(input: Record<string, unknown>, state: TtlState): unknown {
  const current = state.tables[input.TableName as string];
  if (!current?.enabled) return { TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } };
  return { TimeToLiveDescription: { TimeToLiveStatus: 'ENABLED', AttributeName: current.attributeName } };
}
