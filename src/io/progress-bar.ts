// Progress of a run over many tenants: on a terminal, a bar (cli-progress) with done/total,
// failures, pending and the ETA; otherwise (a pipe, a file, CI, --quiet aside) one line per tenant
// on stderr, so logs show what happened to each.
import type { Output } from './output.js';
import { spinnerEnabled } from './streams.js';

export interface TenantProgress {
  tenant: string;
  status: string;
  detail?: string | undefined;
  done: number;
  total: number;
  failed: number;
  pending: number;
}

export interface ProgressReporter {
  start(total: number): void;
  update(e: TenantProgress): void;
  stop(): void;
}

export async function progressReporter(io: Output, label: string): Promise<ProgressReporter> {
  if (!spinnerEnabled(io.streams, io.opts.quiet, io.opts.noColor)) {
    const c = io.err;
    const colour = (s: string) =>
      s === 'failed' ? c.red(s) : s === 'pending' ? c.yellow(s) : s === 'unchanged' ? c.dim(s) : s === 'deleted' ? c.red(s) : c.green(s);
    return {
      start: () => undefined,
      update: (e) =>
        io.info(
          `${label}: [${e.done}/${e.total}] tenant ${e.tenant} ${colour(e.status)}${e.detail && (e.status === 'failed' || e.status === 'pending') ? `: ${e.detail}` : ''}`,
        ),
      stop: () => undefined,
    };
  }
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar(
    {
      stream: io.streams.stderr as NodeJS.WritableStream,
      format: `${label} [{bar}] {value}/{total} | {failed} failed | {pending} pending | ETA {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 20,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const start = (total: number) => {
    bar.start(total, 0, { failed: 0, pending: 0 });
    started = true;
  };
  return {
    start,
    update(e) {
      if (!started) start(e.total);
      bar.update(e.done, { failed: e.failed, pending: e.pending });
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}
