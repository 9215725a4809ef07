import { describe, expect, it } from 'vitest';
import { listPage } from './list-objects.js';

const bucket = (keys: string[]) => new Map(keys.map((k) => [k, k]));

describe('ListObjectsV2 pages', () => {
  it('orders keys by their UTF-8 bytes, not by UTF-16 code units', () => {
    // U+FF5E (3 UTF-8 bytes, EF BD 9E) sorts before U+1F600 (4 bytes, F0 9F 98 80), though its UTF-16 unit is larger.
    const keys = ['\u{1F600}', '\uFF5E', 'a', 'B'];
    expect(listPage(bucket(keys), {}).objects).toEqual(['B', 'a', '\uFF5E', '\u{1F600}']);
  });

  it('rolls keys up at the delimiter and resumes after a common prefix, page by page', () => {
    const keys = ['a/1', 'a/2', 'a/3', 'b', 'c/1', 'd'];
    const pages: Array<[string[], string[]]> = [];
    let token: string | undefined;
    do {
      const page = listPage(bucket(keys), { delimiter: '/', maxKeys: 1, continuationToken: token });
      pages.push([page.commonPrefixes, page.objects]);
      token = page.nextContinuationToken;
    } while (token);
    expect(pages).toEqual([[['a/'], []], [[], ['b']], [['c/'], []], [[], ['d']]]);
  });

  it('refuses a bad max-keys or continuation token', () => {
    expect(() => listPage(bucket([]), { maxKeys: -1 })).toThrow('Provided max-keys not an integer or within integer range');
    expect(() => listPage(bucket([]), { continuationToken: 'nope' })).toThrow('The continuation token provided is incorrect');
  });
});
