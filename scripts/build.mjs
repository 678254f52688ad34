// Bundles the CLI with esbuild, split into chunks so a command loads only what it uses:
// the AWS SDK clients, ora and the sandbox are reached through dynamic import().
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// dist/ is not wiped first: a CLI process started from the previous build may still load
// its lazy chunks (names carry content hashes, so old and new chunks never collide).
await build({
  absWorkingDir: root,
  entryPoints: { cli: 'src/cli.ts' },
  outdir: 'dist',
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
