// S3 shapes, the same cases against moto and the sandbox, through the AWS CLI's s3api: every
// answer must parse, and both targets must give the same fields and error codes. moto is the
// independent reference for S3's shapes (issue 14); the cases assert AWS's documented answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { startMoto, type MotoServer } from '../../helpers/moto.js';
import { sandbox } from '../core/helpers.js';
import type { RunningSandbox } from '../../../src/sandbox/server.js';
import { AwsCli, file, scratch, type AwsResult, type Creds } from './awscli.js';

interface Target {
  endpoint: string;
  credentials: Creds;
  stop(): Promise<void>;
}

/** Known ways a target differs from AWS; the case asserts the target's actual answer for it. */
type Difference =
  /** DeleteObjects with Quiet lists the deleted keys too. */
  | 'quietDeleteListsDeleted'
  /** CreateBucket accepts names outside S3's naming rules. */
  | 'acceptsInvalidBucketName'
  /** ListObjectsV2 does not echo ContinuationToken. */
  | 'omitsContinuationToken';

function cases(name: string, start: () => Promise<Target>, differences: Set<Difference>): void {
  describe(`S3 conformance (AWS CLI s3api): ${name}`, () => {
    let t: Target;
    const cli = new AwsCli();
    const s3 = (...args: string[]): Promise<AwsResult> => cli.run(t.endpoint, t.credentials, ['s3api', ...args]);
    const ok = async (...args: string[]) => {
      const r = await s3(...args);
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0);
      return r.json;
    };
    const bucket = `conf-${name}`;
    beforeAll(async () => {
      t = await start();
    }, 60_000);
    afterAll(async () => {
      cli.close();
      await t?.stop();
    });

    it('CreateBucket, HeadBucket; errors NoSuchBucket (404) and a HEAD 404 without a body', async () => {
      expect(await ok('create-bucket', '--bucket', bucket)).toEqual({ Location: `/${bucket}` });
      expect(await ok('head-bucket', '--bucket', bucket)).toMatchObject({ BucketRegion: 'us-east-1' });
      const missing = await s3('head-bucket', '--bucket', 'no-such-bucket-here');
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toContain('An error occurred (404) when calling the HeadBucket operation: Not Found');
      const put = await s3('put-object', '--bucket', 'no-such-bucket-here', '--key', 'k', '--body', file('one', 'x'));
      expect(put.stderr).toContain('(NoSuchBucket) when calling the PutObject operation: The specified bucket does not exist');
      const bad = await s3('create-bucket', '--bucket', 'Bad_Name');
      if (differences.has('acceptsInvalidBucketName')) expect(bad.code).toBe(0);
      else expect(bad.stderr).toContain('(InvalidBucketName) when calling the CreateBucket operation: The specified bucket is not valid.');
    });

    it('PutObject, HeadObject, GetObject (metadata, content type, range), NoSuchKey', async () => {
      const put = await ok(
        'put-object',
        '--bucket',
        bucket,
        '--key',
        'acme/doc one.txt',
        '--body',
        file('doc', 'hello world'),
        '--content-type',
        'text/plain',
        '--metadata',
        'owner=acme',
      );
      expect(put.ETag).toBe('"5eb63bbbe01eeed093cb22bb8f5acdc3"');
      const head = await ok('head-object', '--bucket', bucket, '--key', 'acme/doc one.txt');
      expect(head).toMatchObject({ ContentLength: 11, ETag: put.ETag, ContentType: 'text/plain', Metadata: { owner: 'acme' } });
      expect(typeof head.LastModified).toBe('string');
      const out = join(scratch, `got-${name}`);
      const got = await ok('get-object', '--bucket', bucket, '--key', 'acme/doc one.txt', out);
      expect(got).toMatchObject({ ContentLength: 11, ETag: put.ETag, ContentType: 'text/plain', Metadata: { owner: 'acme' } });
      expect(readFileSync(out, 'utf8')).toBe('hello world');
      const ranged = await ok('get-object', '--bucket', bucket, '--key', 'acme/doc one.txt', '--range', 'bytes=6-', out);
      expect(ranged).toMatchObject({ ContentLength: 5, ContentRange: 'bytes 6-10/11' });
      expect(readFileSync(out, 'utf8')).toBe('world');
      const missing = await s3('get-object', '--bucket', bucket, '--key', 'acme/none', out);
      expect(missing.stderr).toContain('(NoSuchKey) when calling the GetObject operation: The specified key does not exist.');
      const headMissing = await s3('head-object', '--bucket', bucket, '--key', 'acme/none');
      expect(headMissing.stderr).toContain('An error occurred (404) when calling the HeadObject operation: Not Found');
    });

    it('ListObjectsV2: prefix, delimiter, max-keys and continuation, URL-encoded names decoded by the CLI', async () => {
      for (const key of ['acme/a.txt', 'acme/b/1.txt', 'acme/b/2.txt', 'acme/c d.txt', 'beta/x.txt', 'root.txt'])
        await ok('put-object', '--bucket', bucket, '--key', key, '--body', file('small', 'x'));
      const top = await ok('list-objects-v2', '--bucket', bucket, '--delimiter', '/', '--no-paginate');
      expect(top.Contents.map((c: { Key: string }) => c.Key)).toEqual(['root.txt']);
      expect(top.CommonPrefixes).toEqual([{ Prefix: 'acme/' }, { Prefix: 'beta/' }]);
      expect(top).toMatchObject({ Name: bucket, Prefix: '', Delimiter: '/', MaxKeys: 1000, KeyCount: 3, IsTruncated: false });

      const acme = await ok('list-objects-v2', '--bucket', bucket, '--prefix', 'acme/', '--delimiter', '/', '--no-paginate');
      expect(acme.Contents.map((c: { Key: string }) => c.Key)).toEqual(['acme/a.txt', 'acme/c d.txt', 'acme/doc one.txt']);
      expect(acme.CommonPrefixes).toEqual([{ Prefix: 'acme/b/' }]);
      expect(acme.Contents[0]).toMatchObject({ Size: 1, StorageClass: 'STANDARD', ETag: '"9dd4e461268c8034f5c8564e155c67a6"' });

      const page1 = await ok('list-objects-v2', '--bucket', bucket, '--prefix', 'acme/', '--max-keys', '2', '--no-paginate');
      expect(page1).toMatchObject({ IsTruncated: true, KeyCount: 2, MaxKeys: 2 });
      expect(page1.Contents.map((c: { Key: string }) => c.Key)).toEqual(['acme/a.txt', 'acme/b/1.txt']);
      const page2 = await ok(
        'list-objects-v2',
        '--bucket',
        bucket,
        '--prefix',
        'acme/',
        '--max-keys',
        '2',
        '--no-paginate',
        '--continuation-token',
        page1.NextContinuationToken,
      );
      if (differences.has('omitsContinuationToken')) expect(page2.ContinuationToken).toBeUndefined();
      else expect(page2.ContinuationToken).toBe(page1.NextContinuationToken);
      expect(page2.Contents.map((c: { Key: string }) => c.Key)).toEqual(['acme/b/2.txt', 'acme/c d.txt']);
      const page3 = await ok(
        'list-objects-v2',
        '--bucket',
        bucket,
        '--prefix',
        'acme/',
        '--max-keys',
        '2',
        '--no-paginate',
        '--continuation-token',
        page2.NextContinuationToken,
      );
      expect(page3).toMatchObject({ IsTruncated: false, KeyCount: 1 });
      expect(page3.NextContinuationToken).toBeUndefined();
      // The CLI's own paginator walks the same tokens.
      const all = await ok('list-objects-v2', '--bucket', bucket, '--prefix', 'acme/', '--page-size', '2');
      expect(all.Contents).toHaveLength(5);
    });

    it('DeleteObject (204, also for a missing key) and DeleteObjects (Deleted list; Quiet lists none)', async () => {
      expect(await ok('delete-object', '--bucket', bucket, '--key', 'root.txt')).toBeUndefined();
      expect(await ok('delete-object', '--bucket', bucket, '--key', 'never-there')).toBeUndefined();
      const res = await ok('delete-objects', '--bucket', bucket, '--delete', 'Objects=[{Key=acme/a.txt},{Key=acme/missing}]');
      expect(res.Deleted).toEqual([{ Key: 'acme/a.txt' }, { Key: 'acme/missing' }]);
      expect(res.Errors).toBeUndefined();
      const quiet = await ok('delete-objects', '--bucket', bucket, '--delete', 'Objects=[{Key=acme/b/1.txt}],Quiet=true');
      // AWS: "In quiet mode the response includes only keys where the delete action encountered an error."
      if (differences.has('quietDeleteListsDeleted')) expect(quiet?.Deleted).toEqual([{ Key: 'acme/b/1.txt' }]);
      else expect(quiet?.Deleted).toBeUndefined();
      const left = await ok('list-objects-v2', '--bucket', bucket, '--prefix', 'acme/b/');
      expect(left.Contents.map((c: { Key: string }) => c.Key)).toEqual(['acme/b/2.txt']);
    });
  });
}

cases(
  'moto',
  async () => {
    const moto: MotoServer = await startMoto({ region: 'us-east-1' });
    return { endpoint: moto.endpoint, credentials: moto.credentials, stop: () => moto.stop() };
  },
  new Set<Difference>(['quietDeleteListsDeleted', 'acceptsInvalidBucketName', 'omitsContinuationToken']),
);

cases(
  'sandbox',
  async () => {
    const sb: RunningSandbox = await sandbox();
    return { endpoint: sb.endpoint, credentials: sb.credentials, stop: () => sb.close() };
  },
  new Set<Difference>(),
);
