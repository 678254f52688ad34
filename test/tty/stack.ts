// A bootstrapped, initialised sandbox stack with consistency lag for the terminal tests; the CLI
// attaches to it with `--sandbox <stateDir>`.
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { sleep } from './terminal.js';

/** The lag the brief asks for: a wait for data takes ~3-4 s, long enough to interrupt. */
export const LAG = { iam: 1000, cognito: 2000, dynamodb: 3000 };

export async function startStack(stack: string, lag = LAG): Promise<TestSandbox> {
  const sb = await startTestSandbox({ stack, mapping: 'token', granularity: 'tenant', lag });
  const init = await runCli(['--sandbox', sb.stateDir, 'init', '--json'], { timeoutMs: 60_000 });
  if (init.code !== 0) throw new Error(`init failed (${init.code}): ${init.stderr}`);
  // IAM shows the new boundary to tenant create only after its lag.
  await sleep(lag.iam + 300);
  return sb;
}

export function cliOn(sb: TestSandbox, args: string[], env?: Record<string, string | undefined>): Promise<CliResult> {
  return runCli(['--sandbox', sb.stateDir, ...args], { timeoutMs: 60_000, env });
}
