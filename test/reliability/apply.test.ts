// `isoctl apply` under faults and crashes, read back with the admin keys and compared with a model
// (helpers.diffState: every model tenant complete, nothing else of the stack, nothing outside it
// changed):
//   - the sandbox throttles 20% of requests (and answers 5% with 5xx): apply of 12 tenants, then a
//     prune down to 8, each exit 0 with exactly the model's state, in token and rules mapping;
//   - SIGKILL right after the k-th mutating call of an apply of 20 tenants: the same apply again
//     exits 0 and converges, and a third run makes no mutating call;
//   - SIGINT part-way: exit 130, the JSON result says what was done, a re-run converges.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffState, makeTemplate, mutatingCalls, snapshot, spawnCli, startStack, tempDir, writeTemp, type Snapshot } from './helpers.js';
import { rmSync } from 'node:fs';

const ids = (n: number, p = 'a') => Array.from({ length: n }, (_, i) => `${p}${String(i + 1).padStart(2, '0')}`);
const spec = (tenants: string[]) => JSON.stringify({ tenants: tenants.map((id) => ({ id })) });

const templates: Partial<Record<'token' | 'rules', { dir: string; remove(): void }>> = {};
let files: string;

beforeAll(async () => {
  files = tempDir('isoctl-apply-rel-');
  for (const mapping of ['token', 'rules'] as const)
    templates[mapping] = await makeTemplate({ stack: 'apr', mapping }, async (s) => {
      expect((await s.cli(['init', '--json'])).code).toBe(0);
    });
}, 60_000);
afterAll(() => {
  for (const t of Object.values(templates)) t?.remove();
  rmSync(files, { recursive: true, force: true });
});

describe.each(['token', 'rules'] as const)('apply under faults (20%% throttling, 5%% 5xx), %s mapping', (mapping) => {
  it('applies 12 tenants, then prunes to 8: exit 0 and exactly the model each time', async () => {
    const s = await startStack({ from: templates[mapping]!.dir, faults: { throttle: 0.2, '5xx': 0.05 }, seed: mapping === 'token' ? 4101 : 4102 });
    try {
      const base: Snapshot = await snapshot(s);
      const all = ids(12);
      const f = writeTemp(files, `${mapping}-12.json`, spec(all));
      const r = await s.cli(['apply', '-f', f, '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json().counts.created).toBe(12);
      expect(diffState(s.config, base, all, await snapshot(s))).toEqual([]);
      const faulted = s.requests().filter((l) => l.fault !== undefined).length;
      expect(faulted, 'the sandbox injected faults').toBeGreaterThan(0);

      const kept = all.slice(0, 8);
      const g = writeTemp(files, `${mapping}-8.json`, spec(kept));
      const p = await s.cli(['apply', '-f', g, '--prune', '--yes', '--json']);
      expect(p.code, p.stderr).toBe(0);
      expect(p.json().counts).toMatchObject({ deleted: 4, unchanged: 8 });
      expect(diffState(s.config, base, kept, await snapshot(s))).toEqual([]);
    } finally {
      await s.stop();
    }
  }, 120_000);
});

describe('apply killed part-way (token mapping)', () => {
  it.each([1, 38, 77])(
    'SIGKILL after mutating call %i of 100: the same apply converges, and then changes nothing',
    async (k) => {
      const target = { pid: 0, seen: 0 };
      const s = await startStack({
        from: templates.token!.dir,
        onRequestLogged: (e) => {
          if (!e.mutating || target.pid === 0) return;
          if (++target.seen === k) {
            process.kill(target.pid, 'SIGKILL');
            target.pid = 0;
          }
        },
      });
      try {
        const base = await snapshot(s);
        const all = ids(20, 'k');
        const f = writeTemp(files, `kill-${k}.json`, spec(all));
        const child = spawnCli(['--sandbox', s.stateDir, 'apply', '-f', f, '--json']);
        target.pid = child.pid;
        const killed = await child.done;
        expect(killed.signal, killed.stderr).toBe('SIGKILL');
        const again = await s.cli(['apply', '-f', f, '--json']);
        expect(again.code, again.stderr).toBe(0);
        const counts = again.json().counts;
        expect(counts.created + counts.updated + counts.unchanged).toBe(20);
        expect(diffState(s.config, base, all, await snapshot(s))).toEqual([]);
        const mark = s.mark();
        const third = await s.cli(['apply', '-f', f, '--json']);
        expect(third.json().counts.unchanged).toBe(20);
        expect(mutatingCalls(s.since(mark))).toEqual([]);
      } finally {
        await s.stop();
      }
    },
    60_000,
  );

  it('SIGINT part-way: exit 130, the result says what was done, a re-run converges', async () => {
    const target = { pid: 0, seen: 0 };
    const s = await startStack({
      from: templates.token!.dir,
      lag: { iam: 300, cognito: 300 },
      onRequestLogged: (e) => {
        if (!e.mutating || target.pid === 0) return;
        if (++target.seen === 30) {
          process.kill(target.pid, 'SIGINT');
          target.pid = 0;
        }
      },
    });
    try {
      const base = await snapshot(s);
      const all = ids(20, 'i');
      const f = writeTemp(files, 'int.json', spec(all));
      const child = spawnCli(['--sandbox', s.stateDir, 'apply', '-f', f, '--concurrency', '4', '--json']);
      target.pid = child.pid;
      const r = await child.done;
      expect(r.code, r.stderr).toBe(130);
      const out = r.json();
      expect(out.interrupted).toBe(true);
      expect(out.counts.pending).toBeGreaterThan(0);
      expect(
        out.counts.created + out.counts.pending,
        JSON.stringify(out.tenants.filter((x: { status: string }) => x.status !== 'created' && x.status !== 'pending')),
      ).toBe(20);
      expect(r.stderr).toMatch(/interrupted: \d+ tenant\(s\) changed, .* not finished .*run the same command again/);
      const again = await s.cli(['apply', '-f', f, '--json']);
      expect(again.code, again.stderr).toBe(0);
      expect(diffState(s.config, base, all, await snapshot(s))).toEqual([]);
    } finally {
      await s.stop();
    }
  }, 60_000);
});
