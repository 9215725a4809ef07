import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { createQueue, md5, queueAttributes, receiveAll, referenceAttributeMd5 } from '../support/e2e.js';
import { clientFor, errorOf, protocols, startTestServer, type TestServer } from '../support/sealq.js';

const clock = new ManualClock();
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({}, { clock });
});
afterAll(async () => {
  await server.stop();
});

const MiB = 1_048_576;
const entries = (n: number, body = (i: number) => `body-${i}`) =>
  Array.from({ length: n }, (_, i) => ({ Id: `e${i}`, MessageBody: body(i) }));

describe.each(protocols)('batch actions over $name', ({ sdk }) => {
  const client = () => clientFor(sdk, server.url);
  const sendBatch = (QueueUrl: string, Entries: unknown[]) =>
    client().send(new sdk.SendMessageBatchCommand({ QueueUrl, Entries: Entries as never }));

  it('sends up to 10 messages, answering each entry by its id', async () => {
    const url = await createQueue(client(), sdk);
    const attributes = { k: { DataType: 'String', StringValue: 'v' } };
    const batch = entries(10).map((e, i) => (i === 3 ? { ...e, MessageAttributes: attributes } : e));
    const result = await sendBatch(url, batch);
    expect(result.Failed ?? []).toEqual([]);
    expect(result.Successful?.map((s) => s.Id).sort()).toEqual(batch.map((e) => e.Id).sort());
    for (const s of result.Successful!) {
      const i = Number(s.Id!.slice(1));
      expect(s.MD5OfMessageBody).toBe(md5(`body-${i}`));
      expect(s.MD5OfMessageAttributes).toBe(i === 3 ? referenceAttributeMd5(attributes) : undefined);
      expect(s.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    }
    const received = [...(await receiveAll(client(), sdk, url)), ...(await receiveAll(client(), sdk, url))];
    expect(received.map((m) => m.Body).sort()).toEqual(batch.map((e) => e.MessageBody).sort());
  });

  it('rejects batches that are empty, too big, or have bad or repeated ids', async () => {
    const url = await createQueue(client(), sdk);
    expect(await errorOf(sendBatch(url, entries(11)))).toEqual({
      code: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
      status: 400,
      message: 'Maximum number of entries per request are 10. You have sent 11.',
    });
    expect(await errorOf(sendBatch(url, []))).toMatchObject({ code: 'AWS.SimpleQueueService.EmptyBatchRequest', status: 400 });
    expect(await errorOf(sendBatch(url, [{ Id: 'same', MessageBody: 'a' }, { Id: 'same', MessageBody: 'b' }]))).toEqual({
      code: 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
      status: 400,
      message: 'Id same repeated.',
    });
    for (const id of ['has space', 'colon:id', 'x'.repeat(81)]) {
      expect(await errorOf(sendBatch(url, [{ Id: id, MessageBody: 'a' }])), id).toEqual({
        code: 'AWS.SimpleQueueService.InvalidBatchEntryId',
        status: 400,
        message:
          'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
      });
    }
    const ok = await sendBatch(url, [{ Id: `${'A-z_9'.repeat(16)}`, MessageBody: 'a' }]);
    expect(ok.Successful).toHaveLength(1);
    // None of the rejected batches stored anything.
    expect((await queueAttributes(client(), sdk, url, ['ApproximateNumberOfMessages'])).ApproximateNumberOfMessages).toBe('1');
  });

  it('accepts a batch of exactly 1 MiB in total and rejects a larger one with BatchRequestTooLong', async () => {
    const url = await createQueue(client(), sdk);
    const half = MiB / 2;
    const exact = await sendBatch(url, entries(2, () => 'x'.repeat(half)));
    expect(exact.Successful).toHaveLength(2);
    const error = await errorOf(sendBatch(url, entries(2, (i) => 'x'.repeat(half + i))));
    expect(error).toEqual({
      code: 'AWS.SimpleQueueService.BatchRequestTooLong',
      status: 400,
      message: `Batch requests cannot be longer than ${MiB} bytes. You have sent ${MiB + 1} bytes.`,
    });
    expect((await queueAttributes(client(), sdk, url, ['ApproximateNumberOfMessages'])).ApproximateNumberOfMessages).toBe('2');
  });

  it('reports per-entry failures in Failed and sends the rest', async () => {
    const url = await createQueue(client(), sdk);
    const result = await sendBatch(url, [
      { Id: 'good1', MessageBody: 'fine' },
      { Id: 'badChars', MessageBody: 'bell \u0007' },
      { Id: 'badDelay', MessageBody: 'x', DelaySeconds: 901 },
      { Id: 'badAttr', MessageBody: 'x', MessageAttributes: { e: { DataType: 'String', StringValue: '' } } },
      { Id: 'good2', MessageBody: 'also fine' },
    ]);
    expect(result.Successful?.map((s) => s.Id).sort()).toEqual(['good1', 'good2']);
    const failed = Object.fromEntries((result.Failed ?? []).map((f) => [f.Id, f]));
    expect(Object.keys(failed).sort()).toEqual(['badAttr', 'badChars', 'badDelay']);
    expect(failed.badChars).toMatchObject({ SenderFault: true, Code: 'InvalidMessageContents' });
    expect(failed.badChars.Message).toMatch(/^Invalid characters found/);
    expect(failed.badDelay).toMatchObject({ SenderFault: true, Code: 'InvalidParameterValue' });
    expect(failed.badAttr).toMatchObject({
      SenderFault: true,
      Code: 'InvalidParameterValue',
      Message: "Message (user) attribute 'e' must contain a non-empty value of type 'String'.",
    });
    expect((await receiveAll(client(), sdk, url)).map((m) => m.Body).sort()).toEqual(['also fine', 'fine']);
  });

  it('deletes in batches, failing only the entries with bad handles', async () => {
    const url = await createQueue(client(), sdk);
    await sendBatch(url, entries(3));
    const messages = await receiveAll(client(), sdk, url, { visibility: 0 });
    const current = await receiveAll(client(), sdk, url, { visibility: 30 });
    const byBody = new Map(current.map((m) => [m.Body, m.ReceiptHandle!]));
    const staleFor2 = messages.find((m) => m.Body === 'body-2')!.ReceiptHandle!;
    const result = await client().send(
      new sdk.DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'd0', ReceiptHandle: byBody.get('body-0')! },
          { Id: 'd1', ReceiptHandle: byBody.get('body-1')! },
          { Id: 'stale', ReceiptHandle: staleFor2 },
          { Id: 'garbage', ReceiptHandle: 'not-a-handle' },
        ],
      }),
    );
    expect(result.Successful?.map((s) => s.Id).sort()).toEqual(['d0', 'd1', 'stale']);
    expect(result.Failed).toEqual([
      {
        Id: 'garbage',
        SenderFault: true,
        Code: 'ReceiptHandleIsInvalid',
        Message: 'The input receipt handle "not-a-handle" is not a valid receipt handle.',
      },
    ]);
    clock.advance(30_000);
    // Only body-2, whose delete used a stale handle, is left.
    expect((await receiveAll(client(), sdk, url)).map((m) => m.Body)).toEqual(['body-2']);

    const checks = [
      [[], 'AWS.SimpleQueueService.EmptyBatchRequest'],
      [Array.from({ length: 11 }, (_, i) => ({ Id: `i${i}`, ReceiptHandle: 'h' })), 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest'],
      [[{ Id: 'a', ReceiptHandle: 'h' }, { Id: 'a', ReceiptHandle: 'h' }], 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct'],
      [[{ Id: 'a.b', ReceiptHandle: 'h' }], 'AWS.SimpleQueueService.InvalidBatchEntryId'],
    ] as const;
    for (const [batch, code] of checks) {
      const error = await errorOf(client().send(new sdk.DeleteMessageBatchCommand({ QueueUrl: url, Entries: [...batch] })));
      expect(error, code).toMatchObject({ code, status: 400 });
    }
  });

  it('changes visibility in batches, failing only the bad entries', async () => {
    const url = await createQueue(client(), sdk);
    await sendBatch(url, entries(3));
    const received = await receiveAll(client(), sdk, url, { visibility: 30 });
    const handle = (body: string) => received.find((m) => m.Body === body)!.ReceiptHandle!;
    const result = await client().send(
      new sdk.ChangeMessageVisibilityBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'now', ReceiptHandle: handle('body-0'), VisibilityTimeout: 0 },
          { Id: 'later', ReceiptHandle: handle('body-1'), VisibilityTimeout: 120 },
          { Id: 'garbage', ReceiptHandle: 'not-a-handle', VisibilityTimeout: 0 },
        ],
      }),
    );
    expect(result.Successful?.map((s) => s.Id).sort()).toEqual(['later', 'now']);
    expect(result.Failed).toEqual([
      {
        Id: 'garbage',
        SenderFault: true,
        Code: 'ReceiptHandleIsInvalid',
        Message: 'The input receipt handle "not-a-handle" is not a valid receipt handle.',
      },
    ]);
    expect((await receiveAll(client(), sdk, url, { visibility: 1000 })).map((m) => m.Body)).toEqual(['body-0']);
    clock.advance(30_000);
    expect((await receiveAll(client(), sdk, url, { visibility: 1000 })).map((m) => m.Body)).toEqual(['body-2']);
    clock.advance(90_000);
    expect((await receiveAll(client(), sdk, url, { visibility: 1000 })).map((m) => m.Body)).toEqual(['body-1']);

    const stale = await client().send(
      new sdk.ChangeMessageVisibilityBatchCommand({
        QueueUrl: url,
        Entries: [{ Id: 'stale', ReceiptHandle: handle('body-1'), VisibilityTimeout: 0 }],
      }),
    );
    expect(stale.Failed).toEqual([
      expect.objectContaining({ Id: 'stale', SenderFault: true, Code: 'InvalidParameterValue' }),
    ]);
    const empty = await errorOf(client().send(new sdk.ChangeMessageVisibilityBatchCommand({ QueueUrl: url, Entries: [] })));
    expect(empty).toMatchObject({ code: 'AWS.SimpleQueueService.EmptyBatchRequest', status: 400 });
  });
});
