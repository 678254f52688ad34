// The commander program: global options, command registration, and the single place
// where errors become exit codes and the JSON error document.
import { Command, CommanderError, Help, Option } from 'commander';
import { createDeps, type GlobalOptions } from './deps.js';
import { EXIT_CODES, InterruptedError, PendingError, UsageError } from './errors.js';
import { toIsoctlError } from './error-mapping.js';
import { Output } from './io/output.js';
import { terminalPrompter } from './io/prompt.js';
import { processStreams, type IOStreams } from './io/streams.js';
import type { CommandRunner } from './commands/runner.js';
import { registerConfigCommands } from './commands/config/validate.js';
import { registerPolicyCommands } from './commands/policy/index.js';
import { registerWhoamiCommand } from './commands/whoami.js';
import { registerInitCommand } from './commands/init.js';
import { registerTenantCommands } from './commands/tenant/index.js';
import { registerUserCommands } from './commands/user.js';
import { registerSandboxCommands } from './commands/sandbox/index.js';
import { registerExplainCommand } from './commands/explain.js';
import { registerGcCommand } from './commands/gc.js';
import { registerTeardownCommand } from './commands/teardown.js';
import { registerDoctorCommand } from './commands/doctor.js';
import { registerApplyCommand } from './commands/apply.js';
import { jsonHelp, resolveHelpCommand } from './commands/help.js';
import { withInvocationHints } from './commands/invocation-hints.js';
import { registerCompletionCommand } from './commands/completion.js';
import pkg from '../package.json' with { type: 'json' };

const VERSION: string = pkg.version;

const EXIT_HELP = `
Examples:
  isoctl sandbox serve --lag iam=1s,cognito=2s,dynamodb=3s   # terminal 1: a local AWS with lag
  isoctl --sandbox sandbox bootstrap                          # terminal 2: pools, table, isoctl.json
  isoctl --sandbox init                                       # boundary, lock table, role mapping
  isoctl --sandbox tenant create acme --wait data             # done when acme's data is reachable
  isoctl tenant create acme --json                            # on AWS (./isoctl.json); 75: run again

Exit codes:
  0    done
  1    failed
  2    usage, config or validation error (nothing changed)
  3    not found
  4    refused for safety or a limit (not owned by the stack, 25 rules, quota, lock held)
  75   changes made but not yet visible everywhere: retry after retryAfterSeconds
  130  interrupted

Environment:
  ISOCTL_CONFIG      config file (default ./isoctl.json)
  ISOCTL_STACK       stack name (overrides the config's "stack")
  AWS_ENDPOINT_URL   endpoint for every AWS service (e.g. a local sandbox or moto)
  AWS_PROFILE, AWS_REGION and the other AWS SDK variables apply as usual
  NO_COLOR           disable colour and spinners; CI disables spinners

With --json, stdout holds exactly one JSON document; errors are {"error":{"code","message","retryable"}}.`;

export function buildProgram(runner: CommandRunner): Command {
  const program = new Command('isoctl');
  program
    .description('Create, list, verify and delete tenants with data-layer isolation on AWS')
    .version(VERSION, '-V, --version', 'print the version')
    .addOption(new Option('--config <file>', 'config file').env('ISOCTL_CONFIG'))
    .addOption(new Option('--stack <name>', 'stack name').env('ISOCTL_STACK'))
    .option('--region <region>', "AWS region (default: the config's region)")
    .option('--profile <name>', 'AWS shared-config profile')
    .addOption(new Option('--endpoint-url <url>', 'endpoint for every AWS service').env('AWS_ENDPOINT_URL'))
    .option('--sandbox [dir]', 'use the embedded local AWS sandbox, state kept in dir (default .isoctl/sandbox)')
    .option('--json', 'print one JSON document on stdout', false)
    .option('-q, --quiet', 'print only results and errors', false)
    .option('--no-color', 'disable colour')
    .option('--no-input', 'never prompt; fail when input would be needed')
    .option('-y, --yes', 'answer yes to confirmations', false)
    .option('-v, --verbose', 'one line per AWS call on stderr', false)
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXIT_HELP)
    // Set before the commands are registered: subcommands inherit it. Every command's help lists
    // the global options (--json, --yes ... apply everywhere); "default: false" of a flag is noise.
    .configureHelp({
      showGlobalOptions: true,
      optionDescription(this: Help, option: Option): string {
        return Help.prototype.optionDescription.call(this, option).replace(/ \(default: false\)$/, '');
      },
    });
  registerConfigCommands(program, runner);
  registerPolicyCommands(program, runner);
  registerWhoamiCommand(program, runner);
  registerInitCommand(program, runner);
  registerTenantCommands(program, runner);
  registerUserCommands(program, runner);
  registerApplyCommand(program, runner);
  registerSandboxCommands(program, runner);
  registerExplainCommand(program, runner);
  registerGcCommand(program, runner);
  registerTeardownCommand(program, runner);
  registerDoctorCommand(program, runner);
  registerCompletionCommand(program, runner);
  return program;
}

const DEFAULT_SANDBOX_DIR = '.isoctl/sandbox';

/**
 * `--sandbox [dir]` takes the next word as its dir, so `isoctl --sandbox tenant list` read "tenant"
 * as the dir and failed with "unknown command 'list'". A command name right after a bare
 * `--sandbox` is the command (a dir of that name: `--sandbox ./tenant` or `--sandbox=tenant`).
 */
export function sandboxBeforeCommand(argv: string[], commandNames: ReadonlySet<string>): string[] {
  const out = [...argv];
  for (let i = 0; i < out.length - 1; i++) {
    if (out[i] === '--') break;
    if (out[i] === '--sandbox' && commandNames.has(out[i + 1]!)) out[i] = `--sandbox=${DEFAULT_SANDBOX_DIR}`;
  }
  return out;
}

export function globalOptions(cmd: Command, env: NodeJS.ProcessEnv): GlobalOptions {
  const o = cmd.optsWithGlobals() as Record<string, unknown>;
  const sandboxOpt = o.sandbox;
  const sandbox = sandboxOpt === undefined ? undefined : sandboxOpt === true ? DEFAULT_SANDBOX_DIR : String(sandboxOpt);
  const explicitConfig = o.config as string | undefined;
  const config = explicitConfig ?? (sandbox !== undefined ? `${sandbox}/isoctl.json` : './isoctl.json');
  return {
    config,
    configExplicit: explicitConfig !== undefined,
    stack: o.stack as string | undefined,
    region: o.region as string | undefined,
    profile: (o.profile as string | undefined) ?? undefined,
    endpointUrl: (o.endpointUrl as string | undefined) || undefined,
    sandbox,
    json: o.json === true,
    quiet: o.quiet === true,
    color: o.color !== false && !(env.NO_COLOR !== undefined && env.NO_COLOR !== ''),
    input: o.input !== false,
    yes: o.yes === true,
    verbose: o.verbose === true,
  };
}

export async function main(argv: string[], streams: IOStreams = processStreams()): Promise<number> {
  const controller = new AbortController();
  let exitCode = 0;
  let profile: string | undefined;
  let output: Output | undefined;
  const wantsJson = argv.includes('--json');

  // A forced exit still says what happened, and with --json still leaves one document on stdout.
  const forceExit = (why: string): never => {
    reportError(
      new InterruptedError(`interrupted: ${why}; exited without finishing cleanly, run the same command again to converge`),
      output ?? new Output(streams, { json: wantsJson, quiet: false, verbose: false, noColor: true }),
      true,
    );
    process.exit(EXIT_CODES.interrupted);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) forceExit(`${signal} received again`);
    streams.stderr.write(`\nisoctl: ${signal} received, stopping (press Ctrl-C again to force)\n`);
    controller.abort(new InterruptedError());
    setTimeout(() => forceExit('still stopping after 5 s'), 5_000).unref();
  };
  // `on`, not `once`: ora's signal-exit kills the process with the signal as soon as it is the
  // only listener left, which skipped the clean stop (exit 143 on SIGTERM, no message, an
  // in-process sandbox not saved). The handler itself turns a second signal into a forced exit.
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const runner: CommandRunner = {
    async run(cmd, body) {
      const globals = globalOptions(cmd, streams.env);
      profile = globals.profile ?? streams.env.AWS_PROFILE;
      output = new Output(streams, { json: globals.json, quiet: globals.quiet, verbose: globals.verbose, noColor: !globals.color });
      const deps = createDeps({
        io: output,
        prompter: terminalPrompter(streams, { yes: globals.yes, noInput: !globals.input, signal: controller.signal }),
        globals,
        signal: controller.signal,
      });
      try {
        await body(deps);
      } catch (err) {
        throw withInvocationHints(err, globals);
      } finally {
        await deps.close();
      }
    },
  };

  const program = buildProgram(runner);
  program.exitOverride();
  program.configureOutput({
    writeOut: (s) => streams.stdout.write(s),
    writeErr: (s) => streams.stderr.write(s),
    outputError: (s, write) => write(s),
  });
  for (const sub of allCommands(program)) sub.exitOverride();
  if (wantsJson) {
    // --json holds for --help and --version too: one document on stdout.
    jsonHelp([program, ...allCommands(program)]);
    (program as unknown as import('node:events').EventEmitter).prependListener('option:version', () => {
      streams.stdout.write(`${JSON.stringify({ version: VERSION })}\n`);
      program.configureOutput({ ...program.configureOutput(), writeOut: () => undefined });
    });
  }

  try {
    const commandNames = new Set(['help', ...program.commands.flatMap((c) => [c.name(), ...c.aliases()])]);
    await program.parseAsync(resolveHelpCommand(sandboxBeforeCommand(argv, commandNames), program), { from: 'user' });
  } catch (err) {
    exitCode = reportError(err, output ?? new Output(streams, { json: wantsJson, quiet: false, verbose: false, noColor: true }), controller.signal.aborted, {
      profile,
    });
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  return exitCode;
}

function allCommands(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => [c, ...allCommands(c)]);
}

/** The one mapping from errors to exit codes and the JSON error document. */
export function reportError(err: unknown, io: Output, interrupted: boolean, context: { profile?: string | undefined } = {}): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
    // A group called without its subcommand prints help as an error: that is a usage error too
    // (and with --json still one document on stdout; the help went to stderr).
    if (err.code === 'commander.help') {
      if (err.exitCode === 0) return 0;
      if (io.json && !io.hasResult) writeJsonError(io, 'usage', 'a command is required; the commands are listed on stderr (or run with --help)', false);
      return EXIT_CODES.usage;
    }
    // commander already printed the message and usage hint on stderr.
    if (io.json && !io.hasResult) writeJsonError(io, 'usage', err.message.replace(/^error: /, ''), false);
    return EXIT_CODES.usage;
  }
  const error = toIsoctlError(err, interrupted, context);
  if (error.code === 'internal' && io.opts.verbose && (err as Error | undefined)?.stack) io.debug((err as Error).stack!);
  io.error(error.message);
  if (error instanceof PendingError) io.info(`Changes are still propagating; run the same command again in ${error.retryAfterSeconds}s.`);
  if (io.json && !io.hasResult) {
    const extra: Record<string, unknown> = { ...(error.details ?? {}) };
    if (error instanceof PendingError) extra.retryAfterSeconds = error.retryAfterSeconds;
    writeJsonError(io, error.code, error.message, error.retryable, extra);
  }
  return error.exitCode;
}

function writeJsonError(io: Output, code: string, message: string, retryable: boolean, extra: Record<string, unknown> = {}): void {
  io.result({ error: { code, message, retryable, ...extra } }, () => '');
}

export { UsageError };
