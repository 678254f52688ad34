// Builds the npm package in a staging directory (fresh bundle, .d.ts types, package.json, bin,
// README, LICENSE, schema) and packs it there, so the tarball never carries the chunks of earlier
// builds that dist/ keeps for running processes, and the checkout's dist/ is not touched.
//   node scripts/pack.mjs [--out <dir>]    prints {"tarball": "<path>", "bytes": N} on stdout
import { cpSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const out = outIndex >= 0 ? resolve(args[outIndex + 1]) : root;
mkdirSync(out, { recursive: true });

const stage = mkdtempSync(join(tmpdir(), 'isoctl-pack-'));
const run = (cmd, cmdArgs, cwd = root) => {
  const r = spawnSync(cmd, cmdArgs, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(stage, { recursive: true, force: true });
    process.stderr.write(r.stdout ?? '');
    throw new Error(`${cmd} ${cmdArgs.join(' ')} failed (exit ${r.status})`);
  }
  return r.stdout;
};
try {
  for (const f of ['package.json', 'README.md', 'LICENSE', 'bin', 'schema']) cpSync(join(root, f), join(stage, f), { recursive: true });
  run(process.execPath, [join(root, 'scripts', 'build.mjs'), '--outdir', join(stage, 'dist'), '--clean']);
  run(process.execPath, [
    join(root, 'node_modules', '@typescript', 'native', 'bin', 'tsc'),
    '-p',
    join(root, 'tsconfig.types.json'),
    '--declarationDir',
    join(stage, 'dist', 'types'),
  ]);
  const packed = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', out], stage));
  const tarball = join(out, packed[0].filename);
  process.stdout.write(`${JSON.stringify({ tarball, bytes: statSync(tarball).size, unpackedSize: packed[0].unpackedSize, files: packed[0].entryCount })}\n`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
