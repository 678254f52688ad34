// The sandbox's persisted state: named sections owned by its parts, kept as a snapshot
// (state.json, written atomically: temp file + rename) plus an append-only journal
// (state.journal) of the changes made since the snapshot.
//
// Why a journal: rewriting the whole state per mutating request made every write cost O(state)
// (about 10 ms per call at 1,000 roles). Now a request appends only what it changed, so its cost
// follows the size of the change, not of the state. The snapshot is rewritten (compaction) when the
// journal has grown past max(COMPACT_MIN_BYTES, the snapshot's size), on load and on close, so the
// compaction's O(state) cost is amortised to a constant per write.
//
// How changes are found without the owners saying what they changed: each section is handed out
// behind a Proxy that records the path of every property set or deleted through it (a change inside
// an array records the array's path). On flush, the current value at each recorded path is written
// as one journal line `{"ops":[[path, value] | [path]]}` (one line per flush, so a flush is all or
// nothing: a line cut short by a SIGKILL is the last line and is ignored on load).
//
// Crash safety: the server flushes at the end of each request, before it answers, so a SIGKILL
// loses at most the request in flight. Replaying the journal over a snapshot that already contains
// it gives the same state (every op writes the whole value at its path, in order), so a crash
// between a compaction's rename and its journal truncation is harmless.
// One server process is the single writer of a state dir (see lock.ts).
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FORMAT_VERSION = 1;
/** The journal is compacted into the snapshot once it is larger than this and than the snapshot. */
export const COMPACT_MIN_BYTES = 4 * 1024 * 1024;

interface StateFile {
  format: number;
  savedAt: string;
  sections: Record<string, object>;
}

type Path = string[];
/** [path, value] sets the value at path; [path] deletes it. */
type Op = [Path, unknown] | [Path];

const SEP = '\u0000';
const RAW = Symbol('isoctl.raw');

function isObject(v: unknown): v is object {
  return v !== null && typeof v === 'object';
}

/**
 * The plain object behind a state proxy, for read-only loops over large sections (reading through
 * the proxies costs a trap per property). Never write through it: such writes are not journaled.
 */
export function readOnly<T>(v: T): T {
  return unwrap(v);
}

function unwrap<T>(v: T): T {
  return isObject(v) && (v as Record<symbol, unknown>)[RAW] !== undefined ? ((v as Record<symbol, unknown>)[RAW] as T) : v;
}

export class StateStore {
  readonly file: string;
  readonly journalFile: string;
  private sections: Record<string, object> = {};
  private readonly proxies = new WeakMap<object, { parent: object; prop: string; inArray: boolean; proxy: object }>();
  private readonly changed = new Map<string, Path>();
  private dirty = false;
  private journalBytes = 0;
  private snapshotBytes = 0;
  /** Tests lower it to exercise compaction. */
  compactMinBytes = COMPACT_MIN_BYTES;

  constructor(readonly dir: string) {
    this.file = join(dir, 'state.json');
    this.journalFile = join(dir, 'state.journal');
  }

  /** Reads the snapshot and replays the journal. A corrupt snapshot is an error, never silently replaced. */
  load(): void {
    mkdirSync(this.dir, { recursive: true });
    if (existsSync(this.file)) {
      const text = readFileSync(this.file, 'utf8');
      let parsed: StateFile;
      try {
        parsed = JSON.parse(text) as StateFile;
      } catch (err) {
        throw new Error(`sandbox state ${this.file} is not valid JSON (${(err as Error).message}); move it away to start fresh`);
      }
      if (parsed.format !== FORMAT_VERSION || typeof parsed.sections !== 'object' || parsed.sections === null)
        throw new Error(`sandbox state ${this.file} has an unknown format; move it away to start fresh`);
      this.sections = parsed.sections;
      this.snapshotBytes = Buffer.byteLength(text);
    }
    if (!existsSync(this.journalFile)) return;
    const lines = readFileSync(this.journalFile, 'utf8').split('\n');
    let replayed = 0;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line === '') continue;
      let entry: { ops?: Op[] };
      try {
        entry = JSON.parse(line) as { ops?: Op[] };
      } catch (err) {
        // Only the last line can be cut short (a kill during the append): that flush never finished.
        if (lines.slice(i + 1).every((l) => l === '')) break;
        throw new Error(
          `sandbox journal ${this.journalFile} line ${i + 1} is not valid JSON (${(err as Error).message}); move it away to start from the snapshot`,
        );
      }
      for (const op of entry.ops ?? []) this.apply(op);
      replayed++;
    }
    // Fold what was replayed into a fresh snapshot, so a long journal is read only once.
    if (replayed > 0 || statSync(this.journalFile).size > 0) this.compact();
  }

  private apply(op: Op): void {
    const [path] = op;
    if (!Array.isArray(path) || path.length === 0) return;
    let node = this.sections as Record<string, unknown>;
    for (const key of path.slice(0, -1)) {
      if (!isObject(node[key])) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    const last = path[path.length - 1]!;
    if (op.length === 2) node[last] = op[1];
    else if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
  }

  section<T extends object>(name: string, init: () => T): T {
    let s = this.sections[name] as T | undefined;
    if (!s) {
      s = unwrap(init());
      this.sections[name] = s;
      this.record([name]);
    }
    return this.wrap(s, [name], false) as T;
  }

  /**
   * A proxy of `target`, reached as `parent[prop]`, that records writes. `path` is where it sits;
   * `inArray`: it is (inside) an array, whose writes record the array's path.
   */
  private wrap(target: object, path: Path, inArray: boolean, parent: object = this.sections): object {
    const prop = path[path.length - 1]!;
    const cached = this.proxies.get(target);
    // Reached the same way as last time: the same proxy (cheap, and identity stays stable).
    if (cached && cached.parent === parent && cached.prop === prop && cached.inArray === inArray) return cached.proxy;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const store = this;
    const frozen = inArray || Array.isArray(target); // a write inside records `path` itself
    const childPath = (p: string): Path => (frozen ? path : [...path, p]);
    const proxy = new Proxy(target, {
      get(t, p, receiver) {
        if (p === RAW) return t;
        const v = Reflect.get(t, p, receiver) as unknown;
        if (typeof p !== 'string' || !isObject(v)) return v;
        const c = store.proxies.get(v);
        if (c && c.parent === t && c.prop === p && c.inArray === frozen) return c.proxy;
        if (!Object.prototype.hasOwnProperty.call(t, p)) return v;
        return store.wrap(v, childPath(p), frozen, t);
      },
      set(t, p, value, receiver) {
        const ok = Reflect.set(t, p, unwrap(value), receiver);
        if (typeof p === 'string') store.record(childPath(p));
        return ok;
      },
      deleteProperty(t, p) {
        const ok = Reflect.deleteProperty(t, p);
        if (typeof p === 'string') store.record(childPath(p));
        return ok;
      },
      defineProperty(t, p, desc) {
        const ok = Reflect.defineProperty(t, p, 'value' in desc ? { ...desc, value: unwrap(desc.value) } : desc);
        if (typeof p === 'string') store.record(childPath(p));
        return ok;
      },
    });
    this.proxies.set(target, { parent, prop, inArray, proxy });
    return proxy;
  }

  private record(path: Path): void {
    this.changed.set(path.join(SEP), path);
    this.dirty = true;
  }

  markDirty(): void {
    this.dirty = true;
  }

  get isDirty(): boolean {
    return this.dirty;
  }

  /** Bytes in the journal now (for tests and the benchmark). */
  get journalSize(): number {
    return this.journalBytes;
  }

  /** Appends what changed since the last flush; compacts when the journal has grown past the snapshot. */
  flush(): void {
    if (!this.dirty) return;
    if (this.changed.size === 0) {
      // save() without a change seen through the proxies (a write through a reference that
      // bypassed them): only a full snapshot is sure to hold it.
      this.compact();
      return;
    }
    const ops = this.pendingOps();
    const line = `${JSON.stringify({ ops })}\n`;
    appendFileSync(this.journalFile, line, { mode: 0o600 });
    this.changed.clear();
    this.dirty = false;
    this.journalBytes += Buffer.byteLength(line);
    if (this.journalBytes > Math.max(this.compactMinBytes, this.snapshotBytes)) this.compact();
  }

  /** The recorded paths, minus those under another recorded path, with their current values. */
  private pendingOps(): Op[] {
    const keys = [...this.changed.keys()].sort();
    const ops: Op[] = [];
    let ancestor: string | undefined;
    for (const k of keys) {
      if (ancestor !== undefined && k.startsWith(ancestor + SEP)) continue;
      ancestor = k;
      const path = this.changed.get(k)!;
      let node: unknown = this.sections;
      let present = true;
      for (const p of path) {
        if (!isObject(node) || !Object.prototype.hasOwnProperty.call(node, p)) {
          present = false;
          break;
        }
        node = (node as Record<string, unknown>)[p];
      }
      ops.push(present && node !== undefined ? [path, node] : [path]);
    }
    return ops;
  }

  /** Writes the whole state as the new snapshot and empties the journal. */
  compact(): void {
    const doc: StateFile = { format: FORMAT_VERSION, savedAt: new Date().toISOString(), sections: this.sections };
    const tmp = `${this.file}.${process.pid}.tmp`;
    const text = JSON.stringify(doc);
    try {
      writeFileSync(tmp, text, { mode: 0o600 });
      renameSync(tmp, this.file);
      // After the rename: a crash before this truncation replays a journal the snapshot already holds, which is harmless.
      closeSync(openSync(this.journalFile, 'w', 0o600));
    } catch (err) {
      this.dirty = true;
      throw err;
    }
    this.snapshotBytes = Buffer.byteLength(text);
    this.journalBytes = 0;
    this.changed.clear();
    this.dirty = false;
  }
}
