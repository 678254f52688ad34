// Hints that name a command must name it the way the user runs isoctl: the "run `isoctl init`
// first" of a sandbox user who typed `--sandbox ./sb` is `isoctl --sandbox ./sb init`.
import type { GlobalOptions } from '../deps.js';
import { IsoctlError, NotFoundError } from '../errors.js';

const DEFAULT_SANDBOX_DIR = '.isoctl/sandbox';

/** `isoctl` with the global options that select the stack, as the user gave them. */
export function invocationPrefix(g: Pick<GlobalOptions, 'sandbox' | 'config' | 'configExplicit' | 'stack'>): string {
  const parts = ['isoctl'];
  if (g.sandbox !== undefined) parts.push(g.sandbox === DEFAULT_SANDBOX_DIR ? '--sandbox' : `--sandbox ${quote(g.sandbox)}`);
  if (g.configExplicit) parts.push(`--config ${quote(g.config)}`);
  if (g.stack !== undefined) parts.push(`--stack ${quote(g.stack)}`);
  return parts.join(' ');
}

function quote(s: string): string {
  return /^[\w./:@-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * A stack that was never initialised is something not found (exit 3), not a failure (exit 1):
 * nothing was changed and the fix is one command, named with the user's own flags.
 */
export function withInvocationHints(err: unknown, g: Parameters<typeof invocationPrefix>[0]): unknown {
  if (!(err instanceof IsoctlError) || err.code !== 'not_initialized') return err;
  const message = err.message.replace(/`isoctl init`/g, `\`${invocationPrefix(g)} init\``);
  return new NotFoundError(message, err.code, err.details);
}
