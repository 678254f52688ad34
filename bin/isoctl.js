#!/usr/bin/env node
// Entry point. `--version` is answered before anything else is loaded, so scripts that
// probe the tool pay for one file read; everything else goes to the bundled CLI.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`${pkg.version}\n`);
} else {
  let cli;
  try {
    cli = await import('../dist/cli.js');
  } catch (err) {
    if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli.js')) {
      process.stderr.write('isoctl: the CLI is not built yet; run `npm run build` in the isoctl checkout.\n');
      process.exit(1);
    }
    throw err;
  }
  process.exitCode = await cli.main(args);
}
