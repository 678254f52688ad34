// The unit of a plan: one change to one AWS resource, with why it is needed. Plans are lists of
// these; the JSON of create and delete shows them as they are.
import type { PolicyDocument } from '../../policy/types.js';

export type StepAction =
  | 'create-role'
  | 'update-trust-policy'
  | 'put-permissions-boundary'
  | 'tag-role'
  | 'untag-role'
  | 'put-data-policy'
  | 'delete-inline-policy'
  | 'create-silo-table'
  | 'create-group'
  | 'update-group'
  | 'put-rule'
  | 'create-probe-user'
  | 'update-probe-attributes'
  | 'add-probe-to-group'
  | 'delete-group'
  | 'remove-rule'
  | 'delete-probe-user'
  | 'delete-role';

export type StepService = 'iam' | 'cognito-idp' | 'cognito-identity' | 'dynamodb';

export interface Step {
  action: StepAction;
  service: StepService;
  /** What the step changes: a role name, policy name, group, rule, user or table. */
  target: string;
  /** Why it is needed (what is missing or different). */
  reason: string;
  /** The exact document a create/put step sends. */
  document?: PolicyDocument | undefined;
  /** Tags, attributes or rule fields the step sends. */
  details?: Record<string, unknown> | undefined;
}
