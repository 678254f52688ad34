// How a tenant is shut out and let back in. The interface is what `tenant suspend|resume`
// (src/tenant/lifecycle.ts) needs; each mapping mode implements it:
// - role mode (token, rules): a deny-all inline policy (`isoctl-suspended`) on the tenant's own
//   role, so every session of the tenant, existing and new, is denied;
// - ABAC mode (shared scope roles) implements it as a deny statement keyed on the tenant principal
//   tag in a suspension policy the scope roles carry.
// `apply` reads first and writes only what differs, so a re-run makes zero mutating calls.
import { AwsCallError } from '../aws/errors.js';
import {
  DENY_INLINE_POLICY_NAMES,
  buildSuspendPolicy,
  policiesEqual,
  serializePolicy,
  SUSPEND_POLICY_NAME,
  tenantRoleName,
  type PolicyDocument,
} from '../policy/index.js';
import type { StackConfig } from '../config/schema.js';
import { UsageError } from '../errors.js';
import type { TenantContext } from './context.js';
import { changeDenyLists, everyRoleHas, readDenyLists } from './deny-list-store.js';

export interface SuspensionBackend {
  /** What the deny is and where it lives (for messages and --json). */
  describe(tenant: string): string;
  /** Whether the tenant's sessions are denied now (IAM's view). */
  isSuspended(ctx: TenantContext, tenant: string): Promise<boolean>;
  /** Puts the deny in place (suspended = true) or takes it away; true when something was written. */
  apply(ctx: TenantContext, tenant: string, suspended: boolean): Promise<boolean>;
}

export const roleSuspension: SuspensionBackend = {
  describe: (tenant) => `inline policy ${SUSPEND_POLICY_NAME} (deny all) on role ${tenant}`,
  async isSuspended(ctx, tenant) {
    const doc = await ctx.apis.iam.getRolePolicy(tenantRoleName(ctx.config, tenant), SUSPEND_POLICY_NAME);
    return doc !== undefined && policiesEqual(buildSuspendPolicy(), doc as PolicyDocument);
  },
  async apply(ctx, tenant, suspended) {
    const role = tenantRoleName(ctx.config, tenant);
    const current = await ctx.apis.iam.getRolePolicy(role, SUSPEND_POLICY_NAME);
    if (suspended) {
      if (current !== undefined && policiesEqual(buildSuspendPolicy(), current as PolicyDocument)) return false;
      await ctx.apis.iam.putRolePolicy(role, SUSPEND_POLICY_NAME, serializePolicy(buildSuspendPolicy()));
      return true;
    }
    if (current === undefined) return false;
    try {
      return await ctx.apis.iam.deleteRolePolicy(role, SUSPEND_POLICY_NAME);
    } catch (err) {
      if (err instanceof AwsCallError && err.kind === 'not-found') return false;
      throw err;
    }
  },
};

const isSuspensionOf = (tenant: string) => (e: { kind: string; tenant: string }) => e.kind === 'suspended' && e.tenant === tenant;

/**
 * ABAC: the scope roles are shared, so the tenant is shut out by the suspension deny list every
 * scope role carries (a Deny of every action keyed on `aws:PrincipalTag/isoctl-tenant`, all
 * suspended ids in one statement; src/policy/deny-list.ts). Evaluated on every request: existing
 * credentials and fresh ones bought with a still-valid ID token alike. Resume drops the id.
 */
export const abacSuspension: SuspensionBackend = {
  describe: (tenant) =>
    `deny keyed on the tenant tag (isoctl-tenant=${tenant}) in ${DENY_INLINE_POLICY_NAMES.suspended} (or an isoctl deny-list policy) on every scope role`,
  async isSuspended(ctx, tenant) {
    return everyRoleHas(await readDenyLists(ctx), isSuspensionOf(tenant));
  },
  async apply(ctx, tenant, suspended) {
    const change = suspended ? { add: [{ kind: 'suspended' as const, tenant }], drop: () => false } : { add: [], drop: isSuspensionOf(tenant) };
    return (await changeDenyLists(ctx, change, `${suspended ? 'suspend' : 'resume'} tenant ${tenant}`)).writes > 0;
  },
};

/** The backend of each mapping mode: role mode's own-role deny, ABAC's deny keyed on the tenant principal tag on the scope roles. */
const BACKENDS: Partial<Record<StackConfig['mapping'], SuspensionBackend>> = { token: roleSuspension, rules: roleSuspension, abac: abacSuspension };

export function suspensionBackend(config: Pick<StackConfig, 'mapping'>): SuspensionBackend {
  const backend = BACKENDS[config.mapping];
  if (!backend) throw new UsageError(`tenant suspend/resume is not built for "mapping": "${config.mapping}" yet; nothing was changed`, 'not_supported');
  return backend;
}
