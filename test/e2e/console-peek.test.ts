/**
 * POST /_sealq/peek, the console's browse: through real SDK clients for everything else, it shows a
 * queue's messages without changing them (visibility and receive counts stay as they were), opens
 * an SSE-KMS body only for a caller allowed kms:Decrypt on its key (else names the key and the
 * permission), opens SSE-SQS bodies without KMS permissions, and refuses callers without
 * sqs:ReceiveMessage on the queue.
 */
import * as Sqs from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PeekedMessage } from '../../src/services/sqs/peek.js';
import { adminPost, startTestServer, testCredentials, type TestServer } from '../support/sealq.js';
import type { Credentials } from './identity/helpers.js';
import { grantPolicy, kmsAttributes, newKey, sseQueue, userWith } from './sse/helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

async function peek(queueUrl: string, credentials: Credentials = testCredentials, max?: number, bodies?: boolean) {
  const { status, text } = await adminPost(server.url, '/_sealq/peek', { queueUrl, max, bodies }, credentials);
  return { status, text, messages: status === 200 ? (JSON.parse(text) as { messages: PeekedMessage[] }).messages : [] };}

async function counts(sqs: Sqs.SQSClient, queueUrl: string) {
  const { Attributes } = await sqs.send(new Sqs.GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }));
  return {
    visible: Attributes!.ApproximateNumberOfMessages,
    inFlight: Attributes!.ApproximateNumberOfMessagesNotVisible,
    delayed: Attributes!.ApproximateNumberOfMessagesDelayed,
  };
}

describe('POST /_sealq/peek', () => {
  it('shows every message with its attributes and changes neither visibility nor receive counts', async () => {
    const q = await sseQueue(server, Sqs as never, {}, 'peek');
    const root = new Sqs.SQSClient({ endpoint: server.url, region: 'us-east-1', credentials: testCredentials, maxAttempts: 1 });
    await root.send(
      new Sqs.SendMessageCommand({
        QueueUrl: q.url,
        MessageBody: 'first',
        MessageAttributes: { colour: { DataType: 'String', StringValue: 'blue' } },
      }),
    );
    await root.send(new Sqs.SendMessageCommand({ QueueUrl: q.url, MessageBody: 'second' }));
    await root.send(new Sqs.SendMessageCommand({ QueueUrl: q.url, MessageBody: 'later', DelaySeconds: 60 }));
    const { Messages } = await root.send(new Sqs.ReceiveMessageCommand({ QueueUrl: q.url, MaxNumberOfMessages: 1, VisibilityTimeout: 120 }));
    expect(Messages![0].Body).toBe('first');
    const before = await counts(root, q.url);
    expect(before).toEqual({ visible: '1', inFlight: '1', delayed: '1' });

    const first = await peek(q.url);
    expect(first.status).toBe(200);
    expect(first.messages.map((m) => [m.body, m.state, m.approximateReceiveCount])).toEqual([
      ['first', 'in-flight', 1],
      ['second', 'visible', 0],
      ['later', 'delayed', 0],
    ]);
    expect(first.messages[0]).toMatchObject({
      messageId: Messages![0].MessageId,
      messageAttributes: { colour: { dataType: 'String', stringValue: 'blue' } },
      sentTimestamp: expect.any(Number),
      encryptedWith: 'sqs-owned',
    });
    // Peeking again changes nothing either.
    expect((await peek(q.url)).messages).toEqual(first.messages);
    expect(await counts(root, q.url)).toEqual(before);

    // The visible message is still the next one a receive gets, received for the first time.
    const next = await root.send(new Sqs.ReceiveMessageCommand({ QueueUrl: q.url, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
    expect(next.Messages!.map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount])).toEqual([['second', '1']]);
    expect((await peek(q.url, testCredentials, 1)).messages.map((m) => m.body)).toEqual(['first']);
  });

  it('opens an SSE-KMS body only for a caller allowed kms:Decrypt, and names the key otherwise', async () => {
    const key = await newKey(server);
    const q = await sseQueue(server, Sqs as never, kmsAttributes(key.arn), 'peek-kms');
    const root = new Sqs.SQSClient({ endpoint: server.url, region: 'us-east-1', credentials: testCredentials, maxAttempts: 1 });
    await root.send(new Sqs.SendMessageCommand({ QueueUrl: q.url, MessageBody: 'secret body' }));

    const reader = await userWith(server, Sqs as never, grantPolicy(['kms:Decrypt'], [key.arn], ['sqs:ReceiveMessage'], q.arn), 'reader');
    const allowed = await peek(q.url, reader.credentials);
    expect(allowed.status).toBe(200);
    expect(allowed.messages).toHaveLength(1);
    expect(allowed.messages[0]).toMatchObject({ body: 'secret body', encryptedWith: key.arn });
    expect(allowed.messages[0].denied).toBeUndefined();

    const browser = await userWith(server, Sqs as never, grantPolicy([], [], ['sqs:ReceiveMessage'], q.arn), 'browser');
    const refused = await peek(q.url, browser.credentials);
    expect(refused.status).toBe(200);
    expect(refused.messages).toHaveLength(1);
    expect(refused.messages[0].body).toBeUndefined();
    expect(refused.messages[0].denied).toMatchObject({ keyArn: key.arn, permission: 'kms:Decrypt' });
    expect(refused.messages[0].denied!.reason).toContain(browser.arn);
    expect(refused.messages[0].denied!.reason).toContain('kms:Decrypt');
    // The refusal left the message where it was.
    expect(await counts(root, q.url)).toEqual({ visible: '1', inFlight: '0', delayed: '0' });
  });

  it('leaves bodies out and asks KMS nothing when bodies are not wanted', async () => {
    const key = await newKey(server);
    const q = await sseQueue(server, Sqs as never, kmsAttributes(key.arn), 'peek-nobody');
    const root = new Sqs.SQSClient({ endpoint: server.url, region: 'us-east-1', credentials: testCredentials, maxAttempts: 1 });
    await root.send(new Sqs.SendMessageCommand({ QueueUrl: q.url, MessageBody: 'oldest' }));
    await root.send(new Sqs.SendMessageCommand({ QueueUrl: q.url, MessageBody: 'newer' }));
    // A caller without kms:Decrypt sees the metadata, and no refusal: nothing was decrypted.
    const browser = await userWith(server, Sqs as never, grantPolicy([], [], ['sqs:ReceiveMessage'], q.arn), 'lister');
    const { status, messages } = await peek(q.url, browser.credentials, 1, false);
    expect(status).toBe(200);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ state: 'visible', encryptedWith: key.arn, sentTimestamp: expect.any(Number) });
    expect(messages[0].body).toBeUndefined();
    expect(messages[0].denied).toBeUndefined();
    expect((await peek(q.url, testCredentials, 10, false)).messages.map((m) => m.body)).toEqual([undefined, undefined]);
  });

  it('refuses a caller without sqs:ReceiveMessage on the queue with AccessDenied', async () => {
    const q = await sseQueue(server, Sqs as never, {}, 'peek-denied');
    const sender = await userWith(server, Sqs as never, grantPolicy([], [], ['sqs:SendMessage'], q.arn), 'sender');
    const refused = await peek(q.url, sender.credentials);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('AccessDenied');
    expect(refused.text).toContain(`is not authorized to perform: sqs:ReceiveMessage on resource: ${q.arn}`);
  });

  it('answers the usual errors for a missing queue URL, an unknown queue and a bad max', async () => {
    expect((await peek('')).status).toBe(400);
    const unknown = await peek(`${server.url}/000000000000/no-such-queue`);
    expect(unknown.status).toBe(400);
    expect(unknown.text).toContain('NonExistentQueue');
    const q = await sseQueue(server, Sqs as never, {}, 'peek-max');
    expect((await peek(q.url, testCredentials, 0)).text).toContain('InvalidParameterValue');
    expect((await peek(q.url, testCredentials, 101)).text).toContain('InvalidParameterValue');
  });
});
