// Users as an administrator manages them: AdminCreateUser, AdminGetUser, AdminUpdateUserAttributes,
// AdminSetUserPassword, group membership, AdminDeleteUser, AdminEnable/DisableUser, ListUsers.
import { randomUUID } from 'node:crypto';
import { SandboxError } from '../contract.js';
import { checkPasswordPolicy, generateTemporaryPassword, hashPassword } from './passwords.js';
import { clientCanWrite } from './client-attributes.js';
import type { Handlers, IdpContext } from './idp-context.js';
import { describeGroup, describeUser } from './idp-shapes.js';
import { latest, type GroupRecord, type UserPoolRecord, type UserRecord } from './state.js';
import { verifyAccessToken } from './tokens.js';
import { checkAttributes, checkRequired } from './user-pool-schema.js';
import { invalid, optArray, optBool, optInt, optString, optStringArray, paginate, PATTERNS, reqString, type Input } from './validate.js';

/**
 * The attributes ListUsers can filter on; "Custom attributes aren't searchable" (botocore,
 * ListUsersRequest.Filter). The message is moto's (tests/test_cognitoidp: list_users with a
 * custom attribute filter); AWS documents no wording.
 */
const SEARCHABLE = ['username', 'email', 'phone_number', 'name', 'given_name', 'family_name', 'preferred_username', 'cognito:user_status', 'status', 'sub'];

export function userHandlers(c: IdpContext): Handlers {
  const { ctx, now, poolOf, userOf, groupOf, findUser, userKey } = c;

  function temporaryValidityMs(pool: UserPoolRecord): number {
    return pool.passwordPolicy.TemporaryPasswordValidityDays * 86400_000;
  }

  async function adminCreateUser(input: Input) {
    const pool = poolOf(input);
    const username = reqString(input, 'Username', { min: 1, max: 128, pattern: PATTERNS.username });
    const action = optString(input, 'MessageAction', { enum: ['RESEND', 'SUPPRESS'] });
    const temporary = optString(input, 'TemporaryPassword', { max: 256, pattern: PATTERNS.password });
    optStringArray(input, 'DesiredDeliveryMediums');
    const attrs = checkAttributes(pool.schema, optArray(input, 'UserAttributes'), { creating: true });
    if (temporary !== undefined) checkPasswordPolicy(temporary, pool.passwordPolicy);

    const existing = findUser(pool, username);
    if (action === 'RESEND') {
      if (!existing) throw new SandboxError('UserNotFoundException', 'User does not exist.');
      if (existing.status !== 'FORCE_CHANGE_PASSWORD')
        throw new SandboxError('UnsupportedUserStateException', 'Resend not possible. ' + existing.username + ' status is not FORCE_CHANGE_PASSWORD.');
      existing.passwordHash = await hashPassword(temporary ?? generateTemporaryPassword(pool.passwordPolicy));
      existing.temporaryPasswordExpiresAt = now() + temporaryValidityMs(pool);
      existing.lastModifiedAt = now();
      ctx.save();
      return { User: describeUser(existing, 'Attributes') };
    }
    if (existing) throw new SandboxError('UsernameExistsException', 'User account already exists');

    const sub = randomUUID();
    let storedName = username;
    if (pool.usernameAttributes.length > 0) {
      // Pools signing in with email / phone: the username is the sub, the given name an attribute.
      const isEmail = /^[^@\s]+@[^@\s]+$/.test(username);
      const isPhone = /^\+\d{4,15}$/.test(username);
      if (pool.usernameAttributes.includes('email') && isEmail) attrs.email ??= username;
      else if (pool.usernameAttributes.includes('phone_number') && isPhone) attrs.phone_number ??= username;
      else throw invalid(pool.usernameAttributes.includes('email') ? 'Username should be an email.' : 'Username should be a phone number.');
      storedName = sub;
    }
    checkRequired(pool.schema, attrs);
    for (const a of pool.usernameAttributes) {
      const v = attrs[a];
      if (v && Object.values(pool.users).some((u) => u.attributes[a]?.toLowerCase() === v.toLowerCase()))
        throw new SandboxError('UsernameExistsException', `An account with the given ${a === 'email' ? 'email' : 'phone_number'} already exists.`);
    }
    const t = now();
    const user: UserRecord = {
      username: storedName,
      sub,
      attributes: { sub, ...attrs },
      passwordHash: await hashPassword(temporary ?? generateTemporaryPassword(pool.passwordPolicy)),
      temporaryPasswordExpiresAt: t + temporaryValidityMs(pool),
      status: 'FORCE_CHANGE_PASSWORD',
      enabled: true,
      createdAt: t,
      lastModifiedAt: t,
      groups: [],
    };
    pool.users[userKey(pool, storedName)] = user;
    ctx.save();
    return { User: describeUser(user, 'Attributes') };
  }

  function adminUpdateUserAttributes(input: Input) {
    const pool = poolOf(input);
    const user = userOf(pool, input);
    const attrs = checkAttributes(pool.schema, optArray(input, 'UserAttributes') ?? [], { creating: false });
    Object.assign(user.attributes, attrs);
    user.lastModifiedAt = now();
    ctx.save();
    return {};
  }

  async function adminSetUserPassword(input: Input) {
    const pool = poolOf(input);
    const password = reqString(input, 'Password', { max: 256, pattern: PATTERNS.password });
    const permanent = optBool(input, 'Permanent') ?? false;
    const user = userOf(pool, input);
    checkPasswordPolicy(password, pool.passwordPolicy);
    user.passwordHash = await hashPassword(password);
    if (permanent) {
      user.status = 'CONFIRMED';
      delete user.temporaryPasswordExpiresAt;
    } else {
      user.status = 'FORCE_CHANGE_PASSWORD';
      user.temporaryPasswordExpiresAt = now() + temporaryValidityMs(pool);
    }
    user.lastModifiedAt = now();
    ctx.save();
    return {};
  }

  function adminAddUserToGroup(input: Input) {
    const pool = poolOf(input);
    const user = userOf(pool, input);
    const group = groupOf(pool, input);
    if (!user.groups.includes(group.GroupName)) {
      user.groups = [...user.groups, group.GroupName];
      ctx.save();
    }
    return {};
  }

  function adminRemoveUserFromGroup(input: Input) {
    const pool = poolOf(input);
    const user = userOf(pool, input);
    const group = groupOf(pool, input);
    if (user.groups.includes(group.GroupName)) {
      user.groups = user.groups.filter((g) => g !== group.GroupName);
      ctx.save();
    }
    return {};
  }

  function adminListGroupsForUser(input: Input) {
    const pool = poolOf(input);
    const user = userOf(pool, input);
    const limit = optInt(input, 'Limit', { min: 0, max: 60 }) || 60;
    const token = optString(input, 'NextToken', { min: 1, max: 131072, pattern: PATTERNS.paginationKey });
    const groups = user.groups.map((name) => latest(pool.groups[name])).filter((g): g is GroupRecord => !!g);
    const { page, nextToken } = paginate(groups, (g) => g.GroupName, `user-groups:${pool.Id}:${user.sub}`, limit, token);
    return { Groups: page.map((g) => describeGroup(pool, g)), ...(nextToken ? { NextToken: nextToken } : {}) };
  }

  function adminDeleteUser(input: Input) {
    const pool = poolOf(input);
    const user = userOf(pool, input);
    delete pool.users[userKey(pool, user.username)];
    for (const [hash, rt] of Object.entries(pool.refreshTokens)) if (rt.username === user.username) delete pool.refreshTokens[hash];
    ctx.save();
    return {};
  }

  /**
   * AdminUserGlobalSignOut: the user's refresh tokens are revoked (a refresh says "Refresh Token
   * has been revoked") and so are the access tokens issued up to now ("Access Token has been
   * revoked"); ID tokens are untouched (an identity pool refuses them only with ServerSideTokenCheck).
   * Whole seconds: a token issued in the same second as the sign-out counts as revoked.
   */
  function adminUserGlobalSignOut(input: Input) {
    const pool = poolOf(input);
    const user = userOf(pool, input);
    user.signedOutAt = Math.floor(now() / 1000);
    for (const rt of Object.values(pool.refreshTokens)) if (rt.username === user.username) rt.revoked = true;
    ctx.save();
    return {};
  }

  function setEnabled(input: Input, enabled: boolean) {
    const pool = poolOf(input);
    const user = userOf(pool, input);
    user.enabled = enabled;
    user.lastModifiedAt = now();
    ctx.save();
    return {};
  }

  function listUsers(input: Input) {
    const pool = poolOf(input);
    const limit = optInt(input, 'Limit', { min: 0, max: 60 }) || 60;
    const token = optString(input, 'PaginationToken', { min: 1, pattern: PATTERNS.paginationKey });
    const filter = optString(input, 'Filter', { max: 256 });
    const only = optStringArray(input, 'AttributesToGet');
    let users = Object.values(pool.users);
    if (filter) {
      const m = /^\s*([\w:]+)\s*(\^?=)\s*"((?:[^"\\]|\\.)*)"\s*$/.exec(filter);
      if (!m) throw invalid('Error while parsing filter.');
      const [, attr, op, value] = m as unknown as [string, string, string, string];
      if (!SEARCHABLE.includes(attr)) throw invalid(`Invalid search attribute: ${attr}`);
      const field = (u: UserRecord) =>
        attr === 'username'
          ? u.username
          : attr === 'status'
            ? String(u.enabled ? 'Enabled' : 'Disabled')
            : attr === 'cognito:user_status'
              ? u.status
              : u.attributes[attr];
      users = users.filter((u) => {
        const v = field(u);
        return v !== undefined && (op === '=' ? v === value : v.startsWith(value));
      });
    }
    const { page, nextToken } = paginate(users, (u) => u.username, `users:${pool.Id}`, limit, token);
    return {
      Users: page.map((u) => {
        const d = describeUser(u, 'Attributes');
        if (only) d.Attributes = (d.Attributes as Array<{ Name: string }>).filter((a) => only.includes(a.Name));
        return d;
      }),
      ...(nextToken ? { PaginationToken: nextToken } : {}),
    };
  }

  /**
   * The signed-in user changes their own attributes (access token, no IAM). Only attributes the
   * app client may write: otherwise a user could set the claim that picks their tenant.
   */
  async function updateUserAttributes(input: Input) {
    const accessToken = reqString(input, 'AccessToken', { pattern: '[A-Za-z0-9-_=.]+' });
    const list = optArray(input, 'UserAttributes') ?? [];
    const { pool, clientId, username } = await verifyAccessToken(ctx, accessToken);
    const client = pool.clients[clientId];
    const user = findUser(pool, username);
    if (!client || !user) throw new SandboxError('NotAuthorizedException', 'Invalid Access Token');
    if (!user.enabled) throw new SandboxError('NotAuthorizedException', 'User is disabled.');
    for (const raw of list) {
      const name = (raw as { Name?: unknown } | null)?.Name;
      if (typeof name === 'string' && !clientCanWrite(client, name))
        throw new SandboxError('NotAuthorizedException', 'A client attempted to write unauthorized attribute');
    }
    const attrs = checkAttributes(pool.schema, list, { creating: false });
    for (const [name, value] of Object.entries(attrs)) {
      // A blank value deletes the attribute (botocore, UpdateUserAttributes).
      if (value === '') delete user.attributes[name];
      else {
        // A new address is unverified until the user confirms it.
        if ((name === 'email' || name === 'phone_number') && user.attributes[name] !== value && user.attributes[`${name}_verified`] !== undefined)
          user.attributes[`${name}_verified`] = 'false';
        user.attributes[name] = value;
      }
    }
    user.lastModifiedAt = now();
    ctx.save();
    return {};
  }

  return {
    UpdateUserAttributes: updateUserAttributes,
    AdminCreateUser: adminCreateUser,
    AdminGetUser: (i) => {
      const pool = poolOf(i);
      return describeUser(userOf(pool, i), 'UserAttributes');
    },
    AdminUpdateUserAttributes: adminUpdateUserAttributes,
    AdminSetUserPassword: adminSetUserPassword,
    AdminAddUserToGroup: adminAddUserToGroup,
    AdminRemoveUserFromGroup: adminRemoveUserFromGroup,
    AdminListGroupsForUser: adminListGroupsForUser,
    AdminDeleteUser: adminDeleteUser,
    AdminUserGlobalSignOut: adminUserGlobalSignOut,
    AdminDisableUser: (i) => setEnabled(i, false),
    AdminEnableUser: (i) => setEnabled(i, true),
    ListUsers: listUsers,
  };
}
