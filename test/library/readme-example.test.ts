// README "Library": the usage example runs as written, importing 'isoctl' and 'isoctl/sandbox' by
// name (the package's own exports, resolved from inside the checkout to the built dist/).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseEnv, repoRoot } from '../helpers/cli.js';

function libraryExample(): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf("## Library: `import { Isoctl } from 'isoctl'`"));
  const block = /```js\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('README: no ```js block in the Library section');
  return block[1]!;
}

describe('README library example', () => {
  it('runs as written and prints what its comments say', () => {
    const source = libraryExample();
    expect(source).toContain("from 'isoctl'");
    expect(source).toContain("from 'isoctl/sandbox'");
    // Inside the package (nearest package.json is isoctl's), so 'isoctl' resolves to this package.
    const dir = join(repoRoot, '.isoctl', `readme-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'example.mjs');
    writeFileSync(file, source);
    try {
      const r = spawnSync(process.execPath, [file], { cwd: dir, env: baseEnv(), encoding: 'utf8', timeout: 90_000 });
      expect(r.status, r.stderr).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^acme created: arn:aws:iam::\d{12}:role\/isoctl\/demo\/.*acme/);
      expect(lines).toContain('{"created":1,"updated":0,"unchanged":1,"deleted":0,"failed":0,"pending":0}');
      expect(r.stdout).toContain('globex isolated: true');
      expect(lines.at(-1)).toBe('tenant_not_found: exit 3, retryable false');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
