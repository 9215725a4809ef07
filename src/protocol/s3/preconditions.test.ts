import { describe, expect, it } from 'vitest';
import { copySourceCheck, evaluateConditions, parseRange, writeCondition } from './preconditions.js';

const object = { etag: '"abc"', lastModified: Date.UTC(2026, 0, 1, 12, 0, 0, 500) };
const http = (ms: number) => new Date(ms).toUTCString();

describe('S3 byte ranges', () => {
  it('clamps, takes suffixes, ignores what it cannot parse, and calls out what cannot be served', () => {
    expect(parseRange('bytes=2-4', 10)).toEqual({ start: 2, end: 4 });
    expect(parseRange('bytes=7-', 10)).toEqual({ start: 7, end: 9 });
    expect(parseRange('bytes=7-99', 10)).toEqual({ start: 7, end: 9 });
    expect(parseRange('bytes=-3', 10)).toEqual({ start: 7, end: 9 });
    expect(parseRange('bytes=-30', 10)).toEqual({ start: 0, end: 9 });
    for (const ignored of [undefined, 'bytes=-', 'bytes=5-2', 'bytes=0-1,4-5', 'items=0-1']) expect(parseRange(ignored, 10)).toBeUndefined();
    for (const [range, size] of [['bytes=10-', 10], ['bytes=-0', 10], ['bytes=0-0', 0]] as const) expect(parseRange(range, size)).toBe('unsatisfiable');
  });
});

describe('S3 preconditions', () => {
  it('applies RFC 9110 order: If-Match over If-Unmodified-Since, If-None-Match over If-Modified-Since', () => {
    expect(evaluateConditions({}, object)).toBe('proceed');
    expect(evaluateConditions({ 'if-match': '"nope", abc' }, object)).toBe('proceed');
    expect(evaluateConditions({ 'if-match': '"nope"' }, object)).toBe('If-Match');
    expect(evaluateConditions({ 'if-match': '*', 'if-unmodified-since': http(object.lastModified - 60_000) }, object)).toBe('proceed');
    expect(evaluateConditions({ 'if-unmodified-since': http(object.lastModified - 60_000) }, object)).toBe('If-Unmodified-Since');
    // Whole seconds: the object's 500 ms do not make it newer than its own second.
    expect(evaluateConditions({ 'if-unmodified-since': http(object.lastModified - 500) }, object)).toBe('proceed');
    expect(evaluateConditions({ 'if-none-match': 'W/"abc"' }, object)).toBe('not-modified');
    expect(evaluateConditions({ 'if-modified-since': http(object.lastModified) }, object)).toBe('not-modified');
    expect(evaluateConditions({ 'if-none-match': '"other"', 'if-modified-since': http(object.lastModified) }, object)).toBe('proceed');
    expect(evaluateConditions({ 'if-modified-since': 'not a date' }, object)).toBe('proceed');
  });

  it('turns every failed copy-source condition into 412, naming it', () => {
    expect(() => copySourceCheck({ 'x-amz-copy-source-if-match': '"abc"' })(object)).not.toThrow();
    expect(() => copySourceCheck({ 'x-amz-copy-source-if-none-match': '"abc"' })(object)).toThrow(
      expect.objectContaining({ details: [['Condition', 'x-amz-copy-source-If-None-Match']] }),
    );
    expect(() => copySourceCheck({ 'x-amz-copy-source-if-modified-since': http(object.lastModified + 60_000) })(object)).toThrow(
      expect.objectContaining({ details: [['Condition', 'x-amz-copy-source-If-Modified-Since']] }),
    );
  });

  it('reads a write condition only when one is given', () => {
    expect(writeCondition({})).toBeUndefined();
    expect(writeCondition({ 'if-none-match': '*' })).toEqual({ ifNoneMatch: '*', ifMatch: undefined });
  });
});
