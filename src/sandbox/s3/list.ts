// ListObjectsV2 (S3 API Reference, "ListObjectsV2"): keys in UTF-8 binary order, filtered by
// prefix, rolled up into CommonPrefixes at the first delimiter after the prefix, at most
// max-keys entries (keys plus common prefixes, capped at 1,000), resumed from an opaque
// continuation token or after start-after; with encoding-type=url, names are URL-encoded.
import type { BucketMeta } from './store.js';
import { S3Error, xmlDocument, type XmlElement } from './xml.js';

function utf8Order(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** The token names the last key or common prefix returned; it is opaque to clients. */
function encodeToken(last: string): string {
  return Buffer.from(JSON.stringify({ after: last })).toString('base64');
}

function decodeToken(token: string): string {
  try {
    const doc = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { after?: unknown };
    if (typeof doc.after === 'string') return doc.after;
  } catch {
    /* fall through */
  }
  throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', 400, { ArgumentName: 'continuation-token' });
}

function maxKeysOf(text: string | undefined): number {
  if (text === undefined) return 1000;
  if (!/^\d{1,10}$/.test(text) || Number(text) > 2147483647)
    throw new S3Error('InvalidArgument', 'Provided max-keys not an integer or within integer range', 400, { ArgumentName: 'max-keys', ArgumentValue: text });
  return Number(text);
}

export function listObjectsV2(bucketName: string, bucket: BucketMeta, query: Record<string, string>): string {
  const prefix = query.prefix ?? '';
  const delimiter = query.delimiter ?? '';
  const requestedMax = maxKeysOf(query['max-keys']);
  const maxKeys = Math.min(requestedMax, 1000);
  const encoding = query['encoding-type'];
  if (encoding !== undefined && encoding !== 'url')
    throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', 400, { ArgumentName: 'encoding-type', ArgumentValue: encoding });
  const token = query['continuation-token'];
  const after = token !== undefined ? decodeToken(token) : query['start-after'];
  const enc = (s: string) => (encoding === 'url' ? encodeURIComponent(s).replace(/%2F/g, '/') : s);

  const keys = Object.keys(bucket.objects)
    .filter((k) => k.startsWith(prefix))
    .sort(utf8Order);
  const contents: XmlElement[] = [];
  const commonPrefixes: string[] = [];
  let last: string | undefined;
  let truncated = false;
  for (const key of keys) {
    if (after !== undefined && after !== '' && utf8Order(key, after) <= 0) continue;
    // A token that stopped at a common prefix skips every key under it.
    if (after !== undefined && delimiter !== '' && after.endsWith(delimiter) && key.startsWith(after)) continue;
    const cut = delimiter === '' ? -1 : key.indexOf(delimiter, prefix.length);
    const entry = cut < 0 ? key : key.slice(0, cut + delimiter.length);
    if (cut >= 0 && commonPrefixes[commonPrefixes.length - 1] === entry) continue;
    if (contents.length + commonPrefixes.length >= maxKeys) {
      truncated = maxKeys > 0;
      break;
    }
    if (cut >= 0) commonPrefixes.push(entry);
    else {
      const meta = bucket.objects[key]!;
      contents.push({
        Key: enc(key),
        LastModified: new Date(meta.lastModified).toISOString(),
        ETag: meta.etag,
        Size: meta.size,
        StorageClass: 'STANDARD',
      });
    }
    last = entry;
  }
  return xmlDocument('ListBucketResult', {
    Name: bucketName,
    Prefix: enc(prefix),
    Delimiter: delimiter !== '' ? enc(delimiter) : undefined,
    MaxKeys: requestedMax,
    EncodingType: encoding,
    KeyCount: contents.length + commonPrefixes.length,
    IsTruncated: truncated,
    ContinuationToken: token,
    NextContinuationToken: truncated && last !== undefined ? encodeToken(last) : undefined,
    StartAfter: query['start-after'] !== undefined ? enc(query['start-after']) : undefined,
    Contents: contents,
    CommonPrefixes: commonPrefixes.map((p) => ({ Prefix: enc(p) })),
  });
}
