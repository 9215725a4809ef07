/** Percent-encoding as SigV4 defines it (RFC 3986 unreserved set, uppercase hex), at the byte level. */

const HEX = '0123456789ABCDEF';
const ALL_UNRESERVED = /^[A-Za-z0-9\-._~]*$/;

const isUnreserved = (b: number): boolean =>
  (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x2e || b === 0x5f || b === 0x7e;

const isHexDigit = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

const isEscapeAt = (text: string, i: number): boolean =>
  text.charCodeAt(i) === 0x25 && i + 2 < text.length && isHexDigit(text.charCodeAt(i + 1)) && isHexDigit(text.charCodeAt(i + 2));

function encodeBytes(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += isUnreserved(b) ? String.fromCharCode(b) : `%${HEX[b >> 4]}${HEX[b & 15]}`;
  return out;
}

/** Encodes every character but the unreserved ones, as UTF-8 bytes. */
export function uriEncode(text: string): string {
  return ALL_UNRESERVED.test(text) ? text : encodeBytes(Buffer.from(text, 'utf8'));
}

/**
 * Decodes `%XX` escapes to raw bytes. A `%` not followed by two hex digits stays a literal `%`, and
 * `+` stays `+`: SigV4 canonicalises the query as RFC 3986, not as a form.
 */
export function percentDecode(text: string): Buffer {
  if (!text.includes('%')) return Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  let literalStart = 0;
  for (let i = 0; i < text.length; i++) {
    if (!isEscapeAt(text, i)) continue;
    if (i > literalStart) parts.push(Buffer.from(text.slice(literalStart, i), 'utf8'));
    parts.push(Buffer.of(parseInt(text.slice(i + 1, i + 3), 16)));
    i += 2;
    literalStart = i + 1;
  }
  if (literalStart < text.length) parts.push(Buffer.from(text.slice(literalStart), 'utf8'));
  return Buffer.concat(parts);
}

/** The canonical form of a raw query component: decoded once, then encoded once. */
export function normaliseEncoding(raw: string): string {
  return ALL_UNRESERVED.test(raw) ? raw : encodeBytes(percentDecode(raw));
}

/** Encodes what is not yet encoded, keeping `%XX` escapes exactly as the client wrote them. */
export function encodeKeepingEscapes(raw: string): string {
  if (ALL_UNRESERVED.test(raw)) return raw;
  let out = '';
  let pending = '';
  for (let i = 0; i < raw.length; i++) {
    if (isEscapeAt(raw, i)) {
      out += uriEncode(pending) + raw.slice(i, i + 3);
      pending = '';
      i += 2;
    } else {
      pending += raw[i];
    }
  }
  return out + uriEncode(pending);
}
