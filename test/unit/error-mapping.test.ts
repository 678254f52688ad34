// src/cli.ts is the one place errors become exit codes and the JSON error document. Errors of the
// pure policy layer (which knows nothing of exit codes) keep the codes they had as UsageError/RefusedError.
import { describe, expect, it } from 'vitest';
import { reportError } from '../../src/cli.js';
import { PolicyError } from '../../src/policy/errors.js';
import { testOutput, testStreams } from '../commands/test-streams.js';

describe('reportError', () => {
  it("maps PolicyError 'over-limit' to exit 4 with its code and details", () => {
    const t = testStreams();
    const findings = [{ limit: 'inline-policy-size', message: 'too big' }];
    const code = reportError(
      new PolicyError('tenant "acme" exceeds a limit', 'over-limit', 'limit_exceeded', { tenant: 'acme', findings }),
      testOutput(t, { json: true }),
      false,
    );
    expect(code).toBe(4);
    expect(t.json()).toEqual({ error: { code: 'limit_exceeded', message: 'tenant "acme" exceeds a limit', retryable: false, tenant: 'acme', findings } });
    expect(t.stderr()).toContain('tenant "acme" exceeds a limit');
  });

  it("maps PolicyError 'invalid-input' to exit 2 (usage)", () => {
    const t = testStreams();
    const code = reportError(new PolicyError('unknown scope "admin"', 'invalid-input', 'unknown_scope'), testOutput(t, { json: true }), false);
    expect(code).toBe(2);
    expect(t.json()).toEqual({ error: { code: 'unknown_scope', message: 'unknown scope "admin"', retryable: false } });
  });
});
