// S3 objects survive the server: every acknowledged PutObject / DeleteObject is there after a
// SIGKILL of `isoctl sandbox serve` and a restart on the same state dir (bytes on disk first,
// then the metadata, saved before the answer).
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { awsApis } from '../../../src/aws/apis.js';
import { createAwsClients } from '../../../src/aws/clients.js';
import { baseEnv, binPath, repoRoot } from '../../helpers/cli.js';
import { tempStateDir } from '../core/helpers.js';

const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

interface Served {
  child: ChildProcessWithoutNullStreams;
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

function serve(dir: string): Promise<Served> {
  return new Promise((resolveServe, reject) => {
    const child = spawn(process.execPath, [binPath, '--json', 'sandbox', 'serve', '--port', '0', '--state-dir', dir], { cwd: repoRoot, env: baseEnv() });
    children.push(child);
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 30_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      try {
        const doc = JSON.parse(out) as { endpoint: string; credentials: Served['credentials'] };
        clearTimeout(timer);
        resolveServe({ child, endpoint: doc.endpoint, credentials: doc.credentials });
      } catch {
        /* not complete yet */
      }
    });
  });
}

describe('S3 persistence', () => {
  it('a SIGKILL right after a burst of writes loses no acknowledged object or deletion', async () => {
    const dir = tempStateDir();
    const first = await serve(dir);
    const clients = createAwsClients({ region: 'us-east-1', endpoint: first.endpoint, credentials: first.credentials, maxAttempts: 1 });
    const s3 = awsApis(clients).s3;
    await s3.createBucket('durable', 'us-east-1');
    const keys = Array.from({ length: 30 }, (_, i) => `tenants/acme/${String(i).padStart(2, '0')}`);
    await Promise.all(keys.map((k) => s3.putObject('durable', k, `body of ${k}`)));
    await s3.putObject('durable', keys[0]!, 'overwritten');
    await s3.deleteObject('durable', keys[1]!);
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('close', r));
    clients.destroy();

    const second = await serve(dir);
    const again = createAwsClients({ region: 'us-east-1', endpoint: second.endpoint, credentials: second.credentials, maxAttempts: 1 });
    const s3b = awsApis(again).s3;
    const listed = await s3b.listObjects({ bucket: 'durable', prefix: 'tenants/acme/' });
    expect(listed.keys).toEqual(keys.filter((k) => k !== keys[1]));
    expect((await s3b.getObject('durable', keys[0]!))?.toString()).toBe('overwritten');
    for (const k of keys.slice(2)) expect((await s3b.getObject('durable', k))?.toString()).toBe(`body of ${k}`);
    again.destroy();
    second.child.kill('SIGTERM');
  }, 60_000);
});
