// Doctor's reach check: who, besides the stack's own users through its own app client, can reach
// a tenant's identity. Another app client of the pool that lets users write the tenant claim
// (rules, abac), a default authenticated role or another provider's mapping that hands out an
// isoctl role, and a pre token generation trigger that can rewrite the claim (docs/security.md
// rows 5b, 5c, 5d). Reads only.
import { cognitoProviderName } from '../../aws/apis.js';
import { otherClientClaimProblems, roleReachProblems } from '../../policy/index.js';
import { mappingKeyOf } from '../../tenant/observe.js';
import type { DoctorEnv } from './checks.js';
import { finding, type Finding } from './types.js';

export async function checkReach(env: DoctorEnv): Promise<Finding[]> {
  const { config } = env;
  const claimFromToken = config.mapping === 'rules' || config.mapping === 'abac';
  const [clients, poolRoles, pool] = await Promise.all([
    claimFromToken
      ? env.reads.run('cognito-idp:ListUserPoolClients', () => env.apis.cognitoIdp.listUserPoolClients(config.userPoolId))
      : Promise.resolve(undefined),
    env.reads.once('cognito-identity:GetIdentityPoolRoles', () => env.apis.cognitoIdentity.getIdentityPoolRoles(config.identityPoolId)),
    claimFromToken ? env.reads.once('cognito-idp:DescribeUserPool', () => env.apis.cognitoIdp.describeUserPool(config.userPoolId)) : Promise.resolve(undefined),
  ]);
  const out: Finding[] = [];
  if (clients && !clients.ok) out.push(finding('reach', 'skipped', `could not list the pool's app clients (${clients.error})`));
  else if (clients) for (const p of otherClientClaimProblems(config, clients.value)) out.push(finding('reach', 'problem', p.message, { action: p.fix }));
  if (!poolRoles.ok) out.push(finding('reach', 'skipped', `could not read the identity pool's roles (${poolRoles.error})`));
  else for (const p of roleReachProblems(config, poolRoles.value, mappingKeyOf(config))) out.push(finding('reach', 'problem', p.message, { action: p.fix }));
  if (pool?.ok && pool.value?.preTokenGeneration)
    out.push(
      finding(
        'reach',
        'warning',
        `user pool ${config.userPoolId} has a pre token generation trigger: it can change the ${config.tenantClaim} claim of ID tokens`,
        {
          action: 'Make sure the trigger never sets the tenant claim from anything a user can write; isoctl cannot see what it does.',
        },
      ),
    );
  if (out.length === 0)
    out.push(
      finding(
        'reach',
        'ok',
        `only ${cognitoProviderName(config.region, config.userPoolId)} reaches isoctl's roles${claimFromToken ? `; no app client lets users write ${config.tenantClaim}` : ''}`,
      ),
    );
  return out;
}
