// `npm run bench`: bundles each bench/*.bench.ts with esbuild, runs it in its own Node process,
// and writes its JSON result to bench/results/<name>.json. A bench module's default export is
// an async function returning { name, metrics: {...}, targets: [{ metric, target, value, ok }] }.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv.slice(2);
const benches = readdirSync(join(root, 'bench'))
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
// Inside node_modules/ so the bundle's external ESM imports resolve (NODE_PATH does not apply to ESM).
const out = mkdtempSync(join(root, 'node_modules', '.isoctl-bench-'));
const resultsDir = join(root, 'bench', 'results');
mkdirSync(resultsDir, { recursive: true });
let failed = 0;
const summary = [];
for (const file of benches) {
  const name = file.replace(/\.bench\.ts$/, '');
  const entry = join(out, `${name}.mjs`);
  writeFileSync(
    join(out, `${name}-main.ts`),
    `import run from ${JSON.stringify(join(root, 'bench', file))};\nconst r = await run();\nprocess.stdout.write('\\n@@BENCH@@' + JSON.stringify(r) + '\\n');\n`,
  );
  await build({
    entryPoints: [join(out, `${name}-main.ts`)],
    outfile: entry,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    absWorkingDir: root,
    logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  process.stderr.write(`bench: ${name} ...\n`);
  // The machine is shared: the load average (1, 5, 15 min) before and after goes into the JSON.
  const loadBefore = loadavg().map((x) => Math.round(x * 100) / 100);
  const r = spawnSync(process.execPath, [entry], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, NODE_PATH: join(root, 'node_modules') },
  });
  const marker = r.stdout.lastIndexOf('@@BENCH@@');
  if (r.status !== 0 || marker < 0) {
    process.stderr.write(`bench: ${name} failed (exit ${r.status})\n${r.stdout}\n`);
    failed++;
    continue;
  }
  const result = JSON.parse(r.stdout.slice(marker + '@@BENCH@@'.length));
  result.ranAt = new Date().toISOString();
  result.node = process.version;
  result.loadAvg = { before: loadBefore, after: loadavg().map((x) => Math.round(x * 100) / 100) };
  writeFileSync(join(resultsDir, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  for (const t of result.targets ?? []) summary.push({ bench: name, ...t });
}
rmSync(out, { recursive: true, force: true });
for (const t of summary) process.stdout.write(`${t.ok ? 'ok  ' : 'MISS'}  ${t.bench}  ${t.metric} = ${t.value} (target ${t.target})\n`);
process.exit(failed > 0 ? 1 : 0);
