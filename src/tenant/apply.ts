// Executes planned steps in order. A step whose target is not visible yet (NoSuchEntity right
// after CreateRole, Cognito not seeing a fresh role) is retried briefly; a step whose work was
// already done by an earlier, interrupted run (already-exists, already gone) counts as done.
// Identity-pool rule steps run together in one read-modify-write under the lock.
import type { MappingRule } from '../aws/apis.js';
import { AwsCallError } from '../aws/errors.js';
import { FailedError, PendingError, RefusedError } from '../errors.js';
import type { DesiredTenant } from './desired.js';
import type { TenantContext } from './context.js';
import { mappingKeyOf } from './observe.js';
import { findTenantRule, MAX_RULES, rulesLimitError, type Step } from './plan.js';
import * as ruleResource from './resources/rule.js';
import { rulesEntry } from './resources/rule.js';
import { modifyIdentityPoolRoles } from './pool-roles.js';
import { isNotYet } from './wait.js';
import { waitForTableActive } from './table-active.js';
import { retry } from '../aws/retry.js';

export type StepState = 'done' | 'planned' | 'unchanged' | 'failed';
export interface StepReport extends Step {
  state: StepState;
  detail?: string | undefined;
}

/** How long one mutating step keeps retrying "not visible yet" errors. */
const STEP_RETRY_MS = 20_000;

async function withPropagationRetry<T>(ctx: TenantContext, step: Step, fn: () => Promise<T>): Promise<T> {
  const notYet = (err: unknown): err is AwsCallError => err instanceof AwsCallError && isNotYet(err);
  return retry(ctx, fn, {
    until: ctx.now() + STEP_RETRY_MS,
    retryOn: notYet,
    onRetry: (err) => ctx.progress?.(`${step.action} ${step.target}: ${(err as AwsCallError).awsCode}, retrying`),
  }).catch((err: unknown) => {
    if (notYet(err)) throw new PendingError(`${step.action} ${step.target}: ${err.summary} (still not visible after ${STEP_RETRY_MS / 1000}s)`, 10);
    throw err;
  });
}

function tolerate(kind: AwsCallError['kind']) {
  return (err: unknown) => {
    if (err instanceof AwsCallError && err.kind === kind) return 'already';
    throw err;
  };
}

export async function applySteps(
  ctx: TenantContext,
  steps: Step[],
  desired: DesiredTenant | undefined,
  tenant: string,
  onStep?: (s: StepReport) => void,
): Promise<StepReport[]> {
  const { apis, config } = ctx;
  const reports: StepReport[] = [];
  const ruleSteps = steps.filter((s) => s.action === 'put-rule');
  let rulesApplied = false;

  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new FailedError(`internal: step needs ${what}`, 'internal');
    return v;
  };

  for (const step of steps) {
    const roleName = desired?.role.name ?? step.target.split('/')[0] ?? step.target;
    const run = async (): Promise<string | undefined> => {
      switch (step.action) {
        case 'create-role': {
          const d = need(desired, 'desired state');
          const r = await apis.iam
            .createRole({
              name: d.role.name,
              path: d.role.path,
              trustPolicy: d.role.trustJson,
              permissionsBoundaryArn: d.role.boundaryArn,
              tags: d.role.tags,
              description: `isoctl tenant ${d.tenant} of stack ${d.stack}`,
            })
            .catch(tolerate('already-exists'));
          return r === 'already' ? 'already existed (an earlier run made it)' : undefined;
        }
        case 'update-trust-policy':
          // The operator policy denies iam:UpdateAssumeRolePolicy (#11 vector 4: no condition can
          // limit the new trust document). With operator credentials, trust drift is refused with the way out.
          await apis.iam.updateAssumeRolePolicy(roleName, need(desired, 'desired state').role.trustJson).catch((err: unknown) => {
            if ((err as { kind?: string }).kind !== 'access-denied') throw err;
            throw new RefusedError(
              `the trust policy of role ${roleName} is not the one isoctl builds, and these credentials may not rewrite it (the operator policy denies iam:UpdateAssumeRolePolicy by design: it could make the role trust anyone). Delete and re-create the tenant (isoctl tenant delete, then tenant create), or have an administrator run \`aws iam update-assume-role-policy --role-name ${roleName} --policy-document "$(isoctl policy render <tenant> --kind trust --json)"\`.`,
              'trust_drift_needs_admin',
            );
          });
          return undefined;
        case 'put-permissions-boundary':
          await apis.iam.putRolePermissionsBoundary(roleName, need(desired, 'desired state').role.boundaryArn);
          return undefined;
        case 'tag-role':
          await apis.iam.tagRole(roleName, step.details?.tags as Record<string, string>);
          return undefined;
        case 'untag-role':
          await apis.iam.untagRole(roleName, step.details?.keys as string[]);
          return undefined;
        case 'put-data-policy': {
          const d = need(desired, 'desired state');
          await apis.iam.putRolePolicy(d.role.name, d.dataPolicy.name, d.dataPolicy.json);
          return undefined;
        }
        case 'delete-inline-policy': {
          const [role, policy] = step.target.split('/') as [string, string];
          return (await apis.iam.deleteRolePolicy(role, policy)) ? undefined : 'already gone';
        }
        case 'create-silo-table': {
          const partitionKey = { name: String(step.details?.partitionKey), type: 'S' as const };
          const sortKey = step.details?.sortKey ? { name: String(step.details.sortKey), type: 'S' as const } : undefined;
          const tags = desired ? { ...desired.role.tags } : {};
          const r = await apis.dynamodb.createTable({ name: step.target, partitionKey, sortKey, tags }).catch(tolerate('already-exists'));
          // CREATING for a while (seconds on AWS): not done, and not usable, until ACTIVE.
          await waitForTableActive(ctx, apis.dynamodb, step.target, 'silo table');
          return r === 'already' ? 'already existed' : undefined;
        }
        case 'create-group': {
          const r = await apis.cognitoIdp
            .createGroup(config.userPoolId, { name: step.target, roleArn: String(step.details?.roleArn), description: String(step.details?.description) })
            .catch(tolerate('already-exists'));
          if (r === 'already') {
            // An earlier run made it; make sure it carries our role.
            await apis.cognitoIdp.updateGroup(config.userPoolId, {
              name: step.target,
              roleArn: String(step.details?.roleArn),
              description: String(step.details?.description),
            });
            return 'already existed; role set';
          }
          return undefined;
        }
        case 'update-group':
          await apis.cognitoIdp.updateGroup(config.userPoolId, {
            name: step.target,
            roleArn: String(step.details?.roleArn),
            description: String(step.details?.description),
          });
          return undefined;
        case 'put-rule': {
          if (rulesApplied) return undefined;
          // Marked applied only once the write went through: a retry of a failed (e.g. throttled) write must write again.
          const ruleDetail = await applyRuleSteps(ctx, ruleSteps, tenant, desired);
          rulesApplied = true;
          return ruleDetail;
        }
        case 'create-probe-user': {
          const d = need(desired, 'desired state');
          const r = await apis.cognitoIdp.adminCreateUser(config.userPoolId, d.probe.username, d.probe.attributes).catch(tolerate('already-exists'));
          if (r === 'already' && Object.keys(d.probe.attributes).length > 0)
            await apis.cognitoIdp.adminUpdateUserAttributes(config.userPoolId, d.probe.username, d.probe.attributes);
          return r === 'already' ? 'already existed' : undefined;
        }
        case 'update-probe-attributes': {
          const d = need(desired, 'desired state');
          await apis.cognitoIdp.adminUpdateUserAttributes(config.userPoolId, d.probe.username, step.details?.attributes as Record<string, string>);
          return undefined;
        }
        case 'add-probe-to-group': {
          const d = need(desired, 'desired state');
          await apis.cognitoIdp.adminAddUserToGroup(config.userPoolId, d.probe.username, need(d.probe.group, 'probe group'));
          return undefined;
        }
        case 'delete-group':
        case 'delete-probe-user':
        case 'delete-role':
        case 'remove-rule':
          // Removals go through the resource modules (src/tenant/resources), never through here.
          throw new FailedError(`internal: ${step.action} is a removal; use the resource modules`, 'internal');
      }
    };
    ctx.progress?.(`${step.action} ${step.target}`);
    // Deletes treat "not found" as success (inside the adapters); creates retry while the target propagates.
    const detail = await withPropagationRetry(ctx, step, run);
    const report: StepReport = { ...step, state: 'done', detail };
    reports.push(report);
    onStep?.(report);
  }
  return reports;
}

/** Puts this tenant's rule in one read-modify-write, recomputed on the fresh read under the lock. */
async function applyRuleSteps(ctx: TenantContext, steps: Step[], tenant: string, desired: DesiredTenant | undefined): Promise<string | undefined> {
  const { config } = ctx;
  const key = mappingKeyOf(config);
  const change = await modifyIdentityPoolRoles(ctx.apis, config, { now: ctx.now, sleep: ctx.sleep, signal: ctx.signal, purpose: ctx.purpose }, (roles) => {
    const entry = roles.RoleMappings[key];
    if (!entry)
      throw new FailedError(`the identity pool ${config.identityPoolId} has no role mapping for ${key}; run \`isoctl init\` first`, 'not_initialized');
    const rules: MappingRule[] = entry.Type === 'Rules' ? [...(entry.RulesConfiguration?.Rules ?? [])] : [];
    for (const step of steps) {
      const roleArn = desired?.role.arn ?? String(step.details?.RoleArn);
      const existing = findTenantRule(rules, config.tenantClaim, tenant);
      if (existing) {
        // Decided again on the fresh read: a rule someone else wrote since the plan is not taken over.
        const o = ruleResource.owned(config, existing, tenant);
        if (!o.owned && existing.RoleArn !== roleArn) throw new RefusedError(`${o.reason}; isoctl will not change it`, 'not_owned');
        existing.RoleArn = roleArn;
      } else {
        if (rules.length >= MAX_RULES) throw rulesLimitError(config, tenant, rules.length);
        rules.push({ Claim: config.tenantClaim, MatchType: 'Equals', Value: tenant, RoleArn: roleArn });
      }
    }
    roles.RoleMappings[key] = rulesEntry(rules);
  });
  return change.changed ? undefined : 'already as wanted';
}

export { rulesEntry };
