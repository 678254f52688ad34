// What every IAM handler shares: the service's dependencies, the awsQuery field rules of
// botocore's IAM model, and the lookups with and without the `iam` lag.
import { SandboxError, type Caller } from './contract.js';
import {
  fresh,
  latest,
  parsePolicyArn,
  visible,
  write,
  type IamState,
  type PolicyMeta,
  type PolicyRecord,
  type RoleCore,
  type RoleRecord,
  type Tag,
  type UserRecord,
} from './iam-store.js';
import type { Versioned } from './versioned.js';
import { checkString, memberStructs, validationError, type QueryParams, type XmlObject } from './query.js';
import { readOnly } from './state.js';

export const ROLE_NAME = { min: 1, max: 64, pattern: '[\\w+=,.@-]+' };
export const USER_NAME = { min: 1, max: 64, pattern: '[\\w+=,.@-]+' };
export const POLICY_NAME = { min: 1, max: 128, pattern: '[\\w+=,.@-]+' };
export const ROLE_PATH = { min: 1, max: 512, pattern: '(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)' };
export const POLICY_PATH = { min: 1, max: 512, pattern: '((/[A-Za-z0-9\\.,\\+@=_-]+)*)/' };
export const PATH_PREFIX = { min: 1, max: 512, pattern: '\\u002F[\\u0021-\\u007F]*' };
export const POLICY_DOCUMENT = { min: 1, max: 131072, pattern: '[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+' };
export const ROLE_DESCRIPTION = { max: 1000, pattern: '[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*' };
export const ARN = { min: 20, max: 2048 };
export const VERSION_ID = { pattern: 'v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?' };
export const ACCESS_KEY_ID = { min: 16, max: 128, pattern: '[\\w]+' };
export const MARKER = { min: 1, max: 320 };
const TAG_KEY = { min: 1, max: 128, pattern: '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+' };
const TAG_VALUE = { min: 0, max: 256, pattern: '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*' };
export { TAG_KEY };
export const MAX_TAGS = 50;
export const MAX_POLICY_VERSIONS = 5;
/** AttachedPoliciesPerRoleQuota / AttachedPoliciesPerUserQuota (default). */
export const MAX_ATTACHED_POLICIES = 10;
export const MAX_ACCESS_KEYS = 2;
export const MAX_ITEMS = [1, 1000] as const;

export interface IamDeps {
  accountId: string;
  rolesQuota: number;
  now(): number;
  /** Lag of IAM's own reads, ms. */
  iamLag(): number;
  /** Longest lag of any observer: history older than this is no longer needed. */
  maxLag(): number;
  state: IamState;
  save(): void;
}

export type Handler = (p: QueryParams, caller: Caller) => XmlObject | undefined;

export class IamKit {
  constructor(readonly d: IamDeps) {}

  get state(): IamState {
    return this.d.state;
  }

  get users(): Record<string, UserRecord> {
    return (this.d.state.users ??= {});
  }

  now(): number {
    return this.d.now();
  }

  put<T>(v: Versioned<T>, value: T | null): void {
    write(v, value, this.now(), this.d.maxLag());
  }

  read<T>(v: Versioned<T> | undefined, view: 'live' | 'visible'): T | undefined {
    return view === 'live' ? latest(v) : visible(v, this.now(), this.d.iamLag());
  }

  /** The role as the writer knows it (no lag): for mutations and their conflict checks. */
  liveRole(name: string): { rec: RoleRecord; core: RoleCore } {
    return this.role(name, 'live');
  }

  /** The role as IAM's read path sees it (with the iam lag). */
  visibleRole(name: string): { rec: RoleRecord; core: RoleCore } {
    return this.role(name, 'visible');
  }

  private role(name: string, view: 'live' | 'visible'): { rec: RoleRecord; core: RoleCore } {
    const rec = this.state.roles[name.toLowerCase()];
    const core = this.read(rec?.core, view);
    if (!rec || !core) throw new SandboxError('NoSuchEntity', `The role with name ${name} cannot be found.`, 404);
    return { rec, core };
  }

  /** Attached policy ARNs of a role; creates the versioned slot for roles made before attachments existed. */
  attachedOf(rec: RoleRecord): Versioned<string[]> {
    return (rec.attached ??= fresh<string[]>([], latest(rec.core) ? rec.core.history[0]!.at : this.now()));
  }

  user(name: string): UserRecord {
    const user = this.users[name.toLowerCase()];
    if (!user) throw new SandboxError('NoSuchEntity', `The user with name ${name} cannot be found.`, 404);
    return user;
  }

  parseTags(p: QueryParams, field = 'Tags', quota = 'TagsPerRole'): Tag[] {
    const raw = memberStructs(p, field, ['Key', 'Value']);
    if (raw.length > MAX_TAGS) throw new SandboxError('LimitExceeded', `Cannot exceed quota for ${quota}: ${MAX_TAGS}`, 409);
    const seen = new Set<string>();
    return raw.map((t, i) => {
      if (t.Key === undefined) throw validationError(`tags.${i + 1}.member.key`, null, 'Member must not be null');
      if (t.Value === undefined) throw validationError(`tags.${i + 1}.member.value`, null, 'Member must not be null');
      checkString(`tags.${i + 1}.member.key`, t.Key, TAG_KEY);
      checkString(`tags.${i + 1}.member.value`, t.Value, TAG_VALUE);
      if (t.Key.toLowerCase().startsWith('aws:')) throw new SandboxError('InvalidInput', `User-provided tag keys cannot start with 'aws:'`);
      if (seen.has(t.Key.toLowerCase())) throw new SandboxError('InvalidInput', 'Duplicate tag keys found. Please note that Tag keys are case insensitive.');
      seen.add(t.Key.toLowerCase());
      return { Key: t.Key, Value: t.Value };
    });
  }

  /** A managed policy that can be attached or used as a boundary, as the writer knows it. */
  attachablePolicy(arn: string): PolicyRecord {
    const parsed = parsePolicyArn(arn);
    if (!parsed) throw new SandboxError('InvalidInput', `ARN ${arn} is not valid.`);
    const rec = this.state.policies[parsed.name.toLowerCase()];
    const meta = latest(rec?.meta);
    if (!rec || !meta || meta.arn !== arn) throw new SandboxError('NoSuchEntity', `Scope ARN: ${arn} does not exist or is not attachable.`, 404);
    return rec;
  }

  policyByArn(arn: string, view: 'live' | 'visible'): { rec: PolicyRecord; meta: PolicyMeta } {
    const parsed = parsePolicyArn(arn);
    if (!parsed) throw new SandboxError('InvalidInput', `ARN ${arn} is not valid.`);
    const rec = this.state.policies[parsed.name.toLowerCase()];
    const meta = this.read(rec?.meta, view);
    if (!rec || !meta || meta.arn !== arn) throw new SandboxError('NoSuchEntity', `Policy ${arn} was not found.`, 404);
    return { rec, meta };
  }

  /** Roles and users a managed policy is attached to, as `view` sees them. */
  attachmentCount(arn: string, view: 'live' | 'visible'): number {
    let n = 0;
    for (const rec of Object.values(this.state.roles)) if (this.read(rec.core, view) && (this.read(rec.attached, view) ?? []).includes(arn)) n++;
    for (const user of Object.values(this.users)) if (user.attached.includes(arn)) n++;
    return n;
  }

  boundaryUsage(arn: string, view: 'live' | 'visible'): number {
    let n = 0;
    for (const rec of Object.values(this.state.roles)) if (this.read(rec.core, view) && this.read(rec.boundary, view) === arn) n++;
    for (const user of Object.values(this.users)) if (user.boundary === arn) n++;
    return n;
  }

  /** Drops roles and policies deleted longer ago than any observer's lag. */
  collectGarbage(): void {
    const horizon = this.now() - this.d.maxLag();
    // Read the plain objects (a journaled-state proxy trap per role would make this O(roles) slow); deletes go through the state.
    for (const [key, rec] of Object.entries(readOnly(this.state.roles))) {
      const last = rec.core.history[rec.core.history.length - 1]!;
      if (last.value === null && last.at < horizon) delete this.state.roles[key];
    }
    for (const [key, rec] of Object.entries(this.state.policies)) {
      const last = rec.meta.history[rec.meta.history.length - 1]!;
      if (last.value === null && last.at < horizon) delete this.state.policies[key];
      else for (const [id, v] of Object.entries(rec.versions)) if (v.deletedAt !== undefined && v.deletedAt < horizon) delete rec.versions[id];
    }
  }
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The AttachedPolicies member shape of ListAttached{Role,User}Policies. */
export function attachedPolicyXml(arn: string): XmlObject {
  return { PolicyName: parsePolicyArn(arn)?.name ?? arn, PolicyArn: arn };
}
