// JWTs: the user pools' id and access tokens (RS256, one key pair each, published as the pool's
// JWKS), their verification by the identity pools, and the OpenID tokens of Cognito Identity that
// STS AssumeRoleWithWebIdentity accepts.
import { createHash, randomUUID } from 'node:crypto';
import { SignJWT, compactVerify, decodeProtectedHeader } from 'jose';
import { SandboxError, type SandboxContext } from '../contract.js';
import { clientCanRead } from './client-attributes.js';
import { groupClaims } from './group-claims.js';
import { newSigningKey, privateKeyOf, publicKeyOf, type StoredKey } from './keys.js';
import { issuerMatchesPool } from './provider-names.js';
import { identityState, idpState, type ClientRecord, type GroupRecord, type UserPoolRecord, type UserRecord } from './state.js';

/** Issuer of Cognito Identity's OpenID tokens (what trust policies name as `Federated`). */
export const OPENID_ISSUER = 'https://cognito-identity.amazonaws.com';
/** AWS's default lifetime of a GetOpenIdToken token. */
export const OPENID_TOKEN_SECONDS = 600;

const UNIT_SECONDS: Record<string, number> = { seconds: 1, minutes: 60, hours: 3600, days: 86400 };

export function validitySeconds(value: number, unit: string): number {
  return value * (UNIT_SECONDS[unit] ?? 3600);
}

export function userPoolIssuer(ctx: SandboxContext, userPoolId: string): string {
  return `${ctx.endpoint().replace(/\/+$/, '')}/${userPoolId}`;
}

async function sign(claims: Record<string, unknown>, key: StoredKey): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ kid: key.kid, alg: 'RS256' }).sign(privateKeyOf(key));
}

/** Claims from the attributes the client may read: `*_verified` as booleans. */
function attributeClaims(user: UserRecord, client: ClientRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(user.attributes)) {
    if (name === 'sub' || !clientCanRead(client, name)) continue;
    out[name] = name.endsWith('_verified') ? value === 'true' : value;
  }
  return out;
}

export interface IssuedTokens {
  IdToken: string;
  AccessToken: string;
  ExpiresIn: number;
  TokenType: 'Bearer';
}

/** Signs an id token and an access token for `user`; `groups` are the groups as Cognito sees them now (lag applied by the caller). */
export async function issueUserPoolTokens(
  ctx: SandboxContext,
  pool: UserPoolRecord,
  client: ClientRecord,
  user: UserRecord,
  groups: GroupRecord[],
  authTime: number,
): Promise<IssuedTokens> {
  const iat = Math.floor(ctx.now() / 1000);
  const idTtl = validitySeconds(client.IdTokenValidity, client.TokenValidityUnits.IdToken);
  const accessTtl = validitySeconds(client.AccessTokenValidity, client.TokenValidityUnits.AccessToken);
  const gc = groupClaims(groups);
  const iss = userPoolIssuer(ctx, pool.Id);
  const originJti = randomUUID();
  const eventId = randomUUID();
  const idClaims: Record<string, unknown> = {
    sub: user.sub,
    ...(gc.groups.length > 0 ? { 'cognito:groups': gc.groups } : {}),
    iss,
    'cognito:username': user.username,
    origin_jti: originJti,
    ...(gc.roles.length > 0 ? { 'cognito:roles': gc.roles } : {}),
    aud: client.ClientId,
    event_id: eventId,
    token_use: 'id',
    auth_time: authTime,
    exp: iat + idTtl,
    ...(gc.preferredRole ? { 'cognito:preferred_role': gc.preferredRole } : {}),
    iat,
    jti: randomUUID(),
    ...attributeClaims(user, client),
  };
  const accessClaims: Record<string, unknown> = {
    sub: user.sub,
    ...(gc.groups.length > 0 ? { 'cognito:groups': gc.groups } : {}),
    iss,
    client_id: client.ClientId,
    origin_jti: originJti,
    event_id: eventId,
    token_use: 'access',
    scope: 'aws.cognito.signin.user.admin',
    auth_time: authTime,
    exp: iat + accessTtl,
    iat,
    jti: randomUUID(),
    username: user.username,
  };
  const [idKey, accessKey] = [pool.keys[0]!, pool.keys[1] ?? pool.keys[0]!];
  return {
    IdToken: await sign(idClaims, idKey),
    AccessToken: await sign(accessClaims, accessKey),
    ExpiresIn: accessTtl,
    TokenType: 'Bearer',
  };
}

function loginError(detail: string): SandboxError {
  return new SandboxError('NotAuthorizedException', `Invalid login token. ${detail}`);
}

async function verifySignature(token: string, keys: StoredKey[]): Promise<Record<string, unknown>> {
  let kid: unknown;
  try {
    const header = decodeProtectedHeader(token);
    if (header.alg !== 'RS256') throw new Error('alg');
    kid = header.kid;
  } catch {
    throw loginError('Not a valid OpenId Connect identity token.');
  }
  const key = keys.find((k) => k.kid === kid);
  if (!key) throw loginError('Not a valid OpenId Connect identity token.');
  try {
    const { payload } = await compactVerify(token, publicKeyOf(key), { algorithms: ['RS256'] });
    const claims = JSON.parse(new TextDecoder().decode(payload)) as unknown;
    if (!claims || typeof claims !== 'object' || Array.isArray(claims)) throw new Error('payload');
    return claims as Record<string, unknown>;
  } catch {
    throw loginError('Not a valid OpenId Connect identity token.');
  }
}

/**
 * Verifies a user-pool id token as Cognito Identity does for a Logins entry: signature with the
 * pool's keys, issuer, token_use, audience among `clientIds`, expiry. Returns the claims.
 */
export async function verifyUserPoolIdToken(ctx: SandboxContext, token: string, userPoolId: string, clientIds: string[]): Promise<Record<string, unknown>> {
  const pool = idpState(ctx).pools[userPoolId];
  const claims = await verifySignature(token, pool?.keys ?? []);
  if (!issuerMatchesPool(claims.iss, userPoolId, ctx.endpoint())) throw loginError("Issuer doesn't match providerName");
  if (claims.token_use !== 'id') throw loginError('Not a valid OpenId Connect identity token.');
  const now = Math.floor(ctx.now() / 1000);
  if (typeof claims.exp !== 'number') throw loginError('Missing a required claim: exp');
  if (now >= claims.exp) throw loginError(`Token expired: ${now} >= ${claims.exp}`);
  if (typeof claims.aud !== 'string' || !clientIds.includes(claims.aud)) throw loginError('Incorrect token audience.');
  if (typeof claims.sub !== 'string') throw loginError('Missing a required claim: sub');
  return claims;
}

/**
 * Verifies a user-pool access token for the user-authenticated operations (UpdateUserAttributes):
 * signature with the pool's keys, token_use, expiry. Any failure is Cognito's
 * `NotAuthorizedException: Invalid Access Token`.
 */
export async function verifyAccessToken(ctx: SandboxContext, token: string): Promise<{ pool: UserPoolRecord; clientId: string; username: string }> {
  const bad = () => new SandboxError('NotAuthorizedException', 'Invalid Access Token');
  let iss: unknown;
  try {
    iss = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')).iss;
  } catch {
    throw bad();
  }
  const poolId = typeof iss === 'string' ? iss.slice(iss.lastIndexOf('/') + 1) : '';
  const pool = idpState(ctx).pools[poolId];
  if (!pool || iss !== userPoolIssuer(ctx, poolId)) throw bad();
  let claims: Record<string, unknown>;
  try {
    claims = await verifySignature(token, pool.keys);
  } catch {
    throw bad();
  }
  if (claims.token_use !== 'access' || typeof claims.client_id !== 'string' || typeof claims.username !== 'string') throw bad();
  if (typeof claims.exp !== 'number' || Math.floor(ctx.now() / 1000) >= claims.exp)
    throw new SandboxError('NotAuthorizedException', 'Access Token has expired');
  const user = Object.values(pool.users).find((u) => u.username === claims.username);
  if (user?.signedOutAt !== undefined && typeof claims.iat === 'number' && claims.iat <= user.signedOutAt)
    throw new SandboxError('NotAuthorizedException', 'Access Token has been revoked');
  return { pool, clientId: claims.client_id, username: claims.username };
}

const pendingKeys = new WeakMap<object, Promise<StoredKey>>();

/** The identity service's signing key, created (and saved) on first use. */
export async function identitySigningKey(ctx: SandboxContext): Promise<StoredKey> {
  const state = identityState(ctx);
  if (state.keys[0]) return state.keys[0];
  let pending = pendingKeys.get(state);
  if (!pending) {
    pending = newSigningKey();
    pendingKeys.set(state, pending);
  }
  const key = await pending;
  pendingKeys.delete(state);
  if (!state.keys[0]) {
    state.keys.push(key);
    ctx.save();
  }
  return state.keys[0]!;
}

export async function issueOpenIdToken(
  ctx: SandboxContext,
  claims: { identityId: string; identityPoolId: string; amr: string[] },
  ttlSeconds = OPENID_TOKEN_SECONDS,
): Promise<string> {
  const key = await identitySigningKey(ctx);
  const iat = Math.floor(ctx.now() / 1000);
  return sign({ sub: claims.identityId, aud: claims.identityPoolId, amr: claims.amr, iss: OPENID_ISSUER, exp: iat + ttlSeconds, iat }, key);
}

/**
 * Verifies an OpenID token from GetOpenIdToken (for STS AssumeRoleWithWebIdentity). Throws
 * SandboxError with STS's codes: InvalidIdentityToken, ExpiredTokenException.
 */
export async function verifyOpenIdToken(ctx: SandboxContext, token: string): Promise<{ identityId: string; identityPoolId: string; amr: string[] }> {
  const invalidToken = (why: string) => new SandboxError('InvalidIdentityToken', why);
  let claims: Record<string, unknown>;
  try {
    claims = await verifySignature(token, identityState(ctx).keys);
  } catch {
    throw invalidToken("Couldn't verify the signature of the web identity token.");
  }
  if (claims.iss !== OPENID_ISSUER) throw invalidToken('The issuer of the web identity token is not cognito-identity.amazonaws.com.');
  const now = Math.floor(ctx.now() / 1000);
  if (typeof claims.exp !== 'number' || now >= claims.exp)
    throw new SandboxError('ExpiredTokenException', 'Token expired: current date/time must be before the expiration date/time.');
  const { sub, aud, amr } = claims;
  if (typeof sub !== 'string' || typeof aud !== 'string' || !Array.isArray(amr) || !amr.every((a) => typeof a === 'string'))
    throw invalidToken('The web identity token is missing a required claim (sub, aud or amr).');
  return { identityId: sub, identityPoolId: aud, amr: amr as string[] };
}

export function refreshTokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
