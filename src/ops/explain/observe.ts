// Reads what explain evaluates: the role named in the message (inline policies, boundary, tags,
// CreateDate) and, for per-user stacks, the identity pool's principal-tag map. Reads only.
import type { AwsApis } from '../../aws/apis.js';
import { cognitoProviderName } from '../../aws/apis.js';
import type { StackConfig } from '../../config/schema.js';
import { denyListPolicyArn, denyListPolicyNumber, principalTagAttributeMap, tenantClaimProblems } from '../../policy/index.js';
import type { PrincipalTagMapView, RoleSnapshot } from './analyze.js';

export async function readRoleSnapshot(apis: AwsApis, roleName: string): Promise<RoleSnapshot | undefined> {
  const role = await apis.iam.getRole(roleName);
  if (!role) return undefined;
  const [names, tags, boundaryDocument] = await Promise.all([
    apis.iam.listRolePolicies(roleName),
    role.tags ? Promise.resolve(role.tags) : apis.iam.listRoleTags(roleName),
    (async () => {
      if (!role.permissionsBoundaryArn) return undefined;
      const policy = await apis.iam.getPolicy(role.permissionsBoundaryArn);
      return policy ? apis.iam.getPolicyVersion(policy.arn, policy.defaultVersionId) : undefined;
    })(),
  ]);
  const docs = await Promise.all(names.map(async (n) => [n, await apis.iam.getRolePolicy(roleName, n)] as const));
  const inlinePolicies: Record<string, unknown> = {};
  for (const [n, doc] of docs) if (doc !== undefined) inlinePolicies[n] = doc;
  return {
    name: role.name,
    arn: role.arn,
    path: role.path,
    createDate: role.createDate,
    tags,
    trustPolicy: role.trustPolicy,
    inlinePolicies,
    boundaryArn: role.permissionsBoundaryArn,
    boundaryDocument,
  };
}

export async function readPrincipalTagMap(apis: AwsApis, config: StackConfig): Promise<PrincipalTagMapView> {
  if (Object.keys(principalTagAttributeMap(config)).length === 0) return { known: false, tags: undefined };
  const map = await apis.cognitoIdentity.getPrincipalTagAttributeMap(config.identityPoolId, cognitoProviderName(config.region, config.userPoolId));
  if (!map) return { known: true, tags: undefined };
  // Cognito's default mapping for a user pool is username <- sub, client <- aud: no userid tag.
  return { known: true, tags: map.useDefaults && Object.keys(map.principalTags).length === 0 ? { username: 'sub', client: 'aud' } : map.principalTags };
}

/** ABAC: whether the app client may read the tenant claim (an ID token carries only readable attributes). */
export async function readClientReadsClaim(apis: AwsApis, config: StackConfig): Promise<boolean | undefined> {
  if (config.mapping !== 'abac') return undefined;
  const client = await apis.cognitoIdp.describeUserPoolClient(config.userPoolId, config.userPoolClientId).catch(() => undefined);
  if (!client) return undefined;
  return !tenantClaimProblems(config, client).some((p) => p.code === 'claim-unreadable');
}

/** ABAC: the stack's deny-list managed policies attached to a scope role (the inline lists' overflow), by ARN. */
export async function readManagedDenyLists(apis: AwsApis, config: StackConfig, roleName: string): Promise<Record<string, unknown> | undefined> {
  if (config.mapping !== 'abac') return undefined;
  const attached = await apis.iam.listAttachedRolePolicies(roleName).catch(() => [] as string[]);
  const out: Record<string, unknown> = {};
  for (const arn of attached) {
    const n = denyListPolicyNumber(config.stack, arn.slice(arn.lastIndexOf('/') + 1));
    if (n === undefined || arn !== denyListPolicyArn(config, n)) continue;
    const policy = await apis.iam.getPolicy(arn).catch(() => undefined);
    if (policy) out[arn] = await apis.iam.getPolicyVersion(arn, policy.defaultVersionId).catch(() => undefined);
  }
  return out;
}
