// `isoctl explain` on real AccessDenied messages: a user signs in to the sandbox's user pool,
// gets the tenant role's credentials from the identity pool and makes DynamoDB requests that
// the sandbox refuses; each message is piped into the built CLI, which must name the cause.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync, readFileSync } from 'node:fs';
import { DynamoDBClient, QueryCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { awsApis, type AwsApis } from '../../src/aws/apis.js';
import { AwsCallError } from '../../src/aws/errors.js';
import { cognitoProviderName } from '../../src/aws/cognito-identity.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, waitTableActive, type TestSandbox } from '../helpers/sandbox.js';

const LAG = { iam: 200, cognito: 200, dynamodb: 4000 };
let sb: TestSandbox;
let apis: AwsApis;
let table: string;

function cli(args: string[], input?: string): Promise<CliResult> {
  return runCli(['--sandbox', sb.stateDir, ...args], { timeoutMs: 60_000, input });
}

/** A user of `tenant`'s group signs in; returns a DynamoDB client with the role credentials Cognito issued. */
async function tenantSession(tenant: string, user: string): Promise<DynamoDBClient> {
  const pool = sb.config.userPoolId;
  await apis.cognitoIdp.adminCreateUser(pool, user, {});
  await apis.cognitoIdp.adminSetUserPassword(pool, user, 'Passw0rd!Passw0rd!');
  await apis.cognitoIdp.adminAddUserToGroup(pool, user, tenant);
  const { idToken } = await apis.cognitoIdp.adminSignIn(pool, sb.config.userPoolClientId, user, 'Passw0rd!Passw0rd!');
  const logins = { [cognitoProviderName(sb.region, pool)]: idToken };
  const identityId = await apis.cognitoIdentity.getId(sb.config.identityPoolId, sb.accountId, logins);
  const { accessKeyId, secretAccessKey, sessionToken } = await apis.cognitoIdentity.getCredentialsForIdentity(identityId, logins);
  return new DynamoDBClient({ region: sb.region, endpoint: sb.endpoint, credentials: { accessKeyId, secretAccessKey, sessionToken }, maxAttempts: 1 });
}

async function deniedMessage(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    const e = err as { name?: string; message: string };
    expect(e.name).toBe('AccessDeniedException');
    return e.message;
  }
  throw new Error('expected AccessDenied, the request was allowed');
}

beforeAll(async () => {
  sb = await startTestSandbox({ stack: 'ex', mapping: 'token', granularity: 'tenant', lag: LAG });
  apis = awsApis(sb.clients);
  table = sb.config.tables[0]!.name;
  // A second, attribute-restricted table (the second seed's AgentsTable).
  const cfg = JSON.parse(readFileSync(sb.configPath, 'utf8'));
  cfg.tables.push({ name: 'ex-agents', partitionKey: 'tenantId', sortKey: 'fieldName', attributes: ['tenantId', 'fieldName', 'isOnAssignment'] });
  writeFileSync(sb.configPath, JSON.stringify(cfg, null, 2));
  await apis.dynamodb.createTable({ name: 'ex-agents', partitionKey: { name: 'tenantId', type: 'S' }, sortKey: { name: 'fieldName', type: 'S' }, tags: {} });
  await waitTableActive(sb.clients, 'ex-agents');
  const init = await cli(['init', '--json']);
  expect(init.code, init.stderr).toBe(0);
  const create = await cli(['tenant', 'create', 'acme', '--wait', 'data', '--json']);
  expect(create.code, create.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await sb?.stop();
});

describe("explain on the sandbox's own AccessDenied messages", () => {
  it("another tenant's key (the message on stdin, the key as a flag): other-tenant-key, exit 0", async () => {
    const ddb = await tenantSession('acme', 'jane');
    const msg = await deniedMessage(
      ddb.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'tenantId = :t', ExpressionAttributeValues: { ':t': { S: 'globex' } } })),
    );
    expect(msg).toContain('assumed-role/isoctl-ex-acme/');
    const r = await cli(['explain', '--key', 'globex', '--json'], msg);
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json();
    expect(doc.cause.id).toBe('other-tenant-key');
    expect(doc.cause.certainty).toBe('certain');
    expect(doc.tenant).toBe('acme');
    expect(doc.role.name).toBe('isoctl-ex-acme');
    // The human form names the cause and the fix on stdout.
    const human = await cli(['explain', msg, '--key', 'globex']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/cause: the request reaches partition "globex", not "acme"/);
    ddb.destroy();
  });

  it('Scan on the pooled table: scan', async () => {
    const ddb = await tenantSession('acme', 'john');
    const msg = await deniedMessage(ddb.send(new ScanCommand({ TableName: table })));
    const r = await cli(['explain', '--json', msg]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().cause.id).toBe('scan');
    ddb.destroy();
  });

  it('no ProjectionExpression on the attribute-restricted table (--request with the real input): no-projection', async () => {
    const ddb = await tenantSession('acme', 'ada');
    const input = { TableName: 'ex-agents', KeyConditionExpression: 'tenantId = :t', ExpressionAttributeValues: { ':t': { S: 'acme' } } };
    const msg = await deniedMessage(ddb.send(new QueryCommand(input)));
    const r = await cli(['explain', '--json', '--request', JSON.stringify(input), msg]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().cause).toMatchObject({ id: 'no-projection', seedCause: 2, certainty: 'certain' });
    // With the projection the same request is allowed: the cause was right.
    const ok = await ddb.send(new QueryCommand({ ...input, ProjectionExpression: 'tenantId,fieldName,isOnAssignment' }));
    expect(ok.$metadata.httpStatusCode).toBe(200);
    ddb.destroy();
  });

  it('a role DynamoDB does not see yet (created a moment ago, dynamodb lag 4 s): not-propagated', async () => {
    const create = await cli(['tenant', 'create', 'fresh', '--wait', 'cognito', '--json']);
    expect(create.code, create.stderr).toBe(0);
    const ddb = await tenantSession('fresh', 'newbie');
    const msg = await deniedMessage(
      ddb.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'tenantId = :t', ExpressionAttributeValues: { ':t': { S: 'fresh' } } })),
    );
    const r = await cli(['explain', '--json', '--key', 'fresh', msg]);
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json();
    expect(doc.cause.id).toBe('not-propagated');
    expect(doc.role.ageSeconds).toBeLessThan(30);
    expect(doc.cause.fix.command).toBe('isoctl tenant create fresh --wait data');
    ddb.destroy();
  });

  it('the inline policy deleted by hand: inline-policy-missing, fix `tenant create`; after the fix the request passes', async () => {
    const ddb = await tenantSession('acme', 'grace');
    await apis.iam.deleteRolePolicy('isoctl-ex-acme', 'isoctl-data');
    await new Promise((r) => setTimeout(r, LAG.dynamodb + 200));
    const input = { TableName: table, KeyConditionExpression: 'tenantId = :t', ExpressionAttributeValues: { ':t': { S: 'acme' } } };
    const msg = await deniedMessage(ddb.send(new QueryCommand(input)));
    const r = await cli(['explain', '--json', msg]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().cause).toMatchObject({ id: 'inline-policy-missing', fix: { command: 'isoctl tenant create acme' } });
    const fix = await cli(['tenant', 'create', 'acme', '--wait', 'data', '--json']);
    expect(fix.code, fix.stderr).toBe(0);
    expect((await ddb.send(new QueryCommand(input))).$metadata.httpStatusCode).toBe(200);
    ddb.destroy();
  });

  it('text that is not an AccessDenied message: exit 2 with a JSON error', async () => {
    const r = await cli(['explain', '--json'], 'ThrottlingException: Rate exceeded');
    expect(r.code).toBe(2);
    expect(r.json().error.code).toBe('not_access_denied');
  });
});

describe('explain for a per-user stack', () => {
  let us: TestSandbox;
  afterAll(async () => {
    await us?.stop();
  });

  it('the identity pool lost its principal-tag map: principal-tag-map-missing from the message alone', async () => {
    us = await startTestSandbox({ stack: 'exu', mapping: 'token', granularity: 'user', lag: { iam: 0, cognito: 0, dynamodb: 0 } });
    const ua = awsApis(us.clients);
    const ucli = (args: string[], input?: string) => runCli(['--sandbox', us.stateDir, ...args], { timeoutMs: 60_000, input });
    expect((await ucli(['init'])).code).toBe(0);
    const created = await ucli(['tenant', 'create', 'acme', '--wait', 'iam']);
    expect(created.code, created.stderr).toBe(0);
    const provider = cognitoProviderName(us.region, us.config.userPoolId);
    await ua.cognitoIdentity.setPrincipalTagAttributeMap(us.config.identityPoolId, provider, { useDefaults: false, principalTags: {} });
    const pool = us.config.userPoolId;
    const user = await ua.cognitoIdp.adminCreateUser(pool, 'agent', {});
    await ua.cognitoIdp.adminSetUserPassword(pool, 'agent', 'Passw0rd!Passw0rd!');
    await ua.cognitoIdp.adminAddUserToGroup(pool, 'agent', 'acme');
    const { idToken } = await ua.cognitoIdp.adminSignIn(pool, us.config.userPoolClientId, 'agent', 'Passw0rd!Passw0rd!');
    const logins = { [provider]: idToken };
    const id = await ua.cognitoIdentity.getId(us.config.identityPoolId, us.accountId, logins);
    const { accessKeyId, secretAccessKey, sessionToken } = await ua.cognitoIdentity.getCredentialsForIdentity(id, logins);
    const creds = { accessKeyId, secretAccessKey, sessionToken };
    let msg = '';
    try {
      await ua.withCredentials(creds).dynamodb.query({ table: us.config.tables[0]!.name, keyName: 'tenantId', keyValue: { S: user.sub! } });
    } catch (err) {
      expect(err).toBeInstanceOf(AwsCallError);
      msg = (err as AwsCallError).awsMessage;
    }
    expect(msg).toContain('is not authorized to perform: dynamodb:Query');
    const r = await ucli(['explain', '--json'], msg);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().cause).toMatchObject({ id: 'principal-tag-map-missing', seedCause: 1, fix: { command: 'isoctl init' } });
    // The fix named: init restores the map, and a fresh session reads its own partition.
    expect((await ucli(['init'])).code).toBe(0);
    const fresh = await ua.cognitoIdentity.getCredentialsForIdentity(id, logins);
    const creds2 = { accessKeyId: fresh.accessKeyId, secretAccessKey: fresh.secretAccessKey, sessionToken: fresh.sessionToken };
    await expect(
      ua.withCredentials(creds2).dynamodb.query({ table: us.config.tables[0]!.name, keyName: 'tenantId', keyValue: { S: user.sub! } }),
    ).resolves.toBe(0);
  });
});
