// examples/onboarding-lambda, invoked in-process like Lambda would (API Gateway proxy events)
// against the embedded sandbox with lag: the first POST answers 503 with Retry-After while AWS
// converges, a retry answers 201, and so does every later retry; a bad id is 400, a refused one
// 409. The example imports 'isoctl' by name (the package's own exports, built dist/).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CognitoIdentityProviderClient, CreateGroupCommand } from '@aws-sdk/client-cognito-identity-provider';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Isoctl, PendingError } from '../../src/index.js';
import { startSandbox, type Sandbox, type StackConfigInput } from '../../src/sandbox-api.js';
import { repoRoot } from '../helpers/cli.js';

interface Reply {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}
type Handler = (event: unknown, context?: unknown) => Promise<Reply>;

let sb: Sandbox;
let config: StackConfigInput;
let handler: Handler;

const post = (id: string, body?: unknown) =>
  handler(
    { requestContext: { http: { method: 'POST' } }, pathParameters: { id }, body: body === undefined ? undefined : JSON.stringify(body) },
    { getRemainingTimeInMillis: () => 30_000 },
  );

beforeAll(async () => {
  sb = await startSandbox({ lag: { iam: 2_500, cognito: 2_500, dynamodb: 2_500 } });
  config = await sb.bootstrap({ stack: 'onboard' });
  // The stack's shared pieces, made once by the operator (init converges on a re-run).
  const operator = new Isoctl({ config, endpoint: sb.endpoint, credentials: sb.credentials });
  for (let i = 0; ; i++) {
    try {
      await operator.init();
      break;
    } catch (err) {
      if (!(err instanceof PendingError) || i > 20) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  await operator.close();
  Object.assign(process.env, {
    ISOCTL_CONFIG: join(sb.stateDir, 'isoctl.json'),
    ISOCTL_ENDPOINT_URL: sb.endpoint,
    ISOCTL_WAIT_MS: '1000',
    AWS_ACCESS_KEY_ID: sb.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: sb.credentials.secretAccessKey,
  });
  const mod = (await import(pathToFileURL(join(repoRoot, 'examples', 'onboarding-lambda', 'index.mjs')).href)) as { handler: Handler };
  handler = mod.handler;
}, 120_000);

afterAll(async () => {
  await sb?.close();
});

describe('examples/onboarding-lambda', () => {
  it('503 with Retry-After while AWS converges, then 201; a retry after that is 201 again', async () => {
    const first = await post('acme');
    expect(first.statusCode).toBe(503);
    const after = Number(first.headers['retry-after']);
    expect(Number.isInteger(after) && after >= 1).toBe(true);
    expect(JSON.parse(first.body).error).toMatchObject({ code: 'not_converged', retryAfterSeconds: after });

    const seen = [first.statusCode];
    const deadline = Date.now() + 60_000;
    let last = first;
    while (last.statusCode === 503 && Date.now() < deadline) {
      // A client would wait Retry-After seconds; the test polls sooner (isoctl reconciles, so any retry is safe).
      await new Promise((r) => setTimeout(r, 500));
      last = await post('acme');
      seen.push(last.statusCode);
    }
    expect(last.statusCode).toBe(201);
    expect(new Set(seen)).toEqual(new Set([503, 201]));
    expect(JSON.parse(last.body)).toMatchObject({ tenant: 'acme', role: expect.stringContaining(':role/isoctl/onboard/') });
    expect(last.headers.location).toBe('/tenants/acme');

    const again = await post('acme');
    expect(again.statusCode).toBe(201);
    expect(JSON.parse(again.body).status).toBe('unchanged');
  });

  it('400 for a bad id or body, 409 when refused, 405 for other methods', async () => {
    const bad = await post('Not_A_Tenant');
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body).error.code).toBeTruthy();
    expect((await post('globex', { scopes: 'read' })).statusCode).toBe(400);
    expect((await post('globex', { scopes: ['admin'] })).statusCode).toBe(400);

    // A user-pool group named like the tenant that isoctl did not make: isoctl will not adopt it.
    const idp = new CognitoIdentityProviderClient({ region: sb.region, endpoint: sb.endpoint, credentials: sb.credentials });
    await idp.send(new CreateGroupCommand({ UserPoolId: config.userPoolId, GroupName: 'initech', Description: 'made by hand' }));
    idp.destroy();
    const refused = await post('initech');
    expect(refused.statusCode).toBe(409);
    expect(JSON.parse(refused.body).error.code).toBe('not_owned');

    const get = await handler({ requestContext: { http: { method: 'GET' } }, pathParameters: { id: 'acme' } });
    expect(get.statusCode).toBe(405);
  });
});
