// Issue 12, "Registry: concurrent creates of 20 tenants all registered", in ABAC mode: 20
// `isoctl tenant create <id> --wait none --json` processes started at once against one ABAC stack
// on the sandbox (with lag). Every one exits 0; afterwards the registry holds exactly 20 active
// rows with the scopes each was created with, each tenant's probe user carries its tenant claim and
// sits in its scope group, and none of the 20 made a mutating IAM call (the scope roles and their
// policies are init's; a tenant create in ABAC mode writes nothing to IAM).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsApis, type AwsApis } from '../../src/aws/apis.js';
import type { CliResult } from '../helpers/cli.js';
import { runCliWithKeys, startTestSandbox, type RequestLogLine, type TestSandbox } from '../helpers/sandbox.js';

const LAG = { iam: 300, cognito: 300, dynamodb: 300 };
const N = 20;
const ids = Array.from({ length: N }, (_, i) => `c${String(i).padStart(2, '0')}`);
/** Odd tenants get the default scopes (all of them), even ones `--scope write`. */
const scoped = (i: number) => i % 2 === 0;

let sb: TestSandbox;
let apis: AwsApis;
let lockTable: string;

// --endpoint-url with the sandbox's admin keys: 20 processes at once need no attach handshake.
const cli = (args: string[], timeoutMs = 120_000): Promise<CliResult> => runCliWithKeys(sb, sb.credentials, args, timeoutMs);
const mutating = (lines: RequestLogLine[]) => lines.filter((l) => l.mutating).map((l) => `${l.service} ${l.operation}`);

beforeAll(async () => {
  sb = await startTestSandbox({ stack: 'abcc', mapping: 'abac', granularity: 'tenant', lag: LAG });
  apis = awsApis(sb.clients);
  lockTable = `isoctl-${sb.config.stack}-lock`;
  const init = await cli(['init', '--json']);
  expect(init.code, init.stderr).toBe(0);
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

describe('ABAC: concurrent tenant creates (sandbox, lag)', () => {
  it(`${N} concurrent creates (separate processes): all exit 0, ${N} active rows with their scopes, probe users with claim and scope group, zero IAM writes`, async () => {
    const allScopes = Object.keys(sb.config.scopes).sort();
    expect(allScopes).toEqual(['read', 'write']);
    const mark = sb.mark();
    const results = await Promise.all(
      ids.map((id, i) => cli(['tenant', 'create', id, ...(scoped(i) ? ['--scope', 'write'] : []), '--wait', 'none', '--json'], 180_000)),
    );
    results.forEach((r, i) => expect(r.code, `${ids[i]}: ${r.stderr}`).toBe(0));
    expect(results.map((r) => `${r.json().tenant} ${r.json().status} ${r.json().registry}`)).toEqual(ids.map((id) => `${id} created created`));

    const since = sb.since(mark);
    expect(mutating(since).filter((c) => c.startsWith('iam '))).toEqual([]);
    // What the 20 did write: one registry row, one probe user and its group membership each.
    const writes = new Map<string, number>();
    for (const c of mutating(since)) writes.set(c, (writes.get(c) ?? 0) + 1);
    expect(Object.fromEntries(writes)).toEqual({
      'dynamodb PutItem': N,
      'cognito-idp AdminCreateUser': N,
      'cognito-idp AdminAddUserToGroup': N,
    });

    const rows = (await apis.registry.scan(lockTable, 'tenant#')).rows.map((r) => r.row).filter((r) => r.tenant !== '');
    expect(rows.map((r) => r.tenant).sort()).toEqual(ids);
    for (const r of rows) {
      const i = ids.indexOf(r.tenant);
      expect({ tenant: r.tenant, status: r.status, mode: r.mode, scopes: r.scopes, version: r.version }).toEqual({
        tenant: r.tenant,
        status: 'active',
        mode: 'abac',
        scopes: scoped(i) ? ['write'] : allScopes,
        version: 1,
      });
    }

    for (const [i, id] of ids.entries()) {
      const user = await apis.cognitoIdp.adminGetUser(sb.config.userPoolId, `isoctl-probe-${id}`);
      expect(user?.attributes[sb.config.tenantClaim], id).toBe(id);
      const groups = await apis.cognitoIdp.adminListGroupsForUser(sb.config.userPoolId, `isoctl-probe-${id}`);
      expect(groups, id).toEqual([`isoctl-${sb.config.stack}-${scoped(i) ? 'write' : 'read'}`]);
    }

    const list = await cli(['tenant', 'list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.json().registry).toMatchObject({ rows: N, registryOnly: [], awsOnly: [] });
    expect(list.json().tenants.map((t: { lifecycle: string }) => t.lifecycle)).toEqual(ids.map(() => 'active'));
  }, 240_000);
});
