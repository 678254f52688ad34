// Which secondary indexes a tenant role may query. For a Query on an index, DynamoDB sets
// dynamodb:LeadingKeys to the value of the INDEX's partition key, not the table's
// (DynamoDB Developer Guide, "Using IAM policy conditions for fine-grained access control").
// So a LeadingKeys condition confines an index query to the tenant's rows only when the index
// is partitioned on the same attribute as the table (the tenant key, or the user key under
// granularity `user`). An index keyed on anything else (say `status`) lets tenant A query
// `status = "A"` and read every row another tenant wrote with that value: it is never granted.
import type { StackConfig, TableConfig } from '../config/schema.js';

export type IndexKeyVerdict = 'tenant-keyed' | 'other-key' | 'unknown';

/** Whether the table's rows are confined by dynamodb:LeadingKeys (pooled, or any table under granularity `user`). */
export function isPartitioned(config: Pick<StackConfig, 'granularity'>, table: Pick<TableConfig, 'model'>): boolean {
  return config.granularity === 'user' || table.model === 'pooled';
}

export function indexPartitionKey(table: Pick<TableConfig, 'indexKeys'>, index: string): string | undefined {
  return table.indexKeys?.[index];
}

export function indexKeyVerdict(table: Pick<TableConfig, 'indexKeys' | 'partitionKey'>, index: string): IndexKeyVerdict {
  const key = indexPartitionKey(table, index);
  if (key === undefined) return 'unknown';
  return key === table.partitionKey ? 'tenant-keyed' : 'other-key';
}

/**
 * Index names of `table` the data policy and the boundary may name. `*` means every index of the
 * table (a silo table under granularity `tenant`: the whole table is the tenant's).
 */
export function grantedIndexes(config: Pick<StackConfig, 'granularity'>, table: TableConfig): string[] | '*' {
  if (!isPartitioned(config, table)) return '*';
  return table.indexes.filter((i) => indexKeyVerdict(table, i) === 'tenant-keyed');
}

export interface IndexProblem {
  table: string;
  index: string;
  partitionKey: string | undefined;
  severity: 'error' | 'warning';
  message: string;
  fix: string;
}

/** Listed indexes of partitioned tables that are not (or not known to be) keyed on the tenant key. */
export function indexProblems(config: StackConfig): IndexProblem[] {
  const out: IndexProblem[] = [];
  for (const t of config.tables) {
    if (!isPartitioned(config, t)) continue;
    const what = config.granularity === 'user' ? 'the user key' : 'the tenant key';
    for (const index of t.indexes) {
      const key = indexPartitionKey(t, index);
      const verdict = indexKeyVerdict(t, index);
      if (verdict === 'other-key')
        out.push({
          table: t.name,
          index,
          partitionKey: key,
          severity: 'error',
          message: `index "${index}" of table "${t.name}" is partitioned on "${key}", not on ${what} "${t.partitionKey}": dynamodb:LeadingKeys of an index query is the index's partition key value, so a tenant could query ${key} = <its own id> and read rows other tenants wrote with that value`,
          fix: `re-key the index on "${t.partitionKey}" (e.g. partition key "${t.partitionKey}", sort key "${key}"), or remove "${index}" from tables[].indexes of "${t.name}"`,
        });
      else if (verdict === 'unknown')
        out.push({
          table: t.name,
          index,
          partitionKey: undefined,
          severity: 'warning',
          message: `the partition key of index "${index}" of table "${t.name}" is not declared, so the tenant policy does not grant it (an index keyed on anything but ${what} "${t.partitionKey}" would leak other tenants' rows)`,
          fix: `declare it: "indexes": [{ "name": "${index}", "partitionKey": "${t.partitionKey}" }] once the index is keyed on "${t.partitionKey}"`,
        });
    }
  }
  return out;
}
