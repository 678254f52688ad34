// The tenant lifecycle run as the least-privilege operator: `init`'s admin step with the
// sandbox's admin keys, then `isoctl sandbox operator` makes an IAM user with exactly the
// rendered operator policy, and every other command runs as that user (subprocess CLI, its
// keys in the environment). The sandbox judges each control-plane call by the user's policies
// (src/sandbox/control-plane): the lifecycle must meet zero AccessDenied; escalation attempts
// made with the AWS CLI as the operator must each be AccessDenied in AWS's wording; and every
// decision the sandbox logged is re-evaluated by iam-simulate and must agree.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { CONTROL_PLANE_LOG } from '../../src/sandbox/control-plane/authorize.js';
import { awsCli, type AwsKeys } from '../sandbox/core/aws-cli-runner.js';
import { disagreements, readDecisions } from '../sandbox/control-plane/simulate.js';

const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Federated: 'cognito-identity.amazonaws.com' }, Action: 'sts:AssumeRoleWithWebIdentity' }],
});
const ANY = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' }] });

interface Run {
  sb: TestSandbox;
  keys: AwsKeys;
  userArn: string;
}

async function asAdmin(sb: TestSandbox, args: string[]): Promise<CliResult> {
  return runCli(['--sandbox', sb.stateDir, '--config', sb.configPath, ...args], { timeoutMs: 120_000 });
}

async function setUp(mapping: 'token' | 'rules', stack: string): Promise<Run> {
  const sb = await startTestSandbox({ stack, mapping });
  const init = await asAdmin(sb, ['init', '--json']);
  expect(init.code, init.stderr).toBe(0);
  const op = await asAdmin(sb, ['sandbox', 'operator', '--json']);
  expect(op.code, op.stderr).toBe(0);
  const doc = op.json();
  return { sb, keys: { accessKeyId: doc.accessKeyId, secretAccessKey: doc.secretAccessKey }, userArn: doc.userArn };
}

function asOperator(run: Run, args: string[]): Promise<CliResult> {
  return runCli(['--endpoint-url', run.sb.endpoint, '--config', run.sb.configPath, ...args], {
    timeoutMs: 120_000,
    env: { AWS_ACCESS_KEY_ID: run.keys.accessKeyId, AWS_SECRET_ACCESS_KEY: run.keys.secretAccessKey, AWS_REGION: run.sb.region },
  });
}

const decisions = (run: Run) => readDecisions(join(run.sb.stateDir, CONTROL_PLANE_LOG));
const denied = (run: Run) =>
  decisions(run)
    .filter((d) => d.decision !== 'Allow')
    .map((d) => `${d.request.action} ${d.request.resource} ${d.decision}`);

async function lifecycle(run: Run): Promise<void> {
  const steps: string[][] = [
    ['tenant', 'create', 'acme', '--wait', 'data'],
    ['tenant', 'create', 'globex', '--wait', 'none'],
    ['tenant', 'create', 'initech', '--wait', 'iam'],
    ['tenant', 'create', 'hooli', '--wait', 'cognito'],
    ['tenant', 'list', '--deep'],
    ['tenant', 'show', 'acme'],
    ['tenant', 'verify', 'acme'],
    ['doctor'],
    ['tenant', 'delete', 'hooli', '--yes'],
    ['gc', '--apply', '--yes'],
  ];
  for (const args of steps) {
    const r = await asOperator(run, [...args, '--json']);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    expect(denied(run), `after ${args.join(' ')}`).toEqual([]);
  }
  const who = await asOperator(run, [
    'explain',
    '--json',
    `User: arn:aws:sts::${run.sb.accountId}:assumed-role/isoctl-${run.sb.config.stack}-acme/CognitoIdentityCredentials is not authorized to perform: dynamodb:GetItem on resource: arn:aws:dynamodb:${run.sb.region}:${run.sb.accountId}:table/${run.sb.config.tables[0]!.name} because no identity-based policy allows the dynamodb:GetItem action`,
  ]);
  expect(who.code, who.stderr).toBe(0);
  expect(denied(run)).toEqual([]);
  const services = new Set(decisions(run).map((d) => d.service));
  expect([...services].sort()).toEqual(['cognito-identity', 'cognito-idp', 'dynamodb', 'iam']);
}

describe('the lifecycle as the operator, token mapping', () => {
  let run: Run;
  beforeAll(async () => {
    run = await setUp('token', 'op');
  }, 240_000);
  afterAll(async () => {
    await run?.sb.stop();
  });

  it('create (every wait level), list --deep, show, verify, doctor, delete, gc --apply, explain: zero AccessDenied', { timeout: 600_000 }, async () => {
    await lifecycle(run);
  });

  it("escalation attempts with the AWS CLI as the operator are AccessDenied in AWS's wording", { timeout: 600_000 }, async () => {
    const { sb } = run;
    const admin = (args: string[]) => awsCli(sb.endpoint, sb.credentials, args);
    const op = (args: string[]) => awsCli(sb.endpoint, run.keys, args);
    const acct = sb.accountId;
    const boundary = `arn:aws:iam::${acct}:policy/isoctl/op/isoctl-op-boundary`;
    const stackTags = ['Key=isoctl:managed-by,Value=isoctl', 'Key=isoctl:stack,Value=op'];
    // Another stack's pieces, made by the admin.
    // (The AWS CLI starts slowly: independent calls run concurrently.)
    const [policy, otherRole, outside, pool, table] = await Promise.all([
      admin(['iam', 'create-policy', '--policy-name', 'other-boundary', '--policy-document', ANY]),
      admin([
        'iam',
        'create-role',
        '--role-name',
        'isoctl-other-x',
        '--path',
        '/isoctl/other/',
        '--assume-role-policy-document',
        TRUST,
        '--tags',
        'Key=isoctl:managed-by,Value=isoctl',
        'Key=isoctl:stack,Value=other',
      ]),
      admin(['iam', 'create-role', '--role-name', 'outside', '--path', '/elsewhere/', '--assume-role-policy-document', TRUST]),
      admin(['cognito-idp', 'create-user-pool', '--pool-name', 'other-pool']),
      admin([
        'dynamodb',
        'create-table',
        '--table-name',
        'isoctl-other-lock',
        '--attribute-definitions',
        'AttributeName=pk,AttributeType=S',
        '--key-schema',
        'AttributeName=pk,KeyType=HASH',
        '--billing-mode',
        'PAY_PER_REQUEST',
      ]),
    ]);
    for (const r of [policy, otherRole, outside, pool, table]) expect(r.code, r.stderr).toBe(0);
    const otherBoundary = policy.json.Policy.Arn as string;
    const otherPool = pool.json.UserPool.Id as string;

    const denials: Array<[string, string[], string, RegExp]> = [
      [
        'create a role outside the stack path',
        [
          'iam',
          'create-role',
          '--role-name',
          'isoctl-op-evil',
          '--path',
          '/admin/',
          '--assume-role-policy-document',
          TRUST,
          '--permissions-boundary',
          boundary,
          '--tags',
          ...stackTags,
        ],
        'iam:CreateRole',
        /role\/admin\/isoctl-op-evil because no identity-based policy allows/,
      ],
      [
        'create a role without the boundary',
        ['iam', 'create-role', '--role-name', 'isoctl-op-evil', '--path', '/isoctl/op/', '--assume-role-policy-document', TRUST, '--tags', ...stackTags],
        'iam:CreateRole',
        /with an explicit deny in an identity-based policy/,
      ],
      [
        'create a role with another boundary',
        [
          'iam',
          'create-role',
          '--role-name',
          'isoctl-op-evil',
          '--path',
          '/isoctl/op/',
          '--assume-role-policy-document',
          TRUST,
          '--permissions-boundary',
          otherBoundary,
          '--tags',
          ...stackTags,
        ],
        'iam:CreateRole',
        /with an explicit deny in an identity-based policy/,
      ],
      [
        'version the boundary policy',
        ['iam', 'create-policy-version', '--policy-arn', boundary, '--policy-document', ANY, '--set-as-default'],
        'iam:CreatePolicyVersion',
        /with an explicit deny/,
      ],
      ['delete the boundary policy', ['iam', 'delete-policy', '--policy-arn', boundary], 'iam:DeletePolicy', /with an explicit deny/],
      [
        'delete a boundary from a role',
        ['iam', 'delete-role-permissions-boundary', '--role-name', 'isoctl-op-acme'],
        'iam:DeleteRolePermissionsBoundary',
        /with an explicit deny/,
      ],
      [
        'put an inline policy on a role outside the path',
        ['iam', 'put-role-policy', '--role-name', 'outside', '--policy-name', 'p', '--policy-document', ANY],
        'iam:PutRolePolicy',
        /because no identity-based policy allows/,
      ],
      [
        "write another stack's role",
        ['iam', 'put-role-policy', '--role-name', 'isoctl-other-x', '--policy-name', 'p', '--policy-document', ANY],
        'iam:PutRolePolicy',
        /because no identity-based policy allows/,
      ],
      ["delete another stack's role", ['iam', 'delete-role', '--role-name', 'isoctl-other-x'], 'iam:DeleteRole', /because no identity-based policy allows/],
      [
        "create a group in another stack's user pool",
        ['cognito-idp', 'create-group', '--user-pool-id', otherPool, '--group-name', 'acme'],
        'cognito-idp:CreateGroup',
        /because no identity-based policy allows/,
      ],
      [
        "write another stack's lock table",
        ['dynamodb', 'put-item', '--table-name', 'isoctl-other-lock', '--item', '{"pk":{"S":"lock"}}'],
        'dynamodb:PutItem',
        /because no identity-based policy allows/,
      ],
      [
        "read a tenant table's items",
        ['dynamodb', 'get-item', '--table-name', sb.config.tables[0]!.name, '--key', '{"tenantId":{"S":"acme"},"sk":{"S":"x"}}'],
        'dynamodb:GetItem',
        /because no identity-based policy allows/,
      ],
      [
        "write a tenant table's items",
        ['dynamodb', 'put-item', '--table-name', sb.config.tables[0]!.name, '--item', '{"tenantId":{"S":"acme"},"sk":{"S":"x"}}'],
        'dynamodb:PutItem',
        /because no identity-based policy allows/,
      ],
    ];
    const answers = await Promise.all(denials.map(([, args]) => op(args)));
    const failures: string[] = [];
    denials.forEach(([what, , action, why], i) => {
      const r = answers[i]!;
      const head = `User: ${run.userArn} is not authorized to perform: ${action} on resource: `;
      const ok = r.code !== 0 && /\((AccessDenied|AccessDeniedException)\)/.test(r.stderr) && r.stderr.includes(head) && why.test(r.stderr);
      if (!ok) failures.push(`${what}: exit ${r.code} ${r.stderr.trim() || r.stdout.trim()}`);
    });
    expect(failures).toEqual([]);
  });

  it('iam-simulate agrees with every control-plane decision the sandbox made in these runs', { timeout: 300_000 }, async () => {
    const all = decisions(run);
    expect(all.length).toBeGreaterThan(50);
    expect(all.some((d) => d.decision !== 'Allow')).toBe(true);
    expect(await disagreements(all, run.sb.accountId)).toEqual([]);
  });
});

describe('the lifecycle as the operator, rules mapping (SetIdentityPoolRoles passes roles to Cognito Identity)', () => {
  let run: Run;
  beforeAll(async () => {
    run = await setUp('rules', 'opr');
  }, 240_000);
  afterAll(async () => {
    await run?.sb.stop();
  });

  it('zero AccessDenied, and iam-simulate agrees with every decision (PassRole included)', { timeout: 600_000 }, async () => {
    await lifecycle(run);
    const all = decisions(run);
    expect(all.filter((d) => d.request.action === 'iam:PassRole').length).toBeGreaterThan(0);
    expect(await disagreements(all, run.sb.accountId)).toEqual([]);
  });
});
