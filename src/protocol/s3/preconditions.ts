/**
 * S3's request preconditions and byte ranges, read from the headers: what a GET or HEAD answers
 * (304, 412, 206, 416), what a copy requires of its source, and what a write requires of the key.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { s3Errors } from '../../services/s3/errors.js';
import type { WriteCondition } from '../../services/s3/s3-service.js';

const single = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

/** A write's preconditions (PutObject, CompleteMultipartUpload), when it has any. */
export function writeCondition(headers: IncomingHttpHeaders): WriteCondition | undefined {
  const ifNoneMatch = single(headers['if-none-match']);
  const ifMatch = single(headers['if-match']);
  return ifNoneMatch === undefined && ifMatch === undefined ? undefined : { ifNoneMatch, ifMatch };
}

/**
 * A single byte range, clamped to the object as S3 does. A range that cannot be parsed (or names
 * several ranges) is ignored, and the whole object is sent; one that starts past the end, or any
 * range of an empty object, is unsatisfiable (416 InvalidRange).
 */
export function parseRange(value: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const m = value ? /^bytes=(\d*)-(\d*)$/.exec(value.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Math.min(Number(m[2]), size);
    return suffix === 0 ? 'unsatisfiable' : { start: size - suffix, end: size - 1 };
  }
  const start = Number(m[1]);
  if (m[2] !== '' && Number(m[2]) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1) };
}

/**
 * GET and HEAD preconditions, in RFC 9110's order (as S3 applies them): If-Match, else
 * If-Unmodified-Since; then If-None-Match, else If-Modified-Since. Dates count in whole seconds.
 */
export function evaluateConditions(
  headers: IncomingHttpHeaders,
  object: { etag: string; lastModified: number },
  prefix = '',
): 'proceed' | 'not-modified' | 'If-Match' | 'If-Unmodified-Since' {
  const ifMatch = single(headers[`${prefix}if-match`]);
  const ifNoneMatch = single(headers[`${prefix}if-none-match`]);
  const modifiedSecond = Math.floor(object.lastModified / 1000);
  const dateOf = (name: string) => {
    const text = single(headers[`${prefix}${name}`]);
    const ms = text === undefined ? NaN : Date.parse(text);
    return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
  };
  if (ifMatch !== undefined) {
    if (!etagMatches(ifMatch, object.etag)) return 'If-Match';
  } else {
    const since = dateOf('if-unmodified-since');
    if (since !== undefined && modifiedSecond > since) return 'If-Unmodified-Since';
  }
  if (ifNoneMatch !== undefined) {
    if (etagMatches(ifNoneMatch, object.etag)) return 'not-modified';
  } else {
    const since = dateOf('if-modified-since');
    if (since !== undefined && modifiedSecond <= since) return 'not-modified';
  }
  return 'proceed';
}

/** A copy's `x-amz-copy-source-if-*` conditions on its source: any that fails is 412 (never 304). */
export function copySourceCheck(headers: IncomingHttpHeaders): (source: { etag: string; lastModified: number }) => void {
  return (source) => {
    const outcome = evaluateConditions(headers, source, 'x-amz-copy-source-');
    if (outcome === 'proceed') return;
    const failed = outcome === 'not-modified' ? (headers['x-amz-copy-source-if-none-match'] !== undefined ? 'If-None-Match' : 'If-Modified-Since') : outcome;
    throw s3Errors.preconditionFailed(`x-amz-copy-source-${failed}`);
  };
}

/** An If-Match/If-None-Match list (quoted or not, `*` for any) against an object's ETag. */
function etagMatches(list: string, etag: string): boolean {
  const bare = etag.replace(/"/g, '');
  return list.split(',').some((item) => {
    const tag = item.trim().replace(/^W\//, '').replace(/"/g, '');
    return tag === '*' || tag === bare;
  });
}
