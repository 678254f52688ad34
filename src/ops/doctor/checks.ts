// The stack, checked end to end against the config: account, user pool and app client, identity
// pool (provider, role mapping, AmbiguousRoleResolution, principal-tag map), boundary, trust
// policies of the stack's roles, tables and lock table, quota headroom, and the caller's
// permissions. Reads only. Each check returns one finding with its fix.
import type { AwsApis } from '../../aws/apis.js';
import { cognitoProviderName } from '../../aws/apis.js';
import type { AccountScansApi } from '../../aws/account-scans.js';
import { boundary as boundaryResource, role as roleResource } from '../../tenant/resources/index.js';
import { boundaryPolicyName, lockTableName, stackPath, type StackConfig } from '../../config/schema.js';
import {
  boundaryPolicyArn,
  buildBoundaryPolicy,
  buildTrustPolicy,
  classicFlowProblem,
  observedIndexProblems,
  policiesEqual,
  principalTagAttributeMap,
  tenantClaimProblems,
  type PolicyDocument,
} from '../../policy/index.js';
import { MAX_RULES } from '../../tenant/plan.js';
import { identityPoolLockId } from '../../tenant/names.js';
import { mappingKeyOf, rulesOf } from '../../tenant/observe.js';
import { finding, type Finding } from './types.js';
import type { Reads } from './reads.js';

/** Cognito's quota of groups per user pool. */
export const MAX_GROUPS = 10_000;
/** Share of a quota above which doctor warns. */
export const QUOTA_WARN = 0.8;

export interface DoctorEnv {
  apis: AwsApis;
  ops: AccountScansApi;
  config: StackConfig;
  reads: Reads;
  now(): number;
}

const INIT = 'isoctl init';
const denied = (check: Finding['check'], action: string, error: string): Finding =>
  finding(check, 'skipped', `could not read (${error})`, { action: `the permissions finding lists what the caller lacks (${action})` });

export async function checkAccount(env: DoctorEnv): Promise<Finding> {
  const who = await env.reads.run('sts:GetCallerIdentity', () => env.apis.sts.getCallerIdentity());
  if (!who.ok)
    return finding('account', 'problem', `cannot identify the caller: ${who.error}`, {
      action: 'Check the credentials (AWS_PROFILE, --profile) and the endpoint.',
    });
  if (who.value.account !== env.config.accountId)
    return finding(
      'account',
      'problem',
      `the credentials are for account ${who.value.account} (${who.value.arn}); the config says ${env.config.accountId}`,
      {
        action: `Use credentials of account ${env.config.accountId} (--profile), or fix "accountId" in isoctl.json.`,
      },
      { caller: who.value.arn },
    );
  return finding('account', 'ok', `account ${who.value.account} as ${who.value.arn}`, undefined, { caller: who.value.arn });
}

export async function checkUserPool(env: DoctorEnv): Promise<Finding[]> {
  const { config } = env;
  const [pool, client] = await Promise.all([
    env.reads.run('cognito-idp:DescribeUserPool', () => env.apis.cognitoIdp.describeUserPool(config.userPoolId)),
    env.reads.run('cognito-idp:DescribeUserPoolClient', () => env.apis.cognitoIdp.describeUserPoolClient(config.userPoolId, config.userPoolClientId)),
  ]);
  const out: Finding[] = [];
  if (!pool.ok) out.push(denied('user-pool', 'cognito-idp:DescribeUserPool', pool.error));
  else if (!pool.value)
    out.push(
      finding('user-pool', 'problem', `user pool ${config.userPoolId} does not exist in ${config.region}`, {
        action: 'Fix "userPoolId" (and "region") in isoctl.json.',
      }),
    );
  else if (config.mapping === 'rules' && !pool.value.attributeNames.includes(config.tenantClaim))
    out.push(
      finding('user-pool', 'problem', `rules mapping reads the claim ${config.tenantClaim}, but user pool ${config.userPoolId} has no such attribute`, {
        action: `Add the custom attribute ${config.tenantClaim.replace(/^custom:/, '')} to the user pool (custom attributes cannot be added later to existing tokens' schema otherwise).`,
      }),
    );
  else out.push(finding('user-pool', 'ok', `user pool ${config.userPoolId}${pool.value.name ? ` (${pool.value.name})` : ''}`));

  if (!client.ok) out.push(denied('app-client', 'cognito-idp:DescribeUserPoolClient', client.error));
  else if (pool.ok && !pool.value) out.push(finding('app-client', 'skipped', 'the user pool does not exist'));
  else if (!client.value)
    out.push(
      finding('app-client', 'problem', `app client ${config.userPoolClientId} does not exist in user pool ${config.userPoolId}`, {
        action: 'Fix "userPoolClientId" in isoctl.json.',
      }),
    );
  else if (tenantClaimProblems(config, client.value).length > 0)
    for (const p of tenantClaimProblems(config, client.value)) out.push(finding('app-client', 'problem', p.message, { action: p.fix }));
  else if (!client.value.explicitAuthFlows.includes('ALLOW_ADMIN_USER_PASSWORD_AUTH'))
    out.push(
      finding(
        'app-client',
        'warning',
        `app client ${config.userPoolClientId} does not allow ALLOW_ADMIN_USER_PASSWORD_AUTH: the probe identity (tenant verify, --wait data) cannot sign in`,
        { action: "Add ALLOW_ADMIN_USER_PASSWORD_AUTH to the app client's auth flows." },
      ),
    );
  else out.push(finding('app-client', 'ok', `app client ${config.userPoolClientId}`));
  return out;
}

export async function checkIdentityPool(env: DoctorEnv): Promise<Finding[]> {
  const { config } = env;
  const provider = cognitoProviderName(config.region, config.userPoolId);
  const key = mappingKeyOf(config);
  const out: Finding[] = [];
  const [pool, roles, tags] = await Promise.all([
    env.reads.run('cognito-identity:DescribeIdentityPool', () => env.apis.cognitoIdentity.describeIdentityPool(config.identityPoolId)),
    env.reads.run('cognito-identity:GetIdentityPoolRoles', () => env.apis.cognitoIdentity.getIdentityPoolRoles(config.identityPoolId)),
    config.granularity === 'user'
      ? env.reads.run('cognito-identity:GetPrincipalTagAttributeMap', () =>
          env.apis.cognitoIdentity.getPrincipalTagAttributeMap(config.identityPoolId, provider),
        )
      : Promise.resolve(undefined),
  ]);
  let exists = true;
  if (!pool.ok) out.push(denied('identity-pool', 'cognito-identity:DescribeIdentityPool', pool.error));
  else if (!pool.value) {
    exists = false;
    out.push(
      finding('identity-pool', 'problem', `identity pool ${config.identityPoolId} does not exist in ${config.region}`, {
        action: 'Fix "identityPoolId" in isoctl.json.',
      }),
    );
  } else if (!pool.value.cognitoProviders.some((p) => p.providerName === provider && p.clientId === config.userPoolClientId))
    out.push(
      finding(
        'identity-pool',
        'problem',
        `identity pool ${config.identityPoolId} does not list the provider ${key}`,
        {
          action: `Add the user pool ${config.userPoolId} with app client ${config.userPoolClientId} under the identity pool's authentication providers: GetCredentialsForIdentity refuses every token otherwise.`,
        },
        { providers: pool.value.cognitoProviders.map((p) => `${p.providerName}:${p.clientId}`) },
      ),
    );
  else if (classicFlowProblem(config, pool.value.allowClassicFlow)) {
    const p = classicFlowProblem(config, pool.value.allowClassicFlow)!;
    out.push(finding('identity-pool', 'problem', p.message, { action: p.fix }));
  } else if (pool.value.allowUnauthenticated)
    out.push(
      finding('identity-pool', 'warning', `identity pool ${config.identityPoolId} allows unauthenticated identities`, {
        action: 'Turn off guest access unless the application needs it; tenant roles trust authenticated identities only.',
      }),
    );
  else out.push(finding('identity-pool', 'ok', `identity pool ${config.identityPoolId} lists the provider ${key}`));

  if (!exists) out.push(finding('role-mapping', 'skipped', 'the identity pool does not exist'));
  else if (!roles.ok) out.push(denied('role-mapping', 'cognito-identity:GetIdentityPoolRoles', roles.error));
  else {
    const entry = roles.value.RoleMappings[key];
    const rules = rulesOf(roles.value, key);
    const wantType = config.mapping === 'token' ? 'Token' : 'Rules';
    if (!entry)
      out.push(
        finding('role-mapping', 'problem', `the identity pool has no role mapping for ${key}`, {
          command: INIT,
          action: `Run init: it writes the ${wantType} entry with AmbiguousRoleResolution Deny.`,
        }),
      );
    else if (entry.AmbiguousRoleResolution !== 'Deny')
      out.push(
        finding(
          'role-mapping',
          'problem',
          `the mapping for ${key} has AmbiguousRoleResolution ${entry.AmbiguousRoleResolution ?? 'unset'}: a user whose token matches no tenant gets the pool's default authenticated role`,
          { command: INIT, action: 'Run init: it sets AmbiguousRoleResolution to Deny.' },
        ),
      );
    else if (config.mapping === 'token' && entry.Type !== 'Token')
      out.push(
        finding('role-mapping', 'problem', `the config says "mapping": "token", the identity pool maps ${key} with ${entry.Type} (${rules.length} rule(s))`, {
          command: INIT,
          action: 'Delete the rules-mode tenants or keep "mapping": "rules"; then run init.',
        }),
      );
    else if (config.mapping === 'rules' && entry.Type !== 'Rules' && !(entry.Type === 'Token' && rules.length === 0))
      out.push(
        finding('role-mapping', 'problem', `the config says "mapping": "rules", the identity pool maps ${key} with ${entry.Type}`, {
          command: INIT,
          action: 'Run init.',
        }),
      );
    else
      out.push(
        finding(
          'role-mapping',
          'ok',
          `${entry.Type} mapping for ${key}, AmbiguousRoleResolution Deny${entry.Type === 'Rules' ? `, ${rules.length} rule(s)` : ''}`,
          undefined,
          { type: entry.Type, rules: rules.length },
        ),
      );

    if (config.mapping === 'rules') {
      const n = rules.length;
      if (n >= MAX_RULES)
        out.push(
          finding(
            'quota-rules',
            'problem',
            `${n} of ${MAX_RULES} rules used: no further tenant can be created`,
            { action: 'Use "mapping": "token" (a user pool group per tenant), or spread tenants over several identity pools / stacks.' },
            { used: n, limit: MAX_RULES },
          ),
        );
      else if (n >= Math.floor(MAX_RULES * QUOTA_WARN))
        out.push(
          finding(
            'quota-rules',
            'warning',
            `${n} of ${MAX_RULES} rules used (${MAX_RULES - n} left)`,
            { action: 'Plan the move to "mapping": "token" before the 25th tenant.' },
            { used: n, limit: MAX_RULES },
          ),
        );
      else out.push(finding('quota-rules', 'ok', `${n} of ${MAX_RULES} rules used`, undefined, { used: n, limit: MAX_RULES }));
    }
  }

  if (config.granularity === 'user') {
    const want = principalTagAttributeMap(config);
    if (!exists) out.push(finding('principal-tags', 'skipped', 'the identity pool does not exist'));
    else if (tags && !tags.ok) out.push(denied('principal-tags', 'cognito-identity:GetPrincipalTagAttributeMap', tags.error));
    else {
      const have = tags?.ok ? tags.value : undefined;
      const same =
        have !== undefined &&
        !have.useDefaults &&
        Object.keys(want).every((k) => have.principalTags[k] === want[k]) &&
        Object.keys(have.principalTags).length === Object.keys(want).length;
      if (same) out.push(finding('principal-tags', 'ok', `principal tags ${JSON.stringify(want)} mapped from the token`));
      else
        out.push(
          finding(
            'principal-tags',
            'problem',
            `granularity "user" needs the principal-tag map ${JSON.stringify(want)}; the identity pool has ${have ? `${JSON.stringify(have.principalTags)}${have.useDefaults ? ' (defaults)' : ''}` : 'none'}: sessions carry no userid tag and every read is denied`,
            {
              command: INIT,
              action: 'Run init: it sets userid <- sub for the user pool provider.',
            },
          ),
        );
    }
  }
  return out;
}

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
    env.reads.run('iam:ListRoles', () => env.apis.iam.listStackRoles(config.stack)),
    env.reads.run('iam:GetAccountSummary', () => env.ops.getAccountSummary()),
  ]);
  const out: Finding[] = [];
  if (!roles.ok) out.push(denied('trust', 'iam:ListRoles', roles.error));
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

export async function checkTables(env: DoctorEnv): Promise<Finding[]> {
  const { config } = env;
  const lockName = lockTableName(config);
  const pooled = config.tables.filter((t) => t.model === 'pooled');
  const [lock, ...tables] = await Promise.all([
    env.reads.run('dynamodb:DescribeTable', () => env.apis.dynamodb.describeTable(lockName)),
    ...pooled.map((t) => env.reads.run('dynamodb:DescribeTable', () => env.apis.dynamodb.describeTable(t.name))),
  ]);
  const out: Finding[] = [];
  if (!lock!.ok) out.push(denied('lock-table', 'dynamodb:DescribeTable', lock!.error));
  else if (!lock!.value)
    out.push(
      finding('lock-table', 'problem', `the lock table ${lockName} does not exist: identity-pool writes (rules, init) refuse to run`, {
        command: INIT,
        action: 'Run init: it creates the lock table.',
      }),
    );
  else if (lock!.value.status !== 'ACTIVE')
    out.push(finding('lock-table', 'warning', `the lock table ${lockName} is ${lock!.value.status}`, { action: 'Wait until it is ACTIVE.' }));
  else {
    const lease = await env.reads.run('dynamodb:GetItem', () => env.apis.dynamodb.getLease(lockName, identityPoolLockId(config.identityPoolId)));
    if (!lease.ok) out.push(denied('lock-table', 'dynamodb:GetItem', lease.error));
    else if (lease.value && lease.value.expiresAt > env.now())
      out.push(
        finding(
          'lock-table',
          'warning',
          `the identity pool's lock is held by ${lease.value.holder || 'another isoctl'} until ${new Date(lease.value.expiresAt).toISOString()}`,
          { action: 'Identity-pool writes wait for it; the lease expires by itself if its holder crashed.' },
          { holder: lease.value.holder },
        ),
      );
    else
      out.push(
        finding(
          'lock-table',
          'ok',
          `lock table ${lockName} reachable${lease.value ? ' (an expired lease is left; the next writer takes it over)' : ', lock free'}`,
        ),
      );
  }
  const problems: string[] = [];
  const missing: string[] = [];
  pooled.forEach((t, i) => {
    const r = tables[i]!;
    if (!r.ok) problems.push(`${t.name}: ${r.error}`);
    else if (!r.value) missing.push(t.name);
    else if (r.value.partitionKey.name !== t.partitionKey)
      problems.push(`${t.name} has partition key ${r.value.partitionKey.name}, the config says ${t.partitionKey}`);
    else if (t.sortKey && r.value.sortKey?.name !== t.sortKey)
      problems.push(`${t.name} has sort key ${r.value.sortKey?.name ?? 'none'}, the config says ${t.sortKey}`);
  });
  const indexProblems = pooled.flatMap((t, i) => {
    const r = tables[i]!;
    return r.ok && r.value ? observedIndexProblems(config, t.name, r.value.indexPartitionKeys ?? {}) : [];
  });
  for (const p of indexProblems) out.push(finding('tables', 'problem', p.message, { action: p.fix }));
  if (problems.length > 0)
    out.push(
      finding('tables', 'problem', problems.join('; '), {
        action: 'Fix "tables" in isoctl.json to match the tables (the partition key is what the tenant policy restricts).',
      }),
    );
  else if (indexProblems.length > 0) return out;
  else if (missing.length > 0)
    out.push(
      finding('tables', 'warning', `pooled table(s) ${missing.join(', ')} do not exist: tenants cannot read or write there yet`, {
        action: 'Create the tables (isoctl does not create pooled tables), or fix "tables" in isoctl.json.',
      }),
    );
  else
    out.push(
      finding(
        'tables',
        'ok',
        `${pooled.length} pooled table(s) exist with the configured keys${config.tables.length > pooled.length ? `; silo tables are per tenant` : ''}`,
      ),
    );
  return out;
}
