// Living beside Terraform (#17): the AWS provider (a second, independent client of the sandbox)
// applies examples/terraform; isoctl reads its outputs, makes tenants, and neither undoes the
// other. A rules-mode stack whose Terraform also manages the role attachment is clobbered by
// `terraform apply`; doctor and `tenant list --deep` name it and `tenant create` repairs it. In
// token mode an attachment declared without the Token entry is flagged and only `init` with admin
// keys repairs it. After `apply --prune`, `teardown` and `terraform destroy`, the AWS CLI lists
// nothing of the stack's.
// Needs terraform (TERRAFORM or PATH) and the AWS provider in a local plugin mirror
// (TF_PLUGIN_DIR, default /opt/tf-plugins): without them this test FAILS, it never skips.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startSandbox } from '../../src/sandbox/server.js';
import { repoRoot, runCli, type CliResult } from '../helpers/cli.js';

const exec = promisify(execFile);
const TERRAFORM = process.env.TERRAFORM ?? 'terraform';
const PLUGIN_DIR = process.env.TF_PLUGIN_DIR ?? '/opt/tf-plugins';

let sb: Awaited<ReturnType<typeof startSandbox>>;
let work: string;
let tfEnv: NodeJS.ProcessEnv;

async function tf(dir: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(TERRAFORM, [...args, '-no-color', '-input=false'], { cwd: dir, env: tfEnv, maxBuffer: 32 * 1024 * 1024, timeout: 300_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}

async function stackDir(name: string, vars: Record<string, string>): Promise<string> {
  const dir = join(work, name);
  cpSync(join(repoRoot, 'examples', 'terraform'), dir, { recursive: true, filter: (p) => !p.includes('.terraform') && !p.endsWith('.tfstate') });
  writeFileSync(join(dir, 'terraform.tfvars.json'), JSON.stringify({ endpoint: sb.endpoint, region: sb.region, ...vars }));
  const init = await tf(dir, ['init', `-plugin-dir=${PLUGIN_DIR}`]);
  expect(init.code, init.stderr).toBe(0);
  return dir;
}

function isoctl(dir: string, args: string[], input?: string): Promise<CliResult> {
  return runCli(['--config', join(dir, 'isoctl.json'), '--endpoint-url', sb.endpoint, ...args], {
    timeoutMs: 120_000,
    input,
    env: { AWS_ACCESS_KEY_ID: sb.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: sb.credentials.secretAccessKey, AWS_REGION: sb.region },
  });
}

/**
 * Everything of a stack's that an independent client (the AWS CLI, botocore) lists with the admin
 * keys: roles, customer managed policies, tables, user pools and identity pools whose name or path
 * carries the stack (isoctl's under /isoctl/<stack>/ and isoctl-<stack>-*, Terraform's isoctl-<stack>*).
 */
async function leftovers(stack: string): Promise<string[]> {
  const aws = async (args: string[]) =>
    JSON.parse(
      (await exec('aws', [...args, '--endpoint-url', sb.endpoint, '--output', 'json'], { env: { ...tfEnv, AWS_DEFAULT_REGION: sb.region } })).stdout,
    ) as Record<string, Array<Record<string, string>>>;
  const [roles, policies, tables, userPools, idPools] = await Promise.all([
    aws(['iam', 'list-roles']),
    aws(['iam', 'list-policies', '--scope', 'Local']),
    aws(['dynamodb', 'list-tables']),
    aws(['cognito-idp', 'list-user-pools', '--max-results', '60']),
    aws(['cognito-identity', 'list-identity-pools', '--max-results', '60']),
  ]);
  const mine = new RegExp(`isoctl[-_/]${stack}\\b`);
  return [
    ...(roles.Roles ?? []).map((r) => `role ${r.Path}${r.RoleName}`),
    ...(policies.Policies ?? []).map((p) => `policy ${p.Path}${p.PolicyName}`),
    ...((tables.TableNames ?? []) as unknown as string[]).map((t) => `table ${t}`),
    ...(userPools.UserPools ?? []).map((p) => `user pool ${p.Name}`),
    ...(idPools.IdentityPools ?? []).map((p) => `identity pool ${p.IdentityPoolName}`),
  ].filter((x) => mine.test(x));
}

/** Why Terraform cannot run here: each test throws it, so a machine without Terraform shows failures, not skips. */
let missing: Error | undefined;

beforeAll(async () => {
  try {
    await setUp();
  } catch (err) {
    missing = err as Error;
  }
}, 120_000);

function needTerraform(): void {
  if (missing) throw missing;
}

async function setUp(): Promise<void> {
  const version = await exec(TERRAFORM, ['version']).catch((err: Error) => {
    throw new Error(`terraform is required by this test and was not found (${err.message}); install Terraform >= 1.5 or set TERRAFORM`);
  });
  expect(version.stdout).toMatch(/Terraform v1\./);
  if (!existsSync(join(PLUGIN_DIR, 'registry.terraform.io', 'hashicorp', 'aws')))
    throw new Error(
      `the AWS provider is required in a local plugin mirror at ${PLUGIN_DIR} (registry.terraform.io/hashicorp/aws/<version>/<os_arch>/); set TF_PLUGIN_DIR`,
    );
  work = mkdtempSync(join(tmpdir(), 'isoctl-tf-'));
  const rc = join(work, 'terraformrc');
  writeFileSync(rc, '');
  sb = await startSandbox({ stateDir: join(work, 'sandbox'), lag: {}, seed: 1, waitForAttached: false });
  tfEnv = {
    PATH: process.env.PATH,
    HOME: work,
    TF_CLI_CONFIG_FILE: rc,
    TF_IN_AUTOMATION: '1',
    CHECKPOINT_DISABLE: '1',
    TF_PLUGIN_CACHE_DIR: undefined,
    AWS_ACCESS_KEY_ID: sb.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: sb.credentials.secretAccessKey,
    AWS_REGION: sb.region,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

afterAll(async () => {
  await sb?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

// The two stacks are independent (own names, own Terraform dirs): run side by side, most of a
// terraform run is waiting on the provider's start-up and the sandbox.
describe.concurrent('Terraform and isoctl on one sandbox', () => {
  it('token mode: apply, from-terraform, init, 3 tenants, plan shows no changes; an attachment without the Token entry is flagged and init (admin) repairs it; apply --prune, teardown and destroy leave nothing behind', async () => {
    needTerraform();
    const dir = await stackDir('token', { stack: 'tft', mapping: 'token' });
    const applied = await tf(dir, ['apply', '-auto-approve']);
    expect(applied.code, applied.stderr).toBe(0);

    const from = await isoctl(dir, ['config', 'from-terraform', dir, '--json']);
    expect(from.code, from.stderr).toBe(0);
    const doc = from.json<{ status: string; config: { stack: string; userPoolId: string; identityPoolId: string; tables: Array<{ indexes: string[] }> } }>();
    expect(doc.status).toBe('created');
    expect(doc.config.stack).toBe('tft');
    expect(doc.config.tables[0]!.indexes).toEqual(['byTenantStatus']);
    expect((await isoctl(dir, ['config', 'from-terraform', dir, '--json'])).json<{ status: string }>().status).toBe('unchanged');

    const init = await isoctl(dir, ['init']);
    expect(init.code, init.stderr).toBe(0);
    const created = await isoctl(dir, ['tenant', 'create', 'acme', 'globex', 'initech', '--wait', 'data']);
    expect(created.code, created.stderr).toBe(0);

    // Terraform's role attachment declares exactly the entry init wrote: no fight.
    const plan = await tf(dir, ['plan', '-detailed-exitcode']);
    expect(plan.code, `${plan.stdout}\n${plan.stderr}`).toBe(0);
    const doctor = await isoctl(dir, ['doctor', '--json']);
    expect(doctor.json<{ findings: Array<{ check: string; status: string }> }>().findings.find((f) => f.check === 'clobber')?.status).toBe('ok');

    // Token-mode clobber: an attachment declared without isoctl's Token entry. Only init's admin
    // step writes that entry (the operator has no SetIdentityPoolRoles in token mode), so tenant
    // create cannot repair it; init with administrator credentials (these keys) does.
    const declared = readFileSync(join(dir, 'roles.tf'), 'utf8');
    const withoutEntry = declared.replace(/\n  role_mapping \{[^}]*\}\n/, '\n');
    expect(withoutEntry).not.toMatch(/role_mapping \{/);
    writeFileSync(join(dir, 'roles.tf'), withoutEntry);
    const clobbered = await tf(dir, ['apply', '-auto-approve']);
    expect(clobbered.code, clobbered.stderr).toBe(0);
    expect(clobbered.stdout).toMatch(/1 changed/);
    const flagged = await isoctl(dir, ['doctor', '--json']);
    expect(flagged.code).toBe(1);
    const f = flagged
      .json<{ findings: Array<{ check: string; status: string; message: string; fix?: { command?: string; action?: string } }> }>()
      .findings.find((x) => x.check === 'clobber')!;
    expect(f.status).toBe('problem');
    expect(f.message).toContain('acme, globex, initech');
    expect(f.fix?.command).toBe('isoctl init');
    expect(f.fix?.action).toMatch(/init with administrator credentials/);
    const listed = await isoctl(dir, ['tenant', 'list', '--deep', '--json']);
    expect(listed.json<{ clobber?: { tenants: string[]; command: string } }>().clobber).toMatchObject({
      tenants: ['acme', 'globex', 'initech'],
      command: 'isoctl init',
    });
    const notRepaired = await isoctl(dir, ['tenant', 'create', 'acme', '--wait', 'cognito']);
    expect(notRepaired.code).not.toBe(0);
    expect(notRepaired.stderr).toMatch(/isoctl init. with administrator credentials/);
    const repaired = await isoctl(dir, ['init', '--json']);
    expect(repaired.code, repaired.stderr).toBe(0);
    expect(repaired.json<{ steps: Array<{ action: string }> }>().steps.map((x) => x.action)).toEqual(['put-role-mapping']);
    const healed = await isoctl(dir, ['doctor', '--json']);
    expect(healed.json<{ findings: Array<{ check: string; status: string }> }>().findings.find((x) => x.check === 'clobber')?.status).toBe('ok');
    // Terraform would remove the entry again on its next apply: hence declaring the entry exactly
    // as init writes it (step 5: no changes) or ignore_changes = [role_mapping] (README).
    const again = await tf(dir, ['plan', '-detailed-exitcode']);
    expect(again.code, `${again.stdout}\n${again.stderr}`).toBe(2);
    expect(again.stdout).toMatch(/- role_mapping \{/);

    // Step 7: tenants pruned, isoctl's stack pieces torn down, then Terraform's: nothing is left.
    const pruned = await isoctl(dir, ['apply', '-f', '-', '--prune', '--yes'], JSON.stringify({ tenants: [] }));
    expect(pruned.code, pruned.stderr).toBe(0);
    const teardown = await isoctl(dir, ['teardown', '--yes', '--json']);
    expect(teardown.code, teardown.stderr).toBe(0);
    expect(teardown.json<{ items: Array<{ kind: string; state: string }> }>().items.map((i) => `${i.kind}:${i.state}`)).toEqual([
      'pool-mapping:removed',
      'lock-table:removed',
      'boundary:removed',
    ]);
    const destroyed = await tf(dir, ['destroy', '-auto-approve']);
    expect(destroyed.code, destroyed.stderr).toBe(0);
    expect(await leftovers('tft')).toEqual([]);
  }, 600_000);

  it('rules mode with Terraform managing the role attachment: terraform apply clobbers, doctor and tenant list --deep name it, tenant create repairs', async () => {
    needTerraform();
    const dir = await stackDir('rules', { stack: 'tfr', mapping: 'rules' });
    expect((await tf(dir, ['apply', '-auto-approve'])).code).toBe(0);
    expect((await isoctl(dir, ['config', 'from-terraform', dir])).code).toBe(0);
    expect((await isoctl(dir, ['init'])).code).toBe(0);
    const created = await isoctl(dir, ['tenant', 'create', 'acme', 'globex', '--wait', 'cognito']);
    expect(created.code, created.stderr).toBe(0);
    const clean = await isoctl(dir, ['doctor', '--json']);
    expect(clean.json<{ findings: Array<{ check: string; status: string }> }>().findings.find((f) => f.check === 'clobber')?.status).toBe('ok');

    // Terraform sees isoctl's rules as drift of its attachment and writes its own entry back.
    const reapply = await tf(dir, ['apply', '-auto-approve']);
    expect(reapply.code, reapply.stderr).toBe(0);
    expect(reapply.stdout).toMatch(/1 changed/);

    const doctor = await isoctl(dir, ['doctor', '--json']);
    expect(doctor.code).toBe(1);
    const f = doctor
      .json<{ findings: Array<{ check: string; status: string; message: string; fix?: { command?: string } }> }>()
      .findings.find((x) => x.check === 'clobber')!;
    expect(f.status).toBe('problem');
    expect(f.message).toContain('acme, globex');
    expect(f.message).toContain('aws_cognito_identity_pool_roles_attachment');
    expect(f.fix?.command).toBe('isoctl tenant create acme globex');

    const list = await isoctl(dir, ['tenant', 'list', '--deep', '--json']);
    const l = list.json<{ tenants: Array<{ tenant: string; status: string; drift: string[] }>; clobber?: { tenants: string[]; cause: string } }>();
    expect(l.clobber?.tenants).toEqual(['acme', 'globex']);
    expect(l.tenants.map((t) => `${t.tenant}:${t.status}:${t.drift.includes('mapping-removed')}`)).toEqual(['acme:drift:true', 'globex:drift:true']);

    const repaired = await isoctl(dir, ['tenant', 'create', 'acme', 'globex', '--wait', 'cognito']);
    expect(repaired.code, repaired.stderr).toBe(0);
    const after = await isoctl(dir, ['doctor', '--json']);
    expect(after.json<{ findings: Array<{ check: string; status: string }> }>().findings.find((x) => x.check === 'clobber')?.status).toBe('ok');
    expect(readdirSync(dir)).toContain('terraform.tfstate');
  }, 600_000);
});
