/** Authentication with real SDK clients: enforce mode's refusals, expired sessions, permissive mode. */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { request as httpRequest } from 'node:http';
import { signRequest } from '../../../src/auth/sign.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/shared/clock.js';
import { protocols, startTestServer, testCredentials, uniqueName, type TestServer } from '../../support/sealq.js';
import {
  allow,
  assumeRole,
  assumerSts,
  createUserWithKey,
  errorOf,
  Iam,
  iamAs,
  makeQueue,
  policy,
  sqsAs,
  Sts,
  stsAs,
  trust,
  whoAmI,
  type Credentials,
} from './helpers.js';

const MINUTE = 60_000;
const wrongSecret: Credentials = { accessKeyId: testCredentials.accessKeyId, secretAccessKey: 'not-the-secret-of-this-key-at-all-0000000' };
const unknownKey: Credentials = { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: testCredentials.secretAccessKey };

const SIGNATURE_MISMATCH = /^The request signature we calculated does not match the signature you provided/;

/** Drops the Authorization header after signing, as an unsigned client would send the request. */
function unsigned<T extends { middlewareStack: { add: (...args: never[]) => void } }>(client: T): T {
  (client.middlewareStack as unknown as { add: (mw: unknown, options: unknown) => void }).add(
    (next: (args: unknown) => Promise<unknown>) => async (args: { request: { headers: Record<string, string> } }) => {
      delete args.request.headers.authorization;
      delete args.request.headers.Authorization;
      return next(args);
    },
    { step: 'deserialize', priority: 'low', name: 'dropAuthorization' },
  );
  return client;
}

describe('enforce mode (the default)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('verifies a signed header sent twice as its values joined by a comma, as SigV4 defines', async () => {
    const url = new URL(server.url);
    const body = JSON.stringify({});
    const headers = signRequest({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.ListQueues', 'x-repeated': 'one,two' },
      body,
      ...testCredentials,
      region: 'us-east-1',
      service: 'sqs',
      now: Date.now(),
    });
    // On the wire the header appears twice; node's joined view ('one, two') would not verify.
    const send = (values: string[]) =>
      new Promise<number>((resolve, reject) => {
        const raw = Object.entries(headers).flatMap(([name, value]) => (name === 'x-repeated' ? values.flatMap((v) => [name, v]) : [name, value]));
        const req = httpRequest({ host: url.hostname, port: url.port, method: 'POST', path: '/', headers: raw }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end(body);
      });
    expect(await send(['one', 'two'])).toBe(200);
    expect(await send(['one', 'three'])).toBe(403);
  });

  describe.each(protocols)('SQS over $name', ({ sdk }) => {
    const listQueues = (client: SQSClient) => client.send(new sdk.ListQueuesCommand({}));

    it('accepts the root credentials of the default account', async () => {
      const { QueueUrls } = await listQueues(sqsAs(sdk, server.url));
      expect(QueueUrls ?? []).toBeInstanceOf(Array);
    });

    it('refuses a wrong secret with 403 SignatureDoesNotMatch', async () => {
      const error = await errorOf(listQueues(sqsAs(sdk, server.url, wrongSecret)));
      expect(error).toMatchObject({ code: 'SignatureDoesNotMatch', status: 403 });
      expect(error.message).toMatch(SIGNATURE_MISMATCH);
    });

    it('refuses an unknown access key with 403 InvalidClientTokenId', async () => {
      expect(await errorOf(listQueues(sqsAs(sdk, server.url, unknownKey)))).toEqual({
        code: 'InvalidClientTokenId',
        status: 403,
        message: 'The security token included in the request is invalid.',
      });
    });

    it('refuses a request without Authorization with 403 MissingAuthenticationToken', async () => {
      expect(await errorOf(listQueues(unsigned(sqsAs(sdk, server.url))))).toMatchObject({
        code: 'MissingAuthenticationToken',
        status: 403,
      });
    });

    it.each([
      ['20 minutes ahead', 20 * MINUTE, /^Signature not yet current: \d{8}T\d{6}Z is still later than/],
      ['20 minutes behind', -20 * MINUTE, /^Signature expired: \d{8}T\d{6}Z is now earlier than/],
    ])('refuses a request signed %s with SignatureDoesNotMatch', async (_, offset, message) => {
      // A fresh client each time: the SDK corrects its offset from the server's Date header.
      const error = await errorOf(listQueues(sqsAs(sdk, server.url, testCredentials, { systemClockOffset: offset })));
      expect(error).toMatchObject({ code: 'SignatureDoesNotMatch', status: 403 });
      expect(error.message).toMatch(message);
    });

    it('accepts a request signed 10 minutes off (within the 15-minute window)', async () => {
      await listQueues(sqsAs(sdk, server.url, testCredentials, { systemClockOffset: 10 * MINUTE }));
      await listQueues(sqsAs(sdk, server.url, testCredentials, { systemClockOffset: -10 * MINUTE }));
    });
  });

  describe('IAM and STS', () => {
    it('refuse a wrong secret, an unknown key and a missing signature', async () => {
      for (const call of [
        (c: Credentials) => iamAs(server.url, c).send(new Iam.ListUsersCommand({})),
        (c: Credentials) => stsAs(server.url, c).send(new Sts.GetCallerIdentityCommand({})),
      ]) {
        expect(await errorOf(call(wrongSecret))).toMatchObject({ code: 'SignatureDoesNotMatch', status: 403 });
        expect(await errorOf(call(unknownKey))).toMatchObject({ code: 'InvalidClientTokenId', status: 403 });
      }
      expect(await errorOf(unsigned(iamAs(server.url)).send(new Iam.ListUsersCommand({})))).toMatchObject({
        code: 'MissingAuthenticationToken',
        status: 403,
      });
      expect(await errorOf(unsigned(stsAs(server.url)).send(new Sts.GetCallerIdentityCommand({})))).toMatchObject({
        code: 'MissingAuthenticationToken',
        status: 403,
      });
    });

    it('refuse a request signed 20 minutes off with SignatureDoesNotMatch', async () => {
      const skewed = { systemClockOffset: 20 * MINUTE };
      const iamError = await errorOf(iamAs(server.url, testCredentials, skewed).send(new Iam.ListUsersCommand({})));
      expect(iamError).toMatchObject({ code: 'SignatureDoesNotMatch', status: 403 });
      expect(iamError.message).toMatch(/^Signature not yet current/);
      const stsError = await errorOf(stsAs(server.url, testCredentials, skewed).send(new Sts.GetCallerIdentityCommand({})));
      expect(stsError).toMatchObject({ code: 'SignatureDoesNotMatch', status: 403 });
    });
  });

  describe('IAM user keys', () => {
    it('work while active; an inactive or deleted key is an invalid token', async () => {
      const iam = iamAs(server.url);
      const name = uniqueName('keys');
      const alice = await createUserWithKey(iam, name);
      expect(await whoAmI(server.url, alice.credentials)).toEqual({ UserId: alice.userId, Account: '000000000000', Arn: alice.arn });

      const sign = (c: Credentials) => stsAs(server.url, c).send(new Sts.GetCallerIdentityCommand({}));
      expect(await errorOf(sign({ ...alice.credentials, secretAccessKey: 'x'.repeat(40) }))).toMatchObject({
        code: 'SignatureDoesNotMatch',
      });

      await iam.send(new Iam.UpdateAccessKeyCommand({ UserName: name, AccessKeyId: alice.credentials.accessKeyId, Status: 'Inactive' }));
      expect(await errorOf(sign(alice.credentials))).toMatchObject({ code: 'InvalidClientTokenId', status: 403 });
      await iam.send(new Iam.UpdateAccessKeyCommand({ UserName: name, AccessKeyId: alice.credentials.accessKeyId, Status: 'Active' }));
      await sign(alice.credentials);

      await iam.send(new Iam.DeleteAccessKeyCommand({ UserName: name, AccessKeyId: alice.credentials.accessKeyId }));
      expect(await errorOf(sign(alice.credentials))).toMatchObject({ code: 'InvalidClientTokenId', status: 403 });
    });
  });
});

describe('STS session expiry (service clock)', () => {
  const clock = new ManualClock(Date.now());
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({}, { clock });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('accepts a session until it expires, then answers ExpiredToken on every service', async () => {
    const iam = iamAs(server.url);
    const roleName = uniqueName('expiring');
    const { Role } = await iam.send(
      new Iam.CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: trust('arn:aws:iam::000000000000:root') }),
    );
    await iam.send(new Iam.PutRolePolicyCommand({ RoleName: roleName, PolicyName: 'sqs', PolicyDocument: policy(allow('sqs:*')) }));
    const session = await assumeRole(await assumerSts(server.url), Role!.Arn!, 'short', { DurationSeconds: 900 });
    expect(Math.abs(session.expiration.getTime() - (clock.now() + 900_000))).toBeLessThan(1000);

    const [json, query] = protocols;
    const { url } = await makeQueue(json.sdk, sqsAs(json.sdk, server.url, session), uniqueName('exp'));
    await sqsAs(query.sdk, server.url, session).send(new query.sdk.GetQueueAttributesCommand({ QueueUrl: url }));

    clock.advance(899_000);
    await sqsAs(json.sdk, server.url, session).send(new json.sdk.SendMessageCommand({ QueueUrl: url, MessageBody: 'in time' }));

    clock.advance(2_000);
    for (const { sdk } of protocols) {
      const error = await errorOf(sqsAs(sdk, server.url, session).send(new sdk.SendMessageCommand({ QueueUrl: url, MessageBody: 'late' })));
      expect(error).toMatchObject({ code: 'ExpiredToken', status: 403, message: 'The security token included in the request is expired' });
    }
    expect(await errorOf(stsAs(server.url, session).send(new Sts.GetCallerIdentityCommand({})))).toMatchObject({
      code: 'ExpiredToken',
      status: 403,
    });
    expect(await errorOf(iamAs(server.url, session).send(new Iam.ListUsersCommand({})))).toMatchObject({
      code: 'ExpiredToken',
      status: 403,
    });
  });

  it('refuses session credentials sent without their token, or with another session\'s', async () => {
    const iam = iamAs(server.url);
    const roleName = uniqueName('tokens');
    const { Role } = await iam.send(
      new Iam.CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: trust('arn:aws:iam::000000000000:root') }),
    );
    const a = await assumeRole(await assumerSts(server.url), Role!.Arn!, 'one');
    const b = await assumeRole(await assumerSts(server.url), Role!.Arn!, 'two');
    const call = (c: Credentials) => stsAs(server.url, c).send(new Sts.GetCallerIdentityCommand({}));
    expect((await call(a)).Arn).toBe(`arn:aws:sts::000000000000:assumed-role/${roleName}/one`);
    expect(await errorOf(call({ accessKeyId: a.accessKeyId, secretAccessKey: a.secretAccessKey }))).toMatchObject({
      code: 'InvalidClientTokenId',
      status: 403,
    });
    expect(await errorOf(call({ ...a, sessionToken: b.sessionToken }))).toMatchObject({ code: 'InvalidClientTokenId', status: 403 });
  });
});

describe('permissive mode', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ auth: 'permissive' });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('accepts any key and secret as the default account root', async () => {
    const anyone = { accessKeyId: 'AKIAANYTHINGGOES0000', secretAccessKey: 'whatever' };
    expect(await whoAmI(server.url, anyone)).toEqual({
      UserId: '000000000000',
      Account: '000000000000',
      Arn: 'arn:aws:iam::000000000000:root',
    });
    expect(await whoAmI(server.url, wrongSecret)).toMatchObject({ Arn: 'arn:aws:iam::000000000000:root' });
    for (const { sdk } of protocols) {
      const client = sqsAs(sdk, server.url, anyone);
      const { url } = await makeQueue(sdk, client, uniqueName('perm'));
      expect(url).toContain('/000000000000/');
      await client.send(new sdk.SendMessageCommand({ QueueUrl: url, MessageBody: 'ok' }));
    }
    await iamAs(server.url, anyone).send(new Iam.ListUsersCommand({}));
  });

  it('ignores clock skew but still names a known key\'s user', async () => {
    await whoAmI(server.url, testCredentials);
    const skewed = await stsAs(server.url, unknownKey, { systemClockOffset: 40 * MINUTE }).send(new Sts.GetCallerIdentityCommand({}));
    expect(skewed.Arn).toBe('arn:aws:iam::000000000000:root');
    const bob = await createUserWithKey(iamAs(server.url), uniqueName('bob'));
    expect(await whoAmI(server.url, { ...bob.credentials, secretAccessKey: 'wrong' })).toMatchObject({ Arn: bob.arn });
  });

  it('still requires a signature', async () => {
    expect(await errorOf(unsigned(stsAs(server.url)).send(new Sts.GetCallerIdentityCommand({})))).toMatchObject({
      code: 'MissingAuthenticationToken',
      status: 403,
    });
  });
});
