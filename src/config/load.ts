// Reads and validates isoctl.json. Every problem names the field path, what was expected
// and what was found; all of them are UsageErrors (exit 2, nothing changed).
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { stackConfigSchema, type StackConfig } from './schema.js';
import { locateJsonError } from './json-error.js';
import { didYouMean } from './did-you-mean.js';

export const MAX_CONFIG_BYTES = 1024 * 1024;

export interface ConfigOverrides {
  stack?: string | undefined;
  region?: string | undefined;
}

export interface ConfigHints {
  /** The --sandbox state dir the user named: a missing config there is made by `sandbox bootstrap`. */
  sandbox?: string | undefined;
}

export async function loadConfigFile(path: string, overrides: ConfigOverrides = {}, hints: ConfigHints = {}): Promise<StackConfig> {
  let text: string;
  try {
    const buf = await readFile(path);
    if (buf.length > MAX_CONFIG_BYTES) throw new UsageError(`config file ${path} is ${buf.length} bytes; the limit is ${MAX_CONFIG_BYTES}`, 'config_too_large');
    text = buf.toString('utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && hints.sandbox !== undefined)
      throw new UsageError(
        `config file ${path} not found; the sandbox writes it: run \`isoctl --sandbox ${hints.sandbox} sandbox bootstrap\` (then \`isoctl --sandbox ${hints.sandbox} init\`), or pass --config <file>`,
        'config_not_found',
      );
    if (code === 'ENOENT')
      throw new UsageError(
        `config file ${path} not found; pass --config <file>, set ISOCTL_CONFIG, or create isoctl.json (see README "Config reference")`,
        'config_not_found',
      );
    if (code === 'EISDIR') throw new UsageError(`config path ${path} is a directory, not a file`, 'config_invalid');
    throw new UsageError(`cannot read config file ${path}: ${(err as Error).message}`, 'config_unreadable');
  }
  return parseConfigText(text, path, overrides);
}

export function parseConfigText(text: string, source: string, overrides: ConfigOverrides = {}): StackConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    const loc = locateJsonError(text.replace(/^\uFEFF/, ''));
    // V8's own message quotes the text around the error; the line and column say more in less.
    const what = loc ? ` at line ${loc.line}, column ${loc.column}: unexpected ${loc.found}` : `: ${(err as Error).message}`;
    throw new UsageError(`config file ${source} is not valid JSON${what}`, 'config_invalid_json', loc ? { line: loc.line, column: loc.column } : undefined);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new UsageError(`config file ${source}: expected a JSON object at the top level, found ${describe(raw)}`, 'config_invalid');
  const merged: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  if (overrides.stack !== undefined) merged.stack = overrides.stack;
  if (overrides.region !== undefined) merged.region = overrides.region;
  return validateConfig(merged, source);
}

export function validateConfig(raw: unknown, source: string): StackConfig {
  const parsed = stackConfigSchema.safeParse(raw, { reportInput: true });
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => `  - ${formatIssue(issue)}`);
  throw new UsageError(`config file ${source} is invalid:\n${lines.join('\n')}`, 'config_invalid', {
    issues: parsed.error.issues.map((i) => ({ path: pathOf(i.path), message: formatIssue(i) })),
  });
}

/** The field names the schema allows at `path` (for "did you mean"): object shapes, through arrays, records, defaults and unions. */
export function knownKeysAt(path: readonly PropertyKey[]): string[] {
  type Def = {
    type: string;
    shape?: Record<string, { def: Def }>;
    element?: { def: Def };
    innerType?: { def: Def };
    in?: { def: Def };
    valueType?: { def: Def };
    options?: Array<{ def: Def }>;
  };
  let defs: Def[] = [(stackConfigSchema as unknown as { def: Def }).def];
  const unwrap = (d: Def): Def[] => {
    if (d.innerType) return unwrap(d.innerType.def);
    if (d.type === 'pipe' && d.in) return unwrap(d.in.def);
    if (d.type === 'union' && d.options) return d.options.flatMap((o) => unwrap(o.def));
    return [d];
  };
  for (const key of path) {
    defs = defs.flatMap(unwrap).flatMap((d): Def[] => {
      if (d.type === 'object' && typeof key === 'string' && d.shape?.[key]) return [d.shape[key].def];
      if (d.type === 'array' && typeof key === 'number' && d.element) return [d.element.def];
      if (d.type === 'record' && d.valueType) return [d.valueType.def];
      return [];
    });
  }
  return defs.flatMap(unwrap).flatMap((d) => (d.type === 'object' && d.shape ? Object.keys(d.shape) : []));
}

function pathOf(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

function formatIssue(issue: z.core.$ZodIssue): string {
  const where = pathOf(issue.path);
  const input = (issue as { input?: unknown }).input;
  const found = `found ${describe(input)}`;
  switch (issue.code) {
    case 'invalid_type':
      return input === undefined ? `${where}: required field is missing (expected ${issue.expected})` : `${where}: expected ${issue.expected}, ${found}`;
    case 'invalid_value':
      return `${where}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, ${found}`;
    case 'unrecognized_keys': {
      const known = knownKeysAt(issue.path);
      const named = issue.keys.map((k) => `${JSON.stringify(k)}${didYouMean(k, known)}`);
      const suggested = issue.keys.some((k) => didYouMean(k, known) !== '');
      return `${where}: unknown field${issue.keys.length > 1 ? 's' : ''} ${named.join(', ')}${suggested ? '' : ' (check the spelling; see README "Config reference")'}`;
    }
    case 'invalid_format':
      return `${where}: expected ${issue.message.replace(/^Invalid string: /, '')}, ${found}`;
    case 'invalid_key': {
      // A record key (a scope name) that fails its rule: say the rule, not zod's "Invalid key in record".
      const rule = issue.issues[0]?.message;
      return `${where}: the key ${describe(input)} is not valid: expected ${rule ?? 'a valid key'}`;
    }
    case 'too_small':
    case 'too_big':
      return `${where}: ${issue.message}, ${found}`;
    default:
      return `${where}: ${issue.message.replace(/^Invalid input: /, 'expected ')}${input !== undefined ? `, ${found}` : ''}`;
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  return `${typeof v} ${String(v)}`;
}
