// `tenant create` in rules mode on a sandbox whose Cognito sees new IAM roles late: the rule's
// SetIdentityPoolRoles is refused ("Access to Role '<arn>' is forbidden.", AWS's answer right after
// CreateRole), isoctl classifies that as still propagating, retries, and converges. The real CLI
// against the sandbox, as a user runs it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyAwsError } from '../../../src/aws/errors.js';
import { tenantRoleArn } from '../../../src/policy/index.js';
import { runCli } from '../../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../../helpers/sandbox.js';

const LAG = { iam: 200, cognito: 1500, dynamodb: 200 };

describe('SetIdentityPoolRoles under the IAM lag', () => {
  it('classifies the refusal of a role Cognito cannot see yet as still propagating, and nothing else of that family', () => {
    const err = (name: string, message: string) => Object.assign(new Error(message), { name });
    expect(classifyAwsError(err('NotAuthorizedException', "Access to Role 'arn:aws:iam::000000000000:role/isoctl/s/isoctl-s-acme' is forbidden."))).toBe(
      'still-propagating',
    );
    expect(classifyAwsError(err('NotAuthorizedException', "Access to Identity 'us-east-1:1' is forbidden."))).toBe('access-denied');
    expect(classifyAwsError(err('NotAuthorizedException', 'A client attempted to write unauthorized attribute'))).toBe('access-denied');
  });

  describe('tenant create, rules mapping', () => {
    let sb: TestSandbox;
    beforeAll(async () => {
      sb = await startTestSandbox({ stack: 'rlag', mapping: 'rules', lag: LAG });
    });
    afterAll(async () => {
      await sb?.stop();
    });

    it('converges: the refused write is retried until Cognito sees the role, then the rule maps the claim to it', async () => {
      const cli = (args: string[]) => runCli(['--sandbox', sb.stateDir, ...args], { timeoutMs: 90_000 });
      const init = await cli(['init', '--json']);
      expect(init.code, init.stderr).toBe(0);
      const mark = sb.mark();
      const created = await cli(['tenant', 'create', 'acme', '--wait', 'iam', '--json']);
      expect(created.code, created.stderr).toBe(0);
      const writes = sb.since(mark).filter((l) => l.operation === 'SetIdentityPoolRoles');
      // At least one refusal while the role was new to Cognito, then the write that went through.
      expect(writes.filter((l) => l.error === 'NotAuthorizedException').length).toBeGreaterThanOrEqual(1);
      expect(writes.at(-1)!.error).toBeUndefined();
      const roles = await (await import('../../../src/aws/apis.js')).awsApis(sb.clients).cognitoIdentity.getIdentityPoolRoles(sb.config.identityPoolId);
      const rules = Object.values(roles.RoleMappings)[0]?.RulesConfiguration?.Rules ?? [];
      expect(rules).toContainEqual({ Claim: 'custom:tenant', MatchType: 'Equals', Value: 'acme', RoleArn: tenantRoleArn(sb.config, 'acme') });
    });
  });
});
