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

export interface IamState {
  /** By lower-cased role name: IAM names are unique regardless of case. */
  roles: Record<string, RoleRecord>;
  /** By lower-cased policy name. */
  policies: Record<string, PolicyRecord>;
}

export function emptyIamState(): IamState {
  return { roles: {}, policies: {} };
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
  const parsed = parsePolicyArn(arn);
  const rec = parsed ? state.policies[parsed.name.toLowerCase()] : undefined;
  if (!rec) return DENY_ALL;
  const meta = visible(rec.meta, now, lagMs);
  if (!meta || meta.arn !== arn) return DENY_ALL;
  const versionId = visible(rec.defaultVersion, now, lagMs);
  const version = versionId === undefined ? undefined : rec.versions[versionId];
  return version ? (JSON.parse(version.document) as PolicyDocument) : DENY_ALL;
}
