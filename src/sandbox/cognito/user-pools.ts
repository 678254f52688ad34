// Cognito User Pools (awsJson1_1, target prefix AWSCognitoIdentityProviderService.): pools, app
// clients, groups, users, password sign-in issuing RS256 tokens, and each pool's JWKS.
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { SandboxError, type Caller, type JsonService, type SandboxContext } from '../contract.js';
import { jwksDocument, newSigningKey } from './keys.js';
import { checkPasswordPolicy, DEFAULT_PASSWORD_POLICY, generateTemporaryPassword, hashPassword, verifyPassword, type PasswordPolicy } from './passwords.js';
import {
  cognitoView,
  idpState,
  isForgettable,
  latest,
  recordVersion,
  type ClientRecord,
  type GroupRecord,
  type UserPoolRecord,
  type UserRecord,
} from './state.js';
import { issueUserPoolTokens, refreshTokenHash, userPoolIssuer, validitySeconds } from './tokens.js';
import { attributeList, buildSchema, checkAttributes, checkRequired } from './user-pool-schema.js';
import {
  epochSeconds,
  invalid,
  isRoleArn,
  optArray,
  optBool,
  optInt,
  optObject,
  optString,
  optStringArray,
  optStringMap,
  paginate,
  PATTERNS,
  reqBool,
  reqInt,
  reqString,
  type Input,
} from './validate.js';

const PUBLIC_OPERATIONS = new Set(['InitiateAuth', 'RespondToAuthChallenge']);
const READ_OPERATIONS = new Set([
  'DescribeUserPool',
  'ListUserPools',
  'DescribeUserPoolClient',
  'ListUserPoolClients',
  'GetGroup',
  'ListGroups',
  'ListUsersInGroup',
  'AdminGetUser',
  'AdminListGroupsForUser',
  'ListUsers',
  'AdminInitiateAuth',
  'InitiateAuth',
]);

const LEGACY_FLOWS = ['ADMIN_NO_SRP_AUTH', 'CUSTOM_AUTH_FLOW_ONLY', 'USER_PASSWORD_AUTH'];
const NEW_FLOWS = [
  'ALLOW_ADMIN_USER_PASSWORD_AUTH',
  'ALLOW_CUSTOM_AUTH',
  'ALLOW_USER_PASSWORD_AUTH',
  'ALLOW_USER_SRP_AUTH',
  'ALLOW_REFRESH_TOKEN_AUTH',
  'ALLOW_USER_AUTH',
];
const DEFAULT_FLOWS = ['ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_CUSTOM_AUTH'];
const AUTH_FLOWS = ['USER_SRP_AUTH', 'REFRESH_TOKEN_AUTH', 'REFRESH_TOKEN', 'CUSTOM_AUTH', 'ADMIN_NO_SRP_AUTH', 'USER_PASSWORD_AUTH', 'ADMIN_USER_PASSWORD_AUTH', 'USER_AUTH'];

/** Pool settings kept verbatim and returned by DescribeUserPool. */
const ECHO_POOL_FIELDS = [
  'LambdaConfig',
  'AutoVerifiedAttributes',
  'SmsVerificationMessage',
  'EmailVerificationMessage',
  'EmailVerificationSubject',
  'VerificationMessageTemplate',
  'SmsAuthenticationMessage',
  'MfaConfiguration',
  'UserAttributeUpdateSettings',
  'DeviceConfiguration',
  'EmailConfiguration',
  'SmsConfiguration',
  'AdminCreateUserConfig',
  'UserPoolAddOns',
  'AccountRecoverySetting',
  'UserPoolTier',
] as const;

const ECHO_CLIENT_FIELDS = [
  'SupportedIdentityProviders',
  'CallbackURLs',
  'LogoutURLs',
  'DefaultRedirectURI',
  'AllowedOAuthFlows',
  'AllowedOAuthScopes',
  'AllowedOAuthFlowsUserPoolClient',
  'AnalyticsConfiguration',
  'EnablePropagateAdditionalUserContextData',
  'RefreshTokenRotation',
] as const;

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomString(alphabet: string, length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[bytes[i]! % alphabet.length];
  return out;
}

interface AuthSession {
  poolId: string;
  clientId: string;
  username: string;
  expiresAt: number;
}

export function createCognitoIdpService(ctx: SandboxContext): Promise<JsonService> {
  const state = idpState(ctx);
  /** NEW_PASSWORD_REQUIRED sessions: short-lived (minutes), kept in memory only. */
  const sessions = new Map<string, AuthSession>();

  const now = () => ctx.now();

  // ---- lookups -------------------------------------------------------------------------------

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

  // ---- output shapes -------------------------------------------------------------------------

  function describePool(pool: UserPoolRecord): Record<string, unknown> {
    const echo = pool.echo;
    const out: Record<string, unknown> = {
      Id: pool.Id,
      Name: pool.Name,
      Policies: {
        PasswordPolicy: pool.passwordPolicy,
        ...(echo.SignInPolicy ? { SignInPolicy: echo.SignInPolicy } : {}),
      },
      DeletionProtection: pool.deletionProtection,
      LambdaConfig: echo.LambdaConfig ?? {},
      LastModifiedDate: epochSeconds(pool.LastModifiedDate),
      CreationDate: epochSeconds(pool.CreationDate),
      SchemaAttributes: pool.schema,
      VerificationMessageTemplate: echo.VerificationMessageTemplate ?? { DefaultEmailOption: 'CONFIRM_WITH_CODE' },
      MfaConfiguration: echo.MfaConfiguration ?? 'OFF',
      EstimatedNumberOfUsers: Object.keys(pool.users).length,
      EmailConfiguration: echo.EmailConfiguration ?? { EmailSendingAccount: 'COGNITO_DEFAULT' },
      UserPoolTags: pool.tags,
      AdminCreateUserConfig: echo.AdminCreateUserConfig ?? { AllowAdminCreateUserOnly: false, UnusedAccountValidityDays: 7 },
      Arn: pool.Arn,
      UserPoolTier: echo.UserPoolTier ?? 'ESSENTIALS',
    };
    if (pool.usernameAttributes.length > 0) out.UsernameAttributes = pool.usernameAttributes;
    if (pool.aliasAttributes.length > 0) out.AliasAttributes = pool.aliasAttributes;
    out.UsernameConfiguration = { CaseSensitive: pool.usernameCaseSensitive };
    for (const f of ECHO_POOL_FIELDS) {
      if (out[f] === undefined && echo[f] !== undefined) out[f] = echo[f];
    }
    return out;
  }

  function describeClient(client: ClientRecord): Record<string, unknown> {
    return {
      UserPoolId: client.UserPoolId,
      ClientName: client.ClientName,
      ClientId: client.ClientId,
      ...(client.ClientSecret ? { ClientSecret: client.ClientSecret } : {}),
      LastModifiedDate: epochSeconds(client.LastModifiedDate),
      CreationDate: epochSeconds(client.CreationDate),
      RefreshTokenValidity: client.RefreshTokenValidity,
      AccessTokenValidity: client.AccessTokenValidity,
      IdTokenValidity: client.IdTokenValidity,
      TokenValidityUnits: client.TokenValidityUnits,
      ...(client.ReadAttributes ? { ReadAttributes: client.ReadAttributes } : {}),
      ...(client.WriteAttributes ? { WriteAttributes: client.WriteAttributes } : {}),
      ExplicitAuthFlows: client.ExplicitAuthFlows,
      ...client.echo,
      PreventUserExistenceErrors: client.PreventUserExistenceErrors,
      EnableTokenRevocation: client.EnableTokenRevocation,
      AuthSessionValidity: client.AuthSessionValidity,
    };
  }

  function describeGroup(pool: UserPoolRecord, g: GroupRecord): Record<string, unknown> {
    return {
      GroupName: g.GroupName,
      UserPoolId: pool.Id,
      ...(g.Description !== undefined ? { Description: g.Description } : {}),
      ...(g.RoleArn !== undefined ? { RoleArn: g.RoleArn } : {}),
      ...(g.Precedence !== undefined ? { Precedence: g.Precedence } : {}),
      LastModifiedDate: epochSeconds(g.LastModifiedDate),
      CreationDate: epochSeconds(g.CreationDate),
    };
  }

  function describeUser(u: UserRecord, attributesKey: 'Attributes' | 'UserAttributes'): Record<string, unknown> {
    return {
      Username: u.username,
      [attributesKey]: attributeList(u.attributes),
      UserCreateDate: epochSeconds(u.createdAt),
      UserLastModifiedDate: epochSeconds(u.lastModifiedAt),
      Enabled: u.enabled,
      UserStatus: u.status,
    };
  }

  // ---- access ----------------------------------------------------------------------------------

  function authorize(operation: string, caller: Caller, input: Input): void {
    if (PUBLIC_OPERATIONS.has(operation) || caller.kind === 'admin') return;
    if (caller.kind === 'anonymous') throw new SandboxError('MissingAuthenticationTokenException', 'Missing Authentication Token');
    const poolId = typeof input.UserPoolId === 'string' ? input.UserPoolId : '*';
    const resource = `arn:aws:cognito-idp:${ctx.region}:${ctx.accountId}:userpool/${poolId}`;
    throw new SandboxError(
      'AccessDeniedException',
      `User: ${caller.arn} is not authorized to perform: cognito-idp:${operation} on resource: ${resource} because no identity-based policy allows the cognito-idp:${operation} action`,
    );
  }

  // ---- user pools ------------------------------------------------------------------------------

  function passwordPolicyFrom(input: Input): PasswordPolicy {
    const policies = optObject(input, 'Policies');
    const pp = policies ? optObject(policies, 'PasswordPolicy') : undefined;
    const policy: PasswordPolicy = { ...DEFAULT_PASSWORD_POLICY };
    if (pp) {
      policy.MinimumLength = optInt(pp, 'MinimumLength', { min: 6, max: 99 }) ?? policy.MinimumLength;
      policy.RequireUppercase = optBool(pp, 'RequireUppercase') ?? policy.RequireUppercase;
      policy.RequireLowercase = optBool(pp, 'RequireLowercase') ?? policy.RequireLowercase;
      policy.RequireNumbers = optBool(pp, 'RequireNumbers') ?? policy.RequireNumbers;
      policy.RequireSymbols = optBool(pp, 'RequireSymbols') ?? policy.RequireSymbols;
      policy.TemporaryPasswordValidityDays = optInt(pp, 'TemporaryPasswordValidityDays', { min: 0, max: 365 }) ?? policy.TemporaryPasswordValidityDays;
    }
    return policy;
  }

  async function createUserPool(input: Input) {
    const name = reqString(input, 'PoolName', { min: 1, max: 128, pattern: PATTERNS.poolName });
    const usernameAttributes = optStringArray(input, 'UsernameAttributes') ?? [];
    const aliasAttributes = optStringArray(input, 'AliasAttributes') ?? [];
    for (const a of usernameAttributes)
      if (a !== 'email' && a !== 'phone_number') throw invalid(`1 validation error detected: Value '[${usernameAttributes.join(', ')}]' at 'usernameAttributes' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [phone_number, email]]`);
    if (usernameAttributes.length > 0 && aliasAttributes.length > 0) throw invalid('Only one of the aliasAttributes or usernameAttributes can be set in a User Pool.');
    const schema = buildSchema(optArray(input, 'Schema', { min: 1, max: 50 }));
    const usernameConfig = optObject(input, 'UsernameConfiguration');
    const deletionProtection = optString(input, 'DeletionProtection', { enum: ['ACTIVE', 'INACTIVE'] }) as 'ACTIVE' | 'INACTIVE' | undefined;
    const region = ctx.region;
    let id: string;
    do id = `${region}_${randomString(ALNUM, 9)}`;
    while (state.pools[id]);
    const echo: Record<string, unknown> = {};
    for (const f of ECHO_POOL_FIELDS) if (input[f] !== undefined) echo[f] = input[f];
    const signIn = optObject(input, 'Policies')?.SignInPolicy;
    if (signIn !== undefined) echo.SignInPolicy = signIn;
    const keys = await Promise.all([newSigningKey(), newSigningKey()]);
    const t = now();
    const pool: UserPoolRecord = {
      Id: id,
      Name: name,
      Arn: `arn:aws:cognito-idp:${region}:${ctx.accountId}:userpool/${id}`,
      CreationDate: t,
      LastModifiedDate: t,
      passwordPolicy: passwordPolicyFrom(input),
      schema,
      usernameAttributes,
      aliasAttributes,
      usernameCaseSensitive: usernameConfig ? reqBool(usernameConfig, 'CaseSensitive') : true,
      deletionProtection: deletionProtection ?? 'INACTIVE',
      tags: optStringMap(input, 'UserPoolTags') ?? {},
      echo,
      keys,
      clients: {},
      groups: {},
      users: {},
      refreshTokens: {},
    };
    state.pools[id] = pool;
    ctx.save();
    return { UserPool: describePool(pool) };
  }

  function deleteUserPool(input: Input) {
    const pool = poolOf(input);
    if (pool.deletionProtection === 'ACTIVE')
      throw invalid('The user pool cannot be deleted because deletion protection is activated. Deletion protection must be inactivated first.');
    delete state.pools[pool.Id];
    ctx.save();
    return {};
  }

  function listUserPools(input: Input) {
    const max = reqInt(input, 'MaxResults', { min: 1, max: 60 });
    const token = optString(input, 'NextToken', { min: 1, pattern: PATTERNS.paginationKey });
    const { page, nextToken } = paginate(Object.values(state.pools), (p) => p.Id, 'pools', max, token);
    return {
      UserPools: page.map((p) => ({
        Id: p.Id,
        Name: p.Name,
        LambdaConfig: p.echo.LambdaConfig ?? {},
        LastModifiedDate: epochSeconds(p.LastModifiedDate),
        CreationDate: epochSeconds(p.CreationDate),
      })),
      ...(nextToken ? { NextToken: nextToken } : {}),
    };
  }

  // ---- app clients -----------------------------------------------------------------------------

  function explicitAuthFlows(input: Input): string[] {
    const flows = optStringArray(input, 'ExplicitAuthFlows');
    if (!flows) return [...DEFAULT_FLOWS];
    for (const f of flows)
      if (!LEGACY_FLOWS.includes(f) && !NEW_FLOWS.includes(f))
        throw invalid(`1 validation error detected: Value '[${flows.join(', ')}]' at 'explicitAuthFlows' failed to satisfy constraint: Member must satisfy enum value set: [${[...LEGACY_FLOWS, ...NEW_FLOWS].join(', ')}]`);
    if (flows.some((f) => LEGACY_FLOWS.includes(f)) && flows.some((f) => NEW_FLOWS.includes(f)))
      throw invalid('ExplicitAuthFlows cannot contain both legacy values and values starting with ALLOW_.');
    return [...new Set(flows)];
  }

  function createUserPoolClient(input: Input) {
    const pool = poolOf(input);
    const name = reqString(input, 'ClientName', { min: 1, max: 128, pattern: PATTERNS.clientName });
    const units = optObject(input, 'TokenValidityUnits') ?? {};
    const unitRule = { enum: ['seconds', 'minutes', 'hours', 'days'] };
    const tokenUnits = {
      AccessToken: optString(units, 'AccessToken', unitRule) ?? 'minutes',
      IdToken: optString(units, 'IdToken', unitRule) ?? 'minutes',
      RefreshToken: optString(units, 'RefreshToken', unitRule) ?? 'days',
    };
    // AWS's defaults are 1 hour (id, access) and 30 days (refresh); expressed in the default units.
    const access = optInt(input, 'AccessTokenValidity', { min: 1 }) ?? (units.AccessToken ? 1 : 60);
    const idv = optInt(input, 'IdTokenValidity', { min: 1 }) ?? (units.IdToken ? 1 : 60);
    let refresh = optInt(input, 'RefreshTokenValidity', { min: 0 }) ?? 30;
    if (refresh === 0) refresh = 30;
    const within = (v: number, unit: string, lo: number, hi: number, field: string) => {
      const s = validitySeconds(v, unit);
      if (s < lo || s > hi) throw invalid(`${field} must be between ${lo} seconds and ${hi} seconds.`);
    };
    within(access, tokenUnits.AccessToken, 300, 86400, 'AccessTokenValidity');
    within(idv, tokenUnits.IdToken, 300, 86400, 'IdTokenValidity');
    within(refresh, tokenUnits.RefreshToken, 3600, 315360000, 'RefreshTokenValidity');
    const readAttributes = optStringArray(input, 'ReadAttributes');
    const writeAttributes = optStringArray(input, 'WriteAttributes');
    for (const a of [...(readAttributes ?? []), ...(writeAttributes ?? [])])
      if (!pool.schema.some((s) => s.Name === a)) throw invalid(`Invalid read/write attribute specified: ${a}`);
    const echo: Record<string, unknown> = {};
    for (const f of ECHO_CLIENT_FIELDS) if (input[f] !== undefined) echo[f] = input[f];
    const generateSecret = optBool(input, 'GenerateSecret') ?? false;
    const givenSecret = optString(input, 'ClientSecret', { min: 24, max: 64, pattern: '[\\w+]+' });
    let clientId: string;
    do clientId = randomString(LOWER_ALNUM, 26);
    while (pool.clients[clientId]);
    const t = now();
    const client: ClientRecord = {
      ClientId: clientId,
      ClientName: name,
      UserPoolId: pool.Id,
      ...(givenSecret || generateSecret ? { ClientSecret: givenSecret ?? randomString(LOWER_ALNUM, 51) } : {}),
      CreationDate: t,
      LastModifiedDate: t,
      ExplicitAuthFlows: explicitAuthFlows(input),
      RefreshTokenValidity: refresh,
      AccessTokenValidity: access,
      IdTokenValidity: idv,
      TokenValidityUnits: tokenUnits,
      PreventUserExistenceErrors: (optString(input, 'PreventUserExistenceErrors', { enum: ['LEGACY', 'ENABLED'] }) as 'LEGACY' | 'ENABLED' | undefined) ?? 'LEGACY',
      EnableTokenRevocation: optBool(input, 'EnableTokenRevocation') ?? true,
      AuthSessionValidity: optInt(input, 'AuthSessionValidity', { min: 3, max: 15 }) ?? 3,
      ...(readAttributes ? { ReadAttributes: readAttributes } : {}),
      ...(writeAttributes ? { WriteAttributes: writeAttributes } : {}),
      echo,
    };
    pool.clients[clientId] = client;
    ctx.save();
    return { UserPoolClient: describeClient(client) };
  }

  function clientIdOf(input: Input): string {
    return reqString(input, 'ClientId', { min: 1, max: 128, pattern: PATTERNS.clientId });
  }

  function listUserPoolClients(input: Input) {
    const pool = poolOf(input);
    const max = optInt(input, 'MaxResults', { min: 1, max: 60 }) ?? 60;
    const token = optString(input, 'NextToken', { min: 1, pattern: PATTERNS.paginationKey });
    const { page, nextToken } = paginate(Object.values(pool.clients), (c) => c.ClientId, `clients:${pool.Id}`, max, token);
    return {
      UserPoolClients: page.map((c) => ({ ClientId: c.ClientId, UserPoolId: c.UserPoolId, ClientName: c.ClientName })),
      ...(nextToken ? { NextToken: nextToken } : {}),
    };
  }

  // ---- groups ----------------------------------------------------------------------------------

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

  // ---- users -----------------------------------------------------------------------------------

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
      if (existing.status !== 'FORCE_CHANGE_PASSWORD') throw new SandboxError('UnsupportedUserStateException', 'Resend not possible. ' + existing.username + ' status is not FORCE_CHANGE_PASSWORD.');
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
      const field = (u: UserRecord) => (attr === 'username' ? u.username : attr === 'status' ? String(u.enabled ? 'Enabled' : 'Disabled') : attr === 'cognito:user_status' ? u.status : u.attributes[attr]);
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

  // ---- sign-in ---------------------------------------------------------------------------------

  function flowAllowed(client: ClientRecord, flow: string): boolean {
    const f = client.ExplicitAuthFlows;
    switch (flow) {
      case 'ADMIN_USER_PASSWORD_AUTH':
      case 'ADMIN_NO_SRP_AUTH':
        return f.includes('ALLOW_ADMIN_USER_PASSWORD_AUTH') || f.includes('ADMIN_NO_SRP_AUTH');
      case 'USER_PASSWORD_AUTH':
        return f.includes('ALLOW_USER_PASSWORD_AUTH') || f.includes('USER_PASSWORD_AUTH');
      default:
        return false;
    }
  }

  function checkSecretHash(client: ClientRecord, username: string, params: Record<string, string>): void {
    if (!client.ClientSecret) return;
    const given = params.SECRET_HASH;
    if (!given) throw new SandboxError('NotAuthorizedException', `Client ${client.ClientId} is configured with secret but SECRET_HASH was not received`);
    const expected = createHmac('sha256', client.ClientSecret).update(username + client.ClientId).digest();
    const got = Buffer.from(given, 'base64');
    if (got.length !== expected.length || !timingSafeEqual(got, expected))
      throw new SandboxError('NotAuthorizedException', `Unable to verify secret hash for client ${client.ClientId}`);
  }

  /** The groups of `user` as token issuance sees them: definitions with the cognito lag. */
  function groupsForTokens(pool: UserPoolRecord, user: UserRecord): GroupRecord[] {
    const out: GroupRecord[] = [];
    for (const name of user.groups) {
      const g = cognitoView(ctx, pool.groups[name]);
      if (g) out.push(g);
    }
    return out;
  }

  async function tokensFor(pool: UserPoolRecord, client: ClientRecord, user: UserRecord, withRefresh: boolean, authTime?: number) {
    const auth = authTime ?? Math.floor(now() / 1000);
    const tokens = await issueUserPoolTokens(ctx, pool, client, user, groupsForTokens(pool, user), auth);
    const result: Record<string, unknown> = { AccessToken: tokens.AccessToken, ExpiresIn: tokens.ExpiresIn, TokenType: tokens.TokenType };
    if (withRefresh) {
      const refresh = `${randomBytes(24).toString('base64url')}.${randomBytes(48).toString('base64url')}`;
      for (const [h, rt] of Object.entries(pool.refreshTokens)) if (rt.expiresAt <= now()) delete pool.refreshTokens[h];
      pool.refreshTokens[refreshTokenHash(refresh)] = {
        username: user.username,
        clientId: client.ClientId,
        authTime: auth,
        expiresAt: now() + validitySeconds(client.RefreshTokenValidity, client.TokenValidityUnits.RefreshToken) * 1000,
      };
      ctx.save();
      result.RefreshToken = refresh;
    }
    result.IdToken = tokens.IdToken;
    return { ChallengeParameters: {}, AuthenticationResult: result };
  }

  async function passwordSignIn(pool: UserPoolRecord, client: ClientRecord, params: Record<string, string>) {
    const username = params.USERNAME;
    if (!username) throw invalid('Missing required parameter USERNAME');
    const password = params.PASSWORD;
    if (!password) throw invalid('Missing required parameter PASSWORD');
    checkSecretHash(client, username, params);
    const user = findUser(pool, username);
    if (!user) {
      if (client.PreventUserExistenceErrors === 'ENABLED') throw new SandboxError('NotAuthorizedException', 'Incorrect username or password.');
      throw new SandboxError('UserNotFoundException', 'User does not exist.');
    }
    if (!user.enabled) throw new SandboxError('NotAuthorizedException', 'User is disabled.');
    if (!(await verifyPassword(password, user.passwordHash))) throw new SandboxError('NotAuthorizedException', 'Incorrect username or password.');
    if (user.status === 'FORCE_CHANGE_PASSWORD') {
      if (user.temporaryPasswordExpiresAt !== undefined && user.temporaryPasswordExpiresAt <= now())
        throw new SandboxError('NotAuthorizedException', 'Temporary password has expired and must be reset by an administrator.');
      const session = randomBytes(48).toString('base64url');
      for (const [k, s] of sessions) if (s.expiresAt <= now()) sessions.delete(k);
      sessions.set(session, { poolId: pool.Id, clientId: client.ClientId, username: user.username, expiresAt: now() + client.AuthSessionValidity * 60_000 });
      const visible = Object.fromEntries(Object.entries(user.attributes).filter(([k]) => k !== 'sub' && !k.endsWith('_verified')));
      return {
        ChallengeName: 'NEW_PASSWORD_REQUIRED',
        Session: session,
        ChallengeParameters: { USER_ID_FOR_SRP: user.username, requiredAttributes: '[]', userAttributes: JSON.stringify(visible) },
      };
    }
    if (user.status === 'RESET_REQUIRED') throw new SandboxError('PasswordResetRequiredException', 'Password reset required for the user');
    return tokensFor(pool, client, user, true);
  }

  async function refreshSignIn(pool: UserPoolRecord, client: ClientRecord, params: Record<string, string>) {
    const token = params.REFRESH_TOKEN;
    if (!token) throw invalid('Missing required parameter REFRESH_TOKEN');
    const record = pool.refreshTokens[refreshTokenHash(token)];
    if (!record || record.clientId !== client.ClientId || record.expiresAt <= now()) throw new SandboxError('NotAuthorizedException', 'Invalid Refresh Token');
    if (client.ClientSecret) checkSecretHash(client, params.USERNAME ?? record.username, params);
    const user = findUser(pool, record.username);
    if (!user) throw new SandboxError('NotAuthorizedException', 'Refresh Token has been revoked');
    if (!user.enabled) throw new SandboxError('NotAuthorizedException', 'User is disabled.');
    return tokensFor(pool, client, user, false, record.authTime);
  }

  function authParams(input: Input): Record<string, string> {
    return optStringMap(input, 'AuthParameters') ?? {};
  }

  async function adminInitiateAuth(input: Input) {
    const pool = poolOf(input);
    const client = clientOf(pool, clientIdOf(input));
    const flow = reqString(input, 'AuthFlow', { enum: AUTH_FLOWS });
    const params = authParams(input);
    if (flow === 'REFRESH_TOKEN_AUTH' || flow === 'REFRESH_TOKEN') return refreshSignIn(pool, client, params);
    if (flow === 'USER_PASSWORD_AUTH') throw invalid('Initiate Auth method not supported.');
    if (flow !== 'ADMIN_USER_PASSWORD_AUTH' && flow !== 'ADMIN_NO_SRP_AUTH')
      throw invalid(`The isoctl sandbox does not implement the ${flow} flow; use ADMIN_USER_PASSWORD_AUTH or USER_PASSWORD_AUTH.`);
    if (!flowAllowed(client, flow)) throw invalid('Auth flow not enabled for this client');
    return passwordSignIn(pool, client, params);
  }

  async function initiateAuth(input: Input) {
    const clientId = clientIdOf(input);
    const flow = reqString(input, 'AuthFlow', { enum: AUTH_FLOWS });
    const pool = poolOfClient(clientId);
    const client = clientOf(pool, clientId);
    const params = authParams(input);
    if (flow === 'REFRESH_TOKEN_AUTH' || flow === 'REFRESH_TOKEN') return refreshSignIn(pool, client, params);
    if (flow === 'ADMIN_USER_PASSWORD_AUTH' || flow === 'ADMIN_NO_SRP_AUTH') throw invalid('Initiate Auth method not supported.');
    if (flow !== 'USER_PASSWORD_AUTH') throw invalid(`The isoctl sandbox does not implement the ${flow} flow; use USER_PASSWORD_AUTH or ADMIN_USER_PASSWORD_AUTH.`);
    if (!flowAllowed(client, flow)) throw invalid('USER_PASSWORD_AUTH flow not enabled for this client');
    return passwordSignIn(pool, client, params);
  }

  async function respondToAuthChallenge(input: Input, pool: UserPoolRecord, client: ClientRecord) {
    const challenge = reqString(input, 'ChallengeName');
    const sessionId = optString(input, 'Session', { min: 20, max: 2048 });
    const responses = optStringMap(input, 'ChallengeResponses') ?? {};
    if (challenge !== 'NEW_PASSWORD_REQUIRED') throw invalid(`The isoctl sandbox does not implement the ${challenge} challenge.`);
    const session = sessionId ? sessions.get(sessionId) : undefined;
    if (!session || session.poolId !== pool.Id || session.clientId !== client.ClientId || session.expiresAt <= now())
      throw new SandboxError('NotAuthorizedException', 'Invalid session for the user, session is expired.');
    const username = responses.USERNAME;
    if (!username) throw invalid('Missing required parameter USERNAME');
    const newPassword = responses.NEW_PASSWORD;
    if (!newPassword) throw invalid('Missing required parameter NEW_PASSWORD');
    const user = findUser(pool, username);
    if (!user || user.username !== session.username) throw new SandboxError('NotAuthorizedException', 'Invalid session for the user.');
    checkSecretHash(client, username, responses);
    checkPasswordPolicy(newPassword, pool.passwordPolicy);
    sessions.delete(sessionId!);
    user.passwordHash = await hashPassword(newPassword);
    user.status = 'CONFIRMED';
    delete user.temporaryPasswordExpiresAt;
    user.lastModifiedAt = now();
    ctx.save();
    return tokensFor(pool, client, user, true);
  }

  // ---- dispatch --------------------------------------------------------------------------------

  const handlers: Record<string, (input: Input) => unknown> = {
    CreateUserPool: createUserPool,
    DescribeUserPool: (i) => ({ UserPool: describePool(poolOf(i)) }),
    DeleteUserPool: deleteUserPool,
    ListUserPools: listUserPools,
    CreateUserPoolClient: createUserPoolClient,
    DescribeUserPoolClient: (i) => {
      const pool = poolOf(i);
      return { UserPoolClient: describeClient(clientOf(pool, clientIdOf(i))) };
    },
    ListUserPoolClients: listUserPoolClients,
    DeleteUserPoolClient: (i) => {
      const pool = poolOf(i);
      const client = clientOf(pool, clientIdOf(i));
      delete pool.clients[client.ClientId];
      ctx.save();
      return {};
    },
    CreateGroup: createGroup,
    GetGroup: (i) => {
      const pool = poolOf(i);
      return { Group: describeGroup(pool, groupOf(pool, i)) };
    },
    UpdateGroup: updateGroup,
    DeleteGroup: deleteGroup,
    ListGroups: listGroups,
    ListUsersInGroup: listUsersInGroup,
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
    AdminDisableUser: (i) => setEnabled(i, false),
    AdminEnableUser: (i) => setEnabled(i, true),
    ListUsers: listUsers,
    AdminInitiateAuth: adminInitiateAuth,
    InitiateAuth: initiateAuth,
    AdminRespondToAuthChallenge: (i) => {
      const pool = poolOf(i);
      return respondToAuthChallenge(i, pool, clientOf(pool, clientIdOf(i)));
    },
    RespondToAuthChallenge: (i) => {
      const clientId = clientIdOf(i);
      const pool = poolOfClient(clientId);
      return respondToAuthChallenge(i, pool, clientOf(pool, clientId));
    },
  };

  const service: JsonService = {
    async handle(operation, input, caller) {
      const handler = handlers[operation];
      if (!handler) throw new SandboxError('UnknownOperationException', `The isoctl sandbox does not implement cognito-idp ${operation}.`);
      authorize(operation, caller, input ?? {});
      return handler(input ?? {});
    },
    isMutating(operation) {
      return !READ_OPERATIONS.has(operation);
    },
    route(method, path) {
      const m = /^\/([\w-]+_[0-9a-zA-Z]+)\/\.well-known\/(jwks\.json|openid-configuration)$/.exec(path);
      if (!m) return undefined;
      if (method !== 'GET' && method !== 'HEAD') return { status: 405, contentType: 'application/json', body: JSON.stringify({ message: 'Method not allowed' }) };
      const pool = state.pools[m[1]!];
      if (!pool) return { status: 404, contentType: 'application/json', body: JSON.stringify({ message: `User pool ${m[1]} does not exist.` }) };
      if (m[2] === 'jwks.json') return { status: 200, contentType: 'application/json', body: jwksDocument(pool.keys) };
      const issuer = userPoolIssuer(ctx, pool.Id);
      return {
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify({
          issuer,
          jwks_uri: `${issuer}/.well-known/jwks.json`,
          id_token_signing_alg_values_supported: ['RS256'],
          subject_types_supported: ['public'],
          response_types_supported: ['code', 'token'],
        }),
      };
    },
  };
  return Promise.resolve(service);
}
