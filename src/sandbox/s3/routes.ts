// Which S3 operation a path-style request is: the method, whether the path names a bucket or
// an object, and the sub-resource in the query (S3 API Reference, per operation's "Request
// Syntax"). Operations the sandbox does not serve are NotImplemented, never mistaken for another.
import type { S3Operation } from '../../policy/s3/context-keys.js';
import { S3Error } from './xml.js';

export interface S3Target {
  operation: S3Operation;
  bucket?: string | undefined;
  key?: string | undefined;
  query: Record<string, string>;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new S3Error('InvalidURI', "Couldn't parse the specified URI.", 400);
  }
}

export function parseQuery(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const i = pair.indexOf('=');
    const k = decode((i < 0 ? pair : pair.slice(0, i)).replace(/\+/g, ' '));
    out[k] = i < 0 ? '' : decode(pair.slice(i + 1).replace(/\+/g, ' '));
  }
  return out;
}

function notImplemented(): S3Error {
  return new S3Error('NotImplemented', 'A header you provided implies functionality that is not implemented', 501);
}

/** Sub-resources S3 knows that the sandbox does not serve (versions, uploads, tagging, acl, ...). */
const SUBRESOURCES = new Set([
  'acl',
  'analytics',
  'accelerate',
  'attributes',
  'cors',
  'encryption',
  'inventory',
  'intelligent-tiering',
  'legal-hold',
  'lifecycle',
  'location',
  'logging',
  'metrics',
  'notification',
  'object-lock',
  'ownershipControls',
  'policy',
  'policyStatus',
  'publicAccessBlock',
  'replication',
  'requestPayment',
  'restore',
  'retention',
  'select',
  'tagging',
  'torrent',
  'uploadId',
  'uploads',
  'versioning',
  'versions',
  'website',
  'partNumber',
  'versionId',
]);

export function routeS3(method: string, url: string, headers: Record<string, string | string[] | undefined>): S3Target {
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const query = parseQuery(q < 0 ? '' : url.slice(q + 1));
  const trimmed = rawPath.replace(/^\//, '');
  const slash = trimmed.indexOf('/');
  const bucket = decode(slash < 0 ? trimmed : trimmed.slice(0, slash)) || undefined;
  const rawKey = slash < 0 ? '' : trimmed.slice(slash + 1);
  const key = rawKey === '' ? undefined : decode(rawKey);
  const m = method.toUpperCase();
  if (Object.keys(query).some((k) => SUBRESOURCES.has(k))) throw notImplemented();
  if (!bucket) {
    if (m === 'GET') return { operation: 'ListBuckets', query };
    throw new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405);
  }
  if (key === undefined) {
    if (m === 'PUT') return { operation: 'CreateBucket', bucket, query };
    if (m === 'HEAD') return { operation: 'HeadBucket', bucket, query };
    if (m === 'DELETE') return { operation: 'DeleteBucket', bucket, query };
    if (m === 'POST' && 'delete' in query) return { operation: 'DeleteObjects', bucket, query };
    if (m === 'GET' && query['list-type'] === '2') return { operation: 'ListObjectsV2', bucket, query };
    throw notImplemented();
  }
  if (m === 'PUT') {
    if (headers['x-amz-copy-source'] !== undefined) throw notImplemented();
    return { operation: 'PutObject', bucket, key, query };
  }
  if (m === 'GET') return { operation: 'GetObject', bucket, key, query };
  if (m === 'HEAD') return { operation: 'HeadObject', bucket, key, query };
  if (m === 'DELETE') return { operation: 'DeleteObject', bucket, key, query };
  throw new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405);
}
