// S3 prefixes end to end on the sandbox, through the identity pool: `tenant create --wait data`
// and `tenant verify` probe every configured bucket with the tenant's own credentials: its prefix
// is writable and readable, another tenant's prefix and the bucket root are denied. A hand-widened
// inline policy is still held by the stack's boundary; with the boundary removed too, verify
// fails (exit 1), so the probe can see a leak.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { DeleteRolePermissionsBoundaryCommand, IAMClient } from '@aws-sdk/client-iam';
import { awsApis } from '../../src/aws/apis.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let sb: TestSandbox;
const cli = (args: string[]): Promise<CliResult> => runCli(['--sandbox', sb.stateDir, ...args], { timeoutMs: 60_000 });
const BUCKET = 'tenant-files';

beforeAll(async () => {
  sb = await startTestSandbox({ stack: 's3e', lag: { iam: 100, cognito: 200, dynamodb: 300 } });
  const doc = JSON.parse(readFileSync(sb.configPath, 'utf8'));
  doc.buckets = [{ name: BUCKET, prefix: 'tenants/{tenant}/' }];
  writeFileSync(sb.configPath, JSON.stringify(doc, null, 2));
  await awsApis(sb.clients).s3.createBucket(BUCKET, sb.region);
});
afterAll(async () => {
  await sb?.stop();
});

describe('tenant prefixes in S3, probed through the identity pool', () => {
  it('create --wait data probes the bucket; verify: own prefix written and read, other prefix and bucket root denied', async () => {
    expect((await cli(['init', '--json'])).code).toBe(0);
    for (const t of ['alpha', 'bravo']) {
      const r = await cli(['tenant', 'create', t, '--wait', 'data', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json().wait.checks.every((c: { state: string }) => c.state === 'ok')).toBe(true);
    }
    const verify = await cli(['tenant', 'verify', 'alpha', '--against', 'bravo', '--json']);
    expect(verify.code, verify.stderr).toBe(0);
    const v = verify.json();
    expect(v.isolated).toBe(true);
    const s3 = v.checks.filter((c: { bucket?: string }) => c.bucket === BUCKET);
    expect(s3.map((c: { name: string; action: string; outcome: string }) => [c.name, c.action, c.outcome])).toEqual([
      ['own-prefix', 's3:PutObject', 'allowed'],
      ['other-prefix', 's3:GetObject', 'denied'],
      ['bucket-root-list', 's3:ListBucket', 'denied'],
    ]);
    expect(s3[0].keys[0]).toMatch(/^tenants\/alpha\/isoctl-probe-/);
    expect(s3[1].keys[0]).toBe('tenants/bravo/isoctl-probe');
    expect(s3[1].detail).toContain('is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::tenant-files/tenants/bravo/isoctl-probe"');
    // The probe cleaned up after itself.
    expect((await awsApis(sb.clients).s3.listObjects({ bucket: BUCKET })).keys).toEqual([]);
  });

  it('a role widened by hand to the whole bucket is held by the boundary; without the boundary, verify fails (exit 1)', async () => {
    const apis = awsApis(sb.clients);
    await apis.s3.putObject(BUCKET, 'tenants/bravo/isoctl-probe', 'bravo data');
    const wide = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`] }],
    };
    await apis.iam.putRolePolicy('isoctl-s3e-alpha', 'hand-widened', JSON.stringify(wide));
    await new Promise((r) => setTimeout(r, 400));
    const held = await cli(['tenant', 'verify', 'alpha', '--against', 'bravo', '--json']);
    expect(held.code, held.stderr).toBe(0);
    const heldOther = held.json().checks.find((c: { name: string }) => c.name === 'other-prefix');
    expect(heldOther).toMatchObject({ outcome: 'denied', ok: true });
    expect(heldOther.detail).toContain('because no permissions boundary allows the s3:GetObject action');

    const iam = new IAMClient({ region: sb.region, endpoint: sb.endpoint, credentials: sb.credentials, maxAttempts: 1 });
    await iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: 'isoctl-s3e-alpha' }));
    iam.destroy();
    await new Promise((r) => setTimeout(r, 400));
    const verify = await cli(['tenant', 'verify', 'alpha', '--against', 'bravo', '--json']);
    expect(verify.code).toBe(1);
    expect(verify.json().isolated).toBe(false);
    const s3 = verify.json().checks.filter((c: { bucket?: string }) => c.bucket === BUCKET);
    expect(s3.map((c: { name: string; outcome: string; ok: boolean }) => [c.name, c.outcome, c.ok])).toEqual([
      ['own-prefix', 'allowed', true],
      ['other-prefix', 'allowed', false],
      ['bucket-root-list', 'allowed', false],
    ]);
  });
});
