// Doctor's identity-pool checks: the provider, the basic (classic) flow, the role mapping
// (AmbiguousRoleResolution Deny; Token for token and ABAC mode), the rules quota, and the
// principal-tag attribute map (granularity "user": userid <- sub; ABAC: the tenant tag <- the claim).
import { cognitoProviderName } from '../../aws/apis.js';
import { classicFlowProblem, principalTagAttributeMap, TENANT_PIN_TAG, USER_ID_TAG } from '../../policy/index.js';
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
    env.reads.once('cognito-identity:GetIdentityPoolRoles', () => env.apis.cognitoIdentity.getIdentityPoolRoles(config.identityPoolId)),
    Object.keys(principalTagAttributeMap(config)).length > 0
      ? env.reads.once('cognito-identity:GetPrincipalTagAttributeMap', () =>
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
    const wantType = config.mapping === 'rules' ? 'Rules' : 'Token';
    if (!entry)
      out.push(
        finding('role-mapping', 'problem', `the identity pool has no role mapping for ${key}`, {
          command: INIT,
          action: `Run init${adminStep(config)}: it writes the ${wantType} entry with AmbiguousRoleResolution Deny, keeping every other entry.`,
        }),
      );
    else if (entry.AmbiguousRoleResolution !== 'Deny')
      out.push(
        finding(
          'role-mapping',
          'problem',
          `the mapping for ${key} has AmbiguousRoleResolution ${entry.AmbiguousRoleResolution ?? 'unset'}: a user whose token matches no tenant gets the pool's default authenticated role`,
          { command: INIT, action: `Run init${adminStep(config)}: it sets AmbiguousRoleResolution to Deny.` },
        ),
      );
    else if (config.mapping !== 'rules' && entry.Type !== 'Token')
      out.push(
        finding(
          'role-mapping',
          'problem',
          `the config says "mapping": "${config.mapping}", the identity pool maps ${key} with ${entry.Type} (${rules.length} rule(s))`,
          {
            command: INIT,
            action: `Delete the rules-mode tenants or keep "mapping": "rules"; then run init${adminStep(config)}.`,
          },
        ),
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

  const want = principalTagAttributeMap(config);
  if (Object.keys(want).length > 0) {
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
            `${config.mapping === 'abac' ? '"mapping": "abac"' : 'granularity "user"'} needs the principal-tag map ${JSON.stringify(want)}; the identity pool has ${have ? `${JSON.stringify(have.principalTags)}${have.useDefaults ? ' (defaults)' : ''}` : 'none'}: ${tagMapConsequence(config, want, have?.principalTags)}`,
            {
              command: INIT,
              action: `Run init with administrator credentials (the admin step, \`isoctl policy render <any-tenant> --kind admin\`; the operator policy has no SetPrincipalTagAttributeMap): it sets ${Object.entries(
                want,
              )
                .map(([k, v]) => `${k} <- ${v}`)
                .join(', ')} for the user pool provider. ${TAG_MAP_WRITERS}`,
            },
            { want, have: have?.principalTags ?? null },
          ),
        );
    }
  }
  return out;
}

/** Who else writes the principal-tag map, and how to keep them from undoing init. */
export const TAG_MAP_WRITERS =
  "If it changes again, another writer of SetPrincipalTagAttributeMap is at work (Terraform's aws_cognito_identity_pool_provider_principal_tag, CDK, a console edit): declare the same map there or drop it from that tool.";

/** Token and ABAC mode: the mapping entry is written by init's admin step (docs/security.md row 4c). */
export function adminStep(config: { mapping: string }): string {
  return config.mapping === 'rules'
    ? ''
    : ' with administrator credentials (the admin step, `isoctl policy render <any-tenant> --kind admin`; the operator policy has no SetIdentityPoolRoles)';
}

function tagMapConsequence(config: { mapping: string }, want: Record<string, string>, have: Record<string, string> | undefined): string {
  const missing = Object.keys(want).filter((k) => have?.[k] !== want[k]);
  if (config.mapping === 'abac' && missing.includes(TENANT_PIN_TAG))
    return `sessions get no ${TENANT_PIN_TAG} tag from the claim, so the scope roles' trust (TagSession needs a non-empty tenant tag) refuses every sign-in`;
  if (missing.includes(USER_ID_TAG)) return 'sessions carry no userid tag and every read is denied';
  return `extra or different tags (${Object.keys(have ?? {})
    .filter((k) => want[k] !== have?.[k])
    .join(', ')}) reach the sessions`;
}
