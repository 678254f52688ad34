// Executes a gc plan through the resource modules' `remove` (src/tenant/resources), the same
// removals `tenant delete` uses. Each planned item ends removed, waiting (deleted, but AWS still
// shows it, or still-propagating errors until the timeout: a re-run confirms), failed or skipped,
// with a reason. Before anything of a tenant is changed its state is read again: a tenant that
// got a mapping or a role back, or was re-created, since the plan is skipped. Identity-pool rules
// are removed in one read-modify-write under the stack's lock. Tenants run in parallel up to
// `concurrency`; a tenant's items run in order: mapping, probe user, role.
import type { AwsApis, MappingRule } from '../../aws/apis.js';
import type { StackConfig } from '../../config/schema.js';
import { roleName } from '../../config/tenant-id.js';
import { IsoctlError } from '../../errors.js';
import { mappingKeyOf, rulesOf } from '../../tenant/observe.js';
import { group, probeUser, role, rule } from '../../tenant/resources/index.js';
import { describeError, outcomeOfError, retryRemoval, type RemovalContext, type RemovalOutcome } from '../../tenant/resources/types.js';
import { mapLimit } from '../concurrency.js';
import type { RetryClock } from '../retry.js';
import { formatAge, TAG_CREATED_AT, type GcItem } from './plan.js';
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

const TENANT_KINDS: ReadonlySet<GcItem['kind']> = new Set(['group', 'rule', 'probe-user', 'role']);

export async function applyGc(ctx: GcRunContext, items: GcItem[], opts: GcApplyOptions): Promise<void> {
  const { apis, config } = ctx;
  const rctx: RemovalContext = { ...ctx, deadline: ctx.now() + opts.timeoutMs, confirm: true, purpose: ctx.purpose ?? 'gc' };
  const retry = <T>(fn: () => Promise<T>) => retryRemoval(rctx, fn);
  const settle = (item: GcItem, o: RemovalOutcome) => {
    item.state = o.state;
    item.detail = o.detail;
    opts.onItem?.(item);
  };
  // Revocations (and ABAC's kinds) have their own executors (revocations.ts, abac-apply.ts).
  const planned = items.filter((i) => i.state === 'planned' && TENANT_KINDS.has(i.kind));

  // 1. Rules of tenants whose role is gone: one write under the lock.
  const ruleItems = planned.filter((i) => i.kind === 'rule');
  if (ruleItems.length > 0) {
    ctx.progress?.(`removing ${ruleItems.length} identity-pool rule(s) under the lock`);
    const confirmed: GcItem[] = [];
    await mapLimit(ruleItems, opts.concurrency, async (item) => {
      try {
        if (await retry(() => apis.iam.getRole(roleName(config.stack, item.tenant))))
          settle(item, { state: 'skipped', detail: `the role ${roleName(config.stack, item.tenant)} exists again (a tenant create ran since the plan)` });
        else confirmed.push(item);
      } catch (err) {
        settle(item, outcomeOfError(err));
      }
    });
    if (confirmed.length > 0) {
      try {
        const outcomes = await rule.removeMany(rctx, confirmed);
        for (const item of confirmed) settle(item, outcomes.get(item)!);
      } catch (err) {
        for (const item of confirmed) settle(item, err instanceof IsoctlError ? { state: 'failed', detail: err.message } : outcomeOfError(err));
      }
    }
  }

  // 2. Per tenant: check it is still garbage, then mapping, probe user, role.
  const byTenant = new Map<string, GcItem[]>();
  for (const i of planned) if (i.kind !== 'rule') byTenant.set(i.tenant, [...(byTenant.get(i.tenant) ?? []), i]);
  let freshRules: MappingRule[] | undefined;
  if (config.mapping === 'rules' && planned.some((i) => i.kind === 'role'))
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
        if (!d.exists) settle(roleItem, { state: 'skipped', detail: 'already gone' });
        else {
          const o = role.owned(config, { name, path: d.path, tags: d.tags }, tenant);
          if (!o.owned) throw new Skip(`${o.reason} (changed since the plan)`);
          const created = d.tags[TAG_CREATED_AT] ?? d.createDate;
          const ageMs = created ? ctx.now() - Date.parse(created) : NaN;
          if (!(ageMs >= opts.minAgeMs))
            throw new Skip(
              `${name} was re-created ${Number.isNaN(ageMs) ? 'at an unknown time' : `${formatAge(Math.floor(ageMs / 1000))} ago`} (younger than --min-age)`,
            );
          const arn = d.arn;
          if (config.mapping === 'token') {
            const g = await retry(() => apis.cognitoIdp.getGroup(config.userPoolId, tenant));
            if (g?.roleArn === arn) throw new Skip(`group ${tenant} maps the role again (a tenant create ran since the plan)`);
          } else if (freshRules?.some((r) => r.RoleArn === arn))
            throw new Skip('an identity-pool rule maps the role again (a tenant create ran since the plan)');
        }
      } else if (await retry(() => apis.iam.getRole(name))) throw new Skip(`the role ${name} exists again (a tenant create ran since the plan)`);
    } catch (err) {
      const o: RemovalOutcome =
        err instanceof Skip
          ? { state: 'skipped', detail: err.message }
          : { state: 'failed', detail: `could not check the tenant again: ${describeError(err)}` };
      for (const i of list) if (i.state === 'planned') settle(i, o);
      return;
    }

    for (const item of list) {
      if (item.state !== 'planned') continue;
      try {
        ctx.progress?.(`deleting ${item.kind} ${item.target}`);
        if (item.kind === 'group') settle(item, await group.remove(rctx, { name: item.target, tenant, roleArn: item.roleArn }));
        else if (item.kind === 'probe-user') settle(item, await probeUser.remove(rctx, { username: item.target }));
        else if (item.kind === 'role') settle(item, await role.remove(rctx, { name: item.target, inlinePolicies: knownPolicies }));
      } catch (err) {
        settle(item, outcomeOfError(err));
      }
    }
  });
}
