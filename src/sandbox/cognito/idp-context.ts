// What every module of the user-pool service shares: the persisted section, the sign-in sessions
// kept in memory, and the lookups that answer with Cognito's not-found errors.
import { randomBytes } from 'node:crypto';
import { SandboxError, type SandboxContext } from '../contract.js';
import { idpState, isForgettable, latest, type ClientRecord, type GroupRecord, type IdpState, type UserPoolRecord, type UserRecord } from './state.js';
import { PATTERNS, reqString, type Input } from './validate.js';

export const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

export function randomString(alphabet: string, length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[bytes[i]! % alphabet.length];
  return out;
}

export interface AuthSession {
  poolId: string;
  clientId: string;
  username: string;
  expiresAt: number;
}

/** One operation's handler; each responsibility module returns a table of them. */
export type Handlers = Record<string, (input: Input) => unknown>;

export interface IdpContext {
  ctx: SandboxContext;
  state: IdpState;
  /** NEW_PASSWORD_REQUIRED sessions: short-lived (minutes), kept in memory only. */
  sessions: Map<string, AuthSession>;
  now(): number;
  poolOf(input: Input): UserPoolRecord;
  clientOf(pool: UserPoolRecord, clientId: string): ClientRecord;
  poolOfClient(clientId: string): UserPoolRecord;
  clientIdOf(input: Input): string;
  userKey(pool: UserPoolRecord, username: string): string;
  findUser(pool: UserPoolRecord, username: string): UserRecord | undefined;
  userOf(pool: UserPoolRecord, input: Input): UserRecord;
  groupOf(pool: UserPoolRecord, input: Input): GroupRecord;
  liveGroups(pool: UserPoolRecord): GroupRecord[];
}

export function idpContext(ctx: SandboxContext): IdpContext {
  const state = idpState(ctx);
  const sessions = new Map<string, AuthSession>();

  function poolOf(input: Input): UserPoolRecord {
    const id = reqString(input, 'UserPoolId', { min: 1, max: 55, pattern: PATTERNS.userPoolId });
    const pool = state.pools[id];
    if (!pool) throw new SandboxError('ResourceNotFoundException', `User pool ${id} does not exist.`);
    return pool;
  }

  function clientOf(pool: UserPoolRecord, clientId: string): ClientRecord {
    const client = pool.clients[clientId];
    if (!client) throw new SandboxError('ResourceNotFoundException', `User pool client ${clientId} does not exist.`);
    return client;
  }

  /** The pool owning `clientId` (InitiateAuth names only the client). */
  function poolOfClient(clientId: string): UserPoolRecord {
    for (const pool of Object.values(state.pools)) if (pool.clients[clientId]) return pool;
    throw new SandboxError('ResourceNotFoundException', `User pool client ${clientId} does not exist.`);
  }

  function userKey(pool: UserPoolRecord, username: string): string {
    return pool.usernameCaseSensitive ? username : username.toLowerCase();
  }

  /** By username, or by email / phone number when the pool signs in with them. */
  function findUser(pool: UserPoolRecord, username: string): UserRecord | undefined {
    const direct = pool.users[userKey(pool, username)];
    if (direct) return direct;
    const aliases = [...pool.usernameAttributes, ...pool.aliasAttributes];
    if (aliases.length === 0) return undefined;
    const wanted = username.toLowerCase();
    return Object.values(pool.users).find((u) => aliases.some((a) => u.attributes[a]?.toLowerCase() === wanted));
  }

  function userOf(pool: UserPoolRecord, input: Input): UserRecord {
    const username = reqString(input, 'Username', { min: 1, max: 128, pattern: PATTERNS.username });
    const user = findUser(pool, username);
    if (!user) throw new SandboxError('UserNotFoundException', 'User does not exist.');
    return user;
  }

  function groupOf(pool: UserPoolRecord, input: Input): GroupRecord {
    const name = reqString(input, 'GroupName', { min: 1, max: 128, pattern: PATTERNS.groupName });
    const group = latest(pool.groups[name]);
    if (!group) throw new SandboxError('ResourceNotFoundException', 'Group not found.');
    return group;
  }

  function liveGroups(pool: UserPoolRecord): GroupRecord[] {
    const out: GroupRecord[] = [];
    for (const [name, v] of Object.entries(pool.groups)) {
      const g = latest(v);
      if (g) out.push(g);
      else if (isForgettable(ctx, v)) delete pool.groups[name];
    }
    return out;
  }

  function clientIdOf(input: Input): string {
    return reqString(input, 'ClientId', { min: 1, max: 128, pattern: PATTERNS.clientId });
  }

  return {
    ctx,
    state,
    sessions,
    now: () => ctx.now(),
    poolOf,
    clientOf,
    poolOfClient,
    clientIdOf,
    userKey,
    findUser,
    userOf,
    groupOf,
    liveGroups,
  };
}
