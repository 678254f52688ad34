// doctor's caller-permission check as the operator on the sandbox: every request of the operator
// policy is asked of iam:SimulatePrincipalPolicy for the caller. With exactly the rendered
// operator policy (`isoctl sandbox operator`) doctor passes; with a narrowed policy it exits 1
// naming the missing action and the fix; without the simulator it says it could not check.
// A few of the sandbox's SimulatePrincipalPolicy answers are cross-checked with iam-simulate.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttachUserPolicyCommand, CreateAccessKeyCommand, CreatePolicyCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { awsApis } from '../../src/aws/apis.js';
import { createAwsClients } from '../../src/aws/clients.js';
import { AwsCallError } from '../../src/aws/errors.js';
import { buildOperatorPolicy, type PolicyDocument, type PolicyStatement } from '../../src/policy/index.js';
import type { ControlDecision } from '../../src/sandbox/control-plane/authorize.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { simulateDecision } from '../sandbox/control-plane/simulate.js';
import { awsCli } from '../sandbox/core/aws-cli-runner.js';
import type { SandboxResponse } from '../../src/sandbox/server.js';
import { responseProblems } from '../helpers/botocore-shapes.js';

interface Keys {
  accessKeyId: string;
  secretAccessKey: string;
}
interface Finding {
  check: string;
  status: string;
  message: string;
  fix?: { command?: string; action: string };
  details?: { missing?: Array<{ action: string; resource: string; decision: string }>; simulated?: number; simulatedAs?: string };
}

let sb: TestSandbox;
let iam: IAMClient;
let operator: Keys & { arn: string };
const users: Record<string, Keys & { arn: string; doc: PolicyDocument }> = {};
const responses: SandboxResponse[] = [];

const statements = (doc: PolicyDocument): PolicyStatement[] => (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]);
const without = (doc: PolicyDocument, sid: string): PolicyDocument => ({ ...doc, Statement: statements(doc).filter((s) => s.Sid !== sid) });

async function makeUser(name: string, doc: PolicyDocument): Promise<void> {
  const user = await iam.send(new CreateUserCommand({ UserName: name }));
  const policy = await iam.send(new CreatePolicyCommand({ PolicyName: `${name}-policy`, PolicyDocument: JSON.stringify(doc) }));
  await iam.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: policy.Policy!.Arn! }));
  const key = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
  users[name] = { accessKeyId: key.AccessKey!.AccessKeyId!, secretAccessKey: key.AccessKey!.SecretAccessKey!, arn: user.User!.Arn!, doc };
}

function doctorAs(keys: Keys): Promise<CliResult> {
  return runCli(['--endpoint-url', sb.endpoint, '--config', sb.configPath, 'doctor', '--json'], {
    timeoutMs: 60_000,
    env: { AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey, AWS_REGION: sb.region },
  });
}
const permissions = (r: CliResult): Finding => (r.json().findings as Finding[]).find((f) => f.check === 'permissions')!;

beforeAll(async () => {
  sb = await startTestSandbox({ stack: 'dop', mapping: 'token', onResponse: (r) => responses.push(r) });
  const init = await runCli(['--sandbox', sb.stateDir, '--config', sb.configPath, 'init', '--json'], { timeoutMs: 60_000 });
  expect(init.code, init.stderr).toBe(0);
  const op = await runCli(['--sandbox', sb.stateDir, '--config', sb.configPath, 'sandbox', 'operator', '--json'], { timeoutMs: 60_000 });
  expect(op.code, op.stderr).toBe(0);
  operator = { accessKeyId: op.json().accessKeyId, secretAccessKey: op.json().secretAccessKey, arn: op.json().userArn };
  iam = new IAMClient({ region: sb.region, endpoint: sb.endpoint, credentials: sb.credentials });
  const full = buildOperatorPolicy(sb.config);
  await makeUser('no-passrole', without(full, 'PassRolesToCognitoOnly'));
  await makeUser('no-simulate', without(full, 'SimulateOwnPermissions'));
}, 120_000);

afterAll(async () => {
  iam?.destroy();
  await sb?.stop();
});

describe('doctor checks the caller against every action of the operator policy', () => {
  it('the operator with exactly the rendered policy: healthy, permissions ok after simulating every statement', async () => {
    const r = await doctorAs(operator);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const p = permissions(r);
    expect(p.status).toBe('ok');
    expect(p.details?.simulatedAs).toBe(operator.arn);
    expect(p.details?.simulated).toBeGreaterThan(30);
  });

  it('a narrowed policy (no iam:PassRole): exit 1, the missing action named with the fix', async () => {
    const r = await doctorAs(users['no-passrole']!);
    expect(r.code, r.stderr).toBe(1);
    const p = permissions(r);
    expect(p.status).toBe('problem');
    expect(p.message).toBe('the caller may not call iam:PassRole (all part of the operator policy)');
    expect(p.fix?.command).toBe('isoctl policy render <any-tenant> --kind operator --json');
    expect(p.details?.missing).toEqual([
      {
        action: 'iam:PassRole',
        resource: `arn:aws:iam::${sb.accountId}:role/isoctl/dop/isoctl-doctor-sample`,
        decision: 'implicitDeny',
        statement: 'PassRolesToCognitoOnly',
      },
    ]);
    expect(r.stderr).toMatch(/doctor: 1 problem\(s\): permissions/);
  });

  it('a caller that may not simulate: exit 1, doctor says it could not check (not healthy)', async () => {
    const r = await doctorAs(users['no-simulate']!);
    expect(r.code, r.stderr).toBe(1);
    const p = permissions(r);
    expect(p.status).toBe('problem');
    expect(p.message).toMatch(
      /^could not check the caller's permissions: iam:SimulatePrincipalPolicy is denied \(.*is not authorized to perform: iam:SimulatePrincipalPolicy/,
    );
    expect(r.json().healthy).toBe(false);
  });

  it('the operator may simulate itself but not another user (user/${aws:username})', async () => {
    const opApis = awsApis(createAwsClients({ region: sb.region, endpoint: sb.endpoint, credentials: operator, maxAttempts: 1 }));
    const own = await opApis.iam.simulatePrincipalPolicy({ principalArn: operator.arn, actions: ['iam:GetAccountSummary'] });
    expect(own.map((o) => o.decision)).toEqual(['allowed']);
    const err = await opApis.iam
      .simulatePrincipalPolicy({ principalArn: users['no-passrole']!.arn, actions: ['iam:GetAccountSummary'] })
      .catch((e: unknown) => e);
    expect((err as AwsCallError).kind).toBe('access-denied');
    expect((err as AwsCallError).awsMessage).toBe(
      `User: ${operator.arn} is not authorized to perform: iam:SimulatePrincipalPolicy on resource: ${users['no-passrole']!.arn} because no identity-based policy allows the iam:SimulatePrincipalPolicy action`,
    );
  });

  it('the operator may pass a tenant role to Cognito Identity only: another service is implicitDeny (AWS CLI as the operator)', async () => {
    const role = `arn:aws:iam::${sb.accountId}:role/isoctl/dop/isoctl-dop-acme`;
    const ask = (service: string) =>
      awsCli(sb.endpoint, operator, [
        'iam',
        'simulate-principal-policy',
        '--policy-source-arn',
        operator.arn,
        '--action-names',
        'iam:PassRole',
        '--resource-arns',
        role,
        '--context-entries',
        `ContextKeyName=iam:PassedToService,ContextKeyValues=${service},ContextKeyType=string`,
      ]);
    const services = ['cognito-identity.amazonaws.com', 'ec2.amazonaws.com', 'lambda.amazonaws.com', 'cognito-idp.amazonaws.com'];
    const answers: Record<string, string> = {};
    // The AWS CLI starts slowly: the calls run concurrently.
    for (const [service, r] of await Promise.all(services.map(async (svc) => [svc, await ask(svc)] as const))) {
      expect(r.code, r.stderr).toBe(0);
      answers[service] = r.json.EvaluationResults[0].EvalDecision;
    }
    expect(answers).toEqual({
      'cognito-identity.amazonaws.com': 'allowed',
      'ec2.amazonaws.com': 'implicitDeny',
      'lambda.amazonaws.com': 'implicitDeny',
      'cognito-idp.amazonaws.com': 'implicitDeny',
    });
  });

  it("every SimulatePrincipalPolicy answer (and AccessDenied) fits botocore's IAM model", () => {
    const sims = responses.filter((r) => r.operation === 'SimulatePrincipalPolicy');
    expect(sims.filter((r) => r.status === 200).length).toBeGreaterThan(10);
    expect(sims.some((r) => r.status === 403)).toBe(true);
    expect(sims.flatMap((r) => responseProblems(r))).toEqual([]);
  });

  it("SimulatePrincipalPolicy's answers agree with iam-simulate (allowed, implicitDeny, explicitDeny)", async () => {
    const apis = awsApis(sb.clients);
    const acct = sb.accountId;
    const boundary = `arn:aws:iam::${acct}:policy/isoctl/dop/isoctl-dop-boundary`;
    const cases: Array<{ user: string; action: string; resource: string; context: Record<string, string | string[]>; expected: string }> = [
      {
        user: 'no-simulate',
        action: 'iam:PassRole',
        resource: `arn:aws:iam::${acct}:role/isoctl/dop/isoctl-dop-acme`,
        context: { 'iam:PassedToService': 'cognito-identity.amazonaws.com' },
        expected: 'allowed',
      },
      {
        user: 'no-simulate',
        action: 'iam:PassRole',
        resource: `arn:aws:iam::${acct}:role/isoctl/dop/isoctl-dop-acme`,
        context: { 'iam:PassedToService': 'ec2.amazonaws.com' },
        expected: 'implicitDeny',
      },
      {
        user: 'no-passrole',
        action: 'iam:PassRole',
        resource: `arn:aws:iam::${acct}:role/isoctl/dop/isoctl-dop-acme`,
        context: { 'iam:PassedToService': 'cognito-identity.amazonaws.com' },
        expected: 'implicitDeny',
      },
      {
        user: 'no-simulate',
        action: 'iam:CreateRole',
        resource: `arn:aws:iam::${acct}:role/isoctl/dop/deeper/isoctl-dop-x`,
        context: { 'iam:PermissionsBoundary': boundary, 'aws:RequestTag/isoctl:managed-by': 'isoctl', 'aws:RequestTag/isoctl:stack': 'dop' },
        expected: 'explicitDeny',
      },
      {
        user: 'no-simulate',
        action: 'iam:CreateRole',
        resource: `arn:aws:iam::${acct}:role/isoctl/dop/isoctl-dop-x`,
        context: { 'iam:PermissionsBoundary': boundary, 'aws:RequestTag/isoctl:managed-by': 'isoctl', 'aws:RequestTag/isoctl:stack': 'dop' },
        expected: 'allowed',
      },
      {
        user: 'no-passrole',
        action: 'iam:TagRole',
        resource: `arn:aws:iam::${acct}:role/isoctl/dop/isoctl-dop-x`,
        context: { 'aws:TagKeys': ['isoctl:stack', 'owner'], 'aws:RequestTag/isoctl:managed-by': 'isoctl', 'aws:RequestTag/isoctl:stack': 'dop' },
        expected: 'implicitDeny',
      },
      { user: 'no-passrole', action: 'iam:CreatePolicyVersion', resource: boundary, context: {}, expected: 'explicitDeny' },
    ];
    const toSim: Record<string, string> = { Allow: 'allowed', ImplicitDeny: 'implicitDeny', ExplicitDeny: 'explicitDeny' };
    for (const c of cases) {
      const u = users[c.user]!;
      const [answer] = await apis.iam.simulatePrincipalPolicy({ principalArn: u.arn, actions: [c.action], resources: [c.resource], context: c.context });
      expect(answer?.decision, `${c.user} ${c.action} ${c.resource}`).toBe(c.expected);
      const logged: ControlDecision = {
        t: '',
        principal: u.arn,
        service: 'iam',
        operation: 'SimulatePrincipalPolicy',
        decision: 'Allow',
        request: { action: c.action, resource: c.resource, context: c.context, identityPolicies: [u.doc] },
      };
      expect(toSim[await simulateDecision(logged, acct)], `iam-simulate: ${c.user} ${c.action}`).toBe(c.expected);
    }
  });
});
