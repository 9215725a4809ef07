import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { createQueue, queueAttributes, receiveAll } from '../support/e2e.js';
import { clientFor, dropTestSchema, errorOf, protocols, startTestServer, type TestServer } from '../support/sealq.js';

const clock = new ManualClock();
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({}, { clock });
});
afterAll(async () => {
  await server.stop();
});

describe.each(protocols)('FIFO queues over $name', ({ sdk }) => {
  const client = () => clientFor(sdk, server.url);
  const fifoQueue = (attributes: Record<string, string> = {}) =>
    createQueue(client(), sdk, { FifoQueue: 'true', ContentBasedDeduplication: 'true', ...attributes });
  const send = (QueueUrl: string, MessageBody: string, MessageGroupId: string, extra: Record<string, unknown> = {}) =>
    client().send(new sdk.SendMessageCommand({ QueueUrl, MessageBody, MessageGroupId, ...extra }));
  const visibleCount = async (url: string) =>
    (await queueAttributes(client(), sdk, url, ['ApproximateNumberOfMessages'])).ApproximateNumberOfMessages;

  it('delivers a group in order, several at a time', async () => {
    const url = await fifoQueue();
    for (let i = 0; i < 6; i++) await send(url, `m${i}`, 'g');
    const batch = await receiveAll(client(), sdk, url, { max: 4 });
    expect(batch.map((m) => m.Body)).toEqual(['m0', 'm1', 'm2', 'm3']);
  });

  it('holds back a group while one of its messages is in flight, and serves other groups', async () => {
    const url = await fifoQueue();
    await send(url, 'a1', 'A');
    await send(url, 'a2', 'A');
    const [a1] = await receiveAll(client(), sdk, url, { max: 1 });
    expect(a1.Body).toBe('a1');
    expect(await receiveAll(client(), sdk, url)).toEqual([]);
    await send(url, 'b1', 'B');
    expect((await receiveAll(client(), sdk, url)).map((m) => m.Body)).toEqual(['b1']);
    await client().send(new sdk.DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: a1.ReceiptHandle }));
    expect((await receiveAll(client(), sdk, url)).map((m) => m.Body)).toEqual(['a2']);
  });

  it('redelivers the head of a group, in order, when its visibility times out', async () => {
    const url = await fifoQueue();
    await send(url, 'x1', 'X');
    await send(url, 'x2', 'X');
    await receiveAll(client(), sdk, url, { max: 1, visibility: 10 });
    clock.advance(10_000);
    expect((await receiveAll(client(), sdk, url)).map((m) => m.Body)).toEqual(['x1', 'x2']);
  });

  it('deduplicates by content for 5 minutes, returning the original MessageId', async () => {
    const url = await fifoQueue();
    const first = await send(url, 'same body', 'g');
    const second = await send(url, 'same body', 'g');
    expect(second.MessageId).toBe(first.MessageId);
    expect(second.SequenceNumber).toBe(first.SequenceNumber);
    expect(await visibleCount(url)).toBe('1');
    // Still deduplicated after the message was received and deleted.
    const [m] = await receiveAll(client(), sdk, url);
    await client().send(new sdk.DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    clock.advance(4 * 60_000);
    expect((await send(url, 'same body', 'g')).MessageId).toBe(first.MessageId);
    expect(await visibleCount(url)).toBe('0');
    clock.advance(60_000);
    const later = await send(url, 'same body', 'g');
    expect(later.MessageId).not.toBe(first.MessageId);
    expect(await visibleCount(url)).toBe('1');
  });

  it('deduplicates by an explicit MessageDeduplicationId, whatever the body', async () => {
    const url = await fifoQueue({ ContentBasedDeduplication: 'false' });
    const first = await send(url, 'one', 'g', { MessageDeduplicationId: 'dedup-1' });
    const second = await send(url, 'two', 'g', { MessageDeduplicationId: 'dedup-1' });
    const third = await send(url, 'one', 'g', { MessageDeduplicationId: 'dedup-2' });
    expect(second.MessageId).toBe(first.MessageId);
    expect(third.MessageId).not.toBe(first.MessageId);
    const received = await receiveAll(client(), sdk, url, { attributeNames: ['MessageDeduplicationId'] });
    expect(received.map((m) => [m.Body, m.Attributes?.MessageDeduplicationId])).toEqual([
      ['one', 'dedup-1'],
      ['one', 'dedup-2'],
    ]);
  });

  it('deduplicates within each message group when DeduplicationScope is messageGroup', async () => {
    const url = await fifoQueue({ DeduplicationScope: 'messageGroup', FifoThroughputLimit: 'perMessageGroupId' });
    const a = await send(url, 'payload', 'A');
    const b = await send(url, 'payload', 'B');
    const a2 = await send(url, 'payload', 'A');
    expect(b.MessageId).not.toBe(a.MessageId);
    expect(a2.MessageId).toBe(a.MessageId);
    expect(await visibleCount(url)).toBe('2');
  });

  it('numbers messages with increasing 20-digit SequenceNumbers', async () => {
    const url = await fifoQueue();
    const numbers: string[] = [];
    for (let i = 0; i < 3; i++) numbers.push((await send(url, `s${i}`, i === 1 ? 'other' : 'g')).SequenceNumber!);
    const batch = await client().send(
      new sdk.SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'b0', MessageBody: 'b0', MessageGroupId: 'g' },
          { Id: 'b1', MessageBody: 'b1', MessageGroupId: 'g' },
        ],
      }),
    );
    numbers.push(...batch.Successful!.sort((x, y) => x.Id!.localeCompare(y.Id!)).map((s) => s.SequenceNumber!));
    for (const n of numbers) expect(n).toMatch(/^\d{20}$/);
    for (let i = 1; i < numbers.length; i++) expect(BigInt(numbers[i]) > BigInt(numbers[i - 1])).toBe(true);
    const received = await receiveAll(client(), sdk, url, { attributeNames: ['SequenceNumber'] });
    const bySeq = new Map(received.map((m) => [m.Body, m.Attributes?.SequenceNumber]));
    expect(bySeq.get('s0')).toBe(numbers[0]);
    expect(bySeq.get('b1')).toBe(numbers[4]);
  });

  it('answers the FIFO system attributes for All', async () => {
    const url = await fifoQueue();
    const sent = await send(url, 'attrs', 'grp-1', { MessageDeduplicationId: 'd-1' });
    const [m] = await receiveAll(client(), sdk, url, { attributeNames: ['All'] });
    expect(Object.keys(m.Attributes!).sort()).toEqual([
      'ApproximateFirstReceiveTimestamp',
      'ApproximateReceiveCount',
      'MessageDeduplicationId',
      'MessageGroupId',
      'SenderId',
      'SentTimestamp',
      'SequenceNumber',
    ]);
    expect(m.Attributes).toMatchObject({ MessageGroupId: 'grp-1', MessageDeduplicationId: 'd-1', SequenceNumber: sent.SequenceNumber });
  });

  it('replays a receive with the same ReceiveRequestAttemptId: same messages, same handles', async () => {
    const url = await fifoQueue();
    for (const body of ['r1', 'r2', 'r3']) await send(url, body, 'g');
    const receive = (attempt: string) =>
      client().send(
        new sdk.ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 2, ReceiveRequestAttemptId: attempt }),
      );
    const first = await receive('attempt-1');
    expect(first.Messages?.map((m) => m.Body)).toEqual(['r1', 'r2']);
    const retry = await receive('attempt-1');
    expect(retry.Messages?.map((m) => [m.MessageId, m.ReceiptHandle])).toEqual(
      first.Messages?.map((m) => [m.MessageId, m.ReceiptHandle]),
    );
    // A different attempt finds the group busy.
    expect((await receive('attempt-2')).Messages ?? []).toEqual([]);
    // The replayed handles are live.
    for (const m of retry.Messages!) {
      await client().send(new sdk.DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    }
    expect((await receive('attempt-3')).Messages?.map((m) => m.Body)).toEqual(['r3']);
  });

  it('a retry with the same ReceiveRequestAttemptId restarts the visibility timeout', async () => {
    const url = await fifoQueue();
    await send(url, 'v1', 'g');
    const receive = (attempt: string) =>
      client().send(new sdk.ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 30, ReceiveRequestAttemptId: attempt }));
    const first = await receive('slow-consumer');
    clock.advance(20_000);
    expect((await receive('slow-consumer')).Messages?.map((m) => m.ReceiptHandle)).toEqual(first.Messages?.map((m) => m.ReceiptHandle));
    // 40 s after the first receive: its own timeout is over, the retry's is not.
    clock.advance(20_000);
    expect((await receive('another')).Messages ?? []).toEqual([]);
    clock.advance(11_000);
    const after = await receive('another');
    expect(after.Messages?.map((m) => m.Body)).toEqual(['v1']);
    expect(after.Messages?.[0].ReceiptHandle).not.toBe(first.Messages?.[0].ReceiptHandle);
  });

  it('does not replay an attempt once one of its messages was deleted or had its visibility changed', async () => {
    const url = await fifoQueue();
    for (const body of ['t1', 't2', 't3', 't4']) await send(url, body, 'g');
    const receive = (attempt: string) =>
      client().send(new sdk.ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 2, ReceiveRequestAttemptId: attempt }));
    const first = await receive('touched-by-delete');
    await client().send(new sdk.DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first.Messages![0].ReceiptHandle }));
    // Not replayed: a fresh receive, which finds the group busy (t2 is still in flight).
    expect((await receive('touched-by-delete')).Messages ?? []).toEqual([]);
    await client().send(new sdk.DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first.Messages![1].ReceiptHandle }));

    const second = await receive('touched-by-visibility');
    expect(second.Messages?.map((m) => m.Body)).toEqual(['t3', 't4']);
    await client().send(
      new sdk.ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: second.Messages![1].ReceiptHandle, VisibilityTimeout: 100 }),
    );
    expect((await receive('touched-by-visibility')).Messages ?? []).toEqual([]);
  });

  it('requires MessageGroupId, and a deduplication id unless content-based', async () => {
    const url = await fifoQueue({ ContentBasedDeduplication: 'false' });
    const noGroup = await errorOf(
      client().send(new sdk.SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageDeduplicationId: 'd' })),
    );
    expect(noGroup).toEqual({
      code: 'MissingParameter',
      status: 400,
      message: 'The request must contain the parameter MessageGroupId.',
    });
    expect(await errorOf(send(url, 'x', 'g'))).toEqual({
      code: 'InvalidParameterValue',
      status: 400,
      message: 'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
    });
    // In a batch, the whole request fails.
    const batch = await errorOf(
      client().send(
        new sdk.SendMessageBatchCommand({
          QueueUrl: url,
          Entries: [
            { Id: 'ok', MessageBody: 'x', MessageGroupId: 'g', MessageDeduplicationId: 'd1' },
            { Id: 'nogroup', MessageBody: 'y', MessageDeduplicationId: 'd2' },
          ],
        }),
      ),
    );
    expect(batch).toMatchObject({ code: 'InvalidParameterValue', status: 400 });
    expect(await visibleCount(url)).toBe('0');
  });

  it('rejects a per-message DelaySeconds other than 0', async () => {
    const url = await fifoQueue();
    expect(await errorOf(send(url, 'x', 'g', { DelaySeconds: 2 }))).toEqual({
      code: 'InvalidParameterValue',
      status: 400,
      message: 'Value 2 for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.',
    });
    await send(url, 'x', 'g', { DelaySeconds: 0 });
    expect(await visibleCount(url)).toBe('1');
  });

  it('applies a queue DelaySeconds to FIFO messages', async () => {
    const url = await fifoQueue({ DelaySeconds: '5' });
    await send(url, 'd', 'g');
    expect(await receiveAll(client(), sdk, url)).toEqual([]);
    clock.advance(5_000);
    expect((await receiveAll(client(), sdk, url)).map((m) => m.Body)).toEqual(['d']);
  });

  it('says an old handle has expired once the message was received again', async () => {
    const url = await fifoQueue();
    await send(url, 'e', 'g');
    const [first] = await receiveAll(client(), sdk, url, { visibility: 0 });
    await receiveAll(client(), sdk, url, { visibility: 30 });
    const error = await errorOf(client().send(new sdk.DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first.ReceiptHandle })));
    expect(error).toEqual({
      code: 'InvalidParameterValue',
      status: 400,
      message: `Value ${first.ReceiptHandle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.`,
    });
  });

  it('accepts MessageGroupId on a standard queue (fair queues) but not MessageDeduplicationId', async () => {
    const url = await createQueue(client(), sdk);
    const sent = await client().send(new sdk.SendMessageCommand({ QueueUrl: url, MessageBody: 'fair', MessageGroupId: 'tenant-1' }));
    expect(sent.SequenceNumber).toBeUndefined();
    const [m] = await receiveAll(client(), sdk, url, { attributeNames: ['MessageGroupId'] });
    expect(m.Attributes).toEqual({ MessageGroupId: 'tenant-1' });
    const dedup = await errorOf(
      client().send(new sdk.SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageDeduplicationId: 'd' })),
    );
    expect(dedup).toMatchObject({ code: 'InvalidParameterValue', status: 400 });
  });
});

describe('ReceiveRequestAttemptId across a restart', () => {
  it('a retry after the server restarted gets the same messages and receipt handles', async () => {
    const { sdk } = protocols[0];
    const dataDir = mkdtempSync(join(tmpdir(), 'sealq-attempt-restart-'));
    const restartClock = new ManualClock();
    const first = await startTestServer({ 'data-dir': dataDir }, { clock: restartClock });
    let second: TestServer | undefined;
    try {
      const url = await createQueue(clientFor(sdk, first.url), sdk, { FifoQueue: 'true', ContentBasedDeduplication: 'true' });
      for (const body of ['before-1', 'before-2']) {
        await clientFor(sdk, first.url).send(new sdk.SendMessageCommand({ QueueUrl: url, MessageBody: body, MessageGroupId: 'g' }));
      }
      const receive = (base: string) =>
        clientFor(sdk, base).send(
          new sdk.ReceiveMessageCommand({ QueueUrl: url.replace(first.url, base), MaxNumberOfMessages: 10, ReceiveRequestAttemptId: 'across' }),
        );
      const before = await receive(first.url);
      expect(before.Messages?.map((m) => m.Body)).toEqual(['before-1', 'before-2']);
      await first.sealq.close();

      restartClock.advance(5_000);
      second = await startTestServer({ 'data-dir': dataDir }, { clock: restartClock });
      const after = await receive(second.url);
      expect(after.Messages?.map((m) => [m.Body, m.MessageId, m.ReceiptHandle])).toEqual(
        before.Messages?.map((m) => [m.Body, m.MessageId, m.ReceiptHandle]),
      );
    } finally {
      await second?.sealq.close();
      rmSync(dataDir, { recursive: true, force: true });
      await dropTestSchema(dataDir);
    }
  });
});
