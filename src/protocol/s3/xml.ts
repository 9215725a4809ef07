/**
 * The little XML S3 needs: a strict reader for the small request documents (notification
 * configurations, DeleteObjects, CreateBucketConfiguration) and a writer for responses.
 * Namespaces are ignored, as S3 ignores them; attributes are skipped.
 */

export interface XmlElement {
  /** The local name (any `prefix:` removed). */
  name: string;
  children: XmlElement[];
  /** The element's own text, entities decoded (empty for elements with children). */
  text: string;
}

export class XmlError extends Error {}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (whole, body: string) => {
    if (body.startsWith('#x')) return String.fromCodePoint(parseInt(body.slice(2), 16));
    if (body.startsWith('#')) return String.fromCodePoint(Number(body.slice(1)));
    const named = ENTITIES[body];
    if (named === undefined) throw new XmlError(`unknown entity ${whole}`);
    return named;
  });
}

/** Parses one document; throws XmlError when it is not well formed. */
export function parseXml(source: string): XmlElement {
  let i = 0;
  const skipMisc = () => {
    for (;;) {
      while (i < source.length && /\s/.test(source[i])) i++;
      if (source.startsWith('<?', i)) {
        const end = source.indexOf('?>', i);
        if (end < 0) throw new XmlError('unterminated declaration');
        i = end + 2;
      } else if (source.startsWith('<!--', i)) {
        const end = source.indexOf('-->', i);
        if (end < 0) throw new XmlError('unterminated comment');
        i = end + 3;
      } else return;
    }
  };
  const element = (): XmlElement => {
    if (source[i] !== '<') throw new XmlError('expected an element');
    const open = /^<([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/.exec(source.slice(i, i + 4096));
    if (!open) throw new XmlError('malformed start tag');
    i += open[0].length;
    const qualified = open[1];
    const name = qualified.includes(':') ? qualified.slice(qualified.indexOf(':') + 1) : qualified;
    const node: XmlElement = { name, children: [], text: '' };
    if (open[3] === '/') return node;
    let text = '';
    for (;;) {
      if (i >= source.length) throw new XmlError(`unclosed element ${qualified}`);
      if (source.startsWith('</', i)) {
        const close = /^<\/([A-Za-z_][\w.:-]*)\s*>/.exec(source.slice(i, i + 512));
        if (!close || close[1] !== qualified) throw new XmlError(`mismatched end tag for ${qualified}`);
        i += close[0].length;
        node.text = node.children.length > 0 ? '' : decodeEntities(text);
        return node;
      }
      if (source.startsWith('<![CDATA[', i)) {
        const end = source.indexOf(']]>', i);
        if (end < 0) throw new XmlError('unterminated CDATA');
        text += source.slice(i + 9, end).replace(/&/g, '&amp;').replace(/</g, '&lt;');
        i = end + 3;
      } else if (source.startsWith('<!--', i)) {
        const end = source.indexOf('-->', i);
        if (end < 0) throw new XmlError('unterminated comment');
        i = end + 3;
      } else if (source[i] === '<') {
        node.children.push(element());
      } else {
        const next = source.indexOf('<', i);
        text += source.slice(i, next < 0 ? source.length : next);
        i = next < 0 ? source.length : next;
      }
    }
  };
  skipMisc();
  const root = element();
  skipMisc();
  if (i !== source.length) throw new XmlError('content after the root element');
  return root;
}

export const childrenNamed = (e: XmlElement, name: string): XmlElement[] => e.children.filter((c) => c.name === name);
export const childText = (e: XmlElement, name: string): string | undefined => e.children.find((c) => c.name === name)?.text;

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]!};`);
}

/** A value to write: text, a nested object, a list (repeated elements) or nothing (omitted). */
export type XmlValue = string | number | boolean | undefined | XmlObject | XmlValue[];
export interface XmlObject {
  [name: string]: XmlValue;
}

function write(name: string, value: XmlValue): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return value.map((v) => write(name, v)).join('');
  if (typeof value === 'object') return `<${name}>${Object.entries(value).map(([k, v]) => write(k, v)).join('')}</${name}>`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** A response document with S3's namespace on the root element. */
export function xmlDocument(root: string, content: XmlObject, namespace = 'http://s3.amazonaws.com/doc/2006-03-01/'): string {
  const inner = Object.entries(content).map(([k, v]) => write(k, v)).join('');
  const xmlns = namespace ? ` xmlns="${namespace}"` : '';
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root}${xmlns}>${inner}</${root}>`;
}
