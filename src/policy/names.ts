// Names, ARNs and tags every part of isoctl derives the same way from the config.
import { boundaryPolicyName, stackPath, type StackConfig } from '../config/schema.js';
import { roleName } from '../config/tenant-id.js';

/** Name of the one inline data-access policy of a tenant role. */
export const INLINE_POLICY_NAME = 'isoctl-data';

export const TAG_STACK = 'isoctl:stack';
export const TAG_TENANT = 'isoctl:tenant';
/**
 * The principal tag that pins a session to its tenant: the role's own tag in role mode, the
 * session tag the identity pool sets from the tenant claim in ABAC mode. No ':' in it: AWS
 * documents `${aws:PrincipalTag/tag-key}` variables only with keys without ':' (docs/security.md).
 */
export const TENANT_PIN_TAG = 'isoctl-tenant';
export const TAG_MANAGED_BY = 'isoctl:managed-by';
/** Role tag recording the scopes a tenant was created with (set by `tenant create`). */
export const TAG_SCOPES = 'isoctl:scopes';
export const MANAGED_BY_VALUE = 'isoctl';
/** Session tag carrying the signed-in user's `sub` under granularity `user` (second seed). */
export const USER_ID_TAG = 'userid';
export const COGNITO_IDENTITY_PRINCIPAL = 'cognito-identity.amazonaws.com';

/** The ARN partition of a region: aws, aws-cn or aws-us-gov. */
export function arnPartition(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

export function tenantRoleName(config: StackConfig, tenant: string): string {
  return roleName(config.stack, tenant);
}

export function tenantRolePath(config: StackConfig): string {
  return stackPath(config.stack);
}

export function tenantRoleArn(config: StackConfig, tenant: string): string {
  return `arn:${arnPartition(config.region)}:iam::${config.accountId}:role${stackPath(config.stack)}${tenantRoleName(config, tenant)}`;
}

/** ARN pattern of roles on paths below the stack path (`*` in an ARN also matches `/`): denied in the operator policy. */
export function deeperPathRolesArnPattern(config: StackConfig): string {
  return `${stackRolesArnPattern(config)}/*`;
}

/** ARN pattern of every role of the stack (for the operator policy). */
export function stackRolesArnPattern(config: StackConfig): string {
  return `arn:${arnPartition(config.region)}:iam::${config.accountId}:role${stackPath(config.stack)}*`;
}

export function boundaryPolicyArn(config: StackConfig): string {
  return `arn:${arnPartition(config.region)}:iam::${config.accountId}:policy${stackPath(config.stack)}${boundaryPolicyName(config.stack)}`;
}

export function tenantTags(config: StackConfig, tenant: string): Array<{ Key: string; Value: string }> {
  return [
    { Key: TAG_MANAGED_BY, Value: MANAGED_BY_VALUE },
    { Key: TAG_STACK, Value: config.stack },
    { Key: TAG_TENANT, Value: tenant },
    { Key: TENANT_PIN_TAG, Value: tenant },
  ].sort((a, b) => (a.Key < b.Key ? -1 : a.Key > b.Key ? 1 : 0));
}

export function tableArn(config: StackConfig, table: string): string {
  return `arn:${arnPartition(config.region)}:dynamodb:${config.region}:${config.accountId}:table/${table}`;
}

export function bucketArn(config: StackConfig, bucket: string): string {
  return `arn:${arnPartition(config.region)}:s3:::${bucket}`;
}

/** The physical table name of a table config for a tenant (silo: `<name>-<tenant>`). */
export function tenantTableName(table: { name: string; model: 'pooled' | 'silo' }, tenant: string): string {
  return table.model === 'silo' ? `${table.name}-${tenant}` : table.name;
}

/** The object-key prefix of a tenant in a bucket (the template with `{tenant}` substituted). */
export function tenantPrefix(bucket: { prefix: string }, tenant: string): string {
  return bucket.prefix.split('{tenant}').join(tenant);
}

export function userPoolArn(config: StackConfig): string {
  return `arn:${arnPartition(config.region)}:cognito-idp:${config.region}:${config.accountId}:userpool/${config.userPoolId}`;
}

export function identityPoolArn(config: StackConfig): string {
  return `arn:${arnPartition(config.region)}:cognito-identity:${config.region}:${config.accountId}:identitypool/${config.identityPoolId}`;
}

/** ABAC's spilled deny lists: customer managed policies `isoctl-<stack>-deny-list-<n>` (src/policy/deny-list.ts). */
export function denyListPolicyPrefix(stack: string): string {
  return `isoctl-${stack}-deny-list-`;
}
/** The ARN pattern of every deny-list managed policy of the stack (exactly at the stack path). */
export function denyListPolicyArnPattern(config: { stack: string; region: string; accountId: string }): string {
  return `arn:${arnPartition(config.region)}:iam::${config.accountId}:policy${stackPath(config.stack)}${denyListPolicyPrefix(config.stack)}*`;
}
