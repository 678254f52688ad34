// IAM users, access keys and managed-policy attachments through the AWS CLI (botocore parses
// every answer): AWS's shapes and errors, and a user's key identifying that user.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../../src/sandbox/server.js';
import { awsCli, type AwsKeys } from './aws-cli-runner.js';
import { TRUST, sandbox } from './helpers.js';

let sb: RunningSandbox;
const aws = (args: string[], creds: AwsKeys = sb.credentials) => awsCli(sb.endpoint, creds, args);
const POLICY = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:GetCallerIdentity', Resource: '*' }] });

beforeAll(async () => {
  sb = await sandbox();
});
afterAll(async () => {
  await sb?.close();
});

describe('managed policies attached to roles', () => {
  it('attach, list, and DeleteRole refused until detached', { timeout: 240_000 }, async () => {
    const pol = await aws(['iam', 'create-policy', '--policy-name', 'attachme', '--policy-document', POLICY]);
    expect(pol.code, pol.stderr).toBe(0);
    const arn = pol.json.Policy.Arn as string;
    expect((await aws(['iam', 'create-role', '--role-name', 'holder', '--assume-role-policy-document', TRUST])).code).toBe(0);
    const attach = await aws(['iam', 'attach-role-policy', '--role-name', 'holder', '--policy-arn', arn]);
    expect(attach.code, attach.stderr).toBe(0);
    const listed = await aws(['iam', 'list-attached-role-policies', '--role-name', 'holder']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.json.AttachedPolicies).toEqual([{ PolicyName: 'attachme', PolicyArn: arn }]);
    const got = await aws(['iam', 'get-policy', '--policy-arn', arn]);
    expect(got.json.Policy.AttachmentCount).toBe(1);

    const conflict = await aws(['iam', 'delete-role', '--role-name', 'holder']);
    expect(conflict.code).not.toBe(0);
    expect(conflict.stderr).toContain('(DeleteConflict)');
    expect(conflict.stderr).toContain('Cannot delete entity, must detach all policies first.');
    const policyConflict = await aws(['iam', 'delete-policy', '--policy-arn', arn]);
    expect(policyConflict.stderr).toContain('(DeleteConflict)');

    expect((await aws(['iam', 'detach-role-policy', '--role-name', 'holder', '--policy-arn', arn])).code).toBe(0);
    const again = await aws(['iam', 'detach-role-policy', '--role-name', 'holder', '--policy-arn', arn]);
    expect(again.stderr).toContain('(NoSuchEntity)');
    expect(again.stderr).toContain(`Policy ${arn} was not found.`);
    const missing = await aws(['iam', 'attach-role-policy', '--role-name', 'holder', '--policy-arn', `${arn}-nope`]);
    expect(missing.stderr).toContain('(NoSuchEntity)');
    expect(missing.stderr).toContain('does not exist or is not attachable.');
    expect((await aws(['iam', 'delete-role', '--role-name', 'holder'])).code).toBe(0);
  });
});

describe('IAM users and access keys', () => {
  it('create/get user, inline and attached policies, keys; a user key identifies the user', { timeout: 240_000 }, async () => {
    const created = await aws(['iam', 'create-user', '--user-name', 'operator', '--path', '/isoctl/', '--tags', 'Key=team,Value=ops']);
    expect(created.code, created.stderr).toBe(0);
    expect(created.json.User).toMatchObject({ UserName: 'operator', Path: '/isoctl/', Arn: `arn:aws:iam::${sb.accountId}:user/isoctl/operator` });
    expect(created.json.User.UserId).toMatch(/^AIDA[A-Z2-7]{17}$/);
    const dup = await aws(['iam', 'create-user', '--user-name', 'OPERATOR']);
    expect(dup.stderr).toContain('(EntityAlreadyExists)');
    const got = await aws(['iam', 'get-user', '--user-name', 'operator']);
    expect(got.json.User.Tags).toEqual([{ Key: 'team', Value: 'ops' }]);

    expect((await aws(['iam', 'put-user-policy', '--user-name', 'operator', '--policy-name', 'who', '--policy-document', POLICY])).code).toBe(0);
    expect((await aws(['iam', 'list-user-policies', '--user-name', 'operator'])).json.PolicyNames).toEqual(['who']);
    const doc = await aws(['iam', 'get-user-policy', '--user-name', 'operator', '--policy-name', 'who']);
    expect(doc.json.PolicyDocument).toEqual(JSON.parse(POLICY));
    const pol = await aws(['iam', 'create-policy', '--policy-name', 'userpol', '--policy-document', POLICY]);
    const arn = pol.json.Policy.Arn as string;
    expect((await aws(['iam', 'attach-user-policy', '--user-name', 'operator', '--policy-arn', arn])).code).toBe(0);
    expect((await aws(['iam', 'list-attached-user-policies', '--user-name', 'operator'])).json.AttachedPolicies).toEqual([
      { PolicyName: 'userpol', PolicyArn: arn },
    ]);

    const key = await aws(['iam', 'create-access-key', '--user-name', 'operator']);
    expect(key.code, key.stderr).toBe(0);
    expect(key.json.AccessKey).toMatchObject({ UserName: 'operator', Status: 'Active' });
    expect(key.json.AccessKey.AccessKeyId).toMatch(/^AKIA/);
    const listed = await aws(['iam', 'list-access-keys', '--user-name', 'operator']);
    expect(listed.json.AccessKeyMetadata.map((k: { AccessKeyId: string }) => k.AccessKeyId)).toEqual([key.json.AccessKey.AccessKeyId]);

    const keys = { accessKeyId: key.json.AccessKey.AccessKeyId as string, secretAccessKey: key.json.AccessKey.SecretAccessKey as string };
    const me = await aws(['sts', 'get-caller-identity'], keys);
    expect(me.code, me.stderr).toBe(0);
    expect(me.json).toEqual({ UserId: created.json.User.UserId, Account: sb.accountId, Arn: `arn:aws:iam::${sb.accountId}:user/isoctl/operator` });

    const conflict = await aws(['iam', 'delete-user', '--user-name', 'operator']);
    expect(conflict.stderr).toContain('(DeleteConflict)');
    expect((await aws(['iam', 'delete-access-key', '--user-name', 'operator', '--access-key-id', keys.accessKeyId])).code).toBe(0);
    const gone = await aws(['sts', 'get-caller-identity'], keys);
    expect(gone.stderr).toContain('(InvalidClientTokenId)');
    expect((await aws(['iam', 'detach-user-policy', '--user-name', 'operator', '--policy-arn', arn])).code).toBe(0);
    expect((await aws(['iam', 'delete-user-policy', '--user-name', 'operator', '--policy-name', 'who'])).code).toBe(0);
    const noPolicy = await aws(['iam', 'get-user-policy', '--user-name', 'operator', '--policy-name', 'who']);
    expect(noPolicy.stderr).toContain('(NoSuchEntity)');
    expect((await aws(['iam', 'delete-user', '--user-name', 'operator'])).code).toBe(0);
    const noUser = await aws(['iam', 'get-user', '--user-name', 'operator']);
    expect(noUser.stderr).toContain('(NoSuchEntity)');
    expect(noUser.stderr).toContain('The user with name operator cannot be found.');
  });
});
