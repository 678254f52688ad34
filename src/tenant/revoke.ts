// `tenant revoke-sessions`: for leaked credentials. Role mode (token, rules):
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
import { FailedError, RefusedError, UsageError } from '../errors.js';
import {
  buildRevokePolicy,
  policiesEqual,
  policySize,
  REVOKE_POLICY_NAME,
  revocationTimes,
  ROLE_INLINE_POLICY_CHARS,
  serializePolicy,
  TAG_SCOPES,
  tenantRoleName,
  type PolicyDocument,
} from '../policy/index.js';
import type { TenantContext } from './context.js';
import { convergenceChecks, neighbourTenant, type WaitReport } from './create.js';
import { desiredTenant, resolveScopes, scopesFromTag } from './desired.js';
import { requireTenantRole, settleLifecycle, type LifecycleWait } from './lifecycle.js';
import { ProbeError, ProbeSession, type HeldCredentials } from './probe.js';
import { NotYet, Wrong, type Check } from './wait.js';

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

/**
 * The longest lifetime of a credential a revocation may still have to deny: IAM's ceiling on a
 * role session (MaxSessionDuration is at most 12 h; Cognito's enhanced flow hands out 1 h). Not the
 * role's current MaxSessionDuration: lowering it does not shorten sessions already issued.
 */
export const LONGEST_CREDENTIAL_SECONDS = 43_200;

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

/** The tenant's users: its group's members (token mapping) or the users carrying its claim (rules mapping). */
async function tenantUsers(ctx: TenantContext, tenant: string, scopes: string[]): Promise<string[]> {
  const { config } = ctx;
  const desired = desiredTenant(config, tenant, scopes);
  if (desired.probe.group) {
    const members = await ctx.apis.cognitoIdp.listUsersInGroup(config.userPoolId, desired.probe.group);
    return (members ?? []).map((u) => u.username).sort();
  }
  const users = await ctx.apis.cognitoIdp.listUsers(config.userPoolId);
  return users
    .filter((u) => u.attributes[config.tenantClaim] === tenant)
    .map((u) => u.username)
    .sort();
}

export async function revokeSessions(ctx: TenantContext, input: RevokeInput): Promise<RevokeResult> {
  const tenant = assertTenantId(input.tenant, ctx.config.stack);
  if (ctx.config.mapping !== 'token' && ctx.config.mapping !== 'rules')
    throw new UsageError(`tenant revoke-sessions is not built for "mapping": "${ctx.config.mapping}" yet; nothing was changed`, 'not_supported');
  const { role, row } = await requireTenantRole(ctx, tenant, 'revoke sessions of');
  const scopes = row?.scopes.length ? row.scopes : (scopesFromTag(ctx.config, role.tags?.[TAG_SCOPES]) ?? resolveScopes(ctx.config, undefined));
  const roleName = tenantRoleName(ctx.config, tenant);

  // --wait data: the probe identity's credentials from before the revocation, to prove they are denied.
  let held: { session: ProbeSession; creds: HeldCredentials } | undefined;
  if (input.wait === 'data') {
    const session = new ProbeSession(ctx.apis, ctx.config, tenant, scopes, ctx);
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
  ctx.progress?.(`denying tenant ${tenant}'s credentials issued before ${issuedBefore}`);
  if (current === undefined || !policiesEqual(doc, current as PolicyDocument))
    await ctx.apis.iam.putRolePolicy(roleName, REVOKE_POLICY_NAME, serializePolicy(doc));

  const users = await tenantUsers(ctx, tenant, scopes);
  const signedOut: string[] = [];
  for (const u of users) {
    ctx.progress?.(`signing out ${u}`);
    if (await ctx.apis.cognitoIdp.adminUserGlobalSignOut(ctx.config.userPoolId, u)) signedOut.push(u);
  }

  const result: RevokeResult = {
    tenant,
    stack: ctx.config.stack,
    action: 'revoke-sessions',
    issuedBefore,
    deny: `inline policy ${REVOKE_POLICY_NAME} (deny all, aws:TokenIssueTime before ${issuedBefore}) on role ${roleName}`,
    revocations: revocationTimes(doc),
    pruned,
    inlinePolicyChars: { used, limit: ROLE_INLINE_POLICY_CHARS },
    signedOut,
  };
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
  const role = tenantRoleName(ctx.config, tenant);
  const checks: Check[] = [
    {
      name: 'iam:revoke-policy',
      service: 'iam',
      waitingFor: `waiting for IAM to show the ${REVOKE_POLICY_NAME} policy`,
      run: async () => {
        const doc = await ctx.apis.iam.getRolePolicy(role, REVOKE_POLICY_NAME);
        if (!revocationTimes(doc).includes(issuedBefore)) throw new NotYet(`IAM does not show the revocation of ${issuedBefore} yet`);
        return `${role}/${REVOKE_POLICY_NAME} denies credentials issued before ${issuedBefore}`;
      },
    },
  ];
  if (level !== 'data' || !held) return checks;
  checks.push({
    name: 'dynamodb:old-credentials-denied',
    service: 'dynamodb',
    waitingFor: 'waiting for DynamoDB to deny the probe credentials issued before the revocation',
    run: async () => {
      let result;
      try {
        result = await held.session.run(neighbourTenant(tenant), held.creds);
      } catch (err) {
        if (err instanceof ProbeError) throw new Wrong(err.message);
        throw err;
      }
      const allowed = result.checks.filter((c) => c.outcome === 'allowed');
      if (allowed.length > 0) throw new NotYet(`still allowed: ${allowed.map((c) => `${c.name} on ${c.table}`).join(', ')}`);
      const denied = result.checks.filter((c) => c.outcome === 'denied');
      if (denied.length === 0) throw new Wrong(`no probe read was denied: ${result.checks.map((c) => `${c.name} ${c.outcome}`).join(', ')}`);
      return `${denied.length} probe read(s) with credentials from before the revocation denied, own partition included`;
    },
  });
  // A fresh sign-in after the revocation reads its own partition again (new credentials are not revoked).
  const probe = convergenceChecks(ctx, desiredTenant(ctx.config, tenant, scopes), 'data').find((c) => c.name === 'dynamodb:probe');
  if (probe) checks.push({ ...probe, name: 'dynamodb:new-sign-in' });
  return checks;
}
