// The built CLI on the sandbox (with lag) in the other mapping modes and granularities:
// rules/tenant, token/user, rules/user. Each: init, two tenants with --wait data, list, show,
// verify (the other tenant's / user's partition denied), delete, list. Plus the 25-rule limit.
import { CreateRoleCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsApis } from '../../src/aws/apis.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const LAG = { iam: 200, cognito: 400, dynamodb: 600 };

const MODES: Array<{ mapping: 'token' | 'rules'; granularity: 'tenant' | 'user' }> = [
  { mapping: 'rules', granularity: 'tenant' },
  { mapping: 'token', granularity: 'user' },
  { mapping: 'rules', granularity: 'user' },
];

describe.each(MODES)('tenant lifecycle, $mapping mapping, $granularity granularity', ({ mapping, granularity }) => {
  let sb: TestSandbox;
  const cli = (args: string[]): Promise<CliResult> => runCli(['--sandbox', sb.stateDir, ...args], { timeoutMs: 60_000 });

  beforeAll(async () => {
    sb = await startTestSandbox({ stack: `m${mapping[0]}${granularity[0]}`, mapping, granularity, lag: LAG });
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it('init, create two tenants with --wait data, list', async () => {
    const init = await cli(['init', '--json']);
    expect(init.code, init.stderr).toBe(0);
    const actions = init.json().steps.map((s: { action: string }) => s.action);
    expect(actions).toEqual(
      granularity === 'user'
        ? ['create-boundary', 'create-lock-table', 'put-role-mapping', 'put-principal-tag-map']
        : ['create-boundary', 'create-lock-table', 'put-role-mapping'],
    );
    for (const t of ['alpha', 'bravo']) {
      const r = await cli(['tenant', 'create', t, '--wait', 'data', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json().wait.checks.every((c: { state: string }) => c.state === 'ok')).toBe(true);
      expect(r.json().steps.map((s: { action: string }) => s.action)).toContain(mapping === 'rules' ? 'put-rule' : 'create-group');
    }
    const list = await cli(['tenant', 'list', '--json']);
    expect(list.json().tenants.map((t: { tenant: string; status: string; mapping: { kind: string } }) => [t.tenant, t.status, t.mapping.kind])).toEqual([
      ['alpha', 'ok', mapping === 'rules' ? 'rule' : 'group'],
      ['bravo', 'ok', mapping === 'rules' ? 'rule' : 'group'],
    ]);
  });

  it('show and verify', async () => {
    const show = await cli(['tenant', 'show', 'alpha', '--json']);
    expect(show.code, show.stderr).toBe(0);
    const doc = show.json();
    expect(doc.status).toBe('ok');
    if (mapping === 'rules') expect(doc.mapping).toMatchObject({ kind: 'rule', claim: 'custom:tenant', value: 'alpha', position: 1, ruleCount: 2 });
    else expect(doc.mapping).toMatchObject({ kind: 'group', name: 'alpha' });
    const verify = await cli(['tenant', 'verify', 'alpha', '--json']);
    expect(verify.code, verify.stderr).toBe(0);
    const v = verify.json();
    expect(v.isolated).toBe(true);
    const own = v.checks.find((c: { name: string }) => c.name === 'own-partition');
    const other = v.checks.find((c: { name: string }) => c.name === 'other-partition');
    expect(own.outcome).toBe('allowed');
    expect(other.outcome).toBe('denied');
    if (granularity === 'user') {
      // The own partition is the probe user's sub (principal tag userid), not the tenant id.
      expect(own.keys[0]).toMatch(/^[0-9a-f-]{36}$/);
      expect(other.keys[0]).not.toBe(own.keys[0]);
    } else {
      expect(own.keys).toEqual(['alpha']);
      expect(other.keys).toEqual(['bravo']);
    }
  });

  it('delete one; the other stays and still verifies', async () => {
    const del = await cli(['tenant', 'delete', 'alpha', '--yes', '--json']);
    expect(del.code, del.stderr).toBe(0);
    expect(del.json().items[0].action).toBe(mapping === 'rules' ? 'remove-rule' : 'delete-group');
    await new Promise((r) => setTimeout(r, LAG.iam + 100));
    const list = await cli(['tenant', 'list', '--json']);
    expect(list.json().tenants.map((t: { tenant: string; status: string }) => [t.tenant, t.status])).toEqual([['bravo', 'ok']]);
    const verify = await cli(['tenant', 'verify', 'bravo', '--json']);
    expect(verify.code, verify.stderr).toBe(0);
    if (mapping === 'rules') {
      const roles = await awsApis(sb.clients).cognitoIdentity.getIdentityPoolRoles(sb.config.identityPoolId);
      const rules = Object.values(roles.RoleMappings)[0]?.RulesConfiguration?.Rules ?? [];
      expect(rules.map((r) => r.Value)).toEqual(['bravo']);
    }
  });

  if (mapping === 'rules' && granularity === 'tenant') {
    it('the 26th rule is refused with exit 4 and advice; nothing changes', async () => {
      const apis = awsApis(sb.clients);
      const key = `cognito-idp.${sb.region}.amazonaws.com/${sb.config.userPoolId}:${sb.config.userPoolClientId}`;
      const roles = await apis.cognitoIdentity.getIdentityPoolRoles(sb.config.identityPoolId);
      const rules = roles.RoleMappings[key]!.RulesConfiguration!.Rules;
      // Cognito refuses a rule whose role IAM does not show it: the fillers are real roles, outside the stack.
      const iam = await sb.clients.iam();
      const trust = JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Federated: 'cognito-identity.amazonaws.com' }, Action: 'sts:AssumeRoleWithWebIdentity' }],
      });
      for (let i = rules.length; i < 25; i++) {
        const made = await iam.send(new CreateRoleCommand({ RoleName: `filler-${sb.config.stack}-${i}`, Path: '/filler/', AssumeRolePolicyDocument: trust }));
        rules.push({ Claim: 'custom:tenant', MatchType: 'Equals', Value: `filler-${i}`, RoleArn: made.Role!.Arn! });
      }
      await new Promise((r) => setTimeout(r, LAG.cognito + 100));
      await apis.cognitoIdentity.setIdentityPoolRoles(sb.config.identityPoolId, roles);
      const mark = sb.mark();
      const r = await cli(['tenant', 'create', 'charlie', '--json']);
      expect(r.code).toBe(4);
      const err = r.json().error;
      expect(err.code).toBe('rules_limit');
      expect(err.message).toMatch(/25/);
      expect(err.message).toMatch(/"mapping": "token"/);
      expect(sb.since(mark).filter((l) => l.mutating)).toEqual([]);
    });
  }
});
