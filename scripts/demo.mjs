#!/usr/bin/env node
// `npm run demo`: the tenant lifecycle on the local sandbox with consistency lag (IAM 1 s,
// Cognito 2 s, DynamoDB 3 s), each step run as the real CLI in a subprocess so you see its
// own output. Starts `isoctl sandbox serve` in a fresh temp state dir, bootstraps a stack,
// runs init (the admin step), makes a least-privilege operator user (`sandbox operator`) and,
// as that operator, creates two tenants with --wait data, lists them, verifies one (its read of the
// other tenant's partition is denied), deletes one, lists again, and prints a summary.
// Exits non-zero when any step fails. Everything is removed afterwards.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'isoctl.js');
const LAG = 'iam=1s,cognito=2s,dynamodb=3s';
const STEP_TIMEOUT_MS = 90_000;
const tty = process.stdout.isTTY === true;
const bold = (s) => (tty ? `\u001b[1m${s}\u001b[22m` : s);
const dim = (s) => (tty ? `\u001b[2m${s}\u001b[22m` : s);
const green = (s) => (tty ? `\u001b[32m${s}\u001b[39m` : s);
const red = (s) => (tty ? `\u001b[31m${s}\u001b[39m` : s);

// --keep: leave the sandbox's state behind to explore after the demo (it is saved when the server stops).
const keep = process.argv.slice(2).includes('--keep');
const started = Date.now();
const stateDir = mkdtempSync(join(tmpdir(), 'isoctl-demo-'));
const env = { ...process.env };
for (const k of Object.keys(env)) if (k.startsWith('AWS_') || k.startsWith('ISOCTL_')) delete env[k];
const results = [];
let server;
let serverQuiet = false;

function banner(text) {
  process.stdout.write(`\n${bold(`▶ ${text}`)}\n`);
}

/** Runs one CLI step with the terminal attached (spinners show), or captures stdout when asked. */
function step(title, args, { capture = false, as = env } = {}) {
  banner(`${title}\n  $ isoctl ${args.join(' ')}`);
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: as, stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'] });
    let out = '';
    if (capture) child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGTERM'), STEP_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      const r = { title, args, code: code ?? 1, ms: Date.now() - t0, out };
      results.push(r);
      if (r.code !== 0) process.stdout.write(red(`  ✗ exit ${r.code}\n`));
      resolve(r);
    });
  });
}

function startServer() {
  banner(`start the sandbox with lag ${LAG}\n  $ isoctl sandbox serve --port 0 --state-dir ${stateDir} --lag ${LAG} --json`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'sandbox', 'serve', '--port', '0', '--state-dir', stateDir, '--lag', LAG, '--json'], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let settled = false;
    const timer = setTimeout(() => fail(new Error('the sandbox did not start within 30 s')), 30_000);
    const fail = (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGTERM');
      reject(err);
    };
    child.stderr.setEncoding('utf8').on('data', (d) => {
      if (!serverQuiet) process.stdout.write(dim(d.replace(/^(?=.)/gm, '  ')));
    });
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      try {
        const doc = JSON.parse(out);
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          resolve({ child, doc });
        }
      } catch {
        /* the JSON document is not complete yet */
      }
    });
    child.on('exit', (code) => fail(new Error(`the sandbox exited (code ${code}) before it was ready`)));
  });
}

async function stopServer() {
  if (!server || server.child.exitCode !== null) return;
  const done = new Promise((r) => server.child.once('exit', r));
  server.child.kill('SIGTERM');
  const t = setTimeout(() => server.child.kill('SIGKILL'), 10_000);
  await done;
  clearTimeout(t);
}

function requestLog() {
  const path = join(stateDir, 'requests.jsonl');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

let exitCode = 0;
try {
  server = await startServer();
  const sb = ['--sandbox', stateDir];
  const ok = async (title, args, opts) => {
    const r = await step(title, args, opts);
    if (r.code !== 0) throw new Error(`step "${title}" failed with exit code ${r.code}`);
    return r;
  };
  await ok('bootstrap a stack: user pool, app client, identity pool, pooled table, isoctl.json', [...sb, '--stack', 'demo', 'sandbox', 'bootstrap']);
  await ok('init (admin step): permissions boundary, lock table, identity-pool role mapping', [...sb, 'init']);
  // From here on isoctl runs as an IAM user holding exactly the rendered operator policy; the sandbox enforces it.
  const op = JSON.parse(
    (await ok('make the operator: an IAM user with exactly the operator policy', [...sb, 'sandbox', 'operator', '--json'], { capture: true })).out,
  );
  const asOp = { capture: false, as: { ...env, AWS_ACCESS_KEY_ID: op.accessKeyId, AWS_SECRET_ACCESS_KEY: op.secretAccessKey, AWS_REGION: op.region } };
  const opArgs = ['--endpoint-url', op.endpoint, '--config', join(stateDir, 'isoctl.json')];
  const acme = await ok(
    'as the operator: create tenant acme and wait until DynamoDB lets its probe identity in',
    [...opArgs, 'tenant', 'create', 'acme', '--wait', 'data'],
    asOp,
  );
  const globex = await ok('create tenant globex the same way', [...opArgs, 'tenant', 'create', 'globex', '--wait', 'data'], asOp);
  const again = await ok('create acme again: nothing to change', [...opArgs, 'tenant', 'create', 'acme'], asOp);
  await ok('list the tenants', [...opArgs, 'tenant', 'list'], asOp);
  const beforeVerify = requestLog().length;
  const verify = await ok(
    "verify acme: its own partition is readable, globex's is denied",
    [...opArgs, 'tenant', 'verify', 'acme', '--against', 'globex'],
    asOp,
  );
  await ok('delete globex', [...opArgs, 'tenant', 'delete', 'globex', '--yes'], asOp);
  await ok('list again', [...opArgs, 'tenant', 'list'], asOp);

  serverQuiet = true;
  const log = requestLog();
  const mutating = log.filter((l) => l.mutating).length;
  // The verify step's DynamoDB calls, made with acme's temporary credentials (the log names the role).
  const verifyReads = log.slice(beforeVerify).filter((l) => l.service === 'dynamodb' && l.caller.includes(':role/'));
  const denied = verifyReads.filter((l) => l.error === 'AccessDeniedException');
  const total = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(`\n${bold('Summary')}\n`);
  for (const r of results) process.stdout.write(`  ${r.code === 0 ? green('✓') : red('✗')} ${r.title} ${dim(`(${(r.ms / 1000).toFixed(1)} s)`)}\n`);
  process.stdout.write(
    [
      '',
      `  sandbox lag ${LAG}: acme converged in ${(acme.ms / 1000).toFixed(1)} s, globex in ${(globex.ms / 1000).toFixed(1)} s (--wait data, polling at most every 2 s)`,
      `  re-running create on a complete tenant took ${(again.ms / 1000).toFixed(1)} s and changed nothing`,
      `  verify acme: exit ${verify.code}; as ${verifyReads[0]?.caller ?? 'acme'}: ${verifyReads.length - denied.length} read(s) of its own partition allowed, ${denied.length} read(s) touching globex's partition denied (${denied.map((l) => l.operation).join(', ')})`,
      `  ${log.length} AWS calls answered by the sandbox, ${mutating} of them mutating (counted from its request log); ${log.filter((l) => l.caller === op.userArn && /^AccessDenied/.test(l.error ?? '')).length} of the operator's calls denied`,
      `  wall time ${total} s`,
      '',
    ].join('\n'),
  );
} catch (err) {
  exitCode = 1;
  process.stderr.write(`${red('demo failed:')} ${err?.message ?? err}\n`);
} finally {
  await stopServer().catch(() => undefined);
  if (!keep) rmSync(stateDir, { recursive: true, force: true });
  else
    process.stdout.write(
      [
        `${bold('Kept')} the sandbox state in ${stateDir} (npm run demo -- --keep). Explore it with:`,
        `  node bin/isoctl.js --sandbox ${stateDir} tenant list --deep`,
        `  node bin/isoctl.js --sandbox ${stateDir} tenant show acme`,
        `  node bin/isoctl.js --sandbox ${stateDir} doctor`,
        `  node bin/isoctl.js sandbox serve --state-dir ${stateDir}   # for the AWS CLI; prints the exports`,
        `  rm -rf ${stateDir}                                          # when done`,
        '',
      ].join('\n'),
    );
}
process.exit(exitCode);
