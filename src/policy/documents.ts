// The documents isoctl deploys: the trust policy, a tenant's inline data-access policy, the
// stack's permissions boundary and the operator's least-privilege policy. Pure functions of
// the config; the same input always gives the same document, key for key.
import { lockTableName, stackPath, type BucketConfig, type StackConfig, type TableConfig } from '../config/schema.js';
import { PolicyError } from './errors.js';
import { DDB_INDEX_READ, dynamoActionKind, s3ActionKind, serviceOf, uniqueSorted } from './actions.js';
import {
  COGNITO_IDENTITY_PRINCIPAL,
  INLINE_POLICY_NAME,
  TAG_MANAGED_BY,
  TAG_SCOPES,
  TAG_STACK,
  TAG_TENANT,
  TENANT_PIN_TAG,
  MANAGED_BY_VALUE,
  USER_ID_TAG,
  arnPartition,
  boundaryPolicyArn,
  bucketArn,
  deeperPathRolesArnPattern,
  identityPoolArn,
  stackRolesArnPattern,
  tableArn,
  tenantPrefix,
  tenantRoleArn,
  tenantRoleName,
  tenantTableName,
  tenantTags,
  userPoolArn,
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

export function buildOperatorPolicy(config: StackConfig): PolicyDocument {
  const roles = stackRolesArnPattern(config);
  const boundary = boundaryPolicyArn(config);
  const lockArn = tableArn(config, lockTableName(config));
  const managedTags = { [`aws:ResourceTag/${TAG_MANAGED_BY}`]: MANAGED_BY_VALUE, [`aws:ResourceTag/${TAG_STACK}`]: config.stack };
  const requestTags = { [`aws:RequestTag/${TAG_MANAGED_BY}`]: MANAGED_BY_VALUE, [`aws:RequestTag/${TAG_STACK}`]: config.stack };
  const dataTables = uniqueSorted(config.tables.map((t) => (t.model === 'silo' ? tableArn(config, `${t.name}-*`) : tableArn(config, t.name))));
  const siloTables = uniqueSorted(config.tables.filter((t) => t.model === 'silo').map((t) => tableArn(config, `${t.name}-*`)));

  const statements: PolicyStatement[] = [
    {
      Sid: 'ListStackRoles',
      Effect: 'Allow',
      Action: ['iam:GetAccountSummary', 'iam:ListRoles'],
      Resource: '*',
    },
    {
      Sid: 'ReadStackRoles',
      Effect: 'Allow',
      Action: ['iam:GetRole', 'iam:GetRolePolicy', 'iam:ListAttachedRolePolicies', 'iam:ListRolePolicies', 'iam:ListRoleTags'],
      Resource: roles,
    },
    {
      // IAM authorises a read of a role that does not exist against role/<name> (no path): without
      // this, checking whether a tenant's role exists is AccessDenied instead of NoSuchEntity.
      Sid: 'ReadMissingStackRoles',
      Effect: 'Allow',
      Action: 'iam:GetRole',
      Resource: `arn:${arnPartition(config.region)}:iam::${config.accountId}:role/${tenantRoleName(config, '*')}`,
    },
    {
      Sid: 'CreateRolesWithBoundaryAndTags',
      Effect: 'Allow',
      Action: 'iam:CreateRole',
      Resource: roles,
      Condition: { StringEquals: { 'iam:PermissionsBoundary': boundary, ...requestTags } },
    },
    {
      Sid: 'TagRolesWithStackTags',
      Effect: 'Allow',
      Action: 'iam:TagRole',
      Resource: roles,
      Condition: {
        'ForAllValues:StringEquals': { 'aws:TagKeys': uniqueSorted([TAG_MANAGED_BY, TAG_SCOPES, TAG_STACK, TAG_TENANT, TENANT_PIN_TAG]) },
        Null: { 'aws:TagKeys': 'false' },
        StringEquals: requestTags,
      },
    },
    {
      // No iam:UpdateAssumeRolePolicy: its only condition key is iam:PermissionsBoundary, nothing
      // can constrain the new trust document, so it would let the operator make a tenant role
      // trust the operator itself (and read that tenant's data). Trust drift is refused instead.
      Sid: 'UpdateManagedRolesKeepingBoundary',
      Effect: 'Allow',
      Action: ['iam:PutRolePermissionsBoundary', 'iam:PutRolePolicy'],
      Resource: roles,
      Condition: { StringEquals: { 'iam:PermissionsBoundary': boundary, ...managedTags } },
    },
    {
      Sid: 'DeleteManagedRoles',
      Effect: 'Allow',
      Action: ['iam:DeleteRole', 'iam:DeleteRolePolicy', 'iam:UntagRole'],
      Resource: roles,
      Condition: { StringEquals: managedTags },
    },
    {
      Sid: 'PassRolesToCognitoOnly',
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: roles,
      Condition: { StringEquals: { 'iam:PassedToService': COGNITO_IDENTITY_PRINCIPAL } },
    },
    {
      // Read only: iam:CreatePolicy cannot constrain the document, so an operator allowed to
      // create the boundary could create it as Allow *:* before init and adopt it. The boundary
      // is written only in init's admin step (buildBoundaryAdminPolicy).
      Sid: 'ReadBoundary',
      Effect: 'Allow',
      Action: ['iam:GetPolicy', 'iam:GetPolicyVersion', 'iam:ListPolicyVersions'],
      Resource: boundary,
    },
    {
      // doctor asks IAM's policy simulator whether the caller may make every call of this policy.
      // A user simulates itself (aws:username); a role session has no variable naming its role,
      // so any role of the account: the simulator only reveals what a principal may do.
      Sid: 'SimulateOwnPermissions',
      Effect: 'Allow',
      Action: 'iam:SimulatePrincipalPolicy',
      // (User names are unique across paths, so user/*/<name> is the same user at a deeper path.)
      Resource: [
        `arn:${arnPartition(config.region)}:iam::${config.accountId}:role/*`,
        `arn:${arnPartition(config.region)}:iam::${config.accountId}:user/\${aws:username}`,
        `arn:${arnPartition(config.region)}:iam::${config.accountId}:user/*/\${aws:username}`,
      ],
    },
    {
      Sid: 'DenyRolesWithoutBoundary',
      Effect: 'Deny',
      Action: ['iam:CreateRole', 'iam:PutRolePermissionsBoundary', 'iam:PutRolePolicy'],
      Resource: roles,
      Condition: { StringNotEquals: { 'iam:PermissionsBoundary': boundary } },
    },
    {
      // The stack's roles live exactly at the stack path; `role/isoctl/<stack>/*` would also match deeper paths.
      Sid: 'DenyDeeperPaths',
      Effect: 'Deny',
      Action: [
        'iam:CreateRole',
        'iam:DeleteRole',
        'iam:DeleteRolePolicy',
        'iam:PassRole',
        'iam:PutRolePermissionsBoundary',
        'iam:PutRolePolicy',
        'iam:TagRole',
        'iam:UntagRole',
        'iam:UpdateAssumeRolePolicy',
      ],
      Resource: deeperPathRolesArnPattern(config),
    },
    {
      Sid: 'DenyBoundaryRemoval',
      Effect: 'Deny',
      Action: 'iam:DeleteRolePermissionsBoundary',
      Resource: '*',
    },
    {
      Sid: 'DenyBoundaryWrites',
      Effect: 'Deny',
      Action: BOUNDARY_WRITE_ACTIONS,
      Resource: boundary,
    },
    {
      Sid: 'DenyTrustPolicyRewrites',
      Effect: 'Deny',
      Action: 'iam:UpdateAssumeRolePolicy',
      Resource: roles,
    },
    {
      Sid: 'UserPoolGroupsAndProbeUsers',
      Effect: 'Allow',
      Action: [
        'cognito-idp:AdminAddUserToGroup',
        'cognito-idp:AdminCreateUser',
        'cognito-idp:AdminDeleteUser',
        'cognito-idp:AdminDisableUser',
        'cognito-idp:AdminGetUser',
        'cognito-idp:AdminInitiateAuth',
        'cognito-idp:AdminListGroupsForUser',
        'cognito-idp:AdminRemoveUserFromGroup',
        'cognito-idp:AdminSetUserPassword',
        'cognito-idp:AdminUpdateUserAttributes',
        'cognito-idp:AdminUserGlobalSignOut',
        'cognito-idp:CreateGroup',
        'cognito-idp:DeleteGroup',
        'cognito-idp:DescribeUserPool',
        'cognito-idp:DescribeUserPoolClient',
        'cognito-idp:GetGroup',
        'cognito-idp:ListGroups',
        'cognito-idp:ListUsers',
        'cognito-idp:ListUsersInGroup',
        'cognito-idp:UpdateGroup',
      ],
      Resource: userPoolArn(config),
    },
    {
      Sid: 'IdentityPoolMappings',
      Effect: 'Allow',
      Action: ['cognito-identity:DescribeIdentityPool', 'cognito-identity:GetIdentityPoolRoles', 'cognito-identity:GetPrincipalTagAttributeMap'],
      Resource: identityPoolArn(config),
    },
    // SetIdentityPoolRoles has no resource type and no condition key (Service Authorization
    // Reference, Amazon Cognito Identity): a statement naming the pool never applies to it, so the
    // only grant that works is Resource "*", which reaches every identity pool of the account
    // (another stack's mapping can be replaced: a denial of service, not a leak, since that pool's
    // identities cannot assume this stack's roles and PassRole bounds what can be handed out).
    // Least privilege: only rules mode needs it per tenant (one rule per tenant). In token mode
    // the one Token mapping entry is written by init's admin step, and the operator gets no
    // SetIdentityPoolRoles at all (docs/security.md row 4c).
    ...(config.mapping === 'rules'
      ? [
          {
            Sid: 'IdentityPoolRoleMappings',
            Effect: 'Allow' as const,
            Action: 'cognito-identity:SetIdentityPoolRoles',
            Resource: '*',
          },
        ]
      : []),
    {
      Sid: 'LockTable',
      Effect: 'Allow',
      Action: [
        'dynamodb:CreateTable',
        'dynamodb:DeleteItem',
        'dynamodb:DescribeTable',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Scan',
        'dynamodb:UpdateItem',
      ],
      Resource: lockArn,
    },
    {
      Sid: 'DescribeDataTables',
      Effect: 'Allow',
      Action: 'dynamodb:DescribeTable',
      Resource: dataTables.length === 1 ? (dataTables[0] as string) : dataTables,
    },
  ];
  if (siloTables.length > 0)
    statements.push({
      Sid: 'CreateSiloTables',
      Effect: 'Allow',
      Action: ['dynamodb:CreateTable', 'dynamodb:TagResource'],
      Resource: siloTables.length === 1 ? (siloTables[0] as string) : siloTables,
    });
  return { Version: VERSION, Statement: statements };
}

/** Every IAM action that writes the boundary policy: the operator is denied them, init's admin step needs them. */
export const BOUNDARY_WRITE_ACTIONS = [
  'iam:CreatePolicy',
  'iam:CreatePolicyVersion',
  'iam:DeletePolicy',
  'iam:DeletePolicyVersion',
  'iam:SetDefaultPolicyVersion',
  'iam:TagPolicy',
  'iam:UntagPolicy',
];

/**
 * What an administrator needs for init's admin step: create the stack's boundary, or publish a
 * new default version of it when the config's scopes change (IAM keeps five versions, so the
 * oldest non-default one is deleted). Used once per stack and per scope change, never by the
 * operator who creates tenants.
 */
export function buildBoundaryAdminPolicy(config: StackConfig): PolicyDocument {
  const boundary = boundaryPolicyArn(config);
  return {
    Version: VERSION,
    Statement: [
      {
        Sid: 'WriteStackBoundary',
        Effect: 'Allow',
        Action: [
          'iam:CreatePolicy',
          'iam:CreatePolicyVersion',
          'iam:DeletePolicyVersion',
          'iam:GetPolicy',
          'iam:GetPolicyVersion',
          'iam:ListPolicyVersions',
          'iam:TagPolicy',
        ],
        Resource: boundary,
      },
      // Token mode: the pool's one Token mapping entry is written here, not by the operator
      // (SetIdentityPoolRoles only works on "*"; see buildOperatorPolicy).
      ...(config.mapping === 'token'
        ? [
            {
              Sid: 'WriteTokenMapping',
              Effect: 'Allow' as const,
              Action: ['cognito-identity:GetIdentityPoolRoles', 'cognito-identity:SetIdentityPoolRoles'],
              Resource: '*',
            },
          ]
        : []),
      // The principal-tag map (granularity "user", ABAC) is written once, here: SetPrincipalTagAttributeMap
      // has no resource type (Service Authorization Reference), so only Resource "*" applies and the
      // operator policy has none of it (docs/security.md row 4c).
      ...(Object.keys(principalTagAttributeMap(config)).length > 0
        ? [
            {
              Sid: 'WritePrincipalTagMap',
              Effect: 'Allow' as const,
              Action: ['cognito-identity:GetPrincipalTagAttributeMap', 'cognito-identity:SetPrincipalTagAttributeMap'],
              Resource: '*',
            },
          ]
        : []),
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// The whole role as isoctl creates it (one CreateRole call carries trust, boundary and tags).

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
