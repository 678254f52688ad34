// S3, narrowed to isoctl's needs: the probe's object reads, writes and listings in a tenant's
// prefix, made with the tenant's temporary credentials, and bucket checks. Path-style when an
// endpoint is set (clients.ts): sandboxes and emulators do not serve bucket subdomains.
import type { S3Client } from '@aws-sdk/client-s3';
import type { AwsClients } from './clients.js';
import { AwsCallError } from './errors.js';
import { call } from './call.js';

export interface ListObjectsInput {
  bucket: string;
  prefix?: string | undefined;
  delimiter?: string | undefined;
  maxKeys?: number | undefined;
  continuationToken?: string | undefined;
}

export interface ListObjectsPage {
  keys: string[];
  commonPrefixes: string[];
  nextToken: string | undefined;
}

export interface S3Api {
  /** false when the bucket does not exist (404). */
  headBucket(bucket: string): Promise<boolean>;
  createBucket(bucket: string, region: string): Promise<void>;
  putObject(bucket: string, key: string, body: string, contentType?: string): Promise<{ etag: string }>;
  /** The object's bytes, or undefined when there is no such key. */
  getObject(bucket: string, key: string): Promise<Buffer | undefined>;
  deleteObject(bucket: string, key: string): Promise<void>;
  listObjects(input: ListObjectsInput): Promise<ListObjectsPage>;
}

/** S3's not-found answers: NoSuchKey / NoSuchBucket documents, or a bare 404 for HEAD. */
function isMissing(err: unknown): boolean {
  return err instanceof AwsCallError && (err.awsCode === 'NoSuchKey' || err.awsCode === 'NotFound' || err.awsCode === 'NoSuchBucket' || err.httpStatus === 404);
}

export function s3Api(clients: AwsClients): S3Api {
  type Sdk = typeof import('@aws-sdk/client-s3');
  let sdkP: Promise<[Sdk, S3Client]> | undefined;
  const sdk = () => (sdkP ??= Promise.all([import('@aws-sdk/client-s3'), clients.s3()]));
  const run = async <T>(operation: string, fn: (m: Sdk, c: S3Client) => Promise<T>): Promise<T> => {
    const [m, c] = await sdk();
    return call('s3', operation, () => fn(m, c));
  };
  return {
    async headBucket(bucket) {
      try {
        await run('HeadBucket', (m, c) => c.send(new m.HeadBucketCommand({ Bucket: bucket })));
        return true;
      } catch (err) {
        if (isMissing(err)) return false;
        throw err;
      }
    },
    async createBucket(bucket, region) {
      await run('CreateBucket', (m, c) =>
        c.send(
          new m.CreateBucketCommand({
            Bucket: bucket,
            ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as never } }),
          }),
        ),
      );
    },
    async putObject(bucket, key, body, contentType = 'text/plain') {
      const out = await run('PutObject', (m, c) => c.send(new m.PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType })));
      return { etag: out.ETag ?? '' };
    },
    async getObject(bucket, key) {
      try {
        return await run('GetObject', async (m, c) => {
          const out = await c.send(new m.GetObjectCommand({ Bucket: bucket, Key: key }));
          return Buffer.from((await out.Body?.transformToByteArray()) ?? new Uint8Array());
        });
      } catch (err) {
        if (isMissing(err) && (err as AwsCallError).awsCode !== 'NoSuchBucket') return undefined;
        throw err;
      }
    },
    async deleteObject(bucket, key) {
      await run('DeleteObject', (m, c) => c.send(new m.DeleteObjectCommand({ Bucket: bucket, Key: key })));
    },
    async listObjects(input) {
      const out = await run('ListObjectsV2', (m, c) =>
        c.send(
          new m.ListObjectsV2Command({
            Bucket: input.bucket,
            Prefix: input.prefix,
            Delimiter: input.delimiter,
            MaxKeys: input.maxKeys,
            ContinuationToken: input.continuationToken,
          }),
        ),
      );
      return {
        keys: (out.Contents ?? []).map((o) => o.Key ?? ''),
        commonPrefixes: (out.CommonPrefixes ?? []).map((p) => p.Prefix ?? ''),
        nextToken: out.IsTruncated ? out.NextContinuationToken : undefined,
      };
    },
  };
}
