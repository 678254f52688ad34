// The npm package as users get it: `npm pack` (scripts/pack.mjs, a clean staged build with .d.ts
// types), `npm install -g --prefix <tmp> <tarball>` with dependencies from the registry and
// install scripts off, then the installed copy: the bin, the embedded sandbox (dynalite's LevelDB
// loads from classic-level's shipped prebuilds, no install script), the library through the
// package's `exports`, and its types for a TypeScript consumer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baseEnv, repoRoot } from '../helpers/cli.js';

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  version: string;
  exports: Record<string, { types: string; default: string }>;
};
let work: string;
let prefix: string;
let installed: string;
let bin: string;
const timings: Record<string, number> = {};

function sh(cmd: string, args: string[], cwd: string, timeoutMs = 240_000) {
  const started = Date.now();
  const r = spawnSync(cmd, args, { cwd, env: baseEnv(), encoding: 'utf8', timeout: timeoutMs });
  return { ...r, ms: Date.now() - started };
}

beforeAll(() => {
  const began = Date.now();
  work = mkdtempSync(join(tmpdir(), 'isoctl-install-'));
  prefix = join(work, 'prefix');
  const packed = sh(process.execPath, [join(repoRoot, 'scripts', 'pack.mjs'), '--out', work], repoRoot);
  expect(packed.status, packed.stderr).toBe(0);
  timings.pack = packed.ms;
  const { tarball, bytes } = JSON.parse(packed.stdout) as { tarball: string; bytes: number };
  timings.tarballBytes = bytes;
  const install = sh('npm', ['install', '-g', '--prefix', prefix, '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', tarball], work);
  expect(install.status, install.stderr).toBe(0);
  timings.install = install.ms;
  installed = join(prefix, 'lib', 'node_modules', 'isoctl');
  bin = join(prefix, 'bin', 'isoctl');
  timings.beforeAll = Date.now() - began;
}, 480_000);

afterAll(() => {
  // The numbers the issue asks for, on stderr of the test run.
  // The installed tree holds thousands of small files (the AWS SDK's): removing them took 99 s on a
  // loaded machine, so a detached rm does it after the test has reported.
  if (work) spawn('rm', ['-rf', work], { detached: true, stdio: 'ignore' }).unref();
  process.stderr.write(`package-install: ${JSON.stringify(timings)}\n`);
});

describe('the packed tarball, installed into a clean prefix', () => {
  it('holds the bundle, the types, the schema and the license; not the sources or tests', () => {
    for (const entry of Object.values(pkg.exports).filter((e) => typeof e === 'object')) {
      expect(existsSync(join(installed, entry.default))).toBe(true);
      expect(existsSync(join(installed, entry.types))).toBe(true);
    }
    for (const f of ['LICENSE', 'README.md', 'schema/isoctl.schema.json', 'bin/isoctl.js']) expect(existsSync(join(installed, f))).toBe(true);
    expect(readFileSync(join(installed, 'LICENSE'), 'utf8')).toContain('Apache License\n                           Version 2.0, January 2004');
    for (const f of ['src', 'test', 'bench', 'scripts', 'tsconfig.json']) expect(existsSync(join(installed, f))).toBe(false);
  });

  it('isoctl --version, sandbox bootstrap, init and tenant create run from the installed bin', () => {
    const version = sh(bin, ['--version'], work);
    expect(version.stdout.trim()).toBe(pkg.version);
    const dir = join(work, 'sandbox');
    const boot = sh(bin, ['--sandbox', dir, 'sandbox', 'bootstrap', '--json'], work, 60_000);
    expect(boot.status, boot.stderr).toBe(0);
    expect(JSON.parse(boot.stdout).config.stack).toBe('demo');
    const init = sh(bin, ['--sandbox', dir, 'init', '--json'], work, 60_000);
    expect(init.status, init.stderr).toBe(0);
    const create = sh(bin, ['--sandbox', dir, 'tenant', 'create', 'acme', '--json'], work, 60_000);
    expect(create.status, create.stderr).toBe(0);
    expect(JSON.parse(create.stdout)).toMatchObject({ tenant: 'acme', status: 'created' });
    // DynamoDB state on disk: LevelDB (classic-level from its prebuilds), not the in-memory fallback.
    expect(existsSync(join(dir, 'dynamodb', 'CURRENT'))).toBe(true);
  });

  it("imports 'isoctl' and 'isoctl/sandbox' from the installed copy, in JavaScript and in TypeScript", () => {
    // A script next to the prefix's node_modules resolves the package by name through its "exports".
    const app = join(prefix, 'lib');
    const source = `
import { Isoctl, IsoctlError, type CreateTenantResult } from 'isoctl';
import { startSandbox } from 'isoctl/sandbox';
const sb = await startSandbox();
try {
  const config = await sb.bootstrap({ stack: 'pkg' });
  const lib = new Isoctl({ config, endpoint: sb.endpoint, credentials: sb.credentials });
  await lib.init();
  const created: CreateTenantResult = await lib.createTenant('acme', { wait: 'cognito' });
  const code: number = await lib.showTenant('nobody').then(() => 0, (e: unknown) => (e instanceof IsoctlError ? e.exitCode : -1));
  const list = await lib.listTenants();
  console.log(JSON.stringify({ status: created.status, code, tenants: list.tenants.map((t) => t.tenant) }));
  await lib.close();
} finally {
  await sb.close();
}
`;
    writeFileSync(join(app, 'app.mts'), source);
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
          typeRoots: [join(repoRoot, 'node_modules', '@types')],
        },
        files: ['app.mts'],
      }),
    );
    const tsc = sh(process.execPath, [join(repoRoot, 'node_modules', '@typescript', 'native', 'bin', 'tsc'), '-p', join(app, 'tsconfig.json')], app, 120_000);
    timings.tsc = tsc.ms;
    expect(tsc.status, `${tsc.stdout}${tsc.stderr}`).toBe(0);
    // The same program without its type annotations, run by node.
    writeFileSync(
      join(app, 'app.mjs'),
      source.replace(', type CreateTenantResult', '').replace(': CreateTenantResult', '').replace(': number', '').replace('(e: unknown)', '(e)'),
    );
    const run = sh(process.execPath, [join(app, 'app.mjs')], app, 60_000);
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ status: 'created', code: 3, tenants: ['acme'] });
  });
});
