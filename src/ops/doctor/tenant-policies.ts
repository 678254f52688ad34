// Per-tenant role policies, checked against the config (#11): a missing data policy, an extra
// inline policy (say a hand-added `dynamodb:*`), an attached managed policy, or a data policy
// that reaches another tenant's data. The last one is decided by the isolation proof run on the
// policy as IAM serves it, so "wider than the config's" means wider in what it can reach.
// Reads only: ListRolePolicies, ListAttachedRolePolicies and GetRolePolicy per tenant role.
import { mapLimit } from '../concurrency.js';
import { role as roleResource } from '../../tenant/resources/index.js';
import { LIFECYCLE_POLICY_NAMES } from '../../policy/lifecycle.js';
import { INLINE_POLICY_NAME, buildDataPolicy, parsePolicy, policiesEqual, proveIsolation, type PolicyDocument } from '../../policy/index.js';
import type { DoctorEnv } from './checks.js';
import { finding, type Finding } from './types.js';

/** Concurrent tenants read at once (three IAM reads each). */
const CONCURRENCY = 8;

interface TenantDrift {
  tenant: string;
  role: string;
  problems: string[];
}

export async function checkTenantPolicies(env: DoctorEnv): Promise<Finding | undefined> {
  const { config } = env;
  // ABAC: tenants have no roles of their own; the shared scope roles are scope-roles.ts's.
  if (config.mapping === 'abac') return undefined;
  const roles = await env.reads.once('iam:ListRoles', () => env.apis.iam.listStackRoles(config.stack));
  if (!roles.ok)
    return finding('tenant-policies', 'skipped', `could not list the stack's roles (${roles.error})`, {
      action: 'the permissions finding lists what the caller lacks (iam:ListRoles)',
    });
  const tenants = roles.value
    .map((r) => ({ role: r.name, tenant: roleResource.tenantOfRoleName(config, r.name) }))
    .filter((x): x is { role: string; tenant: string } => x.tenant !== undefined);
  const unreadable: string[] = [];
  const drift = (
    await mapLimit(tenants, CONCURRENCY, async ({ role, tenant }): Promise<TenantDrift | undefined> => {
      const [inline, attached] = await Promise.all([
        env.reads.run('iam:ListRolePolicies', () => env.apis.iam.listRolePolicies(role)),
        env.reads.run('iam:ListAttachedRolePolicies', () => env.apis.iam.listAttachedRolePolicies(role)),
      ]);
      if (!inline.ok || !attached.ok) {
        unreadable.push(role);
        return undefined;
      }
      const problems: string[] = [];
      const extra = inline.value.filter((n) => n !== INLINE_POLICY_NAME && !LIFECYCLE_POLICY_NAMES.includes(n));
      if (extra.length > 0) problems.push(`extra inline polic${extra.length === 1 ? 'y' : 'ies'} ${extra.join(', ')}`);
      if (attached.value.length > 0) problems.push(`attached managed polic${attached.value.length === 1 ? 'y' : 'ies'} ${attached.value.join(', ')}`);
      if (!inline.value.includes(INLINE_POLICY_NAME)) problems.push(`no ${INLINE_POLICY_NAME} data policy (its users are denied everything)`);
      else {
        const doc = await env.reads.run('iam:GetRolePolicy', () => env.apis.iam.getRolePolicy(role, INLINE_POLICY_NAME));
        if (!doc.ok) unreadable.push(role);
        else {
          const parsed = readDocument(doc.value);
          const proof = parsed ? proveIsolation(config, [tenant], { dataPolicy: () => parsed }) : undefined;
          // The role's scopes are not known here: a write in a read scope is not counted, only reach beyond the tenant.
          const leaks =
            proof?.failures.filter(
              (f) => f.expected === 'Deny' && f.rule === undefined && !f.probe.startsWith('mutation') && !f.probe.includes('write-outside-scope'),
            ) ?? [];
          if (!parsed) problems.push(`the ${INLINE_POLICY_NAME} policy is not a policy document`);
          else if (leaks.length > 0)
            problems.push(
              `the ${INLINE_POLICY_NAME} policy is wider than the config's (${leaks.length} cross-tenant or out-of-scope probe(s) allowed, e.g. ${leaks[0]!.probe})`,
            );
          else if (!matchesSomeScopes(env, tenant, parsed))
            problems.push(
              `the ${INLINE_POLICY_NAME} policy differs from what the config gives for any set of its scopes (it may reach other tenants' keys or resources)`,
            );
        }
      }
      return problems.length > 0 ? { tenant, role, problems } : undefined;
    })
  ).filter((d): d is TenantDrift => d !== undefined);
  if (drift.length > 0)
    return finding(
      'tenant-policies',
      'problem',
      `${drift.length} of ${tenants.length} tenant role(s) differ from the config: ${drift.map((d) => `${d.role}: ${d.problems.join('; ')}`).join(' | ')}`,
      {
        command:
          drift.length === 1
            ? `isoctl tenant create ${drift[0]!.tenant}`
            : `for t in ${drift.map((d) => d.tenant).join(' ')}; do isoctl tenant create "$t"; done`,
        action:
          'Remove the extra inline and attached policies by hand (isoctl never deletes policies it did not write), then re-run tenant create: it rewrites the data policy from the config.',
      },
      { tenants: drift },
    );
  if (unreadable.length > 0)
    return finding('tenant-policies', 'skipped', `could not read the policies of ${unreadable.length} role(s)`, {
      action: 'the permissions finding lists what the caller lacks',
    });
  return finding(
    'tenant-policies',
    'ok',
    `${tenants.length} tenant role(s): one ${INLINE_POLICY_NAME} policy each, no other policy, none reaching another tenant`,
    undefined,
    { tenants: tenants.length },
  );
}

function readDocument(value: unknown): PolicyDocument | undefined {
  try {
    const doc = typeof value === 'string' || (typeof value === 'object' && value !== null) ? parsePolicy(value as PolicyDocument | string) : undefined;
    return doc && typeof doc === 'object' && 'Statement' in doc ? doc : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the document is the config's data policy for some non-empty set of the configured scopes (at most 2^8 sets tried). */
function matchesSomeScopes(env: DoctorEnv, tenant: string, doc: PolicyDocument): boolean {
  const scopes = Object.keys(env.config.scopes).sort().slice(0, 8);
  for (let mask = 1; mask < 1 << scopes.length; mask++) {
    const set = scopes.filter((_, i) => (mask >> i) & 1);
    if (policiesEqual(buildDataPolicy(env.config, tenant, set), doc)) return true;
  }
  return false;
}
