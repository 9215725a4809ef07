import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { createQueue, queueAttributes, receiveAll } from '../support/e2e.js';
import { clientFor, errorOf, protocols, startTestServer, type TestServer } from '../support/sealq.js';

const clock = new ManualClock();
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({}, { clock });
});
afterAll(async () => {
  await server.stop();
});

describe.each(protocols)('visibility, delete and receipt handles over $name', ({ sdk }) => {
  const client = () => clientFor(sdk, server.url);
  const sendOne = async (body = 'm') => {
    const url = await createQueue(client(), sdk);
    const sent = await client().send(new sdk.SendMessageCommand({ QueueUrl: url, MessageBody: body }));
    return { url, messageId: sent.MessageId! };
  };
  const receiveOne = async (url: string, visibility?: number) => {
    const messages = await receiveAll(client(), sdk, url, { visibility, max: 1, attributeNames: ['ApproximateReceiveCount'] });
    return messages[0];
  };
  const changeVisibility = (QueueUrl: string, ReceiptHandle: string, VisibilityTimeout: number) =>
    client().send(new sdk.ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle, VisibilityTimeout }));
  const deleteMessage = (QueueUrl: string, ReceiptHandle: string) =>
    client().send(new sdk.DeleteMessageCommand({ QueueUrl, ReceiptHandle }));

  it("hides a received message for the queue's visibility timeout, then redelivers it", async () => {
    const { url, messageId } = await sendOne();
    const first = await receiveOne(url);
    expect(first.MessageId).toBe(messageId);
    clock.advance(29_999);
    expect(await receiveOne(url)).toBeUndefined();
    clock.advance(1);
    const again = await receiveOne(url);
    expect(again).toMatchObject({ MessageId: messageId, Attributes: { ApproximateReceiveCount: '2' } });
  });

  it('honours a VisibilityTimeout given on the receive', async () => {
    const { url, messageId } = await sendOne();
    await receiveOne(url, 5);
    clock.advance(4_999);
    expect(await receiveOne(url)).toBeUndefined();
    clock.advance(1);
    expect((await receiveOne(url)).MessageId).toBe(messageId);
  });

  it('deletes a message for good', async () => {
    const { url } = await sendOne();
    const m = await receiveOne(url);
    await deleteMessage(url, m.ReceiptHandle!);
    clock.advance(31_000);
    expect(await receiveOne(url)).toBeUndefined();
    const counts = await queueAttributes(client(), sdk, url, ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible']);
    expect(counts).toEqual({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
  });

  it('succeeds without deleting when the handle is stale (the message was received again)', async () => {
    const { url, messageId } = await sendOne();
    const first = await receiveOne(url, 0);
    const second = await receiveOne(url, 10);
    expect(second.ReceiptHandle).not.toBe(first.ReceiptHandle);
    await deleteMessage(url, first.ReceiptHandle!);
    clock.advance(10_000);
    const third = await receiveOne(url);
    expect(third).toMatchObject({ MessageId: messageId, Attributes: { ApproximateReceiveCount: '3' } });
    // The current handle still deletes it.
    await deleteMessage(url, third.ReceiptHandle!);
    clock.advance(31_000);
    expect(await receiveOne(url)).toBeUndefined();
  });

  it('succeeds when the message was already deleted', async () => {
    const { url } = await sendOne();
    const m = await receiveOne(url);
    await deleteMessage(url, m.ReceiptHandle!);
    await deleteMessage(url, m.ReceiptHandle!);
  });

  it('answers ReceiptHandleIsInvalid for a handle it never minted', async () => {
    const { url } = await sendOne();
    for (const garbage of ['garbage', 'AQAAAAAAAQAAAAAAAQ', 'x'.repeat(34)]) {
      const error = await errorOf(deleteMessage(url, garbage));
      // AWS: the service model gives ReceiptHandleIsInvalid HTTP 404 (spec §3.3).
      expect(error, garbage).toEqual({
        code: 'ReceiptHandleIsInvalid',
        status: 404,
        message: `The input receipt handle "${garbage}" is not a valid receipt handle.`,
      });
      expect((await errorOf(changeVisibility(url, garbage, 10))).code).toBe('ReceiptHandleIsInvalid');
    }
  });

  it('answers ReceiptHandleIsInvalid for a handle from another queue', async () => {
    const a = await sendOne();
    const b = await sendOne();
    const m = await receiveOne(a.url);
    expect((await errorOf(deleteMessage(b.url, m.ReceiptHandle!))).code).toBe('ReceiptHandleIsInvalid');
  });

  it('makes a message visible at once with ChangeMessageVisibility 0', async () => {
    const { url, messageId } = await sendOne();
    const m = await receiveOne(url);
    expect(await receiveOne(url)).toBeUndefined();
    await changeVisibility(url, m.ReceiptHandle!, 0);
    expect((await receiveOne(url)).MessageId).toBe(messageId);
  });

  it('extends and shortens the visibility timeout from now', async () => {
    const { url, messageId } = await sendOne();
    const m = await receiveOne(url);
    clock.advance(20_000);
    await changeVisibility(url, m.ReceiptHandle!, 100);
    clock.advance(99_999);
    expect(await receiveOne(url)).toBeUndefined();
    clock.advance(1);
    const again = await receiveOne(url);
    expect(again.MessageId).toBe(messageId);
    await changeVisibility(url, again.ReceiptHandle!, 3);
    clock.advance(3_000);
    expect((await receiveOne(url)).MessageId).toBe(messageId);
  });

  it('still accepts the latest handle after the visibility timeout lapsed, if nobody received it since', async () => {
    const { url, messageId } = await sendOne();
    const m = await receiveOne(url, 5);
    expect(m.MessageId).toBe(messageId);
    clock.advance(6_000);
    // AWS answers 200 here (research notes §5); whether it hides the message again is not asserted.
    await changeVisibility(url, m.ReceiptHandle!, 60);
    await deleteMessage(url, m.ReceiptHandle!);
    clock.advance(61_000);
    expect(await receiveOne(url)).toBeUndefined();
  });

  it('rejects a stale or deleted handle with InvalidParameterValue', async () => {
    const { url } = await sendOne();
    const first = await receiveOne(url, 0);
    const second = await receiveOne(url, 30);
    const stale = await errorOf(changeVisibility(url, first.ReceiptHandle!, 10));
    expect(stale).toEqual({
      code: 'InvalidParameterValue',
      status: 400,
      message: `Value ${first.ReceiptHandle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`,
    });
    await deleteMessage(url, second.ReceiptHandle!);
    const deleted = await errorOf(changeVisibility(url, second.ReceiptHandle!, 10));
    expect(deleted).toMatchObject({ code: 'InvalidParameterValue', status: 400 });
  });

  it('refuses to keep a message hidden for more than 12 hours from its receive', async () => {
    const { url, messageId } = await sendOne();
    const m = await receiveOne(url);
    clock.advance(1_000);
    const beyond = await errorOf(changeVisibility(url, m.ReceiptHandle!, 43_200));
    expect(beyond).toEqual({
      code: 'InvalidParameterValue',
      status: 400,
      message: 'Value 43200 for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]',
    });
    await changeVisibility(url, m.ReceiptHandle!, 43_199);
    clock.advance(43_198_999);
    expect(await receiveOne(url)).toBeUndefined();
    clock.advance(1);
    expect((await receiveOne(url)).MessageId).toBe(messageId);

    const other = await sendOne();
    const n = await receiveOne(other.url);
    for (const bad of [43_201, -1]) {
      expect((await errorOf(changeVisibility(other.url, n.ReceiptHandle!, bad))).code).toBe('InvalidParameterValue');
    }
  });

  it('rejects a receive VisibilityTimeout outside 0 to 43200', async () => {
    const { url } = await sendOne();
    const error = await errorOf(client().send(new sdk.ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 43_201 })));
    expect(error).toMatchObject({ code: 'InvalidParameterValue', status: 400 });
  });
});
