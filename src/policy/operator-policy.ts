// The operator's least-privilege policy (what isoctl's own calls need, and no more) and the
// admin step's policy (the boundary writes and the stack-wide identity-pool writes the operator
// must not hold). Pure functions of the config, like ./documents.ts.
import { lockTableName, stackPath, type StackConfig } from '../config/schema.js';
import { uniqueSorted } from './actions.js';
import {
  COGNITO_IDENTITY_PRINCIPAL,
  TAG_MANAGED_BY,
  TAG_SCOPES,
  TAG_STACK,
  TAG_TENANT,
  TENANT_PIN_TAG,
  MANAGED_BY_VALUE,
  arnPartition,
  boundaryPolicyArn,
  deeperPathRolesArnPattern,
  denyListPolicyArnPattern,
  identityPoolArn,
  stackRolesArnPattern,
  tableArn,
  tenantRoleName,
  userPoolArn,
} from './names.js';
import { principalTagAttributeMap } from './documents.js';
import { MANAGED_POLICY_CHARS, mergeStatements, splitOperatorPolicy } from './operator-split.js';
import type { PolicyDocument, PolicyStatement } from './types.js';

const VERSION = '2012-10-17' as const;

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
      // ABAC: and the deny-list policies (below), read like the boundary.
      Resource: config.mapping === 'abac' ? [boundary, denyListPolicyArnPattern(config)] : boundary,
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
      // (No iam:UpdateAssumeRolePolicy here: DenyTrustPolicyRewrites denies it on every role under
      // the stack path, deeper paths included, since `*` in an ARN matches `/`.)
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
    // ABAC: the scope roles' deny lists spill into isoctl's own managed policies once the inline
    // space is full (src/policy/deny-list.ts). Only those policies, only at the stack path; only
    // they may be attached, only to the stack's roles. The boundary still caps every attached
    // policy (and these only deny); PutRolePolicy on the same roles already lets the operator
    // write any inline document, so this widens nothing (docs/security.md row 18e).
    ...(config.mapping === 'abac' ? denyListStatements(config, roles) : []),
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
        'cognito-idp:ListUserPoolClients',
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
  // Exact merges only (./operator-split.ts): e.g. rules mode's SetIdentityPoolRoles joins the other "*" grant.
  return { Version: VERSION, Statement: mergeStatements(statements) };
}

/**
 * The operator policy as managed policies can hold it: the one document when it fits 6,144
 * characters, else numbered parts of whole statements to attach side by side (attach part 1 as
 * isoctl-<stack>-operator, part N as isoctl-<stack>-operator-N). Throws PolicyError 'over-limit'
 * when one statement alone does not fit.
 */
/** The managed policy name of part `part` (1-based) of a stack's operator policy: isoctl-<stack>-operator, then -operator-2, ... */
export function operatorPolicyName(stack: string, part = 1): string {
  return part === 1 ? `isoctl-${stack}-operator` : `isoctl-${stack}-operator-${part}`;
}

export function buildOperatorPolicyParts(config: StackConfig): PolicyDocument[] {
  return splitOperatorPolicy(buildOperatorPolicy(config), MANAGED_POLICY_CHARS);
}

// Compact: the operator policy is one managed policy (6,144 characters) and ABAC's must fit. The
// resource patterns (name and exact stack path) are the limit; the code tags what it creates and
// refuses to adopt an untagged look-alike (resources/deny-list-policy.ts). A condition on tags would
// add nothing the operator cannot already do: PutRolePolicy on the same roles writes any document.
function denyListStatements(config: StackConfig, roles: string): PolicyStatement[] {
  const policies = denyListPolicyArnPattern(config);
  return [
    {
      Sid: 'WriteDenyLists',
      Effect: 'Allow',
      Action: ['iam:CreatePolicy', 'iam:CreatePolicyVersion', 'iam:DeletePolicy', 'iam:DeletePolicyVersion', 'iam:TagPolicy'],
      Resource: policies,
    },
    {
      Sid: 'AttachDenyLists',
      Effect: 'Allow',
      Action: ['iam:AttachRolePolicy', 'iam:DetachRolePolicy'],
      Resource: roles,
      Condition: { ArnLike: { 'iam:PolicyARN': policies } },
    },
    // `*` in an ARN also matches `/`: nothing at a deeper path may pass for a deny list.
    {
      Sid: 'DenyDeeperPolicies',
      Effect: 'Deny',
      Action: 'iam:*',
      Resource: `arn:${arnPartition(config.region)}:iam::${config.accountId}:policy${stackPath(config.stack)}*/*`,
    },
  ];
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
 * oldest non-default one is deleted), and for `teardown` to delete it and the lock table. Used
 * once per stack and per scope change, never by the operator who creates tenants.
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
          'iam:DeletePolicy',
          'iam:DeletePolicyVersion',
          'iam:GetPolicy',
          'iam:GetPolicyVersion',
          'iam:ListPolicyVersions',
          'iam:TagPolicy',
        ],
        Resource: boundary,
      },
      {
        // `isoctl teardown`: the lock table (lease and tenant registry) goes with the stack; the
        // operator, who makes tenants every day, cannot delete it.
        Sid: 'TeardownLockTable',
        Effect: 'Allow',
        Action: ['dynamodb:DeleteTable', 'dynamodb:DescribeTable', 'dynamodb:ListTagsOfResource'],
        Resource: tableArn(config, lockTableName(config)),
      },
      // Token and ABAC mode: the pool's one Token mapping entry is written here, not by the operator
      // (SetIdentityPoolRoles only works on "*"; see buildOperatorPolicy).
      ...(config.mapping !== 'rules'
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
