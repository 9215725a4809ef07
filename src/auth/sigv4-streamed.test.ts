/** S3 bodies that are still streaming: the declared x-amz-content-sha256 is what the signature covers. */
import { describe, expect, it } from 'vitest';
import { canonicalRequest, parseQuery, stringToSign } from './canonical-request.js';
import { formatAmzDate } from './request-time.js';
import { deriveSigningKey, hmacHex } from './signing-key.js';
import { verifySignature } from './sigv4.js';

const secret = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const now = Date.UTC(2026, 11, 3, 8, 0, 0);

function signedS3Put(payloadHash: string | undefined, path = '/bucket/a%20b/c%2Bd.txt') {
  const amzDate = formatAmzDate(now);
  const headers: Record<string, string> = { host: 'localhost:9324', 'x-amz-date': amzDate, ...(payloadHash ? { 'x-amz-content-sha256': payloadHash } : {}) };
  const signedHeaders = Object.keys(headers).sort();
  const canonical = canonicalRequest({
    method: 'PUT', path, query: parseQuery('x-id=PutObject'), headers, signedHeaders, payloadHash: payloadHash ?? '', pathStyle: 's3', excludeSignatureParam: false,
  });
  const scope = `${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`;
  const signature = hmacHex(deriveSigningKey(secret, amzDate.slice(0, 8), 'us-east-1', 's3'), stringToSign(amzDate, scope, canonical));
  headers.authorization = `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/${scope}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
  return { method: 'PUT', path, query: 'x-id=PutObject', headers, body: new Uint8Array(), streamed: true };
}

const verify = (request: ReturnType<typeof signedS3Put>) => verifySignature(request, () => ({ secretAccessKey: secret }), { now });

describe('streamed S3 payloads', () => {
  it('accept the declared hash as signed: hex, UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER', () => {
    for (const hash of ['2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824', 'UNSIGNED-PAYLOAD', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER']) {
      expect(verify(signedS3Put(hash)).service).toBe('s3');
    }
  });

  it('refuse chunk-signed payloads and a missing hash', () => {
    expect(() => verify(signedS3Put('STREAMING-AWS4-HMAC-SHA256-PAYLOAD'))).toThrow(/x-amz-content-sha256 must be/);
    expect(() => verify(signedS3Put(undefined))).toThrow('Missing required header for this request: x-amz-content-sha256');
  });
});
