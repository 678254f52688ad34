// `isoctl doctor`: check the stack end to end against the config and report each finding with
// its fix. Reads only. Exit 0 healthy (warnings allowed), 1 problems.
import type { Command } from 'commander';
import type { ChalkInstance } from 'chalk';
import type { Deps } from '../deps.js';
import type { DoctorResult } from '../ops/doctor/types.js';
import { FailedError } from '../errors.js';
import { spinnerEnabled } from '../io/streams.js';
import type { CommandRunner } from './runner.js';

export async function runDoctor(deps: Deps): Promise<DoctorResult> {
  const config = await deps.config();
  const { runDoctorChecks } = await import('../ops/doctor/run.js');
  const apis = await deps.apis();
  const spinner = spinnerEnabled(deps.io.streams, deps.io.opts.quiet, deps.io.opts.noColor) ? deps.io.spinner(`checking stack ${config.stack}`) : undefined;
  try {
    return await runDoctorChecks(
      apis,
      apis.scans,
      config,
      { now: () => deps.clock.now(), sleep: (ms, s) => deps.clock.sleep(ms, s), signal: deps.signal },
      apis.target.region,
    );
  } finally {
    spinner?.stop();
  }
}

export function renderDoctor(r: DoctorResult, c: ChalkInstance): string {
  const mark = { ok: c.green('✓'), warning: c.yellow('!'), problem: c.red('✗'), skipped: c.dim('-') };
  const lines = [`stack ${c.bold(r.stack)} (account ${r.accountId}, ${r.region})`];
  for (const f of r.findings) {
    lines.push(`${mark[f.status]} ${f.check.padEnd(15)} ${f.message}`);
    if (f.fix && f.status !== 'ok') {
      if (f.fix.command) lines.push(`  ${' '.repeat(15)} fix: ${c.cyan(f.fix.command)}`);
      lines.push(`  ${' '.repeat(15)} ${c.dim(f.fix.action)}`);
    }
  }
  const summary = `${r.counts.problem} problem(s), ${r.counts.warning} warning(s), ${r.counts.ok} ok${r.counts.skipped ? `, ${r.counts.skipped} skipped` : ''} in ${(r.elapsedMs / 1000).toFixed(1)}s`;
  lines.push(r.healthy ? c.green(`healthy: ${summary}`) : c.red(`not healthy: ${summary}`));
  return lines.join('\n');
}

export function registerDoctorCommand(program: Command, runner: CommandRunner): void {
  program
    .command('doctor')
    .description('check the stack end to end (pools, mapping, boundary, trust, principal tags, quotas, lock table, permissions); exit 1 on problems')
    .action(async (_o: unknown, cmd: Command) =>
      runner.run(cmd, async (deps) => {
        const result = await runDoctor(deps);
        deps.io.result(result, (c) => renderDoctor(result, c));
        if (!result.healthy)
          throw new FailedError(
            `doctor: ${result.counts.problem} problem(s): ${result.findings
              .filter((f) => f.status === 'problem')
              .map((f) => f.check)
              .join(', ')}`,
            'doctor_problems',
          );
      }),
    );
}
