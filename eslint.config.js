// ESLint holds isoctl's layering (CONVENTIONS 3, 5 and 14); a violation names its rule, e.g.
// `no-restricted-imports`. Import cycles are checked next to it by scripts/check-cycles.mjs (dpdm),
// because eslint-plugin-import-x's no-cycle skips type-only imports and type-level cycles count here.
import stylistic from '@stylistic/eslint-plugin';
import tseslint from 'typescript-eslint';

const sdk = {
  group: ['@aws-sdk/*', '@smithy/*'],
  message: 'layering: only src/aws talks to the AWS SDK; use the adapters from src/aws (CONVENTIONS 3).',
};
const policyPure = [
  sdk,
  {
    group: ['**/commands/*', '**/commands/**', '**/io/*', '**/io/**', '**/cli.js', '**/deps.js', '../errors.js', '../../errors.js'],
    message:
      'layering: src/policy is pure and imports nothing from the CLI layer (commands, io, cli, deps, the exit-code errors); it throws PolicyError from src/policy/errors.ts (CONVENTIONS 5).',
  },
  {
    group: ['**/aws/*', '**/tenant/*', '**/ops/*', '**/ops/**', '**/sandbox/*', '**/sandbox/**'],
    message: 'layering: src/policy sits below aws, tenant, ops and sandbox and imports none of them (CONVENTIONS 5).',
  },
  {
    group: ['node:fs', 'node:fs/*', 'node:child_process', 'node:net', 'node:http', 'node:https', 'fs', 'fs/*', 'child_process'],
    message: 'layering: src/policy is pure and does no I/O (CONVENTIONS 5).',
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.isoctl/**', 'bench/**', 'examples/**'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommended],
    rules: {
      // A leading underscore marks a parameter or binding that is unused on purpose (an interface's shape, a rest-omit).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      'no-control-regex': 'error',
    },
  },
  {
    // The line-length limit, the same as Prettier's printWidth (.prettierrc.json). Strings, template
    // literals, regex literals and comments with a URL may be longer (messages and AWS ARNs read
    // better whole). ESLint's core max-len is deprecated (removed in ESLint 11): ESLint Stylistic keeps it.
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    plugins: { '@stylistic': stylistic },
    rules: {
      '@stylistic/max-len': [
        'error',
        { code: 160, tabWidth: 2, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [sdk] }],
      // One JSON error code per meaning (README "Output and JSON"): a malformed flag value is bad_flag.
      'no-restricted-syntax': [
        'error',
        { selector: "Literal[value='invalid_flag']", message: "error codes: a malformed flag value is 'bad_flag' (one code per meaning)." },
      ],
    },
  },
  {
    // The adapters are the one place the SDK is imported.
    files: ['src/aws/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['src/policy/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: policyPure }] },
  },
  {
    // Tests decode raw AWS wire JSON and drive SDK clients against the sandbox and moto directly.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
