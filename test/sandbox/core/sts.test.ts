// STS: GetCallerIdentity for admin and session callers; AssumeRoleWithWebIdentity with a real
// Cognito OpenID token (user pool sign-in -> identity pool GetId -> GetOpenIdToken), the trust
// policy's aud/amr conditions checked, and the issued credentials identifying their role.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateRoleCommand, GetRoleCommand, ListRolesCommand } from '@aws-sdk/client-iam';
import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { RunningSandbox } from '../../../src/sandbox/server.js';
import { cognitoOpenIdToken, cognitoTrust as trustFor, failure, iamClient, sandbox, stsClient } from './helpers.js';

let sb: RunningSandbox;
let token: string;
let identityPoolId: string;
let identityId: string;

beforeAll(async () => {
  sb = await sandbox();
  ({ token, identityPoolId, identityId } = await cognitoOpenIdToken(sb));
  const iam = iamClient(sb);
  await iam.send(new CreateRoleCommand({ RoleName: 'web', Path: '/isoctl/t/', AssumeRolePolicyDocument: trustFor(identityPoolId), MaxSessionDuration: 3600 }));
  await iam.send(new CreateRoleCommand({ RoleName: 'other-pool', AssumeRolePolicyDocument: trustFor('us-east-1:00000000-0000-0000-0000-000000000000') }));
});
afterAll(async () => {
  await sb?.close();
});

/** AssumeRoleWithWebIdentity is unsigned, as the SDK sends it. */
function anonymousSts(): STSClient {
  return new STSClient({ region: 'us-east-1', endpoint: sb.endpoint, maxAttempts: 1 });
}

describe('AssumeRoleWithWebIdentity', () => {
  it('issues temporary credentials for a role whose trust policy names the identity pool', async () => {
    const out = await anonymousSts().send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: 'arn:aws:iam::000000000000:role/isoctl/t/web',
        RoleSessionName: 'alice-session',
        WebIdentityToken: token,
      }),
    );
    expect(out.Credentials!.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(out.Credentials!.SessionToken!.length).toBeGreaterThan(100);
    expect(out.Credentials!.Expiration!.getTime()).toBeGreaterThan(Date.now() + 3500_000);
    expect(out.AssumedRoleUser!.Arn).toBe('arn:aws:sts::000000000000:assumed-role/web/alice-session');
    expect(out.AssumedRoleUser!.AssumedRoleId).toMatch(/^AROA[A-Z2-7]{17}:alice-session$/);
    expect(out.SubjectFromWebIdentityToken).toBe(identityId);
    expect(out.Audience).toBe(identityPoolId);
    expect(out.Provider).toBe('cognito-identity.amazonaws.com');

    const creds = {
      accessKeyId: out.Credentials!.AccessKeyId!,
      secretAccessKey: out.Credentials!.SecretAccessKey!,
      sessionToken: out.Credentials!.SessionToken!,
    };
    const me = await stsClient(sb, { credentials: creds }).send(new GetCallerIdentityCommand({}));
    expect(me.Arn).toBe('arn:aws:sts::000000000000:assumed-role/web/alice-session');
    expect(me.UserId).toBe(out.AssumedRoleUser!.AssumedRoleId);
    // The tenant role has no IAM permissions.
    expect(await failure(iamClient(sb, { credentials: creds }).send(new GetRoleCommand({ RoleName: 'web' })))).toEqual({
      name: 'AccessDenied',
      status: 403,
      message:
        'User: arn:aws:sts::000000000000:assumed-role/web/alice-session is not authorized to perform: iam:GetRole on resource: arn:aws:iam::000000000000:role/web because no identity-based policy allows the iam:GetRole action',
    });
    // A session key without its token, or with another token, is not recognised.
    const noToken = { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey };
    expect((await failure(stsClient(sb, { credentials: noToken }).send(new GetCallerIdentityCommand({})))).name).toBe('InvalidClientTokenId');
    expect((await failure(iamClient(sb, { credentials: { ...creds, sessionToken: 'forged' } }).send(new ListRolesCommand({})))).name).toBe(
      'InvalidClientTokenId',
    );
  });

  it('denies a role whose trust policy names another identity pool, and a role that does not exist', async () => {
    const sts = anonymousSts();
    const denied = { name: 'AccessDenied', status: 403, message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity' };
    expect(
      await failure(
        sts.send(
          new AssumeRoleWithWebIdentityCommand({ RoleArn: 'arn:aws:iam::000000000000:role/other-pool', RoleSessionName: 's1', WebIdentityToken: token }),
        ),
      ),
    ).toEqual(denied);
    expect(
      await failure(
        sts.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: 'arn:aws:iam::000000000000:role/missing', RoleSessionName: 's1', WebIdentityToken: token })),
      ),
    ).toEqual(denied);
    // Right name, wrong path: another role.
    expect(
      await failure(
        sts.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: 'arn:aws:iam::000000000000:role/web', RoleSessionName: 's1', WebIdentityToken: token })),
      ),
    ).toEqual(denied);
  });

  it('rejects tokens it cannot verify, durations above MaxSessionDuration and bad session names', async () => {
    const sts = anonymousSts();
    const arn = 'arn:aws:iam::000000000000:role/isoctl/t/web';
    const forged = `${token.slice(0, -4)}AAAA`;
    expect((await failure(sts.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: arn, RoleSessionName: 's1', WebIdentityToken: forged })))).name).toBe(
      'InvalidIdentityTokenException',
    );
    expect(
      await failure(sts.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: arn, RoleSessionName: 's1', WebIdentityToken: token, DurationSeconds: 7200 }))),
    ).toMatchObject({ name: 'ValidationError', message: 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.' });
    expect((await failure(sts.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: arn, RoleSessionName: 'bad name', WebIdentityToken: token })))).name).toBe(
      'ValidationError',
    );
  });
});

describe('GetCallerIdentity and expiry', () => {
  it('expired temporary credentials are ExpiredToken', async () => {
    const role = sb.context.getRole('web', 'iam')!;
    const issued = sb.context.issueSession(role, 'short', {}, 1);
    await new Promise((r) => setTimeout(r, 1100));
    const creds = { accessKeyId: issued.accessKeyId, secretAccessKey: issued.secretAccessKey, sessionToken: issued.sessionToken };
    expect(await failure(stsClient(sb, { credentials: creds }).send(new GetCallerIdentityCommand({})))).toEqual({
      name: 'ExpiredToken',
      status: 403,
      message: 'The security token included in the request is expired',
    });
  });

  it('unsigned GetCallerIdentity is refused', async () => {
    const res = await fetch(sb.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<Code>MissingAuthenticationToken</Code>');
  });
});
