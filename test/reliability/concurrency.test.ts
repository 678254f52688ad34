// Concurrency: many isoctl processes against one `isoctl sandbox serve` at the same time.
//   - 20 `tenant create` at once, token and rules mapping: all 20 present, complete, mapped and
//     registered, no rule lost (rules mode read-modify-writes the identity pool under the lock);
//   - `tenant create` racing `gc --apply`: gc removes old garbage but never the tenant a create is
//     making, including an old orphaned role that the create is adopting (mapping it again);
//   - two `init` at once: one boundary, one mapping entry, one lock table.
import { CreateRoleCommand, ListPoliciesCommand } from '@aws-sdk/client-iam';
import { DeleteGroupCommand } from '@aws-sdk/client-cognito-identity-provider';
import { GetIdentityPoolRolesCommand } from '@aws-sdk/client-cognito-identity';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliResult } from '../helpers/cli.js';
import { backdateRoles, diffState, knob, mutatingCalls, prng, serveSandbox, snapshot, startStack, type ServedSandbox } from './helpers.js';

const TENANTS = knob('ISOCTL_CONCURRENT_CREATES', 20);
const RACE_ROUNDS = knob('ISOCTL_GC_RACE_ROUNDS', 6);
const INIT_ROUNDS = knob('ISOCTL_INIT_RACE_ROUNDS', 3);
const notes: string[] = [];
afterAll(() => process.stdout.write(`\nconcurrency\n${notes.join('\n')}\n`));

const ids = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${String(i + 1).padStart(2, '0')}`);

describe.each(['token', 'rules'] as const)(`${TENANTS} tenant creates at once (%s mapping)`, (mapping) => {
  it('all present, complete and mapped; no rule lost; nothing else touched', async () => {
    const sb = await serveSandbox({ stack: 'conc', mapping });
    try {
      expect((await sb.cli(['init', '--json'])).code).toBe(0);
      const base = await snapshot(sb);
      const tenants = ids(TENANTS, 't');
      const started = Date.now();
      const results = await Promise.all(tenants.map((t) => sb.cli(['tenant', 'create', t, '--json'])));
      const wall = Date.now() - started;
      const failed = results.map((r, i) => [tenants[i], r] as const).filter(([, r]) => r.code !== 0);
      expect(failed.map(([t, r]) => `${t}: exit ${r.code} ${r.stderr.trim().split('\n').pop()}`)).toEqual([]);
      expect(results.every((r) => r.json().status === 'created')).toBe(true);
      expect(diffState(sb.config, base, tenants, await snapshot(sb))).toEqual([]);
      const list = await sb.cli(['tenant', 'list', '--json']);
      expect(list.json().counts).toEqual({ ok: TENANTS, drift: 0, orphan: 0, dangling: 0, propagating: 0 });
      // All registered (issue 12): one active row per tenant, written by its create (none filled from AWS), no drift.
      expect(list.json().registry).toMatchObject({ rows: TENANTS, filled: [], registryOnly: [], awsOnly: [] });
      expect(list.json().tenants.map((t: { lifecycle: string }) => t.lifecycle)).toEqual(tenants.map(() => 'active'));
      const log = sb.requests();
      const lockContention = log.filter((e) => e.service === 'dynamodb' && e.error === 'ConditionalCheckFailedException').length;
      const poolWrites = log.filter((e) => e.operation === 'SetIdentityPoolRoles').length;
      notes.push(`${mapping}: ${TENANTS} creates at once in ${wall} ms; SetIdentityPoolRoles ${poolWrites}, lock attempts refused ${lockContention}`);
      if (mapping === 'rules') expect(poolWrites).toBe(TENANTS + 1); // one per tenant, one by init
    } finally {
      await sb.stop();
    }
  }, 300_000);
});

describe('tenant create racing gc --apply', () => {
  it('gc removes old garbage, never a tenant in progress (new, or an old orphan being mapped again)', async () => {
    const sb0 = await serveSandbox({ stack: 'race', mapping: 'token' });
    const garbage = ids(RACE_ROUNDS, 'junk');
    const revive = ids(RACE_ROUNDS, 'old');
    const fresh = ids(RACE_ROUNDS, 'new');
    let sb: ServedSandbox | undefined;
    try {
      expect((await sb0.cli(['init', '--json'])).code).toBe(0);
      expect((await sb0.cli(['tenant', 'create', 'keep', '--json'])).code).toBe(0);
      // Old garbage: half-created roles (no inline policy, no mapping).
      const iam = await sb0.clients.iam();
      const trust = JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Federated: 'cognito-identity.amazonaws.com' }, Action: 'sts:AssumeRoleWithWebIdentity' }],
      });
      for (const t of garbage)
        await iam.send(
          new CreateRoleCommand({
            RoleName: `isoctl-race-${t}`,
            Path: '/isoctl/race/',
            AssumeRolePolicyDocument: trust,
            Tags: [
              { Key: 'isoctl:managed-by', Value: 'isoctl' },
              { Key: 'isoctl:stack', Value: 'race' },
              { Key: 'isoctl:tenant', Value: t },
            ],
          }),
        );
      // Old orphans: complete tenants whose group someone deleted; a `tenant create` maps them again.
      const idp = await sb0.clients.cognitoIdp();
      for (const t of revive) {
        expect((await sb0.cli(['tenant', 'create', t, '--json'])).code).toBe(0);
        await idp.send(new DeleteGroupCommand({ UserPoolId: sb0.config.userPoolId, GroupName: t }));
      }
      await sb0.stop({ keep: true });
      backdateRoles(
        sb0.stateDir,
        [...garbage, ...revive, 'keep'].map((t) => `isoctl-race-${t}`),
        2 * 3600_000,
      );
      sb = await serveSandbox({ stack: 'race', mapping: 'token', stateDir: sb0.stateDir });
      const plan = await sb.cli(['gc', '--json']);
      expect(
        plan
          .json()
          .items.filter((i: { kind: string }) => i.kind === 'role')
          .map((i: { tenant: string }) => i.tenant)
          .sort(),
      ).toEqual([...garbage, ...revive].sort());
      const base = await snapshot(sb);

      const rand = prng(7);
      const outcomes: string[] = [];
      for (let round = 0; round < RACE_ROUNDS; round++) {
        // gc starts up to 300 ms before or after the creates: its scan, its re-check and its
        // removals fall before, between or after the creates' reads and writes.
        const offset = Math.floor(rand() * 900) - 600;
        const after = (ms: number, f: () => Promise<CliResult>) => new Promise((r) => setTimeout(r, Math.max(0, ms))).then(f);
        const creates = Promise.all([
          after(-offset, () => sb!.cli(['tenant', 'create', revive[round]!, '--timeout', '20s', '--json'])),
          after(-offset, () => sb!.cli(['tenant', 'create', fresh[round]!, '--timeout', '20s', '--json'])),
        ]);
        const gc = after(offset, () => sb!.cli(['gc', '--apply', '--yes', '--json']));
        const [[old, young], g] = await Promise.all([creates, gc]);
        const items = g.code === 0 ? (g.json().items as Array<{ tenant: string; state: string; kind: string }>) : [];
        const theirs = items.filter((i) => i.tenant === revive[round] || i.tenant === fresh[round]);
        outcomes.push(
          `round ${round + 1} (gc ${offset >= 0 ? `${offset} ms after` : `${-offset} ms before`} the creates): create ${revive[round]} exit ${old.code}, create ${fresh[round]} exit ${young.code}, gc exit ${g.code}; gc items of them: ${theirs.map((i) => `${i.kind} ${i.tenant} ${i.state}`).join(', ') || 'none'}`,
        );
        expect(old.code, `${revive[round]}: ${old.stderr}`).toBe(0);
        expect(young.code, `${fresh[round]}: ${young.stderr}`).toBe(0);
        expect(g.code, g.stderr).toBe(0);
      }
      // Whatever the interleaving: every tenant a create made or mapped again is complete; the garbage is gone.
      const model = ['keep', ...revive, ...fresh];
      // The revived tenants kept their role unless gc removed it before their create read it (then create made a new one).
      const after = await snapshot(sb);
      for (const t of revive) if (after.roles[`isoctl-race-${t}`]?.roleId !== base.roles[`isoctl-race-${t}`]?.roleId) delete base.roles[`isoctl-race-${t}`];
      expect(diffState(sb.config, base, model, after)).toEqual([]);
      notes.push(...outcomes);
    } finally {
      await (sb ?? sb0).stop().catch(() => undefined);
    }
  }, 600_000);
});

describe.each(['token', 'rules'] as const)('two init at once (%s mapping)', (mapping) => {
  it(`one boundary, one mapping entry, one lock table (${INIT_ROUNDS} rounds)`, async () => {
    for (let round = 0; round < INIT_ROUNDS; round++) {
      const s = await startStack({ stack: 'twin', mapping });
      try {
        const mark = s.mark();
        const [a, b] = await Promise.all([s.cli(['init', '--json']), s.cli(['init', '--json'])]);
        expect(a.code, a.stderr).toBe(0);
        expect(b.code, b.stderr).toBe(0);
        const iam = await s.clients.iam();
        const policies = (await iam.send(new ListPoliciesCommand({ Scope: 'Local' }))).Policies ?? [];
        expect(policies.map((p) => p.Arn)).toEqual([`arn:aws:iam::${s.sb.accountId}:policy/isoctl/twin/isoctl-twin-boundary`]);
        expect(policies[0]?.DefaultVersionId).toBe('v1');
        const roles = await (await s.clients.cognitoIdentity()).send(new GetIdentityPoolRolesCommand({ IdentityPoolId: s.config.identityPoolId }));
        const key = `cognito-idp.${s.config.region}.amazonaws.com/${s.config.userPoolId}:${s.config.userPoolClientId}`;
        expect(Object.keys(roles.RoleMappings ?? {})).toEqual([key]);
        expect(roles.RoleMappings?.[key]).toEqual({ Type: 'Token', AmbiguousRoleResolution: 'Deny' });
        const tables = (await (await s.clients.dynamodb()).send(new ListTablesCommand({}))).TableNames ?? [];
        expect(tables.filter((t) => t === 'isoctl-twin-lock')).toHaveLength(1);
        const writes = mutatingCalls(s.since(mark))
          .filter((e) => e.status === 200)
          .map((e) => e.operation);
        expect(writes.filter((o) => o === 'CreatePolicy')).toHaveLength(1);
        expect(writes.filter((o) => o === 'CreatePolicyVersion')).toHaveLength(0);
        // A third init finds everything in place.
        const c = await s.cli(['init', '--json']);
        expect(c.json().status).toBe('unchanged');
        if (round === 0) notes.push(`${mapping}: two init at once -> statuses ${a.json().status} / ${b.json().status}; successful writes ${writes.join(', ')}`);
      } finally {
        await s.stop();
      }
    }
  }, 300_000);
});
