/**
 * Publish and PublishBatch into SQS subscriptions: the signed JSON envelope (verified with
 * node:crypto against the certificate served at SigningCertURL, SignatureVersion 1 and 2), raw
 * delivery with SNS attributes carried as SQS attributes, and the >10-attributes raw delivery that
 * fails client-side into the subscription's dead-letter queue.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/sealq.js';
import {
  Sns, canonical, clientsFor, deliveryRecord, errorOf, poll, snsQueue, subscribe, topic, verifySignature,
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

describe('Publish with the JSON envelope', () => {
  it('delivers a signed Notification envelope (SignatureVersion 1, RSA-SHA1)', async () => {
    const arn = await topic(c);
    const q = await snsQueue(c);
    const sub = await subscribe(c, arn, q.arn);
    const { MessageId } = await c.sns.send(
      new Sns.PublishCommand({
        TopicArn: arn,
        Subject: 'greeting',
        Message: 'hello "world"\nline two',
        MessageAttributes: { color: { DataType: 'String', StringValue: 'red' }, size: { DataType: 'Number', StringValue: '42' } },
      }),
    );
    expect(MessageId).toMatch(/^[0-9a-f-]{36}$/);
    const [m] = await poll(c, q.url);
    expect(m, 'delivered').toBeDefined();
    expect(m.Attributes?.SenderId).toBe('sns.amazonaws.com');
    const e = JSON.parse(m.Body!) as Envelope;
    expect(e).toMatchObject({
      Type: 'Notification',
      MessageId,
      TopicArn: arn,
      Subject: 'greeting',
      Message: 'hello "world"\nline two',
      SignatureVersion: '1',
      MessageAttributes: { color: { Type: 'String', Value: 'red' }, size: { Type: 'Number', Value: '42' } },
    });
    expect(new Date(e.Timestamp).toISOString()).toBe(e.Timestamp);
    expect(e.SigningCertURL).toBe(`${server.url}/_sealq/sns/SimpleNotificationService.pem`);
    expect(new URL(e.UnsubscribeURL).searchParams.get('SubscriptionArn')).toBe(sub);
    expect(new URL(e.UnsubscribeURL).searchParams.get('Action')).toBe('Unsubscribe');
    expect(await verifySignature(e)).toBe(true);
    // A tampered message does not verify.
    expect(await verifySignature({ ...e, Message: `${e.Message}!` })).toBe(false);
    expect(canonical(e)).toContain('Subject\ngreeting\n');
  });

  it('signs with RSA-SHA256 after SetTopicAttributes SignatureVersion=2; envelopes without Subject verify', async () => {
    const arn = await topic(c);
    await c.sns.send(new Sns.SetTopicAttributesCommand({ TopicArn: arn, AttributeName: 'SignatureVersion', AttributeValue: '2' }));
    const q = await snsQueue(c);
    await subscribe(c, arn, q.arn);
    await c.sns.send(new Sns.PublishCommand({ TopicArn: arn, Message: 'v2 body' }));
    const [m] = await poll(c, q.url);
    const e = JSON.parse(m.Body!) as Envelope;
    expect(e.SignatureVersion).toBe('2');
    expect('Subject' in e).toBe(false);
    expect('MessageAttributes' in e).toBe(false);
    expect(await verifySignature(e)).toBe(true);
    // The same signature is not a SHA1 one.
    expect(await verifySignature({ ...e, SignatureVersion: '1' })).toBe(false);
  });

  it('serves the signing certificate without credentials', async () => {
    const response = await fetch(`${server.url}/_sealq/sns/SimpleNotificationService.pem`);
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  it('delivers one copy to each subscription; publishing to an unknown topic gives NotFound', async () => {
    const arn = await topic(c);
    const [a, b] = [await snsQueue(c), await snsQueue(c)];
    await subscribe(c, arn, a.arn);
    await subscribe(c, arn, b.arn);
    await c.sns.send(new Sns.PublishCommand({ TopicArn: arn, Message: 'fan out' }));
    for (const q of [a, b]) {
      const got = await poll(c, q.url);
      expect(got.map((m) => (JSON.parse(m.Body!) as Envelope).Message)).toEqual(['fan out']);
    }
    expect((await errorOf(c.sns.send(new Sns.PublishCommand({ TopicArn: `${arn}-missing`, Message: 'x' })))).code).toBe('NotFound');
    expect((await errorOf(c.sns.send(new Sns.PublishCommand({ TopicArn: arn, Message: '' })))).code).toBe('InvalidParameter');
  });
});

describe('RawMessageDelivery', () => {
  it('delivers the message itself with SNS attributes as SQS message attributes', async () => {
    const arn = await topic(c);
    const q = await snsQueue(c);
    await subscribe(c, arn, q.arn, { RawMessageDelivery: 'true' });
    await c.sns.send(
      new Sns.PublishCommand({
        TopicArn: arn,
        Message: '{"raw":true}',
        MessageAttributes: {
          color: { DataType: 'String', StringValue: 'blue' },
          count: { DataType: 'Number', StringValue: '7' },
          blob: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]) },
        },
      }),
    );
    const [m] = await poll(c, q.url);
    expect(m.Body).toBe('{"raw":true}');
    expect(m.MessageAttributes?.color).toMatchObject({ DataType: 'String', StringValue: 'blue' });
    expect(m.MessageAttributes?.count).toMatchObject({ DataType: 'Number', StringValue: '7' });
    expect(m.MessageAttributes?.blob?.DataType).toBe('Binary');
    expect(Buffer.from(m.MessageAttributes!.blob!.BinaryValue!)).toEqual(Buffer.from([1, 2, 3]));
  });

  it('more than 10 attributes: not delivered, recorded as failed, and dead-lettered when a DLQ is set', async () => {
    const arn = await topic(c);
    const q = await snsQueue(c);
    const dlq = await snsQueue(c, {}, 'dlq');
    const sub = await subscribe(c, arn, q.arn, { RawMessageDelivery: 'true', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn }) });
    const attributes = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`a${i}`, { DataType: 'String', StringValue: `v${i}` }]));
    const { MessageId } = await c.sns.send(new Sns.PublishCommand({ TopicArn: arn, Message: 'too many attributes', MessageAttributes: attributes }));
    const record = await deliveryRecord(server, sub);
    expect(record).toMatchObject({ outcome: 'dead-lettered', errorCode: 'InvalidParameter' });
    const [dead] = await poll(c, dlq.url);
    const e = JSON.parse(dead.Body!) as Envelope;
    expect({ MessageId: e.MessageId, Message: e.Message }).toEqual({ MessageId, Message: 'too many attributes' });
    expect(await poll(c, q.url, 0, 1500)).toEqual([]);
  });

  it('more than 10 attributes without a DLQ: recorded as failed', async () => {
    const arn = await topic(c);
    const q = await snsQueue(c);
    const sub = await subscribe(c, arn, q.arn, { RawMessageDelivery: 'true' });
    const attributes = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`a${i}`, { DataType: 'String', StringValue: `v${i}` }]));
    await c.sns.send(new Sns.PublishCommand({ TopicArn: arn, Message: 'lost', MessageAttributes: attributes }));
    expect(await deliveryRecord(server, sub)).toMatchObject({ outcome: 'failed', errorCode: 'InvalidParameter' });
    expect(await poll(c, q.url, 0, 1500)).toEqual([]);
  });
});

describe('PublishBatch', () => {
  it('delivers every entry and reports per-entry results', async () => {
    const arn = await topic(c);
    const q = await snsQueue(c);
    await subscribe(c, arn, q.arn, { RawMessageDelivery: 'true' });
    const out = await c.sns.send(
      new Sns.PublishBatchCommand({
        TopicArn: arn,
        PublishBatchRequestEntries: [
          { Id: 'one', Message: 'first' },
          { Id: 'two', Message: 'second', MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } } },
          { Id: 'bad', Message: '' },
        ],
      }),
    );
    expect(out.Successful!.map((s) => s.Id).sort()).toEqual(['one', 'two']);
    expect(out.Successful!.every((s) => /^[0-9a-f-]{36}$/.test(s.MessageId!))).toBe(true);
    expect(out.Failed).toEqual([expect.objectContaining({ Id: 'bad', Code: 'InvalidParameter', SenderFault: true })]);
    const got = await poll(c, q.url, 2);
    expect(got.map((m) => m.Body).sort()).toEqual(['first', 'second']);
    expect(got.find((m) => m.Body === 'second')?.MessageAttributes?.k?.StringValue).toBe('v');
  });

  it('rejects empty, oversized and duplicate-id batches', async () => {
    const arn = await topic(c);
    const send = (entries: Sns.PublishBatchRequestEntry[]) =>
      errorOf(c.sns.send(new Sns.PublishBatchCommand({ TopicArn: arn, PublishBatchRequestEntries: entries })));
    expect((await send([])).code).toBe('EmptyBatchRequest');
    expect((await send(Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, Message: 'm' })))).code).toBe('TooManyEntriesInBatchRequest');
    expect((await send([{ Id: 'x', Message: 'a' }, { Id: 'x', Message: 'b' }])).code).toBe('BatchEntryIdsNotDistinct');
  });
});
