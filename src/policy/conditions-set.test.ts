/** ForAnyValue / ForAllValues over multi-valued keys, including missing and empty sets. */
import { describe, expect, it } from 'vitest';
import { holds, type Doc } from './test-support.js';
import type { ContextValue } from './types.js';

type Row = [string, Doc, Record<string, ContextValue>, boolean];

const k = 'aws:TagKeys';
const ec = 'kms:EncryptionContextKeys';

const rows: Row[] = [
  // ForAllValues: every request value must match some policy value
  ['ForAllValues: subset', { 'ForAllValues:StringEquals': { [k]: ['a', 'b', 'c'] } }, { [k]: ['a', 'c'] }, true],
  ['ForAllValues: not a subset', { 'ForAllValues:StringEquals': { [k]: ['a', 'b'] } }, { [k]: ['a', 'z'] }, false],
  ['ForAllValues: single request value', { 'ForAllValues:StringEquals': { [k]: ['a'] } }, { [k]: 'a' }, true],
  ['ForAllValues: missing key is true', { 'ForAllValues:StringEquals': { [k]: ['a'] } }, {}, true],
  ['ForAllValues: empty list is true', { 'ForAllValues:StringEquals': { [k]: ['a'] } }, { [k]: [] }, true],
  ['ForAllValues:StringLike with wildcards', { 'ForAllValues:StringLike': { [k]: 'team-*' } }, { [k]: ['team-a', 'team-b'] }, true],
  ['ForAllValues:StringLike one outsider', { 'ForAllValues:StringLike': { [k]: 'team-*' } }, { [k]: ['team-a', 'owner'] }, false],
  ['ForAllValues:StringNotEquals: none of them listed', { 'ForAllValues:StringNotEquals': { [k]: ['x', 'y'] } }, { [k]: ['a', 'b'] }, true],
  ['ForAllValues:StringNotEquals: one listed', { 'ForAllValues:StringNotEquals': { [k]: ['x', 'y'] } }, { [k]: ['a', 'y'] }, false],
  ['ForAllValues:StringNotEquals: missing key is true', { 'ForAllValues:StringNotEquals': { [k]: ['x'] } }, {}, true],
  ['ForAllValues:StringEqualsIfExists: missing key is true', { 'ForAllValues:StringEqualsIfExists': { [k]: ['a'] } }, {}, true],
  ['kms:EncryptionContextKeys restricted to a set', { 'ForAllValues:StringEquals': { [ec]: ['aws:sqs:arn'] } }, { [ec]: ['aws:sqs:arn'] }, true],
  ['kms:EncryptionContextKeys with an extra key', { 'ForAllValues:StringEquals': { [ec]: ['aws:sqs:arn'] } }, { [ec]: ['aws:sqs:arn', 'x'] }, false],
  ['kms:EncryptionContextKeys: no context matches ForAllValues', { 'ForAllValues:StringEquals': { [ec]: ['aws:sqs:arn'] } }, {}, true],

  // ForAnyValue: at least one request value must match some policy value
  ['ForAnyValue: overlap', { 'ForAnyValue:StringEquals': { [k]: ['a', 'b'] } }, { [k]: ['z', 'b'] }, true],
  ['ForAnyValue: no overlap', { 'ForAnyValue:StringEquals': { [k]: ['a', 'b'] } }, { [k]: ['y', 'z'] }, false],
  ['ForAnyValue: missing key is false', { 'ForAnyValue:StringEquals': { [k]: ['a'] } }, {}, false],
  ['ForAnyValue: empty list is false', { 'ForAnyValue:StringEquals': { [k]: ['a'] } }, { [k]: [] }, false],
  ['ForAnyValue:StringNotEquals: one value unlisted', { 'ForAnyValue:StringNotEquals': { [k]: ['a'] } }, { [k]: ['a', 'b'] }, true],
  ['ForAnyValue:StringNotEquals: all listed', { 'ForAnyValue:StringNotEquals': { [k]: ['a', 'b'] } }, { [k]: ['a', 'b'] }, false],
  ['ForAnyValue:StringNotEquals: missing key is false', { 'ForAnyValue:StringNotEquals': { [k]: ['a'] } }, {}, false],
  ['ForAnyValue:StringEqualsIfExists: missing key is true', { 'ForAnyValue:StringEqualsIfExists': { [k]: ['a'] } }, {}, true],
  ['ForAnyValue:StringLike', { 'ForAnyValue:StringLike': { [k]: 'secret*' } }, { [k]: ['public', 'secret-1'] }, true],
  ['ForAnyValue:ArnLike', { 'ForAnyValue:ArnLike': { 'sqs:arns': 'arn:aws:sqs:*:1:*' } }, { 'sqs:arns': ['arn:aws:sqs:us-east-1:2:q', 'arn:aws:sqs:us-east-1:1:q'] }, true],
  ['ForAnyValue:NumericGreaterThan', { 'ForAnyValue:NumericGreaterThan': { 'sqs:sizes': '10' } }, { 'sqs:sizes': ['1', '11'] }, true],
  ['qualifier names are case-insensitive', { 'forallvalues:StringEquals': { [k]: ['a'] } }, { [k]: ['a'] }, true],

  // Without a qualifier, a multi-valued key matches when any value does (and negation inverts that)
  ['no qualifier: any value matches', { StringEquals: { [k]: 'b' } }, { [k]: ['a', 'b'] }, true],
  ['no qualifier, negated: one value equal makes it false', { StringNotEquals: { [k]: 'b' } }, { [k]: ['a', 'b'] }, false],
];

describe('ForAnyValue / ForAllValues set qualifiers', () => {
  it.each(rows)('%s', (_name, condition, keys, expected) => {
    expect(holds(condition, keys)).toBe(expected);
  });
});
