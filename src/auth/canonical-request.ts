/** The SigV4 canonical request and string to sign, built from a request exactly as it arrived. */
import { hash } from 'node:crypto';
import { encodeKeepingEscapes, normaliseEncoding, uriEncode } from './percent-encoding.js';

export const ALGORITHM = 'AWS4-HMAC-SHA256';

/** Header names are lowercase; repeated headers may arrive as arrays (node's `headersDistinct`). */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * How the path enters the canonical request. `normalised`: dot segments and empty segments
 * removed, then each segment encoded once more on top of the raw path (every service but S3).
 * `s3`: the path as sent, only completing its encoding.
 */
export type PathStyle = 'normalised' | 's3';

export interface CanonicalInput {
  method: string;
  /** The raw path as received, before any decoding. */
  path: string;
  /** The query as `parseQuery` read it from the raw query string. */
  query: readonly QueryParam[];
  headers: RequestHeaders;
  signedHeaders: readonly string[];
  payloadHash: string;
  pathStyle: PathStyle;
  /** Presigned requests leave their own signature out of the canonical query. */
  excludeSignatureParam: boolean;
}

export function canonicalUri(rawPath: string, style: PathStyle): string {
  if (rawPath === '') return '/';
  if (style === 's3') return rawPath.split('/').map(encodeKeepingEscapes).join('/');
  const kept: string[] = [];
  for (const segment of rawPath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') kept.pop();
    else kept.push(segment);
  }
  const leading = rawPath.startsWith('/') ? '/' : '';
  const trailing = kept.length > 0 && rawPath.endsWith('/') ? '/' : '';
  return leading + kept.map(uriEncode).join('/') + trailing || '/';
}

export interface QueryParam {
  /** As canonicalised: decoded once, then RFC 3986 encoded. */
  key: string;
  value: string;
}

/** Splits a raw query into canonically encoded pairs; `a` and `a=` both mean an empty value. */
export function parseQuery(rawQuery: string): QueryParam[] {
  const params: QueryParam[] = [];
  if (rawQuery === '') return params;
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    params.push({ key: normaliseEncoding(key), value: normaliseEncoding(value) });
  }
  return params;
}

export function canonicalQuery(params: readonly QueryParam[], excludeSignatureParam: boolean): string {
  const kept = excludeSignatureParam ? params.filter((p) => p.key !== 'X-Amz-Signature') : [...params];
  kept.sort((a, b) => compare(a.key, b.key) || compare(a.value, b.value));
  return kept.map((p) => `${p.key}=${p.value}`).join('&');
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** One header's canonical value: values trimmed, inner runs of spaces collapsed, repeats joined by `,`. */
export function canonicalHeaderValue(value: string | readonly string[] | undefined): string {
  if (value === undefined) return '';
  if (typeof value !== 'string') return value.map(canonicalHeaderValue).join(',');
  // AWS: the test suite (get-header-value-multiline) treats folded continuation lines as separate values.
  if (value.includes('\n')) return value.split(/\r?\n/).map(canonicalHeaderValue).join(',');
  return value.replace(/[ \t]+/g, ' ').trim();
}

export function canonicalRequest(input: CanonicalInput): string {
  const headerLines = input.signedHeaders.map((name) => `${name}:${canonicalHeaderValue(input.headers[name])}\n`).join('');
  return [
    input.method,
    canonicalUri(input.path, input.pathStyle),
    canonicalQuery(input.query, input.excludeSignatureParam),
    headerLines,
    input.signedHeaders.join(';'),
    input.payloadHash,
  ].join('\n');
}

export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return `${ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonical)}`;
}

export function sha256Hex(data: string | Uint8Array): string {
  // One-shot hashing: no Hash object per call (every request hashes its payload and its canonical form).
  return hash('sha256', data, 'hex');
}
