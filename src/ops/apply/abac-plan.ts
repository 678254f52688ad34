// The plan of `apply` in ABAC mode (issue 12): each tenant's ABAC create (or delete), planned from
// reads made once for the whole run where AWS allows it, like role mode's fleet scan (observe.ts):
//   - the registry: one Scan (consistent), whose rows (and their versions) execute writes against;
//   - the scope roles the file's tenants use: one GetRole each, not one per tenant;
//   - the probe users: one ListUsers listing of `isoctl-probe-*` when that is fewer pages than the
//     tenants to read (about one probe user per registered tenant, 60 a page), else AdminGetUser
//     per tenant;
//   - per tenant, only what no listing gives: the groups of an existing probe user (a scope group
//     also holds every real user of its scope, so listing it is unbounded), and its silo tables.
// An ABAC tenant owns no IAM object: there is no tenant role and no identity-pool mapping to read.
import type { UserInfo } from '../../aws/apis.js';
import { FailedError, IsoctlError } from '../../errors.js';
import { PolicyError } from '../../policy/errors.js';
import { abacProbeRole, assertNotScopeName, planAbacSteps } from '../../tenant/abac-create.js';
import type { TenantContext } from '../../tenant/context.js';
import { deleteTenant } from '../../tenant/delete.js';
import { desiredTenant, resolveScopes } from '../../tenant/desired.js';
import { PROBE_USER_PREFIX, probeUsername } from '../../tenant/names.js';
import type { ObservedTenant } from '../../tenant/observe.js';
import { listRegistry, type RegistryRow } from '../../tenant/registry.js';
import { mapLimit } from '../concurrency.js';
import { readRetry } from './observe.js';
import { countActions, type ApplyPlan, type TenantPlan } from './plan.js';
import type { TenantSpec } from './spec.js';

export interface AbacPlanInput {
  tenants: TenantSpec[];
  /** Tenants named for deletion (bulk delete); with prune, the registry's tenants the file does not name. */
  remove: string[];
  prune: boolean;
  ignoreMissing: boolean;
}

export interface AbacApplyPlan extends ApplyPlan {
  /** The registry's rows as the plan's Scan read them: execute's conditional writes start from these versions. */
  registry: Map<string, RegistryRow>;
}

/** ListUsers returns at most 60 users a page. */
const USERS_PER_PAGE = 60;

function refused(tenant: string, err: unknown, scopes?: string[]): TenantPlan {
  if (err instanceof IsoctlError || err instanceof PolicyError) return { tenant, action: 'refused', scopes, steps: [], reason: err.message, code: err.code };
  throw err;
}

/** The probe users of `tenants` (undefined: none): one listing, or one AdminGetUser each, whichever is fewer calls. */
async function probeUsersOf(ctx: TenantContext, tenants: string[], registered: number, concurrency: number): Promise<Map<string, UserInfo | undefined>> {
  const { apis, config } = ctx;
  const out = new Map<string, UserInfo | undefined>();
  const pages = Math.ceil((registered + 1) / USERS_PER_PAGE);
  if (tenants.length > pages) {
    const listed = new Map((await readRetry(ctx, () => apis.scans.listUsersByPrefix(config.userPoolId, PROBE_USER_PREFIX))).map((u) => [u.username, u]));
    for (const t of tenants) out.set(t, listed.get(probeUsername(t)));
  } else
    await mapLimit(tenants, concurrency, async (t) => {
      out.set(t, await readRetry(ctx, () => apis.cognitoIdp.adminGetUser(config.userPoolId, probeUsername(t))));
    });
  return out;
}

/** The rest of an ABAC tenant as `observeTenant(..., { abac: true })` shows it: its probe user's groups and its silo tables. */
async function observeRest(ctx: TenantContext, tenant: string, user: UserInfo | undefined): Promise<ObservedTenant> {
  const { apis, config } = ctx;
  const [groups, siloTables] = await Promise.all([
    user ? readRetry(ctx, () => apis.cognitoIdp.adminListGroupsForUser(config.userPoolId, user.username)) : Promise.resolve([] as string[]),
    Promise.all(
      config.tables
        .filter((t) => t.model === 'silo')
        .map(async (t) => {
          const name = `${t.name}-${tenant}`;
          const table = await readRetry(ctx, () => apis.dynamodb.describeTable(name));
          return { name, table, tags: table ? await readRetry(ctx, () => apis.dynamodb.listTableTags(table.arn)) : undefined };
        }),
    ),
  ]);
  return {
    tenant,
    role: undefined,
    inlinePolicyNames: [],
    dataPolicy: undefined,
    mapping: { kind: 'group', group: undefined },
    probe: { user, groups },
    siloTables,
  };
}

/** Each tenant's ABAC plan against the registry (one scan) and what AWS shows; --prune deletes the registry's tenants the file does not name. */
export async function planAbacApply(ctx: TenantContext, input: AbacPlanInput, concurrency: number): Promise<AbacApplyPlan> {
  const { config, apis } = ctx;
  const rows = new Map<string, RegistryRow>((await readRetry(ctx, () => listRegistry(ctx))).rows.map((r) => [r.tenant, r]));
  const named = new Set(input.tenants.map((t) => t.id));
  const remove = input.prune ? [...rows.keys()].filter((t) => !named.has(t)).sort() : input.remove;
  const plans = new Map<string, TenantPlan>();

  const wanted: Array<{ id: string; scopes: string[] }> = [];
  for (const t of input.tenants) {
    const row = rows.get(t.id);
    const asked = t.scopes ?? (row?.scopes.length ? row.scopes : undefined);
    try {
      assertNotScopeName(config, t.id);
      wanted.push({ id: t.id, scopes: resolveScopes(config, asked) });
    } catch (err) {
      plans.set(t.id, refused(t.id, err, asked));
    }
  }
  // The scope roles are init's: each one the file's tenants use is read once.
  const roles = [...new Set(wanted.map((w) => abacProbeRole(config, w.scopes).name))].sort();
  const missing = (await Promise.all(roles.map(async (r) => ((await readRetry(ctx, () => apis.iam.getRole(r))) ? [] : [r])))).flat();
  if (missing.length > 0) throw new FailedError(`the ABAC scope role ${missing.join(', ')} does not exist; run \`isoctl init\` first`, 'not_initialized');

  const users = await probeUsersOf(
    ctx,
    wanted.map((w) => w.id),
    rows.size,
    concurrency,
  );
  await mapLimit(wanted, concurrency, async ({ id, scopes }) => {
    const row = rows.get(id);
    try {
      const desired = desiredTenant(config, id, scopes);
      const observed = await observeRest(ctx, id, users.get(id));
      const steps = planAbacSteps(config, desired, observed);
      const registered = row !== undefined && row.status !== 'deleting' && row.scopes.join('+') === scopes.join('+') && row.mode === config.mapping;
      const fresh = steps.some((s) => s.action === 'create-probe-user');
      const action = steps.length === 0 && registered ? 'unchanged' : fresh && !row ? 'create' : 'update';
      plans.set(id, {
        tenant: id,
        action,
        scopes,
        steps,
        desired,
        observed,
        ...(registered ? {} : { reason: row ? 'registry row differs' : 'not registered' }),
      });
    } catch (err) {
      plans.set(id, refused(id, err, scopes));
    }
  });

  await mapLimit(remove, concurrency, async (t) => {
    try {
      const dry = await deleteTenant(ctx, { tenant: t, dryRun: true, ignoreMissing: true });
      if (dry.status === 'absent' && !rows.has(t))
        plans.set(
          t,
          input.ignoreMissing
            ? { tenant: t, action: 'unchanged', steps: [], reason: 'does not exist' }
            : {
                tenant: t,
                action: 'refused',
                steps: [],
                reason: `tenant ${JSON.stringify(t)} does not exist in stack ${config.stack}`,
                code: 'tenant_not_found',
              },
        );
      else
        plans.set(t, {
          tenant: t,
          action: 'delete',
          steps: [
            { action: 'tombstone', service: 'iam', target: t, reason: 'deny the deleted tenant on every scope role' },
            ...dry.items.map((i) => ({ action: i.action, service: i.service, target: i.target, reason: i.reason })),
          ] as TenantPlan['steps'],
        });
    } catch (err) {
      plans.set(t, refused(t, err));
    }
  });
  const tenants = [...input.tenants.map((t) => t.id), ...remove].map((t) => plans.get(t)!);
  return { stack: config.stack, mapping: config.mapping, prune: input.prune, tenants, counts: countActions(tenants), registry: rows };
}
