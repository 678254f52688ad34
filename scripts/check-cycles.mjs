// `npm run lint`'s import-cycle check (CONVENTIONS 14). dpdm reads type-only imports too, so a
// cycle that exists only in types (like the old deps.ts -> sandbox -> commands -> deps.ts) fails here;
// eslint-plugin-import-x's no-cycle would skip it.
import { parseCircular, parseDependencyTree } from 'dpdm';

const tree = await parseDependencyTree(['src/**/*.ts', 'test/**/*.ts'], { transform: false, skipDynamicImports: false });
const cycles = parseCircular(tree);
if (cycles.length > 0) {
  for (const cycle of cycles) process.stderr.write(`error  import cycle: ${[...cycle, cycle[0]].join(' -> ')}  no-import-cycles (dpdm)\n`);
  process.stderr.write(`\n✖ ${cycles.length} import cycle(s): a module must not import, even for types, a module that imports it back\n`);
  process.exit(1);
}
