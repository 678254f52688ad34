// AWS Signature Version 4, server side: parse the Authorization header and recompute the
// signature with the secret the sandbox knows for that access key.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface SigV4Authorization {
  accessKeyId: string;
  /** yyyymmdd */
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

const AUTH_RE =
  /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request\s*,\s*SignedHeaders=([^,\s]+)\s*,\s*Signature=([0-9a-f]{64})\s*$/;

/** undefined when there is no Authorization header; 'malformed' when it is not a SigV4 header. */
export function parseAuthorization(header: string | undefined): SigV4Authorization | 'malformed' | undefined {
  if (header === undefined || header === '') return undefined;
  const m = AUTH_RE.exec(header.trim());
  if (!m) return 'malformed';
  return {
    accessKeyId: m[1]!,
    date: m[2]!,
    region: m[3]!,
    service: m[4]!,
    signedHeaders: m[5]!.split(';'),
    signature: m[6]!,
  };
}

export interface SignedRequest {
  method: string;
  /** Raw request target: path plus optional ?query, as received. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** RFC 3986 encoding as AWS uses it (everything but A-Z a-z 0-9 - _ . ~). */
function escapeUri(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** S3 signs the path as sent, encoded once and not normalised (keys may hold "//", "." or ".."). */
function s3CanonicalPath(rawPath: string): string {
  return rawPath
    .split('/')
    .map((seg) => escapeUri(safeDecode(seg)))
    .join('/');
}

function canonicalPath(rawPath: string): string {
  const segments: string[] = [];
  for (const seg of rawPath.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') segments.pop();
    else segments.push(seg);
  }
  const normalized = `${rawPath.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && rawPath.endsWith('/') ? '/' : ''}`;
  // Non-S3 services sign the path encoded twice (the raw path is already encoded once).
  return escapeUri(normalized).replace(/%2F/g, '/');
}

function canonicalQuery(rawQuery: string): string {
  if (!rawQuery) return '';
  const pairs = rawQuery
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const i = p.indexOf('=');
      const k = i < 0 ? p : p.slice(0, i);
      const v = i < 0 ? '' : p.slice(i + 1);
      return [escapeUri(safeDecode(k)), escapeUri(safeDecode(v))] as const;
    })
    .filter(([k]) => k.toLowerCase() !== 'x-amz-signature');
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

function headerValue(v: string | string[] | undefined): string {
  const s = Array.isArray(v) ? v.join(',') : (v ?? '');
  return s.trim().replace(/\s+/g, ' ');
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The SigV4 signing key for one day, region and service. */
export function signingKey(secret: string, auth: Pick<SigV4Authorization, 'date' | 'region' | 'service'>): Buffer {
  let key: Buffer = createHmac('sha256', `AWS4${secret}`).update(auth.date).digest();
  for (const part of [auth.region, auth.service, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  return key;
}

export function expectedSignature(auth: SigV4Authorization, req: SignedRequest, secret: string): string | undefined {
  const amzDate = headerValue(req.headers['x-amz-date']);
  if (!/^\d{8}T\d{6}Z$/.test(amzDate)) return undefined;
  const q = req.url.indexOf('?');
  const rawPath = q < 0 ? req.url : req.url.slice(0, q);
  const rawQuery = q < 0 ? '' : req.url.slice(q + 1);
  const headerLines = auth.signedHeaders.map((h) => `${h}:${headerValue(req.headers[h])}`);
  const contentSha = headerValue(req.headers['x-amz-content-sha256']);
  const payloadHash = contentSha !== '' ? contentSha : sha256Hex(req.body);
  const canonicalRequest = [
    req.method.toUpperCase(),
    auth.service === 's3' ? s3CanonicalPath(rawPath) : canonicalPath(rawPath),
    canonicalQuery(rawQuery),
    `${headerLines.join('\n')}\n`,
    auth.signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  return createHmac('sha256', signingKey(secret, auth)).update(stringToSign).digest('hex');
}

export function verifySignature(auth: SigV4Authorization, req: SignedRequest, secret: string): boolean {
  const expected = expectedSignature(auth, req, secret);
  if (expected === undefined) return false;
  // Content-SHA256 claimed by the client must match the body it sent.
  const contentSha = headerValue(req.headers['x-amz-content-sha256']);
  if (contentSha !== '' && contentSha !== 'UNSIGNED-PAYLOAD' && contentSha !== sha256Hex(req.body)) return false;
  return timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(auth.signature, 'hex'));
}
