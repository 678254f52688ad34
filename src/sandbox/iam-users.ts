// IAM users, their inline and attached policies, and their access keys. A request signed with
// a user's access key identifies that user (context.ts), and its permissions are these policies.
import { SandboxError } from './contract.js';
import { accessKeyId as newAccessKeyId, iamUniqueId, secretAccessKey } from './ids.js';
import { parsePolicyArn, type UserRecord } from './iam-store.js';
import {
  ACCESS_KEY_ID,
  ARN,
  MARKER,
  MAX_ACCESS_KEYS,
  MAX_ATTACHED_POLICIES,
  MAX_ITEMS,
  POLICY_DOCUMENT,
  POLICY_NAME,
  ROLE_PATH,
  USER_NAME,
  cmp,
  type Handler,
  type IamKit,
} from './iam-kit.js';
import { listAttached, requireAttachable } from './iam-role-policies.js';
import { policySize, validatePolicyDocument } from './policy-validate.js';
import { encodePolicy, optionalInt, optionalString, paginate, requiredString, type QueryParams, type XmlObject } from './query.js';

/** UserPolicySizeQuota: the aggregate size of a user's inline policies (GetAccountSummary). */
export const INLINE_USER_POLICY_QUOTA = 2048;

function userXml(user: UserRecord, full: boolean): XmlObject {
  const out: XmlObject = {
    Path: user.path,
    UserName: user.name,
    UserId: user.userId,
    Arn: user.arn,
    CreateDate: new Date(user.createdAt),
  };
  if (full) {
    if (user.boundary !== undefined) out.PermissionsBoundary = { PermissionsBoundaryType: 'PermissionsBoundaryPolicy', PermissionsBoundaryArn: user.boundary };
    if (user.tags.length > 0) out.Tags = user.tags.map((t) => ({ Key: t.Key, Value: t.Value }));
  }
  return out;
}

export function userHandlers(k: IamKit): Record<string, Handler> {
  const createUser = (p: QueryParams): XmlObject => {
    const name = requiredString(p, 'UserName', USER_NAME);
    const path = optionalString(p, 'Path', ROLE_PATH) ?? '/';
    const boundary = optionalString(p, 'PermissionsBoundary', ARN);
    const tags = k.parseTags(p, 'Tags', 'TagsPerUser');
    if (boundary !== undefined) k.attachablePolicy(boundary);
    if (k.users[name.toLowerCase()]) throw new SandboxError('EntityAlreadyExists', `User with name ${name} already exists.`, 409);
    const user: UserRecord = {
      name,
      path,
      arn: `arn:aws:iam::${k.d.accountId}:user${path}${name}`,
      userId: iamUniqueId('AIDA'),
      createdAt: k.now(),
      tags,
      boundary,
      inline: {},
      attached: [],
      keys: {},
    };
    k.users[name.toLowerCase()] = user;
    return { User: userXml(user, true) };
  };

  const getUser = (p: QueryParams, caller: Parameters<Handler>[1]): XmlObject => {
    const name = optionalString(p, 'UserName', USER_NAME);
    // Without UserName, GetUser describes the caller (AWS: "defaults to the user making the request").
    if (name === undefined) {
      if (caller.kind === 'user') return { User: userXml(k.user(caller.userName), true) };
      throw new SandboxError('ValidationError', 'Must specify userName when calling with non-User credentials', 400);
    }
    return { User: userXml(k.user(name), true) };
  };

  const deleteUser = (p: QueryParams): undefined => {
    const name = requiredString(p, 'UserName', USER_NAME);
    const user = k.user(name);
    // AWS refuses to delete a user that still has keys or policies (DeleteUser: "you must first remove ... ").
    if (Object.keys(user.keys).length > 0) throw new SandboxError('DeleteConflict', 'Cannot delete entity, must delete access keys first.', 409);
    if (user.attached.length > 0) throw new SandboxError('DeleteConflict', 'Cannot delete entity, must detach all policies first.', 409);
    if (Object.keys(user.inline).length > 0) throw new SandboxError('DeleteConflict', 'Cannot delete entity, must delete policies first.', 409);
    delete k.users[name.toLowerCase()];
    return undefined;
  };

  const putUserPolicy = (p: QueryParams): undefined => {
    const name = requiredString(p, 'UserName', USER_NAME);
    const policyName = requiredString(p, 'PolicyName', POLICY_NAME);
    const doc = requiredString(p, 'PolicyDocument', POLICY_DOCUMENT);
    const user = k.user(name);
    validatePolicyDocument(doc, 'identity');
    let total = policySize(doc);
    for (const [other, text] of Object.entries(user.inline)) if (other !== policyName) total += policySize(text);
    if (total > INLINE_USER_POLICY_QUOTA)
      throw new SandboxError('LimitExceeded', `Maximum policy size of ${INLINE_USER_POLICY_QUOTA} bytes exceeded for user ${user.name}`, 409);
    user.inline[policyName] = doc;
    return undefined;
  };

  const getUserPolicy = (p: QueryParams): XmlObject => {
    const name = requiredString(p, 'UserName', USER_NAME);
    const policyName = requiredString(p, 'PolicyName', POLICY_NAME);
    const user = k.user(name);
    const doc = user.inline[policyName];
    if (doc === undefined) throw new SandboxError('NoSuchEntity', `The user policy with name ${policyName} cannot be found.`, 404);
    return { UserName: user.name, PolicyName: policyName, PolicyDocument: encodePolicy(doc) };
  };

  const listUserPolicies = (p: QueryParams): XmlObject => {
    const user = k.user(requiredString(p, 'UserName', USER_NAME));
    const marker = optionalString(p, 'Marker', MARKER);
    const maxItems = optionalInt(p, 'MaxItems', ...MAX_ITEMS);
    const page = paginate(Object.keys(user.inline).sort(cmp), (n) => n, marker, maxItems);
    return { PolicyNames: page.page, IsTruncated: page.isTruncated, Marker: page.marker };
  };

  const deleteUserPolicy = (p: QueryParams): undefined => {
    const user = k.user(requiredString(p, 'UserName', USER_NAME));
    const policyName = requiredString(p, 'PolicyName', POLICY_NAME);
    if (user.inline[policyName] === undefined) throw new SandboxError('NoSuchEntity', `The user policy with name ${policyName} cannot be found.`, 404);
    delete user.inline[policyName];
    return undefined;
  };

  const attachUserPolicy = (p: QueryParams): undefined => {
    const user = k.user(requiredString(p, 'UserName', USER_NAME));
    const arn = requiredString(p, 'PolicyArn', ARN);
    requireAttachable(k, arn);
    if (user.attached.includes(arn)) return undefined;
    if (user.attached.length >= MAX_ATTACHED_POLICIES)
      throw new SandboxError('LimitExceeded', `Cannot exceed quota for PoliciesPerUser: ${MAX_ATTACHED_POLICIES}`, 409);
    user.attached.push(arn);
    return undefined;
  };

  const detachUserPolicy = (p: QueryParams): undefined => {
    const user = k.user(requiredString(p, 'UserName', USER_NAME));
    const arn = requiredString(p, 'PolicyArn', ARN);
    if (!parsePolicyArn(arn)) throw new SandboxError('InvalidInput', `ARN ${arn} is not valid.`);
    if (!user.attached.includes(arn)) throw new SandboxError('NoSuchEntity', `Policy ${arn} was not found.`, 404);
    user.attached = user.attached.filter((a) => a !== arn);
    return undefined;
  };

  const listAttachedUserPolicies = (p: QueryParams): XmlObject => {
    const user = k.user(requiredString(p, 'UserName', USER_NAME));
    return listAttached(user.attached, p);
  };

  const createAccessKey = (p: QueryParams, caller: Parameters<Handler>[1]): XmlObject => {
    const name = optionalString(p, 'UserName', USER_NAME) ?? (caller.kind === 'user' ? caller.userName : undefined);
    if (name === undefined) throw new SandboxError('ValidationError', 'Must specify userName when calling with non-User credentials', 400);
    const user = k.user(name);
    if (Object.keys(user.keys).length >= MAX_ACCESS_KEYS)
      throw new SandboxError('LimitExceeded', `Cannot exceed quota for AccessKeysPerUser: ${MAX_ACCESS_KEYS}`, 409);
    const id = newAccessKeyId('AKIA');
    const secret = secretAccessKey();
    const now = k.now();
    user.keys[id] = { secretAccessKey: secret, status: 'Active', createdAt: now };
    return { AccessKey: { UserName: user.name, AccessKeyId: id, Status: 'Active', SecretAccessKey: secret, CreateDate: new Date(now) } };
  };

  const deleteAccessKey = (p: QueryParams, caller: Parameters<Handler>[1]): undefined => {
    const id = requiredString(p, 'AccessKeyId', ACCESS_KEY_ID);
    const name = optionalString(p, 'UserName', USER_NAME) ?? (caller.kind === 'user' ? caller.userName : undefined);
    if (name === undefined) throw new SandboxError('ValidationError', 'Must specify userName when calling with non-User credentials', 400);
    const user = k.user(name);
    if (!user.keys[id]) throw new SandboxError('NoSuchEntity', `The Access Key with id ${id} cannot be found.`, 404);
    delete user.keys[id];
    return undefined;
  };

  const listAccessKeys = (p: QueryParams, caller: Parameters<Handler>[1]): XmlObject => {
    const name = optionalString(p, 'UserName', USER_NAME) ?? (caller.kind === 'user' ? caller.userName : undefined);
    if (name === undefined) throw new SandboxError('ValidationError', 'Must specify userName when calling with non-User credentials', 400);
    const user = k.user(name);
    const marker = optionalString(p, 'Marker', MARKER);
    const maxItems = optionalInt(p, 'MaxItems', ...MAX_ITEMS);
    const ids = Object.keys(user.keys).sort(cmp);
    const page = paginate(ids, (id) => id, marker, maxItems);
    return {
      AccessKeyMetadata: page.page.map((id) => ({
        UserName: user.name,
        AccessKeyId: id,
        Status: user.keys[id]!.status,
        CreateDate: new Date(user.keys[id]!.createdAt),
      })),
      IsTruncated: page.isTruncated,
      Marker: page.marker,
    };
  };

  return {
    CreateUser: createUser,
    GetUser: getUser,
    DeleteUser: deleteUser,
    PutUserPolicy: putUserPolicy,
    GetUserPolicy: getUserPolicy,
    ListUserPolicies: listUserPolicies,
    DeleteUserPolicy: deleteUserPolicy,
    AttachUserPolicy: attachUserPolicy,
    DetachUserPolicy: detachUserPolicy,
    ListAttachedUserPolicies: listAttachedUserPolicies,
    CreateAccessKey: createAccessKey,
    DeleteAccessKey: deleteAccessKey,
    ListAccessKeys: listAccessKeys,
  };
}
