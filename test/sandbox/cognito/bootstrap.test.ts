// `isoctl sandbox bootstrap` (the built CLI) makes an app client that reads the tenant claim and
// cannot write it, and an identity pool with the basic flow off: then, on the sandbox's AWS-strict
// Cognito, a user's ID token carries the claim and the user cannot change it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  DescribeUserPoolClientCommand,
  InitiateAuthCommand,
  UpdateUserAttributesCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { CognitoIdentityClient, DescribeIdentityPoolCommand } from '@aws-sdk/client-cognito-identity';
import { startSandbox, type RunningSandbox } from '../../../src/sandbox/server.js';
import { runCli } from '../../helpers/cli.js';
import { PASSWORD } from './helpers.js';

describe('isoctl sandbox bootstrap: the app client and identity pool', () => {
  const dir = mkdtempSync(join(tmpdir(), 'isoctl-boot-'));
  let sb: RunningSandbox;
  let ids: { userPool: { id: string }; userPoolClient: { id: string }; identityPool: { id: string } };

  beforeAll(async () => {
    const r = await runCli(['--json', '--stack', 'bs', 'sandbox', 'bootstrap', '--state-dir', dir, '--mapping', 'rules'], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    ids = r.json();
    sb = await startSandbox({ stateDir: dir, waitForAttached: false });
  });
  afterAll(async () => {
    await sb?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the client reads custom:tenant and cannot write it; the basic flow is off', async () => {
    const cfg = { region: sb.region, endpoint: sb.endpoint, credentials: sb.credentials, maxAttempts: 1 };
    const idp = new CognitoIdentityProviderClient(cfg);
    const client = (await idp.send(new DescribeUserPoolClientCommand({ UserPoolId: ids.userPool.id, ClientId: ids.userPoolClient.id }))).UserPoolClient!;
    expect(client.ReadAttributes).toContain('custom:tenant');
    expect(client.ReadAttributes).toContain('email_verified');
    expect(client.WriteAttributes).toContain('email');
    expect(client.WriteAttributes).not.toContain('custom:tenant');
    const pool = await new CognitoIdentityClient(cfg).send(new DescribeIdentityPoolCommand({ IdentityPoolId: ids.identityPool.id }));
    expect(pool.AllowClassicFlow).toBe(false);

    await idp.send(
      new AdminCreateUserCommand({
        UserPoolId: ids.userPool.id,
        Username: 'alice',
        MessageAction: 'SUPPRESS',
        UserAttributes: [{ Name: 'custom:tenant', Value: 'acme' }],
      }),
    );
    await idp.send(new AdminSetUserPasswordCommand({ UserPoolId: ids.userPool.id, Username: 'alice', Password: PASSWORD, Permanent: true }));
    const anonymous = new CognitoIdentityProviderClient({ region: sb.region, endpoint: sb.endpoint, maxAttempts: 1 });
    const auth = (
      await anonymous.send(
        new InitiateAuthCommand({ ClientId: ids.userPoolClient.id, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'alice', PASSWORD } }),
      )
    ).AuthenticationResult!;
    const claims = JSON.parse(Buffer.from(auth.IdToken!.split('.')[1]!, 'base64url').toString('utf8'));
    expect(claims['custom:tenant']).toBe('acme');
    const refused = await anonymous
      .send(new UpdateUserAttributesCommand({ AccessToken: auth.AccessToken!, UserAttributes: [{ Name: 'custom:tenant', Value: 'globex' }] }))
      .then(
        () => undefined,
        (e: Error) => e,
      );
    expect(refused).toMatchObject({ name: 'NotAuthorizedException', message: 'A client attempted to write unauthorized attribute' });
  });
});
