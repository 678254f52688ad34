// IAM roles: create, read, list, delete, the trust policy, the permissions boundary and tags
// (and ListInstanceProfilesForRole: always none).
import { SandboxError } from './contract.js';
import { iamUniqueId } from './ids.js';
import { fresh, latest, visible, type RoleCore, type RoleRecord } from './iam-store.js';
import {
  ARN,
  MARKER,
  MAX_ITEMS,
  MAX_TAGS,
  PATH_PREFIX,
  POLICY_DOCUMENT,
  ROLE_DESCRIPTION,
  ROLE_NAME,
  ROLE_PATH,
  TAG_KEY,
  cmp,
  type Handler,
  type IamKit,
} from './iam-kit.js';
import { TRUST_POLICY_QUOTA, policySize, validatePolicyDocument } from './policy-validate.js';
import {
  checkString,
  encodePolicy,
  memberList,
  optionalInt,
  optionalString,
  paginate,
  requiredString,
  validationError,
  type QueryParams,
  type XmlObject,
} from './query.js';
import { readOnly } from './state.js';

export function roleXml(k: IamKit, rec: RoleRecord, core: RoleCore, view: 'live' | 'visible', full: boolean): XmlObject {
  const boundary = k.read(rec.boundary, view);
  const tags = k.read(rec.tags, view) ?? [];
  const out: XmlObject = {
    Path: core.path,
    RoleName: core.name,
    RoleId: core.roleId,
    Arn: core.arn,
    CreateDate: new Date(core.createdAt),
    AssumeRolePolicyDocument: encodePolicy(core.trust),
    Description: core.description,
    MaxSessionDuration: core.maxSessionDuration,
  };
  if (full) {
    if (boundary !== undefined) out.PermissionsBoundary = { PermissionsBoundaryType: 'PermissionsBoundaryPolicy', PermissionsBoundaryArn: boundary };
    if (tags.length > 0) out.Tags = tags.map((t) => ({ Key: t.Key, Value: t.Value }));
    out.RoleLastUsed = {};
  }
  return out;
}

function checkTrust(text: string): void {
  validatePolicyDocument(text, 'trust');
  if (policySize(text) > TRUST_POLICY_QUOTA) throw new SandboxError('LimitExceeded', `Cannot exceed quota for ACLSizePerRole: ${TRUST_POLICY_QUOTA}`, 409);
}

function liveRoleCount(k: IamKit): number {
  let n = 0;
  for (const rec of Object.values(readOnly(k.state.roles))) if (latest(rec.core)) n++; // plain objects: no proxy trap per role
  return n;
}

export function roleHandlers(k: IamKit): Record<string, Handler> {
  const createRole = (p: QueryParams): XmlObject => {
    const name = requiredString(p, 'RoleName', ROLE_NAME);
    const path = optionalString(p, 'Path', ROLE_PATH) ?? '/';
    const trust = requiredString(p, 'AssumeRolePolicyDocument', POLICY_DOCUMENT);
    const description = optionalString(p, 'Description', ROLE_DESCRIPTION);
    const maxSessionDuration = optionalInt(p, 'MaxSessionDuration', 3600, 43200) ?? 3600;
    const boundaryArn = optionalString(p, 'PermissionsBoundary', ARN);
    const tags = k.parseTags(p);
    checkTrust(trust);
    if (boundaryArn !== undefined) k.attachablePolicy(boundaryArn);
    k.collectGarbage();
    const key = name.toLowerCase();
    const existing = k.state.roles[key];
    if (latest(existing?.core)) throw new SandboxError('EntityAlreadyExists', `Role with name ${name} already exists.`, 409);
    if (liveRoleCount(k) >= k.d.rolesQuota) throw new SandboxError('LimitExceeded', `Cannot exceed quota for RolesPerAccount: ${k.d.rolesQuota}`, 409);
    const now = k.now();
    const core: RoleCore = {
      name,
      path,
      arn: `arn:aws:iam::${k.d.accountId}:role${path}${name}`,
      roleId: iamUniqueId('AROA'),
      createdAt: now,
      trust,
      description,
      maxSessionDuration,
    };
    let rec: RoleRecord;
    if (existing) {
      rec = existing;
      k.put(rec.core, core);
      k.put(rec.boundary, boundaryArn ?? null);
      k.put(rec.tags, tags);
      if (rec.attached) k.put(rec.attached, []);
    } else {
      rec = { core: fresh(core, now), inline: {}, boundary: fresh(boundaryArn ?? null, now), tags: fresh(tags, now), attached: fresh<string[]>([], now) };
      k.state.roles[key] = rec;
    }
    return { Role: roleXml(k, rec, core, 'live', true) };
  };

  const getRole = (p: QueryParams): XmlObject => {
    const { rec, core } = k.visibleRole(requiredString(p, 'RoleName', ROLE_NAME));
    return { Role: roleXml(k, rec, core, 'visible', true) };
  };

  const deleteRole = (p: QueryParams): undefined => {
    const { rec } = k.liveRole(requiredString(p, 'RoleName', ROLE_NAME));
    // AWS checks attached managed policies first (DeleteRole's documented order: detach, then delete inline).
    if ((latest(rec.attached) ?? []).length > 0) throw new SandboxError('DeleteConflict', 'Cannot delete entity, must detach all policies first.', 409);
    if (Object.values(rec.inline).some((v) => latest(v) !== undefined))
      throw new SandboxError('DeleteConflict', 'Cannot delete entity, must delete policies first.', 409);
    k.put(rec.core, null);
    if (latest(rec.boundary) !== undefined) k.put(rec.boundary, null);
    k.put(rec.tags, null);
    return undefined;
  };

  const listRoles = (p: QueryParams): XmlObject => {
    const prefix = optionalString(p, 'PathPrefix', PATH_PREFIX) ?? '/';
    const marker = optionalString(p, 'Marker', MARKER);
    const maxItems = optionalInt(p, 'MaxItems', ...MAX_ITEMS);
    const now = k.now();
    const lag = k.d.iamLag();
    const roles: Array<{ rec: RoleRecord; core: RoleCore }> = [];
    for (const rec of Object.values(k.state.roles)) {
      const core = visible(rec.core, now, lag);
      if (core && core.path.startsWith(prefix)) roles.push({ rec, core });
    }
    roles.sort((a, b) => cmp(a.core.name.toLowerCase(), b.core.name.toLowerCase()));
    const page = paginate(roles, (r) => r.core.name.toLowerCase(), marker, maxItems);
    return { Roles: page.page.map((r) => roleXml(k, r.rec, r.core, 'visible', false)), IsTruncated: page.isTruncated, Marker: page.marker };
  };

  const updateAssumeRolePolicy = (p: QueryParams): undefined => {
    const name = requiredString(p, 'RoleName', ROLE_NAME);
    const doc = requiredString(p, 'PolicyDocument', POLICY_DOCUMENT);
    const { rec, core } = k.liveRole(name);
    checkTrust(doc);
    k.put(rec.core, { ...core, trust: doc });
    return undefined;
  };

  const putRolePermissionsBoundary = (p: QueryParams): undefined => {
    const name = requiredString(p, 'RoleName', ROLE_NAME);
    const arn = requiredString(p, 'PermissionsBoundary', ARN);
    const { rec } = k.liveRole(name);
    k.attachablePolicy(arn);
    if (latest(rec.boundary) !== arn) k.put(rec.boundary, arn);
    return undefined;
  };

  const deleteRolePermissionsBoundary = (p: QueryParams): undefined => {
    const name = requiredString(p, 'RoleName', ROLE_NAME);
    const { rec } = k.liveRole(name);
    if (latest(rec.boundary) === undefined) throw new SandboxError('NoSuchEntity', `The role with name ${name} does not have a permissions boundary.`, 404);
    k.put(rec.boundary, null);
    return undefined;
  };

  const tagRole = (p: QueryParams): undefined => {
    const name = requiredString(p, 'RoleName', ROLE_NAME);
    if (p['Tags.member.1.Key'] === undefined && p.Tags === undefined) throw validationError('Tags', null, 'Member must not be null');
    const incoming = k.parseTags(p);
    const { rec } = k.liveRole(name);
    const tags = [...(latest(rec.tags) ?? [])];
    for (const t of incoming) {
      const i = tags.findIndex((x) => x.Key.toLowerCase() === t.Key.toLowerCase());
      if (i >= 0) tags[i] = t;
      else tags.push(t);
    }
    if (tags.length > MAX_TAGS) throw new SandboxError('LimitExceeded', `Cannot exceed quota for TagsPerRole: ${MAX_TAGS}`, 409);
    k.put(rec.tags, tags);
    return undefined;
  };

  const untagRole = (p: QueryParams): undefined => {
    const name = requiredString(p, 'RoleName', ROLE_NAME);
    const keys = memberList(p, 'TagKeys');
    if (keys.length === 0 && p.TagKeys === undefined) throw validationError('TagKeys', null, 'Member must not be null');
    keys.forEach((key, i) => checkString(`tagKeys.${i + 1}.member`, key, TAG_KEY));
    const { rec } = k.liveRole(name);
    const drop = new Set(keys.map((key) => key.toLowerCase()));
    k.put(
      rec.tags,
      (latest(rec.tags) ?? []).filter((t) => !drop.has(t.Key.toLowerCase())),
    );
    return undefined;
  };

  const listRoleTags = (p: QueryParams): XmlObject => {
    const name = requiredString(p, 'RoleName', ROLE_NAME);
    const marker = optionalString(p, 'Marker', MARKER);
    const maxItems = optionalInt(p, 'MaxItems', ...MAX_ITEMS);
    const { rec } = k.visibleRole(name);
    const tags = k.read(rec.tags, 'visible') ?? [];
    const indexed = tags.map((t, i) => ({ t, key: String(i).padStart(4, '0') }));
    const page = paginate(indexed, (x) => x.key, marker, maxItems);
    return { Tags: page.page.map(({ t }) => ({ Key: t.Key, Value: t.Value })), IsTruncated: page.isTruncated, Marker: page.marker };
  };

  // The sandbox models no instance profiles: an existing role is in none (NoSuchEntity for a
  // missing one, as AWS). Terraform's aws_iam_role lists them before DeleteRole.
  const listInstanceProfilesForRole = (p: QueryParams): XmlObject => {
    const name = requiredString(p, 'RoleName', ROLE_NAME);
    optionalString(p, 'Marker', MARKER);
    optionalInt(p, 'MaxItems', ...MAX_ITEMS);
    k.visibleRole(name);
    return { InstanceProfiles: [], IsTruncated: false };
  };

  return {
    CreateRole: createRole,
    ListInstanceProfilesForRole: listInstanceProfilesForRole,
    GetRole: getRole,
    DeleteRole: deleteRole,
    ListRoles: listRoles,
    UpdateAssumeRolePolicy: updateAssumeRolePolicy,
    PutRolePermissionsBoundary: putRolePermissionsBoundary,
    DeleteRolePermissionsBoundary: deleteRolePermissionsBoundary,
    TagRole: tagRole,
    UntagRole: untagRole,
    ListRoleTags: listRoleTags,
  };
}
