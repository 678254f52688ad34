// Re-evaluates the sandbox's logged control-plane decisions with @cloud-copilot/iam-simulate
// (AGPL, devDependency: test-only), an evaluator independent of isoctl's.
import { readFileSync, existsSync } from 'node:fs';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { ControlDecision } from '../../../src/sandbox/control-plane/authorize.js';

const SIM_DECISION: Record<string, string> = { Allowed: 'Allow', ExplicitlyDenied: 'ExplicitDeny', ImplicitlyDenied: 'ImplicitDeny' };

export function readDecisions(path: string): ControlDecision[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as ControlDecision);
}

/** iam-simulate's decision for a logged request ("error: ..." when it cannot judge it). */
export async function simulateDecision(d: ControlDecision, accountId: string): Promise<string> {
  const contextVariables: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(d.request.context)) {
    if (v === undefined) continue;
    contextVariables[k] = Array.isArray(v) ? v.map(String) : String(v);
  }
  const r = await runSimulation(
    {
      identityPolicies: d.request.identityPolicies.map((policy, i) => ({ name: `identity${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(d.request.permissionsBoundary ? { permissionBoundaryPolicies: [{ name: 'boundary', policy: d.request.permissionsBoundary }] } : {}),
      request: { principal: d.principal, action: d.request.action, resource: { accountId, resource: d.request.resource }, contextVariables },
    },
    {},
  );
  if (r.resultType === 'error') return `error: ${JSON.stringify(r.errors)}`;
  if (r.resultType !== 'single') return `unexpected result type ${r.resultType}`;
  return SIM_DECISION[r.overallResult] ?? `unknown: ${r.overallResult}`;
}

/** Every logged decision that iam-simulate judges differently, described. */
export async function disagreements(decisions: ControlDecision[], accountId: string): Promise<string[]> {
  const out: string[] = [];
  for (const d of decisions) {
    const theirs = await simulateDecision(d, accountId);
    if (theirs !== d.decision)
      out.push(`${d.request.action} on ${d.request.resource}: sandbox=${d.decision} iam-simulate=${theirs} context=${JSON.stringify(d.request.context)}`);
  }
  return out;
}
