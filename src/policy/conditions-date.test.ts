/** Date operators over ISO 8601 and epoch seconds, and the time-derived global keys. */
import { describe, expect, it } from 'vitest';
import { holds, type Doc } from './test-support.js';
import type { ContextValue } from './types.js';

type Row = [string, Doc, Record<string, ContextValue>, boolean];

const t = 'aws:CurrentTime';
const e = 'aws:EpochTime';
const NOON = '2026-03-01T12:00:00Z';
const NOON_EPOCH = String(Date.UTC(2026, 2, 1, 12) / 1000);

const rows: Row[] = [
  ['DateEquals: same instant', { DateEquals: { [t]: NOON } }, { [t]: NOON }, true],
  ['DateEquals: same instant in another offset', { DateEquals: { [t]: '2026-03-01T13:00:00+01:00' } }, { [t]: NOON }, true],
  ['DateEquals: offset without colon', { DateEquals: { [t]: '2026-03-01T13:00:00+0100' } }, { [t]: NOON }, true],
  ['DateEquals: milliseconds in the request', { DateEquals: { [t]: NOON } }, { [t]: '2026-03-01T12:00:00.000Z' }, true],
  ['DateEquals: epoch seconds in the policy', { DateEquals: { [t]: NOON_EPOCH } }, { [t]: NOON }, true],
  ['DateEquals: epoch seconds in the request', { DateEquals: { [e]: NOON } }, { [e]: NOON_EPOCH }, true],
  ['DateEquals: date only is midnight UTC', { DateEquals: { [t]: '2026-03-01' } }, { [t]: '2026-03-01T00:00:00Z' }, true],
  ['DateEquals: no zone means UTC', { DateEquals: { [t]: '2026-03-01T12:00:00' } }, { [t]: NOON }, true],
  ['DateEquals: different', { DateEquals: { [t]: NOON } }, { [t]: '2026-03-01T12:00:01Z' }, false],
  ['DateEquals: unparseable request value is false', { DateEquals: { [t]: NOON } }, { [t]: 'noon' }, false],
  ['DateEquals: missing key is false', { DateEquals: { [t]: NOON } }, {}, false],
  ['DateNotEquals: different', { DateNotEquals: { [t]: NOON } }, { [t]: '2026-03-02T00:00:00Z' }, true],
  ['DateNotEquals: equal', { DateNotEquals: { [t]: NOON } }, { [t]: NOON }, false],
  ['DateNotEquals: missing key is true', { DateNotEquals: { [t]: NOON } }, {}, true],
  ['DateLessThan: before', { DateLessThan: { [t]: NOON } }, { [t]: '2026-03-01T11:59:59Z' }, true],
  ['DateLessThan: same instant is not before', { DateLessThan: { [t]: NOON } }, { [t]: NOON }, false],
  ['DateLessThan: after', { DateLessThan: { [t]: NOON } }, { [t]: '2027-01-01T00:00:00Z' }, false],
  ['DateLessThanEquals: same instant', { DateLessThanEquals: { [t]: NOON } }, { [t]: NOON }, true],
  ['DateGreaterThan: after', { DateGreaterThan: { [t]: NOON } }, { [t]: '2026-03-01T12:00:01Z' }, true],
  ['DateGreaterThan: before', { DateGreaterThan: { [t]: NOON } }, { [t]: '2025-12-31T23:59:59Z' }, false],
  ['DateGreaterThanEquals: same instant', { DateGreaterThanEquals: { [t]: NOON } }, { [t]: NOON }, true],
  ['DateGreaterThanEquals: before', { DateGreaterThanEquals: { [t]: NOON } }, { [t]: '2026-03-01T11:00:00Z' }, false],
  ['DateLessThanIfExists: missing key is true', { DateLessThanIfExists: { 'aws:TokenIssueTime': NOON } }, {}, true],
  ['DateLessThan: missing key is false', { DateLessThan: { 'aws:TokenIssueTime': NOON } }, {}, false],
];

describe('Date condition operators', () => {
  it.each(rows)('%s', (_name, condition, keys, expected) => {
    expect(holds(condition, keys)).toBe(expected);
  });

  it('derives aws:CurrentTime and aws:EpochTime from the request time', () => {
    const time = new Date(NOON);
    expect(holds({ DateEquals: { [t]: NOON } }, {}, { time })).toBe(true);
    expect(holds({ DateGreaterThan: { [e]: '2026-01-01T00:00:00Z' } }, {}, { time })).toBe(true);
    expect(holds({ DateLessThan: { [t]: '2026-01-01T00:00:00Z' } }, {}, { time })).toBe(false);
  });

  it('lets a given aws:CurrentTime win over the request time', () => {
    expect(holds({ DateEquals: { [t]: NOON } }, { [t]: NOON }, { time: new Date(0) })).toBe(true);
  });
});
