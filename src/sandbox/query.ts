// The awsQuery protocol (IAM, STS): form-encoded requests, XML responses and XML errors,
// in the shapes botocore's and the SDK's query parsers expect.
import { SandboxError } from './contract.js';

export type QueryParams = Record<string, string>;

export function parseForm(text: string): QueryParams {
  const out: QueryParams = {};
  for (const [k, v] of new URLSearchParams(text)) out[k] = v;
  return out;
}

/** `Prefix.member.N` values in order (awsQuery lists). */
export function memberList(params: QueryParams, prefix: string): string[] {
  const out: string[] = [];
  for (let i = 1; ; i++) {
    const v = params[`${prefix}.member.${i}`];
    if (v === undefined) break;
    out.push(v);
  }
  return out;
}

/** `Prefix.member.N.Field` structures in order. */
export function memberStructs(params: QueryParams, prefix: string, fields: string[]): Array<Record<string, string | undefined>> {
  const out: Array<Record<string, string | undefined>> = [];
  for (let i = 1; ; i++) {
    const item: Record<string, string | undefined> = {};
    let any = false;
    for (const f of fields) {
      const v = params[`${prefix}.member.${i}.${f}`];
      if (v !== undefined) any = true;
      item[f] = v;
    }
    if (!any) break;
    out.push(item);
  }
  return out;
}

/** A value in an XML result: nested objects become elements, arrays become <member> lists. */
export type XmlValue = string | number | boolean | Date | XmlObject | XmlValue[] | XmlMap | undefined;
export interface XmlObject {
  [key: string]: XmlValue;
}
/** A map rendered as <entry><key/><value/></entry> (e.g. IAM's SummaryMap). */
export class XmlMap {
  constructor(readonly entries: Array<[string, string | number]>) {}
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function render(name: string, v: XmlValue): string {
  if (v === undefined) return '';
  if (v instanceof Date) return `<${name}>${isoSeconds(v.getTime())}</${name}>`;
  if (v instanceof XmlMap)
    return `<${name}>${v.entries.map(([k, val]) => `<entry><key>${escapeXml(k)}</key><value>${escapeXml(String(val))}</value></entry>`).join('')}</${name}>`;
  if (Array.isArray(v)) return `<${name}>${v.map((item) => render('member', item)).join('')}</${name}>`;
  if (typeof v === 'object') return `<${name}>${renderFields(v)}</${name}>`;
  return `<${name}>${escapeXml(String(v))}</${name}>`;
}

function renderFields(o: XmlObject): string {
  return Object.entries(o)
    .map(([k, val]) => render(k, val))
    .join('');
}

export function queryResponse(action: string, namespace: string, result: XmlObject | undefined, reqId: string): string {
  const body = result === undefined ? '' : `<${action}Result>${renderFields(result)}</${action}Result>`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${namespace}">${body}<ResponseMetadata><RequestId>${reqId}</RequestId></ResponseMetadata></${action}Response>\n`;
}

export function queryError(namespace: string, err: SandboxError, reqId: string): string {
  const type = err.status >= 500 ? 'Receiver' : 'Sender';
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${namespace}"><Error><Type>${type}</Type><Code>${escapeXml(err.code)}</Code><Message>${escapeXml(err.message)}</Message></Error><RequestId>${reqId}</RequestId></ErrorResponse>\n`;
}

/** The policy-document encoding IAM uses in responses (botocore decodes it with urllib's unquote). */
export function encodePolicy(doc: string): string {
  return encodeURIComponent(doc);
}

// ---- request validation with AWS's ValidationError wording ----

function camel(field: string): string {
  return field.charAt(0).toLowerCase() + field.slice(1);
}

export function validationError(field: string, value: string | null, constraint: string): SandboxError {
  const shown = value === null ? 'null' : `'${value}'`;
  return new SandboxError('ValidationError', `1 validation error detected: Value ${shown} at '${camel(field)}' failed to satisfy constraint: ${constraint}`);
}

export interface StringRule {
  min?: number;
  max?: number;
  /** Source of the model's pattern, matched against the whole value. */
  pattern?: string;
}

export function checkString(field: string, value: string, rule: StringRule): string {
  if (rule.min !== undefined && value.length < rule.min) throw validationError(field, value, `Member must have length greater than or equal to ${rule.min}`);
  if (rule.max !== undefined && value.length > rule.max) throw validationError(field, value, `Member must have length less than or equal to ${rule.max}`);
  if (rule.pattern !== undefined && !new RegExp(`^(?:${rule.pattern})$`, 'u').test(value))
    throw validationError(field, value, `Member must satisfy regular expression pattern: ${rule.pattern}`);
  return value;
}

export function requiredString(params: QueryParams, field: string, rule: StringRule = {}): string {
  const v = params[field];
  if (v === undefined) throw validationError(field, null, 'Member must not be null');
  return checkString(field, v, rule);
}

export function optionalString(params: QueryParams, field: string, rule: StringRule = {}): string | undefined {
  const v = params[field];
  return v === undefined ? undefined : checkString(field, v, rule);
}

export function optionalInt(params: QueryParams, field: string, min: number, max: number): number | undefined {
  const v = params[field];
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw new SandboxError('MalformedInput', `Invalid value for ${field}: ${v}`);
  const n = Number(v);
  if (n < min) throw validationError(field, v, `Member must have value greater than or equal to ${min}`);
  if (n > max) throw validationError(field, v, `Member must have value less than or equal to ${max}`);
  return n;
}

export function optionalBool(params: QueryParams, field: string): boolean | undefined {
  const v = params[field];
  if (v === undefined) return undefined;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new SandboxError('MalformedInput', `Invalid value for ${field}: ${v}`);
}

// ---- pagination (Marker / MaxItems / IsTruncated) ----

export function paginate<T>(
  items: T[],
  keyOf: (t: T) => string,
  marker: string | undefined,
  maxItems: number | undefined,
): {
  page: T[];
  isTruncated: boolean;
  marker: string | undefined;
} {
  let start = 0;
  if (marker !== undefined) {
    let after: string;
    try {
      after = Buffer.from(marker, 'base64url').toString('utf8');
    } catch {
      throw new SandboxError('InvalidInput', 'Invalid Marker.');
    }
    start = items.findIndex((t) => keyOf(t) > after);
    if (start < 0) start = items.length;
  }
  const limit = maxItems ?? 100;
  const page = items.slice(start, start + limit);
  const isTruncated = start + limit < items.length;
  return { page, isTruncated, marker: isTruncated ? Buffer.from(keyOf(page[page.length - 1]!), 'utf8').toString('base64url') : undefined };
}
