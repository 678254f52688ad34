// Doctor's clobber check: tenants whose identity-pool entry or rule another writer removed
// (src/tenant/clobber.ts decides; this names the cause and the repair).
import { detectClobber } from '../../tenant/clobber.js';
import type { DoctorEnv } from './checks.js';
import { finding, type Finding } from './types.js';

export async function checkClobber(env: DoctorEnv): Promise<Finding> {
  const { config } = env;
  const [roles, poolRoles] = await Promise.all([
    env.reads.run('iam:ListRoles', () => env.apis.iam.listStackRoles(config.stack)),
    env.reads.run('cognito-identity:GetIdentityPoolRoles', () => env.apis.cognitoIdentity.getIdentityPoolRoles(config.identityPoolId)),
  ]);
  if (!roles.ok || !poolRoles.ok) return finding('clobber', 'skipped', `could not read (${!roles.ok ? roles.error : !poolRoles.ok ? poolRoles.error : ''})`);
  const c = detectClobber(config, poolRoles.value, roles.value, env.now());
  if (!c)
    return finding(
      'clobber',
      'ok',
      `every tenant role is reached through the identity pool (${config.mapping === 'token' ? 'Token entry in place' : 'a rule per tenant'})`,
    );
  return finding(
    'clobber',
    'problem',
    `${c.tenants.length} tenant(s) lost their ${config.mapping === 'token' ? 'identity-pool mapping entry' : 'identity-pool rule'} (${c.tenants.join(', ')}): the pool shows ${c.found}. Likely cause: ${c.cause}`,
    { command: c.command, action: c.action },
    { tenants: c.tenants, cause: c.cause },
  );
}
