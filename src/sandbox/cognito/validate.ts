// Input checks with the messages Cognito gives ("1 validation error detected: Value ... at 'groupName' ...").
// Both Cognito services report them as InvalidParameterException.
import { SandboxError } from '../contract.js';

export type Input = Record<string, unknown>;

export function invalid(message: string): SandboxError {
  return new SandboxError('InvalidParameterException', message);
}

function memberName(field: string): string {
  return field.charAt(0).toLowerCase() + field.slice(1);
}

function render(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
}

function constraint(field: string, value: unknown, what: string): SandboxError {
  return invalid(
    `1 validation error detected: Value ${value === undefined ? 'null' : render(value)} at '${memberName(field)}' failed to satisfy constraint: ${what}`,
  );
}

interface StringRule {
  min?: number;
  max?: number;
  /** Whole-value pattern, written as in botocore's model (anchored here). */
  pattern?: string;
  enum?: readonly string[];
}

const compiled = new Map<string, RegExp>();
function fullMatch(pattern: string, value: string): boolean {
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp(`^(?:${pattern})$`, 'u');
    compiled.set(pattern, re);
  }
  return re.test(value);
}

function checkString(field: string, value: unknown, rule: StringRule): string {
  if (typeof value !== 'string') throw invalid(`Invalid type for '${memberName(field)}': expected a string`);
  if (rule.min !== undefined && value.length < rule.min) throw constraint(field, value, `Member must have length greater than or equal to ${rule.min}`);
  if (rule.max !== undefined && value.length > rule.max) throw constraint(field, value, `Member must have length less than or equal to ${rule.max}`);
  if (rule.pattern !== undefined && !fullMatch(rule.pattern, value))
    throw constraint(field, value, `Member must satisfy regular expression pattern: ${rule.pattern}`);
  if (rule.enum && !rule.enum.includes(value)) throw constraint(field, value, `Member must satisfy enum value set: [${rule.enum.join(', ')}]`);
  return value;
}

export function reqString(input: Input, field: string, rule: StringRule = {}): string {
  const value = input[field];
  if (value === undefined || value === null) throw constraint(field, undefined, 'Member must not be null');
  return checkString(field, value, rule);
}

export function optString(input: Input, field: string, rule: StringRule = {}): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  return checkString(field, value, rule);
}

export function optInt(input: Input, field: string, rule: { min?: number; max?: number } = {}): number | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalid(`Invalid type for '${memberName(field)}': expected an integer`);
  if (rule.min !== undefined && value < rule.min) throw constraint(field, value, `Member must have value greater than or equal to ${rule.min}`);
  if (rule.max !== undefined && value > rule.max) throw constraint(field, value, `Member must have value less than or equal to ${rule.max}`);
  return value;
}

export function reqInt(input: Input, field: string, rule: { min?: number; max?: number } = {}): number {
  if (input[field] === undefined || input[field] === null) throw constraint(field, undefined, 'Member must not be null');
  return optInt(input, field, rule)!;
}

export function optBool(input: Input, field: string): boolean | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalid(`Invalid type for '${memberName(field)}': expected a boolean`);
  return value;
}

export function reqBool(input: Input, field: string): boolean {
  if (input[field] === undefined || input[field] === null) throw constraint(field, undefined, 'Member must not be null');
  return optBool(input, field)!;
}

export function optObject(input: Input, field: string): Input | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(`Invalid type for '${memberName(field)}': expected an object`);
  return value as Input;
}

export function optArray(input: Input, field: string, rule: { min?: number; max?: number } = {}): unknown[] | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw invalid(`Invalid type for '${memberName(field)}': expected a list`);
  if (rule.min !== undefined && value.length < rule.min)
    throw constraint(field, `[${value.length} items]`, `Member must have length greater than or equal to ${rule.min}`);
  if (rule.max !== undefined && value.length > rule.max)
    throw constraint(field, `[${value.length} items]`, `Member must have length less than or equal to ${rule.max}`);
  return value;
}

export function optStringArray(input: Input, field: string): string[] | undefined {
  const value = optArray(input, field);
  if (!value) return undefined;
  for (const item of value) if (typeof item !== 'string') throw invalid(`Invalid type for '${memberName(field)}': expected a list of strings`);
  return value as string[];
}

/** A map of string to string (Logins, AuthParameters, tags, PrincipalTags ...). */
export function optStringMap(input: Input, field: string, rule: { max?: number } = {}): Record<string, string> | undefined {
  const value = optObject(input, field);
  if (!value) return undefined;
  const entries = Object.entries(value);
  if (rule.max !== undefined && entries.length > rule.max)
    throw constraint(field, `{${entries.length} entries}`, `Map must have length less than or equal to ${rule.max}`);
  for (const [, v] of entries) if (typeof v !== 'string') throw invalid(`Invalid type for '${memberName(field)}': expected a map of strings`);
  return value as Record<string, string>;
}

// Patterns from botocore's models.
export const PATTERNS = {
  userPoolId: '[\\w-]+_[0-9a-zA-Z]+',
  poolName: '[\\w\\s+=,.@-]+',
  clientId: '[\\w+]+',
  clientName: '[\\w\\s+=,.@-]+',
  groupName: '[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+',
  username: '[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+',
  password: '[\\S]+',
  arn: 'arn:[\\w+=/,.@-]+:[\\w+=/,.@-]+:([\\w+=/,.@-]*)?:[0-9]+:[\\w+=/,.@-]+(:[\\w+=/,.@-]+)?(:[\\w+=/,.@-]+)?',
  identityPoolId: '[\\w-]+:[0-9a-f-]+',
  identityPoolName: '[\\w\\s+=,.@-]+',
  identityId: '[\\w-]+:[0-9a-f-]+',
  cognitoProviderName: '[\\w._:/-]+',
  cognitoProviderClientId: '[\\w_]+',
  paginationKey: '[\\S]+',
} as const;

/** An IAM role ARN (what Cognito accepts as a group's RoleArn or an identity pool role). */
export const ROLE_ARN = /^arn:aws[\w-]*:iam::\d{12}:role\/(?:[\u0021-\u007e]*\/)?[\w+=,.@-]{1,64}$/;

export function isRoleArn(value: string): boolean {
  return ROLE_ARN.test(value);
}

/** Opaque pagination tokens: the position encoded so a token from one list is useless in another. */
export function encodeToken(kind: string, position: string): string {
  return Buffer.from(JSON.stringify([kind, position]), 'utf8').toString('base64url');
}

export function decodeToken(kind: string, token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(parsed) && parsed[0] === kind && typeof parsed[1] === 'string') return parsed[1];
  } catch {
    // fall through
  }
  throw invalid('Invalid pagination token.');
}

/** One page of `items` (sorted by `keyOf`) starting after the token's position. */
export function paginate<T>(items: T[], keyOf: (item: T) => string, kind: string, limit: number, token: string | undefined): { page: T[]; nextToken?: string } {
  const after = decodeToken(kind, token);
  const sorted = [...items].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  const start = after === undefined ? 0 : sorted.findIndex((item) => keyOf(item) > after);
  const rest = start < 0 ? [] : sorted.slice(start);
  const page = rest.slice(0, limit);
  if (rest.length > limit && page.length > 0) return { page, nextToken: encodeToken(kind, keyOf(page[page.length - 1]!)) };
  return { page };
}

/** awsJson timestamps are epoch seconds. */
export function epochSeconds(ms: number): number {
  return ms / 1000;
}
