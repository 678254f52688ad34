// Reads and changes ABAC's deny lists (tombstones, suspensions, revocations) on every scope role
// of the stack (src/policy/deny-list.ts decides the documents and where each entry goes). Reads
// first and writes only what differs, so a re-run makes zero mutating calls; an entry that has to
// move is written in its new place before it leaves the old one; when the inline space and every
// managed slot are full it refuses (exit 4, with the numbers) before writing anything.
import type { PolicyInfo } from '../aws/apis.js';
import { AwsCallError } from '../aws/errors.js';
import { stackPath } from '../config/schema.js';
import { RefusedError } from '../errors.js';
import {
  ATTACHED_POLICIES_PER_ROLE,
  DENY_INLINE_POLICY_NAMES,
  DENY_KINDS,
  LIMITS,
  containerDocuments,
  denyDocumentsEqual,
  denyListHeadroom,
  denyListPolicyArn,
  denyListPolicyName,
  entryKey,
  placeDenyEntries,
  policySize,
  readDenyEntries,
  scopeRoleName,
  serializePolicy,
  type DenyContainer,
  type DenyEntry,
  type DenyHeadroom,
  type DenyPlacement,
  type PolicyDocument,
} from '../policy/index.js';
import { withIdentityPoolLock } from './lock.js';
import type { TenantContext } from './context.js';
import * as denyPolicy from './resources/deny-list-policy.js';
import * as scopeRole from './resources/scope-role.js';

const INLINE_NAMES = new Set(Object.values(DENY_INLINE_POLICY_NAMES));

interface RoleDenyState {
  /** The deny inline policies the role has now, by name. */
  inline: Record<string, unknown>;
  /** Deny-list managed policies attached to it, by n. */
  attached: Map<number, string>;
}

export interface DenyListState {
  /** The scope roles that exist (a missing one issues no sessions). */
  roles: string[];
  perRole: Map<string, RoleDenyState>;
  containers: DenyContainer[];
  managed: Map<number, { info: PolicyInfo; document: unknown }>;
  managedSlots: number;
}

/** Reads the deny lists of every scope role: entries, where they live, and the room left. */
export async function readDenyLists(ctx: TenantContext): Promise<DenyListState> {
  const { apis, config } = ctx;
  const roles: string[] = [];
  const perRole = new Map<string, RoleDenyState>();
  const inlineEntries: DenyEntry[] = [];
  let otherInline = 0;
  let otherAttached = 0;
  const managedArns = new Map<number, string>();
  for (const scope of Object.keys(config.scopes).sort()) {
    const name = scopeRoleName(config, scope);
    const role = await apis.iam.getRole(name);
    if (!role) continue;
    const own = scopeRole.owned(config, role, scope);
    if (!own.owned) throw new RefusedError(`${own.reason}; nothing was changed`, 'not_owned');
    roles.push(name);
    const state: RoleDenyState = { inline: {}, attached: new Map() };
    let others = 0;
    for (const policyName of await apis.iam.listRolePolicies(name)) {
      const doc = await apis.iam.getRolePolicy(name, policyName);
      if (doc === undefined) continue;
      if (INLINE_NAMES.has(policyName)) {
        state.inline[policyName] = doc;
        inlineEntries.push(...readDenyEntries(doc));
      } else others += policySize(serializePolicy(doc as PolicyDocument));
    }
    otherInline = Math.max(otherInline, others);
    let attachedOthers = 0;
    for (const arn of await apis.iam.listAttachedRolePolicies(name)) {
      const n = denyPolicy.numberOfAttached(config, arn);
      if (n === undefined) {
        attachedOthers++;
        continue;
      }
      state.attached.set(n, arn);
      managedArns.set(n, arn);
    }
    otherAttached = Math.max(otherAttached, attachedOthers);
    perRole.set(name, state);
  }
  const managed = new Map<number, { info: PolicyInfo; document: unknown }>();
  const containers: DenyContainer[] = [{ kind: 'inline', n: 0, capacity: LIMITS.inlinePolicyCharsPerRole - otherInline, entries: dedupe(inlineEntries) }];
  for (const [n, arn] of [...managedArns].sort((a, b) => a[0] - b[0])) {
    const info = await apis.iam.getPolicy(arn);
    if (!info) continue;
    const own = denyPolicy.owned(config, info);
    if (!own.owned) throw new RefusedError(`${own.reason}; nothing was changed`, 'not_owned');
    const document = await apis.iam.getPolicyVersion(arn, info.defaultVersionId);
    managed.set(n, { info, document });
    containers.push({ kind: 'managed', n, capacity: LIMITS.managedPolicyChars, entries: readDenyEntries(document) });
  }
  return { roles, perRole, containers, managed, managedSlots: Math.max(0, ATTACHED_POLICIES_PER_ROLE - otherAttached) };
}

function dedupe(entries: DenyEntry[]): DenyEntry[] {
  return [...new Map(entries.map((e) => [entryKey(e), e])).values()];
}

/** The entries a scope role enforces now: its inline deny policies and the deny-list policies attached to it. */
export function roleEntries(state: DenyListState, role: string): DenyEntry[] {
  const r = state.perRole.get(role);
  if (!r) return [];
  const out = Object.values(r.inline).flatMap((d) => readDenyEntries(d));
  for (const n of r.attached.keys()) out.push(...readDenyEntries(state.managed.get(n)?.document));
  return dedupe(out);
}

/** True when every scope role enforces an entry `match` selects (and at least one role exists). */
export function everyRoleHas(state: DenyListState, match: (e: DenyEntry) => boolean): boolean {
  return state.roles.length > 0 && state.roles.every((r) => roleEntries(state, r).some(match));
}

export function headroomOf(state: DenyListState, idLength?: number): DenyHeadroom {
  return denyListHeadroom(state.containers, state.managedSlots, idLength);
}

export interface DenyChange {
  add: DenyEntry[];
  drop: (e: DenyEntry) => boolean;
}

export interface DenyChangeResult {
  /** Mutating IAM calls made (0: already so). */
  writes: number;
  roles: string[];
  headroom: DenyHeadroom;
}

/**
 * Applies a change to the deny lists of every scope role. Refuses (exit 4, nothing written) when
 * the entries no longer fit the inline space and the managed slots; `what` names the operation.
 */
export async function changeDenyLists(ctx: TenantContext, change: DenyChange, what: string): Promise<DenyChangeResult> {
  const first = await planDenyChange(ctx, change, what);
  if (!first.placed || first.placed.changed.length === 0) return { writes: 0, roles: first.state.roles, headroom: headroomOf(first.state) };
  // Delete, suspend, resume, revoke-sessions and gc read-modify-write the same lists: the write is
  // made under the stack's lock, from a fresh read, so none loses another's entry. An unchanged list
  // (a re-run) takes no lock and writes nothing.
  const lock = { now: () => ctx.now(), sleep: (ms: number, sg?: AbortSignal) => ctx.sleep(ms, sg), signal: ctx.signal, purpose: ctx.purpose ?? what };
  return withIdentityPoolLock(ctx.apis, ctx.config, lock, async () => {
    const { state, placed } = await planDenyChange(ctx, change, what);
    if (!placed) return { writes: 0, roles: state.roles, headroom: headroomOf(state) };
    return writeDenyChange(ctx, state, placed);
  });
}

async function planDenyChange(ctx: TenantContext, change: DenyChange, what: string): Promise<{ state: DenyListState; placed: DenyPlacement | undefined }> {
  const state = await readDenyLists(ctx);
  if (state.roles.length === 0) return { state, placed: undefined };
  const placed = placeDenyEntries(state.containers, change.add, change.drop, state.managedSlots);
  if ('overflow' in placed) {
    const inline = state.containers[0]?.capacity ?? 0;
    throw new RefusedError(
      `cannot ${what}: the scope roles' deny lists (tombstones, suspensions, revocations) would need ${placed.needed} characters; ` +
        `they may hold ${placed.limit} (${inline} inline beside the data policy, of IAM's ${LIMITS.inlinePolicyCharsPerRole} per role, ` +
        `plus ${placed.managedSlots} managed policies of ${LIMITS.managedPolicyChars}); nothing was changed. ` +
        'Resume suspended tenants, let revocations age out (12 h), or gc old tombstones first.',
      'deny_list_limit',
      { needed: placed.needed, limit: placed.limit, managedSlots: placed.managedSlots },
    );
  }
  return { state, placed };
}

async function writeDenyChange(ctx: TenantContext, state: DenyListState, placed: DenyPlacement): Promise<DenyChangeResult> {
  const changedIds = new Set(placed.changed.map((c) => `${c.kind}${c.n}`));
  const order = [...placed.changed, ...placed.containers.filter((c) => !changedIds.has(`${c.kind}${c.n}`))];
  let writes = 0;
  for (const c of order) writes += c.kind === 'inline' ? await syncInline(ctx, state, c) : await syncManaged(ctx, state, c);
  const after = { ...state, containers: placed.containers };
  return { writes, roles: state.roles, headroom: headroomOf(after) };
}

async function syncInline(ctx: TenantContext, state: DenyListState, c: DenyContainer): Promise<number> {
  const want = containerDocuments(c);
  let writes = 0;
  for (const role of state.roles) {
    const have = state.perRole.get(role)?.inline ?? {};
    for (const kind of DENY_KINDS) {
      const name = DENY_INLINE_POLICY_NAMES[kind];
      const doc = want[name];
      if (doc && !denyDocumentsEqual(doc, have[name])) {
        ctx.progress?.(`writing ${name} on ${role}`);
        await ctx.apis.iam.putRolePolicy(role, name, serializePolicy(doc));
        writes++;
      } else if (!doc && have[name] !== undefined) {
        ctx.progress?.(`removing ${name} from ${role}`);
        await ctx.apis.iam.deleteRolePolicy(role, name).catch(notFoundIsDone);
        writes++;
      }
    }
  }
  return writes;
}

async function syncManaged(ctx: TenantContext, state: DenyListState, c: DenyContainer): Promise<number> {
  const { iam } = ctx.apis;
  const { config } = ctx;
  const arn = denyListPolicyArn(config, c.n);
  const doc = containerDocuments(c).managed;
  const current = state.managed.get(c.n);
  const attachedTo = state.roles.filter((r) => state.perRole.get(r)?.attached.has(c.n));
  const steps = denyPolicy.plan(
    arn,
    {
      document: doc ? serializePolicy(doc) : undefined,
      equal: doc !== undefined && current !== undefined && denyDocumentsEqual(doc, current.document),
    },
    { exists: current !== undefined, attachedTo },
    state.roles,
  );
  for (const step of steps) {
    ctx.progress?.(`${step.action} ${step.target}`);
    switch (step.action) {
      case 'create-deny-policy':
        await createOrAdopt(ctx, c.n, serializePolicy(doc!));
        break;
      case 'update-deny-policy':
        await iam.createPolicyVersion(arn, serializePolicy(doc!));
        break;
      case 'attach-deny-policy':
        await iam.attachRolePolicy(step.role!, arn);
        break;
      case 'detach-deny-policy':
        await iam.detachRolePolicy(step.role!, arn);
        break;
      case 'delete-deny-policy':
        for (const v of await iam.listPolicyVersions(arn)) if (!v.isDefault) await iam.deletePolicyVersion(arn, v.versionId);
        await iam.deletePolicy(arn);
        break;
    }
  }
  return steps.length;
}

/** CreatePolicy; a policy of that name left by an interrupted run is taken over only when it is isoctl's. */
async function createOrAdopt(ctx: TenantContext, n: number, document: string): Promise<void> {
  const { iam } = ctx.apis;
  const { config } = ctx;
  try {
    await iam.createPolicy({
      name: denyListPolicyName(config.stack, n),
      path: stackPath(config.stack),
      document,
      description: `isoctl ABAC deny list ${n} of stack ${config.stack} (tombstones, suspensions, revocations)`,
      tags: denyPolicy.denyListTags(config),
    });
  } catch (err) {
    if (!(err instanceof AwsCallError && err.kind === 'already-exists')) throw err;
    const arn = denyListPolicyArn(config, n);
    const info = await iam.getPolicy(arn);
    const own = info ? denyPolicy.owned(config, info) : { owned: false as const, reason: `${arn} exists but cannot be read` };
    if (!own.owned) throw new RefusedError(`${own.reason}; nothing more was changed`, 'not_owned');
    await iam.createPolicyVersion(arn, document);
  }
}

function notFoundIsDone(err: unknown): boolean {
  if (err instanceof AwsCallError && err.kind === 'not-found') return false;
  throw err;
}
