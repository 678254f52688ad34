// The sandbox's persisted state: named sections owned by its parts, saved as one JSON file
// atomically (write a temp file, then rename over the old one), loaded on start.
// One server process is the single writer of a state dir (see lock.ts).
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FORMAT_VERSION = 1;

interface StateFile {
  format: number;
  savedAt: string;
  sections: Record<string, object>;
}

export class StateStore {
  readonly file: string;
  private sections: Record<string, object> = {};
  private dirty = false;

  constructor(readonly dir: string) {
    this.file = join(dir, 'state.json');
  }

  /** Reads the state file when there is one. A corrupt file is an error, never silently replaced. */
  load(): void {
    mkdirSync(this.dir, { recursive: true });
    if (!existsSync(this.file)) return;
    let parsed: StateFile;
    try {
      parsed = JSON.parse(readFileSync(this.file, 'utf8')) as StateFile;
    } catch (err) {
      throw new Error(`sandbox state ${this.file} is not valid JSON (${(err as Error).message}); move it away to start fresh`);
    }
    if (parsed.format !== FORMAT_VERSION || typeof parsed.sections !== 'object' || parsed.sections === null)
      throw new Error(`sandbox state ${this.file} has an unknown format; move it away to start fresh`);
    this.sections = parsed.sections;
  }

  section<T extends object>(name: string, init: () => T): T {
    let s = this.sections[name] as T | undefined;
    if (!s) {
      s = init();
      this.sections[name] = s;
      this.dirty = true;
    }
    return s;
  }

  markDirty(): void {
    this.dirty = true;
  }

  get isDirty(): boolean {
    return this.dirty;
  }

  /** Writes the state when something changed since the last write. */
  flush(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const doc: StateFile = { format: FORMAT_VERSION, savedAt: new Date().toISOString(), sections: this.sections };
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(doc), { mode: 0o600 });
      renameSync(tmp, this.file);
    } catch (err) {
      this.dirty = true;
      throw err;
    }
  }
}
