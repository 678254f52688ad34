// The isoctl.json schema. Every field is documented in README.md ("Config reference").
import { z } from 'zod';
import { findTemplateCollisions, maxTenantIdLength, templateParts, type NameTemplate } from './name-templates.js';

const actionName = z.string().regex(/^(dynamodb|s3):[A-Za-z]+$/, 'an action like "dynamodb:GetItem" or "s3:GetObject" (no wildcards)');

const tableName = z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/, 'a DynamoDB table name: 3-255 of A-Z a-z 0-9 _ . -');
const attributeName = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[^*?$]+$/, 'an attribute name without * ? or $');

export const tableSchema = z
  .strictObject({
    /** Pooled: the table's name. Silo: the prefix; each tenant's table is `<name>-<tenant>`. */
    name: tableName,
    partitionKey: attributeName,
    sortKey: attributeName.optional(),
    model: z.enum(['pooled', 'silo']).default('pooled'),
    /** Attributes a tenant role may read or write; omitted means every attribute. */
    attributes: z.array(attributeName).min(1).optional(),
    /**
     * Secondary indexes the tenant role may query: a name, or `{ name, partitionKey }`. For an
     * index, dynamodb:LeadingKeys is the index's partition key value, so an index is granted only
     * when its partition key is known (declared here, or read from DescribeTable) to be the table's.
     */
    indexes: z.array(z.union([tableName, z.strictObject({ name: tableName, partitionKey: attributeName })])).default([]),
  })
  .transform(({ indexes, ...rest }) => {
    const indexKeys: Record<string, string> = {};
    for (const i of indexes) if (typeof i !== 'string') indexKeys[i.name] = i.partitionKey;
    const names = indexes.map((i) => (typeof i === 'string' ? i : i.name));
    const out: typeof rest & { indexes: string[]; indexKeys?: Record<string, string> } = { ...rest, indexes: names };
    if (Object.keys(indexKeys).length > 0) out.indexKeys = indexKeys;
    return out;
  });

export const bucketSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name: 3-63 of a-z 0-9 . -'),
  /** Object key prefix of a tenant; must contain `{tenant}` and end with `/`. */
  prefix: z
    .string()
    .default('{tenant}/')
    .refine((p) => p.includes('{tenant}') && p.endsWith('/') && !/[*?$]/.test(p), {
      message: 'a prefix template containing {tenant}, ending with "/", without * ? or $',
    }),
});

export const DEFAULT_SCOPES: Record<string, string[]> = {
  read: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 's3:GetObject', 's3:ListBucket'],
  write: [
    'dynamodb:GetItem',
    'dynamodb:BatchGetItem',
    'dynamodb:Query',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:BatchWriteItem',
    's3:GetObject',
    's3:ListBucket',
    's3:PutObject',
    's3:DeleteObject',
  ],
};

export const stackConfigSchema = z
  .strictObject({
    $schema: z.string().optional(),
    /** Stack name: becomes part of IAM paths and role names. */
    stack: z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,14}[a-z0-9])?$/, '1-16 of a-z 0-9 - (no leading or trailing -)'),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region like "eu-central-1"'),
    accountId: z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id'),
    userPoolId: z.string().regex(/^[\w-]+_[0-9a-zA-Z]+$/, 'a user pool id like "eu-central-1_AbC123"'),
    userPoolClientId: z.string().regex(/^[\w+]{1,128}$/, 'an app client id'),
    identityPoolId: z.string().regex(/^[\w-]+:[0-9a-f-]+$/, 'an identity pool id like "eu-central-1:1234abcd-..."'),
    /** token: a role and group per tenant; rules: a rule per tenant; abac: a shared role per scope, the tenant from a principal tag. */
    mapping: z.enum(['token', 'rules', 'abac']).default('token'),
    granularity: z.enum(['tenant', 'user']).default('tenant'),
    /** Token claim that carries the tenant id in rules and abac modes (only an administrator may write it). */
    tenantClaim: z
      .string()
      .regex(/^[\w:.-]{1,128}$/)
      .default('custom:tenant'),
    tables: z.array(tableSchema).min(1, 'at least one table'),
    buckets: z.array(bucketSchema).default([]),
    scopes: z.record(z.string().regex(/^[a-z][a-z0-9-]{0,15}$/, 'a scope name: 1-16 of a-z 0-9 -'), z.array(actionName).min(1)).default(DEFAULT_SCOPES),
    /** Max trust policy size; accounts can raise the quota from 2,048 to 4,096. */
    trustPolicyMaxChars: z.union([z.literal(2048), z.literal(4096)]).default(2048),
    /** DynamoDB table used as a lease lock around identity-pool writes. */
    lockTable: tableName.optional(),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.tables.forEach((t, i) => {
      if (seen.has(t.name)) ctx.addIssue({ code: 'custom', path: ['tables', i, 'name'], message: `duplicate table "${t.name}"` });
      seen.add(t.name);
      if (t.attributes && !t.attributes.includes(t.partitionKey))
        ctx.addIssue({
          code: 'custom',
          path: ['tables', i, 'attributes'],
          message: `must include the partition key "${t.partitionKey}" (key attributes are always readable)`,
        });
      const indexNames = new Set<string>();
      t.indexes.forEach((name, j) => {
        if (indexNames.has(name)) ctx.addIssue({ code: 'custom', path: ['tables', i, 'indexes', j], message: `duplicate index "${name}"` });
        indexNames.add(name);
      });
      if (t.attributes && t.sortKey && !t.attributes.includes(t.sortKey))
        ctx.addIssue({ code: 'custom', path: ['tables', i, 'attributes'], message: `must include the sort key "${t.sortKey}"` });
    });
    if (Object.keys(cfg.scopes).length === 0) ctx.addIssue({ code: 'custom', path: ['scopes'], message: 'at least one scope' });
    for (const c of templateCollisionsOf(cfg))
      ctx.addIssue({
        code: 'custom',
        path: c.second.path,
        message: `${c.message}; rename one so that no tenant id can make the other's name (e.g. a silo prefix that is not followed by another table's name)`,
      });
  });

/** Resource-name templates of the config that two tenants (or two entries) can both produce. */
function templateCollisionsOf(cfg: {
  stack: string;
  lockTable?: string | undefined;
  tables: Array<{ name: string; model: 'pooled' | 'silo' }>;
  buckets: Array<{ name: string; prefix: string }>;
}) {
  const tables: NameTemplate[] = cfg.tables.map((t, i) => ({
    label: `table "${t.name}" (${t.model})`,
    parts: t.model === 'silo' ? [`${t.name}-`, null] : [t.name],
    path: ['tables', i, 'name'],
  }));
  const lock = lockTableName(cfg);
  tables.push({ label: `the lock table "${lock}"`, parts: [lock], path: ['lockTable'] });
  const byBucket = new Map<string, NameTemplate[]>();
  cfg.buckets.forEach((b, i) => {
    const list = byBucket.get(b.name) ?? [];
    list.push({ label: `bucket "${b.name}" prefix "${b.prefix}"`, parts: templateParts(b.prefix), path: ['buckets', i, 'prefix'] });
    byBucket.set(b.name, list);
  });
  // Two entries with one name are reported as duplicates already.
  return findTemplateCollisions(tables, byBucket, maxTenantIdLength(cfg.stack)).filter(
    (c) => c.kind !== 'table-name' || c.first.parts.join('') !== c.second.parts.join('') || c.first.parts.length !== c.second.parts.length,
  );
}

export type StackConfigInput = z.input<typeof stackConfigSchema>;
export type StackConfig = z.output<typeof stackConfigSchema>;
export type TableConfig = StackConfig['tables'][number];
export type MappingMode = StackConfig['mapping'];
export type BucketConfig = StackConfig['buckets'][number];

/** Derived names every part of isoctl agrees on. */
export function stackPath(stack: string): string {
  return `/isoctl/${stack}/`;
}
export function lockTableName(cfg: Pick<StackConfig, 'stack' | 'lockTable'>): string {
  return cfg.lockTable ?? `isoctl-${cfg.stack}-lock`;
}
export function boundaryPolicyName(stack: string): string {
  return `isoctl-${stack}-boundary`;
}
