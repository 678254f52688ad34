// #11 vectors 1, 2 and 5 where they live in the account, not in the documents: `isoctl init`
// (the built CLI against the sandbox) refuses, with exit 4 and nothing changed, an identity pool
// with the basic flow on, an app client that lets users write the tenant claim (or cannot read
// it) in rules and ABAC mode, and a listed index whose partition key DescribeTable shows is not the
// tenant key. The bootstrapped stack passes.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CognitoIdentityClient, DescribeIdentityPoolCommand, UpdateIdentityPoolCommand } from '@aws-sdk/client-cognito-identity';
import {
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  DescribeUserPoolClientCommand,
  UpdateUserPoolClientCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let sb: TestSandbox;
let writerConfig = '';
let writerId = '';
/** The writer client lets users write custom:tenant, or not. While it does, EVERY config of this pool is unsafe (row 5b). */
let setWriter: (writable: boolean) => Promise<void> = async () => {};
let statusIndexConfig = '';
const cli = (args: string[]): Promise<CliResult> => runCli(['--sandbox', sb.stateDir, ...args], { timeoutMs: 60_000 });
const client = <T>(C: new (o: object) => T): T => new C({ region: sb.region, endpoint: sb.endpoint, credentials: sb.credentials });

beforeAll(async () => {
  sb = await startTestSandbox({ stack: 'acct', mapping: 'rules' });
}, 60_000);
afterAll(async () => {
  await sb?.stop();
});

async function refusal(args: string[] = ['init', '--json']): Promise<{ code: number | null; message: string; mutating: number }> {
  const mark = sb.mark();
  const r = await cli(args);
  const mutating = sb.since(mark).filter((l) => l.mutating).length;
  return { code: r.code, message: r.code === 0 ? '' : (r.json().error?.message as string), mutating };
}

// Each case runs several CLI commands against the sandbox: 180 s (60 s timed out at load 22).
describe('init refuses an account that would let one tenant reach another', { timeout: 180_000 }, () => {
  it("the identity pool's basic flow on: exit 4, nothing changed; off again: init passes", async () => {
    const ci = client(CognitoIdentityClient);
    const pool = await ci.send(new DescribeIdentityPoolCommand({ IdentityPoolId: sb.config.identityPoolId }));
    const { $metadata: _m, ...input } = pool;
    const update = (on: boolean) =>
      ci.send(
        new UpdateIdentityPoolCommand({
          ...input,
          IdentityPoolId: pool.IdentityPoolId!,
          IdentityPoolName: pool.IdentityPoolName!,
          AllowUnauthenticatedIdentities: false,
          AllowClassicFlow: on,
        }),
      );
    await update(true);
    const r = await refusal();
    expect(r.code).toBe(4);
    expect(r.message).toContain('allows the basic (classic) flow');
    expect(r.message).toContain('--no-allow-classic-flow');
    expect(r.mutating).toBe(0);
    await update(false);
    ci.destroy();
  });

  it('an app client that lets users write custom:tenant (rules and ABAC mode): exit 4 naming the client, the attribute and the fix; one that cannot read it too', async () => {
    const idp = client(CognitoIdentityProviderClient);
    const current = (await idp.send(new DescribeUserPoolClientCommand({ UserPoolId: sb.config.userPoolId, ClientId: sb.config.userPoolClientId })))
      .UserPoolClient!;
    const make = async (name: string, read: string[], write: string[]) =>
      (
        await idp.send(
          new CreateUserPoolClientCommand({
            UserPoolId: sb.config.userPoolId,
            ClientName: name,
            ExplicitAuthFlows: current.ExplicitAuthFlows,
            ReadAttributes: read,
            WriteAttributes: write,
          }),
        )
      ).UserPoolClient!.ClientId!;
    const writer = await make('writer', ['email', 'custom:tenant'], ['email', 'custom:tenant']);
    const blind = await make('blind', ['email'], ['email']);
    idp.destroy();
    // The identity pool must list the clients (init checks that first).
    const ci = client(CognitoIdentityClient);
    const pool = await ci.send(new DescribeIdentityPoolCommand({ IdentityPoolId: sb.config.identityPoolId }));
    const { $metadata: _m, ...input } = pool;
    const provider = pool.CognitoIdentityProviders![0]!.ProviderName!;
    await ci.send(
      new UpdateIdentityPoolCommand({
        ...input,
        IdentityPoolId: pool.IdentityPoolId!,
        IdentityPoolName: pool.IdentityPoolName!,
        AllowUnauthenticatedIdentities: false,
        CognitoIdentityProviders: [
          ...pool.CognitoIdentityProviders!,
          { ProviderName: provider, ClientId: writer },
          { ProviderName: provider, ClientId: blind },
        ],
      }),
    );
    ci.destroy();
    const withClient = (clientId: string, mapping = sb.config.mapping) => {
      const path = join(sb.stateDir, `isoctl-${clientId}-${mapping}.json`);
      writeFileSync(path, JSON.stringify({ ...sb.config, mapping, userPoolClientId: clientId, tables: sb.config.tables.map(({ indexKeys: _k, ...t }) => t) }));
      return path;
    };
    writerConfig = withClient(writer);
    const w = await refusal(['--config', withClient(writer), 'init', '--json']);
    expect(w.code).toBe(4);
    expect(w.message).toContain(`app client ${writer} lets users write custom:tenant`);
    expect(w.message).toContain("remove custom:tenant from the client's WriteAttributes");
    expect(w.mutating).toBe(0);
    // ABAC reads the tenant from the same claim (into a principal tag): the same refusal.
    const abac = await refusal(['--config', withClient(writer, 'abac'), 'init', '--json']);
    expect(abac.code).toBe(4);
    expect(abac.message).toContain(`app client ${writer} lets users write custom:tenant`);
    expect(abac.mutating).toBe(0);
    // Any client of the pool that lets users write the claim makes the whole pool unsafe: the
    // configured client's own config is refused too, naming the other client (row 5b).
    const other = await refusal(['init', '--json']);
    expect(other.code).toBe(4);
    expect(other.message).toContain(`app client ${writer} of user pool ${sb.config.userPoolId} lets users write custom:tenant`);
    writerId = writer;
    setWriter = async (writable) => {
      const c = client(CognitoIdentityProviderClient);
      await c.send(
        new UpdateUserPoolClientCommand({
          UserPoolId: sb.config.userPoolId,
          ClientId: writerId,
          ExplicitAuthFlows: current.ExplicitAuthFlows,
          ReadAttributes: ['email', 'custom:tenant'],
          WriteAttributes: writable ? ['email', 'custom:tenant'] : ['email'],
        }),
      );
      c.destroy();
    };
    await setWriter(false);
    const r = await refusal(['--config', withClient(blind), 'init', '--json']);
    expect(r.code).toBe(4);
    expect(r.message).toContain(`app client ${blind} cannot read custom:tenant`);
  });

  it('a listed index partitioned on status (DescribeTable): exit 4 naming the index, its key and the fix; a tenant-keyed one passes', async () => {
    const ddb = client(DynamoDBClient);
    const pk = sb.config.tables[0]!.partitionKey;
    await ddb.send(
      new CreateTableCommand({
        TableName: 'Tickets',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: pk, AttributeType: 'S' },
          { AttributeName: 'status', AttributeType: 'S' },
        ],
        KeySchema: [{ AttributeName: pk, KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          { IndexName: 'byStatus', KeySchema: [{ AttributeName: 'status', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } },
          {
            IndexName: 'byTenantStatus',
            KeySchema: [
              { AttributeName: pk, KeyType: 'HASH' },
              { AttributeName: 'status', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
    ddb.destroy();
    const withIndexes = (indexes: string[]) => {
      const path = join(sb.stateDir, `isoctl-${indexes.join('-')}.json`);
      writeFileSync(
        path,
        JSON.stringify({ ...sb.config, tables: [...sb.config.tables.map(({ indexKeys: _k, ...t }) => t), { name: 'Tickets', partitionKey: pk, indexes }] }),
      );
      return path;
    };
    statusIndexConfig = withIndexes(['byStatus']);
    const bad = await refusal(['--config', withIndexes(['byStatus']), 'init', '--json']);
    expect(bad.code).toBe(4);
    expect(bad.message).toContain('index byStatus of table Tickets is partitioned on status, not on');
    expect(bad.message).toContain('re-key the index on');
    expect(bad.mutating).toBe(0);
    const good = await cli(['--config', withIndexes(['byTenantStatus']), 'init', '--json']);
    expect(good.code, good.stderr).toBe(0);
    // A declaration that says tenant-keyed while DescribeTable says status: tenant create believes the table.
    const lying = join(sb.stateDir, 'isoctl-lying.json');
    writeFileSync(
      lying,
      JSON.stringify({
        ...sb.config,
        tables: [
          ...sb.config.tables.map(({ indexKeys: _k, ...t }) => t),
          { name: 'Tickets', partitionKey: pk, indexes: [{ name: 'byStatus', partitionKey: pk }] },
        ],
      }),
    );
    const create = await refusal(['--config', lying, 'tenant', 'create', 'acme', '--json']);
    expect(create.code).toBe(4);
    expect(create.message).toContain('index byStatus of table Tickets is partitioned on status');
    expect(create.mutating).toBe(0);
  });

  it('the bootstrapped stack (basic flow off, claim read-only) passes', async () => {
    const r = await cli(['init', '--json']);
    expect(r.code, r.stderr).toBe(0);
  });

  it('doctor flags each of them as a problem with its fix (exit 1), and is healthy on the sound stack', async () => {
    type Doc = { healthy: boolean; findings: Array<{ check: string; status: string; message: string; fix?: { action: string } }> };
    const doctor = async (args: string[]) => {
      const r = await cli([...args, 'doctor', '--json']);
      return { code: r.code, doc: r.json() as Doc };
    };
    const problem = (d: Doc, check: string, text: string) => d.findings.find((f) => f.check === check && f.status === 'problem' && f.message.includes(text));
    const sound = await doctor([]);
    expect(sound.doc.findings.filter((f) => f.status === 'problem')).toEqual([]);
    await setWriter(true);
    const w = await doctor(['--config', writerConfig]);
    expect(w.code).toBe(1);
    expect(problem(w.doc, 'app-client', 'lets users write custom:tenant')?.fix?.action).toContain('WriteAttributes');
    const o = await doctor([]);
    expect(o.code).toBe(1);
    expect(problem(o.doc, 'reach', `app client ${writerId} of user pool`)?.fix?.action).toContain('WriteAttributes');
    await setWriter(false);
    const i = await doctor(['--config', statusIndexConfig]);
    expect(i.code).toBe(1);
    expect(problem(i.doc, 'tables', 'index byStatus of table Tickets is partitioned on status')?.fix?.action).toContain('re-key the index');
    const ci = client(CognitoIdentityClient);
    const pool = await ci.send(new DescribeIdentityPoolCommand({ IdentityPoolId: sb.config.identityPoolId }));
    const { $metadata: _m, ...input } = pool;
    const update = (on: boolean) =>
      ci.send(
        new UpdateIdentityPoolCommand({
          ...input,
          IdentityPoolId: pool.IdentityPoolId!,
          IdentityPoolName: pool.IdentityPoolName!,
          AllowUnauthenticatedIdentities: false,
          AllowClassicFlow: on,
        }),
      );
    await update(true);
    const c = await doctor([]);
    expect(c.code).toBe(1);
    expect(problem(c.doc, 'identity-pool', 'basic (classic) flow')?.fix?.action).toContain('--no-allow-classic-flow');
    await update(false);
    ci.destroy();
  });
});
