/**
 * SNS listings page 100 at a time with NextToken, and account-level SNS actions (CreateTopic, the
 * List calls) are authorized by the caller's own IAM policies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/sealq.js';
import { ACCOUNT, Sns, clientsFor, errorOf, snsQueue, subscribe, topic, uniqueName, type Clients } from './helpers.js';

const stranger = { id: 'AKIASNSSTRANGER00001', secret: 'stranger-secret' };

let server: TestServer;
let c: Clients;

beforeAll(async () => {
  server = await startTestServer({
    accounts: JSON.stringify([{ id: ACCOUNT, users: [{ name: 'sns-stranger', accessKeys: [stranger] }] }]),
  });
  c = clientsFor(server);
});
afterAll(async () => {
  await server.stop();
});

async function allPages<T>(fetch: (token?: string) => Promise<{ items: T[]; next?: string }>): Promise<{ items: T[]; pages: number[] }> {
  const items: T[] = [];
  const pages: number[] = [];
  let token: string | undefined;
  do {
    const page = await fetch(token);
    items.push(...page.items);
    pages.push(page.items.length);
    token = page.next;
  } while (token);
  return { items, pages };
}

describe('SNS listings', () => {
  it('pages ListSubscriptions, ListSubscriptionsByTopic and ListTopics 100 at a time', async () => {
    const topicArn = await topic(c);
    const queue = await snsQueue(c);
    const created: string[] = [];
    for (let i = 0; i < 120; i++) {
      const t = i === 0 ? topicArn : await topic(c, 'page');
      created.push(await subscribe(c, t, queue.arn));
    }
    const subscriptions = await allPages(async (token) => {
      const out = await c.sns.send(new Sns.ListSubscriptionsCommand({ NextToken: token }));
      return { items: out.Subscriptions ?? [], next: out.NextToken };
    });
    expect(subscriptions.pages[0]).toBe(100);
    expect(new Set(subscriptions.items.map((s) => s.SubscriptionArn))).toEqual(new Set(created));

    const topics = await allPages(async (token) => {
      const out = await c.sns.send(new Sns.ListTopicsCommand({ NextToken: token }));
      return { items: out.Topics ?? [], next: out.NextToken };
    });
    expect(topics.pages.length).toBeGreaterThanOrEqual(2);
    expect(topics.items.length).toBeGreaterThanOrEqual(120);

    const byTopic = await c.sns.send(new Sns.ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));
    expect(byTopic.Subscriptions?.map((s) => s.SubscriptionArn)).toEqual([created[0]]);
    expect(byTopic.NextToken).toBeUndefined();

    expect(await errorOf(c.sns.send(new Sns.ListSubscriptionsCommand({ NextToken: 'not-a-token' })))).toMatchObject({
      code: 'InvalidParameter',
      status: 400,
    });
  });

  it('refuses CreateTopic, ListTopics and ListSubscriptions to a user whose policies do not allow them', async () => {
    const sns = new Sns.SNSClient({
      endpoint: server.url,
      region: 'us-east-1',
      credentials: { accessKeyId: stranger.id, secretAccessKey: stranger.secret },
      maxAttempts: 1,
    });
    const name = uniqueName('denied');
    const created = await errorOf(sns.send(new Sns.CreateTopicCommand({ Name: name })));
    expect(created).toMatchObject({ code: 'AuthorizationError', status: 403 });
    expect(created.message).toContain(`sns:CreateTopic on resource: arn:aws:sns:us-east-1:${ACCOUNT}:${name}`);
    expect(await errorOf(sns.send(new Sns.ListTopicsCommand({})))).toMatchObject({ code: 'AuthorizationError' });
    expect(await errorOf(sns.send(new Sns.ListSubscriptionsCommand({})))).toMatchObject({ code: 'AuthorizationError' });
  });
});
