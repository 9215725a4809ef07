import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueue, sleep } from '../support/e2e.js';
import { clientFor, protocols, startTestServer, type TestServer } from '../support/sealq.js';

// Long polling is about wall-clock time, so this file uses the real clock and short real waits.
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

describe.each(protocols)('long polling over $name', ({ sdk }) => {
  const client = () => clientFor(sdk, server.url);
  const timedReceive = async (QueueUrl: string, input: Record<string, unknown> = {}) => {
    const started = Date.now();
    const { Messages } = await client().send(new sdk.ReceiveMessageCommand({ QueueUrl, ...input }));
    return { messages: Messages ?? [], elapsed: Date.now() - started };
  };

  it('wakes a waiting receiver as soon as a message is sent', async () => {
    const url = await createQueue(client(), sdk);
    const waiting = timedReceive(url, { WaitTimeSeconds: 10 });
    await sleep(300);
    const sentAt = Date.now();
    await client().send(new sdk.SendMessageCommand({ QueueUrl: url, MessageBody: 'wake up' }));
    const { messages } = await waiting;
    const afterSend = Date.now() - sentAt;
    expect(messages.map((m) => m.Body)).toEqual(['wake up']);
    // Far below the 10 s wait: woken by the send, not by a timeout (bounds leave room for a busy CI).
    expect(afterSend).toBeLessThan(2500);
  });

  it('returns an empty answer when WaitTimeSeconds runs out', async () => {
    const url = await createQueue(client(), sdk);
    const { messages, elapsed } = await timedReceive(url, { WaitTimeSeconds: 1 });
    expect(messages).toEqual([]);
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(3500);
  });

  it("waits for the queue's ReceiveMessageWaitTimeSeconds when the receive gives none", async () => {
    const url = await createQueue(client(), sdk, { ReceiveMessageWaitTimeSeconds: '1' });
    const { messages, elapsed } = await timedReceive(url);
    expect(messages).toEqual([]);
    expect(elapsed).toBeGreaterThanOrEqual(950);
    // An explicit 0 is a short poll.
    const short = await timedReceive(url, { WaitTimeSeconds: 0 });
    expect(short.elapsed).toBeLessThan(900);
  });

  it('wakes a waiting receiver when a delayed message becomes visible', async () => {
    const url = await createQueue(client(), sdk);
    await client().send(new sdk.SendMessageCommand({ QueueUrl: url, MessageBody: 'delayed', DelaySeconds: 1 }));
    const { messages, elapsed } = await timedReceive(url, { WaitTimeSeconds: 10 });
    expect(messages.map((m) => m.Body)).toEqual(['delayed']);
    expect(elapsed).toBeGreaterThanOrEqual(800);
    expect(elapsed).toBeLessThan(5000);
  });

  it('wakes a receiver that started waiting before a delayed send', async () => {
    const url = await createQueue(client(), sdk);
    const waiting = timedReceive(url, { WaitTimeSeconds: 10 });
    await sleep(100);
    await client().send(new sdk.SendMessageCommand({ QueueUrl: url, MessageBody: 'later', DelaySeconds: 1 }));
    const { messages, elapsed } = await waiting;
    expect(messages.map((m) => m.Body)).toEqual(['later']);
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(5000);
  });

  it('wakes a waiting receiver when an in-flight message times out', async () => {
    const url = await createQueue(client(), sdk);
    await client().send(new sdk.SendMessageCommand({ QueueUrl: url, MessageBody: 'again' }));
    const first = await timedReceive(url, { VisibilityTimeout: 1 });
    expect(first.messages).toHaveLength(1);
    const { messages, elapsed } = await timedReceive(url, { WaitTimeSeconds: 10 });
    expect(messages.map((m) => m.MessageId)).toEqual([first.messages[0].MessageId]);
    expect(elapsed).toBeLessThan(5000);
  });

  it('wakes a FIFO receiver when a delete frees the message group it waits on', async () => {
    const url = await createQueue(client(), sdk, { FifoQueue: 'true', ContentBasedDeduplication: 'true' });
    for (const body of ['first', 'second']) {
      await client().send(new sdk.SendMessageCommand({ QueueUrl: url, MessageBody: body, MessageGroupId: 'g' }));
    }
    const first = await timedReceive(url);
    expect(first.messages.map((m) => m.Body)).toEqual(['first']);
    // The group is held by 'first' (30 s visibility): this receive has to wait for the delete.
    const waiting = timedReceive(url, { WaitTimeSeconds: 10 });
    await sleep(300);
    const deletedAt = Date.now();
    await client().send(new sdk.DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first.messages[0].ReceiptHandle }));
    const { messages } = await waiting;
    expect(messages.map((m) => m.Body)).toEqual(['second']);
    expect(Date.now() - deletedAt).toBeLessThan(2500);
  });

  it('gives each of two waiting receivers its own message', async () => {
    const url = await createQueue(client(), sdk);
    const a = timedReceive(url, { WaitTimeSeconds: 10 });
    const b = timedReceive(url, { WaitTimeSeconds: 10 });
    await sleep(200);
    await client().send(new sdk.SendMessageCommand({ QueueUrl: url, MessageBody: 'one' }));
    await client().send(new sdk.SendMessageCommand({ QueueUrl: url, MessageBody: 'two' }));
    const results = await Promise.all([a, b]);
    expect(results.flatMap((r) => r.messages.map((m) => m.Body)).sort()).toEqual(['one', 'two']);
    for (const r of results) expect(r.elapsed).toBeLessThan(5000);
  });

  it('returns early with what it has, without waiting to fill MaxNumberOfMessages', async () => {
    const url = await createQueue(client(), sdk);
    await client().send(new sdk.SendMessageCommand({ QueueUrl: url, MessageBody: 'only one' }));
    const { messages, elapsed } = await timedReceive(url, { WaitTimeSeconds: 10, MaxNumberOfMessages: 10 });
    expect(messages).toHaveLength(1);
    expect(elapsed).toBeLessThan(3000);
  });

  it('ends a long poll promptly, and empty, when its queue is deleted', async () => {
    const url = await createQueue(client(), sdk);
    const waiting = timedReceive(url, { WaitTimeSeconds: 10 });
    await sleep(200);
    await client().send(new sdk.DeleteQueueCommand({ QueueUrl: url }));
    const { messages, elapsed } = await waiting;
    expect(messages).toEqual([]);
    expect(elapsed).toBeLessThan(4000);
  });
});
