// Sign-in: password flows (admin and public), refresh tokens, and the NEW_PASSWORD_REQUIRED
// challenge. Tokens are issued by ./tokens.ts with the groups as Cognito sees them (lagged).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { SandboxError } from '../contract.js';
import { checkPasswordPolicy, hashPassword, verifyPassword } from './passwords.js';
import type { Handlers, IdpContext } from './idp-context.js';
import { cognitoView, type ClientRecord, type GroupRecord, type UserPoolRecord, type UserRecord } from './state.js';
import { issueUserPoolTokens, refreshTokenHash, validitySeconds } from './tokens.js';
import { invalid, optString, optStringMap, reqString, type Input } from './validate.js';

const AUTH_FLOWS = [
  'USER_SRP_AUTH',
  'REFRESH_TOKEN_AUTH',
  'REFRESH_TOKEN',
  'CUSTOM_AUTH',
  'ADMIN_NO_SRP_AUTH',
  'USER_PASSWORD_AUTH',
  'ADMIN_USER_PASSWORD_AUTH',
  'USER_AUTH',
];

export function authHandlers(c: IdpContext): Handlers {
  const { ctx, sessions, now, poolOf, clientOf, poolOfClient, clientIdOf, findUser } = c;

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
    const expected = createHmac('sha256', client.ClientSecret)
      .update(username + client.ClientId)
      .digest();
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
    if (record.revoked) throw new SandboxError('NotAuthorizedException', 'Refresh Token has been revoked');
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
    if (flow !== 'USER_PASSWORD_AUTH')
      throw invalid(`The isoctl sandbox does not implement the ${flow} flow; use USER_PASSWORD_AUTH or ADMIN_USER_PASSWORD_AUTH.`);
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

  return {
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
}
