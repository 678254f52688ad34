// `isoctl --help`, `isoctl tenant --help` and `isoctl --version` load no AWS SDK module: the SDK
// (about half of the bundle) is reached only through the dynamic import of the adapters, so
// scripts and operators asking for help pay for node and the CLI only. Every module the process
// loads is recorded by a module hook (test/fixtures/load-log), and each loaded file of the bundle
// is searched for the SDK's module paths, which esbuild keeps as comments in the chunks.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { baseEnv, binPath, repoRoot } from '../helpers/cli.js';

const SDK = /node_modules\/@(aws-sdk|smithy)\//;
const register = pathToFileURL(join(repoRoot, 'test', 'fixtures', 'load-log', 'register.mjs')).href;
const dir = mkdtempSync(join(tmpdir(), 'isoctl-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function loadedBy(args: string[]): { code: number | null; stdout: string; files: string[] } {
  const log = join(dir, `${args.join('_').replace(/\W/g, '')}.log`);
  const r = spawnSync(process.execPath, ['--import', register, binPath, ...args], { env: baseEnv({ ISOCTL_TEST_LOAD_LOG: log }), encoding: 'utf8' });
  const urls = readFileSync(log, 'utf8')
    .split('\n')
    .filter((u) => u.startsWith('file:'));
  return { code: r.status, stdout: r.stdout, files: urls.map((u) => fileURLToPath(u)) };
}

describe('start-up loads no AWS SDK', () => {
  it('the check can see the SDK: the bundle has chunks with the SDK in them', () => {
    const chunks = readdirSync(join(repoRoot, 'dist', 'chunks')).map((f) => join(repoRoot, 'dist', 'chunks', f));
    expect(chunks.filter((f) => SDK.test(readFileSync(f, 'utf8'))).length).toBeGreaterThan(0);
  });

  it.each([[['--help']], [['tenant', '--help']], [['--version']], [['--json', '--version']]])('isoctl %j', (args) => {
    const { code, stdout, files } = loadedBy(args);
    expect(code).toBe(0);
    expect(stdout).toMatch(args.includes('--help') ? /Usage: isoctl/ : /\d+\.\d+\.\d+/);
    expect(files).toContain(binPath);
    const withSdk = files.filter((f) => SDK.test(f) || (f.startsWith(join(repoRoot, 'dist')) && SDK.test(readFileSync(f, 'utf8'))));
    expect(withSdk).toEqual([]);
  });
});
