// `isoctl config from-terraform [dir | -]`: write or update isoctl.json from `terraform output -json`
// (run in dir, default the current directory; `-` reads that JSON from stdin). The result is
// validated like any config before anything is written; an unknown or missing output is exit 2.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import type { Deps } from '../../deps.js';
import { UsageError } from '../../errors.js';
import { fieldsFromTerraformOutput, mergeTerraformFields } from '../../config/from-terraform.js';
import type { StackConfig } from '../../config/schema.js';

const MAX_OUTPUT_BYTES = 1024 * 1024;

export interface FromTerraformOptions {
  /** Terraform working directory, or `-` for the JSON on stdin. */
  source: string;
  /** The config file to write or update. */
  out: string;
  ignoreUnknown: boolean;
  dryRun: boolean;
  /** The terraform binary (TERRAFORM or `terraform` on PATH). */
  terraform: string;
}

export interface FromTerraformResult {
  path: string;
  status: 'created' | 'updated' | 'unchanged';
  written: boolean;
  changed: string[];
  unchanged: string[];
  ignoredOutputs: string[];
  sources: Record<string, string>;
  config: StackConfig;
}

async function readAll(stream: Readable, what: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of stream) {
    const b = Buffer.isBuffer(c) ? c : Buffer.from(String(c));
    size += b.length;
    if (size > MAX_OUTPUT_BYTES) throw new UsageError(`${what} is over ${MAX_OUTPUT_BYTES} bytes`, 'terraform_output_too_large');
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function terraformOutput(bin: string, dir: string, signal: AbortSignal): Promise<string> {
  if (!existsSync(dir)) return Promise.reject(new UsageError(`terraform directory ${dir} does not exist`, 'terraform_dir_missing'));
  return new Promise((resolveOut, reject) => {
    const child = spawn(bin, ['output', '-json', '-no-color'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      signal,
      env: { ...process.env, TF_IN_AUTOMATION: '1' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT')
        reject(
          new UsageError(
            `${bin} not found on PATH: install Terraform, set TERRAFORM to its path, or run \`terraform output -json | isoctl config from-terraform -\``,
            'terraform_not_found',
          ),
        );
      else reject(e);
    });
    child.on('close', (code) => {
      if (code === 0) resolveOut(out);
      else
        reject(new UsageError(`\`${bin} output -json\` in ${dir} exited ${code}: ${err.replace(/\s+/g, ' ').trim().slice(0, 600)}`, 'terraform_output_failed'));
    });
  });
}

export async function runFromTerraform(opts: FromTerraformOptions, deps: Deps): Promise<FromTerraformResult> {
  const stdin = opts.source === '-';
  const source = stdin ? '`terraform output -json` on stdin' : `the outputs of ${resolve(opts.source)}`;
  const text = stdin ? await readAll(deps.io.streams.stdin, 'standard input') : await terraformOutput(opts.terraform, resolve(opts.source), deps.signal);
  const tf = fieldsFromTerraformOutput(text, source, { ignoreUnknown: opts.ignoreUnknown });
  const path = resolve(opts.out);
  let existing: Record<string, unknown> | undefined;
  if (existsSync(path)) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8').replace(/^\uFEFF/, ''));
    } catch (err) {
      throw new UsageError(`${path} exists but is not valid JSON (${(err as Error).message}); fix or remove it, nothing was written`, 'config_invalid_json');
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
      throw new UsageError(`${path} exists but is not a JSON object; fix or remove it, nothing was written`, 'config_invalid');
    existing = raw as Record<string, unknown>;
  }
  const merged = mergeTerraformFields(existing, tf, path, source);
  const status = !existing ? 'created' : merged.changed.length > 0 ? 'updated' : 'unchanged';
  const written = status !== 'unchanged' && !opts.dryRun;
  if (written) {
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(merged.raw, null, 2)}\n`);
    renameSync(tmp, path);
  }
  return {
    path,
    status,
    written,
    changed: merged.changed,
    unchanged: merged.unchanged,
    ignoredOutputs: tf.ignored,
    sources: tf.sources,
    config: merged.config,
  };
}
