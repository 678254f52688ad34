// `tenant create`: desired state vs observed state, apply only the missing steps, then wait
// until the services the caller cares about see the tenant.
import { AwsCallError } from '../aws/errors.js';
import { FailedError, InterruptedError, PendingError, RefusedError } from '../errors.js';
import { grantedIndexes, observedIndexProblems, policiesEqual, TAG_MANAGED_BY, type PolicyDocument } from '../policy/index.js';
import type { TenantContext } from './context.js';
import { assertIsolationProof, desiredTenant, resolveScopes, scopesFromTag, type DesiredTenant } from './desired.js';
import { observeTenant } from './observe.js';
import { applySteps, type StepReport } from './apply.js';
import { planCreate, findTenantRule } from './plan.js';
import { ownReadableVerdict, ProbeError, ProbeSession } from './probe.js';
import { retryAfterSeconds, waitFor, NotYet, Wrong, type Check, type WaitLevel, type WaitResult } from './wait.js';
import { TAG_SCOPES, tenantGroupName } from './names.js';
import { mappingKeyOf, rulesOf } from './observe.js';
import { listRegistry, registerTenant, type RegistryChange } from './registry.js';
import { assertTenantId } from '../config/tenant-id.js';
import { checkIdReuse, type IdReuseReport } from './deleted-ids.js';

export interface CreateTenantInput {
  tenant: string;
  /** Scope names; undefined keeps the scopes the tenant has (or all scopes for a new tenant). */
  scopes?: string[] | undefined;
  wait: WaitLevel;
  timeoutMs: number;
  dryRun: boolean;
  /** `--reuse-id`: this is the same tenant coming back; a recently deleted id is not refused (src/tenant/deleted-ids.ts). */
  reuseId?: boolean | undefined;
}

export interface WaitReport extends WaitResult {
  level: WaitLevel;
}

export interface CreateTenantResult {
  tenant: string;
  stack: string;
  /** created: the role was made now; updated: something was repaired; unchanged: nothing to do; planned: --dry-run. */
  status: 'created' | 'updated' | 'unchanged' | 'planned';
  dryRun: boolean;
  scopes: string[];
  role: { name: string; arn: string };
  steps: StepReport[];
  /** The tenant's registry row: created, updated (scopes, or a half-done delete undone) or unchanged. */
  registry?: RegistryChange | undefined;
  /** With --dry-run: the exact documents the steps send. */
  documents?: { trustPolicy: PolicyDocument; dataPolicy: PolicyDocument } | undefined;
  wait?: WaitReport | undefined;
  /** `--reuse-id` waived the id-reuse refusal (and, ABAC, lifted the tombstone). */
  idReuse?: IdReuseReport | undefined;
}

export async function createTenant(ctx: TenantContext, input: CreateTenantInput): Promise<CreateTenantResult> {
  // `tenant create <id>` and the library come through here (apply checks its new ids with
  // refuseReusedIds, src/ops/apply/index.ts): a deleted tenant's
  // id is refused before any write, unless --reuse-id (docs/security.md row 12d).
  // Bad input stays exit 2 before any AWS call: the id and the scopes are checked offline first (a
  // scope-named ABAC id is refused by abac-create, which the check then leaves to it).
  const tenant = assertTenantId(input.tenant, ctx.config.stack);
  resolveScopes(ctx.config, input.scopes);
  const scopeNamed = ctx.config.mapping === 'abac' && tenant in ctx.config.scopes;
  const reuse = scopeNamed ? undefined : await checkIdReuse(ctx, tenant, { reuseId: input.reuseId === true, dryRun: input.dryRun });
  const result = await createTenantUnchecked(ctx, input);
  return reuse?.verdict === 'reuse' ? { ...result, idReuse: reuse } : result;
}

async function createTenantUnchecked(ctx: TenantContext, input: CreateTenantInput): Promise<CreateTenantResult> {
  const { config, apis } = ctx;
  if (config.mapping === 'abac') return (await import('./abac-create.js')).createAbacTenant(ctx, input);
  // Offline first: id, limits and the isolation proof, before any AWS call.
  let scopes = resolveScopes(config, input.scopes);
  let desired = desiredTenant(config, input.tenant, scopes);
  assertIsolationProof(config, desired.tenant);
  await assertGrantedIndexesTenantKeyed(ctx);

  ctx.progress?.(`reading tenant ${desired.tenant}`);
  const [boundary, observed] = await Promise.all([apis.iam.getPolicy(desired.role.boundaryArn), observeTenant(apis, config, desired.tenant)]);
  if (!boundary)
    throw new FailedError(`the stack's permissions boundary ${desired.role.boundaryArn} does not exist; run \`isoctl init\` first`, 'not_initialized');
  if (observed.mapping.kind === 'rule' && observed.mapping.entryType === undefined)
    throw new FailedError(
      `the identity pool ${config.identityPoolId} has no role mapping for ${observed.mapping.mappingKey}; run \`isoctl init\` first`,
      'not_initialized',
    );

  // Without --scope, an existing tenant keeps the scopes recorded on its role.
  if (input.scopes === undefined && observed.role?.tags) {
    const kept = scopesFromTag(config, observed.role.tags[TAG_SCOPES]);
    if (kept && kept.join() !== scopes.join()) {
      scopes = kept;
      desired = desiredTenant(config, input.tenant, scopes);
      assertIsolationProof(config, desired.tenant);
    }
  }

  // The proof again, now against every existing tenant of the stack (the registry: one scan), in
  // both directions; a failure refuses the create before anything is changed (docs/security.md row 12a).
  const existing = (await listRegistry(ctx)).rows.map((r) => r.tenant).filter((t) => t !== desired.tenant);
  if (existing.length > 0) assertIsolationProof(config, desired.tenant, existing);

  const steps = planCreate(config, desired, observed);
  const base = {
    tenant: desired.tenant,
    stack: config.stack,
    scopes,
    role: { name: desired.role.name, arn: desired.role.arn },
  };
  if (input.dryRun) {
    return {
      ...base,
      status: 'planned',
      dryRun: true,
      steps: steps.map((s) => ({ ...s, state: 'planned' as const })),
      documents: { trustPolicy: desired.role.trustPolicy, dataPolicy: desired.dataPolicy.document },
    };
  }

  // Ctrl-C or SIGTERM part-way: say what was changed and that the same command finishes the job
  // (create reconciles), and hand the partial result to --json.
  const applied: StepReport[] = [];
  // Registered before the AWS changes, so an interrupted create is known to the registry too.
  const registry = await registerTenant(ctx, desired.tenant, scopes);
  const interrupted = (err: unknown, result: CreateTenantResult): unknown => {
    if (!(err instanceof InterruptedError) && !ctx.signal?.aborted) return err;
    const changed = result.steps.map((r) => `${r.action} ${r.target}`);
    const what = changed.length === 0 ? 'nothing was changed yet' : `changed so far: ${changed.join(', ')}`;
    return new InterruptedError(`interrupted: tenant ${desired.tenant} is not finished (${what}); run the same command again to finish`, { result });
  };
  const reports = await applySteps(ctx, steps, desired, desired.tenant, (r) => applied.push(r)).catch((err: unknown) => {
    throw interrupted(err, { ...base, status: applied.length === 0 ? 'unchanged' : 'updated', dryRun: false, steps: applied });
  });
  const status = reports.length === 0 ? 'unchanged' : reports.some((r) => r.action === 'create-role' && r.detail === undefined) ? 'created' : 'updated';
  const result: CreateTenantResult = { ...base, status, dryRun: false, steps: reports, registry };
  if (input.wait === 'none') return result;

  const checks = convergenceChecks(ctx, desired, input.wait, { changed: reports.length > 0 });
  const waited = await waitFor(checks, {
    timeoutMs: input.timeoutMs,
    signal: ctx.signal,
    clock: ctx,
    onProgress: (check) => ctx.progress?.(check.waitingFor),
  }).catch((err: unknown) => {
    throw interrupted(err, result);
  });
  result.wait = { level: input.wait, ...waited };
  if (waited.timedOut) {
    const pending = waited.checks.filter((c) => c.state === 'pending').map((c) => c.name);
    throw new PendingError(
      `tenant ${desired.tenant}: ${reports.length === 0 ? 'no changes needed, but' : `${reports.length} change(s) made;`} not yet visible everywhere after ${Math.round(input.timeoutMs / 1000)}s (pending: ${pending.join(', ')})`,
      retryAfterSeconds(waited),
      { result, pending },
    );
  }
  if (!waited.ok) {
    const failed = waited.checks.find((c) => c.state === 'failed');
    throw new FailedError(`tenant ${desired.tenant}: check ${failed?.name} failed: ${failed?.detail}`, 'check_failed', { details: { result } });
  }
  return result;
}

export interface ConvergenceOptions {
  /**
   * This run changed something of the tenant. Then `cognito` also proves the user's path: the
   * probe user signs in through the user pool and the identity pool and must get the tenant
   * role's credentials (Cognito's own reads show a group or rule before GetCredentialsForIdentity
   * uses it). A run that changed nothing checks the mapping with reads only, so a re-run of a
   * converged tenant makes zero mutating calls (the sign-in sets the probe's random password).
   */
  changed: boolean;
}

/** The checks of a wait level; each level includes the ones before it. */
export function convergenceChecks(ctx: TenantContext, desired: DesiredTenant, level: WaitLevel, opts: ConvergenceOptions = { changed: true }): Check[] {
  const { apis, config } = ctx;
  const checks: Check[] = [];
  let probe: ProbeSession | undefined;
  // The checks run after the steps, which made the probe user or saw it (tenant create's and
  // apply's observation): the sign-in skips AdminGetUser (one call per tenant in a fleet apply).
  const session = (): ProbeSession => (probe ??= new ProbeSession(apis, config, desired.tenant, desired.scopes, ctx, undefined, { userExists: true }));
  if (level === 'none') return checks;
  checks.push({
    name: 'iam:role',
    service: 'iam',
    waitingFor: 'waiting for IAM to show the role with its trust policy and boundary',
    run: async () => {
      const role = await apis.iam.getRole(desired.role.name);
      if (!role) throw new NotYet('role not visible yet');
      if (!policiesEqual(desired.role.trustPolicy, role.trustPolicy as PolicyDocument)) throw new NotYet('trust policy not updated yet');
      if (role.permissionsBoundaryArn !== desired.role.boundaryArn) throw new NotYet('permissions boundary not visible yet');
      if (role.tags && role.tags[TAG_MANAGED_BY] === undefined) throw new NotYet('tags not visible yet');
      return role.arn;
    },
  });
  checks.push({
    name: 'iam:inline-policy',
    service: 'iam',
    waitingFor: 'waiting for IAM to show the inline data policy',
    run: async () => {
      const doc = await apis.iam.getRolePolicy(desired.role.name, desired.dataPolicy.name);
      if (doc === undefined) throw new NotYet('inline policy not visible yet');
      if (!policiesEqual(desired.dataPolicy.document, doc as PolicyDocument)) throw new NotYet('inline policy not updated yet');
      return desired.dataPolicy.name;
    },
  });
  if (level === 'iam') return checks;
  if (desired.mapping.kind === 'group') {
    const mapping = desired.mapping;
    checks.push({
      name: 'cognito:group',
      service: 'cognito',
      waitingFor: `waiting for Cognito to map group ${mapping.groupName} to the role`,
      run: async () => {
        const g = await apis.cognitoIdp.getGroup(config.userPoolId, tenantGroupName(desired.tenant));
        if (!g) throw new NotYet('group not visible yet');
        if (g.roleArn !== mapping.roleArn) throw new NotYet(`group maps to ${g.roleArn ?? 'no role'} yet`);
        const roles = await apis.cognitoIdentity.getIdentityPoolRoles(config.identityPoolId);
        const entry = roles.RoleMappings[mappingKeyOf(config)];
        if (entry?.Type !== 'Token')
          throw new Wrong(
            `the identity pool has no Token mapping for ${mappingKeyOf(config)} (another writer of SetIdentityPoolRoles removed it?); tenant create cannot write it: run \`isoctl init\` with administrator credentials (the admin step writes the Token entry; the operator policy has no SetIdentityPoolRoles in token mode)`,
          );
        return mapping.roleArn;
      },
    });
  } else {
    const mapping = desired.mapping;
    checks.push({
      name: 'cognito:rule',
      service: 'cognito',
      waitingFor: `waiting for Cognito to map ${mapping.claim}=${mapping.value} to the role`,
      run: async () => {
        const roles = await apis.cognitoIdentity.getIdentityPoolRoles(config.identityPoolId);
        const rule = findTenantRule(rulesOf(roles, mappingKeyOf(config)), mapping.claim, mapping.value);
        if (!rule) throw new NotYet('rule not visible yet');
        if (rule.RoleArn !== mapping.roleArn) throw new NotYet(`rule maps to ${rule.RoleArn} yet`);
        return mapping.roleArn;
      },
    });
  }
  if (opts.changed || level === 'data')
    checks.push({
      name: 'cognito:credentials',
      service: 'cognito',
      waitingFor: `waiting for Cognito to hand the probe user the credentials of role ${desired.role.name}`,
      notYet: probeNotYet,
      run: async () => {
        try {
          return (await session().proveRole()).roleArn;
        } catch (err) {
          if (err instanceof ProbeError && err.stage === 'role') throw new NotYet(err.message);
          if (err instanceof ProbeError) throw new Wrong(err.message);
          throw err;
        }
      },
    });
  if (level === 'cognito') return checks;
  const against = neighbourTenant(desired.tenant);
  checks.push({
    name: 'dynamodb:probe',
    service: 'dynamodb',
    waitingFor: 'waiting for DynamoDB to let the probe identity read its own partition',
    notYet: probeNotYet,
    run: async () => {
      let result;
      try {
        result = await session().run(against);
      } catch (err) {
        if (err instanceof ProbeError && err.stage === 'role') throw new NotYet(err.message);
        if (err instanceof ProbeError) throw new Wrong(err.message);
        throw err;
      }
      return ownReadableVerdict(result);
    },
  });
  return checks;
}

/** Errors of the probe's Cognito steps that mean "Cognito does not see the mapping or role yet". */
export function probeNotYet(err: AwsCallError): boolean {
  return err.reason === 'role-mapping-unresolved';
}

/** A tenant id that is certainly not `tenant`: the partition a probe must be denied. */
export function neighbourTenant(tenant: string): string {
  return tenant === 'isoctl-neighbour' ? 'isoctl-neighbour-2' : 'isoctl-neighbour';
}

/**
 * A declared index key is the operator's word; DescribeTable is the truth (#11 vector 1). Before
 * granting any index of a pooled table, read the table and refuse (exit 4) when an index the
 * policy would grant is partitioned on another attribute. No call when no index is granted.
 */
async function assertGrantedIndexesTenantKeyed(ctx: TenantContext): Promise<void> {
  const { config, apis } = ctx;
  const tables = config.tables.filter((t) => t.model === 'pooled' && grantedIndexes(config, t) !== '*' && (grantedIndexes(config, t) as string[]).length > 0);
  if (tables.length === 0) return;
  const seen = await Promise.all(tables.map(async (t) => ({ t, info: await apis.dynamodb.describeTable(t.name) })));
  const problems = seen.flatMap(({ t, info }) => (info ? observedIndexProblems(config, t.name, info.indexPartitionKeys ?? {}) : []));
  if (problems.length > 0)
    throw new RefusedError(
      `an index the tenant policy would grant is not partitioned on the tenant key; nothing was changed:\n${problems.map((p) => `  - ${p.message}\n    fix: ${p.fix}`).join('\n')}`,
      'isolation_unsafe',
      { problems },
    );
}
