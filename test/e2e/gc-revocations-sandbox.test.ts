// gc of revoke-sessions statements in role mode (issue 12), through the built CLI on the sandbox:
// a statement older than the longest credential lifetime (12 h) goes, a recent one stays, the
// policy goes when nothing is left; the role and other tenants are untouched. Time is driven by
// writing a revocation's moment in the past, never by sleeping.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsApis, type AwsApis } from '../../src/aws/apis.js';
import { buildRevokePolicy, REVOKE_POLICY_NAME, revocationTimes, serializePolicy } from '../../src/policy/index.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type RequestLogLine, type TestSandbox } from '../helpers/sandbox.js';

const mutating = (lines: RequestLogLine[]) => lines.filter((l) => l.mutating).map((l) => `${l.service} ${l.operation}`);
type Item = { state: string; kind: string; target: string; reason: string; detail?: string };
const rows = (doc: { items: Item[] }) => doc.items.map((i) => `${i.state} ${i.kind} ${i.target}`);
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

describe('gc of past revocations in role mode on the sandbox', () => {
  let sb: TestSandbox;
  let apis: AwsApis;
  const cli = (args: string[]): Promise<CliResult> => runCli(['--sandbox', sb.stateDir, ...args], { timeoutMs: 60_000 });
  const role = 'isoctl-gcr-rev';

  beforeAll(async () => {
    sb = await startTestSandbox({ stack: 'gcr', mapping: 'token' });
    apis = awsApis(sb.clients);
    expect((await cli(['init'])).code).toBe(0);
    expect((await cli(['tenant', 'create', 'rev', 'calm', '--wait', 'none'])).code).toBe(0);
    const r = await cli(['tenant', 'revoke-sessions', 'rev', '--wait', 'none']);
    expect(r.code, r.stderr).toBe(0);
  }, 120_000);

  afterAll(async () => {
    await sb?.stop();
  });

  it('a revocation older than 12 h goes, a recent one stays; the role and the other tenant are untouched', async () => {
    const recent = revocationTimes(await apis.iam.getRolePolicy(role, REVOKE_POLICY_NAME));
    expect(recent).toHaveLength(1);
    const past = iso(Math.floor((Date.now() - 13 * 3_600_000) / 1000) * 1000);
    await apis.iam.putRolePolicy(role, REVOKE_POLICY_NAME, serializePolicy(buildRevokePolicy([past, ...recent])));
    const dry = await cli(['gc', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(rows(dry.json())).toEqual([`planned revocation ${role}/${REVOKE_POLICY_NAME}`]);
    expect(dry.json().items[0].reason).toMatch(new RegExp(`before ${past}\\) older than the longest credential lifetime 12h.*1 recent one\\(s\\) stay`));
    const r = await cli(['gc', '--apply', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(rows(r.json()), JSON.stringify(r.json().items)).toEqual([`removed revocation ${role}/${REVOKE_POLICY_NAME}`]);
    expect(revocationTimes(await apis.iam.getRolePolicy(role, REVOKE_POLICY_NAME))).toEqual(recent);
    // Zero mutating calls when nothing is past.
    const mark = sb.mark();
    const again = await cli(['gc', '--apply', '--yes', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json().items).toEqual([]);
    expect(mutating(sb.since(mark))).toEqual([]);
  });

  it('when every revocation is past, the policy goes; the role stays', async () => {
    const past = iso(Math.floor((Date.now() - 20 * 3_600_000) / 1000) * 1000);
    await apis.iam.putRolePolicy(role, REVOKE_POLICY_NAME, serializePolicy(buildRevokePolicy([past])));
    const r = await cli(['gc', '--apply', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(rows(r.json()), JSON.stringify(r.json().items)).toEqual([`removed revocation ${role}/${REVOKE_POLICY_NAME}`]);
    expect(await apis.iam.getRolePolicy(role, REVOKE_POLICY_NAME)).toBeUndefined();
    expect(await apis.iam.getRole(role)).toBeDefined();
    expect(await apis.iam.getRole('isoctl-gcr-calm')).toBeDefined();
  });
});
