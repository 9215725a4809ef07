/** ListObjectsV2's walk over one bucket's keys: UTF-8 binary order, delimiter roll-up, opaque continuation tokens. */
import { s3Errors } from './errors.js';

export interface ListPage<T> {
  objects: T[];
  commonPrefixes: string[];
  isTruncated: boolean;
  nextContinuationToken?: string;
  keyCount: number;
}

export interface ListOptions {
  prefix?: string;
  delimiter?: string;
  /** -1 (or any non-integer) for a value that did not parse. */
  maxKeys?: number;
  continuationToken?: string;
  startAfter?: string;
}

/** One page of `objects` (keyed by object key) as S3 lists them. */
export function listPage<T>(objects: ReadonlyMap<string, T>, options: ListOptions): ListPage<T> {
  const maxKeys = options.maxKeys ?? 1000;
  if (!Number.isInteger(maxKeys) || maxKeys < 0) {
    throw s3Errors.invalidArgument('Provided max-keys not an integer or within integer range', [
      ['ArgumentName', 'max-keys'],
      ['ArgumentValue', String(options.maxKeys)],
    ]);
  }
  const limit = Math.min(maxKeys, 1000);
  let after = options.startAfter ?? '';
  if (options.continuationToken !== undefined) {
    const decoded = decodeToken(options.continuationToken);
    if (decoded === undefined) throw s3Errors.invalidArgument('The continuation token provided is incorrect', [['ArgumentName', 'continuation-token']]);
    after = decoded;
  }
  const prefix = options.prefix ?? '';
  const delimiter = options.delimiter;
  const afterBytes = Buffer.from(after, 'utf8');
  // Each key encoded once: S3 orders keys by their UTF-8 bytes, which JS string order is not.
  const keys = [...objects.keys()]
    .filter((k) => k.startsWith(prefix))
    .map((k) => ({ key: k, bytes: Buffer.from(k, 'utf8') }))
    .filter((k) => Buffer.compare(k.bytes, afterBytes) > 0)
    .sort((a, b) => Buffer.compare(a.bytes, b.bytes));
  const page: T[] = [];
  const commonPrefixes: string[] = [];
  let last: string | undefined;
  let isTruncated = false;
  for (const { key } of keys) {
    // Keys under the common prefix just listed are rolled up into it.
    if (last !== undefined && delimiter && commonPrefixes.at(-1) === last && key.startsWith(last)) continue;
    if (page.length + commonPrefixes.length >= limit) {
      isTruncated = true;
      break;
    }
    const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    if (cut >= 0) {
      last = key.slice(0, cut + delimiter!.length);
      commonPrefixes.push(last);
    } else {
      last = key;
      page.push(objects.get(key)!);
    }
  }
  // A common prefix continues after every key under it (U+10FFFF sorts after any other character).
  const resumeAfter = last !== undefined && commonPrefixes.at(-1) === last ? `${last}\u{10FFFF}` : last;
  return {
    objects: page,
    commonPrefixes,
    isTruncated,
    nextContinuationToken: isTruncated && resumeAfter !== undefined ? encodeToken(resumeAfter) : undefined,
    keyCount: page.length + commonPrefixes.length,
  };
}

function encodeToken(after: string): string {
  return Buffer.from(`1\u0000${after}`, 'utf8').toString('base64');
}

function decodeToken(token: string): string | undefined {
  const text = Buffer.from(token, 'base64').toString('utf8');
  return text.startsWith('1\u0000') ? text.slice(2) : undefined;
}

/** A paging query argument (max-parts, part-number-marker, max-uploads): absent gives the default; else a non-negative integer. */
export function pageArgument(name: string, text: string | undefined, absent: number): number {
  if (text === undefined) return absent;
  const n = /^\d{1,10}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n > 2147483647) {
    throw s3Errors.invalidArgument(`Provided ${name} not an integer or within integer range`, [
      ['ArgumentName', name],
      ['ArgumentValue', text],
    ]);
  }
  return n;
}
