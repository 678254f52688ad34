// `init` in ABAC mode (issue 12): per scope S the shared role `isoctl-<stack>-<S>` (boundary, stack
// tags, one inline data policy reading the tenant from `${aws:PrincipalTag/isoctl-tenant}`, a trust
// that tags sessions only with the mapped keys and only with a tenant) and the user-pool group of the
// same name carrying it, with distinct precedences. The identity pool's token mapping and
// principal-tag map are stack.ts's steps (the map comes from principalTagAttributeMap).
import type { StackConfig } from '../config/schema.js';
import { RefusedError } from '../errors.js';
import { buildScopeRoles, policiesEqual, serializePolicy, type PolicyDocument, type ScopeRoleSpec } from '../policy/index.js';
import * as scopeRole from './resources/scope-role.js';
import { scopeGroupDescription } from './resources/scope-group.js';
import type { AwsApis } from '../aws/apis.js';

export type AbacInitAction = 'create-scope-role' | 'put-scope-policy' | 'put-scope-group';

export interface AbacInitStep {
  action: AbacInitAction;
  target: string;
  reason: string;
  spec: ScopeRoleSpec;
}

const groupDescriptionOf = scopeGroupDescription;

/** Reads only: what is missing or different of the scope roles and groups. Refuses a look-alike it does not own. */
export async function planAbacInit(apis: AwsApis, config: StackConfig): Promise<AbacInitStep[]> {
  const steps: AbacInitStep[] = [];
  for (const spec of buildScopeRoles(config)) {
    const [role, group] = await Promise.all([apis.iam.getRole(spec.roleName), apis.cognitoIdp.getGroup(config.userPoolId, spec.roleName)]);
    if (role) {
      const own = scopeRole.owned(config, role, spec.scope);
      if (!own.owned) throw new RefusedError(`${own.reason}; nothing was changed`, 'not_owned');
      if (!policiesEqual(spec.assumeRolePolicy, role.trustPolicy as PolicyDocument) || role.permissionsBoundaryArn !== spec.permissionsBoundary)
        throw new RefusedError(
          `scope role ${spec.roleName} has another trust policy or boundary than the config wants; an administrator must fix it (the operator policy cannot change trust), or delete the role and run init again`,
          'trust_drift_needs_admin',
        );
      const [policyName, doc] = Object.entries(spec.inlinePolicies)[0] ?? ['', {}];
      const have = await apis.iam.getRolePolicy(spec.roleName, policyName);
      if (have === undefined || !policiesEqual(doc as PolicyDocument, have as PolicyDocument))
        steps.push({
          action: 'put-scope-policy',
          target: `${spec.roleName}/${policyName}`,
          reason: have === undefined ? 'inline data policy missing' : 'inline data policy differs from the config',
          spec,
        });
    } else {
      steps.push({ action: 'create-scope-role', target: spec.roleName, reason: 'scope role does not exist', spec });
      steps.push({ action: 'put-scope-policy', target: `${spec.roleName}/${Object.keys(spec.inlinePolicies)[0]}`, reason: 'new role', spec });
    }
    if (group && group.description !== groupDescriptionOf(config, spec.scope))
      throw new RefusedError(
        `user-pool group ${spec.roleName} exists without isoctl's mark for stack ${config.stack} scope ${spec.scope}; nothing was changed`,
        'not_owned',
      );
    if (!group || group.roleArn !== spec.arn || group.precedence !== spec.precedence)
      steps.push({ action: 'put-scope-group', target: spec.roleName, reason: group ? 'group role or precedence differs' : 'group does not exist', spec });
  }
  return steps;
}

export async function applyAbacInitStep(apis: AwsApis, config: StackConfig, step: AbacInitStep): Promise<void> {
  const { spec } = step;
  const tolerate = (kind: string) => (err: unknown) => {
    if ((err as { kind?: string }).kind !== kind) throw err;
    return undefined;
  };
  switch (step.action) {
    case 'create-scope-role':
      await apis.iam
        .createRole({
          name: spec.roleName,
          path: spec.path,
          trustPolicy: serializePolicy(spec.assumeRolePolicy),
          permissionsBoundaryArn: spec.permissionsBoundary,
          tags: spec.tags,
          description: `isoctl ABAC scope ${spec.scope} of stack ${config.stack}`,
        })
        .catch(tolerate('already-exists'));
      return;
    case 'put-scope-policy': {
      const [name, doc] = Object.entries(spec.inlinePolicies)[0] ?? ['', {}];
      await apis.iam.putRolePolicy(spec.roleName, name, serializePolicy(doc as PolicyDocument));
      return;
    }
    case 'put-scope-group': {
      const g = { name: spec.roleName, roleArn: spec.arn, description: groupDescriptionOf(config, spec.scope), precedence: spec.precedence };
      const made = await apis.cognitoIdp.createGroup(config.userPoolId, g).catch(tolerate('already-exists'));
      if (!made) await apis.cognitoIdp.updateGroup(config.userPoolId, g);
      return;
    }
  }
}
