/** The Null operator: key presence, including derived principal keys. */
import { describe, expect, it } from 'vitest';
import { ACCOUNT, holds, sessionOf, type Doc } from './test-support.js';
import type { ContextValue } from './types.js';

type Row = [string, Doc, Record<string, ContextValue>, boolean];

const k = 'aws:TokenIssueTime';

const rows: Row[] = [
  ['Null true: key absent', { Null: { [k]: 'true' } }, {}, true],
  ['Null true: key present', { Null: { [k]: 'true' } }, { [k]: '2026-01-01T00:00:00Z' }, false],
  ['Null false: key present', { Null: { [k]: 'false' } }, { [k]: '2026-01-01T00:00:00Z' }, true],
  ['Null false: key absent', { Null: { [k]: 'false' } }, {}, false],
  ['Null: JSON boolean', { Null: { [k]: true } }, {}, true],
  ['Null: an empty list is absent', { Null: { 'aws:TagKeys': 'true' } }, { 'aws:TagKeys': [] }, true],
  ['Null: an empty string is present', { Null: { 'sqs:tag': 'false' } }, { 'sqs:tag': '' }, true],
  ['Null: key names are case-insensitive', { Null: { 'AWS:TOKENISSUETIME': 'false' } }, { [k]: 'x' }, true],
  ['Null: derived principal keys count as present', { Null: { 'aws:PrincipalArn': 'false' } }, {}, true],
  ['Null: aws:username is present for an IAM user', { Null: { 'aws:username': 'true' } }, {}, false],
];

describe('Null condition operator', () => {
  it.each(rows)('%s', (_name, condition, keys, expected) => {
    expect(holds(condition, keys)).toBe(expected);
  });
});

describe('Null and the derived principal keys', () => {
  it('has no aws:username for a role session', () => {
    const principal = sessionOf(ACCOUNT, 'worker', 's1');
    expect(holds({ Null: { 'aws:username': 'true' } }, {}, { principal })).toBe(true);
    expect(holds({ Null: { 'aws:userid': 'false' } }, {}, { principal })).toBe(true);
  });
});
