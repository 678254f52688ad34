// `--sandbox [dir]`: use the sandbox server already running on that state dir, or start one
// in this process on an ephemeral loopback port. The state dir's lock guarantees a single writer;
// a process that attaches to another's in-process server registers, so that server keeps
// serving until every attached process is done.
import { resolve } from 'node:path';
import type { SandboxHandle } from './handle.js';
import { InterruptedError, RefusedError } from '../errors.js';
import type { LagConfig } from './contract.js';
import { pidAlive, readInfo, type ServerInfo } from './lock.js';
import { startSandbox } from './server.js';
import { settingsFromEnv, type FaultConfig } from './settings.js';

export interface AttachedSandbox extends SandboxHandle {
  /** "in-process": this process owns the server; "attached": another process does. */
  mode: 'in-process' | 'attached';
  stateDir: string;
  lag: LagConfig;
  faults: FaultConfig;
  requestLogPath: string;
}

const ATTACH_WAIT_MS = 15_000;

async function post(
  endpoint: string,
  path: string,
  doc: unknown,
  signal?: AbortSignal,
): Promise<{ status: number; body: Record<string, unknown> } | undefined> {
  try {
    const res = await fetch(`${endpoint}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(doc),
      signal: signal ? AbortSignal.any([AbortSignal.timeout(2_000), signal]) : AbortSignal.timeout(2_000),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  } catch {
    return undefined;
  }
}

/** Registers with a running server; false when it does not answer as the server the info file names. */
async function register(info: ServerInfo, signal?: AbortSignal): Promise<boolean> {
  const answer = await post(info.endpoint, '/__sandbox/attach', { pid: process.pid }, signal);
  return answer?.status === 200 && answer.body.instanceId === info.instanceId;
}

export async function attachSandbox(opts: {
  stateDir: string;
  log?: (m: string) => void;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}): Promise<AttachedSandbox> {
  const stateDir = resolve(opts.stateDir);
  const log = opts.log ?? (() => undefined);
  const settings = settingsFromEnv(opts.env ?? process.env);
  const deadline = Date.now() + ATTACH_WAIT_MS;
  let holder: number | undefined;
  // Ctrl-C while waiting for a server that does not answer stops at once (it waited out the 15 s).
  const stopIfInterrupted = () => {
    if (opts.signal?.aborted) throw new InterruptedError();
  };
  for (;;) {
    stopIfInterrupted();
    const info = readInfo(stateDir);
    if (info && pidAlive(info.pid) && (await register(info, opts.signal))) {
      log(`sandbox: using the server of pid ${info.pid} at ${info.endpoint} (state ${stateDir})`);
      let closed = false;
      return {
        mode: 'attached',
        endpoint: info.endpoint,
        region: info.region,
        credentials: { ...info.credentials },
        stateDir,
        lag: info.lag,
        faults: info.faults,
        requestLogPath: info.requestLogPath,
        async close() {
          if (closed) return;
          closed = true;
          await post(info.endpoint, '/__sandbox/detach', { pid: process.pid });
        },
      };
    }
    try {
      const running = await startSandbox({ stateDir, ...settings, waitForAttached: true, log });
      log(`sandbox: started in this process at ${running.endpoint} (state ${stateDir})`);
      return {
        mode: 'in-process',
        endpoint: running.endpoint,
        region: running.region,
        credentials: running.credentials,
        stateDir,
        lag: running.lag,
        faults: running.faults,
        requestLogPath: running.requestLogPath,
        close: () => running.close(),
      };
    } catch (err) {
      if (!(err instanceof RefusedError) || err.code !== 'sandbox_locked') throw err;
      holder = err.details?.pid as number | undefined;
    }
    // Locked by a live process whose server is starting (or stopping): wait for it.
    if (Date.now() > deadline)
      throw new RefusedError(
        `the sandbox state dir ${stateDir} is locked by ${holder ? `pid ${holder}` : 'another process'}, which does not answer; stop it or remove ${stateDir}/server.lock if it is gone`,
        'sandbox_locked',
      );
    stopIfInterrupted();
    await new Promise((r) => setTimeout(r, 100));
  }
}
