import { describe, expect, it } from 'vitest';
import { parseXml, xmlDocument, XmlError } from './xml.js';

describe('S3 XML', () => {
  it('reads elements, text with entities and CDATA, ignoring namespaces, attributes and comments', () => {
    const doc = parseXml('<?xml version="1.0"?>\n<a:Delete xmlns:a="x"><!-- c --><Object><Key>a &amp; b&#x21;</Key></Object><Object><Key><![CDATA[<raw>]]></Key></Object><Quiet/></a:Delete>');
    expect(doc.name).toBe('Delete');
    expect(doc.children.map((c) => c.name)).toEqual(['Object', 'Object', 'Quiet']);
    expect(doc.children[0].children[0].text).toBe('a & b!');
    expect(doc.children[1].children[0].text).toBe('<raw>');
  });

  it('refuses documents that are not well formed', () => {
    for (const bad of ['', '<a>', '<a></b>', '<a>x</a><b/>', '<a>&bogus;</a>', 'text']) expect(() => parseXml(bad), bad).toThrow(XmlError);
  });

  it('writes nested objects and repeated elements, escaping text', () => {
    expect(xmlDocument('R', { A: 'x<y', B: [{ C: 1 }, { C: 2 }], D: undefined, E: true })).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<R xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><A>x&lt;y</A><B><C>1</C></B><B><C>2</C></B><E>true</E></R>',
    );
  });
});
