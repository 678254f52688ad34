// Crash suite: for every k, the CLI is SIGKILLed right after its k-th mutating call (the sandbox
// has executed and logged the call and the answer is never read: the harshest moment), during
// `tenant create` and `tenant delete`, in token and rules mapping. Then, from the same crashed
// state (a fresh copy per cell):
//   - re-run: the same command again must exit 0 and leave exactly the expected state, the other
//     tenant untouched;
//   - abandon (create only): nobody re-runs; once the leftovers are older than --min-age,
//     `gc --apply` must leave no garbage: either nothing of the tenant, or a tenant whose mapping
//     was made (users can already sign in to it), which `tenant list` shows and a re-run finishes.
// The matrix is printed at the end (and in the README).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapLimit } from '../../src/ops/concurrency.js';
import { crashAt, diffState, knob, makeTemplate, mutatingCalls, snapshot, startStack, type StackOptions } from './helpers.js';

interface Cell {
  mode: string;
  command: string;
  k: number;
  /** The k-th mutating call, after which the CLI died. */
  killedAfter: string;
  outcome: string;
  problems: string[];
}

const matrix: Cell[] = [];
const CONCURRENCY = knob('ISOCTL_CRASH_CONCURRENCY', 3);

function printMatrix(): void {
  const order = (c: Cell) => `${c.mode} ${c.command} ${String(c.k).padStart(2, '0')}`;
  const rows = [...matrix]
    .sort((a, b) => order(a).localeCompare(order(b)))
    .map(
      (c) =>
        `${c.mode.padEnd(6)} ${c.command.padEnd(30)} k=${String(c.k).padEnd(2)} after ${c.killedAfter.padEnd(38)} ${c.outcome}${c.problems.length ? `  PROBLEMS: ${c.problems.join('; ')}` : ''}`,
    );
  process.stdout.write(`\ncrash matrix (${matrix.length} cells)\n${rows.join('\n')}\n`);
}

afterAll(() => printMatrix());

interface Variant {
  mapping: 'token' | 'rules';
  /** The create command's extra flags. */
  createFlags: string[];
  withDelete: boolean;
}

const VARIANTS: Variant[] = [
  { mapping: 'token', createFlags: [], withDelete: true },
  { mapping: 'token', createFlags: ['--wait', 'data'], withDelete: false },
  { mapping: 'rules', createFlags: [], withDelete: true },
];

for (const v of VARIANTS) {
  const createArgs = ['tenant', 'create', 'victim', ...v.createFlags, '--json'];
  const deleteArgs = ['tenant', 'delete', 'victim', '--yes', '--ignore-missing', '--json'];
  const label = `${v.mapping}${v.createFlags.length ? ` ${v.createFlags.join(' ')}` : ''}`;

  describe(`crash after the k-th mutating call (${label})`, () => {
    const opts: StackOptions = { stack: 'crash', mapping: v.mapping };
    let template: { dir: string; remove(): void };
    let withVictim: { dir: string; remove(): void } | undefined;
    let createCalls: string[] = [];
    let deleteCalls: string[] = [];

    beforeAll(async () => {
      template = await makeTemplate(opts, async (s) => {
        expect((await s.cli(['init', '--json'])).code).toBe(0);
        const keep = await s.cli(['tenant', 'create', 'keep', '--json']);
        expect(keep.code, keep.stderr).toBe(0);
      });
      // The uninterrupted runs give the calls to cut after.
      withVictim = await makeTemplate({ ...opts, from: template.dir }, async (s) => {
        const m = s.mark();
        const r = await s.cli(createArgs);
        expect(r.code, r.stderr).toBe(0);
        createCalls = mutatingCalls(s.since(m)).map((e) => `${e.service} ${e.operation}`);
      });
      if (v.withDelete) {
        const probe = await startStack({ from: withVictim.dir });
        const m = probe.mark();
        const r = await probe.cli(deleteArgs);
        expect(r.code, r.stderr).toBe(0);
        deleteCalls = mutatingCalls(probe.since(m)).map((e) => `${e.service} ${e.operation}`);
        await probe.stop();
      }
    });

    afterAll(() => {
      template?.remove();
      withVictim?.remove();
    });

    it(`tenant create ${v.createFlags.join(' ')}: killed after each mutating call, the same command again converges`, async () => {
      expect(createCalls.length).toBeGreaterThanOrEqual(5);
      const ks = createCalls.map((_, i) => i + 1);
      const failures: string[] = [];
      await mapLimit(ks, CONCURRENCY, async (k) => {
        const { s, killedAfter } = await crashAt(template.dir, createArgs, k);
        try {
          expect(killedAfter).toBe(createCalls[k - 1]);
          const base = await snapshot(s);
          const t0 = Date.now();
          const again = await s.cli(createArgs);
          const problems = diffState(s.config, base, ['keep', 'victim'], await snapshot(s), { staleLeaseOk: true });
          if (again.code !== 0) problems.unshift(`re-run exit ${again.code}: ${again.stderr.trim().split('\n').pop()}`);
          matrix.push({
            mode: label,
            command: `${createArgs.slice(0, 2).join(' ')} re-run`,
            k,
            killedAfter,
            outcome: `re-run exit ${again.code} in ${Date.now() - t0} ms, ${again.code === 0 ? again.json().status : '-'}`,
            problems,
          });
          if (problems.length) failures.push(`k=${k} (${killedAfter}): ${problems.join('; ')}`);
        } finally {
          await s.stop();
        }
      });
      expect(failures).toEqual([]);
    }, 600_000);

    it(`tenant create ${v.createFlags.join(' ')}: killed after each mutating call and abandoned, gc --apply past --min-age leaves no garbage`, async () => {
      const ks = createCalls.map((_, i) => i + 1);
      const failures: string[] = [];
      await mapLimit(ks, CONCURRENCY, async (k) => {
        const { s, killedAfter } = await crashAt(template.dir, createArgs, k);
        try {
          const base = await snapshot(s);
          // The leftovers must be older than --min-age: wait it out instead of faking the clock.
          await new Promise((r) => setTimeout(r, 1_100));
          const gc = await s.cli(['gc', '--apply', '--yes', '--min-age', '1s', '--json']);
          const after = await snapshot(s);
          const problems: string[] = [];
          if (gc.code !== 0) problems.push(`gc exit ${gc.code}: ${gc.stderr.trim().split('\n').pop()}`);
          const items = gc.code === 0 ? (gc.json().items as Array<{ tenant: string; kind: string; state: string }>) : [];
          const removed = items.filter((i) => i.tenant === 'victim' && i.state === 'removed').map((i) => i.kind);
          if (items.some((i) => i.tenant !== 'victim'))
            problems.push(`gc touched other tenants: ${JSON.stringify(items.filter((i) => i.tenant !== 'victim'))}`);
          // Whatever is left of victim must be a mapped tenant (a re-run completes it), not garbage.
          const left = Object.keys(after.roles).includes('isoctl-crash-victim');
          const mapped = v.mapping === 'token' ? after.groups.victim !== undefined : JSON.stringify(after.roleMappings).includes('isoctl-crash-victim');
          const userLeft = after.users['isoctl-probe-victim'] !== undefined;
          let outcome: string;
          if (!left && !mapped && !userLeft) outcome = `gc removed ${removed.join(' + ') || 'nothing (nothing was left)'}`;
          else if (left && mapped) {
            const list = await s.cli(['tenant', 'list', '--json']);
            const entry = (list.json().tenants as Array<{ tenant: string; status: string }>).find((t) => t.tenant === 'victim');
            outcome = `gc left the mapped tenant (tenant list: ${entry?.status ?? 'absent'})`;
            if (!entry) problems.push('the mapped leftover is not in tenant list');
            const again = await s.cli(createArgs);
            outcome += `; re-run exit ${again.code}`;
            if (again.code !== 0) problems.push(`re-run exit ${again.code}`);
            else problems.push(...diffState(s.config, base, ['keep', 'victim'], await snapshot(s), { staleLeaseOk: true }));
          } else {
            outcome = `garbage left: role ${left}, mapping ${mapped}, probe user ${userLeft}`;
            problems.push(outcome);
          }
          if (!(left && mapped)) problems.push(...diffState(s.config, base, ['keep'], after, { staleLeaseOk: true }).filter((p) => !/victim/.test(p)));
          matrix.push({ mode: label, command: `${createArgs.slice(0, 2).join(' ')} abandoned, gc`, k, killedAfter, outcome, problems });
          if (problems.length) failures.push(`k=${k} (${killedAfter}): ${problems.join('; ')}`);
        } finally {
          await s.stop();
        }
      });
      expect(failures).toEqual([]);
    }, 600_000);

    if (v.withDelete)
      it('tenant delete: killed after each mutating call, the same command again converges', async () => {
        expect(deleteCalls.length).toBeGreaterThanOrEqual(4);
        const ks = deleteCalls.map((_, i) => i + 1);
        const failures: string[] = [];
        await mapLimit(ks, CONCURRENCY, async (k) => {
          const { s, killedAfter } = await crashAt(withVictim!.dir, deleteArgs, k);
          try {
            expect(killedAfter).toBe(deleteCalls[k - 1]);
            const base = await snapshot(s);
            const t0 = Date.now();
            const again = await s.cli(deleteArgs);
            const problems = diffState(s.config, base, ['keep'], await snapshot(s), { staleLeaseOk: true });
            if (again.code !== 0) problems.unshift(`re-run exit ${again.code}: ${again.stderr.trim().split('\n').pop()}`);
            matrix.push({
              mode: label,
              command: 'tenant delete re-run',
              k,
              killedAfter,
              outcome: `re-run exit ${again.code} in ${Date.now() - t0} ms, ${again.code === 0 ? again.json().status : '-'}`,
              problems,
            });
            if (problems.length) failures.push(`k=${k} (${killedAfter}): ${problems.join('; ')}`);
          } finally {
            await s.stop();
          }
        });
        expect(failures).toEqual([]);
      }, 600_000);
  });
}
