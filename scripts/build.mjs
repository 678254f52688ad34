// Bundles the CLI with esbuild, split into chunks so a command loads only what it uses:
// the AWS SDK clients, ora and the sandbox are reached through dynamic import().
// `--outdir <dir>` builds elsewhere (scripts/pack.mjs stages a package); `--clean` empties the
// output directory first (a package must not carry the chunks of earlier builds).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const outIndex = args.indexOf('--outdir');
const outdir = outIndex >= 0 ? resolve(args[outIndex + 1]) : join(root, 'dist');
// dist/ is not wiped by default: a CLI process started from the previous build may still load
// its lazy chunks (names carry content hashes, so old and new chunks never collide).
if (args.includes('--clean')) rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  // The CLI and the package's two library entries ('isoctl', 'isoctl/sandbox') in one build: they
  // share chunks, so an error class is the same object whichever entry threw it.
  entryPoints: { cli: 'src/cli.ts', index: 'src/index.ts', sandbox: 'src/sandbox-api.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  mainFields: ['module', 'main'],
  conditions: ['module'],
  // dynalite and the level engines use CommonJS require of native modules: keep them external.
  external: ['dynalite', 'classic-level', 'memory-level', 'level'],
  banner: { js: "import { createRequire as __isoctlCreateRequire } from 'node:module'; const require = __isoctlCreateRequire(import.meta.url);" },
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  chunkNames: 'chunks/[name]-[hash]',
});
