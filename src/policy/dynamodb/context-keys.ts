// What IAM sees of a DynamoDB request: for each authorisation the request needs, the action,
// the resource ARN and the condition keys DynamoDB derives from the request
// (dynamodb:LeadingKeys, dynamodb:Attributes, dynamodb:Select, dynamodb:ReturnValues,
// dynamodb:ReturnConsumedCapacity). Pure: the caller supplies the tables' key schemas.
import type { ContextValue } from '../types.js';
import { partitionKeyPlaceholders, topLevelAttributes } from './expressions.js';
import { parsePartiQL, partiqlAction, type AttributeValue, type PartiQLStatement } from './partiql.js';

export interface KeyPair {
  partitionKey: string;
  sortKey?: string | undefined;
}

export interface TableKeys extends KeyPair {
  /** Secondary indexes (global and local) by name. */
  indexes: Record<string, KeyPair>;
}

export interface DeriveEnv {
  region: string;
  accountId: string;
  /** The key schema of `table`, or undefined when the table does not exist (keys that need it are then left out). */
  keysOf(table: string): TableKeys | undefined;
}

export interface AuthorizationCheck {
  /** e.g. "dynamodb:Query" */
  action: string;
  /** e.g. arn:aws:dynamodb:eu-central-1:123456789012:table/AgentsTable[/index/ByDate] */
  resource: string;
  /** Table the check is about (undefined for ListTables). */
  table: string | undefined;
  /** Request-derived condition keys only; principal keys are added by the authoriser. */
  context: Record<string, ContextValue>;
}

type Json = Record<string, unknown>;

export function tableArn(env: Pick<DeriveEnv, 'region' | 'accountId'>, table: string, index?: string): string {
  const base = `arn:aws:dynamodb:${env.region}:${env.accountId}:table/${table}`;
  return index === undefined ? base : `${base}/index/${index}`;
}

function obj(v: unknown): Json | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function names(input: Json): Record<string, string> | undefined {
  return obj(input.ExpressionAttributeNames) as Record<string, string> | undefined;
}

/** The string IAM compares for a key value: S as is, N as its digits, B as its base64 text. */
export function keyValueString(value: unknown): string | undefined {
  const v = obj(value);
  if (!v) return undefined;
  for (const type of ['S', 'N', 'B'] as const) {
    const x = v[type];
    if (typeof x === 'string') return x;
    if (type === 'B' && x instanceof Uint8Array) return Buffer.from(x).toString('base64');
  }
  return undefined;
}

/** Collects distinct strings in order; an empty collection means the key is absent from the request. */
class OrderedSet {
  private readonly items = new Set<string>();
  add(...values: Array<string | undefined>): void {
    for (const v of values) if (v !== undefined) this.items.add(v);
  }
  addAll(values: Iterable<string>): void {
    for (const v of values) this.items.add(v);
  }
  value(): string[] | undefined {
    return this.items.size ? [...this.items] : undefined;
  }
}

function expressionAttributes(input: Json, out: OrderedSet, ...fields: string[]): void {
  for (const field of fields) {
    const expr = str(input[field]);
    if (expr !== undefined && expr.trim() !== '') out.addAll(topLevelAttributes(expr, names(input)));
  }
}

function mapKeys(value: unknown, out: OrderedSet): void {
  const m = obj(value);
  if (m) out.addAll(Object.keys(m));
}

function listStrings(value: unknown, out: OrderedSet): void {
  if (Array.isArray(value)) for (const v of value) out.add(str(v));
}

function hasProjection(input: Json): boolean {
  return (str(input.ProjectionExpression) ?? '').trim() !== '' || (Array.isArray(input.AttributesToGet) && input.AttributesToGet.length > 0);
}

/** dynamodb:Select as AWS defaults it: explicit Select, else SPECIFIC_ATTRIBUTES with a projection, else everything. */
function selectOf(input: Json, onIndex: boolean): string {
  const explicit = str(input.Select);
  if (explicit) return explicit;
  if (hasProjection(input)) return 'SPECIFIC_ATTRIBUTES';
  return onIndex ? 'ALL_PROJECTED_ATTRIBUTES' : 'ALL_ATTRIBUTES';
}

function put(context: Record<string, ContextValue>, key: string, value: ContextValue | undefined): void {
  if (value !== undefined) context[key] = value;
}

function common(input: Json, context: Record<string, ContextValue>): void {
  put(context, 'dynamodb:ReturnConsumedCapacity', str(input.ReturnConsumedCapacity) ?? 'NONE');
}

/** Partition-key values of a Query: KeyConditionExpression (with :values) or legacy KeyConditions EQ. */
function queryLeadingKeys(input: Json, partitionKey: string): OrderedSet {
  const out = new OrderedSet();
  const expr = str(input.KeyConditionExpression);
  const values = obj(input.ExpressionAttributeValues) ?? {};
  if (expr !== undefined) {
    for (const placeholder of partitionKeyPlaceholders(expr, partitionKey, names(input))) out.add(keyValueString(values[placeholder]));
  }
  const legacy = obj(obj(input.KeyConditions)?.[partitionKey]);
  if (legacy && legacy.ComparisonOperator === 'EQ' && Array.isArray(legacy.AttributeValueList)) {
    out.add(keyValueString(legacy.AttributeValueList[0]));
  }
  return out;
}

export function itemOp(action: string, input: Json, env: DeriveEnv, itemField: 'Key' | 'Item'): AuthorizationCheck {
  const table = str(input.TableName) ?? '';
  const keys = env.keysOf(table);
  const item = obj(input[itemField]);
  const context: Record<string, ContextValue> = {};
  if (keys && item) put(context, 'dynamodb:LeadingKeys', leading(item, keys.partitionKey));
  const attributes = new OrderedSet();
  mapKeys(item, attributes);
  expressionAttributes(input, attributes, 'ProjectionExpression', 'UpdateExpression', 'ConditionExpression');
  listStrings(input.AttributesToGet, attributes);
  mapKeys(input.AttributeUpdates, attributes);
  mapKeys(input.Expected, attributes);
  put(context, 'dynamodb:Attributes', attributes.value());
  if (action === 'dynamodb:GetItem') put(context, 'dynamodb:Select', selectOf(input, false));
  else put(context, 'dynamodb:ReturnValues', str(input.ReturnValues) ?? 'NONE');
  // ReturnValuesOnConditionCheckFailure has no condition key of its own (the Service Authorization
  // Reference lists none), and dynamodb:ReturnValues reflects only ReturnValues.
  common(input, context);
  return { action, resource: tableArn(env, table), table, context };
}

function leading(item: Json, partitionKey: string): string[] | undefined {
  const v = keyValueString(item[partitionKey]);
  return v === undefined ? undefined : [v];
}

function readMany(action: string, input: Json, env: DeriveEnv, isQuery: boolean): AuthorizationCheck {
  const table = str(input.TableName) ?? '';
  const index = str(input.IndexName);
  const keys = env.keysOf(table);
  const context: Record<string, ContextValue> = {};
  if (isQuery && keys) {
    const partitionKey = index === undefined ? keys.partitionKey : keys.indexes[index]?.partitionKey;
    if (partitionKey !== undefined) put(context, 'dynamodb:LeadingKeys', queryLeadingKeys(input, partitionKey).value());
  }
  const attributes = new OrderedSet();
  expressionAttributes(input, attributes, 'KeyConditionExpression', 'ProjectionExpression', 'FilterExpression');
  mapKeys(input.KeyConditions, attributes);
  listStrings(input.AttributesToGet, attributes);
  mapKeys(input.QueryFilter, attributes);
  mapKeys(input.ScanFilter, attributes);
  put(context, 'dynamodb:Attributes', attributes.value());
  put(context, 'dynamodb:Select', selectOf(input, index !== undefined));
  common(input, context);
  return { action, resource: tableArn(env, table, index), table, context };
}

function batchGet(input: Json, env: DeriveEnv): AuthorizationCheck[] {
  const requestItems = obj(input.RequestItems) ?? {};
  return Object.entries(requestItems).map(([table, raw]) => {
    const request = obj(raw) ?? {};
    const keys = env.keysOf(table);
    const leadingKeys = new OrderedSet();
    const attributes = new OrderedSet();
    for (const k of Array.isArray(request.Keys) ? request.Keys : []) {
      const key = obj(k);
      if (!key) continue;
      if (keys) leadingKeys.add(keyValueString(key[keys.partitionKey]));
      attributes.addAll(Object.keys(key));
    }
    expressionAttributes(request, attributes, 'ProjectionExpression');
    listStrings(request.AttributesToGet, attributes);
    const context: Record<string, ContextValue> = {};
    put(context, 'dynamodb:LeadingKeys', leadingKeys.value());
    put(context, 'dynamodb:Attributes', attributes.value());
    put(context, 'dynamodb:Select', selectOf(request, false));
    common(input, context);
    return { action: 'dynamodb:BatchGetItem', resource: tableArn(env, table), table, context };
  });
}

function batchWrite(input: Json, env: DeriveEnv): AuthorizationCheck[] {
  const requestItems = obj(input.RequestItems) ?? {};
  return Object.entries(requestItems).map(([table, raw]) => {
    const keys = env.keysOf(table);
    const leadingKeys = new OrderedSet();
    const attributes = new OrderedSet();
    for (const r of Array.isArray(raw) ? raw : []) {
      const request = obj(r);
      const item = obj(obj(request?.PutRequest)?.Item) ?? obj(obj(request?.DeleteRequest)?.Key);
      if (!item) continue;
      if (keys) leadingKeys.add(keyValueString(item[keys.partitionKey]));
      attributes.addAll(Object.keys(item));
    }
    const context: Record<string, ContextValue> = {};
    put(context, 'dynamodb:LeadingKeys', leadingKeys.value());
    put(context, 'dynamodb:Attributes', attributes.value());
    common(input, context);
    return { action: 'dynamodb:BatchWriteItem', resource: tableArn(env, table), table, context };
  });
}

function tableLevel(action: string, input: Json, env: DeriveEnv): AuthorizationCheck {
  const table = str(input.TableName) ?? '';
  return { action, resource: tableArn(env, table), table, context: {} };
}

/** The authorisations `operation` needs; a request is allowed only when every one of them is. */
export function deriveChecks(operation: string, input: Json, env: DeriveEnv): AuthorizationCheck[] {
  const action = `dynamodb:${operation}`;
  switch (operation) {
    case 'GetItem':
    case 'UpdateItem':
    case 'DeleteItem':
      return [itemOp(action, input, env, 'Key')];
    case 'PutItem':
      return [itemOp(action, input, env, 'Item')];
    case 'Query':
      return [readMany(action, input, env, true)];
    case 'Scan':
      return [readMany(action, input, env, false)];
    case 'BatchGetItem':
      return batchGet(input, env);
    case 'BatchWriteItem':
      return batchWrite(input, env);
    case 'TransactWriteItems':
      return transactWriteChecks(input, env);
    case 'TransactGetItems':
      return transactGetChecks(input, env);
    case 'ExecuteStatement':
    case 'BatchExecuteStatement':
    case 'ExecuteTransaction':
      return executeStatementChecks(operation, input, env);
    case 'ListTables':
      return [{ action, resource: tableArn(env, '*'), table: undefined, context: {} }];
    case 'TagResource':
    case 'UntagResource':
    case 'ListTagsOfResource': {
      const arn = str(input.ResourceArn) ?? '';
      return [{ action, resource: arn, table: arn.split('/')[1], context: {} }];
    }
    default:
      return [tableLevel(action, input, env)];
  }
}

// ---- Transactions and PartiQL ----
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
    else if (obj(item.ConditionCheck))
      checks.push(withTopLevel(itemOp('dynamodb:ConditionCheckItem', obj(item.ConditionCheck)!, env, 'Key'), input, undefined));
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
  const one = (x: Json) =>
    parsePartiQL(typeof x.Statement === 'string' ? x.Statement : '', Array.isArray(x.Parameters) ? (x.Parameters as AttributeValue[]) : []);
  if (operation === 'ExecuteStatement') return [one(input)];
  const list = operation === 'BatchExecuteStatement' ? input.Statements : input.TransactStatements;
  return (Array.isArray(list) ? list : []).map((x) => one(obj(x) ?? {}));
}

export function executeStatementChecks(operation: string, input: Json, env: DeriveEnv): AuthorizationCheck[] {
  const enclosing = operation === 'ExecuteTransaction' ? 'ExecuteTransaction' : undefined;
  return statementsOf(operation, input).map((s) => partiqlCheck(s, env, enclosing));
}
