// How isoctl sorts the actions of a scope into statements: which DynamoDB actions touch items
// (and so carry dynamodb:LeadingKeys), which read and which write, and which S3 actions act on
// objects under a prefix or list a bucket.

/** DynamoDB item reads: every request names the partition keys it reads. */
export const DDB_ITEM_READ = new Set(['getitem', 'batchgetitem', 'query', 'partiqlselect']);
/** DynamoDB item writes: every request names the partition keys it writes. */
export const DDB_ITEM_WRITE = new Set([
  'putitem',
  'updateitem',
  'deleteitem',
  'batchwriteitem',
  'conditioncheckitem',
  'partiqlinsert',
  'partiqlupdate',
  'partiqldelete',
]);
/** Scan reads every partition: it can never be limited by dynamodb:LeadingKeys. */
export const DDB_SCAN = 'scan';
/** Actions that read an index (and so need the index ARN as a resource). */
export const DDB_INDEX_READ = new Set(['query', 'scan', 'partiqlselect']);

export type DynamoActionKind = 'read' | 'write' | 'scan' | 'table';
export type S3ActionKind = 'object-read' | 'object-write' | 'list' | 'bucket';

export function serviceOf(action: string): string {
  const i = action.indexOf(':');
  return i < 0 ? '' : action.slice(0, i).toLowerCase();
}

export function nameOf(action: string): string {
  const i = action.indexOf(':');
  return i < 0 ? action : action.slice(i + 1);
}

export function dynamoActionKind(action: string): DynamoActionKind {
  const n = nameOf(action).toLowerCase();
  if (DDB_ITEM_READ.has(n)) return 'read';
  if (DDB_ITEM_WRITE.has(n)) return 'write';
  if (n === DDB_SCAN) return 'scan';
  return 'table';
}

export function s3ActionKind(action: string): S3ActionKind {
  const n = nameOf(action);
  if (/^ListBucket/.test(n)) return 'list';
  if (/Object|MultipartUpload/.test(n)) return /^(Get|List)/.test(n) ? 'object-read' : 'object-write';
  return 'bucket';
}

/** Write actions a probe tries against a read-only scope. */
export const DDB_WRITE_PROBES = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];
export const S3_WRITE_PROBES = ['s3:PutObject', 's3:DeleteObject'];

export function uniqueSorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}
