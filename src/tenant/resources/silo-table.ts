// A silo table: `<table>-<tenant>`, one per tenant and silo table of the config, tagged like the
// role. It holds the tenant's data, so isoctl creates and adopts it but never deletes it.
import type { TableInfo } from '../../aws/apis.js';
import type { StackConfig } from '../../config/schema.js';
import { MANAGED_BY_VALUE, TAG_MANAGED_BY, TAG_STACK, TAG_TENANT } from '../../policy/index.js';
import type { DesiredTenant } from '../desired.js';
import type { Step } from './step.js';
import { notOwned, OWNED, type Ownership, type RemovalContext, type RemovalOutcome } from './types.js';

export const kind = 'silo-table';

export interface ObservedSiloTable {
  name: string;
  table: TableInfo | undefined;
  /** From ListTagsOfResource; undefined when the table does not exist or its tags were not read. */
  tags?: Record<string, string> | undefined;
}

/** isoctl's silo table of `tenant`: its managed-by and stack tags, and the tenant tag naming exactly this tenant. */
export function owned(config: Pick<StackConfig, 'stack'>, table: { name: string; tags: Record<string, string> | undefined }, tenant: string): Ownership {
  const tags = table.tags ?? {};
  const what = `table ${table.name}`;
  if (tags[TAG_MANAGED_BY] !== MANAGED_BY_VALUE) return notOwned(`${what} does not carry the tag ${TAG_MANAGED_BY}=${MANAGED_BY_VALUE}`);
  if (tags[TAG_STACK] !== config.stack) return notOwned(`${what} carries ${TAG_STACK}=${tags[TAG_STACK] ?? '(none)'}, not ${config.stack}`);
  if (tags[TAG_TENANT] === undefined) return notOwned(`${what} has no ${TAG_TENANT} tag: it cannot be told apart from another tenant's`);
  if (tags[TAG_TENANT] !== tenant) return notOwned(`${what} carries ${TAG_TENANT}=${tags[TAG_TENANT]}: it holds another tenant's data`);
  return OWNED;
}

export function plan(desired: DesiredTenant, observed: ObservedSiloTable[]): Step[] {
  const steps: Step[] = [];
  for (const table of desired.siloTables) {
    const seen = observed.find((s) => s.name === table.name);
    if (!seen?.table)
      steps.push({
        action: 'create-silo-table',
        service: 'dynamodb',
        target: table.name,
        reason: 'silo table does not exist',
        details: { partitionKey: table.partitionKey, sortKey: table.sortKey },
      });
  }
  return steps;
}

export const KEPT_REASON = "silo tables hold the tenant's data: isoctl never deletes them";

/** Never deletes: the table is reported kept. */
export async function remove(_ctx: RemovalContext, _item: { name: string }): Promise<RemovalOutcome> {
  return { state: 'skipped', detail: KEPT_REASON };
}
