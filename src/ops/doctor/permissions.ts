// The caller's permissions: every request of the operator workflow (each Allow statement of the
// operator policy, `policy render --kind operator`, as a sample request satisfying its
// conditions) asked of IAM's policy simulator for the caller's own user or role, plus the reads
// doctor itself made. Where the simulator is denied to the caller, doctor says it could not
// check, which is a problem: "healthy" would claim what nobody checked.
import type { SimulationResult } from '../../aws/iam.js';
import { AwsCallError } from '../../aws/errors.js';
import { buildOperatorPolicy, sampleRequests } from '../../policy/index.js';
import type { StackConfig } from '../../config/schema.js';
import type { DoctorEnv } from './checks.js';
import { finding, type Finding } from './types.js';

const RENDER = 'isoctl policy render <any-tenant> --kind operator --json';
const SIMULATE = 'iam:SimulatePrincipalPolicy';

/** The actions the operator policy grants. */
export function operatorActions(config: StackConfig): string[] {
  const doc = buildOperatorPolicy(config);
  const out = new Set<string>();
  for (const s of Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]) {
    if (s.Effect !== 'Allow') continue;
    for (const a of Array.isArray(s.Action) ? s.Action : s.Action ? [s.Action] : []) out.add(a);
  }
  return [...out].sort();
}

type Principal = { arn: string } | { root: true } | { unknown: string };

/** The IAM principal a caller ARN simulates as: a user as is, an assumed role as its role (path from GetRole when readable). */
async function principalOf(env: DoctorEnv, callerArn: string): Promise<Principal> {
  if (/^arn:[\w-]+:iam::\d{12}:root$/.test(callerArn)) return { root: true };
  if (/^arn:[\w-]+:iam::\d{12}:user\//.test(callerArn)) return { arn: callerArn };
  const m = /^arn:([\w-]+):sts::(\d{12}):assumed-role\/([\w+=,.@-]+)\/[^/]+$/.exec(callerArn);
  if (!m) return { unknown: callerArn };
  const [, partition, account, roleName] = m as unknown as [string, string, string, string];
  const role = await env.apis.iam.getRole(roleName).catch(() => undefined);
  return { arn: role?.arn ?? `arn:${partition}:iam::${account}:role/${roleName}` };
}

interface Missing {
  action: string;
  resource: string;
  decision: SimulationResult['decision'] | 'denied-read';
  statement?: string | undefined;
}

export async function checkPermissions(env: DoctorEnv): Promise<Finding> {
  const deniedReads = [...new Set(env.reads.records.filter((r) => r.denied).map((r) => r.action))].sort();
  const readOk = [...new Set(env.reads.records.filter((r) => !r.denied && r.error === undefined).map((r) => r.action))].sort();
  const granted = new Set(operatorActions(env.config).map((a) => a.toLowerCase()));
  const missing: Missing[] = deniedReads.map((action) => ({ action, resource: '', decision: 'denied-read' as const }));
  const who = await env.reads.once('sts:GetCallerIdentity', () => env.apis.sts.getCallerIdentity());
  const principal: Principal = who.ok ? await principalOf(env, who.value.arn) : { unknown: 'the caller' };

  let simulated: { checked: number; denied: string | undefined; skipped: string | undefined } = { checked: 0, denied: undefined, skipped: undefined };
  if ('root' in principal) simulated.skipped = "the account's root user: no identity policy limits it (and it should not run isoctl)";
  else if ('unknown' in principal) simulated.skipped = `cannot tell which IAM user or role ${principal.unknown} is`;
  else {
    const requests = sampleRequests(buildOperatorPolicy(env.config), { skipActions: [SIMULATE] });
    try {
      const results = await Promise.all(
        requests.map(async (r) => ({
          r,
          out: await env.apis.iam.simulatePrincipalPolicy({
            principalArn: principal.arn,
            actions: r.actions,
            resources: r.resource === '*' ? undefined : [r.resource],
            context: r.context,
          }),
        })),
      );
      for (const { r, out } of results) {
        simulated.checked += out.length;
        for (const o of out) if (o.decision !== 'allowed') missing.push({ action: o.action, resource: o.resource, decision: o.decision, statement: r.sid });
      }
    } catch (err) {
      if (!(err instanceof AwsCallError)) throw err;
      simulated = {
        checked: 0,
        denied: err.kind === 'access-denied' ? err.summary : undefined,
        skipped: err.kind === 'access-denied' ? undefined : err.summary,
      };
    }
  }

  const actions = [...new Set(missing.map((m) => m.action))].sort();
  const details = {
    caller: who.ok ? who.value.arn : undefined,
    simulatedAs: 'arn' in principal ? principal.arn : undefined,
    simulated: simulated.checked,
    allowed: readOk,
    denied: deniedReads,
    missing,
  };
  const fix = {
    command: RENDER,
    action:
      "Attach the operator policy (it prints with this command: one document, or a JSON array of parts when it is over IAM's 6,144-character managed-policy limit; attach every part, `--part N` prints one) to the caller's role or user; it grants every action listed.",
  };
  const lacking =
    actions.length > 0
      ? `the caller may not call ${actions.join(', ')}${actions.some((a) => !granted.has(a.toLowerCase())) ? '' : ' (all part of the operator policy)'}`
      : '';
  if (simulated.denied !== undefined)
    return finding(
      'permissions',
      'problem',
      `could not check the caller's permissions: ${SIMULATE} is denied (${simulated.denied})${lacking ? `; ${lacking}` : ''}`,
      fix,
      details,
    );
  if (actions.length > 0) return finding('permissions', 'problem', lacking, fix, details);
  if (simulated.skipped !== undefined)
    return finding(
      'permissions',
      'warning',
      `every read doctor made was allowed (${readOk.length} actions), but the operator policy's other actions were not checked: ${simulated.skipped}`,
      { action: "Run doctor with the operator's own credentials (a user or a role)." },
      details,
    );
  return finding(
    'permissions',
    'ok',
    `the caller may make every call of the operator workflow (${simulated.checked} action/resource pairs of the operator policy, by ${SIMULATE}) and every read doctor made`,
    undefined,
    details,
  );
}
