import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { clientFor, errorOf, protocols, startTestServer, testCredentials, uniqueName, type TestServer } from '../support/sealq.js';

let server: TestServer;
const clock = new ManualClock(Date.now());

beforeAll(async () => {
  server = await startTestServer({ 'kms-requests-per-second': '2' }, { clock });
});
afterAll(async () => {
  await server.stop();
});

describe('the KMS request quota (--kms-requests-per-second)', () => {
  it.each(protocols)('throttles KMS beyond the quota and SQS reports KMS.ThrottlingException over $name', async ({ sdk }) => {
    const sqs = clientFor(sdk, server.url);
    const kms = server.sealq.identity.kms;
    const ctx = { principal: server.sealq.identity.directory.principalFor(testCredentials.accessKeyId)!, secure: false };
    clock.advance(10_000);
    const { keyMetadata } = await kms.createKey(ctx, {});
    const { QueueUrl } = await sqs.send(new sdk.CreateQueueCommand({ QueueName: uniqueName('thr'), Attributes: { KmsMasterKeyId: keyMetadata.arn } }));

    // A new data key costs the producer two KMS requests (GenerateDataKey, then Decrypt): the whole quota.
    await sqs.send(new sdk.SendMessageCommand({ QueueUrl, MessageBody: 'first' }));
    await expect(kms.encrypt(ctx, { keyId: keyMetadata.keyId, plaintext: Buffer.from('x') })).rejects.toMatchObject({
      spec: { shape: 'ThrottlingException' },
    });

    const other = await sqs.send(new sdk.CreateQueueCommand({ QueueName: uniqueName('thr'), Attributes: { KmsMasterKeyId: keyMetadata.arn } }));
    const error = await errorOf(sqs.send(new sdk.SendMessageCommand({ QueueUrl: other.QueueUrl, MessageBody: 'second' })));
    expect(error).toMatchObject({ code: 'KMS.ThrottlingException', status: 400 });

    // The bucket refills with time: a second later the send goes through, and another second
    // later the receive's Decrypt does too.
    clock.advance(1000);
    await sqs.send(new sdk.SendMessageCommand({ QueueUrl: other.QueueUrl, MessageBody: 'after a second' }));
    clock.advance(1000);
    const { Messages } = await sqs.send(new sdk.ReceiveMessageCommand({ QueueUrl: other.QueueUrl }));
    expect(Messages?.map((m) => m.Body)).toEqual(['after a second']);
  });
});
