// ABAC mode's shared scope roles `isoctl-<stack>-<scope>` and their user-pool groups, checked
// against what `init` writes (src/tenant/abac-init.ts): the trust (sts:TagSession for exactly the
// mapped keys, the tenant tag required and non-empty), the boundary, the one data policy in which
// every tenant value is `${aws:PrincipalTag/isoctl-tenant}`, no inline policy besides isoctl's own
// lifecycle ones (suspension, revocation, tombstones), no attached managed policy that is not
// isoctl's, the inline-policy headroom, and the groups carrying the roles with distinct
// precedences. Before this, doctor judged the scope roles as tenant roles (a tenant named after
// the scope) and exited 1 on a healthy ABAC stack. Reads only.
import type { StackConfig } from '../../config/schema.js';
import {
  abacSessionTagKeys,
  buildScopeRoles,
  DENY_INLINE_POLICY_NAMES,
  denyListPolicyArn,
  denyListPolicyNumber,
  INLINE_POLICY_NAME,
  LIFECYCLE_POLICY_NAMES,
  policiesEqual,
  policySize,
  ROLE_INLINE_POLICY_CHARS,
  serializePolicy,
  TENANT_PIN_TAG,
  type DenyHeadroom,
  type PolicyDocument,
  type ScopeRoleSpec,
} from '../../policy/index.js';
import { RefusedError } from '../../errors.js';
import { headroomOf, readDenyLists } from '../../tenant/deny-list-store.js';
import * as scopeRole from '../../tenant/resources/scope-role.js';
import { denied, INIT, QUOTA_WARN, type DoctorEnv } from './checks.js';
import { finding, type Finding } from './types.js';

/** Inline policies isoctl itself puts on a scope role beside the data policy. */
export const SCOPE_ROLE_OWN_POLICIES: readonly string[] = [INLINE_POLICY_NAME, ...LIFECYCLE_POLICY_NAMES, ...Object.values(DENY_INLINE_POLICY_NAMES)];

/** isoctl's own managed policies on a scope role: the stack's deny-list policies `isoctl-<stack>-deny-list-<n>`. */
function isDenyListPolicy(config: StackConfig, arn: string): boolean {
  const n = denyListPolicyNumber(config.stack, arn.slice(arn.lastIndexOf('/') + 1));
  return n !== undefined && arn === denyListPolicyArn(config, n);
}

/** Whether a role name is one of the stack's ABAC scope roles (by the config's scopes). */
export function isScopeRoleName(config: StackConfig, name: string): boolean {
  return config.mapping === 'abac' && buildScopeRoles(config).some((s) => s.roleName === name);
}

interface RoleReport {
  spec: ScopeRoleSpec;
  missing: boolean;
  trust?: string | undefined;
  problems: string[];
  headroom?: { used: number; limit: number } | undefined;
}

/** What differs in a scope role's trust, in one phrase (the ABAC conditions named). */
export function abacTrustDifference(config: StackConfig, trust: unknown): string {
  const text = JSON.stringify(trust ?? '');
  if (!text.includes(config.identityPoolId)) return `aud is not ${config.identityPoolId}`;
  if (!text.includes('authenticated')) return 'no amr authenticated condition';
  if (!text.includes('sts:TagSession')) return 'no sts:TagSession: the identity pool cannot pass the tenant tag, every sign-in fails';
  if (!text.includes('ForAllValues:StringEquals'))
    return `sts:TagSession is not limited to the keys ${abacSessionTagKeys(config).join(', ')} (ForAllValues:StringEquals aws:TagKeys)`;
  if (!text.includes(`aws:RequestTag/${TENANT_PIN_TAG}`))
    return `sts:TagSession does not require a non-empty aws:RequestTag/${TENANT_PIN_TAG}: a session without a tenant could be issued`;
  return 'edited (the TagSession keys or conditions differ)';
}

async function inspect(env: DoctorEnv, spec: ScopeRoleSpec): Promise<RoleReport | string> {
  const { config } = env;
  const role = await env.reads.run('iam:GetRole', () => env.apis.iam.getRole(spec.roleName));
  if (!role.ok) return role.error;
  if (!role.value) return { spec, missing: true, problems: [] };
  const report: RoleReport = { spec, missing: false, problems: [] };
  const own = scopeRole.owned(config, role.value, spec.scope);
  if (!own.owned) report.problems.push(`${own.reason} (init refuses it)`);
  if (!policiesEqual(spec.assumeRolePolicy, role.value.trustPolicy as PolicyDocument)) report.trust = abacTrustDifference(config, role.value.trustPolicy);
  if (role.value.permissionsBoundaryArn !== spec.permissionsBoundary)
    report.problems.push(`boundary ${role.value.permissionsBoundaryArn ?? 'none'}, not ${spec.permissionsBoundary}`);
  const [inline, attached] = await Promise.all([
    env.reads.run('iam:ListRolePolicies', () => env.apis.iam.listRolePolicies(spec.roleName)),
    env.reads.run('iam:ListAttachedRolePolicies', () => env.apis.iam.listAttachedRolePolicies(spec.roleName)),
  ]);
  if (!inline.ok) return inline.error;
  if (!attached.ok) return attached.error;
  const extra = inline.value.filter((n) => !SCOPE_ROLE_OWN_POLICIES.includes(n));
  if (extra.length > 0) report.problems.push(`extra inline polic${extra.length === 1 ? 'y' : 'ies'} ${extra.join(', ')}`);
  // isoctl's own managed policies are the deny-list overflow; anything else was attached by hand.
  const foreign = attached.value.filter((arn) => !isDenyListPolicy(config, arn));
  if (foreign.length > 0) report.problems.push(`attached managed polic${foreign.length === 1 ? 'y' : 'ies'} ${foreign.join(', ')}`);
  const docs = await Promise.all(
    inline.value.map(async (n) => [n, await env.reads.run('iam:GetRolePolicy', () => env.apis.iam.getRolePolicy(spec.roleName, n))] as const),
  );
  let used = 0;
  for (const [name, doc] of docs) {
    if (!doc.ok) return doc.error;
    if (doc.value === undefined) continue;
    used += policySize(typeof doc.value === 'string' ? doc.value : serializePolicy(doc.value as PolicyDocument));
    if (name === INLINE_POLICY_NAME && !policiesEqual(spec.inlinePolicies[INLINE_POLICY_NAME]!, parse(doc.value)))
      report.problems.push(`the ${INLINE_POLICY_NAME} policy differs from the config's ABAC data policy for scope ${spec.scope}`);
  }
  if (!inline.value.includes(INLINE_POLICY_NAME)) report.problems.push(`no ${INLINE_POLICY_NAME} data policy (every tenant's ${spec.scope} users are denied)`);
  report.headroom = { used, limit: ROLE_INLINE_POLICY_CHARS };
  return report;
}

function parse(v: unknown): PolicyDocument {
  if (typeof v !== 'string') return v as PolicyDocument;
  try {
    return JSON.parse(v) as PolicyDocument;
  } catch {
    return {} as PolicyDocument;
  }
}

/** ABAC mode only: trust, scope-roles, policy-headroom and scope-groups findings. */
export async function checkScopeRoles(env: DoctorEnv): Promise<Finding[]> {
  const { config } = env;
  if (config.mapping !== 'abac') return [];
  const specs = buildScopeRoles(config);
  const reports = await Promise.all(specs.map((s) => inspect(env, s)));
  const out: Finding[] = [];
  const unreadable = reports.filter((r): r is string => typeof r === 'string');
  const ok = reports.filter((r): r is RoleReport => typeof r !== 'string');
  if (unreadable.length > 0) {
    for (const check of ['trust', 'scope-roles', 'policy-headroom'] as const)
      out.push(denied(check, 'iam:GetRole, iam:ListRolePolicies, iam:GetRolePolicy', unreadable[0]!));
  } else {
    const missing = ok.filter((r) => r.missing);
    const badTrust = ok.filter((r) => r.trust !== undefined);
    if (badTrust.length === 0)
      out.push(
        finding(
          'trust',
          'ok',
          `${ok.length - missing.length} scope role(s): trust as init writes it (aud ${config.identityPoolId}, amr authenticated, sts:TagSession only for ${abacSessionTagKeys(config).join(', ')}, ${TENANT_PIN_TAG} required)`,
        ),
      );
    else
      out.push(
        finding(
          'trust',
          'problem',
          `${badTrust.length} of ${ok.length} scope role(s) have another trust policy than init writes: ${badTrust.map((r) => `${r.spec.roleName} (${r.trust})`).join('; ')}`,
          {
            command: `aws iam update-assume-role-policy --role-name ${badTrust[0]!.spec.roleName} --policy-document '${serializePolicy(badTrust[0]!.spec.assumeRolePolicy)}'`,
            action:
              'An administrator restores the trust policy (the operator policy cannot write trust, and init refuses a scope role whose trust differs: trust_drift_needs_admin); the command is for the first role, the document is the same for every scope role.',
          },
          { roles: badTrust.map((r) => ({ role: r.spec.roleName, why: r.trust })) },
        ),
      );
    const drift = ok.filter((r) => r.missing || r.problems.length > 0);
    if (drift.length === 0)
      out.push(
        finding(
          'scope-roles',
          'ok',
          `${ok.length} scope role(s) (${ok.map((r) => r.spec.scope).join(', ')}): boundary, the config's ABAC data policy (tenant = \${aws:PrincipalTag/${TENANT_PIN_TAG}}), no foreign policy`,
        ),
      );
    else {
      const handWork = drift.some((r) =>
        r.problems.some((p) => p.startsWith('extra') || p.startsWith('attached') || p.startsWith('boundary') || p.includes('refuses')),
      );
      out.push(
        finding(
          'scope-roles',
          'problem',
          `${drift.length} of ${ok.length} scope role(s) differ from what init writes: ${drift.map((r) => `${r.spec.roleName}: ${r.missing ? 'missing (the scope has no role: its users get no credentials)' : r.problems.join('; ')}`).join(' | ')}`,
          {
            command: INIT,
            action: handWork
              ? 'Remove the extra inline and attached policies by hand (isoctl never deletes policies it did not write; an attached policy widens every tenant of the scope), restore the boundary as an administrator, then run init: it rewrites the data policy and creates missing scope roles.'
              : 'Run init: it rewrites the data policy from the config and creates missing scope roles.',
          },
          { roles: drift.map((r) => ({ role: r.spec.roleName, missing: r.missing, problems: r.problems })) },
        ),
      );
    }
    out.push(await headroomFinding(env, ok));
  }

  // The groups carrying the scope roles: distinct precedences make cognito:preferred_role deterministic.
  const groups = await Promise.all(specs.map((s) => env.reads.run('cognito-idp:GetGroup', () => env.apis.cognitoIdp.getGroup(config.userPoolId, s.roleName))));
  const failed = groups.find((g) => !g.ok);
  if (failed && !failed.ok) out.push(denied('scope-groups', 'cognito-idp:GetGroup', failed.error));
  else {
    const problems: string[] = [];
    const precedences = new Map<number, string>();
    specs.forEach((s, i) => {
      const g = groups[i]!.ok ? (groups[i] as { value: Awaited<ReturnType<DoctorEnv['apis']['cognitoIdp']['getGroup']>> }).value : undefined;
      if (!g) return problems.push(`group ${s.roleName} missing`);
      if (g.roleArn !== s.arn) problems.push(`group ${s.roleName} carries ${g.roleArn ?? 'no role'}, not ${s.arn}`);
      if (g.precedence === undefined) problems.push(`group ${s.roleName} has no precedence`);
      else if (precedences.has(g.precedence)) problems.push(`groups ${precedences.get(g.precedence)} and ${s.roleName} share precedence ${g.precedence}`);
      else precedences.set(g.precedence, s.roleName);
      if (g.precedence !== undefined && g.precedence !== s.precedence && !problems.some((p) => p.includes(s.roleName)))
        problems.push(`group ${s.roleName} has precedence ${g.precedence}, init gives ${s.precedence}`);
      return undefined;
    });
    if (problems.length === 0)
      out.push(
        finding('scope-groups', 'ok', `${specs.length} scope group(s) carry their scope roles, precedences ${specs.map((s) => s.precedence).join(', ')}`),
      );
    else
      out.push(
        finding(
          'scope-groups',
          'problem',
          `${problems.join('; ')}: a user in several scope groups gets an unpredictable role (or none)`,
          { command: INIT, action: 'Run init: it sets each scope group to its role and its own precedence.' },
          { problems },
        ),
      );
  }
  return out;
}

/**
 * The room left on the scope roles for suspensions, revocations and tombstones: the deny lists'
 * characters used/limit (inline space beside the data policy plus the managed deny-list slots,
 * src/policy/deny-list.ts) and how many more tenant ids fit; the fullest role's inline sum in details.
 */
async function headroomFinding(env: DoctorEnv, reports: RoleReport[]): Promise<Finding> {
  const sized = reports.filter((r) => r.headroom !== undefined);
  const roles = sized.map((r) => ({ role: r.spec.roleName, used: r.headroom!.used, limit: r.headroom!.limit }));
  if (sized.length === 0) return finding('policy-headroom', 'skipped', 'no scope role to measure');
  const worst = [...roles].sort((a, b) => b.used - a.used)[0]!;
  let deny: DenyHeadroom | undefined;
  try {
    const state = await env.reads.run('iam:GetRole, iam:GetRolePolicy, iam:GetPolicyVersion', () =>
      readDenyLists({ config: env.config, apis: env.apis, now: env.now, sleep: () => Promise.resolve() }),
    );
    if (!state.ok) return denied('policy-headroom', 'iam:GetRolePolicy, iam:GetPolicyVersion', state.error);
    deny = headroomOf(state.value);
  } catch (err) {
    if (!(err instanceof RefusedError)) throw err;
    return finding('policy-headroom', 'skipped', `the deny lists cannot be measured: ${err.message}`);
  }
  const details = { roles, denyLists: deny };
  const line = `deny lists (suspensions, revocations, tombstones): ${deny.used} of ${deny.limit} characters (inline beside the data policy + ${deny.managedSlots} managed slot(s), ${deny.managedPolicies} in use), room for about ${deny.moreTenants} more tenant id(s) of ${deny.idLength} characters; inline policies of ${worst.role}: ${worst.used} of ${worst.limit}`;
  if (deny.moreTenants === 0)
    return finding(
      'policy-headroom',
      'problem',
      line,
      { action: 'tenant suspend, revoke-sessions and delete refuse (exit 4) until room is made: resume tenants, or drop tombstones whose users are gone.' },
      details,
    );
  if (deny.used >= deny.limit * QUOTA_WARN || worst.used >= worst.limit * QUOTA_WARN)
    return finding('policy-headroom', 'warning', line, { action: 'Resume suspended tenants or drop old tombstones before the room runs out.' }, details);
  return finding('policy-headroom', 'ok', line, undefined, details);
}
