/** The Bool operator, including BoolIfExists on absent keys. */
import { describe, expect, it } from 'vitest';
import { holds, type Doc } from './test-support.js';
import type { ContextValue } from './types.js';

type Row = [string, Doc, Record<string, ContextValue>, boolean];

const k = 'aws:SecureTransport';

const rows: Row[] = [
  ['Bool: true matches true', { Bool: { [k]: 'true' } }, { [k]: 'true' }, true],
  ['Bool: JSON true', { Bool: { [k]: true } }, { [k]: 'true' }, true],
  ['Bool: case-insensitive', { Bool: { [k]: 'TRUE' } }, { [k]: 'True' }, true],
  ['Bool: true does not match false', { Bool: { [k]: 'true' } }, { [k]: 'false' }, false],
  ['Bool: false matches false', { Bool: { [k]: false } }, { [k]: 'false' }, true],
  ['Bool: false does not match true', { Bool: { [k]: 'false' } }, { [k]: 'true' }, false],
  ['Bool: non-boolean request value is false', { Bool: { [k]: 'true' } }, { [k]: 'yes' }, false],
  ['Bool: missing key is false', { Bool: { 'aws:MultiFactorAuthPresent': 'false' } }, {}, false],
  ['BoolIfExists: missing key is true', { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } }, {}, true],
  ['BoolIfExists: present and different', { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } }, { 'aws:MultiFactorAuthPresent': 'true' }, false],
  ['Bool: either value (ORed)', { Bool: { [k]: ['true', 'false'] } }, { [k]: 'false' }, true],
];

describe('Bool condition operator', () => {
  it.each(rows)('%s', (_name, condition, keys, expected) => {
    expect(holds(condition, keys)).toBe(expected);
  });
});
