import { describe, expect, it } from 'vitest';
import { md5Hex, md5OfAttributes } from './md5.js';

describe('MD5 digests as SQS computes them', () => {
  it('digests the UTF-8 body', () => {
    expect(md5Hex('hello')).toBe('5d41402abc4b2a76b9719d911017c592');
    expect(md5Hex('héllo ✓')).toBe(md5Hex(Buffer.from('héllo ✓', 'utf8')));
  });

  it('matches the published vector for a String attribute', () => {
    expect(md5OfAttributes({ attribName1: { dataType: 'String', stringValue: 'attribValue 1' } })).toBe(
      '19e27d4e946b072f3f58da80d94fd778',
    );
  });

  it('matches the published vector for a Binary attribute (transport byte 2)', () => {
    expect(
      md5OfAttributes({ binaryAttribute: { dataType: 'Binary', binaryValue: Buffer.from('Hello binary world!') } }),
    ).toBe('31a92b15d92f8db860eda32aceb656c3');
  });

  it('sorts attributes by name, so insertion order does not matter', () => {
    const a = md5OfAttributes({ b: { dataType: 'String', stringValue: '2' }, a: { dataType: 'Number', stringValue: '1' } });
    const b = md5OfAttributes({ a: { dataType: 'Number', stringValue: '1' }, b: { dataType: 'String', stringValue: '2' } });
    expect(a).toBe(b);
  });

  it('includes custom type suffixes in the digest', () => {
    const plain = md5OfAttributes({ n: { dataType: 'Number', stringValue: '1' } });
    const custom = md5OfAttributes({ n: { dataType: 'Number.float', stringValue: '1' } });
    expect(custom).not.toBe(plain);
  });
});
