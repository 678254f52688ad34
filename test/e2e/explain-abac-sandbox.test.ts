// `isoctl explain` in ABAC mode on the sandbox's own AccessDenied messages: users of two tenants
// (given their tenant with `isoctl user add`) sign in through the identity pool and get a shared
// scope role's credentials tagged `isoctl-tenant=<tenant>`; the refused requests are piped into the
// built CLI, which must read the tenant from the session's tag (not the role name, which names the
// scope) and name the cause: another tenant's key, a deleted tenant, the principal-tag map without
// the tenant tag, an app client that cannot read the claim.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { CognitoIdentityProviderClient, DescribeUserPoolClientCommand, UpdateUserPoolClientCommand } from '@aws-sdk/client-cognito-identity-provider';
import { awsApis, type AwsApis } from '../../src/aws/apis.js';
import { cognitoProviderName } from '../../src/aws/cognito-identity.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const PASSWORD = 'Passw0rd!Passw0rd!';
let sb: TestSandbox;
let apis: AwsApis;
let table: string;

const cli = (args: string[], input?: string): Promise<CliResult> => runCli(['--sandbox', sb.stateDir, ...args], { timeoutMs: 60_000, input });

async function signIn(user: string): Promise<string> {
  await apis.cognitoIdp.adminSetUserPassword(sb.config.userPoolId, user, PASSWORD);
  return (await apis.cognitoIdp.adminSignIn(sb.config.userPoolId, sb.config.userPoolClientId, user, PASSWORD)).idToken;
}

/** The scope role's credentials the identity pool issues for this ID token. */
async function session(idToken: string): Promise<DynamoDBClient> {
  const logins = { [cognitoProviderName(sb.region, sb.config.userPoolId)]: idToken };
  const identityId = await apis.cognitoIdentity.getId(sb.config.identityPoolId, sb.accountId, logins);
  const { accessKeyId, secretAccessKey, sessionToken } = await apis.cognitoIdentity.getCredentialsForIdentity(identityId, logins);
  return new DynamoDBClient({ region: sb.region, endpoint: sb.endpoint, credentials: { accessKeyId, secretAccessKey, sessionToken }, maxAttempts: 1 });
}

async function deniedQuery(ddb: DynamoDBClient, key: string): Promise<string> {
  try {
    await ddb.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'tenantId = :t', ExpressionAttributeValues: { ':t': { S: key } } }));
  } catch (err) {
    expect((err as Error).name).toBe('AccessDeniedException');
    return (err as Error).message;
  }
  throw new Error(`the query for ${key} was allowed`);
}

let janeToken: string;
let jane: DynamoDBClient;

beforeAll(async () => {
  sb = await startTestSandbox({ stack: 'exa', mapping: 'abac', granularity: 'tenant' });
  apis = awsApis(sb.clients);
  table = sb.config.tables.find((t) => t.model === 'pooled')!.name;
  expect((await cli(['init'])).code).toBe(0);
  for (const t of ['alpha', 'bravo']) {
    const c = await cli(['tenant', 'create', t, '--wait', 'none']);
    expect(c.code, c.stderr).toBe(0);
  }
  for (const [t, u] of [
    ['alpha', 'jane'],
    ['bravo', 'john'],
  ] as const) {
    const r = await cli(['user', 'add', t, u]);
    expect(r.code, r.stderr).toBe(0);
  }
  janeToken = await signIn('jane');
  jane = await session(janeToken);
}, 180_000);

afterAll(async () => {
  jane?.destroy();
  await sb?.stop();
});

describe('explain in ABAC mode (sandbox)', () => {
  it("another tenant's key: principal-tag-wrong, the tenant read from the session's tag (not the scope in the role name)", async () => {
    const msg = await deniedQuery(jane, 'bravo');
    expect(msg).toMatch(/assumed-role\/isoctl-exa-read\//);
    const r = await cli(['explain', '--json', '--key', 'bravo', '--id-token', janeToken], msg);
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json();
    expect(doc.tenant).toBe('alpha');
    expect(doc.cause).toMatchObject({ id: 'principal-tag-wrong', certainty: 'certain', seedCause: 1 });
    expect(doc.cause.summary).toMatch(/session's tenant is "alpha", the request reaches tenant "bravo"'s data/);
    expect(doc.cause.fix.action).toMatch(/isoctl user move jane bravo/);
    // The same with the tag given directly.
    const t = await cli(['explain', '--json', '--key', 'bravo', '--principal-tag', 'isoctl-tenant=alpha', msg]);
    expect(t.json().cause.id).toBe('principal-tag-wrong');
  });

  it('the principal-tag map rewritten without the tenant tag: principal-tag-map-missing, fix `isoctl init` (admin)', async () => {
    const provider = cognitoProviderName(sb.region, sb.config.userPoolId);
    await apis.cognitoIdentity.setPrincipalTagAttributeMap(sb.config.identityPoolId, provider, { useDefaults: false, principalTags: { username: 'sub' } });
    let msg: string;
    try {
      msg = await deniedQuery(jane, 'bravo');
      const r = await cli(['explain', '--json', '--id-token', janeToken, msg]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json().cause).toMatchObject({ id: 'principal-tag-map-missing', certainty: 'certain', seedCause: 1 });
      expect(r.json().cause.fix.command).toBe('isoctl init');
      expect(r.json().cause.fix.action).toMatch(/administrator credentials/);
    } finally {
      // The fix explain names (the sandbox's keys are the administrator's).
      expect((await cli(['init'])).code).toBe(0);
    }
    const after = await cli(['explain', '--json', '--id-token', janeToken, '--key', 'bravo', msg]);
    expect(after.json().cause.id).toBe('principal-tag-wrong');
  });

  it('the app client cannot read the claim: principal-tag-missing naming ReadAttributes', async () => {
    const idp = new CognitoIdentityProviderClient({ region: sb.region, endpoint: sb.endpoint, credentials: sb.credentials });
    const { UserPoolClient: before } = await idp.send(
      new DescribeUserPoolClientCommand({ UserPoolId: sb.config.userPoolId, ClientId: sb.config.userPoolClientId }),
    );
    const update = (read: string[] | undefined) =>
      idp.send(
        new UpdateUserPoolClientCommand({
          UserPoolId: sb.config.userPoolId,
          ClientId: sb.config.userPoolClientId,
          ExplicitAuthFlows: before!.ExplicitAuthFlows,
          ReadAttributes: read,
          WriteAttributes: before!.WriteAttributes,
        }),
      );
    await update((before!.ReadAttributes ?? []).filter((a) => a !== sb.config.tenantClaim));
    try {
      const msg = await deniedQuery(jane, 'bravo');
      const fresh = await signIn('jane');
      const r = await cli(['explain', '--json', '--id-token', fresh, msg]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json().cause).toMatchObject({ id: 'principal-tag-missing', certainty: 'certain', seedCause: 1 });
      expect(r.json().cause.summary).toBe('the ID token has no custom:tenant claim: the app client cannot read it');
      expect(r.json().cause.fix.action).toMatch(/ReadAttributes/);
    } finally {
      await update(before!.ReadAttributes);
      idp.destroy();
    }
  });

  it('a suspended tenant: tenant-suspended, fix `isoctl tenant resume alpha`; after the resume the request passes', async () => {
    const sus = await cli(['tenant', 'suspend', 'alpha', '--wait', 'data']);
    expect(sus.code, sus.stderr).toBe(0);
    const msg = await deniedQuery(jane, 'alpha');
    expect(msg).toMatch(/explicit deny/);
    const r = await cli(['explain', '--json', '--key', 'alpha', '--id-token', janeToken, msg]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().tenant).toBe('alpha');
    expect(r.json().cause).toMatchObject({ id: 'tenant-suspended', certainty: 'certain' });
    expect(r.json().cause.fix.command).toBe('isoctl tenant resume alpha');
    const res = await cli(['tenant', 'resume', 'alpha', '--wait', 'data']);
    expect(res.code, res.stderr).toBe(0);
    const ok = await jane.send(
      new QueryCommand({ TableName: table, KeyConditionExpression: 'tenantId = :t', ExpressionAttributeValues: { ':t': { S: 'alpha' } } }),
    );
    expect(ok.$metadata.httpStatusCode).toBe(200);
  });

  it('a deleted tenant (credentials issued before the delete): tenant-deleted, the tombstone named', async () => {
    const johnToken = await signIn('john');
    const john = await session(johnToken);
    const del = await cli(['tenant', 'delete', 'bravo', '--yes']);
    expect(del.code, del.stderr).toBe(0);
    let msg: string | undefined;
    for (let i = 0; i < 40 && msg === undefined; i++) {
      msg = await deniedQuery(john, 'bravo').catch(() => undefined);
      if (msg === undefined) await new Promise((r) => setTimeout(r, 250));
    }
    expect(msg).toMatch(/explicit deny/);
    const r = await cli(['explain', '--json', '--key', 'bravo', '--id-token', johnToken, msg!]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().tenant).toBe('bravo');
    expect(r.json().cause).toMatchObject({ id: 'tenant-deleted', certainty: 'certain' });
    expect(r.json().cause.summary).toMatch(/^tenant bravo was deleted: the tombstone \(isoctl-tombstones on isoctl-exa-(read|write)\) denies its sessions$/);
    john.destroy();
  });
});
