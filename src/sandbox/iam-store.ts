// IAM's state and the view each observer has of it. Roles, each inline policy, boundaries,
// tags and managed-policy defaults are versioned separately (versioned.ts), so an observer
// with a lag can see a role without its inline policy yet, or not see the role at all.
import type { PolicyDocument } from '../policy/types.js';
import type { RoleView } from './contract.js';
import { latestVersion, readVersion, versioned, writeVersion, type Versioned } from './versioned.js';

export interface Tag {
  Key: string;
  Value: string;
}

export interface RoleCore {
  name: string;
  path: string;
  arn: string;
  roleId: string;
  createdAt: number;
  /** The trust policy exactly as submitted. */
  trust: string;
  description?: string | undefined;
  maxSessionDuration: number;
}

export interface RoleRecord {
  core: Versioned<RoleCore>;
  /** Inline policies by name, each as submitted. */
  inline: Record<string, Versioned<string>>;
  /** Permissions boundary policy ARN. */
  boundary: Versioned<string>;
  tags: Versioned<Tag[]>;
  /** Attached managed policy ARNs (absent in state written before AttachRolePolicy was served). */
  attached?: Versioned<string[]>;
}

export interface PolicyMeta {
  name: string;
  path: string;
  arn: string;
  policyId: string;
  createdAt: number;
  description?: string | undefined;
  tags: Tag[];
}

export interface PolicyVersionRecord {
  document: string;
  createdAt: number;
  /** Set when deleted; kept until no observer can still see it as the default. */
  deletedAt?: number | undefined;
}

export interface PolicyRecord {
  meta: Versioned<PolicyMeta>;
  defaultVersion: Versioned<string>;
  versions: Record<string, PolicyVersionRecord>;
  nextVersion: number;
  updatedAt: number;
}

export interface AccessKeyRecord {
  secretAccessKey: string;
  status: 'Active' | 'Inactive';
  createdAt: number;
}

/** An IAM user. Users are read without lag: only the operator tests create them, once, up front. */
export interface UserRecord {
  name: string;
  path: string;
  arn: string;
  userId: string;
  createdAt: number;
  tags: Tag[];
  boundary?: string | undefined;
  /** Inline policies by name, each as submitted. */
  inline: Record<string, string>;
  /** Attached managed policy ARNs. */
  attached: string[];
  /** By access key id. */
  keys: Record<string, AccessKeyRecord>;
}

export interface IamState {
  /** By lower-cased role name: IAM names are unique regardless of case. */
  roles: Record<string, RoleRecord>;
  /** By lower-cased policy name. */
  policies: Record<string, PolicyRecord>;
  /** By lower-cased user name (absent in state written before users were served). */
  users?: Record<string, UserRecord>;
}

export function emptyIamState(): IamState {
  return { roles: {}, policies: {}, users: {} };
}

/** The user an access key belongs to, with the key. */
export function userByAccessKey(state: IamState, accessKeyId: string): { user: UserRecord; key: AccessKeyRecord } | undefined {
  for (const user of Object.values(state.users ?? {})) {
    const key = user.keys[accessKeyId];
    if (key) return { user, key };
  }
  return undefined;
}

/** The default version's document of a managed policy as the writer knows it (undefined when it does not exist). */
export function managedPolicyDocument(state: IamState, arn: string): PolicyDocument | undefined {
  const parsed = parsePolicyArn(arn);
  const rec = parsed ? state.policies[parsed.name.toLowerCase()] : undefined;
  const meta = latest(rec?.meta);
  if (!rec || !meta || meta.arn !== arn) return undefined;
  const versionId = latest(rec.defaultVersion);
  const version = versionId === undefined ? undefined : rec.versions[versionId];
  return version ? (JSON.parse(version.document) as PolicyDocument) : undefined;
}

/** The identity-based policies of a user: inline, then attached. */
export function userIdentityPolicies(state: IamState, user: UserRecord): PolicyDocument[] {
  const docs: PolicyDocument[] = Object.values(user.inline).map((text) => JSON.parse(text) as PolicyDocument);
  for (const arn of user.attached) {
    const doc = managedPolicyDocument(state, arn);
    if (doc) docs.push(doc);
  }
  return docs;
}

/** The newest-written value, what the writer itself checks conflicts against. */
export function latest<T>(v: Versioned<T> | undefined): T | undefined {
  return latestVersion(v) ?? undefined;
}

/** What an observer with `lagMs` sees now. */
export function visible<T>(v: Versioned<T> | undefined, now: number, lagMs: number): T | undefined {
  return readVersion(v, now, lagMs) ?? undefined;
}

export function write<T>(v: Versioned<T>, value: T | null, now: number, maxLagMs: number): void {
  writeVersion(v, value, now, maxLagMs);
}

export function fresh<T>(value: T | null, now: number): Versioned<T> {
  return versioned(value, now);
}

const ROLE_ARN_RE = /^arn:aws:iam::(\d{12}):role(\/(?:[\u0021-\u007E]*\/)?)([\w+=,.@-]{1,64})$/;
const POLICY_ARN_RE = /^arn:aws:iam::(\d{12}|aws):policy(\/(?:[\u0021-\u007E]*\/)?)([\w+=,.@-]{1,128})$/;

export function parseRoleArn(arn: string): { account: string; path: string; name: string } | undefined {
  const m = ROLE_ARN_RE.exec(arn);
  return m ? { account: m[1]!, path: m[2]!, name: m[3]! } : undefined;
}

export function parsePolicyArn(arn: string): { account: string; path: string; name: string } | undefined {
  const m = POLICY_ARN_RE.exec(arn);
  return m ? { account: m[1]!, path: m[2]!, name: m[3]! } : undefined;
}

export function tagsToRecord(tags: Tag[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) out[t.Key] = t.Value;
  return out;
}

/** A role lookup by name or ARN for an observer with `lagMs`: undefined when it does not see the role. */
export function roleViewFor(state: IamState, accountId: string, nameOrArn: string, now: number, lagMs: number): RoleView | undefined {
  let name = nameOrArn;
  let wantedArn: string | undefined;
  if (nameOrArn.startsWith('arn:')) {
    const parsed = parseRoleArn(nameOrArn);
    if (!parsed || parsed.account !== accountId) return undefined;
    name = parsed.name;
    wantedArn = nameOrArn;
  }
  const rec = state.roles[name.toLowerCase()];
  if (!rec) return undefined;
  const core = visible(rec.core, now, lagMs);
  if (!core) return undefined;
  if (wantedArn !== undefined && core.arn !== wantedArn) return undefined;
  const inlinePolicies: Record<string, PolicyDocument> = {};
  for (const [policyName, v] of Object.entries(rec.inline)) {
    const text = visible(v, now, lagMs);
    if (text !== undefined) inlinePolicies[policyName] = JSON.parse(text) as PolicyDocument;
  }
  // Attached managed policies are identity-based policies too; keyed by ARN (a policy name has no ':').
  for (const arn of visible(rec.attached, now, lagMs) ?? []) {
    const doc = visibleManagedDocument(state, arn, now, lagMs);
    if (doc) inlinePolicies[arn] = doc;
  }
  const boundaryArn = visible(rec.boundary, now, lagMs);
  return {
    arn: core.arn,
    name: core.name,
    path: core.path,
    roleId: core.roleId,
    createdAt: core.createdAt,
    trustPolicy: JSON.parse(core.trust) as PolicyDocument,
    inlinePolicies,
    permissionsBoundary: boundaryArn === undefined ? undefined : { arn: boundaryArn, document: boundaryDocument(state, boundaryArn, now, lagMs) },
    tags: tagsToRecord(visible(rec.tags, now, lagMs)),
  };
}

/** An empty boundary allows nothing: when the observer cannot read the boundary yet, it fails closed. */
const DENY_ALL: PolicyDocument = { Version: '2012-10-17', Statement: [] };

function boundaryDocument(state: IamState, arn: string, now: number, lagMs: number): PolicyDocument {
  return visibleManagedDocument(state, arn, now, lagMs) ?? DENY_ALL;
}

function visibleManagedDocument(state: IamState, arn: string, now: number, lagMs: number): PolicyDocument | undefined {
  const parsed = parsePolicyArn(arn);
  const rec = parsed ? state.policies[parsed.name.toLowerCase()] : undefined;
  if (!rec) return undefined;
  const meta = visible(rec.meta, now, lagMs);
  if (!meta || meta.arn !== arn) return undefined;
  const versionId = visible(rec.defaultVersion, now, lagMs);
  const version = versionId === undefined ? undefined : rec.versions[versionId];
  return version ? (JSON.parse(version.document) as PolicyDocument) : undefined;
}
