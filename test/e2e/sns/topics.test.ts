/**
 * SNS management through @aws-sdk/client-sns (AWS Query): topics, subscriptions, their attributes,
 * tags, and the errors AWS gives for bad names, unknown protocols and missing resources.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/sealq.js';
import { ACCOUNT, REGION, Sns, clientsFor, errorOf, snsQueue, subscribe, topic, uniqueName, type Clients } from './helpers.js';

let server: TestServer;
let c: Clients;

beforeAll(async () => {
  server = await startTestServer();
  c = clientsFor(server);
});
afterAll(async () => {
  await server.stop();
});

describe('topics', () => {
  it('CreateTopic answers the topic ARN and is idempotent', async () => {
    const name = uniqueName('topic');
    const first = await c.sns.send(new Sns.CreateTopicCommand({ Name: name }));
    expect(first.TopicArn).toBe(`arn:aws:sns:${REGION}:${ACCOUNT}:${name}`);
    const again = await c.sns.send(new Sns.CreateTopicCommand({ Name: name }));
    expect(again.TopicArn).toBe(first.TopicArn);
    const { Topics } = await c.sns.send(new Sns.ListTopicsCommand({}));
    expect(Topics!.filter((t) => t.TopicArn === first.TopicArn)).toHaveLength(1);
  });

  it('rejects invalid names with InvalidParameter', async () => {
    for (const name of ['has space', 'dot.name', 'x'.repeat(257), '']) {
      const error = await errorOf(c.sns.send(new Sns.CreateTopicCommand({ Name: name })));
      expect(error.code, name).toBe('InvalidParameter');
      expect(error.status).toBe(400);
    }
    // A .fifo name without FifoTopic is not a valid standard topic name.
    expect((await errorOf(c.sns.send(new Sns.CreateTopicCommand({ Name: `${uniqueName('f')}.fifo` })))).code).toBe('InvalidParameter');
    // FifoTopic without the .fifo suffix neither.
    const error = await errorOf(c.sns.send(new Sns.CreateTopicCommand({ Name: uniqueName('f'), Attributes: { FifoTopic: 'true' } })));
    expect(error.code).toBe('InvalidParameter');
  });

  it('creates FIFO topics (.fifo + FifoTopic) with their attributes', async () => {
    const arn = await topic(c, 'fifo', { FifoTopic: 'true', ContentBasedDeduplication: 'true' });
    expect(arn.endsWith('.fifo')).toBe(true);
    const { Attributes } = await c.sns.send(new Sns.GetTopicAttributesCommand({ TopicArn: arn }));
    expect(Attributes).toMatchObject({ FifoTopic: 'true', ContentBasedDeduplication: 'true', TopicArn: arn, Owner: ACCOUNT });
  });

  it('Get/SetTopicAttributes', async () => {
    const arn = await topic(c);
    const { Attributes } = await c.sns.send(new Sns.GetTopicAttributesCommand({ TopicArn: arn }));
    expect(Attributes).toMatchObject({ TopicArn: arn, Owner: ACCOUNT, SubscriptionsConfirmed: '0', SubscriptionsPending: '0' });
    expect(JSON.parse(Attributes!.Policy!)).toHaveProperty('Statement');
    await c.sns.send(new Sns.SetTopicAttributesCommand({ TopicArn: arn, AttributeName: 'DisplayName', AttributeValue: 'Hello' }));
    await c.sns.send(new Sns.SetTopicAttributesCommand({ TopicArn: arn, AttributeName: 'SignatureVersion', AttributeValue: '2' }));
    const after = await c.sns.send(new Sns.GetTopicAttributesCommand({ TopicArn: arn }));
    expect(after.Attributes).toMatchObject({ DisplayName: 'Hello', SignatureVersion: '2' });
    const bad = await errorOf(c.sns.send(new Sns.SetTopicAttributesCommand({ TopicArn: arn, AttributeName: 'SignatureVersion', AttributeValue: '3' })));
    expect(bad.code).toBe('InvalidParameter');
    const unknown = await errorOf(c.sns.send(new Sns.SetTopicAttributesCommand({ TopicArn: arn, AttributeName: 'Nope', AttributeValue: 'x' })));
    expect(unknown.code).toBe('InvalidParameter');
  });

  it('DeleteTopic removes the topic and its subscriptions; unknown topics give NotFound', async () => {
    const arn = await topic(c);
    const q = await snsQueue(c);
    const sub = await subscribe(c, arn, q.arn);
    await c.sns.send(new Sns.DeleteTopicCommand({ TopicArn: arn }));
    const { Topics } = await c.sns.send(new Sns.ListTopicsCommand({}));
    expect(Topics!.map((t) => t.TopicArn)).not.toContain(arn);
    const { Subscriptions } = await c.sns.send(new Sns.ListSubscriptionsCommand({}));
    expect(Subscriptions!.map((s) => s.SubscriptionArn)).not.toContain(sub);
    const missing = await errorOf(c.sns.send(new Sns.GetTopicAttributesCommand({ TopicArn: arn })));
    expect({ code: missing.code, status: missing.status }).toEqual({ code: 'NotFound', status: 404 });
    // Deleting again succeeds, as on AWS.
    await c.sns.send(new Sns.DeleteTopicCommand({ TopicArn: arn }));
  });
});

describe('subscriptions', () => {
  it('Subscribe to an SQS queue; list, attributes, unsubscribe', async () => {
    const arn = await topic(c);
    const q = await snsQueue(c);
    const sub = await subscribe(c, arn, q.arn, { RawMessageDelivery: 'true' });
    expect(sub.startsWith(`${arn}:`)).toBe(true);
    // Subscribing the same endpoint again answers the same subscription.
    expect(await subscribe(c, arn, q.arn)).toBe(sub);

    const all = await c.sns.send(new Sns.ListSubscriptionsCommand({}));
    expect(all.Subscriptions).toContainEqual({ SubscriptionArn: sub, Owner: ACCOUNT, Protocol: 'sqs', Endpoint: q.arn, TopicArn: arn });
    const byTopic = await c.sns.send(new Sns.ListSubscriptionsByTopicCommand({ TopicArn: arn }));
    expect(byTopic.Subscriptions!.map((s) => s.SubscriptionArn)).toEqual([sub]);
    const counted = await c.sns.send(new Sns.GetTopicAttributesCommand({ TopicArn: arn }));
    expect(counted.Attributes!.SubscriptionsConfirmed).toBe('1');

    const { Attributes } = await c.sns.send(new Sns.GetSubscriptionAttributesCommand({ SubscriptionArn: sub }));
    expect(Attributes).toMatchObject({ SubscriptionArn: sub, TopicArn: arn, Protocol: 'sqs', Endpoint: q.arn, RawMessageDelivery: 'true', PendingConfirmation: 'false' });

    const policy = JSON.stringify({ color: ['red'] });
    await c.sns.send(new Sns.SetSubscriptionAttributesCommand({ SubscriptionArn: sub, AttributeName: 'FilterPolicy', AttributeValue: policy }));
    await c.sns.send(new Sns.SetSubscriptionAttributesCommand({ SubscriptionArn: sub, AttributeName: 'RawMessageDelivery', AttributeValue: 'false' }));
    const after = await c.sns.send(new Sns.GetSubscriptionAttributesCommand({ SubscriptionArn: sub }));
    expect(after.Attributes).toMatchObject({ FilterPolicy: policy, RawMessageDelivery: 'false' });

    for (const [name, value] of [['FilterPolicy', '{not json'], ['RawMessageDelivery', 'yes'], ['FilterPolicyScope', 'Body'], ['RedrivePolicy', '{}'], ['Bogus', 'x']]) {
      const error = await errorOf(c.sns.send(new Sns.SetSubscriptionAttributesCommand({ SubscriptionArn: sub, AttributeName: name, AttributeValue: value })));
      expect(error.code, name).toBe('InvalidParameter');
    }

    await c.sns.send(new Sns.UnsubscribeCommand({ SubscriptionArn: sub }));
    const gone = await c.sns.send(new Sns.ListSubscriptionsByTopicCommand({ TopicArn: arn }));
    expect(gone.Subscriptions ?? []).toEqual([]);
    expect((await errorOf(c.sns.send(new Sns.GetSubscriptionAttributesCommand({ SubscriptionArn: sub })))).code).toBe('NotFound');
    expect((await errorOf(c.sns.send(new Sns.UnsubscribeCommand({ SubscriptionArn: sub })))).code).toBe('NotFound');
  });

  it('rejects protocols other than sqs and non-queue endpoints', async () => {
    const arn = await topic(c);
    for (const [protocol, endpoint] of [['http', 'http://example.com/'], ['email', 'a@example.com'], ['lambda', `arn:aws:lambda:${REGION}:${ACCOUNT}:function:f`]]) {
      const error = await errorOf(c.sns.send(new Sns.SubscribeCommand({ TopicArn: arn, Protocol: protocol, Endpoint: endpoint })));
      expect(error.code, protocol).toBe('InvalidParameter');
    }
    const notQueue = await errorOf(c.sns.send(new Sns.SubscribeCommand({ TopicArn: arn, Protocol: 'sqs', Endpoint: 'not-an-arn' })));
    expect(notQueue.code).toBe('InvalidParameter');
    const noTopic = await errorOf(
      c.sns.send(new Sns.SubscribeCommand({ TopicArn: `${arn}-missing`, Protocol: 'sqs', Endpoint: `arn:aws:sqs:${REGION}:${ACCOUNT}:q` })),
    );
    expect(noTopic.code).toBe('NotFound');
  });
});

describe('tags', () => {
  it('Tag/Untag/ListTagsForResource on a topic', async () => {
    const { TopicArn } = await c.sns.send(new Sns.CreateTopicCommand({ Name: uniqueName('tagged'), Tags: [{ Key: 'team', Value: 'a' }] }));
    const list = async () => (await c.sns.send(new Sns.ListTagsForResourceCommand({ ResourceArn: TopicArn }))).Tags ?? [];
    expect(await list()).toEqual([{ Key: 'team', Value: 'a' }]);
    await c.sns.send(new Sns.TagResourceCommand({ ResourceArn: TopicArn, Tags: [{ Key: 'team', Value: 'b' }, { Key: 'env', Value: 'test' }] }));
    expect((await list()).sort((x, y) => x.Key!.localeCompare(y.Key!))).toEqual([{ Key: 'env', Value: 'test' }, { Key: 'team', Value: 'b' }]);
    await c.sns.send(new Sns.UntagResourceCommand({ ResourceArn: TopicArn, TagKeys: ['team'] }));
    expect(await list()).toEqual([{ Key: 'env', Value: 'test' }]);
    const missing = await errorOf(c.sns.send(new Sns.ListTagsForResourceCommand({ ResourceArn: `${TopicArn}-missing` })));
    expect(missing.code).toBe('NotFound');
  });
});
