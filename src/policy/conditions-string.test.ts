/** String operators, their negations and IfExists forms, and how keys and operators combine. */
import { describe, expect, it } from 'vitest';
import { holds, type Doc } from './test-support.js';
import type { ContextValue } from './types.js';

type Row = [string, Doc, Record<string, ContextValue>, boolean];

const k = 'aws:SourceAccount';

const rows: Row[] = [
  // StringEquals
  ['StringEquals: equal', { StringEquals: { [k]: '111122223333' } }, { [k]: '111122223333' }, true],
  ['StringEquals: different', { StringEquals: { [k]: '111122223333' } }, { [k]: '444455556666' }, false],
  ['StringEquals: case matters', { StringEquals: { 'sqs:tag': 'Blue' } }, { 'sqs:tag': 'blue' }, false],
  ['StringEquals: values are ORed', { StringEquals: { [k]: ['1', '2', '3'] } }, { [k]: '2' }, true],
  ['StringEquals: missing key is false', { StringEquals: { [k]: '1' } }, {}, false],
  ['StringEquals: * is literal', { StringEquals: { 'sqs:tag': 'a*' } }, { 'sqs:tag': 'abc' }, false],
  ['StringEquals: * literal matches itself', { StringEquals: { 'sqs:tag': 'a*' } }, { 'sqs:tag': 'a*' }, true],
  ['StringEquals: JSON number value', { StringEquals: { 'sqs:n': 10 } }, { 'sqs:n': '10' }, true],
  ['StringEquals: JSON boolean value', { StringEquals: { 'sqs:b': true } }, { 'sqs:b': 'true' }, true],
  ['StringEquals: empty string', { StringEquals: { 'sqs:tag': '' } }, { 'sqs:tag': '' }, true],
  ['StringEqualsIfExists: missing key is true', { StringEqualsIfExists: { [k]: '1' } }, {}, true],
  ['StringEqualsIfExists: present and different', { StringEqualsIfExists: { [k]: '1' } }, { [k]: '2' }, false],
  ['StringEqualsIfExists: present and equal', { StringEqualsIfExists: { [k]: '1' } }, { [k]: '1' }, true],
  ['StringEquals: key names are case-insensitive', { StringEquals: { 'AWS:SOURCEACCOUNT': '1' } }, { 'aws:sourceaccount': '1' }, true],
  ['StringEquals: multi-valued key, one value matches', { StringEquals: { 'sqs:tags': 'a' } }, { 'sqs:tags': ['b', 'a'] }, true],
  ['StringEquals: empty list counts as missing', { StringEquals: { 'sqs:tags': 'a' } }, { 'sqs:tags': [] }, false],

  // StringNotEquals
  ['StringNotEquals: different', { StringNotEquals: { [k]: '1' } }, { [k]: '2' }, true],
  ['StringNotEquals: equal', { StringNotEquals: { [k]: '1' } }, { [k]: '1' }, false],
  ['StringNotEquals: values are NORed', { StringNotEquals: { [k]: ['1', '2'] } }, { [k]: '2' }, false],
  ['StringNotEquals: none of the values', { StringNotEquals: { [k]: ['1', '2'] } }, { [k]: '3' }, true],
  ['StringNotEquals: missing key is true', { StringNotEquals: { [k]: '1' } }, {}, true],
  ['StringNotEqualsIfExists: missing key is true', { StringNotEqualsIfExists: { [k]: '1' } }, {}, true],
  ['StringNotEqualsIfExists: present and equal', { StringNotEqualsIfExists: { [k]: '1' } }, { [k]: '1' }, false],
  ['StringNotEquals: case differs counts as different', { StringNotEquals: { 'sqs:tag': 'Blue' } }, { 'sqs:tag': 'blue' }, true],

  // IgnoreCase
  ['StringEqualsIgnoreCase: case differs', { StringEqualsIgnoreCase: { 'sqs:tag': 'BLUE' } }, { 'sqs:tag': 'blue' }, true],
  ['StringEqualsIgnoreCase: different', { StringEqualsIgnoreCase: { 'sqs:tag': 'BLUE' } }, { 'sqs:tag': 'green' }, false],
  ['StringEqualsIgnoreCase: missing', { StringEqualsIgnoreCase: { 'sqs:tag': 'blue' } }, {}, false],
  ['StringNotEqualsIgnoreCase: case differs', { StringNotEqualsIgnoreCase: { 'sqs:tag': 'BLUE' } }, { 'sqs:tag': 'blue' }, false],
  ['StringNotEqualsIgnoreCase: different', { StringNotEqualsIgnoreCase: { 'sqs:tag': 'BLUE' } }, { 'sqs:tag': 'red' }, true],
  ['StringNotEqualsIgnoreCase: missing key is true', { StringNotEqualsIgnoreCase: { 'sqs:tag': 'blue' } }, {}, true],

  // StringLike
  ['StringLike: * matches a run', { StringLike: { 'sqs:tag': 'a*c' } }, { 'sqs:tag': 'abbbc' }, true],
  ['StringLike: * matches nothing too', { StringLike: { 'sqs:tag': 'a*c' } }, { 'sqs:tag': 'ac' }, true],
  ['StringLike: ? matches exactly one', { StringLike: { 'sqs:tag': 'a?c' } }, { 'sqs:tag': 'abc' }, true],
  ['StringLike: ? does not match two', { StringLike: { 'sqs:tag': 'a?c' } }, { 'sqs:tag': 'abbc' }, false],
  ['StringLike: ? does not match none', { StringLike: { 'sqs:tag': 'a?c' } }, { 'sqs:tag': 'ac' }, false],
  ['StringLike: case-sensitive', { StringLike: { 'sqs:tag': 'A*' } }, { 'sqs:tag': 'abc' }, false],
  ['StringLike: anchored at both ends', { StringLike: { 'sqs:tag': 'b*' } }, { 'sqs:tag': 'abc' }, false],
  ['StringLike: several stars backtrack', { StringLike: { 'sqs:tag': '*a*b*c*' } }, { 'sqs:tag': 'xxaxxbxxcxx' }, true],
  ['StringLike: * crosses ":" (unlike ArnLike)', { StringLike: { 'aws:SourceArn': 'arn:aws:sns:*' } }, { 'aws:SourceArn': 'arn:aws:sns:us-east-1:1:t' }, true],
  ['StringLike: values are ORed', { StringLike: { 'sqs:tag': ['x*', 'a*'] } }, { 'sqs:tag': 'abc' }, true],
  ['StringLike: missing key is false', { StringLike: { 'sqs:tag': '*' } }, {}, false],
  ['StringLikeIfExists: missing key is true', { StringLikeIfExists: { 'sqs:tag': 'a*' } }, {}, true],
  ['StringNotLike: matches', { StringNotLike: { 'sqs:tag': 'a*' } }, { 'sqs:tag': 'abc' }, false],
  ['StringNotLike: does not match', { StringNotLike: { 'sqs:tag': 'a*' } }, { 'sqs:tag': 'xyz' }, true],
  ['StringNotLike: values are NORed', { StringNotLike: { 'sqs:tag': ['x*', 'a*'] } }, { 'sqs:tag': 'abc' }, false],
  ['StringNotLike: missing key is true', { StringNotLike: { 'sqs:tag': 'a*' } }, {}, true],
  ['StringNotLikeIfExists: present and not matching', { StringNotLikeIfExists: { 'sqs:tag': 'a*' } }, { 'sqs:tag': 'b' }, true],

  // Operators and keys combine with AND
  ['two keys under one operator: both must hold', { StringEquals: { 'sqs:a': '1', 'sqs:b': '2' } }, { 'sqs:a': '1', 'sqs:b': '3' }, false],
  ['two keys under one operator: both hold', { StringEquals: { 'sqs:a': '1', 'sqs:b': '2' } }, { 'sqs:a': '1', 'sqs:b': '2' }, true],
  ['two operators: both must hold', { StringEquals: { 'sqs:a': '1' }, StringLike: { 'sqs:b': 'x*' } }, { 'sqs:a': '1', 'sqs:b': 'y' }, false],
  ['operator names are case-insensitive', { stringequals: { 'sqs:a': '1' } }, { 'sqs:a': '1' }, true],
];

describe('String condition operators', () => {
  it.each(rows)('%s', (_name, condition, keys, expected) => {
    expect(holds(condition, keys)).toBe(expected);
  });
});
