// init under a token or ABAC config when the identity pool's entry for the app client is Rules
// with rules (src/tenant/mapping-conflict.ts), as a subprocess against the sandbox:
//   - another writer's rules (Terraform, CDK, console: roles not under /isoctl/<stack>/): refused
//     with exit 4, mapping_conflict, a message naming the likely writer, that isoctl does not
//     overwrite rules it does not own, and the repair. Before, it spoke of "rules-mode tenants".
//   - isoctl's own rules (a rules-mode stack with a tenant, config switched to abac): refused as
//     before, "Delete the rules-mode tenants first".
// In both: nothing written (no mutating call, the pool's roles as they were).
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { awsApis } from '../../src/aws/apis.js';
import { mappingKeyOf } from '../../src/tenant/observe.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

let sb: TestSandbox | undefined;
afterEach(async () => {
  await sb?.stop();
  sb = undefined;
});
const cli = (s: TestSandbox, args: string[]): Promise<CliResult> =>
  runCli(['--sandbox', s.stateDir, '--config', s.configPath, ...args], { timeoutMs: 120_000 });

async function refusedWithNothingChanged(s: TestSandbox): Promise<{ message: string; writer?: string; rules?: number }> {
  const apis = awsApis(s.clients);
  const before = await apis.cognitoIdentity.getIdentityPoolRoles(s.config.identityPoolId);
  const mark = s.mark();
  const r = await cli(s, ['init', '--json']);
  expect(r.code, r.stderr).toBe(4);
  const error = r.json().error as { code: string; message: string; writer?: string; rules?: number };
  expect(error.code).toBe('mapping_conflict');
  expect(s.since(mark).filter((l) => l.mutating)).toEqual([]);
  expect(await apis.cognitoIdentity.getIdentityPoolRoles(s.config.identityPoolId)).toEqual(before);
  return error;
}

describe('init refuses a Rules entry under a token or ABAC config', () => {
  it(
    "another writer's rules (roles not under /isoctl/<stack>/): names the writer, will not overwrite them, says how to repair",
    { timeout: 180_000 },
    async () => {
      const s = (sb = await startTestSandbox({ stack: 'mcf', mapping: 'abac' }));
      const apis = awsApis(s.clients);
      // What a Terraform aws_cognito_identity_pool_roles_attachment with a mapping_rule writes, for
      // a role Terraform made (at the root path, like most; AWS refuses a rule for a missing role).
      const iam = new IAMClient({ region: s.region, endpoint: s.endpoint, credentials: s.credentials });
      await iam.send(
        new CreateRoleCommand({
          RoleName: 'terraform-acme',
          AssumeRolePolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { Federated: 'cognito-identity.amazonaws.com' },
                Action: 'sts:AssumeRoleWithWebIdentity',
                Condition: { StringEquals: { 'cognito-identity.amazonaws.com:aud': s.config.identityPoolId } },
              },
            ],
          }),
        }),
      );
      iam.destroy();
      const roles = await apis.cognitoIdentity.getIdentityPoolRoles(s.config.identityPoolId);
      roles.RoleMappings[mappingKeyOf(s.config)] = {
        Type: 'Rules',
        AmbiguousRoleResolution: 'Deny',
        RulesConfiguration: {
          Rules: [{ Claim: 'custom:tenant', MatchType: 'Equals', Value: 'acme', RoleArn: `arn:aws:iam::${s.accountId}:role/terraform-acme` }],
        },
      };
      await apis.cognitoIdentity.setIdentityPoolRoles(s.config.identityPoolId, roles);
      const error = await refusedWithNothingChanged(s);
      expect(error.message).toContain("none of them isoctl's (their roles are not under /isoctl/mcf/)");
      expect(error.message).toContain(`custom:tenant Equals "acme" -> arn:aws:iam::${s.accountId}:role/terraform-acme`);
      expect(error.message).toContain("Terraform's aws_cognito_identity_pool_roles_attachment");
      expect(error.message).toContain('isoctl will not overwrite rules it does not own; nothing was changed');
      expect(error.message).toMatch(/remove those rules .*or declare the entry as init writes it \(Type Token, AmbiguousRoleResolution Deny/);
      expect(error.message).toContain('then run isoctl init again with administrator credentials');
      expect(error.message).not.toContain('Delete the rules-mode tenants');
      expect(error).toMatchObject({ writer: 'foreign', rules: 1 });
    },
  );

  it("isoctl's own rules (a rules-mode stack with a tenant, config switched to abac): today's message", { timeout: 180_000 }, async () => {
    const s = (sb = await startTestSandbox({ stack: 'mcr', mapping: 'rules' }));
    expect((await cli(s, ['init', '--json'])).code).toBe(0);
    const made = await cli(s, ['tenant', 'create', 'acme', '--wait', 'none', '--json']);
    expect(made.code, made.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(s.configPath, 'utf8'));
    writeFileSync(s.configPath, JSON.stringify({ ...doc, mapping: 'abac' }, null, 2));
    const error = await refusedWithNothingChanged(s);
    expect(error.message).toBe(
      `the identity pool maps ${mappingKeyOf(s.config)} with 1 rule(s), but the config says "mapping": "abac"; switching would drop those rules. Delete the rules-mode tenants first, or keep "mapping": "rules".`,
    );
    expect(error).toMatchObject({ writer: 'isoctl', rules: 1 });
  });
});
