// The adapter reads and writes the resource modules added, against moto and the sandbox:
// ListTagsOfResource (the silo-table filter reads isoctl:tenant; CreateTable's Tags must land),
// and the role's removal detaching a managed policy someone attached, leaving the policy itself
// in place.
import { AttachRolePolicyCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsApis, type AwsApis } from '../../src/aws/apis.js';
import { validateConfig } from '../../src/config/load.js';
import { role } from '../../src/tenant/resources/index.js';
import { motoTarget, sandboxTarget, type AwsTarget } from '../helpers/aws-target.js';

const targets: Array<[string, () => Promise<AwsTarget>]> = [
  ['moto', motoTarget],
  ['sandbox', sandboxTarget],
];

describe.each(targets)('%s', (name, start) => {
  let target: AwsTarget;
  let apis: AwsApis;
  beforeAll(async () => {
    target = await start();
    apis = awsApis(target.clients);
  }, 60_000);
  afterAll(async () => target?.stop());

  it('CreateTable with Tags, then ListTagsOfResource returns them; a missing table reads as undefined', async () => {
    const t = await apis.dynamodb.createTable({
      name: 'Files-acme',
      partitionKey: { name: 'pk', type: 'S' },
      sortKey: undefined,
      tags: { 'isoctl:tenant': 'acme', 'isoctl:stack': 'x' },
    });
    expect(await apis.dynamodb.listTableTags(t.arn)).toEqual({ 'isoctl:tenant': 'acme', 'isoctl:stack': 'x' });
    expect(await apis.dynamodb.listTableTags(t.arn.replace('Files-acme', 'Files-none'))).toBeUndefined();
  });

  it('role removal detaches an attached managed policy (never deletes it), then deletes the role', async () => {
    const policy = await apis.iam.createPolicy({
      name: 'ops-readonly',
      path: '/ops/',
      document: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:ListBucket', Resource: '*' }] }),
      tags: {},
    });
    const boundary = await apis.iam.createPolicy({
      name: 'b',
      path: '/isoctl/x/',
      document: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }),
      tags: {},
    });
    await apis.iam.createRole({
      name: 'isoctl-x-acme',
      path: '/isoctl/x/',
      trustPolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }),
      permissionsBoundaryArn: boundary.arn,
      tags: {},
    });
    await apis.iam.putRolePolicy(
      'isoctl-x-acme',
      'isoctl-data',
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: '*' }] }),
    );
    // AttachRolePolicy is not part of isoctl's adapter (isoctl never attaches): the SDK's command directly.
    await (await target.clients.iam()).send(new AttachRolePolicyCommand({ RoleName: 'isoctl-x-acme', PolicyArn: policy.arn }));
    expect(await apis.iam.listAttachedRolePolicies('isoctl-x-acme')).toEqual([policy.arn]);
    const config = validateConfig(
      {
        stack: 'x',
        region: target.region,
        accountId: target.accountId,
        userPoolId: target.userPoolId,
        userPoolClientId: target.clientId,
        identityPoolId: target.identityPoolId,
        tables: [{ name: 'Things', partitionKey: 'tenantId' }],
      },
      'test',
    );
    const ctx = {
      apis,
      config,
      now: () => Date.now(),
      sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
      deadline: Date.now() + 10_000,
      confirm: true,
    };
    const o = await role.remove(ctx, { name: 'isoctl-x-acme', inlinePolicies: ['isoctl-data'] });
    expect(o).toMatchObject({ state: 'removed', removedPolicies: ['isoctl-data'], detachedPolicies: [policy.arn] });
    expect(await apis.iam.getRole('isoctl-x-acme')).toBeUndefined();
    expect(await apis.iam.getPolicy(policy.arn)).toBeDefined();
  });
});
