// Executes a gc plan. Each pending item ends removed, waiting (deleted, but AWS still shows it, or
// still-propagating errors until the timeout: a re-run confirms), failed or skipped, with a reason.
// Before anything of a tenant is changed its state is read again: a tenant that got a mapping or
// a role back, or was re-created, since the plan is skipped. Identity-pool rules are removed in
// one read-modify-write under the stack's lock (modifyIdentityPoolRoles), re-read after writing.
// Tenants run in parallel up to `concurrency`; a tenant's items run in order: mapping, probe
// user, role (inline policies first).
import type { AwsApis, MappingRule } from '../../aws/apis.js';
import { AwsCallError } from '../../aws/errors.js';
import type { StackConfig } from '../../config/schema.js';
import { roleName } from '../../config/tenant-id.js';
import { IsoctlError } from '../../errors.js';
import { rulesEntry } from '../../tenant/apply.js';
import { isManagedGroupDescription } from '../../tenant/names.js';
import { mappingKeyOf, rulesOf } from '../../tenant/observe.js';
import { modifyIdentityPoolRoles } from '../../tenant/pool-roles.js';
import { backoffMs } from '../../tenant/wait.js';
import { mapLimit } from '../concurrency.js';
import { withRetry, type RetryClock } from '../retry.js';
import { formatAge, roleOwnedByStack, TAG_CREATED_AT, type GcItem } from './plan.js';
import { readRoleDetails } from './scan.js';

export interface GcRunContext extends RetryClock {
  apis: AwsApis;
  config: StackConfig;
  /** For the lock's holder field. */
  purpose?: string | undefined;
  progress?: ((message: string) => void) | undefined;
}

export interface GcApplyOptions {
  concurrency: number;
  /** How long deletions may take to be confirmed (and still-propagating errors retried). */
  timeoutMs: number;
  minAgeMs: number;
  onItem?: ((item: GcItem) => void) | undefined;
}

class Skip extends Error {}

function describe(err: unknown): string {
  if (err instanceof AwsCallError) return err.summary;
  return (err as Error)?.message ?? String(err);
}

export async function applyGc(ctx: GcRunContext, items: GcItem[], opts: GcApplyOptions): Promise<void> {
  const { apis, config } = ctx;
  const deadline = ctx.now() + opts.timeoutMs;
  const retry = <T>(fn: () => Promise<T>, also?: (e: AwsCallError) => boolean) => withRetry(ctx, fn, { deadline, ...(also ? { also } : {}), attempts: also ? 1000 : 8 });
  const settle = (item: GcItem, state: GcItem['state'], detail?: string) => {
    item.state = state;
    item.detail = detail;
    opts.onItem?.(item);
  };
  const fail = (item: GcItem, err: unknown) => {
    if (err instanceof AwsCallError && (err.kind === 'still-propagating' || err.kind === 'conflict' || err.kind === 'throttled'))
      settle(item, 'waiting', `${describe(err)} (still so after the --timeout; run gc again)`);
    else settle(item, 'failed', describe(err));
  };
  /** Polls `stillThere` until it says false; false when the deadline comes first. */
  const confirmGone = async (stillThere: () => Promise<boolean>): Promise<boolean> => {
    for (let attempt = 1; ; attempt++) {
      if (!(await retry(stillThere))) return true;
      const wait = backoffMs(attempt);
      if (ctx.now() + wait > deadline) return false;
      await ctx.sleep(wait, ctx.signal);
    }
  };
  const pending = items.filter((i) => i.state === 'pending');

  // 1. Rules of tenants whose role is gone: one write under the lock.
  const ruleItems = pending.filter((i) => i.kind === 'rule');
  if (ruleItems.length > 0) {
    ctx.progress?.(`removing ${ruleItems.length} identity-pool rule(s) under the lock`);
    const confirmed: GcItem[] = [];
    await mapLimit(ruleItems, opts.concurrency, async (item) => {
      try {
        if (await retry(() => apis.iam.getRole(roleName(config.stack, item.tenant)))) settle(item, 'skipped', `the role ${roleName(config.stack, item.tenant)} exists again (a tenant create ran since the plan)`);
        else confirmed.push(item);
      } catch (err) {
        fail(item, err);
      }
    });
    if (confirmed.length > 0) {
      const key = mappingKeyOf(config);
      const found = new Set<GcItem>();
      try {
        await retry(() =>
          modifyIdentityPoolRoles(apis, config, { now: ctx.now, sleep: ctx.sleep, signal: ctx.signal, purpose: ctx.purpose ?? 'gc' }, (roles) => {
            found.clear();
            const entry = roles.RoleMappings[key];
            if (!entry || entry.Type !== 'Rules') return;
            const matches = (r: MappingRule, i: GcItem) => `${r.Claim}=${r.Value}` === i.target && r.MatchType === 'Equals' && r.RoleArn === i.roleArn;
            const kept = (entry.RulesConfiguration?.Rules ?? []).filter((r) => {
              const item = confirmed.find((i) => matches(r, i));
              if (item) found.add(item);
              return !item;
            });
            if (found.size > 0) roles.RoleMappings[key] = { ...rulesEntry(kept), AmbiguousRoleResolution: entry.AmbiguousRoleResolution ?? 'Deny' };
          }),
        );
        for (const item of confirmed) settle(item, 'removed', found.has(item) ? 'removed under the lock; the identity pool read back without it' : 'already gone');
      } catch (err) {
        for (const item of confirmed) {
          if (err instanceof IsoctlError) settle(item, 'failed', err.message);
          else fail(item, err);
        }
      }
    }
  }

  // 2. Per tenant: check it is still garbage, then mapping, probe user, role.
  const byTenant = new Map<string, GcItem[]>();
  for (const i of pending) if (i.kind !== 'rule') byTenant.set(i.tenant, [...(byTenant.get(i.tenant) ?? []), i]);
  let freshRules: MappingRule[] | undefined;
  if (config.mapping === 'rules' && pending.some((i) => i.kind === 'role'))
    freshRules = rulesOf(await retry(() => apis.cognitoIdentity.getIdentityPoolRoles(config.identityPoolId)), mappingKeyOf(config));

  await mapLimit([...byTenant.entries()], opts.concurrency, async ([tenant, list]) => {
    const name = roleName(config.stack, tenant);
    const roleItem = list.find((i) => i.kind === 'role');
    // The re-check below reads the role's inline policy names; the first deletion attempt uses them.
    let knownPolicies: string[] | undefined;
    try {
      ctx.progress?.(`checking tenant ${tenant} again`);
      if (roleItem) {
        const d = await readRoleDetails(apis, name, ctx);
        knownPolicies = d.inlinePolicies;
        if (!d.exists) settle(roleItem, 'removed', 'already gone');
        else {
          if (!roleOwnedByStack(config, name, d)) throw new Skip(`${name} no longer carries the stack's path and tags`);
          const created = d.tags[TAG_CREATED_AT] ?? d.createDate;
          const ageMs = created ? ctx.now() - Date.parse(created) : NaN;
          if (!(ageMs >= opts.minAgeMs)) throw new Skip(`${name} was re-created ${Number.isNaN(ageMs) ? 'at an unknown time' : `${formatAge(Math.floor(ageMs / 1000))} ago`} (younger than --min-age)`);
          const arn = d.arn;
          if (config.mapping === 'token') {
            const g = await retry(() => apis.cognitoIdp.getGroup(config.userPoolId, tenant));
            if (g?.roleArn === arn) throw new Skip(`group ${tenant} maps the role again (a tenant create ran since the plan)`);
          } else if (freshRules?.some((r) => r.RoleArn === arn)) throw new Skip('an identity-pool rule maps the role again (a tenant create ran since the plan)');
        }
      } else if (await retry(() => apis.iam.getRole(name))) throw new Skip(`the role ${name} exists again (a tenant create ran since the plan)`);
    } catch (err) {
      const why = err instanceof Skip ? err.message : `could not check the tenant again: ${describe(err)}`;
      for (const i of list) if (i.state === 'pending') settle(i, err instanceof Skip ? 'skipped' : 'failed', why);
      return;
    }

    for (const item of list) {
      if (item.state !== 'pending') continue;
      try {
        if (item.kind === 'group') {
          ctx.progress?.(`deleting group ${item.target}`);
          const g = await retry(() => apis.cognitoIdp.getGroup(config.userPoolId, item.target));
          if (!g) {
            settle(item, 'removed', 'already gone');
            continue;
          }
          if (isManagedGroupDescription(config, g.description) !== tenant) {
            settle(item, 'skipped', `group ${item.target} no longer carries isoctl's mark for stack ${config.stack}`);
            continue;
          }
          if (g.roleArn !== item.roleArn) {
            settle(item, 'skipped', `group ${item.target} now maps to ${g.roleArn ?? 'no role'}`);
            continue;
          }
          await retry(() => apis.cognitoIdp.deleteGroup(config.userPoolId, item.target));
          const gone = await confirmGone(async () => (await apis.cognitoIdp.getGroup(config.userPoolId, item.target)) !== undefined);
          settle(item, gone ? 'removed' : 'waiting', gone ? undefined : 'deleted; Cognito still lists it (run gc again to confirm)');
        } else if (item.kind === 'probe-user') {
          ctx.progress?.(`deleting probe user ${item.target}`);
          const existed = await retry(() => apis.cognitoIdp.adminDeleteUser(config.userPoolId, item.target));
          const gone = await confirmGone(async () => (await apis.cognitoIdp.adminGetUser(config.userPoolId, item.target)) !== undefined);
          settle(item, gone ? 'removed' : 'waiting', !gone ? 'deleted; Cognito still shows it (run gc again to confirm)' : existed ? undefined : 'already gone');
        } else if (item.kind === 'role') {
          ctx.progress?.(`deleting role ${item.target}`);
          const removedPolicies: string[] = [];
          // DeleteConflict while IAM still lists a just-deleted inline policy: list again and retry until the timeout.
          let policies = knownPolicies;
          await retry(
            async () => {
              const names = policies ?? (await apis.iam.listRolePolicies(item.target).catch((err: unknown) => (err instanceof AwsCallError && err.kind === 'not-found' ? [] : Promise.reject(err))));
              policies = undefined;
              for (const p of names ?? []) {
                if (await apis.iam.deleteRolePolicy(item.target, p)) removedPolicies.push(p);
              }
              try {
                await apis.iam.deleteRole(item.target);
              } catch (err) {
                if (err instanceof AwsCallError && err.reason === 'attached-policies')
                  throw new Error(`${err.summary} (the role has attached managed policies or instance profiles; isoctl never detaches what it did not attach)`);
                throw err;
              }
            },
            (e) => e.kind === 'conflict' || e.kind === 'still-propagating',
          );
          const gone = await confirmGone(async () => (await apis.iam.getRole(item.target)) !== undefined);
          const what = removedPolicies.length > 0 ? `inline policies ${removedPolicies.join(', ')} and the role deleted` : undefined;
          settle(item, gone ? 'removed' : 'waiting', gone ? what : `${what ?? 'deleted'}; IAM still shows the role (run gc again to confirm)`);
        }
      } catch (err) {
        fail(item, err);
      }
    }
  });
}
