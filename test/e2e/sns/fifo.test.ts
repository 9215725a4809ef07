/**
 * Scenario 7: a FIFO topic delivering to a FIFO queue keeps the order within each message group
 * and deduplicates (explicit MessageDeduplicationId, and content-based deduplication), and the
 * FIFO-only parameters are required or refused as AWS does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/sealq.js';
import { Sns, clientsFor, errorOf, poll, snsQueue, subscribe, topic, type Clients, type Envelope } from './helpers.js';

let server: TestServer;
let c: Clients;

beforeAll(async () => {
  server = await startTestServer();
  c = clientsFor(server);
});
afterAll(async () => {
  await server.stop();
});

const fifoQueue = () => snsQueue(c, { FifoQueue: 'true' }, 'fifo');

describe('FIFO topic → FIFO queue', () => {
  it('keeps the order within each message group and carries the group to the queue', async () => {
    const arn = await topic(c, 'order', { FifoTopic: 'true' });
    const q = await fifoQueue();
    await subscribe(c, arn, q.arn);
    const sequence: string[] = [];
    for (let i = 0; i < 8; i++) {
      const group = i % 2 === 0 ? 'g-even' : 'g-odd';
      const out = await c.sns.send(
        new Sns.PublishCommand({ TopicArn: arn, Message: `${group}-${i}`, MessageGroupId: group, MessageDeduplicationId: `d-${i}` }),
      );
      expect(out.SequenceNumber).toMatch(/^\d+$/);
      sequence.push(out.SequenceNumber!);
    }
    expect([...sequence].map(BigInt).every((n, i, all) => i === 0 || n > all[i - 1])).toBe(true);
    const got = await poll(c, q.url, 8);
    const envelopes = got.map((m) => ({ group: m.Attributes?.MessageGroupId, e: JSON.parse(m.Body!) as Envelope }));
    for (const group of ['g-even', 'g-odd']) {
      const mine = envelopes.filter((x) => x.group === group).map((x) => x.e.Message);
      const expected = Array.from({ length: 8 }, (_, i) => i).filter((i) => (group === 'g-even' ? i % 2 === 0 : i % 2 === 1)).map((i) => `${group}-${i}`);
      expect(mine).toEqual(expected);
    }
    expect(envelopes.every((x) => x.e.SequenceNumber !== undefined)).toBe(true);
  });

  it('delivers a message published twice with the same MessageDeduplicationId once', async () => {
    const arn = await topic(c, 'dedup', { FifoTopic: 'true' });
    const q = await fifoQueue();
    await subscribe(c, arn, q.arn, { RawMessageDelivery: 'true' });
    const publish = (message: string, dedup: string) =>
      c.sns.send(new Sns.PublishCommand({ TopicArn: arn, Message: message, MessageGroupId: 'g', MessageDeduplicationId: dedup }));
    await publish('once', 'same-id');
    await publish('once', 'same-id');
    await publish('again but same id', 'same-id');
    await publish('another', 'other-id');
    const got = await poll(c, q.url, 0, 2500);
    expect(got.map((m) => m.Body)).toEqual(['once', 'another']);
  });

  it('deduplicates by content when the topic has ContentBasedDeduplication', async () => {
    const arn = await topic(c, 'cbd', { FifoTopic: 'true', ContentBasedDeduplication: 'true' });
    // The queues do not deduplicate by content themselves, and envelopes differ by MessageId: the topic's id decides.
    const raw = await fifoQueue();
    const enveloped = await fifoQueue();
    await subscribe(c, arn, raw.arn, { RawMessageDelivery: 'true' });
    await subscribe(c, arn, enveloped.arn);
    for (const message of ['same', 'same', 'different']) {
      await c.sns.send(new Sns.PublishCommand({ TopicArn: arn, Message: message, MessageGroupId: 'g' }));
    }
    const [gotRaw, gotEnveloped] = await Promise.all([poll(c, raw.url, 0, 2500), poll(c, enveloped.url, 0, 2500)]);
    expect(gotRaw.map((m) => m.Body)).toEqual(['same', 'different']);
    expect(gotEnveloped.map((m) => (JSON.parse(m.Body!) as Envelope).Message)).toEqual(['same', 'different']);
  });

  it('PublishBatch on a FIFO topic keeps the batch order', async () => {
    const arn = await topic(c, 'batch', { FifoTopic: 'true' });
    const q = await fifoQueue();
    await subscribe(c, arn, q.arn, { RawMessageDelivery: 'true' });
    const entries = Array.from({ length: 5 }, (_, i) => ({ Id: `e${i}`, Message: `m${i}`, MessageGroupId: 'g', MessageDeduplicationId: `b${i}` }));
    const out = await c.sns.send(new Sns.PublishBatchCommand({ TopicArn: arn, PublishBatchRequestEntries: entries }));
    expect(out.Successful).toHaveLength(5);
    const got = await poll(c, q.url, 5);
    expect(got.map((m) => m.Body)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });

  it('requires MessageGroupId (and a deduplication id without content-based deduplication)', async () => {
    const arn = await topic(c, 'params', { FifoTopic: 'true' });
    expect((await errorOf(c.sns.send(new Sns.PublishCommand({ TopicArn: arn, Message: 'x', MessageDeduplicationId: 'd' })))).code).toBe('InvalidParameter');
    expect((await errorOf(c.sns.send(new Sns.PublishCommand({ TopicArn: arn, Message: 'x', MessageGroupId: 'g' })))).code).toBe('InvalidParameter');
    const standard = await topic(c, 'std');
    const error = await errorOf(c.sns.send(new Sns.PublishCommand({ TopicArn: standard, Message: 'x', MessageDeduplicationId: 'd' })));
    expect(error.code).toBe('InvalidParameter');
  });
});
