// Runs the built CLI (`node bin/isoctl.js`) as a subprocess, the way users and scripts do.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const binPath = join(repoRoot, 'bin', 'isoctl.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (throws with the raw output when it is not exactly one document). */
  json<T = any>(): T;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  input?: string;
  timeoutMs?: number;
}

/** A clean environment: no colour forcing, no AWS settings leaking in from the machine. */
export function baseEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(AWS_|ISOCTL_|FORCE_COLOR|NO_COLOR)/.test(k)) continue;
    env[k] = v;
  }
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Starts the CLI and hands back the child at once (the crash suite kills it by pid); `done` settles on exit. */
export function spawnCli(args: string[], opts: RunOptions = {}): { pid: number; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [binPath, ...args], {
    cwd: opts.cwd ?? repoRoot,
    env: baseEnv(opts.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout,
        stderr,
        json() {
          try {
            return JSON.parse(stdout);
          } catch {
            throw new Error(`stdout is not one JSON document:\n${stdout}\n--- stderr ---\n${stderr}`);
          }
        },
      });
    });
  });
  child.stdin.end(opts.input ?? '');
  return { pid: child.pid!, done };
}

export function runCli(args: string[], opts: RunOptions = {}): Promise<CliResult> {
  return spawnCli(args, opts).done;
}
