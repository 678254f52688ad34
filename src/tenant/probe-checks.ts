// The probe checks the lifecycle commands share (suspend, resume, revoke-sessions, in role and
// ABAC mode): the probe identity is denied every read (its own partition included), or it reads
// its own partition again and no other tenant's.
import { scopeRoleArn, scopeRoleName } from '../policy/index.js';
import type { TenantContext } from './context.js';
import { neighbourTenant, probeNotYet } from './create.js';
import { ownReadableVerdict, ProbeError, ProbeSession, type HeldCredentials, type ProbeResult } from './probe.js';
import { NotYet, Wrong, type Check } from './wait.js';

/** The tenant's probe session; under ABAC its credentials are for the first scope role its group maps to. */
export function lifecycleProbe(ctx: TenantContext, tenant: string, scopes: string[]): ProbeSession {
  const { config } = ctx;
  const scope = scopes[0] ?? Object.keys(config.scopes).sort()[0] ?? '';
  const expected = config.mapping === 'abac' ? { name: scopeRoleName(config, scope), arn: scopeRoleArn(config, scope) } : undefined;
  return new ProbeSession(ctx.apis, config, tenant, scopes, ctx, expected);
}

async function runProbe(session: ProbeSession, held?: HeldCredentials): Promise<ProbeResult> {
  try {
    return await session.run(neighbourTenant(session.tenant), held);
  } catch (err) {
    if (err instanceof ProbeError && err.stage === 'role') throw new NotYet(err.message);
    if (err instanceof ProbeError) throw new Wrong(err.message);
    throw err;
  }
}

/** Every read of the probe (own partition included) denied: the tenant is shut out. Allowed reads are "not yet". */
export function everyReadDenied(result: ProbeResult, what: string): string {
  const allowed = result.checks.filter((c) => c.outcome === 'allowed');
  if (allowed.length > 0) throw new NotYet(`still allowed: ${allowed.map((c) => `${c.name} on ${c.table}`).join(', ')}`);
  const denied = result.checks.filter((c) => c.outcome === 'denied');
  if (denied.length === 0) throw new Wrong(`no probe read was denied: ${result.checks.map((c) => `${c.name} ${c.outcome}`).join(', ')}`);
  return `${denied.length} probe read(s)${what} denied, own partition included`;
}

/** The probe (fresh credentials, or `held` ones) is denied every read. */
export function probeDeniedCheck(session: ProbeSession, name: string, waitingFor: string, held?: { creds: HeldCredentials; what: string }): Check {
  return {
    name,
    service: 'dynamodb',
    waitingFor,
    run: async () => everyReadDenied(await runProbe(session, held?.creds), held?.what ?? ''),
  };
}

/** The probe, with fresh credentials, reads its own partition and is denied the neighbour's. */
export function probeAllowedCheck(session: ProbeSession, name: string): Check {
  return {
    name,
    service: 'dynamodb',
    waitingFor: 'waiting for DynamoDB to let the probe identity read its own partition',
    notYet: probeNotYet,
    run: async () => {
      return ownReadableVerdict(await runProbe(session));
    },
  };
}
