// What is known about the denied request beyond the message: the partition keys, attributes and
// Select it sent, the session's principal tags and the signed-in user's token claims. Each comes
// from a flag, from the DynamoDB request itself (--request, read the way DynamoDB derives IAM's
// condition keys), or from the id token (--id-token, decoded, not verified). Pure.
import type { StackConfig } from '../../config/schema.js';
import { deriveChecks, type TableKeys } from '../../policy/dynamodb/context-keys.js';
import type { ContextValue } from '../../policy/index.js';
import { tenantTableName } from '../../policy/index.js';

export interface RequestFacts {
  /** dynamodb:LeadingKeys of the request; [] when it named no partition key value. */
  leadingKeys?: string[] | undefined;
  /** dynamodb:Attributes of the request. */
  attributes?: string[] | undefined;
  /** dynamodb:Select (ALL_ATTRIBUTES when a read had no projection). */
  select?: string | undefined;
  returnValues?: string | undefined;
  /** Session tags of the credentials (e.g. userid from the identity pool's attribute map). */
  sessionTags?: Record<string, string> | undefined;
  /** Claims of the signed-in user's id token. */
  tokenClaims?: Record<string, unknown> | undefined;
  /** Where the facts came from, for the report. */
  sources: string[];
}

export interface FactFlags {
  key?: string[] | undefined;
  attributes?: string | undefined;
  select?: string | undefined;
  noProjection?: boolean | undefined;
  principalTag?: string[] | undefined;
  /** The session carried no session tags at all. */
  noPrincipalTags?: boolean | undefined;
  /** The DynamoDB request input as JSON text. */
  request?: string | undefined;
  idToken?: string | undefined;
}

/** A fact given to explain is malformed. `input` says which; the command layer names its flag. */
export class FactInputError extends Error {
  constructor(
    readonly input: keyof FactFlags,
    message: string,
  ) {
    super(message);
    this.name = 'FactInputError';
  }
}

export const SELECT_VALUES = ['ALL_ATTRIBUTES', 'ALL_PROJECTED_ATTRIBUTES', 'SPECIFIC_ATTRIBUTES', 'COUNT'];

function list(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Decodes a JWT's payload (no signature check: explain only reads which claims are there). */
export function decodeJwtClaims(token: string): Record<string, unknown> {
  const parts = token.trim().split('.');
  if (parts.length !== 3 || !parts[1]) throw new FactInputError('idToken', 'not a JWT (three base64url parts separated by dots)');
  try {
    const json = Buffer.from(parts[1].replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
    const claims = JSON.parse(json) as unknown;
    if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) throw new Error('not an object');
    return claims as Record<string, unknown>;
  } catch {
    throw new FactInputError('idToken', 'the payload is not a JSON object');
  }
}

/** The key schemas isoctl's config gives for a tenant's tables (indexes: unknown, so none). */
function keysFromConfig(config: StackConfig | undefined, tenant: string | undefined): (table: string) => TableKeys | undefined {
  return (table) => {
    const t = config?.tables.find(
      (x) => x.name === table || (tenant !== undefined && tenantTableName(x, tenant) === table) || (x.model === 'silo' && table.startsWith(`${x.name}-`)),
    );
    return t ? { partitionKey: t.partitionKey, sortKey: t.sortKey, indexes: {} } : undefined;
  };
}

export function factsFromFlags(
  flags: FactFlags,
  env: { action: string; table: string | undefined; region: string; accountId: string; config: StackConfig | undefined; tenant: string | undefined },
): RequestFacts {
  const facts: RequestFacts = { sources: [] };
  if (flags.request !== undefined) {
    let input: unknown;
    try {
      input = JSON.parse(flags.request);
    } catch (err) {
      throw new FactInputError('request', `not JSON (${(err as Error).message})`);
    }
    if (input === null || typeof input !== 'object' || Array.isArray(input))
      throw new FactInputError('request', 'expected the request input object, e.g. {"TableName":...,"KeyConditionExpression":...}');
    const operation = env.action.replace(/^dynamodb:/i, '');
    if (!/^dynamodb:/i.test(env.action)) throw new FactInputError('request', `applies to DynamoDB requests only; the message names ${env.action}`);
    const withTable = { ...(input as Record<string, unknown>) };
    if (withTable.TableName === undefined && env.table && !['BatchGetItem', 'BatchWriteItem'].includes(operation)) withTable.TableName = env.table;
    const checks = deriveChecks(operation, withTable, { region: env.region, accountId: env.accountId, keysOf: keysFromConfig(env.config, env.tenant) });
    const check = checks.find((c) => c.table === env.table) ?? checks[0];
    if (check) {
      const ctx = check.context as Record<string, ContextValue>;
      const lk = ctx['dynamodb:LeadingKeys'];
      if (['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'].includes(operation))
        facts.leadingKeys = Array.isArray(lk) ? lk : typeof lk === 'string' ? [lk] : [];
      const attrs = ctx['dynamodb:Attributes'];
      if (Array.isArray(attrs)) facts.attributes = attrs;
      if (typeof ctx['dynamodb:Select'] === 'string') facts.select = ctx['dynamodb:Select'];
      if (typeof ctx['dynamodb:ReturnValues'] === 'string') facts.returnValues = ctx['dynamodb:ReturnValues'];
      facts.sources.push('--request');
    }
  }
  if (flags.key && flags.key.length > 0) {
    facts.leadingKeys = flags.key.flatMap(list);
    facts.sources.push('--key');
  }
  if (flags.attributes !== undefined) {
    facts.attributes = list(flags.attributes);
    // Attributes named on the command line are a projection unless --select / --no-projection say otherwise.
    if (flags.select === undefined && !flags.noProjection && facts.select === undefined) facts.select = 'SPECIFIC_ATTRIBUTES';
    facts.sources.push('--attributes');
  }
  if (flags.noProjection) {
    facts.select = 'ALL_ATTRIBUTES';
    facts.sources.push('--no-projection');
  }
  if (flags.select !== undefined) {
    const s = flags.select.toUpperCase();
    if (!SELECT_VALUES.includes(s)) throw new FactInputError('select', `expected one of ${SELECT_VALUES.join(', ')}`);
    facts.select = s;
    facts.sources.push('--select');
  }
  if (flags.principalTag && flags.principalTag.length > 0) {
    facts.sessionTags = {};
    for (const pair of flags.principalTag) {
      const m = /^([^=]+)=(.*)$/.exec(pair);
      if (!m) throw new FactInputError('principalTag', `"${pair}" is not key=value`);
      facts.sessionTags[(m[1] as string).trim()] = m[2] as string;
    }
    facts.sources.push('--principal-tag');
  }
  if (flags.noPrincipalTags) {
    facts.sessionTags = {};
    facts.sources.push('--no-principal-tags');
  }
  if (flags.idToken !== undefined) {
    facts.tokenClaims = decodeJwtClaims(flags.idToken);
    facts.sources.push('--id-token');
  }
  return facts;
}
