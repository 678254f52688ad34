// `isoctl sandbox operator`: an IAM user in the sandbox whose only permissions are exactly the
// operator policy isoctl renders for the stack (`policy render --kind operator`), attached as a
// customer managed policy (AWS caps a user's inline policies at 2,048 characters; the operator
// policy is larger), and a fresh access key. Made through the AWS SDK with the sandbox's admin
// keys, as an administrator would on AWS. Re-running updates the policy (a new default version)
// and replaces the user's keys (a secret cannot be read back).
import { createAwsClients, type StaticCredentials } from '../aws/clients.js';
import type { StackConfig } from '../config/schema.js';
import { buildOperatorPolicy, serializePolicy } from '../policy/index.js';

export interface OperatorOptions {
  endpoint: string;
  region: string;
  /** The sandbox's admin keys. */
  credentials: StaticCredentials;
  config: StackConfig;
  userName: string;
}

export interface OperatorResult {
  userName: string;
  userArn: string;
  policyArn: string;
  policyVersion: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export function operatorPolicyName(stack: string): string {
  return `isoctl-${stack}-operator`;
}

export async function provisionOperator(opts: OperatorOptions): Promise<OperatorResult> {
  const clients = createAwsClients({ region: opts.region, endpoint: opts.endpoint, credentials: opts.credentials });
  try {
    const sdk = await import('@aws-sdk/client-iam');
    const iam = await clients.iam();
    const document = serializePolicy(buildOperatorPolicy(opts.config));
    const accountId = opts.config.accountId;
    const policyArn = `arn:aws:iam::${accountId}:policy/${operatorPolicyName(opts.config.stack)}`;

    let userArn: string;
    try {
      userArn = (await iam.send(new sdk.GetUserCommand({ UserName: opts.userName }))).User!.Arn!;
    } catch (err) {
      if ((err as Error).name !== 'NoSuchEntityException') throw err;
      userArn = (await iam.send(new sdk.CreateUserCommand({ UserName: opts.userName }))).User!.Arn!;
    }

    let policyVersion = 'v1';
    try {
      await iam.send(new sdk.GetPolicyCommand({ PolicyArn: policyArn }));
      const versions = (await iam.send(new sdk.ListPolicyVersionsCommand({ PolicyArn: policyArn }))).Versions ?? [];
      // Keep room for the new version: drop the oldest non-default one when at AWS's 5-version cap.
      const old = versions.filter((v) => !v.IsDefaultVersion);
      if (versions.length >= 5 && old.length > 0)
        await iam.send(new sdk.DeletePolicyVersionCommand({ PolicyArn: policyArn, VersionId: old[old.length - 1]!.VersionId! }));
      policyVersion = (await iam.send(new sdk.CreatePolicyVersionCommand({ PolicyArn: policyArn, PolicyDocument: document, SetAsDefault: true })))
        .PolicyVersion!.VersionId!;
    } catch (err) {
      if ((err as Error).name !== 'NoSuchEntityException') throw err;
      await iam.send(
        new sdk.CreatePolicyCommand({
          PolicyName: operatorPolicyName(opts.config.stack),
          PolicyDocument: document,
          Description: `isoctl operator policy of stack ${opts.config.stack}`,
        }),
      );
    }
    await iam.send(new sdk.AttachUserPolicyCommand({ UserName: opts.userName, PolicyArn: policyArn }));
    // Exactly the operator policy: nothing else attached, nothing inline.
    for (const p of (await iam.send(new sdk.ListAttachedUserPoliciesCommand({ UserName: opts.userName }))).AttachedPolicies ?? [])
      if (p.PolicyArn !== policyArn) await iam.send(new sdk.DetachUserPolicyCommand({ UserName: opts.userName, PolicyArn: p.PolicyArn! }));
    for (const name of (await iam.send(new sdk.ListUserPoliciesCommand({ UserName: opts.userName }))).PolicyNames ?? [])
      await iam.send(new sdk.DeleteUserPolicyCommand({ UserName: opts.userName, PolicyName: name }));

    for (const key of (await iam.send(new sdk.ListAccessKeysCommand({ UserName: opts.userName }))).AccessKeyMetadata ?? [])
      await iam.send(new sdk.DeleteAccessKeyCommand({ UserName: opts.userName, AccessKeyId: key.AccessKeyId! }));
    const key = (await iam.send(new sdk.CreateAccessKeyCommand({ UserName: opts.userName }))).AccessKey!;
    return { userName: opts.userName, userArn, policyArn, policyVersion, accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
  } finally {
    clients.destroy();
  }
}
