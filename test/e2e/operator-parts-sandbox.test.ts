// The operator policy of a rich ABAC stack (3 tables incl. silo with indexes and
// attribute-restricted, 2 buckets, 2 scopes: bench/abac.bench.ts richConfig) is more than a
// managed policy holds (6,144 characters, whitespace not counted). The sandbox refuses it as one
// policy, as IAM does (CreatePolicy and CreatePolicyVersion: LimitExceeded); `policy render --kind
// operator` prints its parts, `isoctl sandbox operator` attaches them as isoctl-<stack>-operator
// and isoctl-<stack>-operator-2, and the operator so made runs init and `tenant create --wait
// none` with zero AccessDenied. Before, `isoctl sandbox operator` failed on CreatePolicy.
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreatePolicyCommand, CreatePolicyVersionCommand, GetUserCommand, IAMClient, ListAttachedUserPoliciesCommand } from '@aws-sdk/client-iam';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsApis } from '../../src/aws/apis.js';
import { stackConfigSchema } from '../../src/config/schema.js';
import { CONTROL_PLANE_LOG } from '../../src/sandbox/control-plane/authorize.js';
import { buildOperatorPolicy, policySize, serializePolicy, type PolicyDocument } from '../../src/policy/index.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { runCliWithKeys, startTestSandbox, waitTableActive, type TestSandbox } from '../helpers/sandbox.js';
import { readDecisions } from '../sandbox/control-plane/simulate.js';

let sb: TestSandbox;
let keys: { accessKeyId: string; secretAccessKey: string };
const asAdmin = (args: string[]): Promise<CliResult> => runCli(['--sandbox', sb.stateDir, '--config', sb.configPath, ...args], { timeoutMs: 120_000 });
const asOperator = (args: string[]): Promise<CliResult> => runCliWithKeys(sb, keys, args);
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: Error & { $metadata?: { httpStatusCode?: number } }) => ({ name: e.name, status: e.$metadata?.httpStatusCode, message: e.message }),
  );

beforeAll(async () => {
  sb = await startTestSandbox({ stack: 'opparts', mapping: 'abac', granularity: 'tenant' });
  const doc = JSON.parse(readFileSync(sb.configPath, 'utf8'));
  doc.tables = [
    { name: 'Orders', partitionKey: 'tenantId', sortKey: 'sk', indexes: ['byDate', 'byStatus'] },
    { name: 'Agents', partitionKey: 'userId', sortKey: 'fieldName', attributes: ['userId', 'fieldName', 'isOnAssignment'] },
    { name: 'ledger', partitionKey: 'pk', model: 'silo' },
  ];
  doc.buckets = [{ name: 'isoctl-files' }, { name: 'isoctl-exports', prefix: 'exports/{tenant}/' }];
  writeFileSync(sb.configPath, JSON.stringify(doc, null, 2));
  const ddb = new DynamoDBClient({ region: sb.region, endpoint: sb.endpoint, credentials: sb.credentials });
  const S = 'S' as const;
  await ddb.send(
    new CreateTableCommand({
      TableName: 'Orders',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'tenantId', AttributeType: S },
        { AttributeName: 'sk', AttributeType: S },
      ],
      KeySchema: [
        { AttributeName: 'tenantId', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: ['byDate', 'byStatus'].map((IndexName) => ({
        IndexName,
        KeySchema: [
          { AttributeName: 'tenantId', KeyType: 'HASH' as const },
          { AttributeName: 'sk', KeyType: 'RANGE' as const },
        ],
        Projection: { ProjectionType: 'ALL' as const },
      })),
    }),
  );
  await ddb.send(
    new CreateTableCommand({
      TableName: 'Agents',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'userId', AttributeType: S },
        { AttributeName: 'fieldName', AttributeType: S },
      ],
      KeySchema: [
        { AttributeName: 'userId', KeyType: 'HASH' },
        { AttributeName: 'fieldName', KeyType: 'RANGE' },
      ],
    }),
  );
  ddb.destroy();
  await Promise.all([waitTableActive(sb.clients, 'Orders'), waitTableActive(sb.clients, 'Agents')]);
  for (const b of ['isoctl-files', 'isoctl-exports']) await awsApis(sb.clients).s3.createBucket(b, sb.region);
  const init = await asAdmin(['init', '--json']);
  expect(init.code, init.stderr).toBe(0);
}, 240_000);
afterAll(async () => {
  await sb?.stop();
});

describe('the operator policy of a rich ABAC stack, as managed policies', () => {
  it('is over 6,144 characters: the sandbox refuses it as one managed policy (CreatePolicy and CreatePolicyVersion), as IAM does', async () => {
    const config = stackConfigSchema.parse(JSON.parse(readFileSync(sb.configPath, 'utf8')));
    const whole = serializePolicy(buildOperatorPolicy(config));
    expect(policySize(whole)).toBeGreaterThan(6144);
    const iam = new IAMClient({ region: sb.region, endpoint: sb.endpoint, credentials: sb.credentials });
    try {
      const tooBig = { name: 'LimitExceededException', status: 409, message: 'Cannot exceed quota for PolicySize: 6144' };
      expect(await failure(iam.send(new CreatePolicyCommand({ PolicyName: 'whole-operator', PolicyDocument: whole })))).toEqual(tooBig);
      const small = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:GetRole', Resource: '*' }] });
      const arn = (await iam.send(new CreatePolicyCommand({ PolicyName: 'grows', PolicyDocument: small }))).Policy!.Arn!;
      expect(await failure(iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: whole, SetAsDefault: true })))).toEqual(tooBig);
    } finally {
      iam.destroy();
    }
  });

  it('policy render --kind operator prints its parts (each within 6,144) as a JSON array, --part N one of them', async () => {
    const r = await asAdmin(['policy', 'render', 'x', '--kind', 'operator', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const parts = r.json<PolicyDocument[]>();
    expect(parts.length).toBe(2);
    for (const p of parts) expect(policySize(serializePolicy(p))).toBeLessThanOrEqual(6144);
    expect(r.stderr).toContain('printed as a JSON array of 2 policies');
    expect(r.stderr).toContain('isoctl-opparts-operator, isoctl-opparts-operator-2');
    const two = await asAdmin(['policy', 'render', 'x', '--kind', 'operator', '--part', '2', '--json']);
    expect(two.code, two.stderr).toBe(0);
    expect(two.json()).toEqual(parts[1]);
    const three = await asAdmin(['policy', 'render', 'x', '--kind', 'operator', '--part', '3', '--json']);
    expect(three.code).toBe(2);
    expect(three.json().error.code).toBe('bad_flag');
    const all = await asAdmin(['policy', 'render', 'x']);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/# operator policy \(6,\d{3} characters: 2 managed policies of at most 6,144\)/);
    expect(all.stdout).toContain('# operator policy, part 2 of 2, e.g. isoctl-opparts-operator-2 (');
    const noKind = await asAdmin(['policy', 'render', 'x', '--kind', 'data', '--part', '1', '--json']);
    expect(noKind.code).toBe(2);
  });

  it(
    'sandbox operator attaches the parts; as that operator, init and tenant create --wait none succeed with zero AccessDenied',
    { timeout: 240_000 },
    async () => {
      const op = await asAdmin(['sandbox', 'operator', '--json']);
      expect(op.code, op.stderr).toBe(0);
      const made = op.json();
      expect(made.policies.map((p: { name: string }) => p.name)).toEqual(['isoctl-opparts-operator', 'isoctl-opparts-operator-2']);
      for (const p of made.policies as Array<{ chars: number }>) expect(p.chars).toBeLessThanOrEqual(6144);
      const iam = new IAMClient({ region: sb.region, endpoint: sb.endpoint, credentials: sb.credentials });
      const attached = (await iam.send(new ListAttachedUserPoliciesCommand({ UserName: made.userName }))).AttachedPolicies ?? [];
      iam.destroy();
      expect(attached.map((a) => a.PolicyName).sort()).toEqual(['isoctl-opparts-operator', 'isoctl-opparts-operator-2']);
      keys = { accessKeyId: made.accessKeyId, secretAccessKey: made.secretAccessKey };
      const before = readDecisions(join(sb.stateDir, CONTROL_PLANE_LOG)).length;
      for (const args of [['init'], ['tenant', 'create', 'acme', '--wait', 'none']]) {
        const r = await asOperator([...args, '--json']);
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      }
      const decisions = readDecisions(join(sb.stateDir, CONTROL_PLANE_LOG)).slice(before);
      expect(decisions.length).toBeGreaterThan(5);
      expect(decisions.filter((d) => d.decision !== 'Allow').map((d) => `${d.request.action} ${d.request.resource}`)).toEqual([]);
      // The silo table was made by the operator: CreateSiloTables sits in part 2.
      expect(await awsApis(sb.clients).dynamodb.describeTable('ledger-acme')).toBeDefined();
    },
  );

  it('sandbox operator refuses a stack whose operator policy needs more than 10 managed policies: exit 4, no user made', async () => {
    const big = join(sb.stateDir, 'big.json');
    const doc = JSON.parse(readFileSync(sb.configPath, 'utf8'));
    doc.tables = Array.from({ length: 1500 }, (_, i) => ({ name: `silo${i}`, partitionKey: 'pk', model: 'silo' }));
    writeFileSync(big, JSON.stringify(doc));
    const r = await runCli(['--sandbox', sb.stateDir, '--config', big, 'sandbox', 'operator', '--user-name', 'big', '--json'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(4);
    expect(r.json().error).toMatchObject({ code: 'limit_exceeded', max: 10 });
    expect(r.json().error.parts).toBeGreaterThan(10);
    const iam = new IAMClient({ region: sb.region, endpoint: sb.endpoint, credentials: sb.credentials });
    expect(await failure(iam.send(new GetUserCommand({ UserName: 'big' })))).toMatchObject({ name: 'NoSuchEntityException' });
    iam.destroy();
  });
});
