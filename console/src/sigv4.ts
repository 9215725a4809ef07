/**
 * AWS Signature Version 4 for the console, on WebCrypto (HMAC-SHA256, SHA-256), so the browser
 * signs its own requests with the key pair typed at sign-in: the server sees a client like any SDK.
 * Runs unchanged in Node 20 (globalThis.crypto.subtle), where the AWS test vectors check it.
 */

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SigningInput {
  method: string;
  /** The path as sent, e.g. `/` or `/_sealq/peek` (normalised and encoded for signing). */
  path: string;
  /** The raw query string as sent, without `?` ('' for none). */
  query: string;
  /** Headers as sent; repeated names allowed. `host` must be among them. */
  headers: Array<[string, string]>;
  body: string | Uint8Array;
  credentials: Credentials;
  region: string;
  service: string;
  /** The signing instant; ignored when the headers already carry X-Amz-Date. */
  now?: Date;
}

export interface Signed {
  /** The headers to send: the input's plus x-amz-date, x-amz-security-token and authorization. */
  headers: Array<[string, string]>;
  authorization: string;
  canonicalRequest: string;
  stringToSign: string;
}

const encoder = new TextEncoder();
const bytes = (data: string | Uint8Array): Uint8Array => (typeof data === 'string' ? encoder.encode(data) : data);
const hex = (buffer: ArrayBuffer): string => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
/** A copy on a plain ArrayBuffer, which WebCrypto's typings ask for. */
const buffer = (data: Uint8Array): ArrayBuffer => data.slice().buffer as ArrayBuffer;

export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', buffer(bytes(data))));
}

async function hmac(key: Uint8Array, data: string): Promise<Uint8Array> {
  const cryptoKey = await crypto.subtle.importKey('raw', buffer(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', cryptoKey, buffer(encoder.encode(data))));
}

/** RFC 3986 percent-encoding of everything but the unreserved characters, as SigV4 wants. */
export function uriEncode(text: string): string {
  return Array.from(encoder.encode(text), (b) => {
    const c = String.fromCharCode(b);
    return /[A-Za-z0-9\-._~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
}

/** Decodes %XX escapes only ('+' stays a plus, as SigV4 reads a query). */
function percentDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Dot segments resolved, empty segments dropped, each segment encoded; a trailing slash kept. */
export function canonicalPath(path: string): string {
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(uriEncode(percentDecode(segment)));
  }
  const trailing = path.length > 1 && path.endsWith('/') && out.length > 0;
  return `/${out.join('/')}${trailing ? '/' : ''}`;
}

/** Parameters encoded and sorted by name, then value. */
export function canonicalQuery(query: string): string {
  if (query === '') return '';
  const pairs = query
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const eq = p.indexOf('=');
      const name = eq < 0 ? p : p.slice(0, eq);
      const value = eq < 0 ? '' : p.slice(eq + 1);
      return [uriEncode(percentDecode(name)), uriEncode(percentDecode(value))] as const;
    });
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/** `20150830T123600Z` */
export function amzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** Signs a request; the result's headers are what to send. */
export async function signRequest(input: SigningInput): Promise<Signed> {
  const headers: Array<[string, string]> = [...input.headers];
  const has = (name: string) => headers.some(([n]) => n.toLowerCase() === name);
  if (!has('x-amz-date')) headers.push(['X-Amz-Date', amzDate(input.now ?? new Date())]);
  if (input.credentials.sessionToken && !has('x-amz-security-token')) headers.push(['X-Amz-Security-Token', input.credentials.sessionToken]);
  const date = headers.find(([n]) => n.toLowerCase() === 'x-amz-date')![1];

  // Repeated headers are joined with ',' in the order given; values trimmed, inner runs of spaces collapsed.
  const canonical = new Map<string, string[]>();
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    const list = canonical.get(key) ?? [];
    // AWS: folded continuation lines count as separate values (the suite's get-header-value-multiline).
    for (const line of value.split(/\r?\n/)) list.push(line.replace(/[ \t]+/g, ' ').trim());
    canonical.set(key, list);
  }
  const names = [...canonical.keys()].sort();
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    input.method.toUpperCase(),
    canonicalPath(input.path),
    canonicalQuery(input.query),
    names.map((n) => `${n}:${canonical.get(n)!.join(',')}\n`).join(''),
    signedHeaders,
    await sha256Hex(input.body),
  ].join('\n');
  const day = date.slice(0, 8);
  const scope = `${day}/${input.region}/${input.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', date, scope, await sha256Hex(canonicalRequest)].join('\n');
  let key = await hmac(encoder.encode(`AWS4${input.credentials.secretAccessKey}`), day);
  for (const part of [input.region, input.service, 'aws4_request']) key = await hmac(key, part);
  const signature = hex(buffer(await hmac(key, stringToSign)));
  const authorization = `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  headers.push(['Authorization', authorization]);
  return { headers, authorization, canonicalRequest, stringToSign };
}
