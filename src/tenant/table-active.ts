// A new DynamoDB table is CREATING for a while (seconds on AWS): DescribeTable says so and every
// data call on it is ResourceNotFoundException until it is ACTIVE. Whoever creates a table waits
// here, through the one retry layer on the caller's clock, before writing to it or reporting done.
import type { DynamoApi } from '../aws/dynamodb.js';
import { retry, type RetryClock } from '../aws/retry.js';
import { FailedError } from '../errors.js';
import { NotYet } from './wait.js';

export const TABLE_ACTIVE_TIMEOUT_MS = 120_000;

export async function waitForTableActive(
  ctx: RetryClock & { progress?: ((message: string) => void) | undefined },
  ddb: Pick<DynamoApi, 'describeTable'>,
  table: string,
  what = 'table',
  timeoutMs = TABLE_ACTIVE_TIMEOUT_MS,
): Promise<void> {
  let status: string | undefined;
  await retry(
    ctx,
    async () => {
      status = (await ddb.describeTable(table))?.status;
      if (status !== 'ACTIVE') throw new NotYet(`status ${status ?? 'missing'}`);
    },
    { until: ctx.now() + timeoutMs, retryOn: (err) => err instanceof NotYet, onRetry: () => ctx.progress?.(`waiting for DynamoDB to make ${table} ACTIVE`) },
  ).catch((err: unknown) => {
    if (err instanceof NotYet)
      throw new FailedError(
        `${what} ${table} is not ACTIVE after ${Math.round(timeoutMs / 1000)}s (status ${status ?? 'missing'}); run the same command again once DescribeTable shows it ACTIVE`,
        'table_not_active',
        { retryable: true },
      );
    throw err;
  });
}
