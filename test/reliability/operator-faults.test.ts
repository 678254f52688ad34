// A small fault run as the least-privilege operator (issue 16): init's admin step and
// `sandbox operator` on a calm sandbox, then the same state served with 20% throttling, 5% 5xx and
// 2% connection resets while the operator (its own keys, judged by its policy) creates tenants at
// two wait levels, deletes one and runs gc --apply, in both mapping modes. Every command exits 0,
// the control plane never denies the operator anything (iam-simulate agrees with every decision),
// and the state is what the runs predict.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsApis } from '../../src/aws/apis.js';
import { CONTROL_PLANE_LOG } from '../../src/sandbox/control-plane/authorize.js';
import { runCli } from '../helpers/cli.js';
import { disagreements, readDecisions } from '../sandbox/control-plane/simulate.js';
import { makeTemplate, startStack, type Stack } from './helpers.js';

const FAULTS = { throttle: 0.2, '5xx': 0.05, reset: 0.02 };

describe.each(['token', 'rules'] as const)('the operator under faults (%s mapping)', (mapping) => {
  let s: Stack;
  let keys: { accessKeyId: string; secretAccessKey: string };
  let template: { dir: string; remove(): void };
  beforeAll(async () => {
    template = await makeTemplate({ stack: 'opf', mapping }, async (t) => {
      expect((await t.cli(['init', '--json'])).code).toBe(0);
      const op = await t.cli(['sandbox', 'operator', '--json']);
      expect(op.code, op.stderr).toBe(0);
      keys = { accessKeyId: op.json().accessKeyId, secretAccessKey: op.json().secretAccessKey };
    });
    s = await startStack({ from: template.dir, faults: FAULTS, seed: mapping === 'token' ? 1601 : 1602 });
  }, 180_000);
  afterAll(async () => {
    await s?.stop();
    template?.remove();
  });

  it('create --wait iam, create --wait none, delete, gc --apply: exit 0, zero AccessDenied, the predicted state', { timeout: 300_000 }, async () => {
    const asOperator = (args: string[]) =>
      runCli(['--endpoint-url', s.sb.endpoint, '--config', s.configPath, ...args, '--json'], {
        timeoutMs: 120_000,
        env: { AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey, AWS_REGION: s.sb.region },
      });
    for (const args of [
      ['tenant', 'create', 'acme', '--wait', 'iam'],
      ['tenant', 'create', 'globex', '--wait', 'none'],
      ['tenant', 'delete', 'globex', '--yes'],
      ['gc', '--apply', '--yes'],
    ]) {
      const r = await asOperator(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    const decisions = readDecisions(join(s.stateDir, CONTROL_PLANE_LOG));
    expect(decisions.length).toBeGreaterThan(20);
    expect(decisions.filter((d) => d.decision !== 'Allow').map((d) => `${d.request.action} ${d.request.resource}`)).toEqual([]);
    // Differential: iam-simulate judges every logged decision the same way.
    expect(await disagreements(decisions, s.sb.accountId)).toEqual([]);
    const faulted = s.requests().filter((l) => l.status >= 400 && /Throttl|InternalFailure|ServiceUnavailable|InternalError/i.test(l.error ?? ''));
    expect(faulted.length).toBeGreaterThan(0);
    const apis = awsApis(s.clients);
    expect((await apis.iam.listStackRoles('opf')).map((r) => r.name).sort()).toEqual(['isoctl-opf-acme']);
  });
});
