// The tenant lifecycle as the least-privilege operator in ABAC mode (issue 16, ABAC after issue
// 12): init's admin step with the sandbox's admin keys (the scope roles, groups, the tenant-tag
// map), `isoctl sandbox operator` for a user with exactly the rendered operator policy, then every
// tenant command as that user. The sandbox judges each control-plane call by the user's policies:
// zero AccessDenied, and iam-simulate agrees with every decision logged. doctor with the admin
// keys on the healthy stack exits 0 (before, it judged the scope roles as tenant roles and exited
// 1); with the Token entry removed by another writer, the operator's init is refused
// (mapping_needs_admin, as doctor's clobber fix says) and the admin keys' init repairs it. Not
// here: gc (refuses ABAC mode, exit 4).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsApis } from '../../src/aws/apis.js';
import { CONTROL_PLANE_LOG } from '../../src/sandbox/control-plane/authorize.js';
import { mappingKeyOf } from '../../src/tenant/observe.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { disagreements, readDecisions } from '../sandbox/control-plane/simulate.js';

describe('the lifecycle as the operator, ABAC mapping', () => {
  let sb: TestSandbox;
  let keys: { accessKeyId: string; secretAccessKey: string };
  const asAdmin = (args: string[]): Promise<CliResult> => runCli(['--sandbox', sb.stateDir, '--config', sb.configPath, ...args], { timeoutMs: 120_000 });
  const asOperator = (args: string[]): Promise<CliResult> =>
    runCli(['--endpoint-url', sb.endpoint, '--config', sb.configPath, ...args], {
      timeoutMs: 120_000,
      env: { AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey, AWS_REGION: sb.region },
    });
  const decisions = () => readDecisions(join(sb.stateDir, CONTROL_PLANE_LOG));
  const denied = () =>
    decisions()
      .filter((d) => d.decision !== 'Allow')
      .map((d) => `${d.request.action} ${d.request.resource} ${d.decision}`);

  beforeAll(async () => {
    sb = await startTestSandbox({ stack: 'opa', mapping: 'abac', granularity: 'tenant' });
    const init = await asAdmin(['init', '--json']);
    expect(init.code, init.stderr).toBe(0);
    const op = await asAdmin(['sandbox', 'operator', '--json']);
    expect(op.code, op.stderr).toBe(0);
    keys = { accessKeyId: op.json().accessKeyId, secretAccessKey: op.json().secretAccessKey };
  }, 240_000);
  afterAll(async () => {
    await sb?.stop();
  });

  it(
    'init again, create (data, none, iam), list --deep, show, verify, delete as the operator: zero AccessDenied, iam-simulate agrees',
    { timeout: 600_000 },
    async () => {
      const steps: string[][] = [
        ['init'],
        ['tenant', 'create', 'acme', '--wait', 'data'],
        ['tenant', 'create', 'globex', '--wait', 'none'],
        ['tenant', 'create', 'initech', '--wait', 'iam'],
        ['tenant', 'list', '--deep'],
        ['tenant', 'show', 'acme'],
        ['tenant', 'verify', 'acme', '--against', 'globex'],
        ['tenant', 'delete', 'initech', '--yes'],
        ['tenant', 'delete', 'globex', '--yes'],
      ];
      const failures: string[] = [];
      for (const args of steps) {
        const r = await asOperator([...args, '--json']);
        if (r.code !== 0) failures.push(`${args.join(' ')}: exit ${r.code} ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
        const d = denied();
        if (d.length) failures.push(`${args.join(' ')}: denied ${d.join(', ')}`);
      }
      expect(failures).toEqual([]);
      const all = decisions();
      expect(all.length).toBeGreaterThan(30);
      expect(await disagreements(all, sb.accountId)).toEqual([]);
    },
  );

  it(
    'after the lifecycle (tombstones on the scope roles), doctor with the admin keys: exit 0, the scope roles judged as scope roles',
    { timeout: 120_000 },
    async () => {
      const r = await asAdmin(['doctor', '--json']);
      const doc = r.json() as { healthy: boolean; findings: Array<{ check: string; status: string; message: string }> };
      expect(doc.findings.filter((f) => f.status === 'problem')).toEqual([]);
      expect(r.code).toBe(0);
      expect(doc.findings.find((f) => f.check === 'scope-roles')?.status).toBe('ok');
      expect(doc.findings.some((f) => f.check === 'tenant-policies')).toBe(false);
    },
  );
  it(
    'clobber in ABAC mode: the Token entry removed by another writer; the operator is refused writing it (exit 4, mapping_needs_admin), doctor says so, the admin keys repair it',
    { timeout: 180_000 },
    async () => {
      const apis = awsApis(sb.clients);
      const roles = await apis.cognitoIdentity.getIdentityPoolRoles(sb.config.identityPoolId);
      delete roles.RoleMappings[mappingKeyOf(sb.config)];
      await apis.cognitoIdentity.setIdentityPoolRoles(sb.config.identityPoolId, roles);
      const doctor = await asAdmin(['doctor', '--json']);
      expect(doctor.code).toBe(1);
      const clobber = (doctor.json().findings as Array<{ check: string; status: string; fix?: { command?: string; action: string } }>).find(
        (f) => f.check === 'clobber',
      );
      expect(clobber).toMatchObject({ status: 'problem', fix: { command: 'isoctl init' } });
      expect(clobber?.fix?.action).toMatch(/administrator credentials .*mapping_needs_admin/);
      // What doctor says is what init does: as the operator, refused (before: the raw AccessDenied of SetIdentityPoolRoles).
      const refused = await asOperator(['init', '--json']);
      expect(refused.code, refused.stderr).toBe(4);
      expect(refused.json().error.code).toBe('mapping_needs_admin');
      const admin = await asAdmin(['init', '--json']);
      expect(admin.code, admin.stderr).toBe(0);
      expect(admin.json().steps.map((s: { action: string }) => s.action)).toContain('put-role-mapping');
      const healthy = await asAdmin(['doctor', '--json']);
      expect(healthy.json().findings.filter((f: { status: string }) => f.status === 'problem')).toEqual([]);
      expect(healthy.code).toBe(0);
    },
  );
});
