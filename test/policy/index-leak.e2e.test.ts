// #11 vector 1 end to end through the identity pool on the sandbox: tenant globex writes its own
// row with `status = "acme"`; a signed-in acme user queries an index for `status = "acme"`.
// With an index partitioned on `status` granted (the pre-fix data policy, put back by hand) the
// query returns globex's row; isoctl's policy grants only the tenant-keyed index, and the query
// on `byStatus` is denied while `byTenantStatus` returns acme's rows only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { CreateTableCommand, DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { awsApis, type AwsApis } from '../../src/aws/apis.js';
import { cognitoProviderName } from '../../src/aws/cognito-identity.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, waitTableActive, type TestSandbox } from '../helpers/sandbox.js';

let sb: TestSandbox;
let apis: AwsApis;
const cli = (args: string[]): Promise<CliResult> => runCli(['--sandbox', sb.stateDir, ...args], { timeoutMs: 60_000 });

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

const statusQuery = (index: string) =>
  new QueryCommand({
    TableName: 'Tickets',
    IndexName: index,
    KeyConditionExpression: index === 'byStatus' ? '#s = :v' : 'tenantId = :t AND #s = :v',
    ExpressionAttributeNames: { '#s': 'status' },
    ExpressionAttributeValues: index === 'byStatus' ? { ':v': { S: 'acme' } } : { ':t': { S: 'acme' }, ':v': { S: 'acme' } },
  });

let acme: DynamoDBClient;
let globex: DynamoDBClient;

beforeAll(async () => {
  sb = await startTestSandbox({ stack: 'idx', mapping: 'token', granularity: 'tenant' });
  apis = awsApis(sb.clients);
  const ddb = new DynamoDBClient({ region: sb.region, endpoint: sb.endpoint, credentials: sb.credentials });
  await ddb.send(
    new CreateTableCommand({
      TableName: 'Tickets',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'tenantId', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'status', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'tenantId', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        { IndexName: 'byStatus', KeySchema: [{ AttributeName: 'status', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } },
        {
          IndexName: 'byTenantStatus',
          KeySchema: [
            { AttributeName: 'tenantId', KeyType: 'HASH' },
            { AttributeName: 'status', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  ddb.destroy();
  await waitTableActive(sb.clients, 'Tickets');
  const cfg = JSON.parse(readFileSync(sb.configPath, 'utf8'));
  cfg.tables.push({ name: 'Tickets', partitionKey: 'tenantId', sortKey: 'sk', indexes: [{ name: 'byTenantStatus', partitionKey: 'tenantId' }] });
  writeFileSync(sb.configPath, JSON.stringify(cfg, null, 2));
  const init = await cli(['init', '--json']);
  expect(init.code, init.stderr).toBe(0);
  for (const t of ['acme', 'globex']) {
    const c = await cli(['tenant', 'create', t, '--wait', 'cognito', '--json']);
    expect(c.code, c.stderr).toBe(0);
  }
  acme = await tenantSession('acme', 'alice');
  globex = await tenantSession('globex', 'gary');
  // globex plants a row of its own, with the index key set to acme's id.
  await globex.send(new PutItemCommand({ TableName: 'Tickets', Item: { tenantId: { S: 'globex' }, sk: { S: 'planted' }, status: { S: 'acme' } } }));
  await acme.send(new PutItemCommand({ TableName: 'Tickets', Item: { tenantId: { S: 'acme' }, sk: { S: 'own' }, status: { S: 'acme' } } }));
}, 180_000);

afterAll(async () => {
  acme?.destroy();
  globex?.destroy();
  await sb?.stop();
});

describe('an index keyed on another attribute, through the identity pool', () => {
  it("isoctl's policy: byStatus is denied, byTenantStatus returns acme's row only", async () => {
    await expect(acme.send(statusQuery('byStatus'))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    const own = await acme.send(statusQuery('byTenantStatus'));
    expect(own.Items?.map((i) => i.tenantId?.S)).toEqual(['acme']);
  });

  it("the pre-fix documents (byStatus granted under the same LeadingKeys condition, inline and boundary) leak globex's row to acme", async () => {
    const iam = new IAMClient({ region: sb.region, endpoint: sb.endpoint, credentials: sb.credentials });
    const role = 'isoctl-idx-acme';
    const table = `arn:aws:dynamodb:${sb.region}:${sb.accountId}:table/Tickets`;
    const old = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['dynamodb:Query'],
          Resource: [table, `${table}/index/byStatus`],
          Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['acme'] }, Null: { 'dynamodb:LeadingKeys': 'false' } },
        },
      ],
    };
    await iam.send(new PutRolePolicyCommand({ RoleName: role, PolicyName: 'pre-fix', PolicyDocument: JSON.stringify(old) }));
    iam.destroy();
    // And the pre-fix boundary, which granted every listed index the same way (an admin's CreatePolicyVersion).
    const boundaryArn = `arn:aws:iam::${sb.accountId}:policy/isoctl/idx/isoctl-idx-boundary`;
    const current = await apis.iam.getPolicy(boundaryArn);
    const doc = (await apis.iam.getPolicyVersion(boundaryArn, current!.defaultVersionId)) as {
      Statement: Array<{ Sid?: string; Resource: string | string[] }>;
    };
    const read = doc.Statement.find((st) => st.Sid === 'ReadTickets')!;
    read.Resource = [...(Array.isArray(read.Resource) ? read.Resource : [read.Resource]), `${table}/index/byStatus`];
    await apis.iam.createPolicyVersion(boundaryArn, JSON.stringify(doc));
    const leaked = await acme.send(statusQuery('byStatus'));
    expect(leaked.Items?.map((i) => i.tenantId?.S).sort()).toEqual(['acme', 'globex']);
  });
});
