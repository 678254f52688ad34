// The sandbox's S3: path-style REST-XML on the shared endpoint, for the operations isoctl's
// tenant prefixes need. Shapes follow the S3 API Reference; every call by a role session is
// authorised with isoctl's policy engine (authorize.ts) before it touches a bucket.
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { s3AuthorizationChecks } from '../../policy/s3/context-keys.js';
import type { Caller, SandboxContext } from '../contract.js';
import type { DecisionSink } from '../dynamodb/authorize.js';
import { decide } from './authorize.js';
import { listObjectsV2 } from './list.js';
import type { S3Target } from './routes.js';
import { S3Store, type BucketMeta, type ObjectMeta } from './store.js';
import { S3Error, parseDeleteBody, parseLocationConstraint, xmlDocument } from './xml.js';

export interface S3Answer {
  status: number;
  headers: Record<string, string>;
  body?: Buffer | string;
}

export interface S3Call {
  target: S3Target;
  headers: IncomingHttpHeaders;
  /** The payload, de-chunked. */
  body: Buffer;
}

const MUTATING = new Set(['CreateBucket', 'DeleteBucket', 'PutObject', 'DeleteObject', 'DeleteObjects']);

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function flatHeaders(headers: IncomingHttpHeaders): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = Array.isArray(v) ? v.join(',') : v;
  return out;
}

/** Bucket naming rules (S3 User Guide, "General purpose bucket naming rules"). */
export function validBucketName(name: string): boolean {
  return (
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) &&
    !name.includes('..') &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(name) &&
    !name.startsWith('xn--') &&
    !name.startsWith('sthree-') &&
    !name.endsWith('-s3alias') &&
    !name.endsWith('--ol-s3')
  );
}

function noSuchBucket(bucket: string): S3Error {
  return new S3Error('NoSuchBucket', 'The specified bucket does not exist', 404, { BucketName: bucket });
}

function objectHeaders(meta: ObjectMeta): Record<string, string> {
  const h: Record<string, string> = {
    'Content-Type': meta.contentType,
    ETag: meta.etag,
    'Last-Modified': new Date(meta.lastModified).toUTCString(),
    'Accept-Ranges': 'bytes',
  };
  for (const [k, v] of Object.entries(meta.metadata)) h[`x-amz-meta-${k}`] = v;
  return h;
}

/** bytes=a-b, bytes=a-, bytes=-n (one range); undefined when absent or not satisfiable as one range. */
function byteRange(spec: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const m = spec === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(spec.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  if (start >= size) return 'unsatisfiable';
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  return end < start ? undefined : { start, end };
}

export class S3Service {
  private readonly store: S3Store;

  constructor(
    private readonly ctx: SandboxContext,
    private readonly opts: { dataDir: string; onDecision?: DecisionSink | undefined },
  ) {
    this.store = new S3Store(ctx, opts.dataDir);
  }

  isMutating(operation: string): boolean {
    return MUTATING.has(operation);
  }

  async handle(call: S3Call, caller: Caller): Promise<S3Answer> {
    const { target } = call;
    const keys = target.operation === 'DeleteObjects' ? parseDeleteBody(call.body.toString('utf8')) : undefined;
    const checks = s3AuthorizationChecks({ ...target, headers: flatHeaders(call.headers), keys: keys?.keys });
    const decisions = decide(caller, checks, this.ctx, this.opts.onDecision);
    if (target.operation !== 'DeleteObjects') {
      const denied = decisions.find((d) => d !== undefined);
      if (denied) throw denied;
    }
    const bucketName = target.bucket ?? '';
    switch (target.operation) {
      case 'ListBuckets':
        return this.listBuckets();
      case 'CreateBucket':
        return this.createBucket(bucketName, call.body);
      default:
        break;
    }
    const bucket = this.store.bucket(bucketName);
    if (!bucket) throw noSuchBucket(bucketName);
    const key = target.key ?? '';
    switch (target.operation) {
      case 'HeadBucket':
        return { status: 200, headers: { 'x-amz-bucket-region': bucket.region } };
      case 'DeleteBucket':
        if (Object.keys(bucket.objects).length > 0)
          throw new S3Error('BucketNotEmpty', 'The bucket you tried to delete is not empty', 409, { BucketName: bucketName });
        this.store.deleteBucket(bucketName);
        return { status: 204, headers: {} };
      case 'ListObjectsV2':
        return { status: 200, headers: { 'Content-Type': 'application/xml' }, body: listObjectsV2(bucketName, bucket, target.query) };
      case 'DeleteObjects':
        return this.deleteObjects(call, bucket, keys!, decisions);
      case 'PutObject':
        return this.putObject(call, bucket, key);
      case 'GetObject':
      case 'HeadObject':
        return this.getObject(call, bucket, key, target.operation === 'HeadObject', caller);
      case 'DeleteObject':
        this.store.delete(bucket, key);
        return { status: 204, headers: {} };
    }
  }

  private listBuckets(): S3Answer {
    const buckets = this.store.bucketNames().map((name) => ({
      Name: name,
      CreationDate: new Date(this.store.bucket(name)!.createdAt).toISOString(),
    }));
    const body = xmlDocument('ListAllMyBucketsResult', {
      Owner: { ID: createHash('sha256').update(this.ctx.accountId).digest('hex'), DisplayName: 'sandbox' },
      Buckets: { Bucket: buckets },
    });
    return { status: 200, headers: { 'Content-Type': 'application/xml' }, body };
  }

  private createBucket(name: string, body: Buffer): S3Answer {
    if (!validBucketName(name)) throw new S3Error('InvalidBucketName', 'The specified bucket is not valid.', 400, { BucketName: name });
    const constraint = parseLocationConstraint(body.toString('utf8'));
    const region = this.ctx.region;
    if (constraint === '' && region !== 'us-east-1')
      throw new S3Error(
        'IllegalLocationConstraintException',
        'The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.',
        400,
      );
    if (constraint !== '' && constraint !== region)
      throw new S3Error(
        'IllegalLocationConstraintException',
        `The ${constraint} location constraint is incompatible for the region specific endpoint this request was sent to.`,
        400,
      );
    if (this.store.bucket(name)) {
      // us-east-1 answers 200 to the owner re-creating its bucket; every other Region, 409 (CreateBucket, "Errors").
      if (region !== 'us-east-1')
        throw new S3Error('BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', 409, {
          BucketName: name,
        });
      return { status: 200, headers: { Location: `/${name}` } };
    }
    this.store.createBucket(name, region);
    return { status: 200, headers: { Location: `/${name}` } };
  }

  private putObject(call: S3Call, bucket: BucketMeta, key: string): S3Answer {
    if (Buffer.byteLength(key) > 1024) throw new S3Error('KeyTooLongError', 'Your key is too long', 400);
    const md5 = header(call.headers, 'content-md5');
    if (md5 !== undefined && createHash('md5').update(call.body).digest('base64') !== md5)
      throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.', 400);
    const metadata: Record<string, string> = {};
    for (const [k, v] of Object.entries(call.headers)) if (k.startsWith('x-amz-meta-') && typeof v === 'string') metadata[k.slice(11)] = v;
    const meta = this.store.put(bucket, key, call.body, header(call.headers, 'content-type') ?? 'binary/octet-stream', metadata);
    return { status: 200, headers: { ETag: meta.etag } };
  }

  private getObject(call: S3Call, bucket: BucketMeta, key: string, head: boolean, caller: Caller): S3Answer {
    const meta = this.store.object(bucket, key);
    const data = meta ? this.store.read(meta) : undefined;
    if (!meta || !data) {
      // GetObject/HeadObject: a missing key is 404 only to callers allowed s3:ListBucket on the
      // bucket; to others it is 403, so existence does not leak (S3 API Reference, GetObject, "Permissions").
      const list = s3AuthorizationChecks({ operation: 'HeadBucket', bucket: call.target.bucket, query: {}, headers: flatHeaders(call.headers) });
      const denied = decide(caller, list, this.ctx, this.opts.onDecision)[0];
      if (denied) throw denied;
      throw new S3Error('NoSuchKey', 'The specified key does not exist.', 404, { Key: key });
    }
    const headers = objectHeaders(meta);
    const range = head ? undefined : byteRange(header(call.headers, 'range'), data.length);
    if (range === 'unsatisfiable')
      throw new S3Error('InvalidRange', 'The requested range is not satisfiable', 416, {
        RangeRequested: header(call.headers, 'range') ?? '',
        ActualObjectSize: String(data.length),
      });
    if (range) {
      headers['Content-Range'] = `bytes ${range.start}-${range.end}/${data.length}`;
      return { status: 206, headers, body: data.subarray(range.start, range.end + 1) };
    }
    if (head) return { status: 200, headers: { ...headers, 'Content-Length': String(data.length) } };
    return { status: 200, headers, body: data };
  }

  private deleteObjects(call: S3Call, bucket: BucketMeta, parsed: { keys: string[]; quiet: boolean }, decisions: Array<S3Error | undefined>): S3Answer {
    if (header(call.headers, 'content-md5') === undefined && !Object.keys(call.headers).some((h) => h.startsWith('x-amz-checksum-')))
      throw new S3Error('InvalidRequest', 'Missing required header for this request: Content-MD5', 400);
    const deleted: Array<{ Key: string }> = [];
    const errors: Array<{ Key: string; Code: string; Message: string }> = [];
    parsed.keys.forEach((key, i) => {
      const denied = decisions[i];
      if (denied) errors.push({ Key: key, Code: 'AccessDenied', Message: 'Access Denied' });
      else {
        this.store.delete(bucket, key);
        deleted.push({ Key: key });
      }
    });
    const body = xmlDocument('DeleteResult', { Deleted: parsed.quiet ? undefined : deleted, Error: errors });
    return { status: 200, headers: { 'Content-Type': 'application/xml' }, body };
  }
}
