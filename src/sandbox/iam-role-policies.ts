// A role's permissions policies: inline ones (PutRolePolicy ...) and attached managed ones
// (AttachRolePolicy ...). Attaching never copies the policy: the role sees its default version.
import { SandboxError } from './contract.js';
import { fresh, latest, parsePolicyArn } from './iam-store.js';
import {
  ARN,
  MARKER,
  MAX_ATTACHED_POLICIES,
  MAX_ITEMS,
  POLICY_DOCUMENT,
  POLICY_NAME,
  POLICY_PATH,
  ROLE_NAME,
  attachedPolicyXml,
  cmp,
  type Handler,
  type IamKit,
} from './iam-kit.js';
import { INLINE_ROLE_POLICY_QUOTA, policySize, validatePolicyDocument } from './policy-validate.js';
import { encodePolicy, optionalInt, optionalString, paginate, requiredString, type QueryParams, type XmlObject } from './query.js';

/** AWS's answer when the policy to attach does not exist (botocore: NoSuchEntityException). */
export function notAttachable(arn: string): SandboxError {
  return new SandboxError('NoSuchEntity', `Policy ${arn} does not exist or is not attachable.`, 404);
}

/** Checks that `arn` names a managed policy that exists now (as the writer knows it). */
export function requireAttachable(k: IamKit, arn: string): void {
  if (!parsePolicyArn(arn)) throw new SandboxError('InvalidInput', `ARN ${arn} is not valid.`);
  try {
    k.attachablePolicy(arn);
  } catch {
    throw notAttachable(arn);
  }
}

/** ListAttached*Policies: sorted by name, filtered by the policy path prefix, paginated. */
export function listAttached(arns: string[], p: QueryParams): XmlObject {
  const prefix = optionalString(p, 'PathPrefix', POLICY_PATH) ?? '/';
  const marker = optionalString(p, 'Marker', MARKER);
  const maxItems = optionalInt(p, 'MaxItems', ...MAX_ITEMS);
  const items = arns.filter((arn) => (parsePolicyArn(arn)?.path ?? '/').startsWith(prefix)).sort((a, b) => cmp(a.toLowerCase(), b.toLowerCase()));
  const page = paginate(items, (arn) => arn.toLowerCase(), marker, maxItems);
  return { AttachedPolicies: page.page.map(attachedPolicyXml), IsTruncated: page.isTruncated, Marker: page.marker };
}

export function rolePolicyHandlers(k: IamKit): Record<string, Handler> {
  const putRolePolicy = (p: QueryParams): undefined => {
    const name = requiredString(p, 'RoleName', ROLE_NAME);
    const policyName = requiredString(p, 'PolicyName', POLICY_NAME);
    const doc = requiredString(p, 'PolicyDocument', POLICY_DOCUMENT);
    const { rec, core } = k.liveRole(name);
    validatePolicyDocument(doc, 'identity');
    let total = policySize(doc);
    for (const [other, v] of Object.entries(rec.inline)) {
      const text = latest(v);
      if (text !== undefined && other !== policyName) total += policySize(text);
    }
    if (total > INLINE_ROLE_POLICY_QUOTA)
      throw new SandboxError('LimitExceeded', `Maximum policy size of ${INLINE_ROLE_POLICY_QUOTA} bytes exceeded for role ${core.name}`, 409);
    const existing = rec.inline[policyName];
    if (existing) k.put(existing, doc);
    else rec.inline[policyName] = fresh(doc, k.now());
    return undefined;
  };

  const getRolePolicy = (p: QueryParams): XmlObject => {
    const name = requiredString(p, 'RoleName', ROLE_NAME);
    const policyName = requiredString(p, 'PolicyName', POLICY_NAME);
    const { rec, core } = k.visibleRole(name);
    const doc = k.read(rec.inline[policyName], 'visible');
    if (doc === undefined) throw new SandboxError('NoSuchEntity', `The role policy with name ${policyName} cannot be found.`, 404);
    return { RoleName: core.name, PolicyName: policyName, PolicyDocument: encodePolicy(doc) };
  };

  const listRolePolicies = (p: QueryParams): XmlObject => {
    const name = requiredString(p, 'RoleName', ROLE_NAME);
    const marker = optionalString(p, 'Marker', MARKER);
    const maxItems = optionalInt(p, 'MaxItems', ...MAX_ITEMS);
    const { rec } = k.visibleRole(name);
    const names = Object.entries(rec.inline)
      .filter(([, v]) => k.read(v, 'visible') !== undefined)
      .map(([n]) => n)
      .sort(cmp);
    const page = paginate(names, (n) => n, marker, maxItems);
    return { PolicyNames: page.page, IsTruncated: page.isTruncated, Marker: page.marker };
  };

  const deleteRolePolicy = (p: QueryParams): undefined => {
    const name = requiredString(p, 'RoleName', ROLE_NAME);
    const policyName = requiredString(p, 'PolicyName', POLICY_NAME);
    const { rec } = k.liveRole(name);
    const v = rec.inline[policyName];
    if (latest(v) === undefined) throw new SandboxError('NoSuchEntity', `The role policy with name ${policyName} cannot be found.`, 404);
    k.put(v!, null);
    return undefined;
  };

  const attachRolePolicy = (p: QueryParams): undefined => {
    const name = requiredString(p, 'RoleName', ROLE_NAME);
    const arn = requiredString(p, 'PolicyArn', ARN);
    const { rec } = k.liveRole(name);
    requireAttachable(k, arn);
    const slot = k.attachedOf(rec);
    const current = latest(slot) ?? [];
    if (current.includes(arn)) return undefined; // attaching twice is a no-op on AWS
    if (current.length >= MAX_ATTACHED_POLICIES)
      throw new SandboxError('LimitExceeded', `Cannot exceed quota for PoliciesPerRole: ${MAX_ATTACHED_POLICIES}`, 409);
    k.put(slot, [...current, arn]);
    return undefined;
  };

  const detachRolePolicy = (p: QueryParams): undefined => {
    const name = requiredString(p, 'RoleName', ROLE_NAME);
    const arn = requiredString(p, 'PolicyArn', ARN);
    const { rec } = k.liveRole(name);
    if (!parsePolicyArn(arn)) throw new SandboxError('InvalidInput', `ARN ${arn} is not valid.`);
    const slot = k.attachedOf(rec);
    const current = latest(slot) ?? [];
    if (!current.includes(arn)) throw new SandboxError('NoSuchEntity', `Policy ${arn} was not found.`, 404);
    k.put(
      slot,
      current.filter((a) => a !== arn),
    );
    return undefined;
  };

  const listAttachedRolePolicies = (p: QueryParams): XmlObject => {
    const { rec } = k.visibleRole(requiredString(p, 'RoleName', ROLE_NAME));
    return listAttached(k.read(rec.attached, 'visible') ?? [], p);
  };

  return {
    PutRolePolicy: putRolePolicy,
    GetRolePolicy: getRolePolicy,
    ListRolePolicies: listRolePolicies,
    DeleteRolePolicy: deleteRolePolicy,
    AttachRolePolicy: attachRolePolicy,
    DetachRolePolicy: detachRolePolicy,
    ListAttachedRolePolicies: listAttachedRolePolicies,
  };
}
