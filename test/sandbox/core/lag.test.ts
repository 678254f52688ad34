// Eventual consistency: each observer (IAM reads, Cognito, DynamoDB) sees a change only after
// its own lag, so the three failures of the first seed happen for real; time-based, so it
// holds across restarts.
import { afterEach, describe, expect, it } from 'vitest';
import {
  CreateRoleCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListRolesCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { startSandbox, type RunningSandbox } from '../../../src/sandbox/server.js';
import { TRUST, dataPolicy, failure, iamClient, tempStateDir } from './helpers.js';

const open: RunningSandbox[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));
const LAG = { iam: 500, cognito: 1300, dynamodb: 2000 };

describe('lag', () => {
  it('a new role: invisible, then visible to IAM, then Cognito, then DynamoDB; the inline policy arrives later still', async () => {
    const sb = await startSandbox({ stateDir: tempStateDir(), lag: LAG });
    open.push(sb);
    const iam = iamClient(sb);
    const ctx = sb.context;
    // The server stamps the write somewhere between these two instants: "not yet visible" is
    // asserted against the earliest possible stamp, "visible" against the latest.
    const created = Date.now();
    await iam.send(new CreateRoleCommand({ RoleName: 'late', Path: '/isoctl/s/', AssumeRolePolicyDocument: TRUST }));
    const createdBy = Date.now();
    // The writer's own conflict checks see the role at once.
    expect((await failure(iam.send(new CreateRoleCommand({ RoleName: 'late', AssumeRolePolicyDocument: TRUST })))).name).toBe('EntityAlreadyExistsException');
    const early = await failure(iam.send(new GetRoleCommand({ RoleName: 'late' })));
    if (Date.now() < created + LAG.iam) expect(early.name).toBe('NoSuchEntityException');
    await sleepUntil(createdBy + LAG.iam + 50);
    await iam.send(new PutRolePolicyCommand({ RoleName: 'late', PolicyName: 'data', PolicyDocument: dataPolicy('acme') }));
    const policyPutBy = Date.now();

    const arn = 'arn:aws:iam::000000000000:role/isoctl/s/late';
    expect(ctx.getRole(arn, 'cognito')).toBeUndefined(); // "CreateRole returned, but Cognito was unaware of the role"
    expect(ctx.getRole('late', 'dynamodb')).toBeUndefined();
    // IAM reads see the role (its lag is over) but not yet the policy just put.
    expect((await iam.send(new GetRoleCommand({ RoleName: 'late' }))).Role!.Arn).toBe(arn);
    expect((await failure(iam.send(new GetRolePolicyCommand({ RoleName: 'late', PolicyName: 'data' })))).name).toBe('NoSuchEntityException');

    await sleepUntil(createdBy + LAG.cognito + 20);
    expect(ctx.getRole(arn, 'cognito')?.arn).toBe(arn); // "Cognito was aware of the role, but DynamoDB was not"
    expect(ctx.getRole(arn, 'dynamodb')).toBeUndefined();
    expect((await iam.send(new GetRolePolicyCommand({ RoleName: 'late', PolicyName: 'data' }))).PolicyName).toBe('data');

    await sleepUntil(createdBy + LAG.dynamodb + 20);
    const seenByDynamo = ctx.getRole(arn, 'dynamodb');
    expect(seenByDynamo?.name).toBe('late'); // "DynamoDB was aware of the role, but the role did not contain the inline policy yet"
    expect(seenByDynamo?.inlinePolicies).toEqual({});

    await sleepUntil(policyPutBy + LAG.dynamodb + 20);
    expect(ctx.getRole(arn, 'dynamodb')?.inlinePolicies.data).toEqual(JSON.parse(dataPolicy('acme')));
    // A wrong path in the ARN is another role.
    expect(ctx.getRole('arn:aws:iam::000000000000:role/late', 'dynamodb')).toBeUndefined();
  });

  it('IAM reads right after a write see the previous state until the iam lag passes', async () => {
    const sb = await startSandbox({ stateDir: tempStateDir(), lag: { iam: 400, cognito: 0, dynamodb: 0 } });
    open.push(sb);
    const iam = iamClient(sb);
    // As in the first case: "not yet" against the earliest stamp (before the request), "visible"
    // against the latest (after the answer), so a slow machine cannot fail the test.
    const t = Date.now();
    await iam.send(new CreateRoleCommand({ RoleName: 'r', AssumeRolePolicyDocument: TRUST }));
    const createdBy = Date.now();
    const early = await failure(iam.send(new GetRoleCommand({ RoleName: 'r' })));
    if (Date.now() < t + 400) expect(early.name).toBe('NoSuchEntityException');
    expect((await iam.send(new ListRolesCommand({}))).Roles!.map((r) => r.RoleName)).not.toContain('r');
    // Observers with no lag see it at once.
    expect(sb.context.getRole('r', 'dynamodb')?.name).toBe('r');
    await sleepUntil(createdBy + 420);
    expect((await iam.send(new GetRoleCommand({ RoleName: 'r' }))).Role!.RoleName).toBe('r');

    const next = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Federated: 'cognito-identity.amazonaws.com' }, Action: 'sts:TagSession' }],
    });
    const updated = Date.now();
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'r', PolicyDocument: next }));
    const updatedBy = Date.now();
    const before = decodeURIComponent((await iam.send(new GetRoleCommand({ RoleName: 'r' }))).Role!.AssumeRolePolicyDocument!);
    if (Date.now() < updated + 400) expect(JSON.parse(before)).toEqual(JSON.parse(TRUST));
    await sleepUntil(updatedBy + 420);
    const after = decodeURIComponent((await iam.send(new GetRoleCommand({ RoleName: 'r' }))).Role!.AssumeRolePolicyDocument!);
    expect(JSON.parse(after)).toEqual(JSON.parse(next));
  });

  it('is time-based: a restart does not make a change visible any sooner', async () => {
    const dir = tempStateDir();
    const lag = { iam: 1200, cognito: 1200, dynamodb: 1200 };
    const first = await startSandbox({ stateDir: dir, lag });
    const created = Date.now();
    await iamClient(first).send(new CreateRoleCommand({ RoleName: 'persisted', AssumeRolePolicyDocument: TRUST }));
    const createdBy = Date.now();
    await first.close();
    const second = await startSandbox({ stateDir: dir, lag });
    open.push(second);
    if (Date.now() < created + 1100) {
      expect(second.context.getRole('persisted', 'dynamodb')).toBeUndefined();
      expect((await failure(iamClient(second).send(new GetRoleCommand({ RoleName: 'persisted' })))).name).toBe('NoSuchEntityException');
    }
    await sleepUntil(createdBy + 1250);
    expect(second.context.getRole('persisted', 'dynamodb')?.name).toBe('persisted');
    expect((await iamClient(second).send(new GetRoleCommand({ RoleName: 'persisted' }))).Role!.RoleName).toBe('persisted');
  });

  it('a deleted role stays visible to lagging observers until their lag passes', async () => {
    const sb = await startSandbox({ stateDir: tempStateDir(), lag: { iam: 0, cognito: 0, dynamodb: 500 } });
    open.push(sb);
    const iam = iamClient(sb);
    await iam.send(new CreateRoleCommand({ RoleName: 'leaving', AssumeRolePolicyDocument: TRUST }));
    await sleepUntil(Date.now() + 520);
    const { DeleteRoleCommand } = await import('@aws-sdk/client-iam');
    const deleted = Date.now();
    await iam.send(new DeleteRoleCommand({ RoleName: 'leaving' }));
    const deletedBy = Date.now();
    expect(sb.context.getRole('leaving', 'cognito')).toBeUndefined();
    if (Date.now() < deleted + 450) expect(sb.context.getRole('leaving', 'dynamodb')?.name).toBe('leaving');
    await sleepUntil(deletedBy + 520);
    expect(sb.context.getRole('leaving', 'dynamodb')).toBeUndefined();
  });
});
