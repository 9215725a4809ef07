import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFor, errorOf, protocols, startTestServer, uniqueName, type TestServer } from '../support/sealq.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

describe.each(protocols)('basic round trip over $name', ({ sdk }) => {
  it('creates a queue, sends, receives and deletes a message', async () => {
    const client = clientFor(sdk, server.url);
    const { QueueUrl } = await client.send(new sdk.CreateQueueCommand({ QueueName: uniqueName() }));
    expect(QueueUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/000000000000\/q-/);
    const sent = await client.send(new sdk.SendMessageCommand({ QueueUrl, MessageBody: 'hello' }));
    expect(sent.MD5OfMessageBody).toBe('5d41402abc4b2a76b9719d911017c592');
    const received = await client.send(new sdk.ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    expect(received.Messages?.map((m) => m.Body)).toEqual(['hello']);
    await client.send(new sdk.DeleteMessageCommand({ QueueUrl, ReceiptHandle: received.Messages![0].ReceiptHandle }));
    const after = await client.send(new sdk.ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 0 }));
    expect(after.Messages ?? []).toEqual([]);
  });

  it('answers QueueDoesNotExist for an unknown queue', async () => {
    const client = clientFor(sdk, server.url);
    const error = await errorOf(
      client.send(new sdk.GetQueueAttributesCommand({ QueueUrl: `${server.url}/000000000000/nope`, AttributeNames: ['All'] })),
    );
    expect(error).toMatchObject({ code: 'AWS.SimpleQueueService.NonExistentQueue', status: 400 });
  });
});
