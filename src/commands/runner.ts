// What a command's commander wiring receives: a way to run its body with built Deps.
import type { Command } from 'commander';
import type { Deps } from '../deps.js';

export interface CommandRunner {
  /** Builds Deps from the global options of `cmd` and runs `body`; errors go to src/cli.ts's mapping. */
  run(cmd: Command, body: (deps: Deps) => Promise<void>): Promise<void>;
}

/** Parses a duration like "90", "90s", "2m", "500ms" into milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const factor = unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000;
  return Math.round(n * factor);
}
