// SigV4 as S3 checks it: the x-amz-content-sha256 header is required and signed; its value is
// the body's SHA-256, UNSIGNED-PAYLOAD, or one of the STREAMING-* modes, where the body is
// aws-chunked and each chunk carries its own signature chained from the request's. Errors use
// S3's codes and words (S3 API Reference, "Error responses"; "Signature calculations for the
// Authorization header: transferring payload in multiple chunks").
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Caller } from '../contract.js';
import type { CoreContext } from '../context.js';
import { expectedSignature, parseAuthorization, sha256Hex, signingKey, type SigV4Authorization } from '../sigv4.js';
import { S3Error } from './xml.js';

const EMPTY_SHA = sha256Hex('');
const SIGNED_STREAMING = new Set(['STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER']);
const UNSIGNED_STREAMING = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';

export type S3Authenticated = { caller: Caller; body: Buffer } | { error: S3Error; caller?: undefined };

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function signatureMismatch(): S3Error {
  return new S3Error(
    'SignatureDoesNotMatch',
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    403,
  );
}

function hmacHex(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text).digest('hex');
}

function sameHex(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}

interface ChunkSigning {
  key: Buffer;
  amzDate: string;
  scope: string;
  seed: string;
}

/** Decodes an aws-chunked body; with `signing`, checks every chunk's signature against the chain. */
export function decodeChunked(raw: Buffer, signing: ChunkSigning | undefined): Buffer {
  const parts: Buffer[] = [];
  let pos = 0;
  let previous = signing?.seed ?? '';
  for (;;) {
    const eol = raw.indexOf('\r\n', pos);
    if (eol < 0) throw incompleteBody();
    const line = raw.subarray(pos, eol).toString('latin1');
    const [sizeHex, ...exts] = line.split(';');
    if (!/^[0-9a-fA-F]+$/.test(sizeHex ?? '')) throw incompleteBody();
    const size = parseInt(sizeHex!, 16);
    const start = eol + 2;
    if (start + size > raw.length) throw incompleteBody();
    const data = raw.subarray(start, start + size);
    if (signing) {
      const sig = exts.map((e) => /^chunk-signature=([0-9a-f]{64})$/.exec(e.trim())?.[1]).find((x) => x !== undefined);
      if (!sig) throw signatureMismatch();
      const toSign = ['AWS4-HMAC-SHA256-PAYLOAD', signing.amzDate, signing.scope, previous, EMPTY_SHA, sha256Hex(data)].join('\n');
      if (!sameHex(hmacHex(signing.key, toSign), sig)) throw signatureMismatch();
      previous = sig;
    }
    if (size === 0) break; // trailing headers (checksums) follow; the sandbox does not store them
    parts.push(data);
    pos = start + size;
    if (raw.subarray(pos, pos + 2).toString('latin1') !== '\r\n') throw incompleteBody();
    pos += 2;
  }
  return Buffer.concat(parts);
}

function incompleteBody(): S3Error {
  return new S3Error('IncompleteBody', 'The request body terminated unexpectedly', 400);
}

function authorizationMalformed(message: string, extra: Record<string, string> = {}): S3Error {
  return new S3Error('AuthorizationHeaderMalformed', `The authorization header is malformed; ${message}`, 400, extra);
}

/** Identifies the caller of an S3 request and returns the payload it sent (de-chunked). */
export function authenticateS3(ctx: CoreContext, req: { method: string; url: string; headers: IncomingHttpHeaders }, raw: Buffer): S3Authenticated {
  const parsed = parseAuthorization(header(req.headers, 'authorization'));
  if (parsed === undefined) return { error: new S3Error('AccessDenied', 'Access Denied', 403) };
  if (parsed === 'malformed')
    return { error: authorizationMalformed('the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".') };
  const auth: SigV4Authorization = parsed;
  if (auth.region !== ctx.region)
    return { error: authorizationMalformed(`the region '${auth.region}' is wrong; expecting '${ctx.region}'`, { Region: ctx.region }) };
  const token = header(req.headers, 'x-amz-security-token');
  const lookup = ctx.lookupCaller(auth.accessKeyId, token);
  if (!lookup.ok) {
    if (lookup.reason === 'expired') return { error: new S3Error('ExpiredToken', 'The provided token has expired.', 400) };
    if (token !== undefined && token !== '') return { error: new S3Error('InvalidToken', 'The provided token is malformed or otherwise invalid.', 400) };
    return {
      error: new S3Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', 403, { AWSAccessKeyId: auth.accessKeyId }),
    };
  }
  const contentSha = header(req.headers, 'x-amz-content-sha256');
  if (contentSha === undefined || contentSha === '')
    return { error: new S3Error('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256', 400) };
  const expected = expectedSignature(auth, { method: req.method, url: req.url, headers: req.headers, body: raw }, lookup.secret);
  if (expected === undefined || !sameHex(expected, auth.signature)) return { error: signatureMismatch() };

  let body = raw;
  try {
    if (SIGNED_STREAMING.has(contentSha)) {
      const amzDate = header(req.headers, 'x-amz-date') ?? '';
      const signing = {
        key: signingKey(lookup.secret, auth),
        amzDate,
        scope: `${auth.date}/${auth.region}/${auth.service}/aws4_request`,
        seed: auth.signature,
      };
      body = decodeChunked(raw, signing);
    } else if (contentSha === UNSIGNED_STREAMING) body = decodeChunked(raw, undefined);
    else if (contentSha !== 'UNSIGNED-PAYLOAD') {
      if (!/^[0-9a-f]{64}$/.test(contentSha))
        return {
          error: new S3Error(
            'InvalidArgument',
            'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.',
            400,
          ),
        };
      const actual = sha256Hex(raw);
      if (actual !== contentSha)
        return {
          error: new S3Error('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", 400, {
            ClientComputedContentSHA256: contentSha,
            S3ComputedContentSHA256: actual,
          }),
        };
    }
  } catch (err) {
    if (err instanceof S3Error) return { error: err };
    throw err;
  }
  const decodedLength = header(req.headers, 'x-amz-decoded-content-length');
  if (body !== raw && decodedLength !== undefined && Number(decodedLength) !== body.length) return { error: incompleteBody() };
  return { caller: lookup.caller, body };
}
