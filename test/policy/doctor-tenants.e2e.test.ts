// #11 "make the checks mean what they say": doctor checks every tenant role's policies. Adding an
// inline `dynamodb:*` policy by hand, attaching a managed policy, deleting the data policy, or
// widening it to another tenant's rows each make doctor report a problem (exit 1) with its fix;
// before, doctor said "healthy". The built CLI against the sandbox.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttachRolePolicyCommand, CreatePolicyCommand, DeleteRolePolicyCommand, DetachRolePolicyCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { buildDataPolicy, serializePolicy } from '../../src/policy/index.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let sb: TestSandbox;
let iam: IAMClient;
const cli = (args: string[]): Promise<CliResult> => runCli(['--sandbox', sb.stateDir, ...args], { timeoutMs: 60_000 });
const ROLE = 'isoctl-pol-acme';

type Doc = { healthy: boolean; findings: Array<{ check: string; status: string; message: string; fix?: { command?: string; action: string } }> };
async function tenantPolicies(): Promise<{ code: number | null; f: Doc['findings'][number] | undefined }> {
  const r = await cli(['doctor', '--json']);
  const doc = r.json() as Doc;
  return { code: r.code, f: doc.findings.find((x) => x.check === 'tenant-policies') };
}

beforeAll(async () => {
  sb = await startTestSandbox({ stack: 'pol' });
  iam = new IAMClient({ region: sb.region, endpoint: sb.endpoint, credentials: sb.credentials });
  expect((await cli(['init'])).code).toBe(0);
  for (const t of ['acme', 'globex']) {
    const c = await cli(['tenant', 'create', t, '--wait', 'iam']);
    expect(c.code, c.stderr).toBe(0);
  }
}, 120_000);
afterAll(async () => {
  iam?.destroy();
  await sb?.stop();
});

describe('doctor checks every tenant role\'s policies', () => {
  it('a stack as tenant create leaves it: ok', async () => {
    const { code, f } = await tenantPolicies();
    expect(f?.status).toBe('ok');
    expect(code).toBe(0);
  });

  it('an inline dynamodb:* policy added by hand: problem naming the role and the policy', async () => {
    await iam.send(new PutRolePolicyCommand({ RoleName: ROLE, PolicyName: 'hand-made', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' }] }) }));
    const { code, f } = await tenantPolicies();
    expect(code).toBe(1);
    expect(f?.status).toBe('problem');
    expect(f?.message).toContain(`${ROLE}: extra inline policy hand-made`);
    expect(f?.fix?.command).toBe('isoctl tenant create acme');
    await iam.send(new DeleteRolePolicyCommand({ RoleName: ROLE, PolicyName: 'hand-made' }));
  });

  it('an attached managed policy: problem', async () => {
    const created = await iam.send(new CreatePolicyCommand({ PolicyName: 'wide-open', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' }] }) }));
    const arn = created.Policy!.Arn!;
    await iam.send(new AttachRolePolicyCommand({ RoleName: ROLE, PolicyArn: arn }));
    const { code, f } = await tenantPolicies();
    expect(code).toBe(1);
    expect(f?.message).toContain('attached managed policy');
    await iam.send(new DetachRolePolicyCommand({ RoleName: ROLE, PolicyArn: arn }));
  });

  it('the data policy deleted, or widened to globex\'s rows: problem; restored: ok', async () => {
    const config = sb.config;
    await iam.send(new DeleteRolePolicyCommand({ RoleName: ROLE, PolicyName: 'isoctl-data' }));
    let r = await tenantPolicies();
    expect(r.f?.message).toContain(`${ROLE}: no isoctl-data data policy`);
    expect(r.code).toBe(1);
    expect(r.f?.message).toContain(`${ROLE}: no isoctl-data data policy`);
    const own = JSON.parse(serializePolicy(buildDataPolicy(config, 'acme')));
    const wide = JSON.stringify(own).split('"acme"').join('"acme","globex"');
    await iam.send(new PutRolePolicyCommand({ RoleName: ROLE, PolicyName: 'isoctl-data', PolicyDocument: wide }));
    r = await tenantPolicies();
    expect(r.code).toBe(1);
    expect(r.f?.message).toMatch(/isoctl-data policy (is wider than the config's|differs from what the config gives)/);
    await iam.send(new PutRolePolicyCommand({ RoleName: ROLE, PolicyName: 'isoctl-data', PolicyDocument: serializePolicy(buildDataPolicy(config, 'acme')) }));
    r = await tenantPolicies();
    expect(r.f?.status).toBe('ok');
  });
});
