import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueue, queueArn, queueAttributes } from '../support/e2e.js';
import { clientFor, errorOf, protocols, startTestServer, uniqueName, type TestServer } from '../support/sealq.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

describe.each(protocols)('AddPermission and RemovePermission over $name', ({ sdk }) => {
  const client = () => clientFor(sdk, server.url);
  const add = (QueueUrl: string, Label: string, AWSAccountIds: string[], Actions: string[]) =>
    client().send(new sdk.AddPermissionCommand({ QueueUrl, Label, AWSAccountIds, Actions }));
  const policyOf = async (url: string) => {
    const { Policy } = await queueAttributes(client(), sdk, url, ['Policy']);
    return Policy === undefined ? undefined : (JSON.parse(Policy) as { Statement: Array<Record<string, unknown>> } & Record<string, unknown>);
  };

  it('writes the statement SQS writes, with single values as strings and several as arrays', async () => {
    const url = await createQueue(client(), sdk);
    const arn = await queueArn(client(), sdk, url);
    await add(url, 'send-only', ['111122223333'], ['SendMessage']);
    expect(await policyOf(url)).toEqual({
      Version: '2008-10-17',
      Id: `${arn}/SQSDefaultPolicy`,
      Statement: [
        {
          Sid: 'send-only',
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::111122223333:root' },
          Action: 'SQS:SendMessage',
          Resource: arn,
        },
      ],
    });
    await add(url, 'consumers', ['111122223333', '444455556666'], ['ReceiveMessage', 'DeleteMessage']);
    const policy = await policyOf(url);
    expect(policy!.Statement).toHaveLength(2);
    expect(policy!.Statement[1]).toEqual({
      Sid: 'consumers',
      Effect: 'Allow',
      Principal: { AWS: ['arn:aws:iam::111122223333:root', 'arn:aws:iam::444455556666:root'] },
      Action: ['SQS:ReceiveMessage', 'SQS:DeleteMessage'],
      Resource: arn,
    });
  });

  it('rejects a duplicate label, too many actions and unknown actions', async () => {
    const url = await createQueue(client(), sdk);
    await add(url, 'dup', ['111122223333'], ['SendMessage']);
    expect(await errorOf(add(url, 'dup', ['111122223333'], ['ReceiveMessage']))).toEqual({
      code: 'InvalidParameterValue',
      status: 400,
      message: 'Value dup for parameter Label is invalid. Reason: Already exists.',
    });
    const eight = ['SendMessage', 'ReceiveMessage', 'DeleteMessage', 'ChangeMessageVisibility', 'GetQueueAttributes', 'GetQueueUrl', 'PurgeQueue', 'ListQueueTags'];
    expect(await errorOf(add(url, 'many', ['111122223333'], eight))).toEqual({
      code: 'OverLimit',
      status: 403,
      message: '8 Actions were found, maximum allowed is 7.',
    });
    await add(url, 'seven', ['111122223333'], eight.slice(0, 7));
    expect(await errorOf(add(url, 'bogus', ['111122223333'], ['FlyAway']))).toMatchObject({
      code: 'InvalidParameterValue',
      status: 400,
    });
    expect(await errorOf(add(url, 'bad label!', ['111122223333'], ['SendMessage']))).toMatchObject({
      code: 'InvalidParameterValue',
    });
    const policy = await policyOf(url);
    expect(policy!.Statement.map((s) => s.Sid)).toEqual(['dup', 'seven']);
  });

  it('removes a statement by label, the Policy with the last one, and rejects an unknown label', async () => {
    const url = await createQueue(client(), sdk);
    await add(url, 'a', ['111122223333'], ['SendMessage']);
    await add(url, 'b', ['111122223333'], ['ReceiveMessage']);
    await client().send(new sdk.RemovePermissionCommand({ QueueUrl: url, Label: 'a' }));
    expect((await policyOf(url))!.Statement.map((s) => s.Sid)).toEqual(['b']);
    expect(await errorOf(client().send(new sdk.RemovePermissionCommand({ QueueUrl: url, Label: 'nope' })))).toEqual({
      code: 'InvalidParameterValue',
      status: 400,
      message: "Value nope for parameter Label is invalid. Reason: can't find label.",
    });
    await client().send(new sdk.RemovePermissionCommand({ QueueUrl: url, Label: 'b' }));
    expect(await policyOf(url)).toBeUndefined();
  });
});

describe.each(protocols)('queue tags over $name', ({ sdk }) => {
  const client = () => clientFor(sdk, server.url);
  const tagsOf = async (QueueUrl: string) => (await client().send(new sdk.ListQueueTagsCommand({ QueueUrl }))).Tags ?? {};

  it('tags a queue at creation and lists the tags', async () => {
    const { QueueUrl } = await client().send(
      new sdk.CreateQueueCommand({ QueueName: uniqueName(), tags: { team: 'core', Env: 'test', empty: '' } }),
    );
    expect(await tagsOf(QueueUrl!)).toEqual({ team: 'core', Env: 'test', empty: '' });
  });

  it('adds and overwrites tags with TagQueue, and removes them with UntagQueue', async () => {
    const url = await createQueue(client(), sdk);
    expect(await tagsOf(url)).toEqual({});
    await client().send(new sdk.TagQueueCommand({ QueueUrl: url, Tags: { a: '1', b: '2' } }));
    await client().send(new sdk.TagQueueCommand({ QueueUrl: url, Tags: { b: 'two', c: '3', B: 'case matters' } }));
    expect(await tagsOf(url)).toEqual({ a: '1', b: 'two', c: '3', B: 'case matters' });
    await client().send(new sdk.UntagQueueCommand({ QueueUrl: url, TagKeys: ['a', 'B', 'never-set'] }));
    expect(await tagsOf(url)).toEqual({ b: 'two', c: '3' });
  });

  it('rejects tags beyond the limits', async () => {
    const url = await createQueue(client(), sdk);
    const tooLongKey = await errorOf(client().send(new sdk.TagQueueCommand({ QueueUrl: url, Tags: { ['k'.repeat(129)]: 'v' } })));
    expect(tooLongKey).toMatchObject({ code: 'InvalidParameterValue', status: 400 });
    const tooLongValue = await errorOf(client().send(new sdk.TagQueueCommand({ QueueUrl: url, Tags: { k: 'v'.repeat(257) } })));
    expect(tooLongValue).toMatchObject({ code: 'InvalidParameterValue', status: 400 });
    const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`t${i}`, `${i}`]));
    await client().send(new sdk.TagQueueCommand({ QueueUrl: url, Tags: fifty }));
    const tooMany = await errorOf(client().send(new sdk.TagQueueCommand({ QueueUrl: url, Tags: { oneMore: 'x' } })));
    expect(tooMany).toMatchObject({ code: 'InvalidParameterValue', status: 400 });
    expect(Object.keys(await tagsOf(url))).toHaveLength(50);
  });

  it('answers NonExistentQueue for tags of a missing queue', async () => {
    const url = `${server.url}/000000000000/${uniqueName('missing')}`;
    expect((await errorOf(client().send(new sdk.ListQueueTagsCommand({ QueueUrl: url })))).code).toBe(
      'AWS.SimpleQueueService.NonExistentQueue',
    );
  });
});
