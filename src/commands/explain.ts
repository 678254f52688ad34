// `isoctl explain "<AccessDenied message>"` (or the message on stdin): which role, action and
// resource were refused, why (evaluated with the role's real policies), and the command that
// fixes it. Reads only.
import type { Command } from 'commander';
import type { ChalkInstance } from 'chalk';
import type { Deps } from '../deps.js';
import type { ExplainResult } from '../ops/explain/analyze.js';
import type { Cause } from '../ops/explain/causes.js';
import type { FactFlags, RequestFacts } from '../ops/explain/facts.js';
import type { CommandRunner } from './runner.js';
import { UsageError } from '../errors.js';
import { roleName } from '../config/tenant-id.js';

/** The message plus the request-side facts (`--key`, `--attributes`, ... with `request` as JSON text or @file). */
export interface ExplainOptions extends FactFlags {
  /** The message; undefined reads stdin. */
  message: string | undefined;
  /** When the error happened (ISO time or epoch seconds); default now. */
  at?: string | undefined;
}

async function readStdin(deps: Deps): Promise<string> {
  const stdin = deps.io.streams.stdin;
  if (stdin.isTTY) throw new UsageError('give the AccessDenied message as an argument, or pipe it on stdin', 'no_message');
  let text = '';
  for await (const chunk of stdin) text += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
  return text;
}

function parseAt(text: string | undefined, now: number): number {
  if (text === undefined) return now;
  const t = /^\d{9,11}$/.test(text.trim()) ? Number(text) * 1000 : Date.parse(text);
  if (Number.isNaN(t)) throw new UsageError(`--at: "${text}" is not a time (ISO 8601, or epoch seconds)`, 'bad_flag');
  return t;
}

/** The flag that carries each fact: the facts layer names the input, the command names the flag. */
const FACT_FLAGS: Record<keyof FactFlags, string> = {
  key: '--key',
  attributes: '--attributes',
  select: '--select',
  noProjection: '--no-projection',
  principalTag: '--principal-tag',
  noPrincipalTags: '--no-principal-tags',
  request: '--request',
  idToken: '--id-token',
};

export async function runExplain(opts: ExplainOptions, deps: Deps): Promise<ExplainResult> {
  if (opts.noPrincipalTags && opts.principalTag && opts.principalTag.length > 0)
    throw new UsageError('--no-principal-tags and --principal-tag cannot be combined', 'flag_conflict');
  const text = opts.message ?? (await readStdin(deps));
  const { parseAccessDenied } = await import('../ops/explain/parse.js');
  const denial = parseAccessDenied(text);
  const at = parseAt(opts.at, deps.clock.now());
  let request = opts.request;
  if (request?.startsWith('@')) {
    const { readFile } = await import('node:fs/promises');
    request = await readFile(request.slice(1), 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new UsageError(`--request: cannot read ${request?.slice(1)}: ${err.code ?? err.message}`, 'bad_flag');
    });
  }
  const config = await deps.config().catch((err: unknown) => {
    if (deps.globals.configExplicit) throw err;
    deps.io.warn(`no usable config (${(err as Error).message.split('\n')[0]}); explaining without the stack's desired state`);
    return undefined;
  });
  const [{ analyzeDenial, tenantOfRole }, { factsFromFlags, FactInputError }] = await Promise.all([
    import('../ops/explain/analyze.js'),
    import('../ops/explain/facts.js'),
  ]);
  // ABAC: a scope role's name holds the scope, not a tenant.
  const scopeRole = config?.mapping === 'abac' && Object.keys(config.scopes).some((sc) => denial.roleName === roleName(config.stack, sc));
  const tenantGuess = scopeRole ? undefined : tenantOfRole(denial.roleName, undefined, config);
  let facts: RequestFacts;
  try {
    facts = factsFromFlags(
      {
        key: opts.key,
        attributes: opts.attributes,
        select: opts.select,
        noProjection: opts.noProjection,
        principalTag: opts.principalTag,
        noPrincipalTags: opts.noPrincipalTags,
        request,
        idToken: opts.idToken,
      },
      {
        action: denial.action,
        table: denial.table,
        region: denial.region ?? config?.region ?? 'us-east-1',
        accountId: denial.accountId ?? config?.accountId ?? '000000000000',
        config,
        tenant: tenantGuess,
      },
    );
  } catch (err) {
    if (err instanceof FactInputError) throw new UsageError(`${FACT_FLAGS[err.input]}: ${err.message}`, 'bad_flag');
    throw err;
  }
  const noState = { known: false, tags: undefined };
  if (denial.principalType !== 'assumed-role' && denial.principalType !== 'role')
    return analyzeDenial({ denial, config, role: undefined, principalTagMap: noState, facts, at });
  const { readRoleSnapshot, readPrincipalTagMap, readClientReadsClaim, readManagedDenyLists } = await import('../ops/explain/observe.js');
  const apis = await deps.apis();
  const [role, principalTagMap, clientReadsClaim, managedDenyLists] = await Promise.all([
    readRoleSnapshot(apis, denial.roleName as string),
    config ? readPrincipalTagMap(apis, config) : Promise.resolve(noState),
    config ? readClientReadsClaim(apis, config) : Promise.resolve(undefined),
    config && scopeRole ? readManagedDenyLists(apis, config, denial.roleName as string) : Promise.resolve(undefined),
  ]);
  return analyzeDenial({ denial, config, role, principalTagMap, facts, at, clientReadsClaim, managedDenyLists });
}

function renderCause(c: Cause, color: ChalkInstance, lead: string): string[] {
  const mark = c.certainty === 'certain' ? color.red(c.certainty) : c.certainty === 'likely' ? color.yellow(c.certainty) : color.dim(c.certainty);
  const lines = [
    `${lead}${color.bold(c.summary)} ${color.dim('[')}${mark}${color.dim(']')}${c.seedCause ? color.dim(` (common cause #${c.seedCause})`) : ''}`,
    `    ${c.detail}`,
  ];
  if (c.fix.command) lines.push(`    fix: ${color.cyan(c.fix.command)}`);
  lines.push(`    ${c.fix.action}`);
  return lines;
}

export function renderExplain(r: ExplainResult, c: ChalkInstance): string {
  const where = r.resource.replace(/^arn:[^:]*:dynamodb:[^:]*:[^:]*:/, '');
  const who = r.principal.roleName ? `role ${r.principal.roleName}${r.tenant ? ` (tenant ${r.tenant})` : ''}` : r.principal.arn;
  const lines = [`${c.bold('AccessDenied')}: ${r.action} on ${where} by ${who}`];
  if (r.role)
    lines.push(
      c.dim(
        `  role created ${r.role.createDate ?? 'at an unknown time'}${r.role.ageSeconds !== null ? ` (${r.role.ageSeconds} s before the error)` : ''}; inline policies: ${r.role.inlinePolicies.join(', ') || 'none'}; boundary: ${r.role.boundaryArn ?? 'none'}`,
      ),
    );
  if (r.evaluation)
    lines.push(c.dim(`  evaluated now with the role's policies: ${r.evaluation.decision}${r.evaluation.reason ? ` (${r.evaluation.reason})` : ''}`));
  lines.push('', ...renderCause(r.cause, c, 'cause: '));
  const more = r.others.filter((o) => o.certainty !== 'possible');
  const possible = r.others.filter((o) => o.certainty === 'possible');
  if (more.length > 0) lines.push('', 'also:', ...more.flatMap((o) => renderCause(o, c, '  - ')));
  if (possible.length > 0) lines.push('', 'could also be (depends on the request):', ...possible.flatMap((o) => renderCause(o, c, '  - ')));
  if (r.facts.assumed.length > 0) lines.push('', c.dim(`assumed correct (not known from the message): ${r.facts.assumed.join('; ')}`));
  return lines.join('\n');
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function registerExplainCommand(program: Command, runner: CommandRunner): void {
  program
    .command('explain')
    .description('name the cause of an AccessDenied message and the command that fixes it (message as argument or on stdin)')
    .addHelpText(
      'after',
      `
Examples:
  isoctl explain "$MSG" --key globex                              # the partition key the request used
  aws dynamodb query ... 2>&1 | isoctl explain --request @query.json
  pbpaste | isoctl explain --id-token "$ID_TOKEN"                 # the signed-in user's claims`,
    )
    .argument('[message...]', 'the AccessDenied message (reads stdin when omitted)')
    .option('--key <value>', 'a partition key value the request used (repeatable)', collect)
    .option('--attributes <list>', 'attributes the request named (ProjectionExpression / item), comma-separated')
    .option('--select <value>', 'dynamodb:Select of the request (ALL_ATTRIBUTES, SPECIFIC_ATTRIBUTES, ...)')
    .option('--no-projection', 'the read had no ProjectionExpression')
    .option('--principal-tag <key=value>', 'a session (principal) tag of the credentials (repeatable)', collect)
    .option('--no-principal-tags', 'the credentials carried no session tags')
    .option('--request <json|@file>', 'the DynamoDB request input (JSON), to read keys, attributes and Select from')
    .option('--id-token <jwt>', "the signed-in user's id token (only its claims are read)")
    .option('--at <time>', 'when the error happened (ISO 8601 or epoch seconds; default now)')
    .action(async (words: string[], o: Record<string, unknown>, cmd: Command) =>
      runner.run(cmd, async (deps) => {
        const result = await runExplain(
          {
            message: words.length > 0 ? words.join(' ') : undefined,
            key: o.key as string[] | undefined,
            attributes: o.attributes as string | undefined,
            select: o.select as string | undefined,
            noProjection: o.projection === false,
            principalTag: o.principalTag as string[] | undefined,
            noPrincipalTags: o.principalTags === false,
            request: o.request as string | undefined,
            idToken: o.idToken as string | undefined,
            at: o.at as string | undefined,
          },
          deps,
        );
        deps.io.result(result, (c) => renderExplain(result, c));
      }),
    );
}
