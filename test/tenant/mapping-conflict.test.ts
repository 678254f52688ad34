// init's refusal of a Rules entry under a token or ABAC config (src/tenant/mapping-conflict.ts):
// whose rules they are decides the message. The e2e (test/e2e/mapping-conflict-sandbox.test.ts)
// runs both pure cases through the CLI; here the mixed case and the exact wording.
import { describe, expect, it } from 'vitest';
import type { RoleMapping } from '../../src/aws/apis.js';
import { RefusedError } from '../../src/errors.js';
import { mappingConflict } from '../../src/tenant/mapping-conflict.js';
import { makeConfig } from '../policy/helpers.js';

const KEY = 'cognito-idp.eu-central-1.amazonaws.com/eu-central-1_AbC123:client123';
const rule = (value: string, roleArn: string) => ({ Claim: 'custom:tenant', MatchType: 'Equals' as const, Value: value, RoleArn: roleArn });
const entry = (...rules: ReturnType<typeof rule>[]): RoleMapping => ({ Type: 'Rules', AmbiguousRoleResolution: 'Deny', RulesConfiguration: { Rules: rules } });
const OURS = 'arn:aws:iam::123456789012:role/isoctl/prod/isoctl-prod-acme';
const THEIRS = 'arn:aws:iam::123456789012:role/terraform-globex';
// A role under another stack's path, or deeper under this one, is not this stack's either.
const OTHER_STACK = 'arn:aws:iam::123456789012:role/isoctl/other/isoctl-other-acme';

describe('mappingConflict', () => {
  const config = makeConfig({ mapping: 'abac' });

  it("isoctl's own rules: the rules-mode message, writer isoctl", () => {
    const e = mappingConflict(config, KEY, entry(rule('acme', OURS)));
    expect(e).toBeInstanceOf(RefusedError);
    expect(e).toMatchObject({ code: 'mapping_conflict', exitCode: 4, details: { writer: 'isoctl', rules: 1 } });
    expect(e.message).toBe(
      `the identity pool maps ${KEY} with 1 rule(s), but the config says "mapping": "abac"; switching would drop those rules. Delete the rules-mode tenants first, or keep "mapping": "rules".`,
    );
  });

  it("another writer's rules only: which ones, the likely writer, no overwrite, the repair", () => {
    const e = mappingConflict(config, KEY, entry(rule('globex', THEIRS), rule('acme', OTHER_STACK)));
    expect(e).toMatchObject({ code: 'mapping_conflict', details: { writer: 'foreign', rules: 2 } });
    expect(e.message).toContain(
      `with 2 rule(s), none of them isoctl's (their roles are not under /isoctl/prod/): custom:tenant Equals "globex" -> ${THEIRS}; custom:tenant Equals "acme" -> ${OTHER_STACK}.`,
    );
    expect(e.message).toContain("Terraform's aws_cognito_identity_pool_roles_attachment with a mapping_rule");
    expect(e.message).toContain('isoctl will not overwrite rules it does not own; nothing was changed.');
    expect(e.message).toContain('then run isoctl init again with administrator credentials.');
    expect(e.message).not.toContain('rules-mode tenants');
  });

  it("mixed: the foreign rules named, and isoctl's rules-mode tenants too", () => {
    const e = mappingConflict(config, KEY, entry(rule('acme', OURS), rule('globex', THEIRS)));
    expect(e).toMatchObject({ details: { writer: 'foreign', rules: 2, foreignRules: [rule('globex', THEIRS)] } });
    expect(e.message).toContain(
      `with 2 rule(s), 1 of them not isoctl's (their roles are not under /isoctl/prod/): custom:tenant Equals "globex" -> ${THEIRS}.`,
    );
    expect(e.message).toMatch(/The other 1 rule\(s\) are isoctl's rules-mode tenants': delete those tenants first, or keep "mapping": "rules"\.$/);
  });
});
