// `tenant verify`: run the probe identity now and report each check.
import { AwsCallError } from '../aws/errors.js';
import { assertTenantId, roleName, tenantIdProblem } from '../config/tenant-id.js';
import { FailedError, NotFoundError } from '../errors.js';
import type { TenantContext } from './context.js';
import { resolveScopes, scopesFromTag } from './desired.js';
import { neighbourTenant } from './create.js';
import { probeUsername, TAG_SCOPES } from './names.js';
import { scopeGroupName, scopeRoleArn, scopeRoleName } from '../policy/index.js';
import { ProbeError, ProbeSession, type ProbeResult } from './probe.js';
import { retry } from '../aws/retry.js';

export interface VerifyTenantResult extends ProbeResult {
  stack: string;
  elapsedMs: number;
}

export async function verifyTenant(ctx: TenantContext, tenantId: string, opts: { against?: string | undefined } = {}): Promise<VerifyTenantResult> {
  const { apis, config } = ctx;
  const tenant = assertTenantId(tenantId, config.stack);
  const started = ctx.now();
  ctx.progress?.(`reading tenant ${tenant}`);
  const againstId = opts.against === undefined ? undefined : assertTenantId(opts.against, config.stack);
  if (config.mapping === 'abac') return verifyAbacTenant(ctx, tenant, againstId, started);
  const [role, roles, againstRole] = await Promise.all([
    apis.iam.getRole(roleName(config.stack, tenant)),
    opts.against ? Promise.resolve([]) : apis.iam.listStackRoles(config.stack),
    againstId === undefined ? Promise.resolve(undefined) : apis.iam.getRole(roleName(config.stack, againstId)),
  ]);
  if (!role)
    throw new NotFoundError(`tenant ${JSON.stringify(tenant)} has no role ${roleName(config.stack, tenant)} in stack ${config.stack}`, 'tenant_not_found');
  // A denied read of a tenant that does not exist proves nothing about isolation from a real one.
  if (againstId !== undefined && !againstRole)
    throw new NotFoundError(
      `--against: tenant ${JSON.stringify(againstId)} has no role ${roleName(config.stack, againstId)} in stack ${config.stack}`,
      'against_not_found',
    );
  const scopes = scopesFromTag(config, role.tags?.[TAG_SCOPES]) ?? resolveScopes(config, undefined);
  const prefix = roleName(config.stack, '');
  const against =
    againstId ??
    roles
      .map((r) => r.name.slice(prefix.length))
      .filter((t) => t !== tenant && tenantIdProblem(t) === undefined)
      .sort()[0] ??
    neighbourTenant(tenant);
  ctx.progress?.(`probing tenant ${tenant} (sign in, credentials, reads of ${tenant} and ${against})`);
  const session = new ProbeSession(apis, config, tenant, scopes, ctx);
  try {
    // Throttling and 5xx are retried briefly (4 attempts); anything else is the answer.
    const result = await retry(ctx, () => session.run(against), { attempts: 4 });
    return { ...result, stack: config.stack, elapsedMs: ctx.now() - started };
  } catch (err) {
    if (err instanceof ProbeError) throw new FailedError(`probe of ${tenant} failed at ${err.stage}: ${err.message}`, 'probe_failed');
    if (err instanceof AwsCallError)
      throw new FailedError(`probe of ${tenant} failed: ${err.message}`, 'probe_failed', {
        retryable: err.kind === 'throttled' || err.kind === 'still-propagating',
      });
    throw err;
  }
}

/** ABAC: the tenant is its probe user (claim = id) in a scope group; the probe takes that scope role. */
async function verifyAbacTenant(ctx: TenantContext, tenant: string, againstId: string | undefined, started: number) {
  const { apis, config } = ctx;
  const probe = await apis.cognitoIdp.adminGetUser(config.userPoolId, probeUsername(tenant));
  if (!probe || probe.attributes[config.tenantClaim] !== tenant)
    throw new NotFoundError(
      `tenant ${JSON.stringify(tenant)} has no probe user with ${config.tenantClaim}=${tenant} in stack ${config.stack}`,
      'tenant_not_found',
    );
  const groups = await apis.cognitoIdp.adminListGroupsForUser(config.userPoolId, probe.username);
  const scopes = Object.keys(config.scopes)
    .filter((s) => groups.includes(scopeGroupName(config, s)))
    .sort();
  const scope = scopes[0] ?? Object.keys(config.scopes).sort()[0] ?? '';
  const against = againstId ?? neighbourTenant(tenant);
  ctx.progress?.(`probing tenant ${tenant} (sign in, credentials of ${scopeRoleName(config, scope)}, reads of ${tenant} and ${against})`);
  const role = { name: scopeRoleName(config, scope), arn: scopeRoleArn(config, scope) };
  const session = new ProbeSession(apis, config, tenant, scopes.length > 0 ? scopes : [scope], ctx, role);
  try {
    const result = await retry(ctx, () => session.run(against), { attempts: 4 });
    return { ...result, stack: config.stack, elapsedMs: ctx.now() - started };
  } catch (err) {
    if (err instanceof ProbeError) throw new FailedError(`probe of ${tenant} failed at ${err.stage}: ${err.message}`, 'probe_failed');
    if (err instanceof AwsCallError)
      throw new FailedError(`probe of ${tenant} failed: ${err.message}`, 'probe_failed', {
        retryable: err.kind === 'throttled' || err.kind === 'still-propagating',
      });
    throw err;
  }
}
