// One writer per state dir: an exclusive lock file (created with O_EXCL, holding the owner's
// pid) and an info file telling other processes where the running server listens.
import { closeSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { LagConfig } from './contract.js';
import type { FaultConfig } from './settings.js';

export interface ServerInfo {
  pid: number;
  instanceId: string;
  endpoint: string;
  host: string;
  port: number;
  region: string;
  accountId: string;
  stateDir: string;
  startedAt: string;
  lag: LagConfig;
  faults: FaultConfig;
  seed: number;
  requestLogPath: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export function lockPath(dir: string): string {
  return join(dir, 'server.lock');
}

export function infoPath(dir: string): string {
  return join(dir, 'server.json');
}

export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(path: string): { raw: string; pid: number | undefined } | undefined {
  try {
    const raw = readFileSync(path, 'utf8');
    try {
      const pid = (JSON.parse(raw) as { pid?: unknown }).pid;
      return { raw, pid: typeof pid === 'number' ? pid : undefined };
    } catch {
      return { raw, pid: undefined };
    }
  } catch {
    return undefined;
  }
}

export class StateDirLock {
  private released = false;
  private constructor(
    readonly dir: string,
    readonly instanceId: string,
  ) {}

  /** Takes the lock, or reports the live process holding it. A lock left by a dead process is taken over. */
  static tryAcquire(dir: string): StateDirLock | { heldBy: number | undefined } {
    const path = lockPath(dir);
    const instanceId = randomUUID();
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const fd = openSync(path, 'wx', 0o600);
        try {
          writeSync(fd, JSON.stringify({ pid: process.pid, instanceId, at: new Date().toISOString() }));
        } finally {
          closeSync(fd);
        }
        return new StateDirLock(dir, instanceId);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = readHolder(path);
      if (!holder) continue; // released meanwhile: try again
      // A lock without a readable pid is being written right now: treat it as held.
      if (holder.pid === undefined || pidAlive(holder.pid)) return { heldBy: holder.pid };
      // Stale: move it aside atomically; if what we moved is not the stale lock we read, put it back.
      const aside = `${path}.stale-${process.pid}-${instanceId}`;
      try {
        renameSync(path, aside);
      } catch {
        continue;
      }
      const moved = readHolder(aside);
      if (moved && moved.raw !== holder.raw) {
        try {
          renameSync(aside, path);
        } catch {
          /* the holder will notice its lock is gone on release */
        }
        continue;
      }
      try {
        unlinkSync(aside);
      } catch {
        /* already gone */
      }
    }
    return { heldBy: readHolder(path)?.pid };
  }

  writeInfo(info: Omit<ServerInfo, 'instanceId' | 'pid'>): ServerInfo {
    const full: ServerInfo = { pid: process.pid, instanceId: this.instanceId, ...info };
    const tmp = `${infoPath(this.dir)}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(full, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, infoPath(this.dir));
    return full;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    const info = readInfo(this.dir);
    if (info?.instanceId === this.instanceId) {
      try {
        unlinkSync(infoPath(this.dir));
      } catch {
        /* gone */
      }
    }
    const holder = readHolder(lockPath(this.dir));
    if (holder?.raw.includes(this.instanceId)) {
      try {
        unlinkSync(lockPath(this.dir));
      } catch {
        /* gone */
      }
    }
  }
}

export function readInfo(dir: string): ServerInfo | undefined {
  try {
    return JSON.parse(readFileSync(infoPath(dir), 'utf8')) as ServerInfo;
  } catch {
    return undefined;
  }
}
