/** Numeric operators: numeric (not textual) comparison, negation and missing keys. */
import { describe, expect, it } from 'vitest';
import { holds, type Doc } from './test-support.js';
import type { ContextValue } from './types.js';

type Row = [string, Doc, Record<string, ContextValue>, boolean];

const k = 's3:max-keys';

const rows: Row[] = [
  ['NumericEquals: equal', { NumericEquals: { [k]: '10' } }, { [k]: '10' }, true],
  ['NumericEquals: numerically equal, written differently', { NumericEquals: { [k]: '10' } }, { [k]: '10.0' }, true],
  ['NumericEquals: JSON number', { NumericEquals: { [k]: 10 } }, { [k]: '10' }, true],
  ['NumericEquals: different', { NumericEquals: { [k]: '10' } }, { [k]: '11' }, false],
  ['NumericEquals: values are ORed', { NumericEquals: { [k]: ['1', '10'] } }, { [k]: '10' }, true],
  ['NumericEquals: non-numeric request value is false', { NumericEquals: { [k]: '10' } }, { [k]: 'ten' }, false],
  ['NumericEquals: missing key is false', { NumericEquals: { [k]: '10' } }, {}, false],
  ['NumericEqualsIfExists: missing key is true', { NumericEqualsIfExists: { [k]: '10' } }, {}, true],
  ['NumericNotEquals: different', { NumericNotEquals: { [k]: '10' } }, { [k]: '11' }, true],
  ['NumericNotEquals: equal', { NumericNotEquals: { [k]: '10' } }, { [k]: '10' }, false],
  ['NumericNotEquals: values are NORed', { NumericNotEquals: { [k]: ['10', '11'] } }, { [k]: '11' }, false],
  ['NumericNotEquals: missing key is true', { NumericNotEquals: { [k]: '10' } }, {}, true],
  ['NumericLessThan: less', { NumericLessThan: { [k]: '10' } }, { [k]: '9' }, true],
  ['NumericLessThan: equal is not less', { NumericLessThan: { [k]: '10' } }, { [k]: '10' }, false],
  ['NumericLessThan: decimals', { NumericLessThan: { [k]: '1.5' } }, { [k]: '1.25' }, true],
  ['NumericLessThan: negatives', { NumericLessThan: { [k]: '-1' } }, { [k]: '-2' }, true],
  ['NumericLessThan: missing key is false', { NumericLessThan: { [k]: '10' } }, {}, false],
  ['NumericLessThanEquals: equal', { NumericLessThanEquals: { [k]: '10' } }, { [k]: '10' }, true],
  ['NumericLessThanEquals: greater', { NumericLessThanEquals: { [k]: '10' } }, { [k]: '11' }, false],
  ['NumericGreaterThan: greater', { NumericGreaterThan: { [k]: '10' } }, { [k]: '11' }, true],
  ['NumericGreaterThan: equal is not greater', { NumericGreaterThan: { [k]: '10' } }, { [k]: '10' }, false],
  ['NumericGreaterThan: compares numbers, not strings', { NumericGreaterThan: { [k]: '9' } }, { [k]: '10' }, true],
  ['NumericGreaterThanEquals: equal', { NumericGreaterThanEquals: { [k]: '10' } }, { [k]: '10' }, true],
  ['NumericGreaterThanEquals: less', { NumericGreaterThanEquals: { [k]: '10' } }, { [k]: '9' }, false],
  ['NumericGreaterThanEqualsIfExists: missing key is true', { NumericGreaterThanEqualsIfExists: { [k]: '10' } }, {}, true],
  ['NumericLessThan: multi-valued key, one value less', { NumericLessThan: { [k]: '5' } }, { [k]: ['9', '3'] }, true],
];

describe('Numeric condition operators', () => {
  it.each(rows)('%s', (_name, condition, keys, expected) => {
    expect(holds(condition, keys)).toBe(expected);
  });
});
