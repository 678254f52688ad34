// Doctor's identity-pool checks: the provider, the basic (classic) flow, the role mapping
// (AmbiguousRoleResolution Deny; Token for token and ABAC mode), the rules quota, and the
// principal-tag attribute map (granularity "user": userid <- sub; ABAC: the tenant tag <- the claim).
import { cognitoProviderName } from '../../aws/apis.js';
import { classicFlowProblem, principalTagAttributeMap } from '../../policy/index.js';
import { MAX_RULES } from '../../tenant/plan.js';
import { mappingKeyOf, rulesOf } from '../../tenant/observe.js';
import { denied, INIT, QUOTA_WARN, type DoctorEnv } from './checks.js';
import { finding, type Finding } from './types.js';

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
