// The tenants file of `isoctl apply -f <file>`: `{ "tenants": [ { "id", "scopes"? } ] }` as JSON or
// YAML, validated like the config (field path, expected, found). Every problem is a UsageError
// (exit 2) raised before any AWS call: ids, duplicates, and scope names the config does not have.
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Readable } from 'node:stream';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import type { StackConfig } from '../../config/schema.js';
import { tenantIdProblem } from '../../config/tenant-id.js';
import { locateJsonError } from '../../config/json-error.js';
import { didYouMean } from '../../config/did-you-mean.js';
import { UsageError } from '../../errors.js';

export const MAX_SPEC_BYTES = 16 * 1024 * 1024;

export interface TenantSpec {
  id: string;
  /** Scope names; undefined: a new tenant gets every scope, an existing one keeps what it has. */
  scopes?: string[] | undefined;
}

export interface TenantsSpec {
  tenants: TenantSpec[];
}

const tenantSchema = z.strictObject({
  id: z.string(),
  scopes: z.array(z.string().min(1)).min(1).optional(),
});
const specSchema = z.strictObject({
  $schema: z.string().optional(),
  tenants: z.array(tenantSchema),
});
const KNOWN_KEYS: Record<string, string[]> = { top: ['tenants', '$schema'], tenant: ['id', 'scopes'] };

export type SpecFormat = 'json' | 'yaml';

/** The `source` of a spec made from command-line ids (the bulk forms of `tenant create|delete`). */
export const ARGUMENTS = 'arguments';

/** A spec from ids given as arguments, checked like a file (ids, duplicates). */
export function specFromIds(ids: string[], scopes?: string[]): TenantsSpec {
  return validateSpec({ tenants: ids.map((id) => (scopes ? { id, scopes } : { id })) }, ARGUMENTS);
}

export function formatOf(source: string): SpecFormat {
  const ext = extname(source).toLowerCase();
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  if (ext === '.json') return 'json';
  throw new UsageError(
    `tenants file ${source}: expected a .json, .yaml or .yml file (or - for stdin), found ${JSON.stringify(ext || 'no extension')}`,
    'spec_invalid',
  );
}

/** Reads `-f <file>`; `-` reads stdin (JSON or YAML, told apart by the first character). */
export async function readSpecFile(path: string, stdin?: Readable): Promise<{ text: string; source: string; format: SpecFormat }> {
  if (path === '-') {
    if (!stdin) throw new UsageError('-f -: no standard input to read', 'spec_unreadable');
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of stdin) {
      const b = Buffer.isBuffer(c) ? c : Buffer.from(String(c));
      size += b.length;
      if (size > MAX_SPEC_BYTES) throw new UsageError(`tenants file on stdin is over ${MAX_SPEC_BYTES} bytes`, 'spec_too_large');
      chunks.push(b);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    const first = text.replace(/^\uFEFF/, '').trimStart()[0];
    return { text, source: '(stdin)', format: first === '{' || first === '[' ? 'json' : 'yaml' };
  }
  const format = formatOf(path);
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`tenants file ${path} not found`, 'spec_not_found');
    if (code === 'EISDIR') throw new UsageError(`tenants file ${path} is a directory, not a file`, 'spec_invalid');
    throw new UsageError(`cannot read tenants file ${path}: ${(err as Error).message}`, 'spec_unreadable');
  }
  if (buf.length > MAX_SPEC_BYTES) throw new UsageError(`tenants file ${path} is ${buf.length} bytes; the limit is ${MAX_SPEC_BYTES}`, 'spec_too_large');
  return { text: buf.toString('utf8'), source: path, format };
}

export function parseSpecText(text: string, source: string, format: SpecFormat): TenantsSpec {
  const clean = text.replace(/^\uFEFF/, '');
  if (clean.trim() === '')
    throw new UsageError(`tenants file ${source} is empty; expected {"tenants": [{"id": "acme"}, ...]} (an empty list: {"tenants": []})`, 'spec_invalid');
  let raw: unknown;
  if (format === 'json') {
    try {
      raw = JSON.parse(clean);
    } catch (err) {
      const loc = locateJsonError(clean);
      const what = loc ? ` at line ${loc.line}, column ${loc.column}: unexpected ${loc.found}` : `: ${(err as Error).message}`;
      throw new UsageError(`tenants file ${source} is not valid JSON${what}`, 'spec_invalid_json', loc ? { line: loc.line, column: loc.column } : undefined);
    }
  } else {
    // YAML 1.2 core schema: "no", "on", "0123" stay strings; duplicate keys and anchors bombs are errors.
    const doc = parseDocument(clean, { prettyErrors: true, uniqueKeys: true });
    const first = doc.errors[0];
    if (first) {
      const pos = first.linePos?.[0];
      throw new UsageError(
        `tenants file ${source} is not valid YAML${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}: ${first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
        'spec_invalid_yaml',
        pos ? { line: pos.line, column: pos.col } : undefined,
      );
    }
    raw = doc.toJS({ maxAliasCount: 100 });
  }
  return validateSpec(raw, source);
}

export function validateSpec(raw: unknown, source: string): TenantsSpec {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new UsageError(
      `tenants file ${source}: expected an object like {"tenants": [{"id": "acme"}]} at the top level, found ${describe(raw)}`,
      'spec_invalid',
    );
  const parsed = specSchema.safeParse(raw, { reportInput: true });
  const problems: Array<{ path: string; message: string }> = [];
  if (!parsed.success) for (const i of parsed.error.issues) problems.push({ path: pathOf(i.path), message: formatIssue(i) });
  else {
    const seen = new Map<string, number>();
    parsed.data.tenants.forEach((t, i) => {
      const problem = tenantIdProblem(t.id);
      if (problem !== undefined)
        problems.push({ path: `tenants[${i}].id`, message: `tenants[${i}].id: expected a tenant id (${problem}), found ${describe(t.id)}` });
      const before = seen.get(t.id);
      if (before !== undefined)
        problems.push({
          path: `tenants[${i}].id`,
          message: `tenants[${i}].id: ${JSON.stringify(t.id)} is already listed at tenants[${before}]; each tenant once`,
        });
      else seen.set(t.id, i);
    });
  }
  if (problems.length > 0) throw specError(source, problems);
  const data = (parsed as { data: z.infer<typeof specSchema> }).data;
  return { tenants: data.tenants.map((t) => ({ id: t.id, scopes: t.scopes ? [...new Set(t.scopes)].sort() : undefined })) };
}

/** What only the config can tell: scope names it does not define, ids too long for its stack. Exit 2, before any AWS call. */
export function assertSpecFitsConfig(config: StackConfig, spec: TenantsSpec, source: string): void {
  const known = Object.keys(config.scopes);
  const problems: Array<{ path: string; message: string }> = [];
  spec.tenants.forEach((t, i) => {
    const long = tenantIdProblem(t.id, config.stack);
    if (long !== undefined) problems.push({ path: `tenants[${i}].id`, message: `tenants[${i}].id: ${JSON.stringify(t.id)}: ${long}` });
  });
  spec.tenants.forEach((t, i) =>
    t.scopes?.forEach((s, j) => {
      if (!(s in config.scopes))
        problems.push({
          path: `tenants[${i}].scopes[${j}]`,
          message: `tenants[${i}].scopes: expected one of the config's scopes (${known.join(', ')}), found ${JSON.stringify(s)}${didYouMean(s, known)}`,
        });
    }),
  );
  if (problems.length > 0) throw specError(source, problems);
}

function specError(source: string, problems: Array<{ path: string; message: string }>): UsageError {
  const shown = problems.slice(0, 20).map((p) => `  - ${p.message}`);
  if (problems.length > 20) shown.push(`  - ... and ${problems.length - 20} more`);
  const what = source === ARGUMENTS ? 'the tenant ids are' : `tenants file ${source} is`;
  return new UsageError(`${what} invalid; nothing was changed:\n${shown.join('\n')}`, 'spec_invalid', { issues: problems });
}

function pathOf(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

function formatIssue(issue: z.core.$ZodIssue): string {
  const where = pathOf(issue.path);
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'invalid_type':
      return input === undefined
        ? `${where}: required field is missing (expected ${issue.expected})`
        : `${where}: expected ${issue.expected}, found ${describe(input)}`;
    case 'unrecognized_keys': {
      const known = issue.path.length === 0 ? KNOWN_KEYS.top! : KNOWN_KEYS.tenant!;
      return `${where}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `${JSON.stringify(k)}${didYouMean(k, known)}`).join(', ')} (expected ${known.join(', ')})`;
    }
    case 'too_small':
      return `${where}: ${issue.origin === 'array' ? 'expected at least one scope (leave "scopes" out for the default)' : 'expected a non-empty string'}, found ${describe(input)}`;
    default:
      return `${where}: ${issue.message.replace(/^Invalid input: /, 'expected ')}${input !== undefined ? `, found ${describe(input)}` : ''}`;
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
