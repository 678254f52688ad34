// App clients: CreateUserPoolClient, DescribeUserPoolClient, UpdateUserPoolClient, ListUserPoolClients,
// DeleteUserPoolClient. Update is a replacement: "If you don't provide a value for an attribute,
// Amazon Cognito sets it to its default value" (UpdateUserPoolClient, Cognito API reference); the
// id, the secret and the creation date stay, and so does the name when none is given.
import { LOWER_ALNUM, randomString, type Handlers, type IdpContext } from './idp-context.js';
import { describeClient, ECHO_CLIENT_FIELDS } from './idp-shapes.js';
import type { ClientRecord } from './state.js';
import { validitySeconds } from './tokens.js';
import { invalid, optBool, optInt, optObject, optString, optStringArray, paginate, PATTERNS, reqString, type Input } from './validate.js';

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

export function clientHandlers(c: IdpContext): Handlers {
  const { ctx, now, poolOf, clientOf, clientIdOf } = c;

  function explicitAuthFlows(input: Input): string[] {
    const flows = optStringArray(input, 'ExplicitAuthFlows');
    if (!flows) return [...DEFAULT_FLOWS];
    for (const f of flows)
      if (!LEGACY_FLOWS.includes(f) && !NEW_FLOWS.includes(f))
        throw invalid(
          `1 validation error detected: Value '[${flows.join(', ')}]' at 'explicitAuthFlows' failed to satisfy constraint: Member must satisfy enum value set: [${[...LEGACY_FLOWS, ...NEW_FLOWS].join(', ')}]`,
        );
    if (flows.some((f) => LEGACY_FLOWS.includes(f)) && flows.some((f) => NEW_FLOWS.includes(f)))
      throw invalid('ExplicitAuthFlows cannot contain both legacy values and values starting with ALLOW_.');
    return [...new Set(flows)];
  }

  /** The settings an app client takes from a Create or Update request, each defaulted as AWS does. */
  function clientSettings(pool: ReturnType<typeof poolOf>, input: Input) {
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
    return {
      ExplicitAuthFlows: explicitAuthFlows(input),
      RefreshTokenValidity: refresh,
      AccessTokenValidity: access,
      IdTokenValidity: idv,
      TokenValidityUnits: tokenUnits,
      ...(optObject(input, 'TokenValidityUnits')
        ? { unitsGiven: Object.fromEntries(Object.keys(units).map((k) => [k, tokenUnits[k as keyof typeof tokenUnits]])) }
        : {}),
      PreventUserExistenceErrors:
        (optString(input, 'PreventUserExistenceErrors', { enum: ['LEGACY', 'ENABLED'] }) as 'LEGACY' | 'ENABLED' | undefined) ?? 'LEGACY',
      EnableTokenRevocation: optBool(input, 'EnableTokenRevocation') ?? true,
      AuthSessionValidity: optInt(input, 'AuthSessionValidity', { min: 3, max: 15 }) ?? 3,
      ...(readAttributes ? { ReadAttributes: readAttributes } : {}),
      ...(writeAttributes ? { WriteAttributes: writeAttributes } : {}),
      echo,
    };
  }

  function createUserPoolClient(input: Input) {
    const pool = poolOf(input);
    const name = reqString(input, 'ClientName', { min: 1, max: 128, pattern: PATTERNS.clientName });
    const settings = clientSettings(pool, input);
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
      ...settings,
    };
    pool.clients[clientId] = client;
    ctx.save();
    return { UserPoolClient: describeClient(client) };
  }

  function updateUserPoolClient(input: Input) {
    const pool = poolOf(input);
    const old = clientOf(pool, clientIdOf(input));
    const name = optString(input, 'ClientName', { min: 1, max: 128, pattern: PATTERNS.clientName }) ?? old.ClientName;
    const settings = clientSettings(pool, input);
    const client: ClientRecord = {
      ClientId: old.ClientId,
      ClientName: name,
      UserPoolId: pool.Id,
      ...(old.ClientSecret !== undefined ? { ClientSecret: old.ClientSecret } : {}),
      CreationDate: old.CreationDate,
      LastModifiedDate: now(),
      ...settings,
    };
    pool.clients[client.ClientId] = client;
    ctx.save();
    return { UserPoolClient: describeClient(client) };
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

  return {
    CreateUserPoolClient: createUserPoolClient,
    DescribeUserPoolClient: (i) => {
      const pool = poolOf(i);
      return { UserPoolClient: describeClient(clientOf(pool, clientIdOf(i))) };
    },
    UpdateUserPoolClient: updateUserPoolClient,
    ListUserPoolClients: listUserPoolClients,
    DeleteUserPoolClient: (i) => {
      const pool = poolOf(i);
      const client = clientOf(pool, clientIdOf(i));
      delete pool.clients[client.ClientId];
      ctx.save();
      return {};
    },
  };
}
