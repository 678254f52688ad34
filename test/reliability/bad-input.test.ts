// Bad input: tenant ids, config files (missing or wrong fields, ARNs where ids belong, unknown
// keys, huge, not JSON), flags and environment. Every case must exit 2 with a message that says
// what is wrong, and the sandbox's request log must show ZERO mutating calls. The cases run in
// parallel against one sandbox (an initialised stack with one tenant); the log is checked for the
// whole suite, and per case when the suite-wide check fails, so a culprit is named.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapLimit } from '../../src/ops/concurrency.js';
import { BAD_TENANT_IDS } from '../fixtures/bad-tenant-ids.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { knob, mutatingCalls, startStack, tempDir, writeTemp, type Stack } from './helpers.js';

interface Case {
  label: string;
  /** Arguments after the global `--sandbox <dir>` (omitted when `noSandbox`). */
  args: string[];
  /** Config file text: written to a file passed as --config. */
  config?: string | ((valid: Record<string, unknown>) => string);
  env?: Record<string, string>;
  noSandbox?: boolean;
  /** What the message must say (stderr, or the JSON error's message with --json). */
  message: RegExp;
}

let s: Stack;
let dir: string;
let valid: Record<string, unknown>;
const CONCURRENCY = knob('ISOCTL_BAD_INPUT_CONCURRENCY', 4);

const withConfig = (edit: (c: Record<string, unknown>) => void) => (v: Record<string, unknown>) => {
  const c = structuredClone(v);
  edit(c);
  return JSON.stringify(c);
};
const without = (key: string) => withConfig((c) => delete c[key]);
const set = (key: string, value: unknown) => withConfig((c) => (c[key] = value));
const table0 = (edit: (t: Record<string, unknown>) => void) => withConfig((c) => edit((c.tables as Array<Record<string, unknown>>)[0]!));

const CASES: Case[] = [
  // ---- tenant ids (every id of the shared fixture), on the commands that take one
  // (a NUL byte cannot be passed in argv at all, so that fixture id is left out here)
  ...BAD_TENANT_IDS.filter(([, id]) => !id.includes('\u0000')).map(([label, id]): Case => ({
    label: `tenant id: ${label}`,
    args: ['tenant', 'create', '--json', '--', id],
    message: /invalid tenant id/,
  })),
  { label: 'tenant id that looks like an option', args: ['tenant', 'create', '-acme'], message: /unknown option '-acme'/ },
  { label: 'tenant id on delete', args: ['tenant', 'delete', 'Acme', '--yes', '--json'], message: /invalid tenant id/ },
  { label: 'tenant id on delete, path traversal', args: ['tenant', 'delete', '../keep', '--yes'], message: /invalid tenant id/ },
  { label: 'tenant id on show', args: ['tenant', 'show', 'keep*'], message: /invalid tenant id/ },
  { label: 'tenant id on verify', args: ['tenant', 'verify', '${aws:username}', '--json'], message: /invalid tenant id/ },
  { label: 'tenant id on create --dry-run', args: ['tenant', 'create', 'KEEP', '--dry-run'], message: /invalid tenant id/ },

  // ---- config files
  { label: 'config: file missing', args: ['--config', '/nonexistent/isoctl.json', 'tenant', 'create', 'acme'], message: /not found/ },
  { label: 'config: a directory', args: ['--config', '/tmp', 'tenant', 'create', 'acme'], message: /is a directory/ },
  { label: 'config: empty file', config: '', args: ['tenant', 'create', 'acme'], message: /not valid JSON/ },
  { label: 'config: not JSON', config: '{ stack: prod, ', args: ['tenant', 'create', 'acme'], message: /not valid JSON/ },
  { label: 'config: YAML instead of JSON', config: 'stack: prod\nregion: us-east-1\n', args: ['init'], message: /not valid JSON/ },
  { label: 'config: trailing garbage', config: (v) => `${JSON.stringify(v)} }`, args: ['tenant', 'create', 'acme'], message: /not valid JSON/ },
  { label: 'config: a JSON array', config: '[]', args: ['tenant', 'create', 'acme'], message: /expected a JSON object/ },
  { label: 'config: a JSON string', config: '"isoctl"', args: ['tenant', 'create', 'acme'], message: /expected a JSON object/ },
  { label: 'config: null', config: 'null', args: ['init'], message: /expected a JSON object/ },
  {
    label: 'config: huge (2 MB)',
    config: (v) => JSON.stringify({ ...v, $schema: 'x'.repeat(2 * 1024 * 1024) }),
    args: ['tenant', 'create', 'acme'],
    message: /limit is/,
  },
  { label: 'config: missing stack', config: without('stack'), args: ['tenant', 'create', 'acme', '--json'], message: /stack: required field is missing/ },
  { label: 'config: missing region', config: without('region'), args: ['tenant', 'create', 'acme'], message: /region: required field is missing/ },
  { label: 'config: missing accountId', config: without('accountId'), args: ['init'], message: /accountId: required/ },
  { label: 'config: missing userPoolId', config: without('userPoolId'), args: ['tenant', 'create', 'acme'], message: /userPoolId: required/ },
  {
    label: 'config: missing userPoolClientId',
    config: without('userPoolClientId'),
    args: ['tenant', 'delete', 'keep', '--yes'],
    message: /userPoolClientId: required/,
  },
  {
    label: 'config: missing identityPoolId',
    config: without('identityPoolId'),
    args: ['gc', '--apply', '--yes', '--min-age', '0s'],
    message: /identityPoolId: required/,
  },
  { label: 'config: missing tables', config: without('tables'), args: ['tenant', 'create', 'acme'], message: /tables: required/ },
  { label: 'config: no tables', config: set('tables', []), args: ['tenant', 'create', 'acme'], message: /at least one table/ },
  { label: 'config: stack in upper case', config: set('stack', 'Prod'), args: ['tenant', 'create', 'acme'], message: /stack: expected 1-16/ },
  { label: 'config: stack too long', config: set('stack', 'a'.repeat(17)), args: ['init'], message: /stack: expected 1-16/ },
  { label: 'config: stack with a slash', config: set('stack', 'prod/x'), args: ['init'], message: /stack: expected/ },
  { label: 'config: region made up', config: set('region', 'europe'), args: ['tenant', 'create', 'acme'], message: /region: expected an AWS region/ },
  {
    label: 'config: accountId of 11 digits',
    config: set('accountId', '12345678901'),
    args: ['tenant', 'create', 'acme'],
    message: /accountId: expected a 12-digit/,
  },
  { label: 'config: accountId as a number', config: set('accountId', 123456789012), args: ['init'], message: /accountId: expected string/ },
  {
    label: 'config: userPoolId as an ARN',
    config: set('userPoolId', 'arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_AbC123'),
    args: ['tenant', 'create', 'acme'],
    message: /userPoolId: expected a user pool id/,
  },
  {
    label: 'config: identityPoolId as an ARN',
    config: set('identityPoolId', 'arn:aws:cognito-identity:us-east-1:000000000000:identitypool/us-east-1:1234abcd-0000-1111-2222-333344445555'),
    args: ['init'],
    message: /identityPoolId: expected an identity pool id/,
  },
  {
    label: 'config: identityPoolId without region',
    config: set('identityPoolId', '1234abcd-0000-1111-2222-333344445555'),
    args: ['tenant', 'create', 'acme'],
    message: /identityPoolId: expected/,
  },
  {
    label: 'config: table name as an ARN',
    config: table0((t) => (t.name = 'arn:aws:dynamodb:us-east-1:000000000000:table/Orders')),
    args: ['tenant', 'create', 'acme'],
    message: /tables\[0\]\.name: expected a DynamoDB table name/,
  },
  {
    label: 'config: bucket name as an ARN',
    config: set('buckets', [{ name: 'arn:aws:s3:::uploads' }]),
    args: ['tenant', 'create', 'acme'],
    message: /buckets\[0\]\.name: expected an S3 bucket name/,
  },
  {
    label: 'config: unknown top-level key (typo)',
    config: withConfig((c) => (c.stak = 'x')),
    args: ['tenant', 'create', 'acme', '--json'],
    message: /unknown field "stak"/,
  },
  {
    label: 'config: unknown key in a table',
    config: table0((t) => (t.partitionkey = 'tenantId')),
    args: ['tenant', 'create', 'acme'],
    message: /unknown field "partitionkey"/,
  },
  {
    label: 'config: unknown key in a bucket',
    config: set('buckets', [{ name: 'uploads-bucket', prefixx: '{tenant}/' }]),
    args: ['init'],
    message: /unknown field "prefixx"/,
  },
  { label: 'config: mapping magic', config: set('mapping', 'magic'), args: ['init'], message: /mapping: expected one of "token", "rules", "abac"/ },
  { label: 'config: granularity row', config: set('granularity', 'row'), args: ['tenant', 'create', 'acme'], message: /granularity: expected one of/ },
  {
    label: 'config: attributes without the partition key',
    config: table0((t) => (t.attributes = ['sk', 'status'])),
    args: ['tenant', 'create', 'acme'],
    message: /must include the partition key/,
  },
  {
    label: 'config: duplicate tables',
    config: withConfig((c) => (c.tables = [...(c.tables as unknown[]), ...(c.tables as unknown[])])),
    args: ['tenant', 'create', 'acme'],
    message: /duplicate table/,
  },
  {
    label: 'config: bucket prefix without {tenant}',
    config: set('buckets', [{ name: 'uploads-bucket', prefix: 'shared/' }]),
    args: ['tenant', 'create', 'acme'],
    message: /prefix template containing \{tenant\}/,
  },
  { label: 'config: wildcard action in a scope', config: set('scopes', { read: ['dynamodb:*'] }), args: ['tenant', 'create', 'acme'], message: /no wildcards/ },
  {
    label: 'config: IAM action in a scope',
    config: set('scopes', { admin: ['iam:PassRole'] }),
    args: ['tenant', 'create', 'acme'],
    message: /scopes\.admin\[0\]/,
  },
  {
    label: 'config: scope name in upper case',
    config: set('scopes', { Read: ['dynamodb:GetItem'] }),
    args: ['tenant', 'create', 'acme'],
    message: /scope name/,
  },
  { label: 'config: no scopes', config: set('scopes', {}), args: ['tenant', 'create', 'acme'], message: /at least one scope/ },
  { label: 'config: trust policy quota 3000', config: set('trustPolicyMaxChars', 3000), args: ['tenant', 'create', 'acme'], message: /trustPolicyMaxChars/ },
  {
    label: 'config: table name with a wildcard',
    config: table0((t) => (t.name = 'Orders*')),
    args: ['tenant', 'create', 'acme'],
    message: /tables\[0\]\.name/,
  },
  {
    label: 'config: attribute with a policy variable',
    config: table0((t) => (t.attributes = ['tenantId', 'sk', '${aws:username}'])),
    args: ['tenant', 'create', 'acme'],
    message: /attribute name without/,
  },
  { label: 'config: tenant claim with a space', config: set('tenantClaim', 'custom tenant'), args: ['init'], message: /tenantClaim/ },
  { label: 'config: lock table name invalid', config: set('lockTable', 'x'), args: ['init'], message: /lockTable/ },
  {
    label: 'config: another account (checked against AWS, nothing changed)',
    config: set('accountId', '123456789012'),
    args: ['init', '--json'],
    message: /does not match the account.*123456789012/s,
  },
  {
    label: 'config: a user pool that does not exist (checked against AWS)',
    config: set('userPoolId', 'us-east-1_DoesNotExist'),
    args: ['init'],
    message: /no such user pool/,
  },

  // ---- flags
  { label: 'flag: --wait forever', args: ['tenant', 'create', 'acme', '--wait', 'forever'], message: /--wait.*invalid/ },
  { label: 'flag: --timeout 0', args: ['tenant', 'create', 'acme', '--timeout', '0'], message: /--timeout must be a duration/ },
  { label: 'flag: --timeout -5s', args: ['tenant', 'create', 'acme', '--timeout=-5s'], message: /--timeout must be a duration/ },
  { label: 'flag: --timeout abc', args: ['tenant', 'delete', 'keep', '--yes', '--timeout', 'abc'], message: /--timeout must be a duration/ },
  { label: 'flag: --scope unknown', args: ['tenant', 'create', 'acme', '--scope', 'admin', '--json'], message: /unknown scope "admin"/ },
  { label: 'flag: unknown option', args: ['tenant', 'create', 'acme', '--force'], message: /unknown option '--force'/ },
  { label: 'flag: missing tenant id', args: ['tenant', 'create'], message: /missing required argument 'ids'/ },
  { label: 'flag: several tenant ids, one invalid', args: ['tenant', 'create', 'acme', 'Beta'], message: /the tenant ids are invalid.*did you mean "beta"/s },
  { label: 'flag: the same tenant id twice', args: ['tenant', 'delete', 'keep', 'keep', '--yes'], message: /"keep" is already listed/ },
  { label: 'flag: apply without -f', args: ['apply'], message: /required option '-f, --file <file>'/ },
  { label: 'flag: apply --concurrency 0', args: ['apply', '-f', '-', '--concurrency', '0'], message: /--concurrency must be a whole number from 1 to 64/ },
  { label: 'flag: verify ids and --all', args: ['tenant', 'verify', 'keep', '--all'], message: /ids or --all, not both/ },
  { label: 'flag: unknown command', args: ['tenant', 'destroy', 'keep'], message: /unknown command/ },
  { label: 'flag: delete without --yes and without a terminal', args: ['tenant', 'delete', 'keep', '--json'], message: /--yes/ },
  { label: 'flag: gc --apply without --yes and without a terminal', args: ['gc', '--apply', '--min-age', '0s'], message: /--yes/ },
  { label: 'flag: gc --min-age soon', args: ['gc', '--apply', '--yes', '--min-age', 'soon'], message: /--min-age/ },
  { label: 'flag: gc --concurrency 0', args: ['gc', '--apply', '--yes', '--concurrency', '0'], message: /--concurrency/ },
  { label: 'flag: gc --concurrency 17', args: ['gc', '--apply', '--yes', '--concurrency', '17'], message: /--concurrency/ },
  { label: 'flag: gc --timeout 0', args: ['gc', '--apply', '--yes', '--timeout', '0'], message: /--timeout/ },
  { label: 'flag: --stack with upper case', args: ['--stack', 'PROD', 'tenant', 'create', 'acme'], message: /stack: expected 1-16/ },
  { label: 'flag: --region made up', args: ['--region', 'moon-1', 'tenant', 'create', 'acme'], message: /region: expected an AWS region/ },
  { label: 'flag: --sandbox with --endpoint-url', args: ['--endpoint-url', 'http://127.0.0.1:9', 'tenant', 'create', 'acme'], message: /cannot be combined/ },
  {
    label: 'flag: --endpoint-url not a URL',
    noSandbox: true,
    args: ['--endpoint-url', 'not a url', 'tenant', 'create', 'acme'],
    env: { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'x' },
    message: /endpoint.*not a URL|not an http/i,
  },
  {
    label: 'flag: --endpoint-url with another scheme',
    noSandbox: true,
    args: ['--endpoint-url', 'ftp://127.0.0.1:21', 'tenant', 'create', 'acme'],
    env: { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'x' },
    message: /http/,
  },

  // ---- environment
  { label: 'env: ISOCTL_STACK invalid', args: ['tenant', 'create', 'acme'], env: { ISOCTL_STACK: 'Bad_Stack' }, message: /stack: expected 1-16/ },
  { label: 'env: ISOCTL_CONFIG missing file', args: ['tenant', 'create', 'acme'], env: { ISOCTL_CONFIG: '/nonexistent/isoctl.json' }, message: /not found/ },
  {
    label: 'env: ISOCTL_SANDBOX_FAULTS invalid',
    args: ['tenant', 'create', 'acme'],
    env: { ISOCTL_SANDBOX_FAULTS: 'throttle=2' },
    message: /ISOCTL_SANDBOX_FAULTS/,
  },
  { label: 'env: ISOCTL_SANDBOX_LAG invalid', args: ['tenant', 'create', 'acme'], env: { ISOCTL_SANDBOX_LAG: 'iam=forever' }, message: /ISOCTL_SANDBOX_LAG/ },
  { label: 'env: ISOCTL_SANDBOX_SEED invalid', args: ['tenant', 'create', 'acme'], env: { ISOCTL_SANDBOX_SEED: '-1' }, message: /ISOCTL_SANDBOX_SEED/ },
  {
    label: 'env: AWS_ENDPOINT_URL not a URL',
    noSandbox: true,
    args: ['tenant', 'create', 'acme', '--json'],
    env: { AWS_ENDPOINT_URL: 'localhost:4566', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'x' },
    message: /AWS_ENDPOINT_URL/,
  },
  {
    label: 'env: no AWS credentials at all',
    noSandbox: true,
    args: ['--endpoint-url', 'http://127.0.0.1:9', 'tenant', 'create', 'acme'],
    env: { HOME: '/nonexistent-home' },
    message: /credentials/,
  },
  {
    label: 'env: a profile that does not exist',
    noSandbox: true,
    args: ['--profile', 'nope', '--endpoint-url', 'http://127.0.0.1:9', 'tenant', 'create', 'acme'],
    env: { HOME: '/nonexistent-home' },
    message: /nope/,
  },
  {
    label: 'env: no region anywhere',
    noSandbox: true,
    args: ['--config', '/nonexistent/isoctl.json', 'whoami'],
    env: { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'x' },
    message: /region|not found/,
  },
];

async function runCase(c: Case): Promise<CliResult> {
  const args = [...c.args];
  if (c.config !== undefined) {
    const text = typeof c.config === 'function' ? c.config(valid) : c.config;
    const file = writeTemp(dir, `${c.label.replace(/[^a-z0-9]+/gi, '-')}.json`, text);
    args.unshift('--config', file);
  }
  if (c.noSandbox) {
    // Without the sandbox, a valid config on disk; the endpoint (when any) is nothing that answers.
    if (!args.includes('--config')) args.unshift('--config', s.configPath);
    return runCli(args, { env: c.env, timeoutMs: 30_000 });
  }
  return runCli(['--sandbox', s.stateDir, ...args], { env: c.env, timeoutMs: 30_000 });
}

function messageOf(r: CliResult): string {
  try {
    return `${r.json<{ error?: { message?: string } }>().error?.message ?? ''}\n${r.stderr}`;
  } catch {
    return r.stderr;
  }
}

beforeAll(async () => {
  s = await startStack({ stack: 'bad', mapping: 'token' });
  expect((await s.cli(['init', '--json'])).code).toBe(0);
  expect((await s.cli(['tenant', 'create', 'keep', '--json'])).code).toBe(0);
  // Garbage for gc to want to remove (so `gc --apply` without --yes has something to ask about).
  const iam = await s.clients.iam();
  const { CreateRoleCommand } = await import('@aws-sdk/client-iam');
  await iam.send(
    new CreateRoleCommand({
      RoleName: 'isoctl-bad-orphan',
      Path: '/isoctl/bad/',
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Federated: 'cognito-identity.amazonaws.com' }, Action: 'sts:AssumeRoleWithWebIdentity' }],
      }),
      Tags: [
        { Key: 'isoctl:managed-by', Value: 'isoctl' },
        { Key: 'isoctl:stack', Value: 'bad' },
        { Key: 'isoctl:tenant', Value: 'orphan' },
      ],
    }),
  );
  const plan = await s.cli(['gc', '--min-age', '0s', '--json']);
  expect(plan.json().items.map((i: { target: string }) => i.target)).toEqual(['isoctl-bad-orphan']);
  valid = JSON.parse((await import('node:fs')).readFileSync(s.configPath, 'utf8')) as Record<string, unknown>;
  dir = tempDir('isoctl-bad-');
  mkdirSync(join(dir, 'sub'), { recursive: true });
});

afterAll(async () => {
  await s?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe(`bad input (${CASES.length} cases): exit 2, a clear message, zero mutating calls`, () => {
  it('has at least 60 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
  });

  it('every case exits 2 with its message, and the sandbox saw no mutating call', async () => {
    const mark = s.mark();
    const results = await mapLimit(CASES, CONCURRENCY, async (c) => ({ c, r: await runCase(c) }));
    const wrong = results
      .filter(({ c, r }) => r.code !== 2 || !c.message.test(messageOf(r)))
      .map(({ c, r }) => `${c.label}: exit ${r.code}, message: ${messageOf(r).trim().slice(0, 300)}`);
    expect(wrong).toEqual([]);
    // JSON mode still prints exactly one JSON error document.
    for (const { c, r } of results.filter(({ c }) => c.args.includes('--json'))) expect(r.json().error?.code, c.label).toBeTruthy();
    const mutations = mutatingCalls(s.since(mark));
    if (mutations.length > 0) {
      // Name the culprit: run the cases again one by one.
      const culprits: string[] = [];
      for (const c of CASES) {
        const m = s.mark();
        await runCase(c);
        const made = mutatingCalls(s.since(m));
        if (made.length) culprits.push(`${c.label}: ${made.map((e) => `${e.service} ${e.operation}`).join(', ')}`);
      }
      expect(culprits).toEqual([]);
    }
    expect(mutations.map((e) => `${e.service} ${e.operation}`)).toEqual([]);
  }, 300_000);
});
