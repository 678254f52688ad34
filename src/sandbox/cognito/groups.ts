// Groups: CreateGroup, GetGroup, UpdateGroup, DeleteGroup, ListGroups, ListUsersInGroup. Group
// definitions are versioned: token issuance and role resolution see them with the cognito lag.
import { SandboxError } from '../contract.js';
import type { Handlers, IdpContext } from './idp-context.js';
import { describeGroup, describeUser } from './idp-shapes.js';
import { latest, recordVersion, type GroupRecord } from './state.js';
import { invalid, isRoleArn, optInt, optString, paginate, PATTERNS, reqString, type Input } from './validate.js';

export function groupHandlers(c: IdpContext): Handlers {
  const { ctx, now, poolOf, groupOf, liveGroups } = c;

  function groupFields(input: Input): { Description?: string; RoleArn?: string; Precedence?: number } {
    const out: { Description?: string; RoleArn?: string; Precedence?: number } = {};
    const description = optString(input, 'Description', { max: 2048 });
    if (description !== undefined) out.Description = description;
    const roleArn = optString(input, 'RoleArn', { min: 20, max: 2048, pattern: PATTERNS.arn });
    if (roleArn !== undefined) {
      if (!isRoleArn(roleArn)) throw invalid(`RoleArn ${roleArn} is not a valid IAM role ARN.`);
      out.RoleArn = roleArn;
    }
    const precedence = optInt(input, 'Precedence', { min: 0, max: 2147483647 });
    if (precedence !== undefined) out.Precedence = precedence;
    return out;
  }

  function createGroup(input: Input) {
    const pool = poolOf(input);
    const name = reqString(input, 'GroupName', { min: 1, max: 128, pattern: PATTERNS.groupName });
    const fields = groupFields(input);
    if (latest(pool.groups[name])) throw new SandboxError('GroupExistsException', `A group with the name ${name} already exists.`);
    if (liveGroups(pool).length >= 10000) throw new SandboxError('LimitExceededException', 'The limit of 10000 groups per user pool has been reached.');
    const t = now();
    const group: GroupRecord = { GroupName: name, ...fields, CreationDate: t, LastModifiedDate: t };
    pool.groups[name] = recordVersion(ctx, pool.groups[name], group);
    ctx.save();
    return { Group: describeGroup(pool, group) };
  }

  function updateGroup(input: Input) {
    const pool = poolOf(input);
    const current = groupOf(pool, input);
    const fields = groupFields(input);
    const next: GroupRecord = { ...current, ...fields, LastModifiedDate: now() };
    pool.groups[current.GroupName] = recordVersion(ctx, pool.groups[current.GroupName], next);
    ctx.save();
    return { Group: describeGroup(pool, next) };
  }

  function deleteGroup(input: Input) {
    const pool = poolOf(input);
    const group = groupOf(pool, input);
    pool.groups[group.GroupName] = recordVersion(ctx, pool.groups[group.GroupName], null);
    for (const u of Object.values(pool.users)) {
      if (u.groups.includes(group.GroupName)) u.groups = u.groups.filter((g) => g !== group.GroupName);
    }
    ctx.save();
    return {};
  }

  function listGroups(input: Input) {
    const pool = poolOf(input);
    const limit = optInt(input, 'Limit', { min: 0, max: 60 }) || 60;
    const token = optString(input, 'NextToken', { min: 1, max: 131072, pattern: PATTERNS.paginationKey });
    const { page, nextToken } = paginate(liveGroups(pool), (g) => g.GroupName, `groups:${pool.Id}`, limit, token);
    return { Groups: page.map((g) => describeGroup(pool, g)), ...(nextToken ? { NextToken: nextToken } : {}) };
  }

  function listUsersInGroup(input: Input) {
    const pool = poolOf(input);
    const group = groupOf(pool, input);
    const limit = optInt(input, 'Limit', { min: 0, max: 60 }) || 60;
    const token = optString(input, 'NextToken', { min: 1, max: 131072, pattern: PATTERNS.paginationKey });
    const members = Object.values(pool.users).filter((u) => u.groups.includes(group.GroupName));
    const { page, nextToken } = paginate(members, (u) => u.username, `members:${pool.Id}:${group.GroupName}`, limit, token);
    return { Users: page.map((u) => describeUser(u, 'Attributes')), ...(nextToken ? { NextToken: nextToken } : {}) };
  }

  return {
    CreateGroup: createGroup,
    GetGroup: (i) => {
      const pool = poolOf(i);
      return { Group: describeGroup(pool, groupOf(pool, i)) };
    },
    UpdateGroup: updateGroup,
    DeleteGroup: deleteGroup,
    ListGroups: listGroups,
    ListUsersInGroup: listUsersInGroup,
  };
}
