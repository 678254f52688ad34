// What IAM sees of DynamoDB transactions and PartiQL. Pure.
//
// Transactions are authorised per item as the per-item actions, with the item's own condition keys:
// "Permissions for Put, Update, Delete, and Get actions are governed by the permissions used for the
// underlying PutItem, UpdateItem, DeleteItem, and GetItem operations. For the ConditionCheck action,
// you can use the dynamodb:ConditionCheckItem permission"
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html).
// Inside a transaction the per-item actions carry dynamodb:EnclosingOperation (the transaction's
// API name), which the Service Authorization Reference lists for GetItem/PutItem/UpdateItem/
// DeleteItem and the PartiQL actions, and not for ConditionCheckItem.
//
// PartiQL statements are authorised as dynamodb:PartiQLSelect/Insert/Update/Delete on the table
// (or index, for SELECT) (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ql-iam.html),
// with dynamodb:LeadingKeys and dynamodb:Attributes (all four), dynamodb:FullTableScan and
// dynamodb:Select (PartiQLSelect) and dynamodb:ReturnValues (Update/Delete), as the Service
// Authorization Reference lists them
// (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html).
import type { ContextValue } from '../types.js';
import { itemOp, keyValueString, tableArn, type AuthorizationCheck, type DeriveEnv } from './context-keys.js';
import { parsePartiQL, partiqlAction, type AttributeValue, type PartiQLStatement } from './partiql.js';
import { topLevelAttributes } from './expressions.js';

type Json = Record<string, unknown>;

function obj(v: unknown): Json | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
}

function withTopLevel(check: AuthorizationCheck, input: Json, enclosing: string | undefined): AuthorizationCheck {
  const context: Record<string, ContextValue> = { ...check.context };
  context['dynamodb:ReturnConsumedCapacity'] = typeof input.ReturnConsumedCapacity === 'string' ? input.ReturnConsumedCapacity : 'NONE';
  if (enclosing !== undefined) context['dynamodb:EnclosingOperation'] = enclosing;
  return { ...check, context };
}

/** TransactWriteItems: Put -> PutItem, Update -> UpdateItem, Delete -> DeleteItem, ConditionCheck -> ConditionCheckItem. */
export function transactWriteChecks(input: Json, env: DeriveEnv): AuthorizationCheck[] {
  const items = Array.isArray(input.TransactItems) ? input.TransactItems : [];
  const checks: AuthorizationCheck[] = [];
  for (const raw of items) {
    const item = obj(raw) ?? {};
    if (obj(item.Put)) checks.push(withTopLevel(itemOp('dynamodb:PutItem', obj(item.Put)!, env, 'Item'), input, 'TransactWriteItems'));
    else if (obj(item.Update)) checks.push(withTopLevel(itemOp('dynamodb:UpdateItem', obj(item.Update)!, env, 'Key'), input, 'TransactWriteItems'));
    else if (obj(item.Delete)) checks.push(withTopLevel(itemOp('dynamodb:DeleteItem', obj(item.Delete)!, env, 'Key'), input, 'TransactWriteItems'));
    else if (obj(item.ConditionCheck)) checks.push(withTopLevel(itemOp('dynamodb:ConditionCheckItem', obj(item.ConditionCheck)!, env, 'Key'), input, undefined));
  }
  return checks;
}

/** TransactGetItems: each Get as GetItem. */
export function transactGetChecks(input: Json, env: DeriveEnv): AuthorizationCheck[] {
  const items = Array.isArray(input.TransactItems) ? input.TransactItems : [];
  return items.flatMap((raw) => {
    const get = obj(obj(raw)?.Get);
    return get ? [withTopLevel(itemOp('dynamodb:GetItem', get, env, 'Key'), input, 'TransactGetItems')] : [];
  });
}

/** The condition keys of one parsed PartiQL statement. */
export function partiqlCheck(s: PartiQLStatement, env: DeriveEnv, enclosing: string | undefined): AuthorizationCheck {
  const keys = env.keysOf(s.table);
  const index = s.kind === 'select' ? s.index : undefined;
  const partitionKey = keys ? (index === undefined ? keys.partitionKey : keys.indexes[index]?.partitionKey) : undefined;
  const context: Record<string, ContextValue> = {};
  const attributes = new Set<string>();
  const leading = new Set<string>();
  const pin = (attribute: string, value: AttributeValue) => {
    if (attribute === partitionKey) {
      const v = keyValueString(value);
      if (v !== undefined) leading.add(v);
    }
  };
  switch (s.kind) {
    case 'select':
      if (s.projection !== '*') s.projection.forEach((a) => attributes.add(a));
      for (const w of s.where) {
        attributes.add(w.attribute);
        pin(w.attribute, w.value);
      }
      context['dynamodb:FullTableScan'] = leading.size === 0;
      context['dynamodb:Select'] = s.projection !== '*' ? 'SPECIFIC_ATTRIBUTES' : index !== undefined ? 'ALL_PROJECTED_ATTRIBUTES' : 'ALL_ATTRIBUTES';
      break;
    case 'insert':
      for (const [a, v] of Object.entries(s.item)) {
        attributes.add(a);
        pin(a, v);
      }
      break;
    case 'update':
    case 'delete':
      if (s.kind === 'update') {
        s.set.forEach((x) => attributes.add(x.attribute));
        s.remove.forEach((a) => attributes.add(a));
      }
      for (const w of s.where) {
        attributes.add(w.attribute);
        pin(w.attribute, w.value);
      }
      context['dynamodb:ReturnValues'] = 'NONE';
      break;
  }
  if (leading.size) context['dynamodb:LeadingKeys'] = [...leading];
  if (attributes.size) context['dynamodb:Attributes'] = [...attributes];
  if (enclosing !== undefined) context['dynamodb:EnclosingOperation'] = enclosing;
  return { action: partiqlAction(s), resource: tableArn(env, s.table, index), table: s.table, context };
}

/** The statements of an ExecuteStatement / BatchExecuteStatement / ExecuteTransaction request, parsed. */
export function statementsOf(operation: string, input: Json): PartiQLStatement[] {
  const one = (x: Json) => parsePartiQL(typeof x.Statement === 'string' ? x.Statement : '', Array.isArray(x.Parameters) ? (x.Parameters as AttributeValue[]) : []);
  if (operation === 'ExecuteStatement') return [one(input)];
  const list = operation === 'BatchExecuteStatement' ? input.Statements : input.TransactStatements;
  return (Array.isArray(list) ? list : []).map((x) => one(obj(x) ?? {}));
}

export function executeStatementChecks(operation: string, input: Json, env: DeriveEnv): AuthorizationCheck[] {
  const enclosing = operation === 'ExecuteTransaction' ? 'ExecuteTransaction' : undefined;
  return statementsOf(operation, input).map((s) => partiqlCheck(s, env, enclosing));
}

/** Attributes a condition expression names (for callers outside this module). */
export function conditionAttributes(expression: string, names?: Record<string, string>): string[] {
  return topLevelAttributes(expression, names);
}
