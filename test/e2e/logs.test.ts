/**
 * Structured logs: one JSON line per request (request id, principal, action, status, duration),
 * denials with their decision trace, failed event-source deliveries with their exact error, and
 * never a secret or a message body.
 */
import * as Sqs from '@aws-sdk/client-sqs';
import * as Sns from '@aws-sdk/client-sns';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFor, errorOf, startTestServer, testCredentials, uniqueName, type TestServer } from '../support/sealq.js';

const ACCOUNT = '000000000000';
const nobody = { id: 'AKIALOGSNOBODY000001', secret: 'nobody-secret-never-logged' };

const lines: Array<Record<string, unknown>> = [];
const raw: string[] = [];
let server: TestServer;

beforeAll(async () => {
  const logger = pino(
    { level: 'debug', base: undefined },
    {
      write: (line: string) => {
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  );
  server = await startTestServer(
    { accounts: JSON.stringify([{ id: ACCOUNT, users: [{ name: 'log-nobody', accessKeys: [nobody] }] }]) },
    { logger },
  );
});
afterAll(async () => {
  await server.stop();
});

const since = () => lines.length;

describe('request logs', () => {
  it('writes one line per request with its id, principal, action, status and duration, and no body or secret', async () => {
    const sqs = clientFor(Sqs as never, server.url) as Sqs.SQSClient;
    const { QueueUrl } = await sqs.send(new Sqs.CreateQueueCommand({ QueueName: uniqueName('logs') }));
    const from = since();
    const sent = await sqs.send(new Sqs.SendMessageCommand({ QueueUrl, MessageBody: 'a body that must never be logged' }));
    const requests = lines.slice(from).filter((l) => l.msg === 'request');
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({
      service: 'sqs',
      action: 'SendMessage',
      status: 200,
      principal: `arn:aws:iam::${ACCOUNT}:root`,
    });
    expect(typeof requests[0].requestId).toBe('string');
    expect(typeof requests[0].ms).toBe('number');
    expect(sent.MessageId).toBeDefined();
    const all = raw.join('');
    expect(all).not.toContain('a body that must never be logged');
    expect(all).not.toContain(testCredentials.secretAccessKey);
  });

  it('logs a denial with its decision trace, and never the caller secret', async () => {
    const sqs = clientFor(Sqs as never, server.url) as Sqs.SQSClient;
    const { QueueUrl } = await sqs.send(new Sqs.CreateQueueCommand({ QueueName: uniqueName('denied') }));
    const from = since();
    const intruder = new Sqs.SQSClient({
      endpoint: server.url,
      region: 'us-east-1',
      credentials: { accessKeyId: nobody.id, secretAccessKey: nobody.secret },
      maxAttempts: 1,
    });
    expect(await errorOf(intruder.send(new Sqs.SendMessageCommand({ QueueUrl, MessageBody: 'x' })))).toMatchObject({ code: 'AccessDenied' });
    const denial = lines.slice(from).find((l) => l.msg === 'request denied');
    expect(denial).toMatchObject({ principal: `arn:aws:iam::${ACCOUNT}:user/log-nobody`, code: 'AccessDenied' });
    expect(JSON.stringify(denial!.trace)).toContain('sqs:SendMessage');
    expect(raw.join('')).not.toContain(nobody.secret);
  });
});

describe('event-source delivery logs', () => {
  it('logs a failed SNS delivery with the exact error code', async () => {
    const common = { endpoint: server.url, region: 'us-east-1', credentials: testCredentials, maxAttempts: 1 };
    const sns = new Sns.SNSClient(common);
    const sqs = new Sqs.SQSClient(common);
    const name = uniqueName('closed');
    // A queue whose policy does not admit sns.amazonaws.com: the delivery is refused (a client-side error).
    const { QueueUrl } = await sqs.send(new Sqs.CreateQueueCommand({ QueueName: name }));
    const { TopicArn } = await sns.send(new Sns.CreateTopicCommand({ Name: uniqueName('t') }));
    const { SubscriptionArn } = await sns.send(
      new Sns.SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}`, ReturnSubscriptionArn: true }),
    );
    const from = since();
    await sns.send(new Sns.PublishCommand({ TopicArn, Message: 'refused payload, never logged' }));
    const deadline = Date.now() + 5000;
    let failure: Record<string, unknown> | undefined;
    while (!failure && Date.now() < deadline) {
      failure = lines.slice(from).find((l) => l.msg === 'event delivery failed');
      if (!failure) await new Promise((r) => setTimeout(r, 20));
    }
    expect(failure).toMatchObject({ source: 'sns', subscriptionArn: SubscriptionArn, topicArn: TopicArn, errorCode: 'AccessDenied' });
    expect(raw.join('')).not.toContain('refused payload, never logged');
    expect(QueueUrl).toBeDefined();
  });
});
