/** Requests signed by the real AWS SDK signer (@smithy/signature-v4), verified and then tampered with. */
import { HttpRequest } from '@smithy/protocol-http';
import { Hash } from '@smithy/hash-node';
import { buildQueryString } from '@smithy/querystring-builder';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { SigningKeyCache } from './signing-key.js';
import { verifySignature, type SignedHttpRequest, type SigningCredential, type VerifyOptions } from './sigv4.js';

const T0 = Date.UTC(2026, 2, 14, 9, 26, 53);
const MINUTE = 60_000;

const user = { accessKeyId: 'AKIASEALQTESTUSER001', secretAccessKey: 'sealq/test+secret/key0123456789abcdefABCD' };
const session = {
  accessKeyId: 'ASIASEALQTESTSESSION',
  secretAccessKey: 'session/secret+key9876543210zyxwvuZYXW',
  sessionToken: 'IQoJb3JpZ2luX2VjEOr//////////wEaCXVzLWVhc3QtMSJGMEQCIA+sealq/test=token==',
};

interface Key extends SigningCredential {
  name: string;
}

const keys = new Map<string, Key>([
  [user.accessKeyId, { name: 'user', secretAccessKey: user.secretAccessKey }],
  [session.accessKeyId, { name: 'session', secretAccessKey: session.secretAccessKey, sessionToken: session.sessionToken, expiresAt: T0 + 60 * MINUTE }],
]);
const lookup = (id: string) => keys.get(id);

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

const signer = (credentials: Credentials = user, service = 'sqs') =>
  new SignatureV4({ credentials, region: 'eu-west-1', service, sha256: Hash.bind(null, 'sha256'), uriEscapePath: service !== 's3' });

function sendMessageRequest(overrides: Partial<ConstructorParameters<typeof HttpRequest>[0]> = {}): HttpRequest {
  return new HttpRequest({
    method: 'POST',
    protocol: 'http:',
    hostname: 'localhost',
    port: 9324,
    path: '/',
    headers: {
      host: 'localhost:9324',
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'AmazonSQS.SendMessage',
    },
    body: JSON.stringify({ QueueUrl: 'http://localhost:9324/000000000000/orders', MessageBody: 'héllo wörld' }),
    ...overrides,
  });
}

/** What node:http would hand the server for this SDK request. */
function onTheWire(request: HttpRequest): SignedHttpRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
  return {
    method: request.method,
    path: request.path,
    query: buildQueryString(request.query),
    headers,
    body: Buffer.from((request.body as string | undefined) ?? '', 'utf8'),
  };
}

const options = (extra: Partial<VerifyOptions> = {}): VerifyOptions => ({ now: T0 + 2_000, service: 'sqs', ...extra });

async function signed(request = sendMessageRequest(), credentials: Credentials = user, at = T0): Promise<SignedHttpRequest> {
  return onTheWire((await signer(credentials).sign(request, { signingDate: new Date(at) })) as HttpRequest);
}

async function presigned(request: HttpRequest, credentials: Credentials = user, expiresIn = 300, at = T0): Promise<SignedHttpRequest> {
  return onTheWire((await signer(credentials).presign(request, { signingDate: new Date(at), expiresIn })) as HttpRequest);
}

const failure = (code: string, extra: Record<string, unknown> = {}) => expect.objectContaining({ code, ...extra });

describe('SigV4 verification of SDK-signed requests, Authorization header', () => {
  it('accepts a signed JSON-protocol request and names the signer', async () => {
    const result = verifySignature(await signed(), lookup, options());
    expect(result).toMatchObject({
      form: 'header',
      accessKeyId: user.accessKeyId,
      region: 'eu-west-1',
      service: 'sqs',
      date: '20260314',
      requestTime: T0,
      credential: { name: 'user' },
    });
    expect(result.signedHeaders).toContain('host');
  });

  it('accepts a form-encoded Query request to a queue path with escaped characters', async () => {
    const request = sendMessageRequest({
      path: '/000000000000/orders%20%28eu%29',
      query: { Action: 'SendMessage', Version: '2012-11-05' },
      headers: { host: 'localhost:9324', 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: 'MessageBody=a+b%26c&DelaySeconds=0',
    });
    expect(verifySignature(await signed(request), lookup, options()).accessKeyId).toBe(user.accessKeyId);
  });

  it('accepts session credentials when the request carries their token', async () => {
    const result = verifySignature(await signed(sendMessageRequest(), session), lookup, options());
    expect(result.credential.name).toBe('session');
  });

  it('refuses a changed body', async () => {
    const request = await signed();
    const body = Buffer.from(request.body.toString().replace('wörld', 'world'));
    expect(() => verifySignature({ ...request, body }, lookup, options())).toThrow(failure('SignatureDoesNotMatch', { reason: 'signature-mismatch' }));
  });

  it('refuses a changed signed header', async () => {
    const request = await signed();
    const headers = { ...request.headers, 'x-amz-target': 'AmazonSQS.PurgeQueue' };
    expect(() => verifySignature({ ...request, headers }, lookup, options())).toThrow(failure('SignatureDoesNotMatch'));
  });

  it('refuses an added query parameter and a changed path', async () => {
    const request = await signed();
    expect(() => verifySignature({ ...request, query: 'Action=PurgeQueue' }, lookup, options())).toThrow(failure('SignatureDoesNotMatch'));
    expect(() => verifySignature({ ...request, path: '/000000000000/orders' }, lookup, options())).toThrow(failure('SignatureDoesNotMatch'));
  });

  it('refuses a changed X-Amz-Date', async () => {
    const request = await signed();
    const headers = { ...request.headers, 'x-amz-date': '20260314T092654Z' };
    expect(() => verifySignature({ ...request, headers }, lookup, options())).toThrow(failure('SignatureDoesNotMatch'));
  });

  it('answers an unknown access key with InvalidClientTokenId', async () => {
    const request = await signed(sendMessageRequest(), { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: user.secretAccessKey });
    expect(() => verifySignature(request, lookup, options())).toThrow(
      failure('InvalidClientTokenId', { message: 'The security token included in the request is invalid.', reason: 'unknown-access-key' }),
    );
  });

  it('answers a wrong secret with SignatureDoesNotMatch and keeps the canonical request for the log', async () => {
    const request = await signed(sendMessageRequest(), { accessKeyId: user.accessKeyId, secretAccessKey: 'not-the-secret' });
    expect(() => verifySignature(request, lookup, options())).toThrow(
      failure('SignatureDoesNotMatch', {
        message:
          'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
        detail: expect.objectContaining({ canonicalRequest: expect.stringContaining('x-amz-target:AmazonSQS.SendMessage') }),
      }),
    );
  });

  it('allows 15 minutes of clock skew either way, and refuses more as Query services word it', async () => {
    const request = await signed();
    expect(verifySignature(request, lookup, options({ now: T0 + 15 * MINUTE })).accessKeyId).toBe(user.accessKeyId);
    expect(verifySignature(request, lookup, options({ now: T0 - 15 * MINUTE })).accessKeyId).toBe(user.accessKeyId);
    expect(() => verifySignature(request, lookup, options({ now: T0 + 15 * MINUTE + 1_000 }))).toThrow(
      failure('SignatureDoesNotMatch', {
        spec: expect.objectContaining({ status: 403 }),
        message: 'Signature expired: 20260314T092653Z is now earlier than 20260314T092654Z (20260314T094154Z - 15 min.)',
        reason: 'request-time-skewed',
      }),
    );
    expect(() => verifySignature(request, lookup, options({ now: T0 - 16 * MINUTE }))).toThrow(
      failure('SignatureDoesNotMatch', {
        message: 'Signature not yet current: 20260314T092653Z is still later than 20260314T092553Z (20260314T091053Z + 15 min.)',
      }),
    );
  });

  it('can answer skew with RequestTimeTooSkewed instead', async () => {
    const request = await signed();
    expect(() => verifySignature(request, lookup, options({ now: T0 + 20 * MINUTE, skewError: 'RequestTimeTooSkewed' }))).toThrow(
      failure('RequestTimeTooSkewed', { message: 'The difference between the request time and the current time is too large.' }),
    );
  });

  it('answers expired session credentials with ExpiredToken', async () => {
    const request = await signed(sendMessageRequest(), session, T0 + 60 * MINUTE);
    expect(() => verifySignature(request, lookup, options({ now: T0 + 60 * MINUTE }))).toThrow(
      failure('ExpiredToken', { message: 'The security token included in the request is expired' }),
    );
  });

  it('answers a missing, different or unexpected session token with InvalidClientTokenId', async () => {
    const withToken = await signed(sendMessageRequest(), session);
    const { 'x-amz-security-token': _token, ...withoutToken } = withToken.headers;
    expect(() => verifySignature({ ...withToken, headers: withoutToken }, lookup, options())).toThrow(
      failure('InvalidClientTokenId', { reason: 'invalid-session-token' }),
    );
    const otherToken = { ...withToken.headers, 'x-amz-security-token': `${session.sessionToken}x` };
    expect(() => verifySignature({ ...withToken, headers: otherToken }, lookup, options())).toThrow(failure('InvalidClientTokenId'));
    const longTermWithToken = await signed(sendMessageRequest(), { ...user, sessionToken: 'stale-token' });
    expect(() => verifySignature(longTermWithToken, lookup, options())).toThrow(failure('InvalidClientTokenId'));
  });

  it('requires the host header to be signed', async () => {
    const request = onTheWire(
      (await signer().sign(sendMessageRequest(), { signingDate: new Date(T0), unsignableHeaders: new Set(['host']) })) as HttpRequest,
    );
    expect(() => verifySignature(request, lookup, options())).toThrow(
      failure('IncompleteSignature', { message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.", spec: expect.objectContaining({ status: 400 }) }),
    );
  });

  it('checks the credential scope names this service', async () => {
    const request = onTheWire((await signer(user, 'sns').sign(sendMessageRequest(), { signingDate: new Date(T0) })) as HttpRequest);
    expect(() => verifySignature(request, lookup, options())).toThrow(
      failure('SignatureDoesNotMatch', { message: "Credential should be scoped to correct service: 'sqs'. ", reason: 'invalid-scope' }),
    );
    expect(verifySignature(request, lookup, options({ service: undefined })).service).toBe('sns');
  });

  it('accepts UNSIGNED-PAYLOAD, which leaves the body out of the signature', async () => {
    const request = await signed(sendMessageRequest({ headers: { ...sendMessageRequest().headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }));
    expect(verifySignature({ ...request, body: Buffer.from('{}') }, lookup, options()).accessKeyId).toBe(user.accessKeyId);
  });

  it('verifies S3-style signing: single-encoded, unnormalised path, and a declared payload hash that must be honest', async () => {
    const request = sendMessageRequest({ path: '/bucket/a%20key//./x', headers: { host: 'localhost:9324' }, body: 'object body' });
    const s3Signed = onTheWire((await signer(user, 's3').sign(request, { signingDate: new Date(T0) })) as HttpRequest);
    expect(verifySignature(s3Signed, lookup, options({ service: 's3' })).service).toBe('s3');
    expect(() => verifySignature({ ...s3Signed, body: Buffer.from('other body') }, lookup, options({ service: 's3' }))).toThrow(
      failure('XAmzContentSHA256Mismatch', { reason: 'invalid-payload-hash' }),
    );
  });

  it('answers requests without any signature, or with a malformed one, as AWS does', async () => {
    const request = await signed();
    const { authorization: _a, ...unsigned } = request.headers;
    expect(() => verifySignature({ ...request, headers: unsigned }, lookup, options())).toThrow(
      failure('MissingAuthenticationToken', { message: 'Request is missing Authentication Token' }),
    );
    expect(() => verifySignature({ ...request, headers: { ...unsigned, authorization: 'Bearer abc' } }, lookup, options())).toThrow(
      failure('IncompleteSignature', {
        message:
          "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=Bearer abc",
      }),
    );
    const { 'x-amz-date': _d, ...undated } = request.headers;
    expect(() => verifySignature({ ...request, headers: undated }, lookup, options())).toThrow(
      failure('IncompleteSignature', {
        message: expect.stringMatching(/^Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header\. Authorization=AWS4-HMAC-SHA256 /),
        reason: 'missing-date',
      }),
    );
  });

  it('reuses derived signing keys, within a bound', async () => {
    const cache = new SigningKeyCache(2);
    const request = await signed();
    verifySignature(request, lookup, options({ signingKeys: cache }));
    verifySignature(request, lookup, options({ signingKeys: cache }));
    expect(cache.size).toBe(1);
    verifySignature(await signed(sendMessageRequest(), session), lookup, options({ signingKeys: cache }));
    verifySignature(await signed(sendMessageRequest(), user, T0 - 24 * 60 * MINUTE), lookup, options({ signingKeys: cache, now: T0 - 24 * 60 * MINUTE }));
    expect(cache.size).toBe(2);
  });
});

describe('SigV4 verification of SDK-presigned requests', () => {
  const getQueueUrl = () =>
    new HttpRequest({
      method: 'GET',
      protocol: 'http:',
      hostname: 'localhost',
      port: 9324,
      path: '/',
      query: { Action: 'GetQueueUrl', QueueName: 'orders (eu)', Version: '2012-11-05' },
      headers: { host: 'localhost:9324' },
    });

  it('accepts a presigned URL, with and without a session token', async () => {
    expect(verifySignature(await presigned(getQueueUrl()), lookup, options())).toMatchObject({ form: 'presigned', accessKeyId: user.accessKeyId });
    const withToken = await presigned(getQueueUrl(), session);
    expect(withToken.query).toContain('X-Amz-Security-Token=');
    expect(verifySignature(withToken, lookup, options()).credential.name).toBe('session');
  });

  it('refuses a presigned URL whose query or signature was changed', async () => {
    const request = await presigned(getQueueUrl());
    expect(() => verifySignature({ ...request, query: request.query.replace('orders', 'payments') }, lookup, options())).toThrow(
      failure('SignatureDoesNotMatch'),
    );
    expect(() => verifySignature({ ...request, query: request.query.replace(/X-Amz-Signature=[0-9a-f]/, 'X-Amz-Signature=g') }, lookup, options())).toThrow(
      failure('SignatureDoesNotMatch'),
    );
  });

  it('honours X-Amz-Expires, beyond the 15-minute skew window', async () => {
    const request = await presigned(getQueueUrl(), user, 3600);
    expect(verifySignature(request, lookup, options({ now: T0 + 3600_000 })).form).toBe('presigned');
    expect(() => verifySignature(request, lookup, options({ now: T0 + 3600_000 + 1_000 }))).toThrow(
      failure('AccessDenied', { message: 'Request has expired', reason: 'presign-expired' }),
    );
    expect(() => verifySignature(request, lookup, options({ now: T0 - 16 * MINUTE }))).toThrow(
      failure('SignatureDoesNotMatch', { reason: 'request-time-skewed' }),
    );
  });

  it('refuses X-Amz-Expires above a week', async () => {
    const request = await presigned(getQueueUrl());
    expect(() => verifySignature({ ...request, query: request.query.replace('X-Amz-Expires=300', 'X-Amz-Expires=604801') }, lookup, options())).toThrow(
      failure('AuthorizationQueryParametersError', { message: 'X-Amz-Expires must be less than a week (in seconds) that is; 604800' }),
    );
  });

  it('names the first missing presigned parameter', async () => {
    const request = await presigned(getQueueUrl());
    const query = request.query.replace(/&?X-Amz-Credential=[^&]*/, '');
    expect(() => verifySignature({ ...request, query }, lookup, options())).toThrow(
      failure('IncompleteSignature', { message: "AWS query-string parameters must include 'X-Amz-Credential'. Re-examine the query-string parameters." }),
    );
  });
});
