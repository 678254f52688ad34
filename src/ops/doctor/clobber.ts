// Doctor's clobber check: tenants whose identity-pool entry or rule another writer removed
// (src/tenant/clobber.ts decides; this names the cause and the repair).
import { cognitoProviderName } from '../../aws/apis.js';
import { detectAbacClobber, detectClobber } from '../../tenant/clobber.js';
import { isScopeRoleName } from './scope-roles.js';
import type { DoctorEnv } from './checks.js';
import { finding, type Finding } from './types.js';

export async function checkClobber(env: DoctorEnv): Promise<Finding> {
  const { config } = env;
  if (config.mapping === 'abac') return checkAbacClobber(env);
  const [roles, poolRoles] = await Promise.all([
    env.reads.once('iam:ListRoles', () => env.apis.iam.listStackRoles(config.stack)),
    env.reads.once('cognito-identity:GetIdentityPoolRoles', () => env.apis.cognitoIdentity.getIdentityPoolRoles(config.identityPoolId)),
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

async function checkAbacClobber(env: DoctorEnv): Promise<Finding> {
  const { config } = env;
  const provider = cognitoProviderName(config.region, config.userPoolId);
  const [roles, poolRoles, tagMap] = await Promise.all([
    env.reads.once('iam:ListRoles', () => env.apis.iam.listStackRoles(config.stack)),
    env.reads.once('cognito-identity:GetIdentityPoolRoles', () => env.apis.cognitoIdentity.getIdentityPoolRoles(config.identityPoolId)),
    env.reads.once('cognito-identity:GetPrincipalTagAttributeMap', () => env.apis.cognitoIdentity.getPrincipalTagAttributeMap(config.identityPoolId, provider)),
  ]);
  const failed = [roles, poolRoles, tagMap].find((r) => !r.ok);
  if (failed && !failed.ok) return finding('clobber', 'skipped', `could not read (${failed.error})`);
  if (!roles.ok || !poolRoles.ok || !tagMap.ok) return finding('clobber', 'skipped', 'could not read');
  // init made the scope roles: from then on a missing entry or a different map is another writer's doing.
  const initialised = roles.value.some((r) => isScopeRoleName(config, r.name));
  const c = detectAbacClobber(config, poolRoles.value, tagMap.value, initialised, []);
  if (!c)
    return finding(
      'clobber',
      'ok',
      initialised ? "the Token entry and the principal-tag map are init's (no other writer replaced them)" : 'no scope role yet: init has not run',
    );
  return finding(
    'clobber',
    'problem',
    `every tenant of the stack is shut out: the identity pool shows ${c.found}. Likely cause: ${c.cause}`,
    { command: c.command, action: c.action },
    { cause: c.cause, found: c.found },
  );
}
