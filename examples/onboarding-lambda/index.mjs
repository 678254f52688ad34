// A tenant-onboarding function for a SaaS control plane (AWS Lambda, Node 20, API Gateway HTTP API
// or REST API proxy integration): POST /tenants/{id} creates the tenant with isoctl and answers
//   201  the tenant exists and its users can reach their data (wait 'data')
//   503  created, but AWS has not converged yet: Retry-After says when to call again
//   400  a bad tenant id or body          409  refused (a resource of that name is not isoctl's, a limit)
// Calling again is safe: isoctl reconciles, so a retry after 503 finishes the job and answers 201.
//
// Configuration (environment): ISOCTL_CONFIG, the isoctl.json deployed with the function
// (default ./isoctl.json next to this file); ISOCTL_WAIT_MS, how long one call waits for AWS
// (default 10000, and never past the function's own timeout); ISOCTL_ENDPOINT_URL, only to run
// it against a local sandbox. AWS credentials come from the function's execution role.
import { join } from 'node:path';
import { Isoctl } from 'isoctl';

const MARGIN_MS = 2_000;

/** Builds the handler around one Isoctl (reused across invocations: its AWS clients stay warm). */
export function createHandler(isoctl, { waitMs = 10_000 } = {}) {
  return async (event, context) => {
    const method = event?.requestContext?.http?.method ?? event?.httpMethod;
    if (method !== 'POST') return reply(405, { error: { code: 'method_not_allowed', message: 'POST /tenants/{id}' } }, { allow: 'POST' });
    const id = event?.pathParameters?.id;
    if (typeof id !== 'string' || id === '') return reply(400, { error: { code: 'bad_tenant_id', message: 'the path must be /tenants/{id}' } });
    let scopes;
    try {
      const body = event.body ? JSON.parse(event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body) : {};
      scopes = body.scopes;
      if (scopes !== undefined && !(Array.isArray(scopes) && scopes.every((s) => typeof s === 'string'))) throw new Error('scopes must be an array of strings');
    } catch (err) {
      return reply(400, { error: { code: 'bad_body', message: `body: ${err.message}` } });
    }
    const remaining = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() - MARGIN_MS : waitMs;
    const timeoutMs = Math.max(1_000, Math.min(waitMs, remaining));
    try {
      const result = await isoctl.createTenant(id, { wait: 'data', timeoutMs, scopes });
      return reply(
        201,
        { tenant: result.tenant, status: result.status, scopes: result.scopes, role: result.role.arn },
        { location: `/tenants/${result.tenant}` },
      );
    } catch (err) {
      return fromError(err);
    }
  };
}

/** IsoctlError -> HTTP: the exit code says what kind of failure it is, retryAfterSeconds when to come back. */
export function fromError(err) {
  const error = { code: err?.code ?? 'internal', message: err?.message ?? String(err) };
  if (err?.retryable) {
    const after = Math.max(1, Math.ceil(err.retryAfterSeconds ?? 1));
    return reply(503, { error: { ...error, retryAfterSeconds: after } }, { 'retry-after': String(after) });
  }
  switch (err?.exitCode) {
    case 2:
      return reply(400, { error });
    case 4:
      return reply(409, { error });
    default:
      // Not the caller's fault and not worth retrying at once: logged for the operator.
      console.error('tenant onboarding failed', err);
      return reply(500, { error: { code: error.code, message: 'tenant onboarding failed' } });
  }
}

function reply(statusCode, body, headers = {}) {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

let shared;
export const handler = (event, context) => {
  shared ??= createHandler(
    new Isoctl({
      config: process.env.ISOCTL_CONFIG ?? join(process.env.LAMBDA_TASK_ROOT ?? import.meta.dirname ?? process.cwd(), 'isoctl.json'),
      endpoint: process.env.ISOCTL_ENDPOINT_URL || undefined,
    }),
    { waitMs: Number(process.env.ISOCTL_WAIT_MS ?? 10_000) },
  );
  return shared(event, context);
};
