// The built CLI on the sandbox (with lag) in the other mapping modes and granularities:
// rules/tenant, token/user, rules/user. Each: init, two tenants with --wait data, list, show,
// verify (the other tenant's / user's partition denied), delete, list. Plus the 25-rule limit.
// Rules mapping, tenant granularity, also runs what token mapping's own files cover
// (tenant-revoke-sandbox, tenant-registry-sandbox), on this stack instead of a new one:
// suspend / resume shut a user of bravo out and let it back in (its credentials and fresh ones
// from its still-valid ID token); revoke-sessions signs out the users carrying the tenant's claim (their refresh token stops
// working, credentials from before are denied, a new sign-in reads, the other tenant is
// untouched); suspend of a tenant that does not exist and revoke-sessions of a deleted one are
// exit 3 with nothing changed; a registry row whose AWS resources were deleted by hand is drift.
import { CreateRoleCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsApis } from '../../src/aws/apis.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { eventually, freshCredentials, readPartition, refresh, signIn, type TenantUserCredentials } from '../helpers/tenant-user.js';

const LAG = { iam: 200, cognito: 400, dynamodb: 600 };

const MODES: Array<{ mapping: 'token' | 'rules'; granularity: 'tenant' | 'user' }> = [
  { mapping: 'rules', granularity: 'tenant' },
  { mapping: 'token', granularity: 'user' },
  { mapping: 'rules', granularity: 'user' },
];

describe.each(MODES)('tenant lifecycle, $mapping mapping, $granularity granularity', ({ mapping, granularity }) => {
  let sb: TestSandbox;
  /** Rules/tenant: a user of alpha signed in after the revocation, still holding its ID token when alpha is deleted. */
  let alphaUser: TenantUserCredentials | undefined;
  const cli = (args: string[]): Promise<CliResult> => runCli(['--sandbox', sb.stateDir, ...args], { timeoutMs: 60_000 });

  beforeAll(async () => {
    sb = await startTestSandbox({ stack: `m${mapping[0]}${granularity[0]}`, mapping, granularity, lag: LAG });
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it('init, create two tenants with --wait data, list', async () => {
    const init = await cli(['init', '--json']);
    expect(init.code, init.stderr).toBe(0);
    const actions = init.json().steps.map((s: { action: string }) => s.action);
    expect(actions).toEqual(
      granularity === 'user'
        ? ['create-boundary', 'create-lock-table', 'put-role-mapping', 'put-principal-tag-map']
        : ['create-boundary', 'create-lock-table', 'put-role-mapping'],
    );
    for (const t of ['alpha', 'bravo']) {
      const r = await cli(['tenant', 'create', t, '--wait', 'data', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json().wait.checks.every((c: { state: string }) => c.state === 'ok')).toBe(true);
      expect(r.json().steps.map((s: { action: string }) => s.action)).toContain(mapping === 'rules' ? 'put-rule' : 'create-group');
    }
    const list = await cli(['tenant', 'list', '--json']);
    expect(list.json().tenants.map((t: { tenant: string; status: string; mapping: { kind: string } }) => [t.tenant, t.status, t.mapping.kind])).toEqual([
      ['alpha', 'ok', mapping === 'rules' ? 'rule' : 'group'],
      ['bravo', 'ok', mapping === 'rules' ? 'rule' : 'group'],
    ]);
  });

  it('show and verify', async () => {
    const show = await cli(['tenant', 'show', 'alpha', '--json']);
    expect(show.code, show.stderr).toBe(0);
    const doc = show.json();
    expect(doc.status).toBe('ok');
    if (mapping === 'rules') expect(doc.mapping).toMatchObject({ kind: 'rule', claim: 'custom:tenant', value: 'alpha', position: 1, ruleCount: 2 });
    else expect(doc.mapping).toMatchObject({ kind: 'group', name: 'alpha' });
    const verify = await cli(['tenant', 'verify', 'alpha', '--json']);
    expect(verify.code, verify.stderr).toBe(0);
    const v = verify.json();
    expect(v.isolated).toBe(true);
    const own = v.checks.find((c: { name: string }) => c.name === 'own-partition');
    const other = v.checks.find((c: { name: string }) => c.name === 'other-partition');
    expect(own.outcome).toBe('allowed');
    expect(other.outcome).toBe('denied');
    if (granularity === 'user') {
      // The own partition is the probe user's sub (principal tag userid), not the tenant id.
      expect(own.keys[0]).toMatch(/^[0-9a-f-]{36}$/);
      expect(other.keys[0]).not.toBe(own.keys[0]);
    } else {
      expect(own.keys).toEqual(['alpha']);
      expect(other.keys).toEqual(['bravo']);
    }
  });

  if (mapping === 'rules' && granularity === 'tenant') {
    it('revoke-sessions alpha: credentials from before denied, refresh token revoked; a new sign-in reads; bravo untouched', async () => {
      const alpha = await signIn(sb, 'alpha');
      const bravo = await signIn(sb, 'bravo');
      await eventually(() => readPartition(sb, alpha.credentials, 'alpha'), 'allowed');
      await eventually(() => readPartition(sb, bravo.credentials, 'bravo'), 'allowed');
      expect(await refresh(sb, alpha)).toBe('ok');
      const r = await cli(['tenant', 'revoke-sessions', 'alpha', '--wait', 'data', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const doc = r.json();
      // Rules mapping has no tenant group: the users to sign out are the ones whose claim is alpha.
      expect(doc.signedOut).toEqual(expect.arrayContaining([alpha.username]));
      expect(doc.signedOut).not.toContain(bravo.username);
      expect(doc.wait.checks.map((c: { name: string; state: string }) => [c.name, c.state])).toEqual([
        ['iam:revoke-policy', 'ok'],
        ['dynamodb:old-credentials-denied', 'ok'],
        ['dynamodb:new-sign-in', 'ok'],
      ]);
      await eventually(() => readPartition(sb, alpha.credentials, 'alpha'), 'denied');
      expect(await refresh(sb, alpha)).toBe('NotAuthorizedException: Refresh Token has been revoked');
      // A sign-in after the revocation moment (TokenIssueTime has whole seconds) reads again.
      await new Promise((res) => setTimeout(res, Math.max(0, Date.parse(doc.issuedBefore) - Date.now()) + 100));
      const again = await signIn(sb, 'alpha');
      alphaUser = again;
      await eventually(() => readPartition(sb, again.credentials, 'alpha'), 'allowed');
      expect(await refresh(sb, again)).toBe('ok');
      expect(await readPartition(sb, bravo.credentials, 'bravo')).toBe('allowed');
      expect(await refresh(sb, bravo)).toBe('ok');
    }, 180_000);
  }

  if (mapping === 'rules' && granularity === 'tenant') {
    it("suspend bravo: its user's credentials and fresh ones from its ID token are denied; resume lets both in again", async () => {
      const bravo = await signIn(sb, 'bravo');
      await eventually(() => readPartition(sb, bravo.credentials, 'bravo'), 'allowed');
      const suspend = await cli(['tenant', 'suspend', 'bravo', '--wait', 'data', '--json']);
      expect(suspend.code, suspend.stderr).toBe(0);
      expect(suspend.json()).toMatchObject({ status: 'changed', suspended: true });
      expect(await readPartition(sb, bravo.credentials, 'bravo')).toBe('denied');
      expect(await readPartition(sb, await freshCredentials(sb, bravo), 'bravo')).toBe('denied');
      const resume = await cli(['tenant', 'resume', 'bravo', '--wait', 'data', '--json']);
      expect(resume.code, resume.stderr).toBe(0);
      expect(resume.json()).toMatchObject({ status: 'changed', suspended: false });
      expect(await readPartition(sb, bravo.credentials, 'bravo')).toBe('allowed');
      expect(await readPartition(sb, await freshCredentials(sb, bravo), 'bravo')).toBe('allowed');
    }, 180_000);
  }

  it('delete one; the other stays and still verifies', async () => {
    const del = await cli(['tenant', 'delete', 'alpha', '--yes', '--json']);
    expect(del.code, del.stderr).toBe(0);
    expect(del.json().items[0].action).toBe(mapping === 'rules' ? 'remove-rule' : 'delete-group');
    await new Promise((r) => setTimeout(r, LAG.iam + 100));
    const list = await cli(['tenant', 'list', '--json']);
    expect(list.json().tenants.map((t: { tenant: string; status: string }) => [t.tenant, t.status])).toEqual([['bravo', 'ok']]);
    const verify = await cli(['tenant', 'verify', 'bravo', '--json']);
    expect(verify.code, verify.stderr).toBe(0);
    if (mapping === 'rules') {
      const roles = await awsApis(sb.clients).cognitoIdentity.getIdentityPoolRoles(sb.config.identityPoolId);
      const rules = Object.values(roles.RoleMappings)[0]?.RulesConfiguration?.Rules ?? [];
      expect(rules.map((r) => r.Value)).toEqual(['bravo']);
    }
  });

  if (mapping === 'rules' && granularity === 'tenant') {
    it('suspend of a tenant that does not exist and revoke-sessions of the deleted alpha: exit 3, a clear message, nothing changed', async () => {
      const mark = sb.mark();
      const missing = await cli(['tenant', 'suspend', 'nosuch', '--json']);
      expect(missing.code, missing.stderr).toBe(3);
      expect(missing.json().error).toMatchObject({ code: 'tenant_not_found' });
      expect(missing.stderr).toMatch(/cannot suspend tenant "nosuch": it does not exist in stack mrt/);
      const deleted = await cli(['tenant', 'revoke-sessions', 'alpha', '--json']);
      expect(deleted.code, deleted.stderr).toBe(3);
      expect(deleted.json().error).toMatchObject({ code: 'tenant_not_found' });
      expect(deleted.stderr).toMatch(/cannot revoke sessions of tenant "alpha": it does not exist in stack mrt/);
      expect(sb.since(mark).filter((l) => l.mutating)).toEqual([]);
      // After delete, alpha's user is shut out: its credentials from before read nothing, and its
      // still-valid ID token (claim alpha) matches no rule any more, so it buys no fresh ones.
      expect(await readPartition(sb, alphaUser!.credentials, 'alpha')).toBe('denied');
      const fresh = await freshCredentials(sb, alphaUser!).then(
        () => 'issued',
        (e: Error) => e.name,
      );
      expect(fresh).not.toBe('issued');
    }, 120_000);
  }

  if (mapping === 'rules' && granularity === 'tenant') {
    it('the 26th rule is refused with exit 4 and advice; nothing changes', async () => {
      const apis = awsApis(sb.clients);
      const key = `cognito-idp.${sb.region}.amazonaws.com/${sb.config.userPoolId}:${sb.config.userPoolClientId}`;
      const roles = await apis.cognitoIdentity.getIdentityPoolRoles(sb.config.identityPoolId);
      const rules = roles.RoleMappings[key]!.RulesConfiguration!.Rules;
      // Cognito refuses a rule whose role IAM does not show it: the fillers are real roles, outside the stack.
      const iam = await sb.clients.iam();
      const trust = JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Federated: 'cognito-identity.amazonaws.com' }, Action: 'sts:AssumeRoleWithWebIdentity' }],
      });
      for (let i = rules.length; i < 25; i++) {
        const made = await iam.send(new CreateRoleCommand({ RoleName: `filler-${sb.config.stack}-${i}`, Path: '/filler/', AssumeRolePolicyDocument: trust }));
        rules.push({ Claim: 'custom:tenant', MatchType: 'Equals', Value: `filler-${i}`, RoleArn: made.Role!.Arn! });
      }
      await new Promise((r) => setTimeout(r, LAG.cognito + 100));
      await apis.cognitoIdentity.setIdentityPoolRoles(sb.config.identityPoolId, roles);
      const mark = sb.mark();
      const r = await cli(['tenant', 'create', 'charlie', '--json']);
      expect(r.code).toBe(4);
      const err = r.json().error;
      expect(err.code).toBe('rules_limit');
      expect(err.message).toMatch(/25/);
      expect(err.message).toMatch(/"mapping": "token"/);
      expect(sb.since(mark).filter((l) => l.mutating)).toEqual([]);
    });
  }

  if (mapping === 'rules' && granularity === 'tenant') {
    // After the 26th-rule case: bravo's rule is the stack's one rule among 24 rules of other roles.
    it('a registry row whose AWS resources were deleted by hand is drift: list --deep exits 1 naming it registry-only', async () => {
      const apis = awsApis(sb.clients);
      const lockTable = `isoctl-${sb.config.stack}-lock`;
      // bravo's row says it was registered an hour ago (a younger row may be a create in progress).
      const row = await apis.registry.get(lockTable, 'tenant#bravo');
      expect(row).toMatchObject({ tenant: 'bravo', status: 'active', mode: 'rules' });
      const old = new Date(Date.now() - 3_600_000).toISOString();
      expect(await apis.registry.put(lockTable, 'tenant#bravo', { ...row!, updatedAt: old, version: row!.version + 1 }, { version: row!.version })).toBe(true);
      // Its role, its rule and its probe user go by hand.
      const roleName = `isoctl-${sb.config.stack}-bravo`;
      for (const p of await apis.iam.listRolePolicies(roleName)) await apis.iam.deleteRolePolicy(roleName, p);
      await apis.iam.deleteRole(roleName);
      const roles = await apis.cognitoIdentity.getIdentityPoolRoles(sb.config.identityPoolId);
      for (const [key, m] of Object.entries(roles.RoleMappings)) {
        const rest = (m.RulesConfiguration?.Rules ?? []).filter((r) => r.Value !== 'bravo');
        // A Rules mapping needs at least one rule (as on AWS): without one it is a Token mapping again.
        roles.RoleMappings[key] = rest.length > 0 ? { ...m, RulesConfiguration: { Rules: rest } } : { Type: 'Token', AmbiguousRoleResolution: 'Deny' };
      }
      await apis.cognitoIdentity.setIdentityPoolRoles(sb.config.identityPoolId, roles);
      expect(await apis.cognitoIdp.adminDeleteUser(sb.config.userPoolId, 'isoctl-probe-bravo')).toBe(true);
      await new Promise((r) => setTimeout(r, LAG.cognito + 100));
      const deep = await cli(['tenant', 'list', '--deep', '--json']);
      expect(deep.code, deep.stderr).toBe(1);
      expect(deep.json().registry).toMatchObject({ registryOnly: ['bravo'], awsOnly: [] });
      expect(deep.stderr).toMatch(/registry-only: bravo/);
      // The lifecycle commands say why they cannot act on it.
      const suspend = await cli(['tenant', 'suspend', 'bravo', '--json']);
      expect(suspend.code).toBe(3);
      expect(suspend.stderr).toMatch(/it has a registry row but no role: `isoctl tenant list --deep` shows the drift/);
    }, 120_000);
  }
});
