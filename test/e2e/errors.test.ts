import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueue } from '../support/e2e.js';
import { clientFor, errorOf, protocols, startTestServer, uniqueName, type TestServer } from '../support/sealq.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe.each(protocols)('errors as the $name client sees them', ({ sdk }) => {
  const client = () => clientFor(sdk, server.url);

  it('reports a request id on success and on failure', async () => {
    const ok = await client().send(new sdk.ListQueuesCommand({ QueueNamePrefix: uniqueName('none') }));
    expect(ok.$metadata.requestId).toMatch(UUID);
    try {
      await client().send(new sdk.GetQueueUrlCommand({ QueueName: uniqueName('missing') }));
      expect.unreachable();
    } catch (error) {
      expect((error as { $metadata: { requestId?: string } }).$metadata.requestId).toMatch(UUID);
    }
  });

  it("raises modelled errors as the SDK's own exception classes", async () => {
    const url = await createQueue(client(), sdk, { VisibilityTimeout: '40' });
    const name = url.split('/').pop()!;
    const expectClass = async (promise: Promise<unknown>, cls: abstract new (...args: never[]) => unknown) => {
      const error = await promise.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(cls);
    };
    await expectClass(client().send(new sdk.GetQueueUrlCommand({ QueueName: uniqueName('missing') })), sdk.QueueDoesNotExist);
    await expectClass(
      client().send(new sdk.CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '41' } })),
      sdk.QueueNameExists,
    );
    await expectClass(
      client().send(new sdk.DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: 'garbage' })),
      sdk.ReceiptHandleIsInvalid,
    );
    await expectClass(
      client().send(
        new sdk.SendMessageBatchCommand({
          QueueUrl: url,
          Entries: Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, MessageBody: 'x' })),
        }),
      ),
      sdk.TooManyEntriesInBatchRequest,
    );
    await expectClass(
      client().send(new sdk.SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Colour: 'red' } as never })),
      sdk.InvalidAttributeName,
    );
    await client().send(new sdk.PurgeQueueCommand({ QueueUrl: url }));
    await expectClass(client().send(new sdk.PurgeQueueCommand({ QueueUrl: url })), sdk.PurgeQueueInProgress);
    await expectClass(
      client().send(
        new sdk.AddPermissionCommand({
          QueueUrl: url,
          Label: 'l',
          AWSAccountIds: ['111122223333'],
          Actions: ['SendMessage', 'ReceiveMessage', 'DeleteMessage', 'ChangeMessageVisibility', 'GetQueueAttributes', 'GetQueueUrl', 'PurgeQueue', 'ListQueueTags'],
        }),
      ),
      sdk.OverLimit,
    );
  });

  it('answers MissingParameter for a required member left out', async () => {
    const url = await createQueue(client(), sdk);
    await client().send(new sdk.SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }));
    const { Messages } = await client().send(new sdk.ReceiveMessageCommand({ QueueUrl: url }));
    const missingTimeout = await errorOf(
      client().send(
        new sdk.ChangeMessageVisibilityCommand({
          QueueUrl: url,
          ReceiptHandle: Messages![0].ReceiptHandle,
          VisibilityTimeout: undefined as unknown as number,
        }),
      ),
    );
    expect(missingTimeout).toEqual({
      code: 'MissingParameter',
      status: 400,
      message: 'The request must contain the parameter VisibilityTimeout.',
    });
    const missingHandle = await errorOf(
      client().send(new sdk.DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: undefined as unknown as string })),
    );
    expect(missingHandle).toEqual({
      code: 'MissingParameter',
      status: 400,
      message: 'The request must contain the parameter ReceiptHandle.',
    });
  });

  it('finds a queue by the path of its URL, whatever the host', async () => {
    const url = await createQueue(client(), sdk);
    const elsewhere = url.replace(/^http:\/\/[^/]+/, 'http://queue.elsewhere.test:1234');
    const sent = await client().send(new sdk.SendMessageCommand({ QueueUrl: elsewhere, MessageBody: 'moved host' }));
    expect(sent.MessageId).toBeDefined();
    const otherAccount = url.replace('/000000000000/', '/111122223333/');
    expect((await errorOf(client().send(new sdk.SendMessageCommand({ QueueUrl: otherAccount, MessageBody: 'x' })))).code).toBe(
      'AWS.SimpleQueueService.NonExistentQueue',
    );
  });

  it('answers InvalidAddress (404) for a QueueUrl that names no queue', async () => {
    const error = await errorOf(
      client().send(new sdk.GetQueueAttributesCommand({ QueueUrl: `${server.url}/000000000000`, AttributeNames: ['All'] })),
    );
    expect(error).toMatchObject({ code: 'InvalidAddress', status: 404 });
  });

  it('rejects unknown receive attribute names with InvalidAttributeName', async () => {
    const url = await createQueue(client(), sdk);
    const error = await errorOf(
      client().send(new sdk.ReceiveMessageCommand({ QueueUrl: url, AttributeNames: ['Colour' as never] })),
    );
    expect(error).toEqual({ code: 'InvalidAttributeName', status: 400, message: 'Unknown Attribute Colour.' });
  });
});
