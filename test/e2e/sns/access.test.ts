import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/sealq.js';
import { ACCOUNT, Sns, clientsFor, errorOf, snsQueue, subscribe, topic, type Clients } from './helpers.js';

/** SNS calls are authorized like any other: the topic policy and the caller's IAM policies. */

const reader = { id: 'AKIASNSREADER0000001', secret: 'reader-secret' };
const manager = { id: 'AKIASNSMANAGER000001', secret: 'manager-secret' };

let server: TestServer;
let root: Clients;

beforeAll(async () => {
  server = await startTestServer({
    accounts: JSON.stringify([
      {
        id: ACCOUNT,
        users: [
          { name: 'sns-reader', accessKeys: [reader] },
          {
            name: 'sns-manager',
            accessKeys: [manager],
            policies: {
              manage: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['sns:Unsubscribe', 'sns:Publish'], Resource: '*' }] },
            },
          },
        ],
      },
    ]),
  });
  root = clientsFor(server);
});
afterAll(async () => {
  await server.stop();
});

const snsAs = (key: { id: string; secret: string }) =>
  new Sns.SNSClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: key.id, secretAccessKey: key.secret } });

describe('SNS authorization', () => {
  it('refuses Publish and Unsubscribe to a user whose policies do not allow them, and allows them when they do', async () => {
    const topicArn = await topic(root);
    const queue = await snsQueue(root);
    const subscriptionArn = await subscribe(root, topicArn, queue.arn);

    const denied = await errorOf(snsAs(reader).send(new Sns.UnsubscribeCommand({ SubscriptionArn: subscriptionArn })));
    expect(denied).toMatchObject({ code: 'AuthorizationError', status: 403 });
    expect(await errorOf(snsAs(reader).send(new Sns.PublishCommand({ TopicArn: topicArn, Message: 'x' })))).toMatchObject({
      code: 'AuthorizationError',
    });
    const { Subscriptions } = await root.sns.send(new Sns.ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));
    expect(Subscriptions).toHaveLength(1);

    await snsAs(manager).send(new Sns.PublishCommand({ TopicArn: topicArn, Message: 'allowed' }));
    await snsAs(manager).send(new Sns.UnsubscribeCommand({ SubscriptionArn: subscriptionArn }));
    const after = await root.sns.send(new Sns.ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));
    expect(after.Subscriptions ?? []).toHaveLength(0);
  });
});
