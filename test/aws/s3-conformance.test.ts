// The S3 adapter (src/aws/s3.ts, the JS SDK) against moto and the sandbox, same cases, in a
// region other than us-east-1 (CreateBucket then needs its LocationConstraint): bucket checks,
// objects in and out of a prefix, a missing key, listing with a prefix and continuation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { Readable } from 'node:stream';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { awsApis, type AwsApis } from '../../src/aws/apis.js';
import { createAwsClients, type AwsClients } from '../../src/aws/clients.js';
import { startSandbox, type SandboxResponse } from '../../src/sandbox/server.js';
import { responseProblems } from '../helpers/botocore-shapes.js';
import { startMoto } from '../helpers/moto.js';

const REGION = 'eu-central-1';

interface Target {
  clients: AwsClients;
  stop(): Promise<void>;
}

function cases(name: string, start: () => Promise<Target>, responses?: SandboxResponse[]): void {
  describe(`S3 adapter conformance: ${name}`, () => {
    let t: Target;
    let s3: AwsApis['s3'];
    beforeAll(async () => {
      t = await start();
      s3 = awsApis(t.clients).s3;
    }, 60_000);
    afterAll(async () => {
      t?.clients.destroy();
      await t?.stop();
    });

    it('createBucket with the region, headBucket true; a missing bucket is false', async () => {
      await s3.createBucket('adapter-files', REGION);
      expect(await s3.headBucket('adapter-files')).toBe(true);
      expect(await s3.headBucket('adapter-missing')).toBe(false);
    });

    it('putObject / getObject / deleteObject; a missing key reads as undefined', async () => {
      const { etag } = await s3.putObject('adapter-files', 'tenants/acme/a.txt', 'hello');
      expect(etag).toBe('"5d41402abc4b2a76b9719d911017c592"');
      expect((await s3.getObject('adapter-files', 'tenants/acme/a.txt'))?.toString()).toBe('hello');
      await s3.deleteObject('adapter-files', 'tenants/acme/a.txt');
      expect(await s3.getObject('adapter-files', 'tenants/acme/a.txt')).toBeUndefined();
    });

    it('a streamed body (the SDK sends it aws-chunked with a trailing checksum) arrives whole', async () => {
      const client = await t.clients.s3();
      const body = Buffer.alloc(200_000, 'z');
      const sent: string[] = [];
      client.middlewareStack.add(
        (next) => async (args) => {
          const h = (args.request as { headers: Record<string, string> }).headers;
          sent.push(`${h['x-amz-content-sha256']} ${h['content-encoding'] ?? ''}`);
          return next(args);
        },
        { step: 'finalizeRequest', name: 'seeHeaders', priority: 'low' },
      );
      await client.send(
        new PutObjectCommand({
          Bucket: 'adapter-files',
          Key: 'tenants/acme/stream',
          Body: Readable.from([body.subarray(0, 70_000), body.subarray(70_000)]),
          ContentLength: body.length,
        }),
      );
      expect(sent[0]).toMatch(/^STREAMING-UNSIGNED-PAYLOAD-TRAILER aws-chunked/);
      expect((await s3.getObject('adapter-files', 'tenants/acme/stream'))?.equals(body)).toBe(true);
      await s3.deleteObject('adapter-files', 'tenants/acme/stream');
    });

    it('listObjects: prefix, delimiter, max-keys and the continuation token', async () => {
      for (const k of ['tenants/acme/1', 'tenants/acme/2', 'tenants/acme/sub/3', 'tenants/beta/1']) await s3.putObject('adapter-files', k, 'x');
      const top = await s3.listObjects({ bucket: 'adapter-files', prefix: 'tenants/', delimiter: '/' });
      expect(top).toEqual({ keys: [], commonPrefixes: ['tenants/acme/', 'tenants/beta/'], nextToken: undefined });
      const first = await s3.listObjects({ bucket: 'adapter-files', prefix: 'tenants/acme/', maxKeys: 2 });
      expect(first.keys).toEqual(['tenants/acme/1', 'tenants/acme/2']);
      expect(first.nextToken).toBeDefined();
      const rest = await s3.listObjects({ bucket: 'adapter-files', prefix: 'tenants/acme/', maxKeys: 2, continuationToken: first.nextToken });
      expect(rest).toEqual({ keys: ['tenants/acme/sub/3'], commonPrefixes: [], nextToken: undefined });
    });

    if (responses)
      it("every answer of the run fits botocore's S3 model (element names of the output shapes, error documents)", () => {
        expect(new Set(responses.map((r) => r.operation))).toEqual(
          new Set(
            ['CreateBucket', 'HeadBucket', 'PutObject', 'GetObject', 'HeadObject', 'DeleteObject', 'ListObjectsV2', 'DeleteObjects'].filter((op) =>
              responses.some((r) => r.operation === op),
            ),
          ),
        );
        expect(responses.some((r) => r.operation === 'ListObjectsV2')).toBe(true);
        expect(responses.flatMap((r) => responseProblems(r))).toEqual([]);
      });
  });
}

cases('moto', async () => {
  const moto = await startMoto({ region: REGION });
  return { clients: createAwsClients({ region: REGION, endpoint: moto.endpoint, credentials: moto.credentials, maxAttempts: 2 }), stop: () => moto.stop() };
});

const sandboxResponses: SandboxResponse[] = [];
cases(
  'sandbox',
  async () => {
    const sb = await startSandbox({ stateDir: mkdtempSync(join(tmpdir(), 'isoctl-s3a-')), region: REGION, onResponse: (r) => sandboxResponses.push(r) });
    return { clients: createAwsClients({ region: REGION, endpoint: sb.endpoint, credentials: sb.credentials, maxAttempts: 2 }), stop: () => sb.close() };
  },
  sandboxResponses,
);
