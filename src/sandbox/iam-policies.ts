// IAM customer managed policies and their versions, and the account summary.
import { SandboxError } from './contract.js';
import { iamUniqueId } from './ids.js';
import { fresh, latest, visible, type PolicyMeta, type PolicyRecord } from './iam-store.js';
import {
  ARN,
  MARKER,
  MAX_ITEMS,
  MAX_POLICY_VERSIONS,
  POLICY_DOCUMENT,
  POLICY_NAME,
  POLICY_PATH,
  VERSION_ID,
  cmp,
  type Handler,
  type IamKit,
} from './iam-kit.js';
import { INLINE_ROLE_POLICY_QUOTA, MANAGED_POLICY_QUOTA, TRUST_POLICY_QUOTA, policySize, validatePolicyDocument } from './policy-validate.js';
import {
  XmlMap,
  encodePolicy,
  optionalBool,
  optionalInt,
  optionalString,
  paginate,
  requiredString,
  validationError,
  type QueryParams,
  type XmlObject,
} from './query.js';

export function policyHandlers(k: IamKit): Record<string, Handler> {
  const policyXml = (rec: PolicyRecord, meta: PolicyMeta, view: 'live' | 'visible', full: boolean): XmlObject => {
    const defaultVersion = view === 'live' ? latest(rec.defaultVersion) : visible(rec.defaultVersion, k.now(), k.d.iamLag());
    return {
      PolicyName: meta.name,
      PolicyId: meta.policyId,
      Arn: meta.arn,
      Path: meta.path,
      DefaultVersionId: defaultVersion,
      AttachmentCount: k.attachmentCount(meta.arn, view),
      PermissionsBoundaryUsageCount: k.boundaryUsage(meta.arn, view),
      IsAttachable: true,
      Description: full ? meta.description : undefined,
      CreateDate: new Date(meta.createdAt),
      UpdateDate: new Date(rec.updatedAt),
      Tags: full && meta.tags.length > 0 ? meta.tags.map((t) => ({ Key: t.Key, Value: t.Value })) : undefined,
    };
  };

  const checkManagedDocument = (doc: string): void => {
    validatePolicyDocument(doc, 'identity');
    if (policySize(doc) > MANAGED_POLICY_QUOTA) throw new SandboxError('LimitExceeded', `Cannot exceed quota for PolicySize: ${MANAGED_POLICY_QUOTA}`, 409);
  };

  const createPolicy = (p: QueryParams): XmlObject => {
    const name = requiredString(p, 'PolicyName', POLICY_NAME);
    const path = optionalString(p, 'Path', POLICY_PATH) ?? '/';
    const doc = requiredString(p, 'PolicyDocument', POLICY_DOCUMENT);
    const description = optionalString(p, 'Description', { max: 1000 });
    const tags = k.parseTags(p);
    checkManagedDocument(doc);
    k.collectGarbage();
    const key = name.toLowerCase();
    const existing = k.state.policies[key];
    if (latest(existing?.meta)) throw new SandboxError('EntityAlreadyExists', `A policy called ${name} already exists. Duplicate names are not allowed.`, 409);
    const now = k.now();
    const meta: PolicyMeta = {
      name,
      path,
      arn: `arn:aws:iam::${k.d.accountId}:policy${path}${name}`,
      policyId: iamUniqueId('ANPA'),
      createdAt: now,
      description,
      tags,
    };
    let rec: PolicyRecord;
    if (existing) {
      rec = existing;
      for (const v of Object.values(rec.versions)) v.deletedAt ??= now;
      rec.versions.v1 = { document: doc, createdAt: now };
      rec.nextVersion = 2;
      rec.updatedAt = now;
      k.put(rec.meta, meta);
      k.put(rec.defaultVersion, 'v1');
    } else {
      rec = { meta: fresh(meta, now), defaultVersion: fresh('v1', now), versions: { v1: { document: doc, createdAt: now } }, nextVersion: 2, updatedAt: now };
      k.state.policies[key] = rec;
    }
    return { Policy: policyXml(rec, meta, 'live', true) };
  };

  const getPolicy = (p: QueryParams): XmlObject => {
    const arn = requiredString(p, 'PolicyArn', ARN);
    const { rec, meta } = k.policyByArn(arn, 'visible');
    return { Policy: policyXml(rec, meta, 'visible', true) };
  };

  const deletePolicy = (p: QueryParams): undefined => {
    const arn = requiredString(p, 'PolicyArn', ARN);
    const { rec } = k.policyByArn(arn, 'live');
    if (k.boundaryUsage(arn, 'live') > 0 || k.attachmentCount(arn, 'live') > 0)
      throw new SandboxError('DeleteConflict', 'Cannot delete a policy attached to entities.', 409);
    const live = Object.values(rec.versions).filter((v) => v.deletedAt === undefined);
    if (live.length > 1)
      throw new SandboxError(
        'DeleteConflict',
        "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
        409,
      );
    const now = k.now();
    for (const v of live) v.deletedAt = now;
    k.put(rec.meta, null);
    k.put(rec.defaultVersion, null);
    return undefined;
  };

  const listPolicies = (p: QueryParams): XmlObject => {
    const scope = optionalString(p, 'Scope') ?? 'All';
    if (!['All', 'AWS', 'Local'].includes(scope)) throw validationError('Scope', scope, 'Member must satisfy enum value set: [All, AWS, Local]');
    const onlyAttached = optionalBool(p, 'OnlyAttached') ?? false;
    const prefix = optionalString(p, 'PathPrefix', POLICY_PATH) ?? '/';
    const usage = optionalString(p, 'PolicyUsageFilter');
    if (usage !== undefined && usage !== 'PermissionsPolicy' && usage !== 'PermissionsBoundary')
      throw validationError('PolicyUsageFilter', usage, 'Member must satisfy enum value set: [PermissionsPolicy, PermissionsBoundary]');
    const marker = optionalString(p, 'Marker', MARKER);
    const maxItems = optionalInt(p, 'MaxItems', ...MAX_ITEMS);
    const items: XmlObject[] = [];
    if (scope !== 'AWS') {
      for (const rec of Object.values(k.state.policies)) {
        const meta = visible(rec.meta, k.now(), k.d.iamLag());
        if (!meta || !meta.path.startsWith(prefix)) continue;
        const x = policyXml(rec, meta, 'visible', false);
        const boundaryUses = x.PermissionsBoundaryUsageCount as number;
        const attachments = x.AttachmentCount as number;
        if (usage === 'PermissionsPolicy' && attachments === 0) continue;
        if (usage === 'PermissionsBoundary' && boundaryUses === 0) continue;
        if (onlyAttached && boundaryUses === 0 && attachments === 0) continue;
        items.push(x);
      }
    }
    items.sort((a, b) => cmp(String(a.PolicyName).toLowerCase(), String(b.PolicyName).toLowerCase()));
    const page = paginate(items, (x) => String(x.PolicyName).toLowerCase(), marker, maxItems);
    return { Policies: page.page, IsTruncated: page.isTruncated, Marker: page.marker };
  };

  const getPolicyVersion = (p: QueryParams): XmlObject => {
    const arn = requiredString(p, 'PolicyArn', ARN);
    const versionId = requiredString(p, 'VersionId', VERSION_ID);
    const { rec } = k.policyByArn(arn, 'visible');
    const v = rec.versions[versionId];
    if (!v || v.deletedAt !== undefined) throw new SandboxError('NoSuchEntity', `Policy ${arn} version ${versionId} does not exist or is not attachable.`, 404);
    return {
      PolicyVersion: {
        Document: encodePolicy(v.document),
        VersionId: versionId,
        IsDefaultVersion: visible(rec.defaultVersion, k.now(), k.d.iamLag()) === versionId,
        CreateDate: new Date(v.createdAt),
      },
    };
  };

  const createPolicyVersion = (p: QueryParams): XmlObject => {
    const arn = requiredString(p, 'PolicyArn', ARN);
    const doc = requiredString(p, 'PolicyDocument', POLICY_DOCUMENT);
    const setAsDefault = optionalBool(p, 'SetAsDefault') ?? false;
    const { rec } = k.policyByArn(arn, 'live');
    checkManagedDocument(doc);
    if (Object.values(rec.versions).filter((v) => v.deletedAt === undefined).length >= MAX_POLICY_VERSIONS)
      throw new SandboxError(
        'LimitExceeded',
        `A managed policy can have up to ${MAX_POLICY_VERSIONS} versions. Before you create a new version, you must delete an existing version.`,
        409,
      );
    const now = k.now();
    const versionId = `v${rec.nextVersion}`;
    rec.nextVersion++;
    rec.versions[versionId] = { document: doc, createdAt: now };
    if (setAsDefault) {
      k.put(rec.defaultVersion, versionId);
      rec.updatedAt = now;
    }
    return { PolicyVersion: { VersionId: versionId, IsDefaultVersion: setAsDefault, CreateDate: new Date(now) } };
  };

  const deletePolicyVersion = (p: QueryParams): undefined => {
    const arn = requiredString(p, 'PolicyArn', ARN);
    const versionId = requiredString(p, 'VersionId', VERSION_ID);
    const { rec } = k.policyByArn(arn, 'live');
    const v = rec.versions[versionId];
    if (!v || v.deletedAt !== undefined) throw new SandboxError('NoSuchEntity', `Policy ${arn} version ${versionId} does not exist or is not attachable.`, 404);
    if (latest(rec.defaultVersion) === versionId) throw new SandboxError('DeleteConflict', 'Cannot delete the default version of a policy.', 409);
    v.deletedAt = k.now();
    return undefined;
  };

  const listPolicyVersions = (p: QueryParams): XmlObject => {
    const arn = requiredString(p, 'PolicyArn', ARN);
    const marker = optionalString(p, 'Marker', MARKER);
    const maxItems = optionalInt(p, 'MaxItems', ...MAX_ITEMS);
    const { rec } = k.policyByArn(arn, 'visible');
    const def = visible(rec.defaultVersion, k.now(), k.d.iamLag());
    const versions = Object.entries(rec.versions)
      .filter(([, v]) => v.deletedAt === undefined)
      .sort((a, b) => Number(b[0].slice(1)) - Number(a[0].slice(1)));
    const page = paginate(versions, ([id]) => String(1e9 - Number(id.slice(1))).padStart(10, '0'), marker, maxItems);
    return {
      Versions: page.page.map(([id, v]) => ({ VersionId: id, IsDefaultVersion: id === def, CreateDate: new Date(v.createdAt) })),
      IsTruncated: page.isTruncated,
      Marker: page.marker,
    };
  };

  // ---- account ----

  const getAccountSummary = (): XmlObject => {
    const now = k.now();
    const lag = k.d.iamLag();
    let roles = 0;
    for (const rec of Object.values(k.state.roles)) if (visible(rec.core, now, lag)) roles++;
    let policies = 0;
    let versionsInUse = 0;
    for (const rec of Object.values(k.state.policies)) {
      if (!visible(rec.meta, now, lag)) continue;
      policies++;
      versionsInUse += Object.values(rec.versions).filter((v) => v.deletedAt === undefined).length;
    }
    return {
      SummaryMap: new XmlMap([
        ['Users', Object.keys(k.users).length],
        ['UsersQuota', 5000],
        ['Groups', 0],
        ['GroupsQuota', 300],
        ['ServerCertificates', 0],
        ['ServerCertificatesQuota', 20],
        ['UserPolicySizeQuota', 2048],
        ['GroupPolicySizeQuota', 5120],
        ['GroupsPerUserQuota', 10],
        ['SigningCertificatesPerUserQuota', 2],
        ['AccessKeysPerUserQuota', 2],
        ['MFADevices', 0],
        ['MFADevicesInUse', 0],
        ['AccountMFAEnabled', 0],
        ['AccountAccessKeysPresent', 0],
        ['AccountSigningCertificatesPresent', 0],
        ['AttachedPoliciesPerGroupQuota', 10],
        ['AttachedPoliciesPerRoleQuota', 10],
        ['AttachedPoliciesPerUserQuota', 10],
        ['Policies', policies],
        ['PoliciesQuota', 1500],
        ['PolicySizeQuota', MANAGED_POLICY_QUOTA],
        ['PolicyVersionsInUse', versionsInUse],
        ['PolicyVersionsInUseQuota', 10000],
        ['VersionsPerPolicyQuota', MAX_POLICY_VERSIONS],
        ['GlobalEndpointTokenVersion', 1],
        ['AssumeRolePolicySizeQuota', TRUST_POLICY_QUOTA],
        ['InstanceProfiles', 0],
        ['InstanceProfilesQuota', 1000],
        ['Providers', 0],
        ['RolePolicySizeQuota', INLINE_ROLE_POLICY_QUOTA],
        ['Roles', roles],
        ['RolesQuota', k.d.rolesQuota],
      ]),
    };
  };

  return {
    CreatePolicy: createPolicy,
    GetPolicy: getPolicy,
    DeletePolicy: deletePolicy,
    ListPolicies: listPolicies,
    GetPolicyVersion: getPolicyVersion,
    CreatePolicyVersion: createPolicyVersion,
    DeletePolicyVersion: deletePolicyVersion,
    ListPolicyVersions: listPolicyVersions,
    GetAccountSummary: () => getAccountSummary(),
  };
}
