// `tenant revoke-sessions`: for leaked credentials. Role mode (token, rules); ABAC: the same
// statement keyed on the tenant tag as well, in the deny lists every scope role carries
// (revokeOnScopeRoles):
// 1. the `isoctl-revoked` inline policy on the tenant's role gains a statement denying every
//    action to credentials issued before now (AWS's revoke-older-sessions pattern,
//    `DateLessThan aws:TokenIssueTime`); credentials obtained afterwards are unaffected; statements
//    older than the longest credential lifetime (12 h) are dropped on the way (they match nothing);
// 2. every user of the tenant (its group in token mode, its claim in rules mode) is signed out
//    globally (AdminUserGlobalSignOut): their refresh and access tokens stop working, so nobody
//    can buy new credentials with a stolen refresh token. ID tokens live on until they expire.
// New sign-ins keep working. The role's inline policies stay within IAM's 10,240 characters, or
// nothing is changed (exit 4 with the number).
import { assertTenantId } from '../config/tenant-id.js';
import { FailedError, RefusedError } from '../errors.js';
import {
  DENY_INLINE_POLICY_NAMES,
  buildRevokePolicy,
  policiesEqual,
  policySize,
  REVOKE_POLICY_NAME,
  revocationTimes,
  ROLE_INLINE_POLICY_CHARS,
  serializePolicy,
  tenantRoleName,
  type DenyEntry,
  type PolicyDocument,
} from '../policy/index.js';
import type { TenantContext } from './context.js';
import type { WaitReport } from './create.js';
import { changeDenyLists, everyRoleHas, readDenyLists } from './deny-list-store.js';
import { withIdentityPoolLock } from './lock.js';
import { desiredTenant } from './desired.js';
import { requireTenant, settleLifecycle, type LifecycleWait } from './lifecycle.js';
import type { HeldCredentials, ProbeSession } from './probe.js';
import { lifecycleProbe, probeAllowedCheck, probeDeniedCheck } from './probe-checks.js';
import { NotYet, type Check } from './wait.js';
import { LONGEST_CREDENTIAL_SECONDS } from './token-lifetimes.js';

export interface RevokeInput {
  tenant: string;
  wait: LifecycleWait;
  timeoutMs: number;
}

export interface RevokeResult {
  tenant: string;
  stack: string;
  action: 'revoke-sessions';
  /** Credentials whose aws:TokenIssueTime is before this (ISO, whole seconds) are denied. */
  issuedBefore: string;
  /** Where the deny lives. */
  deny: string;
  /** Revocations in force on the role (this one included). */
  revocations: string[];
  /** Characters of the role's inline policies after the change, and IAM's ceiling. */
  inlinePolicyChars: { used: number; limit: number };
  /** Revocations dropped now: older than the longest credential lifetime, they can match no live credentials. */
  pruned: string[];
  /** Users signed out globally (refresh and access tokens revoked). */
  signedOut: string[];
  wait?: WaitReport | undefined;
}

/** The revocation moment: the next whole second, so every credential issued up to now (TokenIssueTime has whole seconds) is before it. */
export function revocationMoment(nowMs: number): string {
  return new Date((Math.floor(nowMs / 1000) + 1) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// The longest credential lifetime lives with the ID token's (src/tenant/token-lifetimes.ts).
export { LONGEST_CREDENTIAL_SECONDS };

/** Splits revocation times into those that may still match live credentials and those that cannot. */
export function liveRevocations(times: string[], nowMs: number): { kept: string[]; pruned: string[] } {
  const kept: string[] = [];
  const pruned: string[] = [];
  for (const t of times) (Date.parse(t) + LONGEST_CREDENTIAL_SECONDS * 1000 > nowMs ? kept : pruned).push(t);
  return { kept, pruned };
}

/** Characters of the role's inline policies if `name` held `doc` (IAM counts without whitespace). */
async function inlineCharsWith(ctx: TenantContext, role: string, name: string, doc: PolicyDocument): Promise<number> {
  const names = await ctx.apis.iam.listRolePolicies(role);
  let used = policySize(doc);
  for (const n of names) {
    if (n === name) continue;
    const other = await ctx.apis.iam.getRolePolicy(role, n);
    if (other !== undefined) used += policySize(serializePolicy(other as PolicyDocument));
  }
  return used;
}

/** The tenant's users: its group's members (token mapping) or the users carrying its claim (rules, ABAC: the ABAC group is the shared scope group). */
async function tenantUsers(ctx: TenantContext, tenant: string, scopes: string[]): Promise<string[]> {
  const { config } = ctx;
  const desired = desiredTenant(config, tenant, scopes);
  if (desired.probe.group && config.mapping === 'token') {
    const members = await ctx.apis.cognitoIdp.listUsersInGroup(config.userPoolId, desired.probe.group);
    return (members ?? []).map((u) => u.username).sort();
  }
  const users = await ctx.apis.cognitoIdp.listUsers(config.userPoolId);
  return users
    .filter((u) => u.attributes[config.tenantClaim] === tenant)
    .map((u) => u.username)
    .sort();
}

interface RevocationWrite {
  deny: string;
  revocations: string[];
  pruned: string[];
  inlinePolicyChars: { used: number; limit: number };
}

/** Role mode: the revoke-older-sessions statements in the `isoctl-revoked` inline policy of the tenant's role. */
async function revokeOnRole(ctx: TenantContext, tenant: string, issuedBefore: string): Promise<RevocationWrite> {
  const roleName = tenantRoleName(ctx.config, tenant);
  const plan = async () => {
    const current = await ctx.apis.iam.getRolePolicy(roleName, REVOKE_POLICY_NAME);
    const { kept, pruned } = liveRevocations(revocationTimes(current), ctx.now());
    const doc = buildRevokePolicy([...kept, issuedBefore]);
    const used = await inlineCharsWith(ctx, roleName, REVOKE_POLICY_NAME, doc);
    if (used > ROLE_INLINE_POLICY_CHARS)
      throw new RefusedError(
        `cannot revoke sessions of tenant ${tenant}: role ${roleName}'s inline policies would be ${used} characters, over IAM's ${ROLE_INLINE_POLICY_CHARS}; nothing was changed (revocations older than 12 h, the longest credential lifetime, are dropped on each revoke)`,
        'inline_policy_size',
        { used, limit: ROLE_INLINE_POLICY_CHARS },
      );
    return { current, doc, used, pruned };
  };
  // Checked before the lock (a refusal writes nothing, not even the lease), then read-modify-written
  // under the stack's lock: gc prunes the same policy (src/ops/gc/revocations.ts).
  await plan();
  const lock = {
    now: () => ctx.now(),
    sleep: (ms: number, sg?: AbortSignal) => ctx.sleep(ms, sg),
    signal: ctx.signal,
    purpose: ctx.purpose ?? 'revoke-sessions',
  };
  const { doc, used, pruned } = await withIdentityPoolLock(ctx.apis, ctx.config, lock, async () => {
    const p = await plan();
    ctx.progress?.(`denying tenant ${tenant}'s credentials issued before ${issuedBefore}`);
    if (p.current === undefined || !policiesEqual(p.doc, p.current as PolicyDocument))
      await ctx.apis.iam.putRolePolicy(roleName, REVOKE_POLICY_NAME, serializePolicy(p.doc));
    return p;
  });
  return {
    deny: `inline policy ${REVOKE_POLICY_NAME} (deny all, aws:TokenIssueTime before ${issuedBefore}) on role ${roleName}`,
    revocations: revocationTimes(doc),
    pruned,
    inlinePolicyChars: { used, limit: ROLE_INLINE_POLICY_CHARS },
  };
}

/**
 * ABAC: the scope roles are shared, so the revocation is a statement denying credentials tagged
 * with this tenant (`aws:PrincipalTag/isoctl-tenant`) AND issued before the moment, in the deny
 * lists every scope role carries. One moment per tenant (a later one covers every earlier one);
 * other tenants' revocations older than the longest credential lifetime are dropped on the way.
 */
async function revokeOnScopeRoles(ctx: TenantContext, tenant: string, issuedBefore: string): Promise<RevocationWrite> {
  const pruned: string[] = [];
  const drop = (e: DenyEntry): boolean => {
    if (e.kind !== 'revoked' || !e.issuedBefore) return false;
    if (e.tenant === tenant) return e.issuedBefore !== issuedBefore;
    if (liveRevocations([e.issuedBefore], ctx.now()).kept.length > 0) return false;
    pruned.push(`${e.tenant}@${e.issuedBefore}`);
    return true;
  };
  ctx.progress?.(`denying tenant ${tenant}'s credentials issued before ${issuedBefore} on the scope roles`);
  const r = await changeDenyLists(ctx, { add: [{ kind: 'revoked', tenant, issuedBefore }], drop }, `revoke sessions of tenant ${tenant}`);
  return {
    deny: `deny keyed on the tenant tag (isoctl-tenant=${tenant}) and aws:TokenIssueTime before ${issuedBefore} in ${DENY_INLINE_POLICY_NAMES.revoked} (or an isoctl deny-list policy) on every scope role`,
    revocations: [issuedBefore],
    pruned: [...new Set(pruned)].sort(),
    inlinePolicyChars: { used: r.headroom.used, limit: r.headroom.limit },
  };
}

export async function revokeSessions(ctx: TenantContext, input: RevokeInput): Promise<RevokeResult> {
  const tenant = assertTenantId(input.tenant, ctx.config.stack);
  const abac = ctx.config.mapping === 'abac';
  const { scopes } = await requireTenant(ctx, tenant, 'revoke sessions of');

  // --wait data: the probe identity's credentials from before the revocation, to prove they are denied.
  let held: { session: ProbeSession; creds: HeldCredentials } | undefined;
  if (input.wait === 'data') {
    const session = lifecycleProbe(ctx, tenant, scopes);
    try {
      held = { session, creds: await session.holdCredentials() };
    } catch (err) {
      throw new FailedError(
        `tenant ${tenant}: the probe identity could not get credentials before the revocation: ${(err as Error).message}; nothing was changed`,
        'probe_failed',
        { cause: err },
      );
    }
  }

  const issuedBefore = revocationMoment(ctx.now());
  const written = abac ? await revokeOnScopeRoles(ctx, tenant, issuedBefore) : await revokeOnRole(ctx, tenant, issuedBefore);

  const users = await tenantUsers(ctx, tenant, scopes);
  const signedOut: string[] = [];
  for (const u of users) {
    ctx.progress?.(`signing out ${u}`);
    if (await ctx.apis.cognitoIdp.adminUserGlobalSignOut(ctx.config.userPoolId, u)) signedOut.push(u);
  }

  const result: RevokeResult = { tenant, stack: ctx.config.stack, action: 'revoke-sessions', issuedBefore, ...written, signedOut };
  if (input.wait === 'none') return result;
  const checks = revokeChecks(ctx, tenant, scopes, issuedBefore, input.wait, held);
  return settleLifecycle(ctx, checks, result, input, `tenant ${tenant}'s sessions revoked`);
}

function revokeChecks(
  ctx: TenantContext,
  tenant: string,
  scopes: string[],
  issuedBefore: string,
  level: LifecycleWait,
  held: { session: ProbeSession; creds: HeldCredentials } | undefined,
): Check[] {
  const abac = ctx.config.mapping === 'abac';
  const role = tenantRoleName(ctx.config, tenant);
  const checks: Check[] = [
    {
      name: 'iam:revoke-policy',
      service: 'iam',
      waitingFor: `waiting for IAM to show the ${abac ? 'revocation on the scope roles' : `${REVOKE_POLICY_NAME} policy`}`,
      run: async () => {
        if (abac) {
          const state = await readDenyLists(ctx);
          if (!everyRoleHas(state, (e) => e.kind === 'revoked' && e.tenant === tenant && e.issuedBefore === issuedBefore))
            throw new NotYet(`IAM does not show the revocation of ${issuedBefore} on every scope role yet`);
          return `every scope role denies ${tenant}'s credentials issued before ${issuedBefore}`;
        }
        const doc = await ctx.apis.iam.getRolePolicy(role, REVOKE_POLICY_NAME);
        if (!revocationTimes(doc).includes(issuedBefore)) throw new NotYet(`IAM does not show the revocation of ${issuedBefore} yet`);
        return `${role}/${REVOKE_POLICY_NAME} denies credentials issued before ${issuedBefore}`;
      },
    },
  ];
  if (level !== 'data' || !held) return checks;
  checks.push(
    probeDeniedCheck(held.session, 'dynamodb:old-credentials-denied', 'waiting for DynamoDB to deny the probe credentials issued before the revocation', {
      creds: held.creds,
      what: ' with credentials from before the revocation',
    }),
  );
  // A fresh sign-in after the revocation reads its own partition again (new credentials are not revoked).
  checks.push(probeAllowedCheck(lifecycleProbe(ctx, tenant, scopes), 'dynamodb:new-sign-in'));
  return checks;
}
