import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { createQueue, queueArn, queueAttributes } from '../support/e2e.js';
import { clientFor, errorOf, protocols, startTestServer, uniqueName, type TestServer } from '../support/sealq.js';

const clock = new ManualClock(Date.UTC(2026, 2, 1, 12, 0, 0, 500));
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({}, { clock });
});
afterAll(async () => {
  await server.stop();
});

const standardAll = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesDelayed',
  'ApproximateNumberOfMessagesNotVisible',
  'CreatedTimestamp',
  'DelaySeconds',
  'LastModifiedTimestamp',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'QueueArn',
  'ReceiveMessageWaitTimeSeconds',
  'SqsManagedSseEnabled',
  'VisibilityTimeout',
];

describe.each(protocols)('queue attributes over $name', ({ sdk }) => {
  const client = () => clientFor(sdk, server.url);
  const set = (QueueUrl: string, Attributes: Record<string, string>) =>
    client().send(new sdk.SetQueueAttributesCommand({ QueueUrl, Attributes }));

  it('answers All on a standard queue with the defaults', async () => {
    const name = uniqueName();
    const url = await createQueue(client(), sdk, {}, name);
    const all = await queueAttributes(client(), sdk, url);
    expect(Object.keys(all).sort()).toEqual(standardAll);
    expect(all).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesDelayed: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
      DelaySeconds: '0',
      MaximumMessageSize: '1048576',
      MessageRetentionPeriod: '345600',
      QueueArn: `arn:aws:sqs:us-east-1:000000000000:${name}`,
      ReceiveMessageWaitTimeSeconds: '0',
      VisibilityTimeout: '30',
      // Epoch seconds, not milliseconds.
      CreatedTimestamp: String(Math.floor(clock.now() / 1000)),
      LastModifiedTimestamp: String(Math.floor(clock.now() / 1000)),
    });
  });

  it('answers All on a FIFO queue with the FIFO attributes too', async () => {
    const url = await createQueue(client(), sdk, { FifoQueue: 'true' });
    const all = await queueAttributes(client(), sdk, url);
    expect(Object.keys(all).sort()).toEqual(
      [...standardAll, 'ContentBasedDeduplication', 'DeduplicationScope', 'FifoQueue', 'FifoThroughputLimit'].sort(),
    );
    expect(all).toMatchObject({
      FifoQueue: 'true',
      ContentBasedDeduplication: 'false',
      DeduplicationScope: 'queue',
      FifoThroughputLimit: 'perQueue',
    });
  });

  it('answers each attribute by name, and nothing when none is asked for', async () => {
    const url = await createQueue(client(), sdk, { VisibilityTimeout: '17' });
    const all = await queueAttributes(client(), sdk, url);
    for (const name of standardAll) {
      expect(await queueAttributes(client(), sdk, url, [name]), name).toEqual({ [name]: all[name] });
    }
    expect(await queueAttributes(client(), sdk, url, ['VisibilityTimeout', 'DelaySeconds'])).toEqual({
      VisibilityTimeout: '17',
      DelaySeconds: '0',
    });
    const { Attributes } = await client().send(new sdk.GetQueueAttributesCommand({ QueueUrl: url }));
    expect(Attributes ?? {}).toEqual({});
  });

  it('counts visible, in-flight and delayed messages', async () => {
    const url = await createQueue(client(), sdk);
    for (const body of ['a', 'b']) await client().send(new sdk.SendMessageCommand({ QueueUrl: url, MessageBody: body }));
    await client().send(new sdk.SendMessageCommand({ QueueUrl: url, MessageBody: 'later', DelaySeconds: 60 }));
    await client().send(new sdk.ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 1 }));
    expect(
      await queueAttributes(client(), sdk, url, [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ]),
    ).toEqual({
      ApproximateNumberOfMessages: '1',
      ApproximateNumberOfMessagesNotVisible: '1',
      ApproximateNumberOfMessagesDelayed: '1',
    });
  });

  it('sets attributes and moves LastModifiedTimestamp', async () => {
    const url = await createQueue(client(), sdk);
    const created = (await queueAttributes(client(), sdk, url, ['CreatedTimestamp'])).CreatedTimestamp;
    clock.advance(10_000);
    await set(url, {
      VisibilityTimeout: '60',
      DelaySeconds: '5',
      MaximumMessageSize: '2048',
      MessageRetentionPeriod: '60',
      ReceiveMessageWaitTimeSeconds: '20',
    });
    const all = await queueAttributes(client(), sdk, url);
    expect(all).toMatchObject({
      VisibilityTimeout: '60',
      DelaySeconds: '5',
      MaximumMessageSize: '2048',
      MessageRetentionPeriod: '60',
      ReceiveMessageWaitTimeSeconds: '20',
      CreatedTimestamp: created,
      LastModifiedTimestamp: String(Number(created) + 10),
    });
  });

  it('accepts each range boundary and rejects one past it with InvalidAttributeValue', async () => {
    const url = await createQueue(client(), sdk);
    const ranges: Record<string, [number, number]> = {
      DelaySeconds: [0, 900],
      MaximumMessageSize: [1024, 1_048_576],
      MessageRetentionPeriod: [60, 1_209_600],
      ReceiveMessageWaitTimeSeconds: [0, 20],
      VisibilityTimeout: [0, 43_200],
    };
    for (const [name, [min, max]] of Object.entries(ranges)) {
      for (const ok of [min, max]) {
        await set(url, { [name]: String(ok) });
        expect((await queueAttributes(client(), sdk, url, [name]))[name]).toBe(String(ok));
      }
      for (const bad of [String(min - 1), String(max + 1), 'abc', '1.5']) {
        const error = await errorOf(set(url, { [name]: bad }));
        expect(error, `${name}=${bad}`).toEqual({
          code: 'InvalidAttributeValue',
          status: 400,
          message: `Invalid value for the parameter ${name}.`,
        });
      }
      const error = await errorOf(createQueue(client(), sdk, { [name]: String(max + 1) }));
      expect(error.code).toBe('InvalidAttributeValue');
    }
  });

  it('rejects unknown and read-only attribute names with InvalidAttributeName', async () => {
    const url = await createQueue(client(), sdk);
    expect(await errorOf(set(url, { Colour: 'blue' }))).toEqual({
      code: 'InvalidAttributeName',
      status: 400,
      message: 'Unknown Attribute Colour.',
    });
    for (const readOnly of ['QueueArn', 'ApproximateNumberOfMessages', 'CreatedTimestamp', 'LastModifiedTimestamp']) {
      const error = await errorOf(set(url, { [readOnly]: '1' }));
      expect(error, readOnly).toMatchObject({ code: 'InvalidAttributeName', status: 400 });
    }
    const onGet = await errorOf(
      client().send(new sdk.GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['Colour' as never] })),
    );
    expect(onGet).toEqual({ code: 'InvalidAttributeName', status: 400, message: 'Unknown Attribute Colour.' });
    const onCreate = await errorOf(createQueue(client(), sdk, { Colour: 'blue' }));
    expect(onCreate.code).toBe('InvalidAttributeName');
  });

  it('stores a valid Policy, rejects one that is not a policy, and removes it with an empty value', async () => {
    const url = await createQueue(client(), sdk);
    const arn = await queueArn(client(), sdk, url);
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: '*', Action: 'sqs:SendMessage', Resource: arn }],
    });
    await set(url, { Policy: policy });
    expect(JSON.parse((await queueAttributes(client(), sdk, url, ['Policy'])).Policy)).toEqual(JSON.parse(policy));
    for (const bad of ['not json', '[]', '{"Version":"2012-10-17"}', '{"Statement":[{"Action":"sqs:*"}]}']) {
      const error = await errorOf(set(url, { Policy: bad }));
      expect(error, bad).toMatchObject({ code: 'InvalidAttributeValue', status: 400 });
    }
    await set(url, { Policy: '' });
    expect(await queueAttributes(client(), sdk, url, ['Policy'])).toEqual({});
  });

  it('validates RedrivePolicy', async () => {
    const dlq = await createQueue(client(), sdk);
    const dlqArn = await queueArn(client(), sdk, dlq);
    const url = await createQueue(client(), sdk);
    const invalid = (policy: string, reason: string) => ({
      code: 'InvalidParameterValue',
      status: 400,
      message: `Value ${policy} for parameter RedrivePolicy is invalid. Reason: ${reason}`,
    });

    const dummy = '{"deadLetterTargetArn": "dummy", "maxReceiveCount": 42}';
    expect(await errorOf(set(url, { RedrivePolicy: dummy }))).toEqual(invalid(dummy, 'Invalid value for deadLetterTargetArn.'));
    for (const count of [0, 1001]) {
      const policy = JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: count });
      expect(await errorOf(set(url, { RedrivePolicy: policy }))).toEqual(
        invalid(policy, `Invalid value for maxReceiveCount: ${count}, valid values are from 1 to 1000 both inclusive.`),
      );
    }
    const missingTarget = JSON.stringify({
      deadLetterTargetArn: `arn:aws:sqs:us-east-1:000000000000:${uniqueName('absent')}`,
      maxReceiveCount: 3,
    });
    expect(await errorOf(set(url, { RedrivePolicy: missingTarget }))).toMatchObject({ code: 'InvalidParameterValue', status: 400 });
    expect(await errorOf(set(url, { RedrivePolicy: 'not json' }))).toMatchObject({ code: 'InvalidParameterValue' });

    const fifoDlq = await createQueue(client(), sdk, { FifoQueue: 'true' });
    const fifoDlqArn = await queueArn(client(), sdk, fifoDlq);
    const mixed = JSON.stringify({ deadLetterTargetArn: fifoDlqArn, maxReceiveCount: 3 });
    expect(await errorOf(set(url, { RedrivePolicy: mixed }))).toMatchObject({ code: 'InvalidParameterValue' });

    // maxReceiveCount may be given as a string, as the console does.
    await set(url, { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: '5' }) });
    const stored = JSON.parse((await queueAttributes(client(), sdk, url, ['RedrivePolicy'])).RedrivePolicy);
    expect(stored).toEqual({ deadLetterTargetArn: dlqArn, maxReceiveCount: 5 });
    await set(url, { RedrivePolicy: '' });
    expect(await queueAttributes(client(), sdk, url, ['RedrivePolicy'])).toEqual({});
  });

  it('validates RedriveAllowPolicy', async () => {
    const url = await createQueue(client(), sdk);
    const source = `arn:aws:sqs:us-east-1:000000000000:${uniqueName('src')}`;
    const bad = [
      'not json',
      '{"redrivePermission":"sometimes"}',
      '{"redrivePermission":"byQueue"}',
      '{"redrivePermission":"byQueue","sourceQueueArns":[]}',
      JSON.stringify({ redrivePermission: 'byQueue', sourceQueueArns: Array.from({ length: 11 }, (_, i) => `${source}${i}`) }),
      JSON.stringify({ redrivePermission: 'byQueue', sourceQueueArns: ['not-an-arn'] }),
      JSON.stringify({ redrivePermission: 'denyAll', sourceQueueArns: [source] }),
    ];
    for (const policy of bad) {
      const error = await errorOf(set(url, { RedriveAllowPolicy: policy }));
      expect(error, policy).toMatchObject({ code: 'InvalidParameterValue', status: 400 });
      expect(error.message, policy).toMatch(/^Value .* for parameter RedriveAllowPolicy is invalid\. Reason: /s);
    }
    for (const good of [
      { redrivePermission: 'allowAll' },
      { redrivePermission: 'denyAll' },
      { redrivePermission: 'byQueue', sourceQueueArns: [source] },
    ]) {
      await set(url, { RedriveAllowPolicy: JSON.stringify(good) });
      expect(JSON.parse((await queueAttributes(client(), sdk, url, ['RedriveAllowPolicy'])).RedriveAllowPolicy)).toEqual(good);
    }
  });

  it('keeps FIFO attributes to FIFO queues and validates them', async () => {
    const standard = await createQueue(client(), sdk);
    for (const name of ['FifoQueue', 'ContentBasedDeduplication', 'DeduplicationScope', 'FifoThroughputLimit']) {
      const error = await errorOf(set(standard, { [name]: name === 'DeduplicationScope' ? 'queue' : 'true' }));
      expect(error, name).toMatchObject({ code: 'InvalidAttributeName', status: 400 });
    }
    // A standard queue may say FifoQueue=false when it is created.
    const explicit = await createQueue(client(), sdk, { FifoQueue: 'false' });
    expect(await queueAttributes(client(), sdk, explicit, ['FifoQueue'])).toEqual({});

    const fifo = await createQueue(client(), sdk, { FifoQueue: 'true', ContentBasedDeduplication: 'true' });
    expect(await errorOf(set(fifo, { FifoQueue: 'false' }))).toEqual({
      code: 'InvalidAttributeValue',
      status: 400,
      message: 'Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.',
    });
    expect(await errorOf(set(fifo, { DeduplicationScope: 'group' }))).toMatchObject({ code: 'InvalidAttributeValue' });
    expect(await errorOf(set(fifo, { FifoThroughputLimit: 'perGroup' }))).toMatchObject({ code: 'InvalidAttributeValue' });
    expect(await errorOf(set(fifo, { ContentBasedDeduplication: 'maybe' }))).toMatchObject({ code: 'InvalidAttributeValue' });
    expect(
      await errorOf(set(fifo, { DeduplicationScope: 'queue', FifoThroughputLimit: 'perMessageGroupId' })),
    ).toMatchObject({ code: 'InvalidAttributeValue' });

    await set(fifo, { DeduplicationScope: 'messageGroup', FifoThroughputLimit: 'perMessageGroupId', ContentBasedDeduplication: 'false' });
    expect(
      await queueAttributes(client(), sdk, fifo, ['DeduplicationScope', 'FifoThroughputLimit', 'ContentBasedDeduplication', 'FifoQueue']),
    ).toEqual({
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
      ContentBasedDeduplication: 'false',
      FifoQueue: 'true',
    });
  });
});
