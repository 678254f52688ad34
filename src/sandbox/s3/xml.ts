// S3's REST-XML wire format: response documents, AWS's error document, and the two small
// request bodies the sandbox reads (CreateBucketConfiguration, Delete). The request bodies are
// flat, so a few anchored patterns read them; anything else is MalformedXML, as on S3.
import { SandboxError } from '../contract.js';

export const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** An S3 error: the code, message and HTTP status AWS uses, plus the extra elements its error document carries (Key, BucketName, ...). */
export class S3Error extends SandboxError {
  constructor(
    code: string,
    message: string,
    status: number,
    readonly extra: Record<string, string> = {},
  ) {
    super(code, message, status);
  }
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

export function unescapeXml(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) => {
    if (e === 'amp') return '&';
    if (e === 'lt') return '<';
    if (e === 'gt') return '>';
    if (e === 'quot') return '"';
    if (e === 'apos') return "'";
    return String.fromCodePoint(e.startsWith('#x') ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}

export type XmlNode = string | number | boolean | undefined | XmlElement | XmlNode[];
export interface XmlElement {
  [name: string]: XmlNode;
}

function render(name: string, value: XmlNode): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return value.map((v) => render(name, v)).join('');
  if (typeof value === 'object')
    return `<${name}>${Object.entries(value)
      .map(([k, v]) => render(k, v))
      .join('')}</${name}>`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** A response document: `<Root xmlns="...">children</Root>`; undefined children are left out. */
export function xmlDocument(root: string, children: XmlElement): string {
  return `${DECL}<${root} xmlns="${S3_NS}">${Object.entries(children)
    .map(([k, v]) => render(k, v))
    .join('')}</${root}>`;
}

/** AWS's error document: Code, Message, the error's extra elements, RequestId, HostId. */
export function errorDocument(err: SandboxError, requestId: string, hostId: string): string {
  const extra = err instanceof S3Error ? err.extra : {};
  const parts = [render('Code', err.code), render('Message', err.message)];
  for (const [k, v] of Object.entries(extra)) parts.push(render(k, v));
  parts.push(render('RequestId', requestId), render('HostId', hostId));
  return `${DECL}<Error>${parts.join('')}</Error>`;
}

export function malformedXml(): S3Error {
  return new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', 400);
}

/** The LocationConstraint of a CreateBucket body ('' when there is no body). */
export function parseLocationConstraint(body: string): string {
  const text = body.trim();
  if (text === '') return '';
  if (!/<CreateBucketConfiguration[\s>]/.test(text)) throw malformedXml();
  const m = /<LocationConstraint>([^<]*)<\/LocationConstraint>/.exec(text);
  return m ? unescapeXml(m[1]!) : '';
}

/** The keys and Quiet flag of a DeleteObjects body. */
export function parseDeleteBody(body: string): { keys: string[]; quiet: boolean } {
  const text = body.trim();
  const root = /^(?:<\?xml[^>]*\?>\s*)?<Delete(?:\s[^>]*)?>([\s\S]*)<\/Delete>$/.exec(text);
  if (!root) throw malformedXml();
  const inner = root[1]!;
  const keys: string[] = [];
  const objectRe = /<Object>([\s\S]*?)<\/Object>/g;
  for (let m = objectRe.exec(inner); m; m = objectRe.exec(inner)) {
    const key = /<Key>([\s\S]*?)<\/Key>/.exec(m[1]!);
    if (!key) throw malformedXml();
    keys.push(unescapeXml(key[1]!));
  }
  if (keys.length === 0 || keys.length > 1000) throw malformedXml();
  const quiet = /<Quiet>\s*true\s*<\/Quiet>/i.test(inner);
  return { keys, quiet };
}
