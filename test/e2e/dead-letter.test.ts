import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { createQueue, queueArn, queueAttributes, receiveAll } from '../support/e2e.js';
import { clientFor, errorOf, protocols, startTestServer, uniqueName, type TestServer } from '../support/sealq.js';

const clock = new ManualClock();
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({}, { clock });
});
afterAll(async () => {
  await server.stop();
});

describe.each(protocols)('dead-letter queues over $name', ({ sdk }) => {
  const client = () => clientFor(sdk, server.url);
  const redrive = (deadLetterTargetArn: string, maxReceiveCount = 2) =>
    JSON.stringify({ deadLetterTargetArn, maxReceiveCount });
  const setAttributes = (QueueUrl: string, Attributes: Record<string, string>) =>
    client().send(new sdk.SetQueueAttributesCommand({ QueueUrl, Attributes }));

  it('moves a message on the receive after its maxReceiveCount-th', async () => {
    const dlq = await createQueue(client(), sdk);
    const dlqArn = await queueArn(client(), sdk, dlq);
    const source = await createQueue(client(), sdk, { RedrivePolicy: redrive(dlqArn, 2), VisibilityTimeout: '10' });
    const sourceArn = await queueArn(client(), sdk, source);
    const attributes = { kind: { DataType: 'String', StringValue: 'poison' } };
    const sent = await client().send(
      new sdk.SendMessageCommand({ QueueUrl: source, MessageBody: 'poison pill', MessageAttributes: attributes }),
    );

    for (const expected of ['1', '2']) {
      const [m] = await receiveAll(client(), sdk, source, { attributeNames: ['ApproximateReceiveCount'] });
      expect(m).toMatchObject({ MessageId: sent.MessageId, Attributes: { ApproximateReceiveCount: expected } });
      clock.advance(10_000);
    }
    // The third receive finds it over the limit: it moves instead of being returned.
    expect(await receiveAll(client(), sdk, source)).toEqual([]);
    expect((await queueAttributes(client(), sdk, source, ['ApproximateNumberOfMessages'])).ApproximateNumberOfMessages).toBe('0');
    expect((await queueAttributes(client(), sdk, dlq, ['ApproximateNumberOfMessages'])).ApproximateNumberOfMessages).toBe('1');

    const { Messages } = await client().send(
      new sdk.ReceiveMessageCommand({
        QueueUrl: dlq,
        AttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    const dead = Messages![0];
    expect(dead).toMatchObject({ MessageId: sent.MessageId, Body: 'poison pill', MD5OfMessageAttributes: sent.MD5OfMessageAttributes });
    expect(dead.MessageAttributes?.kind?.StringValue).toBe('poison');
    expect(dead.Attributes?.DeadLetterQueueSourceArn).toBe(sourceArn);

    const byName = await client().send(
      new sdk.ReceiveMessageCommand({ QueueUrl: dlq, VisibilityTimeout: 0, AttributeNames: ['DeadLetterQueueSourceArn' as never] }),
    );
    expect(byName.Messages ?? []).toEqual([]); // still in flight from the receive above
    clock.advance(30_000);
    const again = await client().send(
      new sdk.ReceiveMessageCommand({ QueueUrl: dlq, AttributeNames: ['DeadLetterQueueSourceArn' as never] }),
    );
    expect(again.Messages?.[0].Attributes).toEqual({ DeadLetterQueueSourceArn: sourceArn });
  });

  it('keeps messages that are deleted in time out of the dead-letter queue', async () => {
    const dlq = await createQueue(client(), sdk);
    const source = await createQueue(client(), sdk, { RedrivePolicy: redrive(await queueArn(client(), sdk, dlq), 1) });
    await client().send(new sdk.SendMessageCommand({ QueueUrl: source, MessageBody: 'ok' }));
    const [m] = await receiveAll(client(), sdk, source);
    await client().send(new sdk.DeleteMessageCommand({ QueueUrl: source, ReceiptHandle: m.ReceiptHandle }));
    clock.advance(31_000);
    expect(await receiveAll(client(), sdk, source)).toEqual([]);
    expect(await receiveAll(client(), sdk, dlq)).toEqual([]);
  });

  it('lists the queues that use a queue as their dead-letter queue', async () => {
    const dlq = await createQueue(client(), sdk);
    const dlqArn = await queueArn(client(), sdk, dlq);
    const prefix = uniqueName('src');
    const a = await createQueue(client(), sdk, { RedrivePolicy: redrive(dlqArn) }, `${prefix}-a`);
    const b = await createQueue(client(), sdk, {}, `${prefix}-b`);
    await setAttributes(b, { RedrivePolicy: redrive(dlqArn, 5) });
    await createQueue(client(), sdk, {}, `${prefix}-c`);

    const all = await client().send(new sdk.ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq }));
    expect(all.queueUrls).toEqual([a, b]);
    const page1 = await client().send(new sdk.ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq, MaxResults: 1 }));
    expect(page1.queueUrls).toEqual([a]);
    const page2 = await client().send(
      new sdk.ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq, MaxResults: 1, NextToken: page1.NextToken }),
    );
    expect(page2.queueUrls).toEqual([b]);
    expect(page2.NextToken).toBeUndefined();

    await setAttributes(a, { RedrivePolicy: '' });
    const after = await client().send(new sdk.ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq }));
    expect(after.queueUrls).toEqual([b]);
    const none = await client().send(new sdk.ListDeadLetterSourceQueuesCommand({ QueueUrl: a }));
    expect(none.queueUrls ?? []).toEqual([]);
  });

  it('requires a FIFO dead-letter queue for a FIFO queue', async () => {
    const fifoDlq = await createQueue(client(), sdk, { FifoQueue: 'true' });
    const standardDlq = await createQueue(client(), sdk);
    const ok = await createQueue(client(), sdk, { FifoQueue: 'true', RedrivePolicy: redrive(await queueArn(client(), sdk, fifoDlq)) });
    expect(ok).toMatch(/\.fifo$/);
    const error = await errorOf(
      createQueue(client(), sdk, { FifoQueue: 'true', RedrivePolicy: redrive(await queueArn(client(), sdk, standardDlq)) }),
    );
    expect(error).toMatchObject({ code: 'InvalidParameterValue', status: 400 });
  });

  it('enforces RedriveAllowPolicy denyAll on the dead-letter queue', async () => {
    const dlq = await createQueue(client(), sdk, { RedriveAllowPolicy: JSON.stringify({ redrivePermission: 'denyAll' }) });
    const policy = redrive(await queueArn(client(), sdk, dlq));
    const onCreate = await errorOf(createQueue(client(), sdk, { RedrivePolicy: policy }));
    expect(onCreate).toMatchObject({ code: 'InvalidParameterValue', status: 400 });
    expect(onCreate.message).toMatch(/^Value .* for parameter RedrivePolicy is invalid\. Reason: /);
    const source = await createQueue(client(), sdk);
    expect(await errorOf(setAttributes(source, { RedrivePolicy: policy }))).toMatchObject({
      code: 'InvalidParameterValue',
      status: 400,
    });
    // Allowing everyone again lifts the restriction.
    await setAttributes(dlq, { RedriveAllowPolicy: JSON.stringify({ redrivePermission: 'allowAll' }) });
    await setAttributes(source, { RedrivePolicy: policy });
    expect(JSON.parse((await queueAttributes(client(), sdk, source, ['RedrivePolicy'])).RedrivePolicy).deadLetterTargetArn).toBe(
      await queueArn(client(), sdk, dlq),
    );
  });

  it('enforces RedriveAllowPolicy byQueue: only the listed sources may use it', async () => {
    const allowedName = uniqueName('allowed');
    const allowedArn = `arn:aws:sqs:us-east-1:000000000000:${allowedName}`;
    const dlq = await createQueue(client(), sdk, {
      RedriveAllowPolicy: JSON.stringify({ redrivePermission: 'byQueue', sourceQueueArns: [allowedArn] }),
    });
    const policy = redrive(await queueArn(client(), sdk, dlq));
    // A queue not yet created is judged by the ARN it will have.
    const allowed = await createQueue(client(), sdk, { RedrivePolicy: policy }, allowedName);
    expect(JSON.parse((await queueAttributes(client(), sdk, allowed, ['RedrivePolicy'])).RedrivePolicy).maxReceiveCount).toBe(2);
    const stranger = await createQueue(client(), sdk);
    expect(await errorOf(setAttributes(stranger, { RedrivePolicy: policy }))).toMatchObject({
      code: 'InvalidParameterValue',
      status: 400,
    });
    expect(await errorOf(createQueue(client(), sdk, { RedrivePolicy: policy }))).toMatchObject({
      code: 'InvalidParameterValue',
    });
    const all = await client().send(new sdk.ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq }));
    expect(all.queueUrls).toEqual([allowed]);
  });
});
