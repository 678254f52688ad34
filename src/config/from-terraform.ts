// `terraform output -json` -> isoctl.json fields. Pure: the command runs terraform and writes.
// An output named like a config field (snake_case or camelCase) sets that field; an output
// named `isoctl` (or `isoctl_config`) holding an object sets every field it names. Anything else
// is an error unless ignored: a typo must not leave a field silently unset.
import { UsageError } from '../errors.js';
import { didYouMean } from './did-you-mean.js';
import { knownKeysAt, validateConfig } from './load.js';
import type { StackConfig } from './schema.js';

const FIELDS = knownKeysAt([]).filter((f) => f !== '$schema');
const REQUIRED = ['stack', 'region', 'accountId', 'userPoolId', 'userPoolClientId', 'identityPoolId', 'tables'];
const WHOLE_CONFIG_OUTPUTS = ['isoctl', 'isoctl_config'];

export function snakeCase(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Output name (snake_case or camelCase) -> config field. */
const BY_OUTPUT = new Map<string, string>(
  FIELDS.flatMap(
    (f) =>
      [
        [f, f],
        [snakeCase(f), f],
      ] as Array<[string, string]>,
  ),
);

export interface TerraformFields {
  /** Config field -> value, in the config's field order. */
  fields: Record<string, unknown>;
  /** Config field -> the output it came from. */
  sources: Record<string, string>;
  ignored: string[];
}

/** Parses the text of `terraform output -json` and maps its outputs to config fields. */
export function fieldsFromTerraformOutput(text: string, source: string, opts: { ignoreUnknown?: boolean } = {}): TerraformFields {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${source} is not the JSON of \`terraform output -json\`: ${(err as Error).message}`, 'terraform_output_invalid');
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new UsageError(`${source} is not the JSON of \`terraform output -json\` (expected an object of outputs)`, 'terraform_output_invalid');
  const outputs = raw as Record<string, unknown>;
  if (Object.keys(outputs).length === 0)
    throw new UsageError(
      `${source} has no outputs: run \`terraform apply\` first (a module such as examples/terraform declares them)`,
      'terraform_output_missing',
    );
  const valueOf = (name: string): unknown => {
    const o = outputs[name];
    if (o === null || typeof o !== 'object' || !('value' in o))
      throw new UsageError(`${source}: output "${name}" has no "value" (is this the JSON of \`terraform output -json\`?)`, 'terraform_output_invalid');
    return (o as { value: unknown }).value;
  };
  const fields: Record<string, unknown> = {};
  const sources: Record<string, string> = {};
  const ignored: string[] = [];
  const unknown: string[] = [];
  const whole = WHOLE_CONFIG_OUTPUTS.filter((n) => n in outputs);
  for (const name of whole) {
    const v = valueOf(name);
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      throw new UsageError(`${source}: output "${name}" must be an object of isoctl.json fields`, 'terraform_output_invalid');
    for (const [k, val] of Object.entries(v)) {
      const field = BY_OUTPUT.get(k);
      if (!field) unknown.push(`${name}.${k}`);
      else setField(field, val, `${name}.${k}`);
    }
  }
  for (const name of Object.keys(outputs).sort()) {
    if (whole.includes(name)) continue;
    const field = BY_OUTPUT.get(name);
    if (field) setField(field, valueOf(name), name);
    else if (whole.length > 0 || opts.ignoreUnknown) ignored.push(name);
    else unknown.push(name);
  }
  if (unknown.length > 0) {
    const hints = unknown.map((u) => {
      return `"${u}"${didYouMean(u.split('.').pop()!, FIELDS.map(snakeCase))}`;
    });
    throw new UsageError(
      `${source}: unknown output${unknown.length > 1 ? 's' : ''} ${hints.join(', ')}: isoctl reads outputs named as isoctl.json's fields (${FIELDS.map(snakeCase).join(', ')}); rename ${unknown.length > 1 ? 'them' : 'it'}, put isoctl's fields in one output named "isoctl", or pass --ignore-unknown`,
      'terraform_output_unknown',
      { unknown },
    );
  }
  return { fields: Object.fromEntries(FIELDS.filter((f) => f in fields).map((f) => [f, fields[f]])), sources, ignored };

  function setField(field: string, value: unknown, from: string): void {
    if (field in fields && JSON.stringify(fields[field]) !== JSON.stringify(value))
      throw new UsageError(`${source}: outputs "${sources[field]}" and "${from}" both set ${field}, to different values`, 'terraform_output_conflict');
    fields[field] = value;
    sources[field] = from;
  }
}

export interface MergedConfig {
  /** The file's new content (fields in the schema's order, unknown keys of the old file kept for validation to report). */
  raw: Record<string, unknown>;
  config: StackConfig;
  changed: string[];
  unchanged: string[];
}

/** Merges the outputs over an existing isoctl.json (or nothing) and validates the result like any config. */
export function mergeTerraformFields(existing: Record<string, unknown> | undefined, tf: TerraformFields, target: string, source: string): MergedConfig {
  const base = existing ?? {};
  const missing = REQUIRED.filter((f) => !(f in tf.fields) && !(f in base));
  if (missing.length > 0)
    throw new UsageError(
      `${source}: missing output${missing.length > 1 ? 's' : ''} ${missing.map((f) => `"${snakeCase(f)}" (isoctl.json "${f}")`).join(', ')}, and ${target} ${existing ? 'does not set them either' : 'does not exist yet'}: add ${missing.length > 1 ? 'them' : 'it'} to the module's outputs (see examples/terraform/outputs.tf)`,
      'terraform_output_missing',
      { missing: missing.map(snakeCase) },
    );
  const raw: Record<string, unknown> = { ...base, ...tf.fields };
  const ordered: Record<string, unknown> = {};
  for (const k of ['$schema', ...FIELDS]) if (k in raw) ordered[k] = raw[k];
  for (const k of Object.keys(raw)) if (!(k in ordered)) ordered[k] = raw[k];
  const config = validateConfig(ordered, `${target} with the outputs of ${source}`);
  const changed = Object.keys(tf.fields).filter((f) => JSON.stringify(base[f]) !== JSON.stringify(tf.fields[f]));
  const unchanged = Object.keys(tf.fields).filter((f) => !changed.includes(f));
  return { raw: ordered, config, changed, unchanged };
}
