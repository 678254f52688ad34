// Results go to stdout, everything else to stderr. With --json, stdout holds exactly one
// JSON document per run (errors included); with --quiet, stderr carries only errors.
import { Chalk, type ChalkInstance } from 'chalk';
import { colorEnabled, spinnerEnabled, type IOStreams } from './streams.js';
import { startSpinner, type Spinner } from './spinner.js';

export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  verbose: boolean;
  noColor: boolean;
}

export class Output {
  readonly streams: IOStreams;
  readonly opts: OutputOptions;
  /** Colours for stdout and stderr, each decided for its own stream. */
  readonly out: ChalkInstance;
  readonly err: ChalkInstance;
  private resultWritten = false;

  constructor(streams: IOStreams, opts: OutputOptions) {
    this.streams = streams;
    this.opts = opts;
    this.out = new Chalk({ level: colorEnabled(streams.stdout, streams.env, opts.noColor) ? 1 : 0 });
    this.err = new Chalk({ level: colorEnabled(streams.stderr, streams.env, opts.noColor) ? 1 : 0 });
  }

  get json(): boolean {
    return this.opts.json;
  }

  /** The command's result: a JSON document with --json, else the human rendering. */
  result(data: unknown, human: (c: ChalkInstance) => string): void {
    if (this.opts.json) {
      if (this.resultWritten) throw new Error('internal: a second JSON document was written to stdout');
      this.resultWritten = true;
      this.streams.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
      return;
    }
    const text = human(this.out);
    if (text.length > 0) this.streams.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Whether a result document was already written (the error path then must not add one). */
  get hasResult(): boolean {
    return this.resultWritten;
  }

  /** Progress and notes for people: stderr, silenced by --quiet. */
  info(message: string): void {
    if (!this.opts.quiet) this.streams.stderr.write(`${message}\n`);
  }

  success(message: string): void {
    this.info(`${this.err.green('✓')} ${message}`);
  }

  warn(message: string): void {
    if (!this.opts.quiet) this.streams.stderr.write(`${this.err.yellow('warning:')} ${message}\n`);
  }

  /** Errors are never silenced. */
  error(message: string): void {
    this.streams.stderr.write(`${this.err.red('error:')} ${message}\n`);
  }

  /** One line per AWS call and similar diagnostics, only with --verbose. */
  debug(message: string): void {
    if (this.opts.verbose) this.streams.stderr.write(`${this.err.dim(message)}\n`);
  }

  /** A spinner on a terminal stderr (not in CI, not with --quiet); otherwise plain progress lines. */
  spinner(text: string): Spinner {
    return startSpinner(text, {
      enabled: spinnerEnabled(this.streams, this.opts.quiet, this.opts.noColor),
      stream: this.streams.stderr,
      fallback: (line) => this.info(line),
      color: colorEnabled(this.streams.stderr, this.streams.env, this.opts.noColor),
    });
  }
}

/** Renders rows as an aligned plain-text table (headers upper-cased). */
export function formatTable(headers: string[], rows: string[][], c?: ChalkInstance): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const pad = (s: string, i: number) => s + ' '.repeat(Math.max(0, (widths[i] ?? 0) - visibleLength(s)));
  const head = headers
    .map((h, i) => pad(h.toUpperCase(), i))
    .join('  ')
    .trimEnd();
  const lines = [
    c ? c.bold(head) : head,
    ...rows.map((r) =>
      r
        .map((cell, i) => pad(cell, i))
        .join('  ')
        .trimEnd(),
    ),
  ];
  return lines.join('\n');
}

function visibleLength(s: string): number {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;]*m/g, '').length;
}
