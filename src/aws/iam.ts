// IAM, narrowed to what isoctl's callers need. Pagination, URL-decoding of policy documents
// and error classification stay here; callers get plain records and AwsCallError.
import type { IAMClient } from '@aws-sdk/client-iam';
import type { AwsClients } from './clients.js';
import { stackPath } from '../config/schema.js';
import { call, decodePolicyDocument, orUndefined, tagList, tagRecord } from './call.js';

export interface RoleInfo {
  name: string;
  arn: string;
  path: string;
  roleId: string;
  createDate: string | undefined;
  description: string | undefined;
  /** Parsed trust policy. */
  trustPolicy: unknown;
  /** ARN of the permissions boundary; undefined when none (or when the listing does not say). */
  permissionsBoundaryArn: string | undefined;
  /** Tags; undefined when the call that produced this record does not return tags (AWS's ListRoles). */
  tags: Record<string, string> | undefined;
}

export interface CreateRoleInput {
  name: string;
  path: string;
  /** Serialized trust policy JSON. */
  trustPolicy: string;
  permissionsBoundaryArn: string;
  tags: Record<string, string>;
  description?: string;
}

export interface PolicyInfo {
  arn: string;
  name: string;
  path: string;
  defaultVersionId: string;
  attachmentCount: number;
  permissionsBoundaryUsageCount: number;
  tags: Record<string, string> | undefined;
}

export interface PolicyVersionInfo {
  versionId: string;
  isDefault: boolean;
  createDate: string | undefined;
}

export interface IamApi {
  /** One CreateRole call carrying path, trust policy, boundary and tags. */
  createRole(input: CreateRoleInput): Promise<RoleInfo>;
  /** undefined when the role does not exist (or is not visible yet). */
  getRole(name: string): Promise<RoleInfo | undefined>;
  /** Every role whose path is exactly `/isoctl/<stack>/` (ListRoles with PathPrefix, all pages, no per-role calls). */
  listStackRoles(stack: string, opts?: { pageSize?: number }): Promise<RoleInfo[]>;
  putRolePolicy(roleName: string, policyName: string, document: string): Promise<void>;
  /** Parsed document; undefined when the role or the policy does not exist. */
  getRolePolicy(roleName: string, policyName: string): Promise<unknown>;
  listRolePolicies(roleName: string): Promise<string[]>;
  /** false when it was already gone. */
  deleteRolePolicy(roleName: string, policyName: string): Promise<boolean>;
  /** false when it was already gone. */
  deleteRole(roleName: string): Promise<boolean>;
  tagRole(roleName: string, tags: Record<string, string>): Promise<void>;
  untagRole(roleName: string, keys: string[]): Promise<void>;
  listRoleTags(roleName: string): Promise<Record<string, string>>;
  updateAssumeRolePolicy(roleName: string, document: string): Promise<void>;
  putRolePermissionsBoundary(roleName: string, boundaryArn: string): Promise<void>;
  createPolicy(input: { name: string; path: string; document: string; description?: string; tags: Record<string, string> }): Promise<PolicyInfo>;
  getPolicy(arn: string): Promise<PolicyInfo | undefined>;
  /** Parsed document of one version. */
  getPolicyVersion(arn: string, versionId: string): Promise<unknown>;
  listPolicyVersions(arn: string): Promise<PolicyVersionInfo[]>;
  deletePolicyVersion(arn: string, versionId: string): Promise<void>;
  /** DeletePolicy (its non-default versions must be gone first); false when it does not exist. */
  deletePolicy(arn: string): Promise<boolean>;
  /**
   * Makes `document` the new default version. IAM keeps at most 5 versions: when 5 exist, the
   * oldest non-default one is deleted first. Returns the new version id and the pruned one.
   */
  createPolicyVersion(arn: string, document: string): Promise<{ versionId: string; pruned: string | undefined }>;
  /** ARNs of the managed policies attached to a role (all pages). */
  listAttachedRolePolicies(roleName: string): Promise<string[]>;
  /** false when the policy was not attached or the role is gone. Never deletes the policy itself. */
  detachRolePolicy(roleName: string, policyArn: string): Promise<boolean>;
  /** AttachRolePolicy (attaching twice is a no-op on IAM). */
  attachRolePolicy(roleName: string, policyArn: string): Promise<void>;
  /** SimulatePrincipalPolicy (all pages): each action on each resource, judged against the principal's identity policies and boundary. */
  simulatePrincipalPolicy(input: SimulateInput): Promise<SimulationResult[]>;
}

export interface SimulateInput {
  /** A user's or role's ARN (not an STS session ARN). */
  principalArn: string;
  actions: string[];
  /** Default "*". */
  resources?: string[] | undefined;
  /** Context keys: a string, or a list for multi-valued keys. */
  context?: Record<string, string | string[]> | undefined;
}

export interface SimulationResult {
  action: string;
  resource: string;
  decision: 'allowed' | 'explicitDeny' | 'implicitDeny';
  /** Policies whose statements decided it (SourcePolicyId). */
  matchedPolicies: string[];
  missingContextValues: string[];
}

/** IAM allows at most this many versions of a managed policy. */
export const MAX_POLICY_VERSIONS = 5;

export function iamApi(clients: AwsClients): IamApi {
  let sdkP: Promise<[typeof import('@aws-sdk/client-iam'), IAMClient]> | undefined;
  const sdk = () => (sdkP ??= Promise.all([import('@aws-sdk/client-iam'), clients.iam()]));
  const run = async <T>(operation: string, fn: (m: typeof import('@aws-sdk/client-iam'), c: IAMClient) => Promise<T>): Promise<T> => {
    const [m, c] = await sdk();
    return call('iam', operation, () => fn(m, c));
  };

  type SdkRole = import('@aws-sdk/client-iam').Role;
  const toRole = (r: SdkRole | undefined): RoleInfo => ({
    name: r?.RoleName ?? '',
    arn: r?.Arn ?? '',
    path: r?.Path ?? '/',
    roleId: r?.RoleId ?? '',
    createDate: r?.CreateDate ? new Date(r.CreateDate).toISOString() : undefined,
    description: r?.Description,
    trustPolicy: decodePolicyDocument(r?.AssumeRolePolicyDocument),
    permissionsBoundaryArn: r?.PermissionsBoundary?.PermissionsBoundaryArn,
    tags: r?.Tags ? tagRecord(r.Tags) : undefined,
  });
  type SdkPolicy = import('@aws-sdk/client-iam').Policy;
  const toPolicy = (p: SdkPolicy | undefined): PolicyInfo => ({
    arn: p?.Arn ?? '',
    name: p?.PolicyName ?? '',
    path: p?.Path ?? '/',
    defaultVersionId: p?.DefaultVersionId ?? 'v1',
    attachmentCount: p?.AttachmentCount ?? 0,
    permissionsBoundaryUsageCount: p?.PermissionsBoundaryUsageCount ?? 0,
    tags: p?.Tags ? tagRecord(p.Tags) : undefined,
  });

  const listPolicyVersions = (arn: string) =>
    run('ListPolicyVersions', async (m, c) => {
      const out: PolicyVersionInfo[] = [];
      let marker: string | undefined;
      do {
        const res = await c.send(new m.ListPolicyVersionsCommand({ PolicyArn: arn, Marker: marker }));
        for (const v of res.Versions ?? [])
          out.push({
            versionId: v.VersionId ?? '',
            isDefault: v.IsDefaultVersion === true,
            createDate: v.CreateDate ? new Date(v.CreateDate).toISOString() : undefined,
          });
        marker = res.IsTruncated ? res.Marker : undefined;
      } while (marker);
      return out;
    });
  const deletePolicyVersion = (arn: string, versionId: string) =>
    run('DeletePolicyVersion', async (m, c) => {
      await c.send(new m.DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: versionId }));
    });

  return {
    createRole: (input) =>
      run('CreateRole', async (m, c) => {
        const res = await c.send(
          new m.CreateRoleCommand({
            RoleName: input.name,
            Path: input.path,
            AssumeRolePolicyDocument: input.trustPolicy,
            PermissionsBoundary: input.permissionsBoundaryArn,
            Tags: tagList(input.tags),
            Description: input.description,
          }),
        );
        return toRole(res.Role);
      }),
    getRole: (name) => orUndefined(run('GetRole', async (m, c) => toRole((await c.send(new m.GetRoleCommand({ RoleName: name }))).Role))),
    listStackRoles: (stack, opts) =>
      run('ListRoles', async (m, c) => {
        const pathPrefix = stackPath(stack);
        const out: RoleInfo[] = [];
        let marker: string | undefined;
        do {
          const res = await c.send(new m.ListRolesCommand({ PathPrefix: pathPrefix, Marker: marker, MaxItems: opts?.pageSize ?? 1000 }));
          // PathPrefix is a prefix: /isoctl/prod/ also matches /isoctl/prod/nested/. Only the exact path is the stack's.
          for (const r of res.Roles ?? []) if (r.Path === pathPrefix) out.push(toRole(r));
          marker = res.IsTruncated ? res.Marker : undefined;
        } while (marker);
        return out;
      }),
    putRolePolicy: (roleName, policyName, document) =>
      run('PutRolePolicy', async (m, c) => {
        await c.send(new m.PutRolePolicyCommand({ RoleName: roleName, PolicyName: policyName, PolicyDocument: document }));
      }),
    getRolePolicy: (roleName, policyName) =>
      orUndefined(
        run('GetRolePolicy', async (m, c) => {
          const res = await c.send(new m.GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }));
          return decodePolicyDocument(res.PolicyDocument);
        }),
      ),
    listRolePolicies: (roleName) =>
      run('ListRolePolicies', async (m, c) => {
        const out: string[] = [];
        let marker: string | undefined;
        do {
          const res = await c.send(new m.ListRolePoliciesCommand({ RoleName: roleName, Marker: marker }));
          out.push(...(res.PolicyNames ?? []));
          marker = res.IsTruncated ? res.Marker : undefined;
        } while (marker);
        return out;
      }),
    deleteRolePolicy: async (roleName, policyName) =>
      (await orUndefined(
        run('DeleteRolePolicy', async (m, c) => {
          await c.send(new m.DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }));
          return true;
        }),
      )) ?? false,
    deleteRole: async (roleName) =>
      (await orUndefined(
        run('DeleteRole', async (m, c) => {
          await c.send(new m.DeleteRoleCommand({ RoleName: roleName }));
          return true;
        }),
      )) ?? false,
    listAttachedRolePolicies: (roleName) =>
      run('ListAttachedRolePolicies', async (m, c) => {
        const out: string[] = [];
        let marker: string | undefined;
        do {
          const res = await c.send(new m.ListAttachedRolePoliciesCommand({ RoleName: roleName, Marker: marker }));
          for (const p of res.AttachedPolicies ?? []) if (p.PolicyArn) out.push(p.PolicyArn);
          marker = res.IsTruncated ? res.Marker : undefined;
        } while (marker);
        return out;
      }),
    detachRolePolicy: async (roleName, policyArn) =>
      (await orUndefined(
        run('DetachRolePolicy', async (m, c) => {
          await c.send(new m.DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn }));
          return true;
        }),
      )) ?? false,
    attachRolePolicy: (roleName, policyArn) =>
      run('AttachRolePolicy', async (m, c) => {
        await c.send(new m.AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn }));
      }),
    tagRole: (roleName, tags) =>
      run('TagRole', async (m, c) => {
        await c.send(new m.TagRoleCommand({ RoleName: roleName, Tags: tagList(tags) }));
      }),
    untagRole: (roleName, keys) =>
      run('UntagRole', async (m, c) => {
        await c.send(new m.UntagRoleCommand({ RoleName: roleName, TagKeys: keys }));
      }),
    listRoleTags: (roleName) =>
      run('ListRoleTags', async (m, c) => {
        const out: Record<string, string> = {};
        let marker: string | undefined;
        do {
          const res = await c.send(new m.ListRoleTagsCommand({ RoleName: roleName, Marker: marker }));
          Object.assign(out, tagRecord(res.Tags));
          marker = res.IsTruncated ? res.Marker : undefined;
        } while (marker);
        return out;
      }),
    updateAssumeRolePolicy: (roleName, document) =>
      run('UpdateAssumeRolePolicy', async (m, c) => {
        await c.send(new m.UpdateAssumeRolePolicyCommand({ RoleName: roleName, PolicyDocument: document }));
      }),
    putRolePermissionsBoundary: (roleName, boundaryArn) =>
      run('PutRolePermissionsBoundary', async (m, c) => {
        await c.send(new m.PutRolePermissionsBoundaryCommand({ RoleName: roleName, PermissionsBoundary: boundaryArn }));
      }),
    createPolicy: (input) =>
      run('CreatePolicy', async (m, c) => {
        const res = await c.send(
          new m.CreatePolicyCommand({
            PolicyName: input.name,
            Path: input.path,
            PolicyDocument: input.document,
            Description: input.description,
            Tags: tagList(input.tags),
          }),
        );
        return toPolicy(res.Policy);
      }),
    getPolicy: (arn) => orUndefined(run('GetPolicy', async (m, c) => toPolicy((await c.send(new m.GetPolicyCommand({ PolicyArn: arn }))).Policy))),
    getPolicyVersion: (arn, versionId) =>
      run('GetPolicyVersion', async (m, c) => {
        const res = await c.send(new m.GetPolicyVersionCommand({ PolicyArn: arn, VersionId: versionId }));
        return decodePolicyDocument(res.PolicyVersion?.Document);
      }),
    simulatePrincipalPolicy: (input) =>
      run('SimulatePrincipalPolicy', async (m, c) => {
        const out: SimulationResult[] = [];
        const contextEntries = Object.entries(input.context ?? {}).map(([k, v]) => ({
          ContextKeyName: k,
          ContextKeyValues: Array.isArray(v) ? v : [v],
          ContextKeyType: Array.isArray(v) ? ('stringList' as const) : ('string' as const),
        }));
        let marker: string | undefined;
        do {
          const res = await c.send(
            new m.SimulatePrincipalPolicyCommand({
              PolicySourceArn: input.principalArn,
              ActionNames: input.actions,
              ResourceArns: input.resources,
              ContextEntries: contextEntries.length > 0 ? contextEntries : undefined,
              Marker: marker,
            }),
          );
          for (const r of res.EvaluationResults ?? [])
            out.push({
              action: r.EvalActionName ?? '',
              resource: r.EvalResourceName ?? '*',
              decision: (r.EvalDecision ?? 'implicitDeny') as SimulationResult['decision'],
              matchedPolicies: (r.MatchedStatements ?? []).map((st) => st.SourcePolicyId ?? ''),
              missingContextValues: r.MissingContextValues ?? [],
            });
          marker = res.IsTruncated ? res.Marker : undefined;
        } while (marker);
        return out;
      }),
    listPolicyVersions,
    deletePolicyVersion,
    deletePolicy: async (arn) =>
      (await orUndefined(
        run('DeletePolicy', async (m, c) => {
          await c.send(new m.DeletePolicyCommand({ PolicyArn: arn }));
          return true;
        }),
      )) ?? false,
    createPolicyVersion: async (arn, document) => {
      const versions = await listPolicyVersions(arn);
      let pruned: string | undefined;
      if (versions.length >= MAX_POLICY_VERSIONS) {
        const oldest = versions
          .filter((v) => !v.isDefault)
          .sort((a, b) => (a.createDate ?? '').localeCompare(b.createDate ?? '') || versionNumber(a.versionId) - versionNumber(b.versionId))[0];
        if (oldest) {
          await deletePolicyVersion(arn, oldest.versionId);
          pruned = oldest.versionId;
        }
      }
      const versionId = await run('CreatePolicyVersion', async (m, c) => {
        const res = await c.send(new m.CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: document, SetAsDefault: true }));
        return res.PolicyVersion?.VersionId ?? '';
      });
      return { versionId, pruned };
    },
  };
}

function versionNumber(id: string): number {
  const n = Number(id.replace(/^v/, ''));
  return Number.isFinite(n) ? n : 0;
}
