// S3 prefixes under ABAC (issue 12), end to end on the sandbox: the scope roles' one S3 statement
// names the prefix through ${aws:PrincipalTag/isoctl-tenant}, so the tenant a session may reach is
// the tag the identity pool set from the user's claim. `tenant create --wait data` and `tenant
// verify` probe the bucket with the tenant's own credentials: its own prefix is writable and
// readable; another tenant's prefix and the bucket root are denied. Before the probe used only its
// scope role's actions, a read-scope probe expected s3:PutObject on its own prefix and --wait data
// never converged on an ABAC stack with a bucket.
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsApis } from '../../src/aws/apis.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let sb: TestSandbox;
const cli = (args: string[]): Promise<CliResult> => runCli(['--sandbox', sb.stateDir, ...args], { timeoutMs: 60_000 });
const BUCKET = 'abac-files';

beforeAll(async () => {
  sb = await startTestSandbox({ stack: 's3a', mapping: 'abac', granularity: 'tenant', lag: { iam: 100, cognito: 200, dynamodb: 300 } });
  const doc = JSON.parse(readFileSync(sb.configPath, 'utf8'));
  doc.buckets = [{ name: BUCKET, prefix: 'tenants/{tenant}/' }];
  writeFileSync(sb.configPath, JSON.stringify(doc, null, 2));
  await awsApis(sb.clients).s3.createBucket(BUCKET, sb.region);
});
afterAll(async () => {
  await sb?.stop();
});

describe('tenant prefixes in S3 under ABAC, probed through the identity pool', () => {
  it("create --wait data probes the bucket; verify: own prefix written and read, the other tenant's prefix and the bucket root denied", async () => {
    expect((await cli(['init', '--json'])).code).toBe(0);
    const mark = sb.mark();
    for (const t of ['alpha', 'bravo']) {
      const r = await cli(['tenant', 'create', t, '--wait', 'data', '--timeout', '60s', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json().wait.checks.every((c: { state: string }) => c.state === 'ok')).toBe(true);
    }
    // The scope roles are shared: a tenant costs no IAM write, its S3 prefix included.
    expect(sb.since(mark).filter((l) => l.mutating && l.service === 'iam')).toEqual([]);
    await awsApis(sb.clients).s3.putObject(BUCKET, 'tenants/bravo/isoctl-probe', 'bravo data');
    const verify = await cli(['tenant', 'verify', 'alpha', '--against', 'bravo', '--json']);
    expect(verify.code, verify.stderr).toBe(0);
    const v = verify.json();
    expect(v.isolated).toBe(true);
    expect(v.roleArn).toMatch(/role\/isoctl\/s3a\/isoctl-s3a-/);
    const s3 = v.checks.filter((c: { bucket?: string }) => c.bucket === BUCKET);
    expect(s3.map((c: { name: string; action: string; outcome: string }) => [c.name, c.action, c.outcome])).toEqual([
      // The probe's credentials are its scope role's (read): its own prefix is listed, not written.
      ['own-prefix', 's3:ListBucket', 'allowed'],
      ['other-prefix', 's3:GetObject', 'denied'],
      ['bucket-root-list', 's3:ListBucket', 'denied'],
    ]);
    expect(s3[0].keys[0]).toMatch(/^tenants\/alpha\//);
    expect(s3[1].keys[0]).toBe('tenants/bravo/isoctl-probe');
    expect(s3[1].detail).toContain('is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::abac-files/tenants/bravo/isoctl-probe"');
  });
});
