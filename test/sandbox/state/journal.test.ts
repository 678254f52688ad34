// The state store's journal: a write appends only what changed (its size does not follow the
// state's), the state reloads from snapshot + journal, a torn last line is ignored, compaction
// folds the journal into state.json, and replaying a journal the snapshot already holds is harmless.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StateStore } from '../../../src/sandbox/state.js';

interface Iam {
  roles: Record<string, { name: string; policies: Record<string, string>; history: Array<{ at: number; v: string }> }>;
}

const dir = () => mkdtempSync(join(tmpdir(), 'isoctl-journal-'));
const open = (d: string) => {
  const s = new StateStore(d);
  s.load();
  return s;
};
const reload = (d: string) => JSON.parse(JSON.stringify(open(d).section<Iam>('iam', () => ({ roles: {} }))));

describe('StateStore journal', () => {
  it('appends per flush only the changed entries, whatever the size of the state', () => {
    const d = dir();
    const s = open(d);
    const iam = s.section<Iam>('iam', () => ({ roles: {} }));
    s.compactMinBytes = 1 << 30;
    const sizeOfOneWrite = (i: number) => {
      const before = s.journalSize;
      iam.roles[`r${i}`] = { name: `r${i}`, policies: {}, history: [] };
      iam.roles[`r${i}`]!.policies.data = 'x'.repeat(50);
      s.flush();
      return s.journalSize - before;
    };
    const early = sizeOfOneWrite(0);
    for (let i = 1; i < 2000; i++) iam.roles[`r${i}`] = { name: `r${i}`, policies: {}, history: [] };
    s.flush();
    const late = sizeOfOneWrite(5000);
    expect(late).toBeLessThanOrEqual(early + 8); // same shape of line; only the name is longer
    expect(late).toBeLessThan(300);
    expect(Object.keys(reload(d).roles)).toHaveLength(2001);
  });

  it('reloads nested changes, array pushes, deletes and moved objects exactly', () => {
    const d = dir();
    const s = open(d);
    s.compactMinBytes = 1 << 30;
    const iam = s.section<Iam>('iam', () => ({ roles: {} }));
    iam.roles.a = { name: 'a', policies: { p: '1' }, history: [] };
    s.flush();
    iam.roles.a.history.push({ at: 1, v: 'one' });
    iam.roles.a.history.push({ at: 2, v: 'two' });
    iam.roles.a.history[0]!.v = 'uno';
    delete iam.roles.a.policies.p;
    iam.roles.a.policies.q = '2';
    s.flush();
    // A rename: the same object moves to another key, then changes through its new path.
    const rec = iam.roles.a;
    delete iam.roles.a;
    iam.roles.b = rec;
    s.flush();
    iam.roles.b.name = 'b';
    s.flush();
    const expected = JSON.parse(JSON.stringify(iam));
    expect(existsSync(join(d, 'state.json'))).toBe(false); // nothing compacted yet: all from the journal
    expect(reload(d)).toEqual(expected);
    expect(expected).toEqual({
      roles: {
        b: {
          name: 'b',
          policies: { q: '2' },
          history: [
            { at: 1, v: 'uno' },
            { at: 2, v: 'two' },
          ],
        },
      },
    });
  });

  it('ignores a last line cut short by a kill, and refuses a corrupt line in the middle', () => {
    const d = dir();
    const s = open(d);
    s.compactMinBytes = 1 << 30;
    const iam = s.section<Iam>('iam', () => ({ roles: {} }));
    iam.roles.kept = { name: 'kept', policies: {}, history: [] };
    s.flush();
    appendFileSync(join(d, 'state.journal'), '{"ops":[[["iam","roles","lost"],{"name":"lo');
    expect(Object.keys(reload(d).roles)).toEqual(['kept']);

    const d2 = dir();
    writeFileSync(join(d2, 'state.journal'), '{"ops":[[["iam"],{"roles":{}}]]}\nnot json\n{"ops":[]}\n');
    expect(() => open(d2)).toThrow(/line 2 is not valid JSON/);
  });

  it('compacts into state.json past the threshold, and a journal replayed over the snapshot that holds it changes nothing', () => {
    const d = dir();
    const s = open(d);
    s.compactMinBytes = 2_000;
    const iam = s.section<Iam>('iam', () => ({ roles: {} }));
    let saved: string | undefined;
    for (let i = 0; i < 100; i++) {
      iam.roles[`r${i}`] = { name: `r${i}`, policies: { data: `v${i}` }, history: [{ at: i, v: 'x' }] };
      if (i % 2 === 0) delete iam.roles[`r${i - 1}`];
      const j = join(d, 'state.journal');
      // Keep the last non-empty journal: what a crash between rename and truncation would leave.
      if (existsSync(j) && statSync(j).size > 0) {
        copyFileSync(j, join(d, 'journal.copy'));
        saved = 'yes';
      }
      s.flush();
    }
    expect(saved).toBe('yes');
    expect(existsSync(join(d, 'state.json'))).toBe(true);
    expect(statSync(join(d, 'state.journal')).size).toBeLessThan(4_000);
    const expected = JSON.parse(JSON.stringify(iam));
    expect(reload(d)).toEqual(expected);
    // The crash case: the snapshot was renamed in, the journal it holds was not emptied yet.
    copyFileSync(join(d, 'journal.copy'), join(d, 'state.journal'));
    const snapshot = JSON.parse(readFileSync(join(d, 'state.json'), 'utf8'));
    expect(Object.keys(snapshot.sections.iam.roles).length).toBeGreaterThan(0);
    expect(reload(d)).toEqual(expected);
  });

  it('a save() with no change seen through the proxies still persists (full snapshot)', () => {
    const d = dir();
    const s = open(d);
    const raw = { roles: {} } as Iam;
    const iam = s.section<Iam>('iam', () => raw);
    s.flush();
    iam.roles.x = { name: 'x', policies: {}, history: [] };
    s.flush();
    // A write through a reference that bypassed the proxy (the raw object) plus markDirty().
    raw.roles.x!.name = 'changed behind the proxy';
    s.markDirty();
    s.flush();
    expect(reload(d).roles.x.name).toBe('changed behind the proxy');
  });
});
