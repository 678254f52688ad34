// Fault injection at configured rates, reproducible with a seed, hitting admin calls too;
// and the request log recording every call (faults and denials included).
import { afterEach, describe, expect, it } from 'vitest';
import { CreateRoleCommand, GetRoleCommand, ListRolesCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { CognitoIdentityProviderClient, ListUserPoolsCommand } from '@aws-sdk/client-cognito-identity-provider';
import { startSandbox, type RunningSandbox } from '../../../src/sandbox/server.js';
import { TRUST, failure, iamClient, readRequestLog, stsClient, tempStateDir } from './helpers.js';

const open: RunningSandbox[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});
async function start(extra: Partial<Parameters<typeof startSandbox>[0]> = {}): Promise<RunningSandbox> {
  const sb = await startSandbox({ stateDir: tempStateDir(), ...extra });
  open.push(sb);
  return sb;
}

const N = 600;
const RATES = { throttle: 0.1, '5xx': 0.1, reset: 0.05 };

async function hammer(sb: RunningSandbox): Promise<Record<string, number>> {
  const sts = stsClient(sb, { maxAttempts: 1 });
  const counts: Record<string, number> = {};
  for (let i = 0; i < N; i++) {
    let outcome = 'ok';
    try {
      await sts.send(new GetCallerIdentityCommand({}));
    } catch (err) {
      const e = err as { name: string; code?: string; $metadata?: { httpStatusCode?: number } };
      outcome = e.$metadata?.httpStatusCode ? `${e.name}:${e.$metadata.httpStatusCode}` : 'connection';
    }
    counts[outcome] = (counts[outcome] ?? 0) + 1;
  }
  sts.destroy();
  return counts;
}

describe('faults', () => {
  it('answer admin calls with throttling, 500, 503 and resets at the configured rates', async () => {
    const sb = await start({ faults: RATES, seed: 42 });
    const counts = await hammer(sb);
    const within = (n: number | undefined, rate: number) => {
      const expected = N * rate;
      const sd = Math.sqrt(N * rate * (1 - rate));
      expect(n ?? 0).toBeGreaterThan(expected - 4 * sd);
      expect(n ?? 0).toBeLessThan(expected + 4 * sd);
    };
    within(counts['Throttling:400'], RATES.throttle);
    within((counts['InternalFailure:500'] ?? 0) + (counts['ServiceUnavailable:503'] ?? 0), RATES['5xx']);
    expect(counts['InternalFailure:500']).toBeGreaterThan(0);
    expect(counts['ServiceUnavailable:503']).toBeGreaterThan(0);
    within(counts.connection, RATES.reset);
    within(counts.ok, 1 - RATES.throttle - RATES['5xx'] - RATES.reset);

    const log = readRequestLog(sb.requestLogPath);
    expect(log).toHaveLength(N);
    expect(log.every((e) => e.caller === 'admin' && e.operation === 'GetCallerIdentity' && e.service === 'sts')).toBe(true);
    expect(log.filter((e) => e.fault === 'throttle').length).toBe(counts['Throttling:400']);
    expect(log.filter((e) => e.fault === 'reset').length).toBe(counts.connection);
    expect(log.filter((e) => e.fault === '500').every((e) => e.status === 500 && e.error === 'InternalFailure')).toBe(true);
    expect(log.filter((e) => e.fault === '503').every((e) => e.status === 503 && e.error === 'ServiceUnavailable')).toBe(true);
  });

  it('the same seed gives the same faults for the same requests; another seed does not', async () => {
    const sequence = async (seed: number) => {
      const sb = await start({ faults: RATES, seed });
      await hammer(sb);
      return readRequestLog(sb.requestLogPath)
        .map((e) => e.fault ?? '-')
        .join(',');
    };
    const a = await sequence(7);
    const b = await sequence(7);
    const c = await sequence(8);
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it('the SDK retries through faults (throttling and 5xx are retryable), and each service gets its own throttling code', async () => {
    const sb = await start({ faults: { throttle: 0.2, '5xx': 0.1, reset: 0.05 }, seed: 3 });
    const iam = iamClient(sb, { maxAttempts: 10 });
    for (let i = 0; i < 10; i++) await iam.send(new CreateRoleCommand({ RoleName: `r${i}`, AssumeRolePolicyDocument: TRUST }));
    expect((await iam.send(new ListRolesCommand({}))).Roles).toHaveLength(10);
    const cfg = { region: 'us-east-1', endpoint: sb.endpoint, credentials: sb.credentials, maxAttempts: 1 };
    const ddb = new DynamoDBClient(cfg);
    const idp = new CognitoIdentityProviderClient(cfg);
    const names = new Set<string>();
    for (let i = 0; i < 60; i++) {
      for (const call of [() => ddb.send(new ListTablesCommand({})), () => idp.send(new ListUserPoolsCommand({ MaxResults: 10 }))]) {
        try {
          await call();
        } catch (err) {
          names.add((err as Error).name);
        }
      }
    }
    expect(names).toContain('ThrottlingException');
    expect(names).toContain('TooManyRequestsException');
    expect([...names].filter((n) => n === 'InternalFailure' || n === 'ServiceUnavailable').length).toBeGreaterThan(0);
    ddb.destroy();
    idp.destroy();
  });
});

describe('request log', () => {
  it('records service, operation, caller, status, mutating and the error of every call', async () => {
    const sb = await start();
    const iam = iamClient(sb);
    await iam.send(new CreateRoleCommand({ RoleName: 'logged', AssumeRolePolicyDocument: TRUST }));
    await iam.send(new GetRoleCommand({ RoleName: 'logged' }));
    await failure(iam.send(new GetRoleCommand({ RoleName: 'absent' })));
    await failure(iamClient(sb, { credentials: { accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'x' } }).send(new ListRolesCommand({})));
    const role = sb.context.getRole('logged', 'iam')!;
    const issued = sb.context.issueSession(role, 'probe', {}, 900);
    const session = { accessKeyId: issued.accessKeyId, secretAccessKey: issued.secretAccessKey, sessionToken: issued.sessionToken };
    await stsClient(sb, { credentials: session }).send(new GetCallerIdentityCommand({}));
    await failure(iamClient(sb, { credentials: session }).send(new ListRolesCommand({})));
    const log = readRequestLog(sb.requestLogPath).map(({ service, operation, caller, status, mutating, error }) => ({
      service,
      operation,
      caller,
      status,
      mutating,
      error,
    }));
    const roleArn = 'arn:aws:iam::000000000000:role/logged';
    expect(log).toEqual([
      { service: 'iam', operation: 'CreateRole', caller: 'admin', status: 200, mutating: true, error: undefined },
      { service: 'iam', operation: 'GetRole', caller: 'admin', status: 200, mutating: false, error: undefined },
      { service: 'iam', operation: 'GetRole', caller: 'admin', status: 404, mutating: false, error: 'NoSuchEntity' },
      { service: 'iam', operation: 'ListRoles', caller: 'unknown', status: 403, mutating: false, error: 'InvalidClientTokenId' },
      { service: 'sts', operation: 'GetCallerIdentity', caller: roleArn, status: 200, mutating: false, error: undefined },
      { service: 'iam', operation: 'ListRoles', caller: roleArn, status: 403, mutating: false, error: 'AccessDenied' },
    ]);
    const first = readRequestLog(sb.requestLogPath)[0]!;
    expect(new Date(first.t).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(first.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
