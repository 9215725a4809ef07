/**
 * Encryption is fixed per message at send time: after SetQueueAttributes changes the queue's KMS key,
 * old messages still need kms:Decrypt on the old key and new ones use the new key; after SSE is
 * turned off, old messages are still encrypted (and still readable, with the old key). A message
 * moved to a dead-letter queue keeps the source queue's encryption, so the DLQ's consumer needs
 * kms:Decrypt on the source queue's key, whatever the DLQ's own encryption.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { protocols, startTestServer, type TestServer } from '../../support/sealq.js';
import { sqsAs } from '../identity/helpers.js';
import {
  drain,
  expectKmsError,
  grantPolicy,
  kmsAttributes,
  kmsDenied,
  meterKms,
  newKey,
  sendBody,
  sseQueue,
  userWith,
} from './helpers.js';

let server: TestServer;
let meter: ReturnType<typeof meterKms>;
let keyA: { keyId: string; arn: string };
let keyB: { keyId: string; arn: string };
beforeAll(async () => {
  server = await startTestServer();
  meter = meterKms(server);
  keyA = await newKey(server);
  keyB = await newKey(server);
});
afterAll(async () => {
  meter.restore();
  await server.stop();
});

describe.each(protocols)('a changed queue key over $name', ({ name: protocol, sdk }) => {
  const root = () => sqsAs(sdk, server.url);
  const attributes = async (url: string) =>
    (await root().send(new sdk.GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes!;
  const setAttributes = (url: string, Attributes: Record<string, string>) =>
    root().send(new sdk.SetQueueAttributesCommand({ QueueUrl: url, Attributes }));
  /** Sends as the root and returns the key ARN the send's GenerateDataKey used, if it made one. */
  const sendAndSeeKey = async (url: string, body: string, producer = root()) => {
    meter.reset();
    await sendBody(sdk, producer, url, body);
    return meter.records.find((r) => r.operation === 'GenerateDataKey')?.keyArn;
  };

  it('old messages stay under key A after the queue moves to key B; new ones use B; readers need both', async () => {
    const q = await sseQueue(server, sdk, kmsAttributes(keyA.arn));
    const producer = await userWith(
      server,
      sdk,
      grantPolicy(['kms:GenerateDataKey', 'kms:Decrypt'], [keyA.arn, keyB.arn], ['sqs:SendMessage'], q.arn),
      'producer',
    );
    expect(await sendAndSeeKey(q.url, `a1-${protocol}`, producer.sqs)).toBe(keyA.arn);
    await sendBody(sdk, producer.sqs, q.url, `a2-${protocol}`);

    await setAttributes(q.url, { KmsMasterKeyId: keyB.keyId });
    expect(await attributes(q.url)).toMatchObject({ KmsMasterKeyId: keyB.keyId, SqsManagedSseEnabled: 'false' });
    expect(await sendAndSeeKey(q.url, `b1-${protocol}`, producer.sqs)).toBe(keyB.arn);

    const onlyB = await userWith(server, sdk, grantPolicy(['kms:Decrypt'], [keyB.arn], ['sqs:ReceiveMessage'], q.arn));
    await expectKmsError(drain(sdk, server, onlyB.sqs, q.url), 'KMS.AccessDeniedException', kmsDenied(onlyB.arn, 'Decrypt', keyA.arn));
    const onlyA = await userWith(server, sdk, grantPolicy(['kms:Decrypt'], [keyA.arn], ['sqs:ReceiveMessage'], q.arn));
    await expectKmsError(drain(sdk, server, onlyA.sqs, q.url), 'KMS.AccessDeniedException', kmsDenied(onlyA.arn, 'Decrypt', keyB.arn));

    const both = await userWith(server, sdk, grantPolicy(['kms:Decrypt'], [keyA.arn, keyB.arn], ['sqs:ReceiveMessage'], q.arn));
    meter.reset();
    expect(await drain(sdk, server, both.sqs, q.url)).toEqual([`a1-${protocol}`, `a2-${protocol}`, `b1-${protocol}`]);
    // One Decrypt per data key: one under A (both old messages), one under B.
    expect(meter.viaSqs().sort()).toEqual([`Decrypt ${both.arn}`, `Decrypt ${both.arn}`]);
    expect(meter.records.map((r) => r.keyArn).sort()).toEqual([keyA.arn, keyB.arn].sort());
  });

  it('turning SSE off (KmsMasterKeyId "" and SqsManagedSseEnabled false) leaves old messages encrypted and readable', async () => {
    const q = await sseQueue(server, sdk, kmsAttributes(keyA.arn));
    await sendBody(sdk, root(), q.url, 'encrypted-before');
    await setAttributes(q.url, { KmsMasterKeyId: '', SqsManagedSseEnabled: 'false' });
    const now = await attributes(q.url);
    expect(now.SqsManagedSseEnabled).toBe('false');
    expect(now.KmsMasterKeyId).toBeUndefined();
    expect(now.KmsDataKeyReusePeriodSeconds).toBeUndefined();
    expect(await sendAndSeeKey(q.url, 'plain-after')).toBeUndefined();
    expect(meter.records).toEqual([]);

    // The old message still needs kms:Decrypt on key A, the new one needs nothing.
    const noKms = await userWith(server, sdk, grantPolicy([], [], ['sqs:ReceiveMessage'], q.arn));
    await expectKmsError(drain(sdk, server, noKms.sqs, q.url), 'KMS.AccessDeniedException', kmsDenied(noKms.arn, 'Decrypt', keyA.arn));
    const reader = await userWith(server, sdk, grantPolicy(['kms:Decrypt'], [keyA.arn], ['sqs:ReceiveMessage'], q.arn));
    expect(await drain(sdk, server, reader.sqs, q.url)).toEqual(['encrypted-before', 'plain-after']);
    await sendBody(sdk, root(), q.url, 'plain-later');
    expect(await drain(sdk, server, noKms.sqs, q.url)).toEqual(['plain-later']);
  });

  it('enabling SSE does not encrypt the backlog: messages sent before stay readable without KMS', async () => {
    const q = await sseQueue(server, sdk, { SqsManagedSseEnabled: 'false' });
    await sendBody(sdk, root(), q.url, 'backlog');
    await setAttributes(q.url, kmsAttributes(keyA.arn));
    expect(await attributes(q.url)).toMatchObject({ KmsMasterKeyId: keyA.arn, KmsDataKeyReusePeriodSeconds: '60', SqsManagedSseEnabled: 'false' });
    const noKms = await userWith(server, sdk, grantPolicy([], [], ['sqs:ReceiveMessage'], q.arn));
    expect(await drain(sdk, server, noKms.sqs, q.url)).toEqual(['backlog']);
  });
});

describe.each(protocols)('a dead-letter queue consumer needs the source queue key, over $name', ({ name: protocol, sdk }) => {
  const root = () => sqsAs(sdk, server.url);

  for (const dlqMode of ['unencrypted', 'SSE-KMS with key B'] as const) {
    it(`a message redriven from an SSE-KMS (key A) queue to an ${dlqMode} DLQ needs kms:Decrypt on key A`, async () => {
      const dlq = await sseQueue(server, sdk, dlqMode === 'unencrypted' ? { SqsManagedSseEnabled: 'false' } : kmsAttributes(keyB.arn), 'dlq');
      const source = await sseQueue(server, sdk, {
        ...kmsAttributes(keyA.arn),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 1 }),
      });
      const body = `dead-${protocol}-${dlqMode}`;
      await sendBody(sdk, root(), source.url, body);
      // First receive (by the root, allowed by the key policy), made visible again at once;
      // the next receive moves the message to the DLQ.
      const first = await root().send(new sdk.ReceiveMessageCommand({ QueueUrl: source.url, VisibilityTimeout: 0 }));
      expect(first.Messages!.map((m) => m.Body)).toEqual([body]);
      expect((await root().send(new sdk.ReceiveMessageCommand({ QueueUrl: source.url }))).Messages ?? []).toEqual([]);

      const none = await userWith(server, sdk, grantPolicy([], [], ['sqs:ReceiveMessage'], dlq.arn));
      await expectKmsError(drain(sdk, server, none.sqs, dlq.url), 'KMS.AccessDeniedException', kmsDenied(none.arn, 'Decrypt', keyA.arn));
      const onlyB = await userWith(server, sdk, grantPolicy(['kms:Decrypt'], [keyB.arn], ['sqs:ReceiveMessage'], dlq.arn));
      await expectKmsError(drain(sdk, server, onlyB.sqs, dlq.url), 'KMS.AccessDeniedException', kmsDenied(onlyB.arn, 'Decrypt', keyA.arn));

      const sourceKey = await userWith(server, sdk, grantPolicy(['kms:Decrypt'], [keyA.arn], ['sqs:ReceiveMessage'], dlq.arn));
      meter.reset();
      const { Messages } = await sourceKey.sqs.send(
        new sdk.ReceiveMessageCommand({ QueueUrl: dlq.url, AttributeNames: ['DeadLetterQueueSourceArn' as never], VisibilityTimeout: 30 }),
      );
      expect(Messages!.map((m) => [m.Body, m.Attributes?.DeadLetterQueueSourceArn])).toEqual([[body, source.arn]]);
      // Decrypted under the source queue's encryption context: that is what the data key is bound to.
      expect(meter.records.map((r) => [r.operation, r.keyArn, r.encryptionContext])).toEqual([
        ['Decrypt', keyA.arn, { 'aws:sqs:arn': source.arn }],
      ]);
    });
  }
});
