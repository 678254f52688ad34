// What IAM sees of an S3 request: for each authorisation the request needs, the action, the
// resource ARN (arn:aws:s3:::bucket for bucket operations, arn:aws:s3:::bucket/key for objects)
// and the condition keys S3 derives from the request. Pure: no I/O.
//
// Sources (AWS Service Authorization Reference, "Actions, resources, and condition keys for
// Amazon S3"; S3 User Guide, "Required permissions for Amazon S3 API operations"):
//   - ListObjectsV2 is authorised as s3:ListBucket on the bucket, with s3:prefix, s3:delimiter
//     and s3:max-keys taken from the request's parameters (present only when the request has
//     the parameter; an empty `prefix=` is the empty string, which is how a root listing is
//     granted or refused).
//   - HeadBucket needs s3:ListBucket; GetObject and HeadObject need s3:GetObject.
//   - DeleteObjects is authorised per key as s3:DeleteObject; a denied key is reported in the
//     response's Error list, the others are deleted.
import type { ContextValue } from '../types.js';

export type S3Operation =
  | 'ListBuckets'
  | 'CreateBucket'
  | 'HeadBucket'
  | 'DeleteBucket'
  | 'ListObjectsV2'
  | 'DeleteObjects'
  | 'PutObject'
  | 'GetObject'
  | 'HeadObject'
  | 'DeleteObject';

export interface S3RequestFacts {
  operation: S3Operation;
  bucket?: string | undefined;
  key?: string | undefined;
  /** Decoded query parameters (prefix, delimiter, max-keys, ...). */
  query: Record<string, string>;
  /** Lower-case request headers. */
  headers: Record<string, string | undefined>;
  /** DeleteObjects: the keys named in the body. */
  keys?: string[] | undefined;
}

export interface S3AuthorizationCheck {
  action: string;
  resource: string;
  /** Request-derived condition keys only; principal keys are added by the authoriser. */
  context: Record<string, ContextValue>;
  /** The object key the check is about (DeleteObjects reports denials per key). */
  key?: string | undefined;
}

export function s3BucketArn(bucket: string): string {
  return `arn:aws:s3:::${bucket}`;
}

export function s3ObjectArn(bucket: string, key: string): string {
  return `arn:aws:s3:::${bucket}/${key}`;
}

/** Keys every S3 request carries (SigV4 in the Authorization header). */
function commonKeys(facts: S3RequestFacts): Record<string, ContextValue> {
  const ctx: Record<string, ContextValue> = { 's3:authType': 'REST-HEADER', 's3:signatureversion': 'AWS4-HMAC-SHA256' };
  const sha = facts.headers['x-amz-content-sha256'];
  if (sha !== undefined) ctx['s3:x-amz-content-sha256'] = sha;
  return ctx;
}

/** Keys S3 takes from PutObject's headers. */
function putKeys(headers: S3RequestFacts['headers']): Record<string, ContextValue> {
  const ctx: Record<string, ContextValue> = {};
  for (const h of ['x-amz-acl', 'x-amz-server-side-encryption', 'x-amz-server-side-encryption-aws-kms-key-id', 'x-amz-storage-class']) {
    const v = headers[h];
    if (v !== undefined) ctx[`s3:${h}`] = v;
  }
  return ctx;
}

/** The authorisations `facts` needs, in the order S3 checks them. */
export function s3AuthorizationChecks(facts: S3RequestFacts): S3AuthorizationCheck[] {
  const common = commonKeys(facts);
  const bucket = facts.bucket ?? '';
  const object = (action: string, key: string, extra: Record<string, ContextValue> = {}): S3AuthorizationCheck => ({
    action,
    resource: s3ObjectArn(bucket, key),
    context: { ...common, ...extra },
    key,
  });
  switch (facts.operation) {
    case 'ListBuckets':
      return [{ action: 's3:ListAllMyBuckets', resource: '*', context: common }];
    case 'CreateBucket':
      return [{ action: 's3:CreateBucket', resource: s3BucketArn(bucket), context: common }];
    case 'DeleteBucket':
      return [{ action: 's3:DeleteBucket', resource: s3BucketArn(bucket), context: common }];
    case 'HeadBucket':
      return [{ action: 's3:ListBucket', resource: s3BucketArn(bucket), context: common }];
    case 'ListObjectsV2': {
      const context: Record<string, ContextValue> = { ...common };
      for (const [param, key] of [
        ['prefix', 's3:prefix'],
        ['delimiter', 's3:delimiter'],
        ['max-keys', 's3:max-keys'],
      ] as const) {
        const v = facts.query[param];
        if (v !== undefined) context[key] = v;
      }
      return [{ action: 's3:ListBucket', resource: s3BucketArn(bucket), context }];
    }
    case 'DeleteObjects':
      return (facts.keys ?? []).map((k) => object('s3:DeleteObject', k));
    case 'PutObject':
      return [object('s3:PutObject', facts.key ?? '', putKeys(facts.headers))];
    case 'GetObject':
    case 'HeadObject':
      return [object('s3:GetObject', facts.key ?? '')];
    case 'DeleteObject':
      return [object('s3:DeleteObject', facts.key ?? '')];
  }
}
