// The crash re-runs as the least-privilege operator (issue 16): init's admin step (admin keys) and
// `sandbox operator` make the template; then `tenant create victim --wait data` and
// `tenant delete victim` run with the operator's own keys (judged by the rendered operator
// policy), SIGKILLed right after their k-th mutating call, for every k, in token and rules
// mapping. The same command re-run as the operator must exit 0 and leave exactly the expected
// state (the other tenant untouched), the control plane must deny the operator nothing in the
// crashed run or the re-run, and iam-simulate must agree with every decision logged.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapLimit } from '../../src/ops/concurrency.js';
import { CONTROL_PLANE_LOG, type ControlDecision } from '../../src/sandbox/control-plane/authorize.js';
import { runCli } from '../helpers/cli.js';
import { disagreements, readDecisions } from '../sandbox/control-plane/simulate.js';
import { crashAt, diffState, knob, makeTemplate, mutatingCalls, snapshot, startStack, type Stack } from './helpers.js';

const CONCURRENCY = knob('ISOCTL_CRASH_CONCURRENCY', 3);

interface Keys {
  accessKeyId: string;
  secretAccessKey: string;
}

/** The CLI as the operator: its keys in the environment, the sandbox's endpoint and the stack's config. */
function operatorArgs(s: Stack, args: string[]): string[] {
  return ['--endpoint-url', s.sb.endpoint, '--config', s.configPath, ...args];
}
function operatorEnv(s: Stack, keys: Keys): Record<string, string> {
  return { AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey, AWS_REGION: s.sb.region };
}
const asOperator = (s: Stack, keys: Keys, args: string[]) => runCli(operatorArgs(s, args), { timeoutMs: 120_000, env: operatorEnv(s, keys) });

/** Every decision the control plane logged for an IAM user's request since `mark`. */
const decisionsSince = (s: Stack, mark: number): ControlDecision[] => readDecisions(join(s.stateDir, CONTROL_PLANE_LOG)).slice(mark);
const decisionMark = (s: Stack): number => readDecisions(join(s.stateDir, CONTROL_PLANE_LOG)).length;

describe.each(['token', 'rules'] as const)('the operator killed after the k-th mutating call (%s mapping)', (mapping) => {
  const createArgs = ['tenant', 'create', 'victim', '--wait', 'data', '--json'];
  const deleteArgs = ['tenant', 'delete', 'victim', '--yes', '--ignore-missing', '--json'];
  let keys: Keys;
  let template: { dir: string; remove(): void };
  let withVictim: { dir: string; remove(): void };
  let createCalls: string[] = [];
  let deleteCalls: string[] = [];

  beforeAll(async () => {
    template = await makeTemplate({ stack: 'opc', mapping }, async (s) => {
      const init = await s.cli(['init', '--json']);
      expect(init.code, init.stderr).toBe(0);
      const op = await s.cli(['sandbox', 'operator', '--json']);
      expect(op.code, op.stderr).toBe(0);
      keys = { accessKeyId: op.json().accessKeyId, secretAccessKey: op.json().secretAccessKey };
      const keep = await asOperator(s, keys, ['tenant', 'create', 'keep', '--json']);
      expect(keep.code, keep.stderr).toBe(0);
    });
    // The uninterrupted runs (as the operator) give the calls to cut after.
    withVictim = await makeTemplate({ stack: 'opc', mapping, from: template.dir }, async (s) => {
      const m = s.mark();
      const r = await asOperator(s, keys, createArgs);
      expect(r.code, r.stderr).toBe(0);
      createCalls = mutatingCalls(s.since(m)).map((e) => `${e.service} ${e.operation}`);
    });
    const probe = await startStack({ from: withVictim.dir });
    try {
      const m = probe.mark();
      const r = await asOperator(probe, keys, deleteArgs);
      expect(r.code, r.stderr).toBe(0);
      deleteCalls = mutatingCalls(probe.since(m)).map((e) => `${e.service} ${e.operation}`);
    } finally {
      await probe.stop();
    }
  }, 180_000);

  afterAll(() => {
    template?.remove();
    withVictim?.remove();
  });

  /** Kills `args` after each mutating call in `calls`, re-runs it as the operator and checks the state and every decision. */
  async function everyK(from: string, args: string[], calls: string[], tenants: string[]): Promise<void> {
    const failures: string[] = [];
    const rows: string[] = [];
    const judged: ControlDecision[] = [];
    let accountId = '';
    await mapLimit(
      calls.map((_, i) => i + 1),
      CONCURRENCY,
      async (k) => {
        let decisions = 0;
        const { s, killedAfter } = await crashAt(from, args, k, (fresh, a) => {
          decisions = decisionMark(fresh);
          return { args: operatorArgs(fresh, a), env: operatorEnv(fresh, keys) };
        });
        try {
          expect(killedAfter).toBe(calls[k - 1]);
          accountId = s.sb.accountId;
          const base = await snapshot(s);
          const again = await asOperator(s, keys, args);
          const problems = diffState(s.config, base, tenants, await snapshot(s), { staleLeaseOk: true });
          if (again.code !== 0) problems.unshift(`re-run exit ${again.code}: ${again.stderr.trim().split('\n').pop()}`);
          const logged = decisionsSince(s, decisions);
          if (logged.length === 0) problems.push('no control-plane decision logged: the run was not judged as the operator');
          const denied = logged.filter((d) => d.decision !== 'Allow').map((d) => `${d.decision} ${d.request.action} on ${d.request.resource}`);
          problems.push(...denied);
          judged.push(...logged);
          rows.push(
            `${mapping.padEnd(6)} ${args.slice(0, 2).join(' ').padEnd(14)} k=${String(k).padEnd(2)} after ${killedAfter.padEnd(44)} re-run exit ${again.code}, ${logged.length} decisions, ${denied.length} denied`,
          );
          if (problems.length) failures.push(`k=${k} (${killedAfter}): ${problems.join('; ')}`);
        } finally {
          await s.stop();
        }
      },
    );
    process.stdout.write(`\n${rows.sort().join('\n')}\n`);
    expect(failures).toEqual([]);
    // Differential: iam-simulate judges every decision of the crashed runs and re-runs the same way.
    expect(await disagreements(judged, accountId)).toEqual([]);
  }

  it('tenant create --wait data as the operator: killed after each mutating call, the same command again converges, zero denials', async () => {
    expect(createCalls.length).toBeGreaterThanOrEqual(5);
    await everyK(template.dir, createArgs, createCalls, ['keep', 'victim']);
  }, 600_000);

  it('tenant delete as the operator: killed after each mutating call, the same command again converges, zero denials', async () => {
    expect(deleteCalls.length).toBeGreaterThanOrEqual(4);
    await everyK(withVictim.dir, deleteArgs, deleteCalls, ['keep']);
  }, 600_000);
});
