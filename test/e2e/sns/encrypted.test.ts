/**
 * The scenarios 1–4: SNS delivering into encrypted queues as sns.amazonaws.com, with the
 * topic as aws:SourceArn. Delivered when the key policy admits the service (and the message is
 * encrypted at rest); refused with KMS.AccessDeniedException, recorded, and dead-lettered otherwise.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, storedContents, type TestServer } from '../../support/sealq.js';
import {
  ACCOUNT, Sns, Sqs, clientsFor, deliveryRecord, keyWith, poll, snsKeyStatement, snsQueue, snsQueuePolicy, subscribe, topic,
  type Clients, type Envelope,
} from './helpers.js';

let server: TestServer;
let c: Clients;

beforeAll(async () => {
  server = await startTestServer();
  c = clientsFor(server);
});
afterAll(async () => {
  await server.stop();
});

/** Where, among everything the server stores, `needle` appears. */
async function storedWith(needle: string): Promise<string[]> {
  return [...(await storedContents(server))].filter(([, bytes]) => bytes.includes(Buffer.from(needle, 'utf8'))).map(([name]) => name);
}

const canary = (label: string) => `SNS-CANARY-${label}-${randomBytes(12).toString('hex')}`;
const redrive = (dlqArn: string) => JSON.stringify({ deadLetterTargetArn: dlqArn });

async function messageCount(url: string): Promise<string | undefined> {
  const { Attributes } = await c.sqs.send(
    new Sqs.GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return Attributes?.ApproximateNumberOfMessages;
}

describe('scenario 1: SSE-KMS queue, key policy admits sns.amazonaws.com for this topic', () => {
  it('delivers, and the message is not on disk in clear (control: an unencrypted queue is)', async () => {
    const arn = await topic(c, 'enc');
    const key = await keyWith(c, snsKeyStatement({ ArnEquals: { 'aws:SourceArn': arn } }));
    const encrypted = await snsQueue(c, { KmsMasterKeyId: key, KmsDataKeyReusePeriodSeconds: '60' }, 'kms');
    const plain = await snsQueue(c, { SqsManagedSseEnabled: 'false' }, 'plain');
    const encSub = await subscribe(c, arn, encrypted.arn, { RawMessageDelivery: 'true' });
    const plainSub = await subscribe(c, arn, plain.arn, { RawMessageDelivery: 'true' });
    const text = canary('kms');
    await c.sns.send(new Sns.PublishCommand({ TopicArn: arn, Message: text }));

    expect(await deliveryRecord(server, encSub)).toMatchObject({ outcome: 'delivered' });
    expect(await deliveryRecord(server, plainSub)).toMatchObject({ outcome: 'delivered' });
    expect(await messageCount(encrypted.url)).toBe('1');
    // At rest, while stored: absent from every file but for the unencrypted queue's copy.
    const holding = await storedWith(text);
    expect(holding.length, 'the control finds the unencrypted copy').toBeGreaterThan(0);

    // Now the same check with the encrypted queue alone holding the canary.
    const text2 = canary('kms-only');
    await c.sns.send(new Sns.UnsubscribeCommand({ SubscriptionArn: plainSub }));
    await c.sns.send(new Sns.PublishCommand({ TopicArn: arn, Message: text2 }));
    expect(await deliveryRecord(server, encSub, 1)).toMatchObject({ outcome: 'delivered' });
    expect(await storedWith(text2)).toEqual([]);

    const got = await poll(c, encrypted.url, 2);
    expect(got.map((m) => m.Body).sort()).toEqual([text, text2].sort());
    expect(got.every((m) => m.Attributes?.SenderId === 'sns.amazonaws.com')).toBe(true);
  });
});

describe('refused deliveries (client-side): recorded with the exact error, dead-lettered', () => {
  it('scenario 2: no service statement in the key policy → KMS.AccessDeniedException, message in the DLQ', async () => {
    const arn = await topic(c, 'nostmt');
    const queue = await snsQueue(c, { KmsMasterKeyId: await keyWith(c) }, 'kms');
    const dlq = await snsQueue(c, {}, 'dlq'); // SSE-SQS
    const sub = await subscribe(c, arn, queue.arn, { RedrivePolicy: redrive(dlq.arn) });
    const { MessageId } = await c.sns.send(new Sns.PublishCommand({ TopicArn: arn, Message: 'refused by the key' }));
    expect(await deliveryRecord(server, sub)).toMatchObject({ outcome: 'dead-lettered', errorCode: 'KMS.AccessDeniedException', endpoint: queue.arn });
    const [dead] = await poll(c, dlq.url);
    expect(JSON.parse(dead.Body!) as Envelope).toMatchObject({ Type: 'Notification', MessageId, TopicArn: arn, Message: 'refused by the key' });
    expect(await messageCount(queue.url)).toBe('0');
  });

  it('scenario 2 without a DLQ: recorded as failed, not retried', async () => {
    const arn = await topic(c, 'nostmt');
    const queue = await snsQueue(c, { KmsMasterKeyId: await keyWith(c) }, 'kms');
    const sub = await subscribe(c, arn, queue.arn);
    await c.sns.send(new Sns.PublishCommand({ TopicArn: arn, Message: 'lost' }));
    expect(await deliveryRecord(server, sub)).toMatchObject({ outcome: 'failed', errorCode: 'KMS.AccessDeniedException' });
    await new Promise((resolve) => setTimeout(resolve, 1200)); // past the first retry delay
    expect(server.sealq.snsCore.deliveries.filter((r) => r.subscriptionArn === sub)).toHaveLength(1);
    expect(await messageCount(queue.url)).toBe('0');
  });

  it('scenario 3: a queue encrypted with alias/aws/sqs refuses (KMS.AccessDeniedException), message in the DLQ', async () => {
    const arn = await topic(c, 'awsmanaged');
    const queue = await snsQueue(c, { KmsMasterKeyId: 'alias/aws/sqs' }, 'managed');
    const dlq = await snsQueue(c, { SqsManagedSseEnabled: 'false' }, 'dlq');
    const sub = await subscribe(c, arn, queue.arn, { RedrivePolicy: redrive(dlq.arn) });
    await c.sns.send(new Sns.PublishCommand({ TopicArn: arn, Message: 'to the aws managed key' }));
    expect(await deliveryRecord(server, sub)).toMatchObject({ outcome: 'dead-lettered', errorCode: 'KMS.AccessDeniedException' });
    const [dead] = await poll(c, dlq.url);
    expect((JSON.parse(dead.Body!) as Envelope).Message).toBe('to the aws managed key');
    expect(await messageCount(queue.url)).toBe('0');
  });

  it('scenario 4: confused deputy — a key conditioned on topic A refuses topic B, delivers from A', async () => {
    const topicA = await topic(c, 'deputy-a');
    const topicB = await topic(c, 'deputy-b');
    const key = await keyWith(c, snsKeyStatement({ ArnEquals: { 'aws:SourceArn': topicA }, StringEquals: { 'aws:SourceAccount': ACCOUNT } }));
    // The queue policy admits sns.amazonaws.com for any topic, so the key policy decides.
    const queue = await snsQueue(c, { KmsMasterKeyId: key }, 'deputy');
    const subA = await subscribe(c, topicA, queue.arn, { RawMessageDelivery: 'true' });
    const subB = await subscribe(c, topicB, queue.arn, { RawMessageDelivery: 'true' });
    await c.sns.send(new Sns.PublishCommand({ TopicArn: topicB, Message: 'from B' }));
    await c.sns.send(new Sns.PublishCommand({ TopicArn: topicA, Message: 'from A' }));
    expect(await deliveryRecord(server, subB)).toMatchObject({ outcome: 'failed', errorCode: 'KMS.AccessDeniedException' });
    expect(await deliveryRecord(server, subA)).toMatchObject({ outcome: 'delivered' });
    const got = await poll(c, queue.url, 1, 2500);
    expect(got.map((m) => m.Body)).toEqual(['from A']);
  });

  it('a queue policy that does not admit the topic → AccessDenied, dead-lettered', async () => {
    const arn = await topic(c, 'qpolicy');
    const other = await topic(c, 'qpolicy-other');
    const queue = await snsQueue(c, {}, 'strict');
    await c.sqs.send(new Sqs.SetQueueAttributesCommand({ QueueUrl: queue.url, Attributes: { Policy: snsQueuePolicy(queue.arn, other) } }));
    const dlq = await snsQueue(c, {}, 'dlq');
    const sub = await subscribe(c, arn, queue.arn, { RedrivePolicy: redrive(dlq.arn) });
    await c.sns.send(new Sns.PublishCommand({ TopicArn: arn, Message: 'not admitted' }));
    expect(await deliveryRecord(server, sub)).toMatchObject({ outcome: 'dead-lettered', errorCode: 'AccessDenied' });
    expect((await poll(c, dlq.url)).length).toBe(1);
  });

  it('a deleted queue → dead-lettered', async () => {
    const arn = await topic(c, 'gone');
    const queue = await snsQueue(c, {}, 'gone');
    const dlq = await snsQueue(c, {}, 'dlq');
    const sub = await subscribe(c, arn, queue.arn, { RedrivePolicy: redrive(dlq.arn) });
    await c.sqs.send(new Sqs.DeleteQueueCommand({ QueueUrl: queue.url }));
    await c.sns.send(new Sns.PublishCommand({ TopicArn: arn, Message: 'nowhere' }));
    const record = await deliveryRecord(server, sub);
    expect(record?.outcome).toBe('dead-lettered');
    expect(record?.errorCode).toMatch(/NonExistentQueue|QueueDoesNotExist/);
    expect((await poll(c, dlq.url)).length).toBe(1);
  });
});
