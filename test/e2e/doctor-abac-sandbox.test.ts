// `isoctl doctor` on an ABAC stack ("mapping": "abac"), the built CLI against the sandbox with the
// sandbox's admin keys. A stack as init leaves it is healthy (exit 0: before, doctor judged the
// shared scope roles `isoctl-<stack>-<scope>` as tenant roles and exited 1); each ABAC setting
// doctor checks is then broken by hand, doctor must flag it (exit 1, the finding with its fix),
// and the named fix must repair it. Also issue 17's clobber in ABAC mode: another writer removes
// the Token entry or rewrites the principal-tag map; doctor and `tenant list --deep` flag it and
// `init` (administrator credentials) repairs it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttachRolePolicyCommand, DetachRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { CognitoIdentityProviderClient, DescribeUserPoolClientCommand, UpdateUserPoolClientCommand } from '@aws-sdk/client-cognito-identity-provider';
import { CognitoIdentityClient, DescribeIdentityPoolCommand, UpdateIdentityPoolCommand } from '@aws-sdk/client-cognito-identity';
import { awsApis, type AwsApis } from '../../src/aws/apis.js';
import { cognitoProviderName } from '../../src/aws/cognito-identity.js';
import { buildScopeRoles, serializePolicy } from '../../src/policy/index.js';
import { mappingKeyOf } from '../../src/tenant/observe.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let sb: TestSandbox;
let apis: AwsApis;
let readRole: string;
let writeRole: string;

const cli = (args: string[]): Promise<CliResult> => runCli(['--sandbox', sb.stateDir, ...args], { timeoutMs: 60_000 });

interface Doc {
  healthy: boolean;
  findings: Array<{ check: string; status: string; message: string; fix?: { command?: string; action: string }; details?: Record<string, unknown> }>;
}

async function doctor(): Promise<{ code: number | null; doc: Doc }> {
  const r = await cli(['doctor', '--json']);
  return { code: r.code, doc: r.json() as Doc };
}
const problems = (doc: Doc) => doc.findings.filter((f) => f.status === 'problem').map((f) => f.check);
function finding(doc: Doc, check: string) {
  const f = doc.findings.find((x) => x.check === check);
  if (!f) throw new Error(`no ${check} finding in ${JSON.stringify(doc.findings.map((x) => x.check))}`);
  return f;
}
async function healthyAgain(): Promise<void> {
  const d = await doctor();
  expect(problems(d.doc)).toEqual([]);
  expect(d.code).toBe(0);
}
async function initRepairs(): Promise<void> {
  const r = await cli(['init']);
  expect(r.code, r.stderr).toBe(0);
  await healthyAgain();
}

beforeAll(async () => {
  sb = await startTestSandbox({ stack: 'dab', mapping: 'abac', granularity: 'tenant' });
  apis = awsApis(sb.clients);
  const init = await cli(['init']);
  expect(init.code, init.stderr).toBe(0);
  const c = await cli(['tenant', 'create', 'acme', '--wait', 'none']);
  expect(c.code, c.stderr).toBe(0);
  const specs = buildScopeRoles(sb.config);
  readRole = specs.find((s) => s.scope === 'read')?.roleName ?? specs[0]!.roleName;
  writeRole = specs.find((s) => s.roleName !== readRole)?.roleName ?? readRole;
}, 120_000);

afterAll(async () => {
  await sb?.stop();
});

describe('doctor on an ABAC stack (sandbox, admin keys)', () => {
  it('a stack as init leaves it: healthy, exit 0; the scope roles are judged as scope roles, with their headroom', async () => {
    const { code, doc } = await doctor();
    expect(problems(doc)).toEqual([]);
    expect(code).toBe(0);
    const checks = doc.findings.map((f) => `${f.check}:${f.status}`);
    for (const c of [
      'app-client:ok',
      'role-mapping:ok',
      'clobber:ok',
      'principal-tags:ok',
      'trust:ok',
      'scope-roles:ok',
      'policy-headroom:ok',
      'scope-groups:ok',
    ])
      expect(checks).toContain(c);
    expect(checks.some((c) => c.startsWith('tenant-policies'))).toBe(false);
    const headroom = finding(doc, 'policy-headroom');
    expect(headroom.message).toMatch(
      /^deny lists \(suspensions, revocations, tombstones\): 0 of \d+ characters .* room for about \d+ more tenant id\(s\) of 32 characters; inline policies of isoctl-dab-\w+: \d+ of 10240$/,
    );
    expect((headroom.details?.denyLists as { moreTenants: number }).moreTenants).toBeGreaterThan(100);
    const roles = headroom.details?.roles as Array<{ role: string; used: number; limit: number }>;
    expect(roles.map((r) => r.role).sort()).toEqual(
      buildScopeRoles(sb.config)
        .map((s) => s.roleName)
        .sort(),
    );
    expect(roles.every((r) => r.used > 100 && r.limit === 10_240)).toBe(true);
  });

  it('the data policy widened by hand: scope-roles, fixed by `isoctl init`', async () => {
    await apis.iam.putRolePolicy(
      readRole,
      'isoctl-data',
      serializePolicy({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: '*' }] }),
    );
    const { code, doc } = await doctor();
    expect(code).toBe(1);
    expect(problems(doc)).toEqual(['scope-roles']);
    expect(finding(doc, 'scope-roles').message).toMatch(/differs from the config's ABAC data policy/);
    expect(finding(doc, 'scope-roles').fix?.command).toBe('isoctl init');
    await initRepairs();
  });

  it("an extra inline policy and a foreign attached policy: scope-roles; isoctl's own tombstone policy is not flagged", async () => {
    await apis.iam.putRolePolicy(
      writeRole,
      'hand-made',
      serializePolicy({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }),
    );
    const iam = new IAMClient({ region: sb.region, endpoint: sb.endpoint, credentials: sb.credentials });
    const foreign = await apis.iam.createPolicy({
      name: 'wide',
      path: '/',
      document: serializePolicy({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' }] }),
      tags: {},
    });
    await iam.send(new AttachRolePolicyCommand({ RoleName: readRole, PolicyArn: foreign.arn }));
    const { code, doc } = await doctor();
    expect(code).toBe(1);
    expect(problems(doc)).toEqual(['scope-roles']);
    const f = finding(doc, 'scope-roles');
    expect(f.message).toMatch(/extra inline policy hand-made/);
    expect(f.message).toMatch(/attached managed policy arn:aws:iam::\d+:policy\/wide/);
    expect(f.fix?.action).toMatch(/Remove the extra inline and attached policies by hand/);
    await apis.iam.deleteRolePolicy(writeRole, 'hand-made');
    await iam.send(new DetachRolePolicyCommand({ RoleName: readRole, PolicyArn: foreign.arn }));
    // tenant delete leaves isoctl's tombstone policy on every scope role: still healthy.
    const del = await cli(['tenant', 'delete', 'acme', '--yes']);
    expect(del.code, del.stderr).toBe(0);
    expect(await apis.iam.listRolePolicies(readRole)).toContain('isoctl-tombstones');
    await healthyAgain();
    iam.destroy();
  });

  it("a suspended tenant (isoctl's own isoctl-suspensions deny list on every scope role): still healthy, the headroom shrinks", async () => {
    const before = (finding((await doctor()).doc, 'policy-headroom').details?.denyLists as { used: number; moreTenants: number }).used;
    const c = await cli(['tenant', 'create', 'initech', '--wait', 'none']);
    expect(c.code, c.stderr).toBe(0);
    const s = await cli(['tenant', 'suspend', 'initech', '--wait', 'none']);
    expect(s.code, s.stderr).toBe(0);
    expect(await apis.iam.listRolePolicies(readRole)).toContain('isoctl-suspensions');
    const { code, doc } = await doctor();
    expect(problems(doc)).toEqual([]);
    expect(code).toBe(0);
    const after = finding(doc, 'policy-headroom').details?.denyLists as { used: number };
    expect(after.used).toBeGreaterThan(before);
  });

  it('the trust widened (TagSession for any key, no tenant tag required): trust, repaired by the command doctor names', async () => {
    const role = await apis.iam.getRole(readRole);
    const want = serializePolicy(role!.trustPolicy as never);
    const loose = JSON.parse(want) as { Statement: Array<{ Condition?: Record<string, unknown> }> };
    const tagSession = loose.Statement[1]!;
    tagSession.Condition = { StringEquals: (tagSession.Condition as Record<string, unknown>).StringEquals };
    await apis.iam.updateAssumeRolePolicy(readRole, JSON.stringify(loose));
    const { code, doc } = await doctor();
    expect(code).toBe(1);
    expect(problems(doc)).toEqual(['trust']);
    const f = finding(doc, 'trust');
    expect(f.message).toMatch(new RegExp(`${readRole} \\(sts:TagSession is not limited to the keys isoctl-tenant`));
    // init refuses (trust_drift_needs_admin): the fix is the administrator's update-assume-role-policy with the document shown.
    expect((await cli(['init'])).code).toBe(4);
    const doc2 = /--policy-document '(.*)'$/.exec(f.fix!.command!)![1]!;
    expect(JSON.parse(doc2)).toEqual(JSON.parse(want));
    await apis.iam.updateAssumeRolePolicy(readRole, doc2);
    await healthyAgain();
  });

  it('the app client may write the tenant claim, or cannot read it: app-client problems', async () => {
    const idp = new CognitoIdentityProviderClient({ region: sb.region, endpoint: sb.endpoint, credentials: sb.credentials });
    const { UserPoolClient: before } = await idp.send(
      new DescribeUserPoolClientCommand({ UserPoolId: sb.config.userPoolId, ClientId: sb.config.userPoolClientId }),
    );
    const update = (over: Record<string, unknown>) =>
      idp.send(
        new UpdateUserPoolClientCommand({
          UserPoolId: sb.config.userPoolId,
          ClientId: sb.config.userPoolClientId,
          ExplicitAuthFlows: before!.ExplicitAuthFlows,
          ReadAttributes: before!.ReadAttributes,
          WriteAttributes: before!.WriteAttributes,
          ...over,
        }),
      );
    await update({ WriteAttributes: [...(before!.WriteAttributes ?? []), sb.config.tenantClaim] });
    let d = await doctor();
    expect(d.code).toBe(1);
    expect(problems(d.doc)).toEqual(['app-client']);
    expect(finding(d.doc, 'app-client').message).toMatch(/lets users write custom:tenant/);
    await update({ ReadAttributes: (before!.ReadAttributes ?? []).filter((a) => a !== sb.config.tenantClaim) });
    d = await doctor();
    expect(d.code).toBe(1);
    expect(problems(d.doc)).toEqual(['app-client']);
    expect(finding(d.doc, 'app-client').message).toMatch(/cannot read custom:tenant/);
    await update({});
    await healthyAgain();
    idp.destroy();
  });

  it('the basic (classic) flow turned on: identity-pool', async () => {
    const client = new CognitoIdentityClient({ region: sb.region, endpoint: sb.endpoint, credentials: sb.credentials });
    const pool = await client.send(new DescribeIdentityPoolCommand({ IdentityPoolId: sb.config.identityPoolId }));
    const { $metadata: _m, ...input } = pool;
    const set = (on: boolean) =>
      client.send(
        new UpdateIdentityPoolCommand({ ...input, IdentityPoolId: pool.IdentityPoolId!, IdentityPoolName: pool.IdentityPoolName!, AllowClassicFlow: on }),
      );
    await set(true);
    const { code, doc } = await doctor();
    expect(code).toBe(1);
    expect(problems(doc)).toEqual(['identity-pool']);
    expect(finding(doc, 'identity-pool').message).toMatch(/classic|basic/i);
    await set(false);
    await healthyAgain();
    client.destroy();
  });

  it('two scope groups with one precedence, one carrying the wrong role: scope-groups, fixed by `isoctl init`', async () => {
    const [a, b] = buildScopeRoles(sb.config);
    await apis.cognitoIdp.updateGroup(sb.config.userPoolId, {
      name: b!.roleName,
      roleArn: a!.arn,
      description: `managed by isoctl: stack=${sb.config.stack} scope=${b!.scope}`,
      precedence: a!.precedence,
    });
    const { code, doc } = await doctor();
    expect(code).toBe(1);
    expect(problems(doc)).toEqual(['scope-groups']);
    expect(finding(doc, 'scope-groups').message).toMatch(new RegExp(`share precedence ${a!.precedence}`));
    expect(finding(doc, 'scope-groups').message).toMatch(new RegExp(`group ${b!.roleName} carries ${a!.arn.replace(/[/]/g, '\\/')}`));
    await initRepairs();
  });
});

describe('clobber in ABAC mode (issue 17): another writer of the identity pool', () => {
  it('the Token entry removed (a Terraform roles attachment re-applied): role-mapping + clobber, list --deep flags it, admin init repairs', async () => {
    const c = await cli(['tenant', 'create', 'globex', '--wait', 'none']);
    expect(c.code, c.stderr).toBe(0);
    // What SetIdentityPoolRoles from aws_cognito_identity_pool_roles_attachment without a role_mapping block leaves.
    const roles = await apis.cognitoIdentity.getIdentityPoolRoles(sb.config.identityPoolId);
    delete roles.RoleMappings[mappingKeyOf(sb.config)];
    await apis.cognitoIdentity.setIdentityPoolRoles(sb.config.identityPoolId, roles);
    const { code, doc } = await doctor();
    expect(code).toBe(1);
    expect(problems(doc)).toEqual(['role-mapping', 'clobber']);
    const f = finding(doc, 'clobber');
    expect(f.message).toMatch(/every tenant of the stack is shut out: the identity pool shows no role mapping for/);
    expect(f.message).toMatch(/aws_cognito_identity_pool_roles_attachment/);
    expect(f.fix?.command).toBe('isoctl init');
    expect(f.fix?.action).toMatch(/administrator credentials/);
    const list = await cli(['tenant', 'list', '--deep', '--json']);
    expect(list.code).toBe(1);
    const l = list.json();
    expect(l.clobber.found).toMatch(/no role mapping for/);
    expect(l.tenants.find((t: { tenant: string }) => t.tenant === 'globex')).toMatchObject({ status: 'drift', drift: ['mapping-removed'] });
    const human = await cli(['tenant', 'list', '--deep']);
    expect(human.stdout + human.stderr).toMatch(
      /lost their identity-pool mapping entry or principal-tag map .*Likely cause: another writer of SetIdentityPoolRoles/s,
    );
    await initRepairs();
    const again = await cli(['tenant', 'list', '--deep', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json().clobber).toBeUndefined();
  });

  it('the principal-tag map rewritten (the tenant tag dropped): principal-tags + clobber naming the map writer, admin init repairs', async () => {
    await apis.cognitoIdentity.setPrincipalTagAttributeMap(sb.config.identityPoolId, cognitoProviderName(sb.region, sb.config.userPoolId), {
      useDefaults: false,
      principalTags: { username: 'sub' },
    });
    const { code, doc } = await doctor();
    expect(code).toBe(1);
    expect(problems(doc)).toEqual(['clobber', 'principal-tags']);
    expect(finding(doc, 'principal-tags').message).toMatch(/the scope roles' trust .* refuses every sign-in/);
    const f = finding(doc, 'clobber');
    expect(f.message).toMatch(/the principal-tag map \{"username":"sub"\}, not \{"isoctl-tenant":"custom:tenant"\}/);
    expect(f.message).toMatch(/SetPrincipalTagAttributeMap/);
    const list = await cli(['tenant', 'list', '--deep', '--json']);
    expect(list.code).toBe(1);
    expect(list.json().clobber.cause).toMatch(/principal-tag map/);
    await initRepairs();
  });
});
