// The fast layer: the commands' run functions in process, against the in-memory AWS through
// deps.apis(), with test streams and a fake clock. (The subprocess end-to-end tests against the
// sandbox and moto stay; these cover what a user sees in milliseconds.)
import { describe, expect, it } from 'vitest';
import { reportError } from '../../src/cli.js';
import { runInit } from '../../src/commands/init.js';
import { runCreateTenant } from '../../src/commands/tenant/create.js';
import { runDeleteTenant } from '../../src/commands/tenant/delete.js';
import { runListTenants } from '../../src/commands/tenant/list.js';
import { runWhoami } from '../../src/commands/whoami.js';
import { PendingError } from '../../src/errors.js';
import { FakeAws } from '../tenant/fake-aws.js';
import { fakeDeps, testConfig } from './fake-deps.js';

async function initialised() {
  const fake = new FakeAws(testConfig());
  await runInit({ dryRun: false }, fakeDeps(fake));
  return fake;
}

describe('tenant commands in process (run functions + deps.apis() = the in-memory AWS)', () => {
  it('create -> list -> delete: the fake holds exactly what each command says', async () => {
    const fake = await initialised();
    const deps = fakeDeps(fake);
    const created = await runCreateTenant({ tenant: 'acme', wait: 'none', timeoutMs: 90_000, dryRun: false }, deps);
    expect(created.status).toBe('created');
    expect(fake.roles.has('isoctl-test-acme')).toBe(true);
    expect(fake.groups.has('acme')).toBe(true);
    // Not a terminal: progress goes to stderr as plain lines, nothing on stdout (the wiring prints the result).
    expect(deps.streams.stdout()).toBe('');
    expect(deps.streams.stderr()).toContain('create-role isoctl-test-acme');
    expect(deps.apisCalls()).toBe(1);

    const listed = await runListTenants({ deep: false }, fakeDeps(fake));
    expect(listed.tenants.map((t) => t.tenant)).toEqual(['acme']);

    const deleted = await runDeleteTenant({ tenant: 'acme', dryRun: false, ignoreMissing: false }, fakeDeps(fake));
    expect(deleted.status).toBe('deleted');
    expect(fake.roles.has('isoctl-test-acme')).toBe(false);
    expect(fake.groups.has('acme')).toBe(false);
  });

  it('a wait that never converges ends at --timeout on the injected clock: exit 75 with pending checks, in milliseconds', async () => {
    const fake = await initialised();
    const deps = fakeDeps(fake, { json: true });
    const real = performance.now();
    fake.lag.getRole = 1_000_000;
    const err = await runCreateTenant({ tenant: 'acme', wait: 'iam', timeoutMs: 90_000, dryRun: false }, deps).catch((e: unknown) => e);
    expect(performance.now() - real).toBeLessThan(5_000);
    expect(err).toBeInstanceOf(PendingError);
    expect(deps.clock.slept()).toBeGreaterThanOrEqual(90_000);
    expect(reportError(err, deps.io, false)).toBe(75);
    const doc = deps.streams.json();
    expect(doc.error).toMatchObject({ code: 'not_converged', retryable: true, retryAfterSeconds: 5 });
  });

  it('whoami reads the identity and the target through the adapters', async () => {
    const fake = new FakeAws(testConfig());
    const r = await runWhoami(fakeDeps(fake));
    expect(r).toMatchObject({ account: '123456789012', region: 'eu-central-1', endpoint: null, configAccountId: '123456789012', matchesConfig: true });
  });
});
