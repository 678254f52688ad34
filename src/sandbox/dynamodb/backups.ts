// DescribeContinuousBackups: the sandbox keeps no backups; it answers as AWS does for a table whose
// point-in-time recovery was never turned on (on-demand backups are always ENABLED on AWS).
// Terraform's aws_dynamodb_table reads it after every write.
import { SandboxError } from '../contract.js';

export async function describeContinuousBackups(input: Record<string, unknown>, engine: { tableExists(name: string): Promise<boolean> }): Promise<unknown> {
  const name = input.TableName;
  if (typeof name !== 'string')
    throw new SandboxError(
      'ValidationException',
      "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null",
      400,
    );
  if (name.length < 1 || name.length > 1024)
    throw new SandboxError(
      'ValidationException',
      `1 validation error detected: Value '${name}' at 'tableName' failed to satisfy constraint: Member must have length between 1 and 1024`,
      400,
    );
  if (!(await engine.tableExists(name))) throw new SandboxError('TableNotFoundException', `Table not found: ${name}`, 400);
  return { ContinuousBackupsDescription: { ContinuousBackupsStatus: 'ENABLED', PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'DISABLED' } } };
}
