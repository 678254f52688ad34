// Help as data: `isoctl --json --help` prints the command's help as one JSON document, and
// `isoctl help <words...>` resolves every word (an unknown one is a usage error, not the full
// help). Both read commander's own command tree, as shell completion does.
import { Help, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { didYouMean } from '../config/did-you-mean.js';

export interface HelpDocument {
  command: string;
  usage: string;
  description: string;
  arguments: Array<{ name: string; description: string; required: boolean; variadic: boolean }>;
  options: Array<{ flags: string; description: string }>;
  globalOptions: Array<{ flags: string; description: string }>;
  commands: Array<{ name: string; description: string }>;
  /** The text help shows after the options: examples, exit codes, environment. */
  notes: string;
}

/** The full name of a command, e.g. "isoctl tenant create". */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

export function helpDocument(cmd: Command, notes = ''): HelpDocument {
  const help = new Help();
  const root = (() => {
    let c = cmd;
    while (c.parent) c = c.parent;
    return c;
  })();
  return {
    command: commandPath(cmd),
    usage: `${commandPath(cmd)} ${cmd.usage()}`.trim(),
    description: cmd.description(),
    arguments: help.visibleArguments(cmd).map((a) => ({ name: a.name(), description: a.description, required: a.required, variadic: a.variadic })),
    options: help.visibleOptions(cmd).map((o) => ({ flags: o.flags, description: help.optionDescription(o) })),
    globalOptions: cmd === root ? [] : help.visibleOptions(root).map((o) => ({ flags: o.flags, description: help.optionDescription(o) })),
    commands: help.visibleCommands(cmd).map((c) => ({ name: c.name(), description: c.description() })),
    notes,
  };
}

/** With --json, --help on any command prints its help document on stdout (help shown for an error stays text on stderr). */
export function jsonHelp(commands: Command[]): void {
  const events = ['beforeAllHelp', 'beforeHelp', 'afterHelp', 'afterAllHelp'];
  for (const cmd of commands) {
    const text = cmd.helpInformation.bind(cmd);
    // addHelpText's extra text is written by listeners around the help: it goes into the document instead.
    const emitter = cmd as unknown as import('node:events').EventEmitter;
    let notes = '';
    for (const event of events) {
      for (const listener of emitter.listeners(event)) (listener as (ctx: object) => void)({ error: false, command: cmd, write: (s: string) => (notes += s) });
      emitter.removeAllListeners(event);
    }
    cmd.helpInformation = (context?: { error: boolean }) => (context?.error ? text(context) : `${JSON.stringify(helpDocument(cmd, notes.trim()), null, 2)}\n`);
  }
}

/**
 * `help a b c` becomes `a b c --help` when every word names a command; an unknown word is a
 * usage error naming it. `argv` is returned unchanged when its first command word is not `help`.
 */
export function resolveHelpCommand(argv: string[], program: Command): string[] {
  const at = argv.findIndex((a) => !a.startsWith('-') && (a === 'help' || program.commands.some((c) => c.name() === a || c.aliases().includes(a))));
  if (at < 0 || argv[at] !== 'help') return argv;
  const words = argv.slice(at + 1).filter((a) => !a.startsWith('-'));
  let cmd = program;
  for (const w of words) {
    const next = cmd.commands.find((c) => c.name() === w || c.aliases().includes(w));
    if (!next) {
      const where = cmd === program ? '' : ` of "${commandPath(cmd).replace(/^\S+ /, '')}"`;
      throw new UsageError(
        `unknown command "${w}"${where}${didYouMean(
          w,
          cmd.commands.map((c) => c.name()),
        )}; run \`${commandPath(cmd)} --help\` for the list`,
        'unknown_command',
      );
    }
    cmd = next;
  }
  return [...argv.slice(0, at), ...argv.slice(at + 1), '--help'];
}
