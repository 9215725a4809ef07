/** The AWS SigV4 test-suite vectors (sources in fixtures/sigv4-suite.json) through the verifier. */
import { describe, expect, it } from 'vitest';
import { sigv4Suite as suite, type Vector } from '../../test/support/sigv4-vectors.js';
import { canonicalRequest, parseQuery, sha256Hex, stringToSign } from './canonical-request.js';
import { formatAmzDate } from './request-time.js';
import { readSignedRequest, verifySignature, type SignedHttpRequest, type SigningCredential } from './sigv4.js';
const signedAt = (vector: Vector) => Date.parse(vector.signedAt ?? suite.signedAt);
const scopeOf = (authorization: string) => /Credential=[^/]+\/([^,]+)/.exec(authorization)![1];

/** Lowercased names, repeated headers kept apart, as node's `headersDistinct` gives them. */
function headersOf(pairs: [string, string][], extra: Record<string, string> = {}): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of [...pairs, ...Object.entries(extra)]) {
    const key = name.toLowerCase();
    const seen = headers[key];
    headers[key] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  return headers;
}

function requestOf(vector: Vector, extra: Record<string, string> = {}): SignedHttpRequest {
  const { method, path, query, headers, body } = vector.request;
  return { method, path, query, headers: headersOf(headers, extra), body: Buffer.from(body, 'utf8') };
}

function credentialFor(vector: Vector): SigningCredential {
  const token = vector.request.headers.some(([name]) => name.toLowerCase() === 'x-amz-security-token');
  return {
    secretAccessKey: suite.credentials.secretAccessKey,
    sessionToken: vector.sessionToken ?? (token ? suite.stsToken : undefined),
  };
}

const signedHeadersOf = (authorization: string) => /SignedHeaders=([^,]+)/.exec(authorization)![1].split(';');
const signatureOf = (authorization: string) => /Signature=([0-9a-f]+)/.exec(authorization)![1];

describe('AWS SigV4 test suite, Authorization header form', () => {
  for (const vector of suite.header) {
    describe(`${vector.name} (${vector.origin})`, () => {
      // Where the suite contradicts itself, the signature is checked against the request it was made for.
      const signedVector: Vector = vector.signedAs ? { ...vector, ...vector.signedAs } : vector;
      const authorization = signedVector.authorization!;
      const canonicalFor = (v: Vector, signedHeaders: string[]) =>
        canonicalRequest({
          method: v.request.method,
          path: v.request.path,
          query: parseQuery(v.request.query),
          headers: headersOf(v.request.headers),
          signedHeaders,
          payloadHash: sha256Hex(v.request.body),
          pathStyle: v.pathStyle ?? 'normalised',
          excludeSignatureParam: false,
        });

      if (vector.canonicalRequest) {
        it('builds the canonical request', () => {
          expect(canonicalFor(vector, vector.canonicalRequest!.split('\n').at(-2)!.split(';'))).toBe(vector.canonicalRequest);
        });
      }

      if (vector.stringToSign) {
        it('builds the string to sign for the headers the signature covers', () => {
          const canonical = canonicalFor(signedVector, signedHeadersOf(authorization));
          expect(stringToSign(formatAmzDate(signedAt(vector)), scopeOf(authorization), canonical)).toBe(vector.stringToSign);
        });
      }

      it('accepts the published signature', () => {
        const [date, region, service] = scopeOf(authorization).split('/');
        const result = verifySignature(requestOf(signedVector, { authorization }), () => credentialFor(vector), {
          now: signedAt(vector),
          service,
          pathStyle: vector.pathStyle,
        });
        expect(result).toMatchObject({ accessKeyId: 'AKIDEXAMPLE', region, service, date, requestTime: signedAt(vector), form: 'header' });
      });

      it('refuses the published signature with one digit changed', () => {
        const signature = signatureOf(authorization);
        const flipped = authorization.replace(signature, signature.slice(0, -1) + (signature.endsWith('0') ? '1' : '0'));
        expect(() =>
          verifySignature(requestOf(signedVector, { authorization: flipped }), () => credentialFor(vector), {
            now: signedAt(vector),
            pathStyle: vector.pathStyle,
          }),
        ).toThrow(expect.objectContaining({ code: 'SignatureDoesNotMatch', reason: 'signature-mismatch' }));
      });
    });
  }
});

describe('AWS SigV4 test suite, presigned query form', () => {
  for (const vector of suite.presigned) {
    describe(`${vector.name} (${vector.origin})`, () => {
      it('accepts the published signature', () => {
        const request = requestOf(vector);
        const options = { now: signedAt(vector), pathStyle: vector.pathStyle };
        if (vector.canonicalRequest) {
          const signed = readSignedRequest(request, options);
          expect(signed.canonicalRequest).toBe(vector.canonicalRequest);
          expect(signed.stringToSign).toBe(vector.stringToSign);
        }
        expect(verifySignature(request, () => credentialFor(vector), options)).toMatchObject({
          accessKeyId: 'AKIDEXAMPLE',
          form: 'presigned',
        });
      });

      it('refuses it once the query is altered', () => {
        const request = { ...requestOf(vector), query: `${vector.request.query}&extra=1` };
        expect(() => verifySignature(request, () => credentialFor(vector), { now: signedAt(vector), pathStyle: vector.pathStyle })).toThrow(
          expect.objectContaining({ code: 'SignatureDoesNotMatch' }),
        );
      });
    });
  }
});
