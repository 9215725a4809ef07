/** BinaryEquals compares base64-decoded bytes. */
import { describe, expect, it } from 'vitest';
import { holds, type Doc } from './test-support.js';
import type { ContextValue } from './types.js';

type Row = [string, Doc, Record<string, ContextValue>, boolean];

const k = 'sqs:bytes';
const b64 = (s: string): string => Buffer.from(s).toString('base64');

const rows: Row[] = [
  ['BinaryEquals: same bytes', { BinaryEquals: { [k]: b64('hello') } }, { [k]: b64('hello') }, true],
  ['BinaryEquals: different bytes', { BinaryEquals: { [k]: b64('hello') } }, { [k]: b64('world') }, false],
  ['BinaryEquals: compares bytes, not padding', { BinaryEquals: { [k]: 'QQ==' } }, { [k]: 'QQ' }, true],
  ['BinaryEquals: request value not base64 is false', { BinaryEquals: { [k]: b64('hi') } }, { [k]: '***' }, false],
  ['BinaryEquals: values are ORed', { BinaryEquals: { [k]: [b64('a'), b64('b')] } }, { [k]: b64('b') }, true],
  ['BinaryEquals: missing key is false', { BinaryEquals: { [k]: b64('a') } }, {}, false],
  ['BinaryEqualsIfExists: missing key is true', { BinaryEqualsIfExists: { [k]: b64('a') } }, {}, true],
  ['BinaryEqualsIfExists: present and different', { BinaryEqualsIfExists: { [k]: b64('a') } }, { [k]: b64('b') }, false],
];

describe('BinaryEquals condition operator', () => {
  it.each(rows)('%s', (_name, condition, keys, expected) => {
    expect(holds(condition, keys)).toBe(expected);
  });
});
