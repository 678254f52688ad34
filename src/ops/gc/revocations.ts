// gc of revoke-sessions statements (role mode: token, rules). `tenant revoke-sessions` adds to the
// tenant role's `isoctl-revoked` policy a Deny for credentials whose aws:TokenIssueTime is before
// a moment; once the longest credential lifetime (12 h, a role session's ceiling) has passed since
// that moment, no live credential can match it and it only costs policy characters. gc drops such
// statements (the whole policy when none is left). The policy is parsed and rebuilt with the pure
// functions of src/policy (revocationTimes, buildRevokePolicy) and split with revoke-sessions' own
// liveRevocations, so gc and revoke-sessions agree on what is past. The rewrite happens under the
// stack's lock after reading the policy and the role's ownership again.
import type { RoleInfo } from '../../aws/apis.js';
import { AwsCallError } from '../../aws/errors.js';
import { stackPath, type StackConfig } from '../../config/schema.js';
import { buildRevokePolicy, policiesEqual, REVOKE_POLICY_NAME, revocationTimes, serializePolicy, type PolicyDocument } from '../../policy/index.js';
import type { TenantContext } from '../../tenant/context.js';
import { withIdentityPoolLock } from '../../tenant/lock.js';
import { role as roleResource } from '../../tenant/resources/index.js';
import { describeError, outcomeOfError, type RemovalOutcome } from '../../tenant/resources/types.js';
import { liveRevocations, LONGEST_CREDENTIAL_SECONDS } from '../../tenant/revoke.js';
import { mapLimit } from '../concurrency.js';
import { withRetry, type RetryClock } from '../retry.js';
import { formatAge, type GcItem } from './plan.js';

/** Role name -> the revocation times its isoctl-revoked policy holds (roles without the policy are absent). */
export type RevocationListing = Map<string, string[]>;

async function readPolicy(ctx: RetryClock & { apis: TenantContext['apis'] }, role: string): Promise<unknown> {
  return withRetry(ctx, () => ctx.apis.iam.getRolePolicy(role, REVOKE_POLICY_NAME)).catch((err: unknown) => {
    if (err instanceof AwsCallError && err.kind === 'not-found') return undefined;
    throw err;
  });
}

/** One GetRolePolicy per tenant role of the stack (`skip`: roles gc removes anyway). */
export async function scanRevocations(
  ctx: RetryClock & { apis: TenantContext['apis'] },
  config: StackConfig,
  roles: RoleInfo[],
  skip: Set<string>,
  concurrency: number,
): Promise<RevocationListing> {
  const path = stackPath(config.stack);
  const names = roles.filter((r) => r.path === path && roleResource.tenantOfRoleName(config, r.name) !== undefined && !skip.has(r.name)).map((r) => r.name);
  const out: RevocationListing = new Map();
  await mapLimit(names, concurrency, async (name) => {
    const doc = await readPolicy(ctx, name);
    if (doc === undefined) return;
    const times = revocationTimes(doc);
    // ListRoles shows no tags: a role with something to prune is listed only once its tags say it is isoctl's.
    if (liveRevocations(times, ctx.now()).pruned.length > 0) {
      const info = await withRetry(ctx, () => ctx.apis.iam.getRole(name));
      const tags = info && (info.tags ?? (await withRetry(ctx, () => ctx.apis.iam.listRoleTags(name))));
      if (!info || !roleResource.owned(config, { name, path: info.path, tags }).owned) return;
    }
    out.set(name, times);
  });
  return out;
}

export function planRevocations(config: StackConfig, listing: RevocationListing, now: number): GcItem[] {
  const items: GcItem[] = [];
  for (const [role, times] of [...listing.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const { pruned, kept } = liveRevocations(times, now);
    if (pruned.length === 0) continue;
    const oldest = pruned[0]!;
    items.push({
      kind: 'revocation',
      tenant: roleResource.tenantOfRoleName(config, role) ?? role,
      target: `${role}/${REVOKE_POLICY_NAME}`,
      reason: `${pruned.length} revocation(s) (credentials issued before ${pruned.join(', ')}) older than the longest credential lifetime ${formatAge(LONGEST_CREDENTIAL_SECONDS)}: they can match no live credentials${kept.length > 0 ? `; ${kept.length} recent one(s) stay` : ''}`,
      createdAt: oldest,
      ageSeconds: Math.max(0, Math.floor((now - Date.parse(oldest)) / 1000)),
      state: 'planned',
    });
  }
  return items;
}

export async function applyRevocations(ctx: TenantContext, items: GcItem[], opts: { onItem?: ((item: GcItem) => void) | undefined }): Promise<void> {
  const due = items.filter((i) => i.state === 'planned' && i.kind === 'revocation');
  if (due.length === 0) return;
  const settle = (item: GcItem, o: RemovalOutcome) => {
    item.state = o.state;
    item.detail = o.detail;
    opts.onItem?.(item);
  };
  const lock = { now: () => ctx.now(), sleep: (ms: number, s?: AbortSignal) => ctx.sleep(ms, s), signal: ctx.signal, purpose: ctx.purpose ?? 'gc' };
  try {
    // revoke-sessions read-modify-writes the same policy: under the lock a concurrent revocation is not lost.
    await withIdentityPoolLock(ctx.apis, ctx.config, lock, async () => {
      for (const item of due) {
        try {
          settle(item, await pruneOne(ctx, item.target.slice(0, -(REVOKE_POLICY_NAME.length + 1)), item.tenant));
        } catch (err) {
          settle(item, outcomeOfError(err));
        }
      }
    });
  } catch (err) {
    for (const item of due) if (item.state === 'planned') settle(item, { state: 'failed', detail: `taking the stack's lock: ${describeError(err)}` });
  }
}

async function pruneOne(ctx: TenantContext, role: string, tenant: string): Promise<RemovalOutcome> {
  const { apis, config } = ctx;
  const info = await withRetry(ctx, () => apis.iam.getRole(role));
  if (!info) return { state: 'skipped', detail: 'the role is gone' };
  const tags = info.tags ?? (await withRetry(ctx, () => apis.iam.listRoleTags(role)));
  const own = roleResource.owned(config, { name: info.name, path: info.path, tags }, tenant);
  if (!own.owned) return { state: 'skipped', detail: `${own.reason} (changed since the plan)` };
  const current = await readPolicy(ctx, role);
  const { kept, pruned } = liveRevocations(revocationTimes(current), ctx.now());
  if (pruned.length === 0) return { state: 'skipped', detail: 'already pruned' };
  ctx.progress?.(`pruning ${pruned.length} revocation(s) on ${role}`);
  if (kept.length === 0) {
    await withRetry(ctx, () => apis.iam.deleteRolePolicy(role, REVOKE_POLICY_NAME));
    return { state: 'removed', detail: `policy ${REVOKE_POLICY_NAME} removed (${pruned.length} past revocation(s), none left)` };
  }
  const doc = buildRevokePolicy(kept);
  if (!policiesEqual(doc, current as PolicyDocument)) await withRetry(ctx, () => apis.iam.putRolePolicy(role, REVOKE_POLICY_NAME, serializePolicy(doc)));
  return { state: 'removed', detail: `${pruned.length} past revocation(s) dropped; ${kept.length} kept` };
}
