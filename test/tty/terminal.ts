// Drives the built CLI in a real pseudo-terminal through tmux, the way an operator sees it:
// the screen (capture-pane), every byte the program wrote (pipe-pane), keys (send-keys),
// signals to the program's pid, and how it ended (exit status or the signal that killed it).
//
// Each Terminal is one tmux session on a tmux server private to the test process (-L), running
// a small bash script: it clears the environment of anything that changes isoctl's output (CI,
// NO_COLOR, FORCE_COLOR, AWS_*, ISOCTL_*), exports the test's variables, blocks on a tmux
// channel until the byte log is attached, then execs a tiny python3 parent that runs node in
// the foreground of the terminal and records its pid and how it ended. (tmux's own record of a
// dead pane's status proved unreliable: under load it left the process unreaped, status unset.)
// The parent ignores SIGINT/SIGTERM, so Ctrl-C reaches only the CLI's handlers.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binPath, repoRoot } from '../helpers/cli.js';

const SOCKET = `isoctl-tty-${process.pid}`;
let counter = 0;
/** Where the server's socket lives (read while it runs: it exits with its last session). */
let socketPath: string | undefined;

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** tmux must be installed (.ci/run installs it); fail loudly rather than skip. */
export function assertTmux(): void {
  const r = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error('tmux is required for test/tty (apt-get install -y tmux; .ci/run installs it)');
}

/** Stops the private tmux server and removes its socket file, which tmux leaves behind (afterAll). */
export function killTmuxServer(): void {
  spawnSync('tmux', ['-L', SOCKET, 'kill-server'], { stdio: 'ignore' });
  if (socketPath?.endsWith(`/${SOCKET}`)) rmSync(socketPath, { force: true });
}

export interface TerminalOptions {
  /** isoctl arguments (node bin/isoctl.js is prepended). */
  args: string[];
  /** Extra environment; undefined removes a variable. TERM is tmux's unless given. */
  env?: Record<string, string | undefined>;
  /** Redirect the CLI's stderr to this file (the terminal then only has stdout). */
  stderrToFile?: boolean;
  cols?: number;
  rows?: number;
  /** Arguments for `stty` run in the terminal before the CLI starts, e.g. ['cols', '0', 'rows', '0']. */
  stty?: string[];
}

export interface Ended {
  /** Exit status, or null when a signal killed the process. */
  code: number | null;
  signal: number | null;
}

const PARENT = `
import json, os, signal, subprocess, sys
pid_path, exit_path, err_path = sys.argv[1], sys.argv[2], sys.argv[3]
for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT):
    signal.signal(sig, signal.SIG_IGN)
def child():
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT):
        signal.signal(sig, signal.SIG_DFL)
err = open(err_path, 'w') if err_path else None
p = subprocess.Popen(sys.argv[4:], preexec_fn=child, stderr=err)
with open(pid_path + '.tmp', 'w') as f:
    f.write(str(p.pid))
os.rename(pid_path + '.tmp', pid_path)
rc = p.wait()
with open(exit_path + '.tmp', 'w') as f:
    json.dump({'code': rc if rc >= 0 else None, 'signal': -rc if rc < 0 else None}, f)
os.rename(exit_path + '.tmp', exit_path)
`;

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export const ESC = '\u001b';
/** Braille spinner frames (ora's "dots"). */
export const SPINNER_FRAME = /[\u2800-\u28ff]/;
// eslint-disable-next-line no-control-regex
export const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;
/** Escape sequences bash itself writes around a command (bracketed paste); never isoctl's. */
// eslint-disable-next-line no-control-regex -- ESC is what bash writes
export const stripShellNoise = (raw: string) => raw.replace(/\u001b\[\?2004[hl]/g, '');

export class Terminal {
  readonly name: string;
  readonly dir: string;
  private readonly rawPath: string;
  readonly stderrPath: string;
  readonly startedAt: number;

  private constructor(name: string, dir: string, startedAt: number) {
    this.name = name;
    this.dir = dir;
    this.rawPath = join(dir, 'raw.log');
    this.stderrPath = join(dir, 'stderr.log');
    this.startedAt = startedAt;
  }

  static start(opts: TerminalOptions): Terminal {
    const name = `t${process.pid}-${++counter}`;
    const dir = mkdtempSync(join(tmpdir(), 'isoctl-tty-'));
    const lines = [
      '#!/bin/bash',
      'for v in $(compgen -e | grep -E "^(AWS_|ISOCTL_)"); do unset "$v"; done',
      'unset CI NO_COLOR FORCE_COLOR NODE_OPTIONS',
      'export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true',
      ...Object.entries(opts.env ?? {}).map(([k, v]) => (v === undefined ? `unset ${k}` : `export ${k}=${shellQuote(v)}`)),
      `cd ${shellQuote(repoRoot)}`,
      ...(opts.stty ? [`stty ${opts.stty.map(shellQuote).join(' ')}`] : []),
      `tmux -L ${SOCKET} wait-for ${name}-go`,
      `exec python3 ${shellQuote(join(dir, 'parent.py'))} ${shellQuote(join(dir, 'pid'))} ${shellQuote(join(dir, 'exit.json'))} ${shellQuote(opts.stderrToFile ? join(dir, 'stderr.log') : '')} ${shellQuote(process.execPath)} ${shellQuote(binPath)} ${opts.args.map(shellQuote).join(' ')}`,
    ];
    const script = join(dir, 'run.sh');
    writeFileSync(script, `${lines.join('\n')}\n`, { mode: 0o755 });
    writeFileSync(join(dir, 'parent.py'), PARENT);
    tmux('new-session', '-d', '-s', name, '-x', String(opts.cols ?? 160), '-y', String(opts.rows ?? 40), `exec bash --noprofile --norc ${shellQuote(script)}`);
    tmux('set-option', '-t', name, 'remain-on-exit', 'on'); // keep the last screen to capture
    socketPath ??= tmux('display-message', '-p', '-t', name, '#{socket_path}').trim();
    tmux('pipe-pane', '-t', name, '-o', `cat >> ${shellQuote(join(dir, 'raw.log'))}`);
    const t = new Terminal(name, dir, Date.now());
    tmux('wait-for', '-S', `${name}-go`);
    return t;
  }

  /** The screen with its scrollback (tmux's dead-pane notice can scroll the first line out), wrapped lines joined, trailing blank lines dropped. */
  screen(): string {
    return tmux('capture-pane', '-p', '-J', '-S', '-', '-t', this.name).replace(/\n+$/, '');
  }

  /** Every byte the program wrote to the terminal so far. */
  raw(): string {
    return existsSync(this.rawPath) ? readFileSync(this.rawPath, 'utf8') : '';
  }

  stderrFile(): string {
    return existsSync(this.stderrPath) ? readFileSync(this.stderrPath, 'utf8') : '';
  }

  /** Polls the screen until it matches; throws with the screen after the deadline. */
  async waitFor(re: RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = this.screen();
      if (re.test(s)) return s;
      const ended = this.ended();
      if (ended) {
        const last = this.screen(); // the last bytes may have landed after the check above
        if (re.test(last)) return last;
        throw new Error(`the CLI ended (${JSON.stringify(ended)}) and the screen never matched ${re}:\n${last}`);
      }
      if (Date.now() > deadline) throw new Error(`screen never matched ${re} within ${timeoutMs}ms:\n${s}`);
      await sleep(50);
    }
  }

  /** Types text and Enter. */
  type(text: string): void {
    tmux('send-keys', '-t', this.name, '-l', text);
    tmux('send-keys', '-t', this.name, 'Enter');
  }

  /** Sends tmux key names, e.g. 'C-c', 'C-d'. */
  keys(...keys: string[]): void {
    tmux('send-keys', '-t', this.name, ...keys);
  }

  /** The CLI's pid. */
  async pid(timeoutMs = 10_000): Promise<number> {
    const path = join(this.dir, 'pid');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (existsSync(path)) return Number(readFileSync(path, 'utf8'));
      if (Date.now() > deadline) throw new Error(`the CLI did not start in the terminal within ${timeoutMs}ms:\n${this.screen()}`);
      await sleep(25);
    }
  }

  ended(): Ended | undefined {
    const path = join(this.dir, 'exit.json');
    return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Ended) : undefined;
  }

  /** Waits for the CLI to end; throws with the screen after the deadline. */
  /** `at`: when the end was seen (before waiting for the screen to settle), for timing checks. */
  async exit(timeoutMs = 60_000): Promise<Ended & { ms: number; at: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const e = this.ended();
      if (e) {
        const at = Date.now();
        await this.settle();
        return { ...e, ms: at - this.startedAt, at };
      }
      if (Date.now() > deadline) throw new Error(`the CLI did not exit within ${timeoutMs}ms:\n${this.screen()}`);
      await sleep(50);
    }
  }

  /**
   * After the exit, waits until tmux has drawn (and pipe-pane logged) every byte: on a loaded
   * machine tmux reads the pty later than the process ends. tmux's dead-pane notice comes after
   * the pty's end of file; without it (tmux can be slow to reap), a screen and log that stopped
   * changing will do.
   */
  private async settle(): Promise<void> {
    const deadline = Date.now() + 5_000;
    let last = '';
    let since = Date.now();
    while (Date.now() < deadline) {
      const screen = this.screen();
      const now = `${screen}\u0000${this.raw().length}`;
      if (now !== last) {
        last = now;
        since = Date.now();
      } else if (Date.now() - since >= (/Pane is dead/.test(screen) ? 150 : 500)) return;
      await sleep(50);
    }
  }

  /** Kills the CLI if still running, the session, and removes its files (afterEach). */
  close(): void {
    // A CLI that never ended (a hang under test) must not outlive its test: it once grew to 3 GB.
    const pidFile = join(this.dir, 'pid');
    if (!this.ended() && existsSync(pidFile)) {
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    spawnSync('tmux', ['-L', SOCKET, 'kill-session', '-t', this.name], { stdio: 'ignore' });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** What the program printed, without the tmux "Pane is dead" footer. */
export function programText(screen: string): string {
  return screen.replace(/\n?Pane is dead.*$/s, '').trimEnd();
}
