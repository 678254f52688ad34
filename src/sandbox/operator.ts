// `isoctl sandbox operator`: an IAM user in the sandbox whose only permissions are exactly the
// operator policy isoctl renders for the stack (`policy render --kind operator`), attached as a
// customer managed policy (AWS caps a user's inline policies at 2,048 characters; the operator
// policy is larger), or, when it exceeds a managed policy's 6,144 characters, as its numbered
// parts isoctl-<stack>-operator, isoctl-<stack>-operator-2, ..., and a fresh access key. Made through the AWS SDK with the sandbox's admin
// keys, as an administrator would on AWS. Re-running updates the policy (a new default version)
// and replaces the user's keys (a secret cannot be read back).
import { createAwsClients, type StaticCredentials } from '../aws/clients.js';
import type { StackConfig } from '../config/schema.js';
import { PolicyError } from '../policy/errors.js';
import { LIMITS, buildOperatorPolicyParts, operatorPolicyName as partName, policySize, serializePolicy } from '../policy/index.js';

export interface OperatorOptions {
  endpoint: string;
  region: string;
  /** The sandbox's admin keys. */
  credentials: StaticCredentials;
  config: StackConfig;
  userName: string;
}

export interface OperatorPolicyAttached {
  name: string;
  arn: string;
  version: string;
  chars: number;
}

export interface OperatorResult {
  userName: string;
  userArn: string;
  /** The first (or only) managed policy of the operator policy. */
  policyArn: string;
  policyVersion: string;
  /** Every managed policy attached: one when the operator policy fits 6,144 characters, else its parts in order. */
  policies: OperatorPolicyAttached[];
  accessKeyId: string;
  secretAccessKey: string;
}

export function operatorPolicyName(stack: string, part = 1): string {
  return partName(stack, part);
}

export async function provisionOperator(opts: OperatorOptions): Promise<OperatorResult> {
  // The operator policy as managed policies hold it (6,144 characters each): refused before any
  // write when a user could not carry all of its parts (IAM attaches 10 managed policies to a user).
  const parts = buildOperatorPolicyParts(opts.config);
  if (parts.length > LIMITS.managedPoliciesPerPrincipal)
    throw new PolicyError(
      `the operator policy of stack ${opts.config.stack} needs ${parts.length} managed policies; IAM attaches ${LIMITS.managedPoliciesPerPrincipal} to a user: nothing was changed`,
      'over-limit',
      'limit_exceeded',
      { parts: parts.length, max: LIMITS.managedPoliciesPerPrincipal },
    );
  const clients = createAwsClients({ region: opts.region, endpoint: opts.endpoint, credentials: opts.credentials });
  try {
    const sdk = await import('@aws-sdk/client-iam');
    const iam = await clients.iam();
    const accountId = opts.config.accountId;

    let userArn: string;
    try {
      userArn = (await iam.send(new sdk.GetUserCommand({ UserName: opts.userName }))).User!.Arn!;
    } catch (err) {
      if ((err as Error).name !== 'NoSuchEntityException') throw err;
      userArn = (await iam.send(new sdk.CreateUserCommand({ UserName: opts.userName }))).User!.Arn!;
    }

    const policies: OperatorPolicyAttached[] = [];
    for (const [i, part] of parts.entries()) {
      const name = operatorPolicyName(opts.config.stack, i + 1);
      const document = serializePolicy(part);
      const policyArn = `arn:aws:iam::${accountId}:policy/${name}`;
      let version = 'v1';
      try {
        await iam.send(new sdk.GetPolicyCommand({ PolicyArn: policyArn }));
        const versions = (await iam.send(new sdk.ListPolicyVersionsCommand({ PolicyArn: policyArn }))).Versions ?? [];
        // Keep room for the new version: drop the oldest non-default one when at AWS's 5-version cap.
        const old = versions.filter((v) => !v.IsDefaultVersion);
        if (versions.length >= 5 && old.length > 0)
          await iam.send(new sdk.DeletePolicyVersionCommand({ PolicyArn: policyArn, VersionId: old[old.length - 1]!.VersionId! }));
        version = (await iam.send(new sdk.CreatePolicyVersionCommand({ PolicyArn: policyArn, PolicyDocument: document, SetAsDefault: true }))).PolicyVersion!
          .VersionId!;
      } catch (err) {
        if ((err as Error).name !== 'NoSuchEntityException') throw err;
        await iam.send(
          new sdk.CreatePolicyCommand({
            PolicyName: name,
            PolicyDocument: document,
            Description:
              parts.length === 1
                ? `isoctl operator policy of stack ${opts.config.stack}`
                : `isoctl operator policy of stack ${opts.config.stack}, part ${i + 1} of ${parts.length}`,
          }),
        );
      }
      policies.push({ name, arn: policyArn, version, chars: policySize(document) });
    }
    const wanted = new Set(policies.map((p) => p.arn));
    // Exactly the operator policy: first off what is not part of it (a part left from a larger
    // config included), so the attachments below stay within the user's 10; nothing inline.
    for (const p of (await iam.send(new sdk.ListAttachedUserPoliciesCommand({ UserName: opts.userName }))).AttachedPolicies ?? [])
      if (!wanted.has(p.PolicyArn!)) await iam.send(new sdk.DetachUserPolicyCommand({ UserName: opts.userName, PolicyArn: p.PolicyArn! }));
    for (const p of policies) await iam.send(new sdk.AttachUserPolicyCommand({ UserName: opts.userName, PolicyArn: p.arn }));
    for (const name of (await iam.send(new sdk.ListUserPoliciesCommand({ UserName: opts.userName }))).PolicyNames ?? [])
      await iam.send(new sdk.DeleteUserPolicyCommand({ UserName: opts.userName, PolicyName: name }));

    for (const key of (await iam.send(new sdk.ListAccessKeysCommand({ UserName: opts.userName }))).AccessKeyMetadata ?? [])
      await iam.send(new sdk.DeleteAccessKeyCommand({ UserName: opts.userName, AccessKeyId: key.AccessKeyId! }));
    const key = (await iam.send(new sdk.CreateAccessKeyCommand({ UserName: opts.userName }))).AccessKey!;
    const first = policies[0]!;
    return {
      userName: opts.userName,
      userArn,
      policyArn: first.arn,
      policyVersion: first.version,
      policies,
      accessKeyId: key.AccessKeyId!,
      secretAccessKey: key.SecretAccessKey!,
    };
  } finally {
    clients.destroy();
  }
}
