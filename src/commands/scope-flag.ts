// `--scope`, the same on every command that takes it: one name or a comma list per flag,
// repeatable, never variadic (a variadic `--scope <names...>` swallowed the tenant id that
// followed it: `policy render --scope read acme`).
import { UsageError } from '../errors.js';

/** commander's argument parser for a repeatable `--scope <names>`. */
export function collectScope(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * The scope names given, or undefined when the flag was not given (every scope, or the ones a
 * tenant has). A flag given with nothing in it (`--scope ''`) is a mistake, not "all scopes".
 */
export function parseScopeFlag(values: string[] | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  const names = values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  if (names.length === 0) throw new UsageError('--scope needs at least one scope name (leave the flag out for the default)', 'bad_flag');
  return names;
}
