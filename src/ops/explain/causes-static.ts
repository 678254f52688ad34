// Causes the request shows by itself, whatever the role's state: a table the stack does not have,
// a Scan of a shared table, an index not in the config, an object outside the tenant's prefix.
import { serviceOf } from '../../policy/actions.js';
import { tenantPrefix } from '../../policy/index.js';
import { cause, type Cause } from './causes.js';
import type { Analysis } from './model.js';

/** Cause ids of this family: when one holds, the counterfactuals are not run. */
export const STATIC_CAUSES = ['table-not-configured', 'scan', 'index-not-allowed', 'other-tenant-prefix'];

export function staticRequestCauses(a: Analysis): Cause[] {
  const { d, config, tenant, createTenant, isDynamo, kind, table, userGranularity, partitioned, ownKey } = a;
  const found: Cause[] = [];
  // ---- static facts of the request
  if (isDynamo && config && d.table && !table)
    found.push(
      cause(
        'table-not-configured',
        'certain',
        `table ${d.table} is not one of the stack's tables`,
        `isoctl grants tenant roles only the tables in the config (${config.tables.map((t) => (t.model === 'silo' ? `${t.name}-<tenant>` : t.name)).join(', ')}); ${d.table} is not among them${tenant ? ` for tenant ${tenant}` : ''}.`,
        {
          command: createTenant,
          action: `Use one of the stack's tables, or add ${d.table} to "tables" in isoctl.json, then run \`isoctl init\` and \`${createTenant ?? 'isoctl tenant create <id>'}\`.`,
        },
      ),
    );
  if (table && kind === 'scan' && partitioned)
    found.push(
      cause(
        'scan',
        'certain',
        `Scan on ${table.name}, a table shared by ${userGranularity ? 'users' : 'tenants'}`,
        `A Scan reads every partition, so dynamodb:LeadingKeys cannot limit it; isoctl never allows Scan on a ${userGranularity ? 'per-user' : 'pooled'} table.`,
        {
          action: `Query the tenant's partition instead: KeyConditionExpression "${table.partitionKey} = :pk" with :pk = ${JSON.stringify(ownKey ?? '<tenant id>')}.`,
        },
      ),
    );
  if (table && d.index && table.model === 'pooled' && !table.indexes.includes(d.index))
    found.push(
      cause(
        'index-not-allowed',
        'certain',
        `index ${d.index} of ${table.name} is not in the config`,
        `The tenant policy names only the indexes listed in tables[].indexes (${table.indexes.join(', ') || 'none'}).`,
        {
          command: createTenant,
          action: `Add "${d.index}" to the table's "indexes" in isoctl.json, then run \`isoctl init\` and \`${createTenant ?? 'isoctl tenant create <id>'}\`.`,
        },
      ),
    );
  if (serviceOf(d.action) === 's3' && config && tenant && d.bucket && d.objectKey !== undefined) {
    const bucket = config.buckets.find((b) => b.name === d.bucket);
    if (bucket && !d.objectKey.startsWith(tenantPrefix(bucket, tenant)))
      found.push(
        cause(
          'other-tenant-prefix',
          'certain',
          `object ${d.objectKey} is outside tenant ${tenant}'s prefix ${tenantPrefix(bucket, tenant)}`,
          `Tenant ${tenant} may reach only ${d.bucket}/${tenantPrefix(bucket, tenant)}*.`,
          {
            action: `Use keys under ${tenantPrefix(bucket, tenant)} for tenant ${tenant}.`,
          },
        ),
      );
  }
  return found;
}
