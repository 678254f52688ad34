// Builds the CLI once before the suite, so end-to-end tests never run a stale dist/.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './cli.js';

export default function setup(): void {
  const r = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'build.mjs')], { cwd: repoRoot, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('building the CLI (scripts/build.mjs) failed');
}
