// The stack's lock table `isoctl-<stack>-lock` (made by init): the identity pool's lease and the
// tenant registry's rows. Ours when it carries isoctl's managed-by and stack tags; removed only by
// the stack teardown, after every tenant is gone and the pool's mapping no longer needs the lock.
import { lockTableName, type StackConfig } from '../../config/schema.js';
import { MANAGED_BY_VALUE, TAG_MANAGED_BY, TAG_STACK } from '../../policy/index.js';
import { ALREADY_GONE, confirmGone, notOwned, OWNED, retryRemoval, type Ownership, type RemovalContext, type RemovalOutcome } from './types.js';

export const kind = 'lock-table';

/** `tags` undefined: the caller could not read them (decided again at removal). */
export function owned(config: Pick<StackConfig, 'stack'>, table: { name: string; tags: Record<string, string> | undefined }): Ownership {
  if (table.name !== lockTableName(config as StackConfig)) return notOwned(`table ${table.name} is not the lock table of stack ${config.stack}`);
  if (table.tags && (table.tags[TAG_MANAGED_BY] !== MANAGED_BY_VALUE || table.tags[TAG_STACK] !== config.stack))
    return notOwned(`table ${table.name} does not carry ${TAG_MANAGED_BY}=${MANAGED_BY_VALUE} and ${TAG_STACK}=${config.stack}`);
  return OWNED;
}

/** Re-reads the table and its tags (a table whose tags cannot be read is not deleted) and deletes it. */
export async function remove(ctx: RemovalContext): Promise<RemovalOutcome> {
  const { dynamodb } = ctx.apis;
  const name = lockTableName(ctx.config);
  const info = await retryRemoval(ctx, () => dynamodb.describeTable(name));
  if (!info) return { state: 'skipped', detail: ALREADY_GONE };
  const tags = await retryRemoval(ctx, () => dynamodb.listTableTags(info.arn));
  if (tags === undefined) return { state: 'skipped', detail: ALREADY_GONE };
  const o = owned(ctx.config, { name, tags });
  if (!o.owned) return { state: 'skipped', detail: o.reason };
  if (
    !(await retryRemoval(
      ctx,
      () => dynamodb.deleteTable(name),
      (e) => e.kind === 'conflict',
    ))
  )
    return { state: 'skipped', detail: ALREADY_GONE };
  if (ctx.confirm && !(await confirmGone(ctx, async () => (await dynamodb.describeTable(name)) !== undefined)))
    return { state: 'waiting', detail: 'deleted; DynamoDB still shows it DELETING (run again to confirm)' };
  return { state: 'removed', detail: 'the lock and the tenant registry with it' };
}
