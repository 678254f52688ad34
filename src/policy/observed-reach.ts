// Whether a data policy as IAM serves it reaches beyond its tenant: the isolation proof run on
// that document instead of the config's, against a made-up neighbour and against every tenant
// named (the stack's existing tenants). Only reach outside the tenant counts (other tenants'
// keys, tables or prefixes); the role's scopes are not known to the caller, so a write in a
// read-only scope is not reported here (the document then differs from the config's: drift).
// Cost: one two-tenant proof per tenant named, so callers run it only on a document that differs
// from the config's (one equal to it is covered by `policy check` and the name-template proof).
import type { StackConfig } from '../config/schema.js';
import { buildDataPolicy } from './documents.js';
import { proveIsolation } from './proof.js';
import type { PolicyDocument } from './types.js';

/** The probes the observed document allows that must be denied; empty when it stays within the tenant. */
export function reachBeyondTenant(config: StackConfig, tenant: string, doc: PolicyDocument, others: string[] = []): string[] {
  const dataPolicy = (t: string, scope: string): PolicyDocument => (t === tenant ? doc : buildDataPolicy(config, t, [scope]));
  const pairs: string[][] = [[tenant], ...[...new Set(others)].filter((o) => o !== tenant).map((o) => [tenant, o])];
  const found = new Set<string>();
  for (const tenants of pairs)
    for (const f of proveIsolation(config, tenants, { dataPolicy }).failures)
      if (f.tenant === tenant && f.expected === 'Deny' && f.rule === undefined && !f.probe.startsWith('mutation') && !f.probe.includes('write-outside-scope'))
        found.add(f.probe);
  return [...found];
}
