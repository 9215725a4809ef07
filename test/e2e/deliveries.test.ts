/**
 * POST /_sealq/deliveries, the console's recent delivery failures: the account's failed and
 * dead-lettered SNS, EventBridge and S3 deliveries, newest first, for the account's root only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPost, startTestServer, testCredentials, type TestServer } from '../support/sealq.js';
import { createUserWithKey, iamAs, type Credentials } from './identity/helpers.js';
import { Sns, Sqs, clientsFor, deliveryRecord, snsQueue, snsQueuePolicy, subscribe, topic, type Clients } from './sns/helpers.js';

let server: TestServer;
let c: Clients;

beforeAll(async () => {
  server = await startTestServer();
  c = clientsFor(server);
});
afterAll(async () => {
  await server.stop();
});

interface Failure {
  time: number;
  source: string;
  sourceArn: string;
  destination: string;
  outcome: string;
  errorCode?: string;
}

async function deliveries(credentials: Credentials = testCredentials, input: unknown = {}) {
  const { status, text } = await adminPost(server.url, '/_sealq/deliveries', input, credentials);
  return { status, text, deliveries: status === 200 ? (JSON.parse(text) as { deliveries: Failure[] }).deliveries : [] };}

describe('POST /_sealq/deliveries', () => {
  it('lists an SNS delivery refused by the queue policy with errorCode AccessDenied, and not the delivered ones', async () => {
    const arn = await topic(c, 'refused');
    const other = await topic(c, 'refused-other');
    const queue = await snsQueue(c, {}, 'strict');
    // The queue policy admits sns.amazonaws.com only for another topic.
    await c.sqs.send(new Sqs.SetQueueAttributesCommand({ QueueUrl: queue.url, Attributes: { Policy: snsQueuePolicy(queue.arn, other) } }));
    const sub = await subscribe(c, arn, queue.arn);
    const fine = await snsQueue(c, {}, 'fine');
    const okSub = await subscribe(c, arn, fine.arn);
    await c.sns.send(new Sns.PublishCommand({ TopicArn: arn, Message: 'not admitted' }));
    expect(await deliveryRecord(server, sub)).toMatchObject({ outcome: 'failed', errorCode: 'AccessDenied' });
    expect(await deliveryRecord(server, okSub)).toMatchObject({ outcome: 'delivered' });

    const answer = await deliveries();
    expect(answer.status).toBe(200);
    const mine = answer.deliveries.filter((d) => d.sourceArn === arn);
    expect(mine).toEqual([{ time: expect.any(Number), source: 'sns', sourceArn: arn, destination: queue.arn, outcome: 'failed', errorCode: 'AccessDenied' }]);
    expect((await deliveries(testCredentials, { max: 1 })).deliveries).toHaveLength(1);
  });

  it('is for the account root only, and checks its input', async () => {
    const user = await createUserWithKey(iamAs(server.url), `deliveries-${Date.now()}`, JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }));
    const refused = await deliveries(user.credentials);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('AccessDenied');
    expect((await deliveries(testCredentials, { max: 0 })).status).toBe(400);
  });
});
