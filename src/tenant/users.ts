// `isoctl user add|move|remove` (issue 12): an application user's tenant is set only through the
// Cognito admin API, never by the user (the app client cannot write the claim; init refuses one
// that can). ABAC: the tenant claim plus one scope group `isoctl-<stack>-<S>`; token mode: the
// tenant's group; rules mode: the claim. A tenant must be in the registry.
import type { UserInfo } from '../aws/apis.js';
import { assertTenantId } from '../config/tenant-id.js';
import { didYouMean } from '../config/did-you-mean.js';
import { NotFoundError, RefusedError, UsageError } from '../errors.js';
import { scopeRoleName } from '../policy/index.js';
import type { TenantContext } from './context.js';
import { desiredTenant } from './desired.js';
import { PROBE_USER_PREFIX } from './names.js';
import { getTenantRow, type RegistryRow } from './registry.js';

export interface UserResult {
  username: string;
  tenant: string | null;
  /** The tenant the user belonged to before (move, remove). */
  previousTenant?: string | null | undefined;
  status: 'created' | 'updated' | 'unchanged' | 'moved' | 'removed';
  /** The group the user is in for this tenant (token: the tenant's; ABAC: the scope's); none in rules mode. */
  group: string | null;
  /** The admin API calls made, in order. */
  changes: string[];
  /** move/remove: the user's refresh and access tokens were revoked (AdminUserGlobalSignOut). */
  signedOut?: boolean | undefined;
}

const USERNAME = /^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$/u;

function checkUsername(username: string): void {
  if (!USERNAME.test(username))
    throw new UsageError(`username ${JSON.stringify(username)} is not a valid Cognito username (1-128 visible characters, no spaces)`, 'invalid_username');
  if (username.startsWith(PROBE_USER_PREFIX))
    throw new UsageError(`username ${JSON.stringify(username)} is reserved for isoctl's probe users (${PROBE_USER_PREFIX}<tenant>)`, 'invalid_username');
}

async function registered(ctx: TenantContext, tenant: string): Promise<RegistryRow> {
  const id = assertTenantId(tenant, ctx.config.stack);
  const row = await getTenantRow(ctx, id);
  if (!row)
    throw new NotFoundError(
      `tenant ${JSON.stringify(id)} is not in the registry of stack ${ctx.config.stack}; create it first (isoctl tenant create ${id})`,
      'tenant_not_found',
    );
  if (row.status === 'deleting') throw new RefusedError(`tenant ${id} is being deleted; its users are shut out`, 'tenant_deleting');
  return row;
}

function scopeGroups(ctx: TenantContext): string[] {
  return ctx.config.mapping === 'abac' ? Object.keys(ctx.config.scopes).map((s) => scopeRoleName(ctx.config, s)) : [];
}

/** What the user needs for `tenant`: its attributes (the claim) and its group. */
function wanted(ctx: TenantContext, row: RegistryRow, scope: string | undefined): { attributes: Record<string, string>; group: string | undefined } {
  const { config } = ctx;
  if (scope !== undefined) {
    if (config.mapping !== 'abac')
      throw new UsageError(`--scope applies to ABAC stacks only (this stack's mapping is ${config.mapping}: the tenant's role carries its scopes)`, 'bad_flag');
    const known = Object.keys(config.scopes).sort();
    if (!known.includes(scope))
      throw new UsageError(`unknown scope ${JSON.stringify(scope)}${didYouMean(scope, known)}; the config defines ${known.join(', ')}`, 'unknown_scope');
  }
  const desired = desiredTenant(config, row.tenant, scope !== undefined ? [scope] : row.scopes.length > 0 ? row.scopes : Object.keys(config.scopes).sort());
  return { attributes: desired.probe.attributes, group: desired.probe.group };
}

/** The tenant a user belongs to: its claim (rules, ABAC), or the registered tenant its group is named after (token). */
async function tenantOf(ctx: TenantContext, user: UserInfo, groups: string[]): Promise<string | undefined> {
  if (ctx.config.mapping !== 'token') return user.attributes[ctx.config.tenantClaim] || undefined;
  for (const g of groups) if (!g.startsWith('isoctl-') && (await getTenantRow(ctx, g).catch(() => undefined))) return g;
  return undefined;
}

async function readUser(ctx: TenantContext, username: string): Promise<{ user: UserInfo; groups: string[] } | undefined> {
  const { userPoolId } = ctx.config;
  const user = await ctx.apis.cognitoIdp.adminGetUser(userPoolId, username);
  if (!user) return undefined;
  const groups = ctx.config.mapping === 'rules' ? [] : await ctx.apis.cognitoIdp.adminListGroupsForUser(userPoolId, username);
  return { user, groups };
}

/** Sets the claim and the group; leaves other groups of the pool alone except the ones `drop` names. */
async function converge(
  ctx: TenantContext,
  username: string,
  have: { user: UserInfo; groups: string[] },
  want: { attributes: Record<string, string>; group: string | undefined },
  drop: string[],
): Promise<string[]> {
  const idp = ctx.apis.cognitoIdp;
  const pool = ctx.config.userPoolId;
  const changes: string[] = [];
  const diff = Object.fromEntries(Object.entries(want.attributes).filter(([k, v]) => have.user.attributes[k] !== v));
  if (Object.keys(diff).length > 0) {
    await idp.adminUpdateUserAttributes(pool, username, diff);
    changes.push(
      `AdminUpdateUserAttributes ${Object.entries(diff)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')}`,
    );
  }
  for (const g of have.groups.filter((g) => drop.includes(g) && g !== want.group)) {
    await idp.adminRemoveUserFromGroup(pool, username, g);
    changes.push(`AdminRemoveUserFromGroup ${g}`);
  }
  if (want.group && !have.groups.includes(want.group)) {
    await idp.adminAddUserToGroup(pool, username, want.group);
    changes.push(`AdminAddUserToGroup ${want.group}`);
  }
  return changes;
}

export async function addUser(
  ctx: TenantContext,
  input: { tenant: string; username: string; scope?: string | undefined; email?: string | undefined },
): Promise<UserResult> {
  checkUsername(input.username);
  if (input.email !== undefined && !/^[^@\s]+@[^@\s]+$/.test(input.email))
    throw new UsageError(`--email ${JSON.stringify(input.email)} is not an email address`, 'bad_flag');
  const row = await registered(ctx, input.tenant);
  const want = wanted(ctx, row, input.scope);
  const have = await readUser(ctx, input.username);
  if (have) {
    const current = await tenantOf(ctx, have.user, have.groups);
    if (current !== undefined && current !== row.tenant)
      throw new RefusedError(
        `user ${input.username} belongs to tenant ${current}; use \`isoctl user move ${input.username} ${row.tenant}\``,
        'user_in_other_tenant',
      );
    const changes = await converge(ctx, input.username, have, want, scopeGroups(ctx));
    return { username: input.username, tenant: row.tenant, status: changes.length > 0 ? 'updated' : 'unchanged', group: want.group ?? null, changes };
  }
  const attributes = { ...want.attributes, ...(input.email !== undefined ? { email: input.email } : {}) };
  await ctx.apis.cognitoIdp.adminCreateUser(ctx.config.userPoolId, input.username, attributes);
  const changes = [
    `AdminCreateUser ${Object.entries(attributes)
      .map(([k, v]) => `${k}=${v}`)
      .join(',')}`,
  ];
  changes.push(
    ...(await converge(ctx, input.username, { user: { username: input.username, sub: undefined, status: undefined, attributes }, groups: [] }, want, [])),
  );
  return { username: input.username, tenant: row.tenant, status: 'created', group: want.group ?? null, changes };
}

export async function moveUser(ctx: TenantContext, input: { username: string; tenant: string; scope?: string | undefined }): Promise<UserResult> {
  checkUsername(input.username);
  const row = await registered(ctx, input.tenant);
  const want = wanted(ctx, row, input.scope);
  const have = await readUser(ctx, input.username);
  if (!have)
    throw new NotFoundError(
      `user ${input.username} does not exist in the user pool; add it with \`isoctl user add ${row.tenant} ${input.username}\``,
      'user_not_found',
    );
  const previous = (await tenantOf(ctx, have.user, have.groups)) ?? null;
  // Token mode: the old tenant's group goes; ABAC: the scope groups are shared (only --scope changes it).
  const drop = ctx.config.mapping === 'token' ? (previous !== null ? [previous] : []) : input.scope !== undefined ? scopeGroups(ctx) : [];
  const keepScope = ctx.config.mapping === 'abac' && input.scope === undefined && have.groups.some((g) => scopeGroups(ctx).includes(g));
  const target = keepScope ? { ...want, group: have.groups.find((g) => scopeGroups(ctx).includes(g)) } : want;
  const changes = await converge(ctx, input.username, have, target, drop);
  let signedOut: boolean | undefined;
  if (previous !== row.tenant && changes.length > 0) {
    // Sessions of the old tenant end: refresh and access tokens are revoked (ID tokens live until they expire).
    signedOut = await ctx.apis.cognitoIdp.adminUserGlobalSignOut(ctx.config.userPoolId, input.username);
    changes.push('AdminUserGlobalSignOut');
  }
  const status = changes.length === 0 ? 'unchanged' : previous !== row.tenant ? 'moved' : 'updated';
  return {
    username: input.username,
    tenant: row.tenant,
    previousTenant: previous,
    status,
    group: target.group ?? null,
    changes,
    ...(signedOut !== undefined ? { signedOut } : {}),
  };
}

export async function removeUser(ctx: TenantContext, input: { username: string }): Promise<UserResult> {
  checkUsername(input.username);
  const have = await readUser(ctx, input.username);
  if (!have) throw new NotFoundError(`user ${input.username} does not exist in the user pool`, 'user_not_found');
  const previous = await tenantOf(ctx, have.user, have.groups);
  // Only a tenant's user: isoctl never deletes a user of the pool it did not give a tenant.
  if (previous === undefined)
    throw new RefusedError(
      `user ${input.username} belongs to no tenant of stack ${ctx.config.stack} (${ctx.config.mapping === 'token' ? 'no registered tenant group' : `no ${ctx.config.tenantClaim}`}); isoctl leaves it alone`,
      'not_a_tenant_user',
    );
  const idp = ctx.apis.cognitoIdp;
  const signedOut = await idp.adminUserGlobalSignOut(ctx.config.userPoolId, input.username);
  await idp.adminDeleteUser(ctx.config.userPoolId, input.username);
  return {
    username: input.username,
    tenant: null,
    previousTenant: previous,
    status: 'removed',
    group: null,
    changes: ['AdminUserGlobalSignOut', 'AdminDeleteUser'],
    signedOut,
  };
}
