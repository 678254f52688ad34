// Two operators (or a retrying job and an operator) run `tenant create X --wait data` for the
// same tenant at the same moment, each in its own terminal. Each run's probe sets a random
// password for the tenant's probe user and signs in with it; the other run's password used to
// land in between, and one run failed (exit 1, "Incorrect username or password"). Both converge.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestSandbox } from '../helpers/sandbox.js';
import { cliOn, startStack } from './stack.js';
import { ANSI, assertTmux, killTmuxServer, programText, Terminal } from './terminal.js';

let sb: TestSandbox;
const terms: Terminal[] = [];

beforeAll(async () => {
  assertTmux();
  // Short lags: the race is between the two probes' sign-ins, not the propagation.
  sb = await startStack('race', { iam: 300, cognito: 300, dynamodb: 300 });
});

afterEach(() => {
  for (const t of terms.splice(0)) t.close();
});

afterAll(async () => {
  killTmuxServer();
  await sb?.stop();
});

describe('two tenant create --wait data for the same tenant at once', () => {
  it('both exit 0 with the probe converged, and the tenant is ok', async () => {
    for (const tenant of ['twin-a', 'twin-b']) {
      const both = [0, 1].map(() => Terminal.start({ args: ['--sandbox', sb.stateDir, 'tenant', 'create', tenant, '--wait', 'data'] }));
      terms.push(...both);
      for (const t of both) {
        const end = await t.exit(60_000);
        const text = programText(t.screen()).replace(ANSI, '');
        expect({ code: end.code, signal: end.signal }, text).toEqual({ code: 0, signal: null });
        expect(text).toMatch(/dynamodb:probe\s+ok/);
        expect(text).not.toMatch(/could not sign in/);
      }
      const show = await cliOn(sb, ['tenant', 'show', tenant, '--json']);
      expect(show.code, show.stderr).toBe(0);
      expect(show.json().status).toBe('ok');
    }
  });
});
