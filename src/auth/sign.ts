/** Signs outgoing requests with SigV4 (for sealq's own CLI talking to a running server). */
import { canonicalRequest, parseQuery, sha256Hex, stringToSign } from './canonical-request.js';
import { formatAmzDate } from './request-time.js';
import { deriveSigningKey, hmacHex } from './signing-key.js';

export interface SigningInput {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  service: string;
  now: number;
}

/** Returns the headers to send: the given ones plus host, x-amz-date and authorization. */
export function signRequest(input: SigningInput): Record<string, string> {
  const amzDate = formatAmzDate(input.now);
  const date = amzDate.slice(0, 8);
  const headers: Record<string, string> = { ...lowercase(input.headers), host: input.url.host, 'x-amz-date': amzDate };
  const signedHeaders = Object.keys(headers).sort();
  const canonical = canonicalRequest({
    method: input.method,
    path: input.url.pathname,
    query: parseQuery(input.url.search.replace(/^\?/, '')),
    headers,
    signedHeaders,
    payloadHash: sha256Hex(input.body),
    pathStyle: 'normalised',
    excludeSignatureParam: false,
  });
  const scope = `${date}/${input.region}/${input.service}/aws4_request`;
  const signature = hmacHex(
    deriveSigningKey(input.secretAccessKey, date, input.region, input.service),
    stringToSign(amzDate, scope, canonical),
  );
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${input.accessKeyId}/${scope}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
  return headers;
}

const lowercase = (headers: Record<string, string>) =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
