// IAM over awsQuery: the service's dispatch. The handlers live by responsibility: roles
// (iam-roles.ts), role policies (iam-role-policies.ts), managed policies and the account summary
// (iam-policies.ts), users and access keys (iam-users.ts), SimulatePrincipalPolicy (iam-simulate.ts). Writes are immediate for the writer's
// own conflict checks; role reads see the `iam` lag (iam-store.ts).
import { SandboxError, type Caller } from './contract.js';
import { IamKit, type Handler, type IamDeps } from './iam-kit.js';
import { policyHandlers } from './iam-policies.js';
import { rolePolicyHandlers } from './iam-role-policies.js';
import { roleHandlers } from './iam-roles.js';
import { simulateHandlers } from './iam-simulate.js';
import { userHandlers } from './iam-users.js';
import type { QueryParams, XmlObject } from './query.js';

export type { IamDeps } from './iam-kit.js';

export const IAM_NAMESPACE = 'https://iam.amazonaws.com/doc/2010-05-08/';

const MUTATING = /^(Create|Delete|Put|Update|Tag|Untag|Attach|Detach|Set|Add|Remove)/;

export class IamService {
  readonly namespace = IAM_NAMESPACE;
  private readonly handlers: Record<string, Handler>;

  constructor(private readonly d: IamDeps) {
    const kit = new IamKit(d);
    this.handlers = { ...roleHandlers(kit), ...rolePolicyHandlers(kit), ...policyHandlers(kit), ...userHandlers(kit), ...simulateHandlers(kit) };
  }

  knows(action: string): boolean {
    return Object.hasOwn(this.handlers, action);
  }

  isMutating(action: string): boolean {
    return MUTATING.test(action);
  }

  handle(action: string, params: QueryParams, caller: Caller): XmlObject | undefined {
    const h = this.handlers[action];
    if (!h) throw new SandboxError('InvalidAction', `Could not find operation ${action} for version 2010-05-08`);
    const result = h(params, caller);
    if (this.isMutating(action)) this.d.save();
    return result;
  }
}
