// The documents isoctl deploys: the trust policy, a tenant's inline data-access policy, the
// stack's permissions boundary (the operator's and the admin step's are in ./operator-policy.ts). Pure functions of
// the config; the same input always gives the same document, key for key.
import { stackPath, type BucketConfig, type StackConfig, type TableConfig } from '../config/schema.js';
import { PolicyError } from './errors.js';
import { DDB_INDEX_READ, dynamoActionKind, s3ActionKind, serviceOf, uniqueSorted } from './actions.js';
import {
  COGNITO_IDENTITY_PRINCIPAL,
  INLINE_POLICY_NAME,
  TENANT_PIN_TAG,
  USER_ID_TAG,
  boundaryPolicyArn,
  bucketArn,
  tableArn,
  tenantPrefix,
  tenantRoleArn,
  tenantRoleName,
  tenantTableName,
  tenantTags,
} from './names.js';
import { grantedIndexes } from './indexes.js';
import type { ConditionBlock, PolicyDocument, PolicyStatement } from './types.js';

const VERSION = '2012-10-17' as const;

/**
 * The policy variable for "this session's tenant": the role's own tag in role mode, the session
 * tag mapped from the tenant claim in ABAC mode. The key has no ':' (see TENANT_PIN_TAG).
 */
export const TENANT_TAG_VARIABLE = `\${aws:PrincipalTag/${TENANT_PIN_TAG}}`;
export const USER_ID_VARIABLE = `\${aws:PrincipalTag/${USER_ID_TAG}}`;
/** Session tags Cognito may set on a tenant role session; nothing else (never isoctl:*). */
export const ALLOWED_SESSION_TAG_KEYS = [USER_ID_TAG];

/** Whether tenant roles of this stack take session (principal) tags from the identity pool. */
export function usesSessionTags(config: StackConfig): boolean {
  return config.granularity === 'user';
}

/** The scopes a tenant gets: the ones asked for, or all configured scopes. Unknown names are a usage error. */
export function resolveScopes(config: StackConfig, scopes?: string[]): string[] {
  const configured = Object.keys(config.scopes).sort();
  if (scopes === undefined || scopes.length === 0) return configured;
  const unknown = scopes.filter((s) => !(s in config.scopes));
  if (unknown.length > 0)
    throw new PolicyError(
      `unknown scope${unknown.length > 1 ? 's' : ''} ${unknown.map((s) => JSON.stringify(s)).join(', ')}; the config defines ${configured.map((s) => JSON.stringify(s)).join(', ')}`,
      'invalid-input',
      'unknown_scope',
    );
  return uniqueSorted(scopes);
}

export function scopeActions(config: StackConfig, scopes: string[]): string[] {
  return uniqueSorted(scopes.flatMap((s) => config.scopes[s] ?? []));
}

// ---------------------------------------------------------------------------------------------
// Trust policy

function cognitoConditions(config: StackConfig): ConditionBlock {
  return {
    StringEquals: { [`${COGNITO_IDENTITY_PRINCIPAL}:aud`]: config.identityPoolId },
    'ForAnyValue:StringLike': { [`${COGNITO_IDENTITY_PRINCIPAL}:amr`]: 'authenticated' },
  };
}

export function buildTrustPolicy(config: StackConfig): PolicyDocument {
  const statements: PolicyStatement[] = [
    {
      Sid: 'CognitoAuthenticated',
      Effect: 'Allow',
      Principal: { Federated: COGNITO_IDENTITY_PRINCIPAL },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: cognitoConditions(config),
    },
  ];
  if (usesSessionTags(config)) {
    // The identity pool sets the `userid` session tag from the token's `sub`. Only that key:
    // a session tag named isoctl-tenant would override the role's own tag the boundary trusts.
    statements.push({
      Sid: 'CognitoSessionTags',
      Effect: 'Allow',
      Principal: { Federated: COGNITO_IDENTITY_PRINCIPAL },
      Action: 'sts:TagSession',
      Condition: {
        ...cognitoConditions(config),
        'ForAllValues:StringEquals': { 'aws:TagKeys': ALLOWED_SESSION_TAG_KEYS },
        Null: { 'aws:TagKeys': 'false' },
      },
    });
  }
  return { Version: VERSION, Statement: statements };
}

// ---------------------------------------------------------------------------------------------
// Data access (inline policy per tenant) and the boundary share one statement builder: the
// boundary is the same shape with the tenant replaced by the role's own tenant tag.

function sidPart(name: string): string {
  const words = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('') || 'X';
}

function sidNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const base = sidPart(n);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    return count === 0 ? base : `${base}${count + 1}`;
  });
}

interface StatementInput {
  /** What stands for the tenant in ARNs and conditions: the id, or the boundary's tag variable. */
  tenant: string;
  actions: string[];
}

function leadingKeysValue(config: StackConfig, table: TableConfig, tenant: string): string | undefined {
  if (config.granularity === 'user') return USER_ID_VARIABLE;
  return table.model === 'pooled' ? tenant : undefined;
}

/** Statements for one table. Pooled (or per-user) statements never contain Scan or table-level actions. */
function tableStatements(config: StackConfig, table: TableConfig, sid: string, input: StatementInput): PolicyStatement[] {
  const physical = tenantTableName(table, input.tenant);
  const arn = tableArn(config, physical);
  const leadingKey = leadingKeysValue(config, table, input.tenant);
  const partitioned = leadingKey !== undefined;
  const dynamo = input.actions.filter((a) => serviceOf(a) === 'dynamodb');
  const reads = dynamo.filter((a) => dynamoActionKind(a) === 'read' || (!partitioned && dynamoActionKind(a) === 'scan'));
  const writes = dynamo.filter((a) => dynamoActionKind(a) === 'write');
  const tableLevel = partitioned ? [] : dynamo.filter((a) => dynamoActionKind(a) === 'table');

  const granted = grantedIndexes(config, table);
  const indexArns = granted === '*' ? [`${arn}/index/*`] : uniqueSorted(granted).map((i) => `${arn}/index/${i}`);
  const attributes = table.attributes ? uniqueSorted([table.partitionKey, ...(table.sortKey ? [table.sortKey] : []), ...table.attributes]) : undefined;

  const conditionsFor = (kind: 'read' | 'write'): ConditionBlock | undefined => {
    const forAll: Record<string, string[]> = {};
    const notNull: Record<string, string> = {};
    const ifExists: Record<string, string | string[]> = {};
    if (leadingKey !== undefined) {
      forAll['dynamodb:LeadingKeys'] = [leadingKey];
      notNull['dynamodb:LeadingKeys'] = 'false';
    }
    if (attributes) {
      forAll['dynamodb:Attributes'] = attributes;
      notNull['dynamodb:Attributes'] = 'false';
      if (kind === 'read') ifExists['dynamodb:Select'] = 'SPECIFIC_ATTRIBUTES';
      else ifExists['dynamodb:ReturnValues'] = ['NONE', 'UPDATED_NEW', 'UPDATED_OLD'];
    }
    const block: ConditionBlock = {};
    if (Object.keys(forAll).length > 0) block['ForAllValues:StringEquals'] = forAll;
    if (Object.keys(notNull).length > 0) block.Null = notNull;
    if (Object.keys(ifExists).length > 0) block.StringEqualsIfExists = ifExists;
    return Object.keys(block).length > 0 ? block : undefined;
  };

  const out: PolicyStatement[] = [];
  if (reads.length > 0) {
    const touchesIndex = reads.some((a) => DDB_INDEX_READ.has(a.slice(a.indexOf(':') + 1).toLowerCase()));
    const st: PolicyStatement = {
      Sid: `Read${sid}`,
      Effect: 'Allow',
      Action: reads,
      Resource: touchesIndex && indexArns.length > 0 ? [arn, ...indexArns] : arn,
    };
    const c = conditionsFor('read');
    if (c) st.Condition = c;
    out.push(st);
  }
  if (writes.length > 0) {
    const st: PolicyStatement = { Sid: `Write${sid}`, Effect: 'Allow', Action: writes, Resource: arn };
    const c = conditionsFor('write');
    if (c) st.Condition = c;
    out.push(st);
  }
  if (tableLevel.length > 0) out.push({ Sid: `Table${sid}`, Effect: 'Allow', Action: tableLevel, Resource: arn });
  return out;
}

function bucketStatements(config: StackConfig, bucket: BucketConfig, sid: string, input: StatementInput): PolicyStatement[] {
  const s3 = input.actions.filter((a) => serviceOf(a) === 's3');
  const prefix = tenantPrefix(bucket, input.tenant);
  const objects = `${bucketArn(config, bucket.name)}/${prefix}*`;
  const out: PolicyStatement[] = [];
  const reads = s3.filter((a) => s3ActionKind(a) === 'object-read');
  const writes = s3.filter((a) => s3ActionKind(a) === 'object-write');
  const lists = s3.filter((a) => s3ActionKind(a) === 'list');
  if (lists.length > 0)
    out.push({
      Sid: `List${sid}`,
      Effect: 'Allow',
      Action: lists,
      Resource: bucketArn(config, bucket.name),
      Condition: { StringLike: { 's3:prefix': [`${prefix}*`] } },
    });
  if (reads.length > 0) out.push({ Sid: `ReadObjects${sid}`, Effect: 'Allow', Action: reads, Resource: objects });
  if (writes.length > 0) out.push({ Sid: `WriteObjects${sid}`, Effect: 'Allow', Action: writes, Resource: objects });
  return out;
}

function dataStatements(config: StackConfig, input: StatementInput): PolicyStatement[] {
  const tableSids = sidNames(config.tables.map((t) => t.name));
  const bucketSids = sidNames(config.buckets.map((b) => b.name));
  return [
    ...config.tables.flatMap((t, i) => tableStatements(config, t, tableSids[i] ?? String(i), input)),
    ...config.buckets.flatMap((b, i) => bucketStatements(config, b, `Bucket${bucketSids[i] ?? String(i)}`, input)),
  ];
}

/**
 * The inline policy of an ABAC scope role: the scope's actions on the partitions, silo tables and
 * prefixes of whatever tenant the session's principal tag names (no tenant id in the document).
 */
export function buildScopeDataPolicy(config: StackConfig, scope: string): PolicyDocument {
  const actions = scopeActions(config, resolveScopes(config, [scope]));
  return { Version: VERSION, Statement: dataStatements(config, { tenant: TENANT_TAG_VARIABLE, actions }) };
}

/** The tenant's inline policy: its own partitions, tables, attributes and prefixes, for the given scopes (default: all). */
export function buildDataPolicy(config: StackConfig, tenant: string, scopes?: string[]): PolicyDocument {
  const actions = scopeActions(config, resolveScopes(config, scopes));
  return { Version: VERSION, Statement: dataStatements(config, { tenant, actions }) };
}

/**
 * The stack's permissions boundary: the most any tenant role may ever do. It names no tenant:
 * `${aws:PrincipalTag/isoctl-tenant}` is the role's own tag, which no session tag may override
 * (see the trust policy), so even a widened inline policy stays inside the role's tenant.
 */
export function buildBoundaryPolicy(config: StackConfig): PolicyDocument {
  const actions = scopeActions(config, Object.keys(config.scopes));
  return { Version: VERSION, Statement: dataStatements(config, { tenant: TENANT_TAG_VARIABLE, actions }) };
}

// ---------------------------------------------------------------------------------------------
// Operator policy: what the principal running isoctl for this stack needs, and no more.

export interface TenantRoleSpec {
  tenant: string;
  scopes: string[];
  roleName: string;
  path: string;
  arn: string;
  assumeRolePolicy: PolicyDocument;
  /** Inline policies by name: exactly one, INLINE_POLICY_NAME. */
  inlinePolicies: Record<string, PolicyDocument>;
  /** ARN of the permissions boundary; isoctl never makes a role without it. */
  permissionsBoundary: string | undefined;
  tags: Array<{ Key: string; Value: string }>;
}

export function buildTenantRole(config: StackConfig, tenant: string, scopes?: string[]): TenantRoleSpec {
  const resolved = resolveScopes(config, scopes);
  return {
    tenant,
    scopes: resolved,
    roleName: tenantRoleName(config, tenant),
    path: stackPath(config.stack),
    arn: tenantRoleArn(config, tenant),
    assumeRolePolicy: buildTrustPolicy(config),
    inlinePolicies: { [INLINE_POLICY_NAME]: buildDataPolicy(config, tenant, resolved) },
    permissionsBoundary: boundaryPolicyArn(config),
    tags: tenantTags(config, tenant),
  };
}

/** The principal-tag attribute map the identity pool needs (granularity `user`): tag `userid` <- claim `sub`. */
export function principalTagAttributeMap(config: StackConfig): Record<string, string> {
  // ABAC: the tenant pin comes from the tenant claim (only an administrator may write it).
  if (config.mapping === 'abac') return { [TENANT_PIN_TAG]: config.tenantClaim, ...(usesSessionTags(config) ? { [USER_ID_TAG]: 'sub' } : {}) };
  return usesSessionTags(config) ? { [USER_ID_TAG]: 'sub' } : {};
}

export { INLINE_POLICY_NAME };
