// #11 "make the checks mean what they say": doctor checks every tenant role's policies. Adding an
// inline `dynamodb:*` policy by hand, attaching a managed policy, deleting the data policy, or
// widening it to another tenant's rows each make doctor report a problem (exit 1) with its fix;
// before, doctor said "healthy". The built CLI against the sandbox.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
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

type ListEntry = { tenant: string; status: string; drift: string[]; findings?: Array<{ aspect: string; detail: string }>; fix?: string };
/** `tenant list --deep` (#11: exit 1 on drift, saying what drifted and the fix): acme's entry. */
async function deepList(): Promise<{ code: number | null; acme: ListEntry | undefined; stderr: string; human: CliResult }> {
  const r = await cli(['tenant', 'list', '--deep', '--json']);
  const human = await cli(['tenant', 'list', '--deep']);
  expect(human.code).toBe(r.code);
  return { code: r.code, acme: (r.json().tenants as ListEntry[]).find((t) => t.tenant === 'acme'), stderr: r.stderr, human };
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

describe("doctor checks every tenant role's policies", () => {
  it('a stack as tenant create leaves it: ok', async () => {
    const { code, f } = await tenantPolicies();
    expect(f?.status).toBe('ok');
    expect(code).toBe(0);
    const deep = await deepList();
    expect(deep.code, deep.stderr).toBe(0);
    expect(deep.acme).toMatchObject({ status: 'ok', drift: [] });
    expect(deep.acme?.fix).toBeUndefined();
  });

  it('an inline dynamodb:* policy added by hand: problem naming the role and the policy', async () => {
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: ROLE,
        PolicyName: 'hand-made',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' }] }),
      }),
    );
    const { code, f } = await tenantPolicies();
    expect(code).toBe(1);
    expect(f?.status).toBe('problem');
    expect(f?.message).toContain(`${ROLE}: extra inline policy hand-made`);
    expect(f?.fix?.command).toBe('isoctl tenant create acme');
    const deep = await deepList();
    expect(deep.code).toBe(1);
    expect(deep.acme).toMatchObject({ status: 'drift', drift: ['extra-policies'], fix: expect.stringContaining('isoctl tenant create acme') });
    expect(deep.acme?.findings?.[0]?.detail).toContain('extra inline policy hand-made');
    expect(deep.human.stdout).toMatch(/extra-policies: extra inline policy hand-made/);
    expect(deep.human.stdout).toMatch(/fix: isoctl tenant create acme/);
    await iam.send(new DeleteRolePolicyCommand({ RoleName: ROLE, PolicyName: 'hand-made' }));
  });

  it('an attached managed policy: problem', async () => {
    const created = await iam.send(
      new CreatePolicyCommand({
        PolicyName: 'wide-open',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' }] }),
      }),
    );
    const arn = created.Policy!.Arn!;
    await iam.send(new AttachRolePolicyCommand({ RoleName: ROLE, PolicyArn: arn }));
    const { code, f } = await tenantPolicies();
    expect(code).toBe(1);
    expect(f?.message).toContain('attached managed policy');
    const deep = await deepList();
    expect(deep.code).toBe(1);
    expect(deep.acme).toMatchObject({ status: 'drift', drift: ['attached-policies'], fix: expect.stringContaining('detach the managed policies by hand') });
    expect(deep.acme?.findings?.[0]?.detail).toContain(arn);
    await iam.send(new DetachRolePolicyCommand({ RoleName: ROLE, PolicyArn: arn }));
  });

  it("the data policy deleted, or widened to globex's rows: problem; restored: ok", async () => {
    const config = sb.config;
    await iam.send(new DeleteRolePolicyCommand({ RoleName: ROLE, PolicyName: 'isoctl-data' }));
    let r = await tenantPolicies();
    expect(r.f?.message).toContain(`${ROLE}: no isoctl-data data policy`);
    expect(r.code).toBe(1);
    expect(r.f?.message).toContain(`${ROLE}: no isoctl-data data policy`);
    let deep = await deepList();
    expect(deep.code).toBe(1);
    expect(deep.acme).toMatchObject({ status: 'drift', drift: ['policy'] });
    expect(deep.acme?.findings?.[0]?.detail).toMatch(/no isoctl-data policy/);
    const own = JSON.parse(serializePolicy(buildDataPolicy(config, 'acme')));
    const wide = JSON.stringify(own).split('"acme"').join('"acme","globex"');
    await iam.send(new PutRolePolicyCommand({ RoleName: ROLE, PolicyName: 'isoctl-data', PolicyDocument: wide }));
    r = await tenantPolicies();
    expect(r.code).toBe(1);
    expect(r.f?.message).toMatch(/isoctl-data policy (is wider than the config's|differs from what the config gives)/);
    deep = await deepList();
    expect(deep.code).toBe(1);
    // Proven against globex (an existing tenant): the stack's boundary still holds acme to its own keys, so no 'reach'.
    expect(deep.acme).toMatchObject({ status: 'drift', drift: ['policy'], fix: expect.stringContaining('isoctl tenant create acme') });
    await iam.send(new PutRolePolicyCommand({ RoleName: ROLE, PolicyName: 'isoctl-data', PolicyDocument: serializePolicy(buildDataPolicy(config, 'acme')) }));
    r = await tenantPolicies();
    expect(r.f?.status).toBe('ok');
    expect((await deepList()).code).toBe(0);
  });
});
