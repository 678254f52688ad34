// Control-plane enforcement for requests signed with an IAM user's access key: each check of
// request-context.ts is judged by the evaluator the data plane uses (src/policy/evaluate.ts)
// against the user's identity policies (inline and attached) and boundary. Every decision is
// appended to <stateDir>/control-plane.jsonl with the whole request, so a test can re-evaluate it
// with an independent evaluator. Admin keys and role sessions are not judged here.
import { appendFileSync } from 'node:fs';
import { accessDeniedMessage, evaluate as policyEvaluate } from '../../policy/index.js';
import type { ContextValue, EvalRequest, EvalResult } from '../../policy/types.js';
import { SandboxError, type Caller } from '../contract.js';
import { latest, managedPolicyDocument, tagsToRecord, userIdentityPolicies, type IamState } from '../iam-store.js';
import { deriveControlChecks, type ControlEnv, type ExistingEntity, type ResourceFacts } from './request-context.js';

type UserCaller = Extract<Caller, { kind: 'user' }>;

/** File name of the decision log inside the state dir. */
export const CONTROL_PLANE_LOG = 'control-plane.jsonl';

export interface ControlDecision {
  t: string;
  principal: string;
  service: string;
  operation: string;
  request: EvalRequest;
  decision: EvalResult['decision'];
}

export interface ControlPlaneDeps {
  accountId: string;
  region: string;
  iam: IamState;
  now(): number;
  /** Where decisions are logged (JSON lines); undefined: not logged. */
  logPath?: string | undefined;
  evaluate?: (req: EvalRequest) => EvalResult;
}

/** Facts about existing IAM entities as IAM itself knows them (the writer's view: no lag). */
export function iamFacts(state: IamState): ResourceFacts {
  return {
    role(name): ExistingEntity | undefined {
      const rec = state.roles[name.toLowerCase()];
      const core = latest(rec?.core);
      if (!rec || !core) return undefined;
      return { arn: core.arn, tags: tagsToRecord(latest(rec.tags)), boundary: latest(rec.boundary) };
    },
    user(name): ExistingEntity | undefined {
      const u = state.users?.[name.toLowerCase()];
      return u ? { arn: u.arn, tags: tagsToRecord(u.tags), boundary: u.boundary } : undefined;
    },
    policy(arn): ExistingEntity | undefined {
      const name = arn.slice(arn.lastIndexOf('/') + 1).toLowerCase();
      const meta = latest(state.policies[name]?.meta);
      return meta && meta.arn === arn ? { arn, tags: tagsToRecord(meta.tags) } : undefined;
    },
  };
}

export class ControlPlane {
  private readonly evaluate: (req: EvalRequest) => EvalResult;

  constructor(private readonly d: ControlPlaneDeps) {
    this.evaluate = d.evaluate ?? policyEvaluate;
  }

  /** The error AWS answers with, or undefined when every check is allowed. */
  authorize(
    service: string,
    operation: string,
    input: Record<string, unknown>,
    caller: UserCaller,
    protocol: 'query' | 'json' | 'rest-xml',
  ): SandboxError | undefined {
    const env: ControlEnv = { accountId: this.d.accountId, region: this.d.region, facts: iamFacts(this.d.iam) };
    const checks = deriveControlChecks(service, operation, input, env);
    if (checks.length === 0) return undefined;
    const user = this.d.iam.users?.[caller.userName.toLowerCase()];
    const identityPolicies = user ? userIdentityPolicies(this.d.iam, user) : [];
    const boundary =
      user?.boundary !== undefined ? (managedPolicyDocument(this.d.iam, user.boundary) ?? { Version: '2012-10-17' as const, Statement: [] }) : undefined;
    const global = this.principalContext(caller);
    for (const check of checks) {
      const request: EvalRequest = {
        action: check.action,
        resource: check.resource,
        context: { ...global, ...check.context },
        identityPolicies,
        ...(boundary ? { permissionsBoundary: boundary } : {}),
      };
      const result = this.evaluate(request);
      this.log({ t: new Date(this.d.now()).toISOString(), principal: caller.arn, service, operation, request, decision: result.decision });
      if (result.decision !== 'Allow') {
        // S3 quotes the resource in its same-account AccessDenied message (as src/sandbox/s3/authorize.ts does).
        const message = accessDeniedMessage(caller.arn, check.action, service === 's3' ? `"${check.resource}"` : check.resource, result);
        return protocol === 'json' ? new SandboxError('AccessDeniedException', message, 400) : new SandboxError('AccessDenied', message, 403);
      }
    }
    return undefined;
  }

  private principalContext(caller: UserCaller): Record<string, ContextValue> {
    return {
      'aws:PrincipalArn': caller.arn,
      'aws:PrincipalAccount': this.d.accountId,
      'aws:PrincipalType': 'User',
      'aws:username': caller.userName,
      'aws:userid': caller.userId,
    };
  }

  private log(decision: ControlDecision): void {
    if (this.d.logPath) appendFileSync(this.d.logPath, `${JSON.stringify(decision)}\n`);
  }
}
