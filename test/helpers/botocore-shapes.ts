// Independent reference for the sandbox's answers: botocore's service-2.json models (the machine's
// python3 botocore). JSON answers are walked against the operation's output shape (no unknown
// members, required members present, JSON types, enums); awsQuery XML (IAM, STS) and S3's REST-XML
// answers are parsed and their element names and scalar texts checked against the output shape
// (members' locationName, <member> lists or flattened ones, <entry> maps). Errors: the
// protocol's error document, and a modelled error's extra members against its shape.
import { execFileSync } from 'node:child_process';
import type { SandboxResponse } from '../../src/sandbox/server.js';

interface Ref {
  shape: string;
  locationName?: string;
  location?: string;
  flattened?: boolean;
}
interface Shape {
  type: string;
  members?: Record<string, Ref>;
  required?: string[];
  member?: Ref;
  key?: Ref;
  value?: Ref;
  enum?: string[];
  flattened?: boolean;
  payload?: string;
  error?: unknown;
  exception?: boolean;
}
export interface Model {
  metadata: { protocol: string };
  operations: Record<string, { output?: { shape: string; resultWrapper?: string } }>;
  shapes: Record<string, Shape>;
}

const MODEL_NAME: Record<string, string> = {
  iam: 'iam',
  sts: 'sts',
  'cognito-idp': 'cognito-idp',
  'cognito-identity': 'cognito-identity',
  dynamodb: 'dynamodb',
  s3: 's3',
};
const cache = new Map<string, Model>();

export function loadModel(service: string): Model {
  const name = MODEL_NAME[service] ?? service;
  let m = cache.get(name);
  if (!m) {
    const text = execFileSync(
      'python3',
      ['-c', "import botocore.loaders,json,sys;print(json.dumps(botocore.loaders.Loader().load_service_model(sys.argv[1],'service-2')))", name],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    m = JSON.parse(text) as Model;
    cache.set(name, m);
  }
  return m;
}

// ---- JSON ----

export function checkJson(model: Model, shapeName: string, value: unknown, path: string, problems: string[]): void {
  const shape = model.shapes[shapeName];
  if (!shape) return void problems.push(`${path}: unknown shape ${shapeName}`);
  const fail = (why: string): void => void problems.push(`${path} (${shapeName}): ${why}: ${JSON.stringify(value)?.slice(0, 120)}`);
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('not an object');
      for (const r of shape.required ?? []) if (!(r in value)) fail(`missing required ${r}`);
      for (const [k, v] of Object.entries(value)) {
        const m = shape.members?.[k];
        if (!m) fail(`unknown member ${k}`);
        else checkJson(model, m.shape, v, `${path}.${k}`, problems);
      }
      return;
    }
    case 'list':
      if (!Array.isArray(value)) return fail('not a list');
      value.forEach((v, i) => checkJson(model, shape.member!.shape, v, `${path}[${i}]`, problems));
      return;
    case 'map':
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('not a map');
      for (const [k, v] of Object.entries(value)) checkJson(model, shape.value!.shape, v, `${path}.${k}`, problems);
      return;
    case 'string':
      if (typeof value !== 'string') return fail('not a string');
      if (shape.enum && !shape.enum.includes(value)) fail(`not one of ${shape.enum.join('|')}`);
      return;
    case 'integer':
    case 'long':
    case 'double':
    case 'float':
    case 'timestamp':
      if (typeof value !== 'number') fail('not a number');
      return;
    case 'boolean':
      if (typeof value !== 'boolean') fail('not a boolean');
      return;
    case 'blob':
      if (typeof value !== 'string') fail('not base64 text');
      return;
    default:
      fail(`unhandled type ${shape.type}`);
  }
}

// ---- XML ----

export interface XmlEl {
  name: string;
  children: XmlEl[];
  text: string;
}

/** A small parser for the sandbox's own XML (elements, text, entities; no CDATA, attributes ignored). */
export function parseXml(text: string): XmlEl {
  const root: XmlEl = { name: '#root', children: [], text: '' };
  const stack: XmlEl[] = [root];
  const re = /<(\/?)([\w:.-]+)[^>]*?(\/?)>|<\?[^>]*\?>|([^<]+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const top = stack[stack.length - 1]!;
    if (m[4] !== undefined) {
      top.text += m[4]
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"')
        .replace(/&apos;/g, "'")
        .replace(/&amp;/g, '&');
      continue;
    }
    if (m[2] === undefined) continue;
    if (m[1] === '/') {
      if (top.name !== m[2]) throw new Error(`XML: </${m[2]}> closes <${top.name}>`);
      stack.pop();
      continue;
    }
    const el: XmlEl = { name: m[2], children: [], text: '' };
    top.children.push(el);
    if (m[3] !== '/') stack.push(el);
  }
  if (stack.length !== 1 || root.children.length !== 1) throw new Error('XML: not one well-formed document');
  return root.children[0]!;
}

function checkScalar(shape: Shape, text: string, fail: (why: string) => void): void {
  switch (shape.type) {
    case 'string':
      if (shape.enum && !shape.enum.includes(text)) fail(`not one of ${shape.enum.join('|')}`);
      return;
    case 'integer':
    case 'long':
      if (!/^-?\d+$/.test(text)) fail('not an integer');
      return;
    case 'double':
    case 'float':
      if (Number.isNaN(Number(text))) fail('not a number');
      return;
    case 'boolean':
      if (text !== 'true' && text !== 'false') fail('not true|false');
      return;
    case 'timestamp':
      if (Number.isNaN(Date.parse(text))) fail('not a timestamp');
      return;
    case 'blob':
      return;
    default:
      fail(`unhandled type ${shape.type}`);
  }
}

/** Children of `el` as the members of structure `shapeName` (flattened lists repeat the member's element). */
export function checkXmlStructure(model: Model, shapeName: string, el: XmlEl, path: string, problems: string[], skip: Set<string> = new Set()): void {
  const shape = model.shapes[shapeName];
  if (!shape) return void problems.push(`${path}: unknown shape ${shapeName}`);
  if (shape.type !== 'structure') return checkXmlValue(model, shapeName, el, path, problems);
  const byElement = new Map<string, Ref>();
  for (const [name, ref] of Object.entries(shape.members ?? {})) {
    if (ref.location) continue; // headers, status code, URI: not in the body
    const target = model.shapes[ref.shape];
    const flattened = ref.flattened || target?.flattened;
    const elementName = flattened && target?.type === 'list' ? (ref.locationName ?? target.member?.locationName ?? name) : (ref.locationName ?? name);
    byElement.set(elementName, { ...ref, flattened: Boolean(flattened && target?.type === 'list') });
  }
  for (const child of el.children) {
    if (skip.has(child.name)) continue;
    const ref = byElement.get(child.name);
    if (!ref) {
      problems.push(`${path} (${shapeName}): unknown element <${child.name}>`);
      continue;
    }
    if (ref.flattened) checkXmlValue(model, model.shapes[ref.shape]!.member!.shape, child, `${path}.${child.name}[]`, problems);
    else checkXmlValue(model, ref.shape, child, `${path}.${child.name}`, problems);
  }
  for (const r of shape.required ?? []) {
    const ref = shape.members?.[r];
    if (ref && !ref.location && !el.children.some((c) => c.name === (ref.locationName ?? r))) problems.push(`${path} (${shapeName}): missing required ${r}`);
  }
}

function checkXmlValue(model: Model, shapeName: string, el: XmlEl, path: string, problems: string[]): void {
  const shape = model.shapes[shapeName];
  if (!shape) return void problems.push(`${path}: unknown shape ${shapeName}`);
  const fail = (why: string): void => void problems.push(`${path} (${shapeName}): ${why}: ${el.text.slice(0, 80)}`);
  if (shape.type === 'structure') return checkXmlStructure(model, shapeName, el, path, problems);
  if (shape.type === 'list') {
    const memberName = shape.member?.locationName ?? 'member';
    el.children.forEach((c, i) => {
      if (c.name !== memberName) problems.push(`${path} (${shapeName}): list item <${c.name}>, expected <${memberName}>`);
      else checkXmlValue(model, shape.member!.shape, c, `${path}[${i}]`, problems);
    });
    return;
  }
  if (shape.type === 'map') {
    for (const entry of el.children) {
      if (entry.name !== 'entry') problems.push(`${path} (${shapeName}): map item <${entry.name}>, expected <entry>`);
      const value = entry.children.find((c) => c.name === (shape.value?.locationName ?? 'value'));
      if (value) checkXmlValue(model, shape.value!.shape, value, `${path}{}`, problems);
    }
    return;
  }
  if (el.children.length > 0) return fail('element children in a scalar');
  checkScalar(shape, el.text, fail);
}

// ---- one answer ----

/** Problems of one sandbox answer against the service's model (empty: it fits). */
export function responseProblems(r: SandboxResponse): string[] {
  const problems: string[] = [];
  const model = loadModel(r.service);
  const op = model.operations[r.operation];
  const where = `${r.service} ${r.operation} ${r.status}`;
  if (!op) return [`${where}: not an operation of the model`];
  const text = typeof r.payload === 'string' ? r.payload : r.payload.toString('utf8');
  const ok = r.status < 300;
  if (r.protocol === 'json') {
    const body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    if (ok) {
      if (op.output) checkJson(model, op.output.shape, body, where, problems);
      else if (JSON.stringify(body) !== '{}') problems.push(`${where}: the model has no output, the sandbox answered ${text.slice(0, 120)}`);
    } else {
      const type = String(body.__type ?? '');
      if (!type) problems.push(`${where}: error without __type`);
      const code = type.slice(type.indexOf('#') + 1);
      const errShape = model.shapes[code];
      if (errShape?.type === 'structure') {
        const { __type: _t, ...rest } = body;
        checkJson(model, code, rest, `${where}!${code}`, problems);
      }
    }
    return problems;
  }
  if (r.protocol === 'query') {
    const doc = parseXml(text);
    if (!ok) {
      if (doc.name !== 'ErrorResponse') problems.push(`${where}: error root <${doc.name}>`);
      const err = doc.children.find((c) => c.name === 'Error');
      const names = err?.children.map((c) => c.name) ?? [];
      for (const n of names) if (!['Type', 'Code', 'Message'].includes(n)) problems.push(`${where}: unknown error element <${n}>`);
      if (!names.includes('Code')) problems.push(`${where}: error without Code`);
      return problems;
    }
    if (doc.name !== `${r.operation}Response`) problems.push(`${where}: root <${doc.name}>`);
    for (const c of doc.children) {
      if (c.name === 'ResponseMetadata') continue;
      if (!op.output || c.name !== op.output.resultWrapper) problems.push(`${where}: unexpected <${c.name}>`);
      else checkXmlStructure(model, op.output.shape, c, where, problems);
    }
    if (op.output && !doc.children.some((c) => c.name === op.output!.resultWrapper)) problems.push(`${where}: no <${op.output.resultWrapper}>`);
    return problems;
  }
  // rest-xml (S3)
  if (text === '' || !text.trimStart().startsWith('<')) return problems;
  const doc = parseXml(text);
  if (!ok) {
    if (doc.name !== 'Error') problems.push(`${where}: error root <${doc.name}>`);
    const names = doc.children.map((c) => c.name);
    for (const n of ['Code', 'Message']) if (!names.includes(n)) problems.push(`${where}: error without ${n}`);
    return problems;
  }
  if (!op.output) return [`${where}: the model has no output, the sandbox answered ${text.slice(0, 120)}`];
  const out = model.shapes[op.output.shape]!;
  if (out.payload) {
    const ref = out.members![out.payload]!;
    checkXmlStructure(model, ref.shape, doc, where, problems);
  } else checkXmlStructure(model, op.output.shape, doc, where, problems);
  return problems;
}
