import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { createQueue, queueAttributes } from '../support/e2e.js';
import { clientFor, errorOf, protocols, startTestServer, uniqueName, type TestServer } from '../support/sealq.js';

const clock = new ManualClock();
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({}, { clock });
});
afterAll(async () => {
  await server.stop();
});

describe.each(protocols)('queue lifecycle over $name', ({ name: protocol, sdk }) => {
  const client = () => clientFor(sdk, server.url);
  const notFoundMessage =
    protocol === 'json' ? 'The specified queue does not exist.' : 'The specified queue does not exist for this wsdl version.';

  it('creates a queue whose URL is built from the Host, account and name', async () => {
    const name = uniqueName();
    const { QueueUrl } = await client().send(new sdk.CreateQueueCommand({ QueueName: name }));
    expect(QueueUrl).toBe(`${server.url}/000000000000/${name}`);
    const found = await client().send(new sdk.GetQueueUrlCommand({ QueueName: name }));
    expect(found.QueueUrl).toBe(QueueUrl);
  });

  it('is idempotent with identical attributes, or with none', async () => {
    const name = uniqueName();
    const attributes = { VisibilityTimeout: '45', DelaySeconds: '3' };
    const first = await client().send(new sdk.CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    const again = await client().send(new sdk.CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    const bare = await client().send(new sdk.CreateQueueCommand({ QueueName: name }));
    const defaultValue = await client().send(
      new sdk.CreateQueueCommand({ QueueName: name, Attributes: { MaximumMessageSize: '1048576' } }),
    );
    expect(again.QueueUrl).toBe(first.QueueUrl);
    expect(bare.QueueUrl).toBe(first.QueueUrl);
    expect(defaultValue.QueueUrl).toBe(first.QueueUrl);
  });

  it('answers QueueAlreadyExists when an attribute differs', async () => {
    const name = uniqueName();
    await client().send(new sdk.CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '45' } }));
    const error = await errorOf(
      client().send(new sdk.CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '46' } })),
    );
    expect(error).toEqual({
      code: 'QueueAlreadyExists',
      status: 400,
      message: 'A queue already exists with the same name and a different value for attribute VisibilityTimeout',
    });
  });

  it('enforces the queue name rules', async () => {
    const eighty = 'n'.repeat(80 - 6) + uniqueName('').slice(-6);
    const ok = await client().send(new sdk.CreateQueueCommand({ QueueName: eighty }));
    expect(ok.QueueUrl?.endsWith(`/${eighty}`)).toBe(true);
    for (const bad of ['x'.repeat(81), 'has space', 'dot.name', 'slash/name', 'é']) {
      const error = await errorOf(client().send(new sdk.CreateQueueCommand({ QueueName: bad })));
      expect(error, bad).toMatchObject({ code: 'InvalidParameterValue', status: 400 });
    }
    const empty = await errorOf(client().send(new sdk.CreateQueueCommand({ QueueName: '' })));
    expect(empty).toEqual({
      code: 'MissingParameter',
      status: 400,
      message: 'The request must contain the parameter QueueName.',
    });
  });

  it('enforces the FIFO queue name rules', async () => {
    const fifoName = `${uniqueName('f')}.fifo`;
    const withoutFlag = await errorOf(client().send(new sdk.CreateQueueCommand({ QueueName: fifoName })));
    expect(withoutFlag).toMatchObject({ code: 'InvalidParameterValue', status: 400 });
    const withoutSuffix = await errorOf(
      client().send(new sdk.CreateQueueCommand({ QueueName: uniqueName('f'), Attributes: { FifoQueue: 'true' } })),
    );
    expect(withoutSuffix.code).toBe('InvalidParameterValue');
    expect(withoutSuffix.message).toMatch(/must end with \.fifo suffix and be 1 to 80 in length/);
    const tooLong = await errorOf(
      client().send(new sdk.CreateQueueCommand({ QueueName: `${'x'.repeat(76)}.fifo`, Attributes: { FifoQueue: 'true' } })),
    );
    expect(tooLong.code).toBe('InvalidParameterValue');
    const url = await createQueue(client(), sdk, { FifoQueue: 'true' }, `${'y'.repeat(70)}${uniqueName('').slice(-5)}.fifo`);
    expect((await queueAttributes(client(), sdk, url, ['FifoQueue'])).FifoQueue).toBe('true');
  });

  it('answers QueueDeletedRecently for 60 seconds after a delete', async () => {
    const name = uniqueName();
    const { QueueUrl } = await client().send(new sdk.CreateQueueCommand({ QueueName: name }));
    await client().send(new sdk.DeleteQueueCommand({ QueueUrl }));
    clock.advance(59_000);
    const error = await errorOf(client().send(new sdk.CreateQueueCommand({ QueueName: name })));
    expect(error).toEqual({
      code: 'AWS.SimpleQueueService.QueueDeletedRecently',
      status: 400,
      message: 'You must wait 60 seconds after deleting a queue before you can create another with the same name.',
    });
    clock.advance(1_000);
    const again = await client().send(new sdk.CreateQueueCommand({ QueueName: name }));
    expect(again.QueueUrl).toBe(QueueUrl);
  });

  it('deletes a queue: it is gone for every operation', async () => {
    const name = uniqueName();
    const url = await createQueue(client(), sdk, {}, name);
    await client().send(new sdk.SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }));
    await client().send(new sdk.DeleteQueueCommand({ QueueUrl: url }));
    const expected = { code: 'AWS.SimpleQueueService.NonExistentQueue', status: 400, message: notFoundMessage };
    expect(await errorOf(client().send(new sdk.GetQueueUrlCommand({ QueueName: name })))).toEqual(expected);
    expect(await errorOf(client().send(new sdk.SendMessageCommand({ QueueUrl: url, MessageBody: 'x' })))).toEqual(expected);
    expect(await errorOf(client().send(new sdk.ReceiveMessageCommand({ QueueUrl: url })))).toEqual(expected);
    expect(await errorOf(client().send(new sdk.DeleteQueueCommand({ QueueUrl: url })))).toEqual(expected);
  });

  it('finds queues by name with GetQueueUrl, honouring QueueOwnerAWSAccountId', async () => {
    const name = uniqueName();
    const url = await createQueue(client(), sdk, {}, name);
    const own = await client().send(new sdk.GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: '000000000000' }));
    expect(own.QueueUrl).toBe(url);
    const other = await errorOf(
      client().send(new sdk.GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: '111122223333' })),
    );
    expect(other).toEqual({ code: 'AWS.SimpleQueueService.NonExistentQueue', status: 400, message: notFoundMessage });
    const missing = await errorOf(client().send(new sdk.GetQueueUrlCommand({ QueueName: uniqueName('missing') })));
    expect(missing.code).toBe('AWS.SimpleQueueService.NonExistentQueue');
    // Queue names are case-sensitive.
    const upper = await errorOf(client().send(new sdk.GetQueueUrlCommand({ QueueName: name.toUpperCase() })));
    expect(upper.code).toBe('AWS.SimpleQueueService.NonExistentQueue');
  });

  it('lists queues by prefix, and pages with MaxResults and NextToken', async () => {
    const prefix = uniqueName('list');
    const urls: string[] = [];
    for (const suffix of ['a', 'b', 'c']) urls.push(await createQueue(client(), sdk, {}, `${prefix}-${suffix}`));
    await createQueue(client(), sdk, {}, `${prefix.toUpperCase()}-d`);

    const all = await client().send(new sdk.ListQueuesCommand({ QueueNamePrefix: prefix }));
    expect(all.QueueUrls).toEqual(urls);
    expect(all.NextToken).toBeUndefined();

    const first = await client().send(new sdk.ListQueuesCommand({ QueueNamePrefix: prefix, MaxResults: 2 }));
    expect(first.QueueUrls).toEqual(urls.slice(0, 2));
    expect(first.NextToken).toEqual(expect.any(String));
    const second = await client().send(
      new sdk.ListQueuesCommand({ QueueNamePrefix: prefix, MaxResults: 2, NextToken: first.NextToken }),
    );
    expect(second.QueueUrls).toEqual(urls.slice(2));
    expect(second.NextToken).toBeUndefined();

    const none = await client().send(new sdk.ListQueuesCommand({ QueueNamePrefix: uniqueName('nothing') }));
    expect(none.QueueUrls ?? []).toEqual([]);

    const bad = await errorOf(client().send(new sdk.ListQueuesCommand({ QueueNamePrefix: prefix, MaxResults: 1001 })));
    expect(bad).toMatchObject({ code: 'InvalidParameterValue', status: 400 });
  });

  it('purges a queue, and answers PurgeQueueInProgress for 60 seconds after', async () => {
    const name = uniqueName();
    const url = await createQueue(client(), sdk, {}, name);
    for (const body of ['a', 'b', 'c']) await client().send(new sdk.SendMessageCommand({ QueueUrl: url, MessageBody: body }));
    await client().send(new sdk.PurgeQueueCommand({ QueueUrl: url }));
    const counts = await queueAttributes(client(), sdk, url, ['ApproximateNumberOfMessages']);
    expect(counts.ApproximateNumberOfMessages).toBe('0');
    const empty = await client().send(new sdk.ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    expect(empty.Messages ?? []).toEqual([]);

    await client().send(new sdk.SendMessageCommand({ QueueUrl: url, MessageBody: 'after purge' }));
    clock.advance(30_000);
    const error = await errorOf(client().send(new sdk.PurgeQueueCommand({ QueueUrl: url })));
    expect(error).toEqual({
      code: 'AWS.SimpleQueueService.PurgeQueueInProgress',
      status: 403,
      message: `Only one PurgeQueue operation on ${name} is allowed every 60 seconds.`,
    });
    // The rejected purge removed nothing.
    const kept = await client().send(new sdk.ReceiveMessageCommand({ QueueUrl: url }));
    expect(kept.Messages?.map((m) => m.Body)).toEqual(['after purge']);

    clock.advance(30_000);
    await client().send(new sdk.PurgeQueueCommand({ QueueUrl: url }));
    const after = await queueAttributes(client(), sdk, url, ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible']);
    expect(after).toEqual({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
  });
});
