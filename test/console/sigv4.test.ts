/** The console's browser signer (console/src/sigv4.ts, WebCrypto) against the AWS SigV4 test-suite vectors. */
import { describe, expect, it } from 'vitest';
import { signRequest } from '../../console/src/sigv4.js';
import { sigv4Suite as suite, type Vector } from '../support/sigv4-vectors.js';

/** Vectors that describe requests the console never makes, left out of the suite (with why). */
const notApplicable: Record<string, string> = {
  'get-vanilla-date-header': 'signs a Date header instead of X-Amz-Date; the console always sends X-Amz-Date',
  'post-sts-header-after': 'adds the session token after signing; the console signs the token it sends',
};

describe('console SigV4 signer, AWS test suite (Authorization header form)', () => {
  for (const vector of suite.header.filter((v) => !(v.name in notApplicable))) {
    it(vector.name, async () => {
      // Where the suite contradicts itself (see the fixture's erratum), sign the request its signature was made for.
      const signed = vector.signedAs ?? vector;
      const { method, path, query, headers, body } = signed.request;
      const token = headers.find(([n]) => n.toLowerCase() === 'x-amz-security-token')?.[1];
      const result = await signRequest({
        method,
        path,
        query,
        // The content-length erratum: the signature covers only the headers its Authorization lists.
        headers: vector.erratum ? headers.filter(([n]) => n.toLowerCase() !== 'content-length') : headers,
        body,
        credentials: { ...suite.credentials, sessionToken: vector.sessionToken ?? token },
        region: suite.region,
        service: suite.service,
      });
      if (vector.canonicalRequest && !vector.erratum) expect(result.canonicalRequest).toBe(vector.canonicalRequest);
      if (vector.stringToSign && !vector.signedAs) expect(result.stringToSign).toBe(vector.stringToSign);
      const expected = signed.authorization ?? vector.authorization!;
      const signature = /Signature=([0-9a-f]+)/.exec(expected)![1];
      expect(result.authorization).toContain(`Signature=${signature}`);
      expect(result.authorization.startsWith(expected.slice(0, expected.indexOf('SignedHeaders=')))).toBe(true);
    });
  }

  it('adds X-Amz-Date from the signing instant and the session token, and signs both', async () => {
    const result = await signRequest({
      method: 'POST',
      path: '/_sealq/peek',
      query: '',
      headers: [['Host', '127.0.0.1:9324'], ['Content-Type', 'application/json']],
      body: '{}',
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret', sessionToken: 'token' },
      region: 'us-east-1',
      service: 'sqs',
      now: new Date('2026-01-02T03:04:05.678Z'),
    });
    expect(result.headers).toContainEqual(['X-Amz-Date', '20260102T030405Z']);
    expect(result.headers).toContainEqual(['X-Amz-Security-Token', 'token']);
    expect(result.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKID\/20260102\/us-east-1\/sqs\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
    );
  });
});
