// `--json` on every command: exactly one JSON document on stdout, in success and in failure,
// with the exit code the contract gives; human messages stay on stderr.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import type { TestSandbox } from '../helpers/sandbox.js';
import { cliOn, startStack } from './stack.js';

let sb: TestSandbox;

beforeAll(async () => {
  sb = await startStack('js', { iam: 0, cognito: 0, dynamodb: 0 });
  for (const tenant of ['acme', 'globex']) {
    const r = await cliOn(sb, ['tenant', 'create', tenant, '--wait', 'data', '--json']);
    expect(r.code, r.stderr).toBe(0);
  }
});

afterAll(async () => {
  await sb?.stop();
});

interface Case {
  args: string[];
  code: number;
  /** A field of the document that shows it is the command's own (or the error code). */
  expect: Record<string, unknown> | { error: { code: string } };
  noSandbox?: boolean;
  input?: string;
}

const DENIED =
  'User: arn:aws:sts::000000000000:assumed-role/isoctl-js-acme/CognitoIdentityCredentials is not authorized to perform: dynamodb:Query on resource: arn:aws:dynamodb:us-east-1:000000000000:table/isoctl-js-data because no identity-based policy allows the dynamodb:Query action';

const CASES: Case[] = [
  // success
  { args: ['init'], code: 0, expect: { stack: 'js', status: 'unchanged' } },
  { args: ['init', '--dry-run'], code: 0, expect: { stack: 'js', dryRun: true } },
  { args: ['tenant', 'create', 'acme'], code: 0, expect: { tenant: 'acme', status: 'unchanged' } },
  { args: ['tenant', 'create', 'initech', '--dry-run'], code: 0, expect: { tenant: 'initech', status: 'planned' } },
  { args: ['tenant', 'list'], code: 0, expect: { stack: 'js' } },
  { args: ['tenant', 'show', 'acme'], code: 0, expect: { tenant: 'acme', status: 'ok' } },
  { args: ['tenant', 'verify', 'acme', '--against', 'globex'], code: 0, expect: { tenant: 'acme', against: 'globex' } },
  { args: ['tenant', 'delete', 'globex', '--dry-run'], code: 0, expect: { tenant: 'globex', status: 'planned' } },
  { args: ['tenant', 'delete', 'nope', '--yes', '--ignore-missing'], code: 0, expect: { tenant: 'nope', status: 'absent' } },
  { args: ['gc'], code: 0, expect: { stack: 'js', dryRun: true } },
  { args: ['doctor'], code: 0, expect: { stack: 'js', healthy: true } },
  { args: ['whoami'], code: 0, expect: { account: '000000000000' } },
  { args: ['config', 'validate'], code: 0, expect: { valid: true } },
  { args: ['config', 'schema'], code: 0, expect: { title: 'isoctl.json', type: 'object' }, noSandbox: true },
  { args: ['policy', 'render', 'acme'], code: 0, expect: { tenant: 'acme' } },
  { args: ['policy', 'check', 'acme', 'globex'], code: 0, expect: { ok: true } },
  { args: ['explain', DENIED, '--key', 'globex'], code: 0, expect: { role: expect.anything() } },
  // failure
  { args: ['tenant', 'show', 'nope'], code: 3, expect: { error: { code: 'tenant_not_found' } } },
  { args: ['tenant', 'verify', 'nope'], code: 3, expect: { error: { code: 'tenant_not_found' } } },
  { args: ['tenant', 'delete', 'nope', '--yes'], code: 3, expect: { error: { code: 'tenant_not_found' } } },
  { args: ['tenant', 'delete', 'acme'], code: 2, expect: { error: { code: 'confirmation_required' } } },
  { args: ['gc', '--apply', '--min-age', 'soon'], code: 2, expect: { error: { code: 'bad_flag' } } },
  { args: ['tenant', 'create', 'Acme'], code: 2, expect: { error: { code: expect.any(String) } } },
  { args: ['tenant', 'create', 'acme', '--wait', 'forever'], code: 2, expect: { error: { code: 'usage' } } },
  { args: ['tenant', 'create', 'acme', '--timeout', 'abc'], code: 2, expect: { error: { code: 'bad_flag' } } },
  { args: ['tenant', 'create', 'acme', '--scope', 'nope'], code: 2, expect: { error: { code: 'unknown_scope' } } },
  { args: ['tenant', 'create'], code: 2, expect: { error: { code: 'usage' } } },
  { args: ['tenant', 'list', '--bogus'], code: 2, expect: { error: { code: 'usage' } } },
  { args: ['tenant', 'destroy'], code: 2, expect: { error: { code: 'usage' } } },
  { args: ['explain', 'not a message'], code: 2, expect: { error: { code: 'not_access_denied' } } },
  { args: ['policy', 'render', 'acme', '--kind', 'nope'], code: 2, expect: { error: { code: expect.any(String) } } },
  // a group without its subcommand is a usage error too
  { args: ['tenant'], code: 2, expect: { error: { code: 'usage' } } },
  { args: ['policy'], code: 2, expect: { error: { code: 'usage' } } },
  { args: [], code: 2, expect: { error: { code: 'usage' } } },
  { args: ['--config', '/nonexistent/isoctl.json', 'tenant', 'list'], code: 2, expect: { error: { code: expect.any(String) } }, noSandbox: true },
  // last: it rewrites the sandbox's isoctl.json (the same stack, so idempotent)
  { args: ['--stack', 'js', 'sandbox', 'bootstrap'], code: 0, expect: { stateDir: expect.any(String) } },
];

describe('--json: one document on stdout, success and failure', () => {
  it.each(CASES.map((c) => [c.args.join(' ') || '(no command)', c] as const))('isoctl --json %s', async (_label, c) => {
    const args = c.noSandbox ? ['--json', ...c.args] : ['--sandbox', sb.stateDir, '--json', ...c.args];
    const r = await runCli(args, { timeoutMs: 60_000, input: c.input });
    expect(r.code, r.stderr).toBe(c.code);
    let doc: unknown;
    expect(() => (doc = JSON.parse(r.stdout)), `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`).not.toThrow();
    expect(doc).toMatchObject(c.expect);
    if (c.code !== 0) {
      expect((doc as { error: Record<string, unknown> }).error).toEqual(
        expect.objectContaining({ code: expect.any(String), message: expect.any(String), retryable: expect.any(Boolean) }),
      );
      expect(r.stderr).not.toBe(''); // the human message is on stderr
    }
  });
});
