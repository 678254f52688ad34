// Doctor's IAM checks: the permissions boundary, the trust policies of the stack's tenant roles,
// the account's role quota and the user pool's group quota.
import { boundary as boundaryResource, role as roleResource } from '../../tenant/resources/index.js';
import { boundaryPolicyName, stackPath, type StackConfig } from '../../config/schema.js';
import { boundaryPolicyArn, buildBoundaryPolicy, buildTrustPolicy, policiesEqual, type PolicyDocument } from '../../policy/index.js';
import { denied, INIT, MAX_GROUPS, QUOTA_WARN, type DoctorEnv } from './checks.js';
import { finding, type Finding } from './types.js';

export async function checkBoundary(env: DoctorEnv): Promise<Finding> {
  const { config } = env;
  const arn = boundaryPolicyArn(config);
  const policy = await env.reads.run('iam:GetPolicy', () => env.apis.iam.getPolicy(arn));
  if (!policy.ok) return denied('boundary', 'iam:GetPolicy', policy.error);
  if (!policy.value)
    return finding('boundary', 'problem', `the permissions boundary ${arn} does not exist: tenant create refuses to run`, {
      command: INIT,
      action: 'Run init: it creates the boundary.',
    });
  const ownership = boundaryResource.owned(config, policy.value);
  if (!ownership.owned)
    return finding('boundary', 'problem', `${ownership.reason}: isoctl will not update it`, {
      action: `Rename or delete that policy, or tag it if it is isoctl's (${boundaryPolicyName(config.stack)}).`,
    });
  const doc = await env.reads.run('iam:GetPolicyVersion', () => env.apis.iam.getPolicyVersion(arn, policy.value!.defaultVersionId));
  if (!doc.ok) return denied('boundary', 'iam:GetPolicyVersion', doc.error);
  if (!policiesEqual(buildBoundaryPolicy(config), doc.value as PolicyDocument))
    return finding(
      'boundary',
      'problem',
      `the boundary's default version ${policy.value.defaultVersionId} differs from what the config gives: tenants may be denied what their policy allows (or allowed more than the config says)`,
      {
        command: INIT,
        action: "Run init: it makes the config's boundary a new default version.",
      },
    );
  return finding('boundary', 'ok', `boundary ${arn} (version ${policy.value.defaultVersionId}) matches the config`, undefined, {
    attachments: policy.value.permissionsBoundaryUsageCount,
  });
}

export async function checkTrustAndQuota(env: DoctorEnv): Promise<Finding[]> {
  const { config } = env;
  const [roles, summary] = await Promise.all([
    env.reads.once('iam:ListRoles', () => env.apis.iam.listStackRoles(config.stack)),
    env.reads.run('iam:GetAccountSummary', () => env.ops.getAccountSummary()),
  ]);
  const out: Finding[] = [];
  // ABAC: the scope roles' trust is scope-roles.ts's (the ABAC trust, not a tenant role's).
  if (config.mapping === 'abac') {
    /* no tenant roles to judge here */
  } else if (!roles.ok) out.push(denied('trust', 'iam:ListRoles', roles.error));
  else {
    const want = buildTrustPolicy(config);
    // Tenant roles by the role module's naming (ListRoles carries no tags to run the full filter on).
    const bad = roles.value
      .map((r) => ({ r, tenant: roleResource.tenantOfRoleName(config, r.name) }))
      .filter(({ r, tenant }) => tenant !== undefined && !policiesEqual(want, r.trustPolicy as PolicyDocument))
      .map(({ r, tenant }) => ({ role: r.name, tenant: tenant as string, why: trustDifference(config, r.trustPolicy) }));
    if (bad.length === 0)
      out.push(
        finding(
          'trust',
          'ok',
          `${roles.value.length} role(s) under ${stackPath(config.stack)}: trust policies match the config (aud ${config.identityPoolId}, amr authenticated${config.granularity === 'user' ? ', sts:TagSession for userid' : ''})`,
          undefined,
          { roles: roles.value.length },
        ),
      );
    else
      out.push(
        finding(
          'trust',
          'problem',
          `${bad.length} of ${roles.value.length} role(s) have a trust policy that differs from the config: ${bad.map((b) => `${b.role} (${b.why})`).join('; ')}`,
          {
            command:
              bad.length === 1
                ? `isoctl tenant create ${bad[0]!.tenant}`
                : `for t in ${bad.map((b) => b.tenant).join(' ')}; do isoctl tenant create "$t"; done`,
            action: 'Re-run tenant create for each: it rewrites the trust policy from the config.',
          },
          { roles: bad },
        ),
      );
  }
  if (!summary.ok) out.push(denied('quota-roles', 'iam:GetAccountSummary', summary.error));
  else {
    const used = summary.value.Roles;
    const quota = summary.value.RolesQuota;
    if (used === undefined || quota === undefined) out.push(finding('quota-roles', 'skipped', 'GetAccountSummary did not report Roles / RolesQuota'));
    else {
      const details = { used, quota, stackRoles: roles.ok ? roles.value.length : null };
      if (used >= quota)
        out.push(
          finding(
            'quota-roles',
            'problem',
            `${used} of ${quota} IAM roles used: no tenant can be created`,
            { action: 'Request a higher "Roles per account" quota (Service Quotas, IAM), or isolate at a coarser granularity.' },
            details,
          ),
        );
      else if (used >= quota * QUOTA_WARN)
        out.push(
          finding(
            'quota-roles',
            'warning',
            `${used} of ${quota} IAM roles used (${quota - used} left)`,
            { action: 'Request a higher "Roles per account" quota before it runs out.' },
            details,
          ),
        );
      else out.push(finding('quota-roles', 'ok', `${used} of ${quota} IAM roles used (${quota - used} left)`, undefined, details));
    }
  }
  return out;
}

function trustDifference(config: StackConfig, trust: unknown): string {
  const text = JSON.stringify(trust ?? '');
  if (!text.includes(config.identityPoolId)) return `aud is not ${config.identityPoolId}`;
  if (!text.includes('authenticated')) return 'no amr authenticated condition';
  if (config.granularity === 'user' && !text.includes('sts:TagSession')) return 'no sts:TagSession for the userid tag';
  if (config.granularity !== 'user' && text.includes('sts:TagSession')) return 'allows sts:TagSession, which granularity "tenant" does not use';
  return 'edited';
}

export async function checkGroupsQuota(env: DoctorEnv): Promise<Finding | undefined> {
  const { config } = env;
  if (config.mapping !== 'token') return undefined;
  const groups = await env.reads.run('cognito-idp:ListGroups', () => env.apis.cognitoIdp.listGroups(config.userPoolId));
  if (!groups.ok) return denied('quota-groups', 'cognito-idp:ListGroups', groups.error);
  const n = groups.value.length;
  const details = { used: n, limit: MAX_GROUPS };
  if (n >= MAX_GROUPS)
    return finding(
      'quota-groups',
      'problem',
      `${n} of ${MAX_GROUPS} user pool groups used: no tenant can be created`,
      { action: 'Spread tenants over several user pools / stacks.' },
      details,
    );
  if (n >= MAX_GROUPS * QUOTA_WARN)
    return finding('quota-groups', 'warning', `${n} of ${MAX_GROUPS} user pool groups used`, { action: 'Plan a second user pool / stack.' }, details);
  return finding('quota-groups', 'ok', `${n} of ${MAX_GROUPS} user pool groups used`, undefined, details);
}
