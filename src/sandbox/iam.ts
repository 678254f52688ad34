// IAM over awsQuery: roles, inline policies, boundaries, tags, managed policies and their
// versions, the account summary. Writes are immediate for the writer's own conflict checks;
// reads see the `iam` lag (iam-store.ts).
import { SandboxError, type Caller } from './contract.js';
import { iamUniqueId } from './ids.js';
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
} from './iam-store.js';
import type { Versioned } from './versioned.js';
import {
  INLINE_ROLE_POLICY_QUOTA,
  MANAGED_POLICY_QUOTA,
  TRUST_POLICY_QUOTA,
  policySize,
  validatePolicyDocument,
} from './policy-validate.js';
import {
  XmlMap,
  checkString,
  encodePolicy,
  memberList,
  memberStructs,
  optionalBool,
  optionalInt,
  optionalString,
  paginate,
  requiredString,
  validationError,
  type QueryParams,
  type XmlObject,
} from './query.js';

export const IAM_NAMESPACE = 'https://iam.amazonaws.com/doc/2010-05-08/';

const ROLE_NAME = { min: 1, max: 64, pattern: '[\\w+=,.@-]+' };
const POLICY_NAME = { min: 1, max: 128, pattern: '[\\w+=,.@-]+' };
const ROLE_PATH = { min: 1, max: 512, pattern: '(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)' };
const POLICY_PATH = { min: 1, max: 512, pattern: '((/[A-Za-z0-9\\.,\\+@=_-]+)*)/' };
const PATH_PREFIX = { min: 1, max: 512, pattern: '\\u002F[\\u0021-\\u007F]*' };
const POLICY_DOCUMENT = { min: 1, max: 131072, pattern: '[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+' };
const ROLE_DESCRIPTION = { max: 1000, pattern: '[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*' };
const ARN = { min: 20, max: 2048 };
const VERSION_ID = { pattern: 'v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?' };
const TAG_KEY = { min: 1, max: 128, pattern: '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+' };
const TAG_VALUE = { min: 0, max: 256, pattern: '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*' };
const MAX_TAGS = 50;
const MAX_POLICY_VERSIONS = 5;
const MAX_ITEMS = [1, 1000] as const;

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

type Handler = (p: QueryParams, caller: Caller) => XmlObject | undefined;

const MUTATING = /^(Create|Delete|Put|Update|Tag|Untag|Attach|Detach|Set|Add|Remove)/;

export class IamService {
  readonly namespace = IAM_NAMESPACE;
  private readonly handlers: Record<string, Handler>;

  constructor(private readonly d: IamDeps) {
    this.handlers = {
      CreateRole: (p) => this.createRole(p),
      GetRole: (p) => this.getRole(p),
      DeleteRole: (p) => this.deleteRole(p),
      ListRoles: (p) => this.listRoles(p),
      UpdateAssumeRolePolicy: (p) => this.updateAssumeRolePolicy(p),
      PutRolePolicy: (p) => this.putRolePolicy(p),
      GetRolePolicy: (p) => this.getRolePolicy(p),
      ListRolePolicies: (p) => this.listRolePolicies(p),
      DeleteRolePolicy: (p) => this.deleteRolePolicy(p),
      PutRolePermissionsBoundary: (p) => this.putRolePermissionsBoundary(p),
      DeleteRolePermissionsBoundary: (p) => this.deleteRolePermissionsBoundary(p),
      TagRole: (p) => this.tagRole(p),
      UntagRole: (p) => this.untagRole(p),
      ListRoleTags: (p) => this.listRoleTags(p),
      CreatePolicy: (p) => this.createPolicy(p),
      GetPolicy: (p) => this.getPolicy(p),
      DeletePolicy: (p) => this.deletePolicy(p),
      ListPolicies: (p) => this.listPolicies(p),
      GetPolicyVersion: (p) => this.getPolicyVersion(p),
      CreatePolicyVersion: (p) => this.createPolicyVersion(p),
      DeletePolicyVersion: (p) => this.deletePolicyVersion(p),
      ListPolicyVersions: (p) => this.listPolicyVersions(p),
      GetAccountSummary: () => this.getAccountSummary(),
    };
  }

  knows(action: string): boolean {
    return Object.hasOwn(this.handlers, action);
  }

  isMutating(action: string): boolean {
    return MUTATING.test(action);
  }

  handle(action: string, params: QueryParams, caller: Caller): XmlObject | undefined {
    const h = this.handlers[action];
    if (!h) throw new SandboxError('InvalidAction', `Could not find operation ${action} for version 2010-05-08`);
    const result = h(params, caller);
    if (this.isMutating(action)) this.d.save();
    return result;
  }

  // ---- helpers ----

  private get state(): IamState {
    return this.d.state;
  }

  private now(): number {
    return this.d.now();
  }

  private put<T>(v: Versioned<T>, value: T | null): void {
    write(v, value, this.now(), this.d.maxLag());
  }

  /** The role as the writer knows it (no lag): for mutations and their conflict checks. */
  private liveRole(name: string): { rec: RoleRecord; core: RoleCore } {
    const rec = this.state.roles[name.toLowerCase()];
    const core = latest(rec?.core);
    if (!rec || !core) throw new SandboxError('NoSuchEntity', `The role with name ${name} cannot be found.`, 404);
    return { rec, core };
  }

  /** The role as IAM's read path sees it (with the iam lag). */
  private visibleRole(name: string): { rec: RoleRecord; core: RoleCore } {
    const rec = this.state.roles[name.toLowerCase()];
    const core = visible(rec?.core, this.now(), this.d.iamLag());
    if (!rec || !core) throw new SandboxError('NoSuchEntity', `The role with name ${name} cannot be found.`, 404);
    return { rec, core };
  }

  private roleXml(rec: RoleRecord, core: RoleCore, view: 'live' | 'visible', full: boolean): XmlObject {
    const read = <T>(v: Versioned<T>) => (view === 'live' ? latest(v) : visible(v, this.now(), this.d.iamLag()));
    const boundary = read(rec.boundary);
    const tags = read(rec.tags) ?? [];
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

  private parseTags(p: QueryParams, field = 'Tags'): Tag[] {
    const raw = memberStructs(p, field, ['Key', 'Value']);
    if (raw.length > MAX_TAGS) throw new SandboxError('LimitExceeded', `Cannot exceed quota for TagsPerRole: ${MAX_TAGS}`, 409);
    const seen = new Set<string>();
    return raw.map((t, i) => {
      if (t.Key === undefined) throw validationError(`tags.${i + 1}.member.key`, null, 'Member must not be null');
      if (t.Value === undefined) throw validationError(`tags.${i + 1}.member.value`, null, 'Member must not be null');
      checkString(`tags.${i + 1}.member.key`, t.Key, TAG_KEY);
      checkString(`tags.${i + 1}.member.value`, t.Value, TAG_VALUE);
      if (t.Key.toLowerCase().startsWith('aws:')) throw new SandboxError('InvalidInput', `User-provided tag keys cannot start with 'aws:'`);
      if (seen.has(t.Key.toLowerCase()))
        throw new SandboxError('InvalidInput', 'Duplicate tag keys found. Please note that Tag keys are case insensitive.');
      seen.add(t.Key.toLowerCase());
      return { Key: t.Key, Value: t.Value };
    });
  }

  private checkTrust(text: string): void {
    validatePolicyDocument(text, 'trust');
    if (policySize(text) > TRUST_POLICY_QUOTA)
      throw new SandboxError('LimitExceeded', `Cannot exceed quota for ACLSizePerRole: ${TRUST_POLICY_QUOTA}`, 409);
  }

  /** A managed policy usable as a boundary, as the writer knows it. */
  private attachablePolicy(arn: string): PolicyRecord {
    const parsed = parsePolicyArn(arn);
    if (!parsed) throw new SandboxError('InvalidInput', `ARN ${arn} is not valid.`);
    const rec = this.state.policies[parsed.name.toLowerCase()];
    const meta = latest(rec?.meta);
    if (!rec || !meta || meta.arn !== arn) throw new SandboxError('NoSuchEntity', `Scope ARN: ${arn} does not exist or is not attachable.`, 404);
    return rec;
  }

  private liveRoleCount(): number {
    let n = 0;
    for (const rec of Object.values(this.state.roles)) if (latest(rec.core)) n++;
    return n;
  }

  /** Drops roles and policies deleted longer ago than any observer's lag. */
  private collectGarbage(): void {
    const horizon = this.now() - this.d.maxLag();
    for (const [key, rec] of Object.entries(this.state.roles)) {
      const last = rec.core.history[rec.core.history.length - 1]!;
      if (last.value === null && last.at < horizon) delete this.state.roles[key];
    }
    for (const [key, rec] of Object.entries(this.state.policies)) {
      const last = rec.meta.history[rec.meta.history.length - 1]!;
      if (last.value === null && last.at < horizon) delete this.state.policies[key];
      else
        for (const [id, v] of Object.entries(rec.versions)) if (v.deletedAt !== undefined && v.deletedAt < horizon) delete rec.versions[id];
    }
  }

  // ---- roles ----

  private createRole(p: QueryParams): XmlObject {
    const name = requiredString(p, 'RoleName', ROLE_NAME);
    const path = optionalString(p, 'Path', ROLE_PATH) ?? '/';
    const trust = requiredString(p, 'AssumeRolePolicyDocument', POLICY_DOCUMENT);
    const description = optionalString(p, 'Description', ROLE_DESCRIPTION);
    const maxSessionDuration = optionalInt(p, 'MaxSessionDuration', 3600, 43200) ?? 3600;
    const boundaryArn = optionalString(p, 'PermissionsBoundary', ARN);
    const tags = this.parseTags(p);
    this.checkTrust(trust);
    if (boundaryArn !== undefined) this.attachablePolicy(boundaryArn);
    this.collectGarbage();
    const key = name.toLowerCase();
    const existing = this.state.roles[key];
    if (latest(existing?.core)) throw new SandboxError('EntityAlreadyExists', `Role with name ${name} already exists.`, 409);
    if (this.liveRoleCount() >= this.d.rolesQuota)
      throw new SandboxError('LimitExceeded', `Cannot exceed quota for RolesPerAccount: ${this.d.rolesQuota}`, 409);
    const now = this.now();
    const core: RoleCore = {
      name,
      path,
      arn: `arn:aws:iam::${this.d.accountId}:role${path}${name}`,
      roleId: iamUniqueId('AROA'),
      createdAt: now,
      trust,
      description,
      maxSessionDuration,
    };
    let rec: RoleRecord;
    if (existing) {
      rec = existing;
      this.put(rec.core, core);
      this.put(rec.boundary, boundaryArn ?? null);
      this.put(rec.tags, tags);
    } else {
      rec = { core: fresh(core, now), inline: {}, boundary: fresh(boundaryArn ?? null, now), tags: fresh(tags, now) };
      this.state.roles[key] = rec;
    }
    return { Role: this.roleXml(rec, core, 'live', true) };
  }

  private getRole(p: QueryParams): XmlObject {
    const name = requiredString(p, 'RoleName', ROLE_NAME);
    const { rec, core } = this.visibleRole(name);
    return { Role: this.roleXml(rec, core, 'visible', true) };
  }

  private deleteRole(p: QueryParams): undefined {
    const name = requiredString(p, 'RoleName', ROLE_NAME);
    const { rec } = this.liveRole(name);
    if (Object.values(rec.inline).some((v) => latest(v) !== undefined))
      throw new SandboxError('DeleteConflict', 'Cannot delete entity, must delete policies first.', 409);
    this.put(rec.core, null);
    if (latest(rec.boundary) !== undefined) this.put(rec.boundary, null);
    this.put(rec.tags, null);
    return undefined;
  }

  private listRoles(p: QueryParams): XmlObject {
    const prefix = optionalString(p, 'PathPrefix', PATH_PREFIX) ?? '/';
    const marker = optionalString(p, 'Marker', { min: 1, max: 320 });
    const maxItems = optionalInt(p, 'MaxItems', ...MAX_ITEMS);
    const now = this.now();
    const lag = this.d.iamLag();
    const roles: Array<{ rec: RoleRecord; core: RoleCore }> = [];
    for (const rec of Object.values(this.state.roles)) {
      const core = visible(rec.core, now, lag);
      if (core && core.path.startsWith(prefix)) roles.push({ rec, core });
    }
    roles.sort((a, b) => cmp(a.core.name.toLowerCase(), b.core.name.toLowerCase()));
    const page = paginate(roles, (r) => r.core.name.toLowerCase(), marker, maxItems);
    return {
      Roles: page.page.map((r) => this.roleXml(r.rec, r.core, 'visible', false)),
      IsTruncated: page.isTruncated,
      Marker: page.marker,
    };
  }

  private updateAssumeRolePolicy(p: QueryParams): undefined {
    const name = requiredString(p, 'RoleName', ROLE_NAME);
    const doc = requiredString(p, 'PolicyDocument', POLICY_DOCUMENT);
    const { rec, core } = this.liveRole(name);
    this.checkTrust(doc);
    this.put(rec.core, { ...core, trust: doc });
    return undefined;
  }

  private putRolePolicy(p: QueryParams): undefined {
    const name = requiredString(p, 'RoleName', ROLE_NAME);
    const policyName = requiredString(p, 'PolicyName', POLICY_NAME);
    const doc = requiredString(p, 'PolicyDocument', POLICY_DOCUMENT);
    const { rec, core } = this.liveRole(name);
    validatePolicyDocument(doc, 'identity');
    let total = policySize(doc);
    for (const [other, v] of Object.entries(rec.inline)) {
      const text = latest(v);
      if (text !== undefined && other !== policyName) total += policySize(text);
    }
    if (total > INLINE_ROLE_POLICY_QUOTA)
      throw new SandboxError('LimitExceeded', `Maximum policy size of ${INLINE_ROLE_POLICY_QUOTA} bytes exceeded for role ${core.name}`, 409);
    const existing = rec.inline[policyName];
    if (existing) this.put(existing, doc);
    else rec.inline[policyName] = fresh(doc, this.now());
    return undefined;
  }

  private getRolePolicy(p: QueryParams): XmlObject {
    const name = requiredString(p, 'RoleName', ROLE_NAME);
    const policyName = requiredString(p, 'PolicyName', POLICY_NAME);
    const { rec, core } = this.visibleRole(name);
    const doc = visible(rec.inline[policyName], this.now(), this.d.iamLag());
    if (doc === undefined) throw new SandboxError('NoSuchEntity', `The role policy with name ${policyName} cannot be found.`, 404);
    return { RoleName: core.name, PolicyName: policyName, PolicyDocument: encodePolicy(doc) };
  }

  private listRolePolicies(p: QueryParams): XmlObject {
    const name = requiredString(p, 'RoleName', ROLE_NAME);
    const marker = optionalString(p, 'Marker', { min: 1, max: 320 });
    const maxItems = optionalInt(p, 'MaxItems', ...MAX_ITEMS);
    const { rec } = this.visibleRole(name);
    const names = Object.entries(rec.inline)
      .filter(([, v]) => visible(v, this.now(), this.d.iamLag()) !== undefined)
      .map(([n]) => n)
      .sort(cmp);
    const page = paginate(names, (n) => n, marker, maxItems);
    return { PolicyNames: page.page, IsTruncated: page.isTruncated, Marker: page.marker };
  }

  private deleteRolePolicy(p: QueryParams): undefined {
    const name = requiredString(p, 'RoleName', ROLE_NAME);
    const policyName = requiredString(p, 'PolicyName', POLICY_NAME);
    const { rec } = this.liveRole(name);
    const v = rec.inline[policyName];
    if (latest(v) === undefined) throw new SandboxError('NoSuchEntity', `The role policy with name ${policyName} cannot be found.`, 404);
    this.put(v!, null);
    return undefined;
  }

  private putRolePermissionsBoundary(p: QueryParams): undefined {
    const name = requiredString(p, 'RoleName', ROLE_NAME);
    const arn = requiredString(p, 'PermissionsBoundary', ARN);
    const { rec } = this.liveRole(name);
    this.attachablePolicy(arn);
    if (latest(rec.boundary) !== arn) this.put(rec.boundary, arn);
    return undefined;
  }

  private deleteRolePermissionsBoundary(p: QueryParams): undefined {
    const name = requiredString(p, 'RoleName', ROLE_NAME);
    const { rec } = this.liveRole(name);
    if (latest(rec.boundary) === undefined) throw new SandboxError('NoSuchEntity', `The role with name ${name} does not have a permissions boundary.`, 404);
    this.put(rec.boundary, null);
    return undefined;
  }

  private tagRole(p: QueryParams): undefined {
    const name = requiredString(p, 'RoleName', ROLE_NAME);
    if (p['Tags.member.1.Key'] === undefined && p.Tags === undefined) throw validationError('Tags', null, 'Member must not be null');
    const incoming = this.parseTags(p);
    const { rec } = this.liveRole(name);
    const tags = [...(latest(rec.tags) ?? [])];
    for (const t of incoming) {
      const i = tags.findIndex((x) => x.Key.toLowerCase() === t.Key.toLowerCase());
      if (i >= 0) tags[i] = t;
      else tags.push(t);
    }
    if (tags.length > MAX_TAGS) throw new SandboxError('LimitExceeded', `Cannot exceed quota for TagsPerRole: ${MAX_TAGS}`, 409);
    this.put(rec.tags, tags);
    return undefined;
  }

  private untagRole(p: QueryParams): undefined {
    const name = requiredString(p, 'RoleName', ROLE_NAME);
    const keys = memberList(p, 'TagKeys');
    if (keys.length === 0 && p.TagKeys === undefined) throw validationError('TagKeys', null, 'Member must not be null');
    keys.forEach((k, i) => checkString(`tagKeys.${i + 1}.member`, k, TAG_KEY));
    const { rec } = this.liveRole(name);
    const drop = new Set(keys.map((k) => k.toLowerCase()));
    this.put(
      rec.tags,
      (latest(rec.tags) ?? []).filter((t) => !drop.has(t.Key.toLowerCase())),
    );
    return undefined;
  }

  private listRoleTags(p: QueryParams): XmlObject {
    const name = requiredString(p, 'RoleName', ROLE_NAME);
    const marker = optionalString(p, 'Marker', { min: 1, max: 320 });
    const maxItems = optionalInt(p, 'MaxItems', ...MAX_ITEMS);
    const { rec } = this.visibleRole(name);
    const tags = visible(rec.tags, this.now(), this.d.iamLag()) ?? [];
    const indexed = tags.map((t, i) => ({ t, key: String(i).padStart(4, '0') }));
    const page = paginate(indexed, (x) => x.key, marker, maxItems);
    return { Tags: page.page.map(({ t }) => ({ Key: t.Key, Value: t.Value })), IsTruncated: page.isTruncated, Marker: page.marker };
  }

  // ---- managed policies ----

  private policyByArn(arn: string, view: 'live' | 'visible'): { rec: PolicyRecord; meta: PolicyMeta } {
    const parsed = parsePolicyArn(arn);
    if (!parsed) throw new SandboxError('InvalidInput', `ARN ${arn} is not valid.`);
    const rec = this.state.policies[parsed.name.toLowerCase()];
    const meta = view === 'live' ? latest(rec?.meta) : visible(rec?.meta, this.now(), this.d.iamLag());
    if (!rec || !meta || meta.arn !== arn) throw new SandboxError('NoSuchEntity', `Policy ${arn} was not found.`, 404);
    return { rec, meta };
  }

  private boundaryUsage(arn: string, view: 'live' | 'visible'): number {
    let n = 0;
    for (const rec of Object.values(this.state.roles)) {
      const core = view === 'live' ? latest(rec.core) : visible(rec.core, this.now(), this.d.iamLag());
      const b = view === 'live' ? latest(rec.boundary) : visible(rec.boundary, this.now(), this.d.iamLag());
      if (core && b === arn) n++;
    }
    return n;
  }

  private policyXml(rec: PolicyRecord, meta: PolicyMeta, view: 'live' | 'visible', full: boolean): XmlObject {
    const defaultVersion = view === 'live' ? latest(rec.defaultVersion) : visible(rec.defaultVersion, this.now(), this.d.iamLag());
    return {
      PolicyName: meta.name,
      PolicyId: meta.policyId,
      Arn: meta.arn,
      Path: meta.path,
      DefaultVersionId: defaultVersion,
      AttachmentCount: 0,
      PermissionsBoundaryUsageCount: this.boundaryUsage(meta.arn, view),
      IsAttachable: true,
      Description: full ? meta.description : undefined,
      CreateDate: new Date(meta.createdAt),
      UpdateDate: new Date(rec.updatedAt),
      Tags: full && meta.tags.length > 0 ? meta.tags.map((t) => ({ Key: t.Key, Value: t.Value })) : undefined,
    };
  }

  private checkManagedDocument(doc: string): void {
    validatePolicyDocument(doc, 'identity');
    if (policySize(doc) > MANAGED_POLICY_QUOTA) throw new SandboxError('LimitExceeded', `Cannot exceed quota for PolicySize: ${MANAGED_POLICY_QUOTA}`, 409);
  }

  private createPolicy(p: QueryParams): XmlObject {
    const name = requiredString(p, 'PolicyName', POLICY_NAME);
    const path = optionalString(p, 'Path', POLICY_PATH) ?? '/';
    const doc = requiredString(p, 'PolicyDocument', POLICY_DOCUMENT);
    const description = optionalString(p, 'Description', { max: 1000 });
    const tags = this.parseTags(p);
    this.checkManagedDocument(doc);
    this.collectGarbage();
    const key = name.toLowerCase();
    const existing = this.state.policies[key];
    if (latest(existing?.meta)) throw new SandboxError('EntityAlreadyExists', `A policy called ${name} already exists. Duplicate names are not allowed.`, 409);
    const now = this.now();
    const meta: PolicyMeta = {
      name,
      path,
      arn: `arn:aws:iam::${this.d.accountId}:policy${path}${name}`,
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
      this.put(rec.meta, meta);
      this.put(rec.defaultVersion, 'v1');
    } else {
      rec = { meta: fresh(meta, now), defaultVersion: fresh('v1', now), versions: { v1: { document: doc, createdAt: now } }, nextVersion: 2, updatedAt: now };
      this.state.policies[key] = rec;
    }
    return { Policy: this.policyXml(rec, meta, 'live', true) };
  }

  private getPolicy(p: QueryParams): XmlObject {
    const arn = requiredString(p, 'PolicyArn', ARN);
    const { rec, meta } = this.policyByArn(arn, 'visible');
    return { Policy: this.policyXml(rec, meta, 'visible', true) };
  }

  private deletePolicy(p: QueryParams): undefined {
    const arn = requiredString(p, 'PolicyArn', ARN);
    const { rec } = this.policyByArn(arn, 'live');
    if (this.boundaryUsage(arn, 'live') > 0) throw new SandboxError('DeleteConflict', 'Cannot delete a policy attached to entities.', 409);
    const live = Object.values(rec.versions).filter((v) => v.deletedAt === undefined);
    if (live.length > 1)
      throw new SandboxError(
        'DeleteConflict',
        "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
        409,
      );
    const now = this.now();
    for (const v of live) v.deletedAt = now;
    this.put(rec.meta, null);
    this.put(rec.defaultVersion, null);
    return undefined;
  }

  private listPolicies(p: QueryParams): XmlObject {
    const scope = optionalString(p, 'Scope') ?? 'All';
    if (!['All', 'AWS', 'Local'].includes(scope))
      throw validationError('Scope', scope, 'Member must satisfy enum value set: [All, AWS, Local]');
    const onlyAttached = optionalBool(p, 'OnlyAttached') ?? false;
    const prefix = optionalString(p, 'PathPrefix', POLICY_PATH) ?? '/';
    const usage = optionalString(p, 'PolicyUsageFilter');
    if (usage !== undefined && usage !== 'PermissionsPolicy' && usage !== 'PermissionsBoundary')
      throw validationError('PolicyUsageFilter', usage, 'Member must satisfy enum value set: [PermissionsPolicy, PermissionsBoundary]');
    const marker = optionalString(p, 'Marker', { min: 1, max: 320 });
    const maxItems = optionalInt(p, 'MaxItems', ...MAX_ITEMS);
    const items: XmlObject[] = [];
    if (scope !== 'AWS') {
      for (const rec of Object.values(this.state.policies)) {
        const meta = visible(rec.meta, this.now(), this.d.iamLag());
        if (!meta || !meta.path.startsWith(prefix)) continue;
        const x = this.policyXml(rec, meta, 'visible', false);
        const boundaryUses = x.PermissionsBoundaryUsageCount as number;
        if (usage === 'PermissionsPolicy') continue; // no policy is attached as a permissions policy here
        if (usage === 'PermissionsBoundary' && boundaryUses === 0) continue;
        if (onlyAttached && boundaryUses === 0) continue;
        items.push(x);
      }
    }
    items.sort((a, b) => cmp(String(a.PolicyName).toLowerCase(), String(b.PolicyName).toLowerCase()));
    const page = paginate(items, (x) => String(x.PolicyName).toLowerCase(), marker, maxItems);
    return { Policies: page.page, IsTruncated: page.isTruncated, Marker: page.marker };
  }

  private getPolicyVersion(p: QueryParams): XmlObject {
    const arn = requiredString(p, 'PolicyArn', ARN);
    const versionId = requiredString(p, 'VersionId', VERSION_ID);
    const { rec } = this.policyByArn(arn, 'visible');
    const v = rec.versions[versionId];
    if (!v || v.deletedAt !== undefined)
      throw new SandboxError('NoSuchEntity', `Policy ${arn} version ${versionId} does not exist or is not attachable.`, 404);
    return {
      PolicyVersion: {
        Document: encodePolicy(v.document),
        VersionId: versionId,
        IsDefaultVersion: visible(rec.defaultVersion, this.now(), this.d.iamLag()) === versionId,
        CreateDate: new Date(v.createdAt),
      },
    };
  }

  private createPolicyVersion(p: QueryParams): XmlObject {
    const arn = requiredString(p, 'PolicyArn', ARN);
    const doc = requiredString(p, 'PolicyDocument', POLICY_DOCUMENT);
    const setAsDefault = optionalBool(p, 'SetAsDefault') ?? false;
    const { rec } = this.policyByArn(arn, 'live');
    this.checkManagedDocument(doc);
    if (Object.values(rec.versions).filter((v) => v.deletedAt === undefined).length >= MAX_POLICY_VERSIONS)
      throw new SandboxError(
        'LimitExceeded',
        `A managed policy can have up to ${MAX_POLICY_VERSIONS} versions. Before you create a new version, you must delete an existing version.`,
        409,
      );
    const now = this.now();
    const versionId = `v${rec.nextVersion}`;
    rec.nextVersion++;
    rec.versions[versionId] = { document: doc, createdAt: now };
    if (setAsDefault) {
      this.put(rec.defaultVersion, versionId);
      rec.updatedAt = now;
    }
    return { PolicyVersion: { VersionId: versionId, IsDefaultVersion: setAsDefault, CreateDate: new Date(now) } };
  }

  private deletePolicyVersion(p: QueryParams): undefined {
    const arn = requiredString(p, 'PolicyArn', ARN);
    const versionId = requiredString(p, 'VersionId', VERSION_ID);
    const { rec } = this.policyByArn(arn, 'live');
    const v = rec.versions[versionId];
    if (!v || v.deletedAt !== undefined)
      throw new SandboxError('NoSuchEntity', `Policy ${arn} version ${versionId} does not exist or is not attachable.`, 404);
    if (latest(rec.defaultVersion) === versionId) throw new SandboxError('DeleteConflict', 'Cannot delete the default version of a policy.', 409);
    v.deletedAt = this.now();
    return undefined;
  }

  private listPolicyVersions(p: QueryParams): XmlObject {
    const arn = requiredString(p, 'PolicyArn', ARN);
    const marker = optionalString(p, 'Marker', { min: 1, max: 320 });
    const maxItems = optionalInt(p, 'MaxItems', ...MAX_ITEMS);
    const { rec } = this.policyByArn(arn, 'visible');
    const def = visible(rec.defaultVersion, this.now(), this.d.iamLag());
    const versions = Object.entries(rec.versions)
      .filter(([, v]) => v.deletedAt === undefined)
      .sort((a, b) => Number(b[0].slice(1)) - Number(a[0].slice(1)));
    const page = paginate(versions, ([id]) => String(1e9 - Number(id.slice(1))).padStart(10, '0'), marker, maxItems);
    return {
      Versions: page.page.map(([id, v]) => ({ VersionId: id, IsDefaultVersion: id === def, CreateDate: new Date(v.createdAt) })),
      IsTruncated: page.isTruncated,
      Marker: page.marker,
    };
  }

  // ---- account ----

  private getAccountSummary(): XmlObject {
    const now = this.now();
    const lag = this.d.iamLag();
    let roles = 0;
    for (const rec of Object.values(this.state.roles)) if (visible(rec.core, now, lag)) roles++;
    let policies = 0;
    let versionsInUse = 0;
    for (const rec of Object.values(this.state.policies)) {
      if (!visible(rec.meta, now, lag)) continue;
      policies++;
      versionsInUse += Object.values(rec.versions).filter((v) => v.deletedAt === undefined).length;
    }
    return {
      SummaryMap: new XmlMap([
        ['Users', 0],
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
        ['RolesQuota', this.d.rolesQuota],
      ]),
    };
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
