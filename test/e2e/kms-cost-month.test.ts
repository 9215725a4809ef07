import { afterEach, describe, expect, it } from 'vitest';
import { signRequest } from '../../src/auth/sign.js';
import { ManualClock } from '../../src/shared/clock.js';
import { startTestServer, testCredentials, type TestServer } from '../support/sealq.js';

/**
 * The seed's two cost examples, driven through a simulated billing period with real signed
 * requests: every reuse period each producer sends and each consumer receives (and deletes) one
 * message; the KMS calls metered must equal R = B / D × (2P + C) exactly.
 */

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';

interface Principal {
  name: string;
  id: string;
  secret: string;
}

const principal = (name: string): Principal => ({ name, id: `AKIA${name.toUpperCase().padEnd(16, 'X')}`.slice(0, 20), secret: `${name}-secret` });

function bootstrap(users: Principal[]): string {
  return JSON.stringify([
    {
      id: ACCOUNT,
      users: users.map((u) => ({
        name: u.name,
        accessKeys: [{ id: u.id, secret: u.secret }],
        policies: {
          all: {
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Action: ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage'], Resource: '*' },
              { Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: `arn:aws:kms:${REGION}:${ACCOUNT}:key/*` },
            ],
          },
        },
      })),
    },
  ]);
}

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function call(who: { id: string; secret: string }, action: string, body: unknown): Promise<Record<string, unknown>> {
  const url = new URL(server!.url);
  const text = JSON.stringify(body);
  const headers = signRequest({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${action}` },
    body: text,
    accessKeyId: who.id,
    secretAccessKey: who.secret,
    region: REGION,
    service: 'sqs',
    now: Date.now(),
  });
  const response = await fetch(url, { method: 'POST', headers, body: text });
  const answer = (await response.json()) as Record<string, unknown>;
  if (response.status !== 200) throw new Error(`${action} failed: ${JSON.stringify(answer)}`);
  return answer;
}

async function encryptedQueue(name: string, reusePeriodSeconds: number): Promise<string> {
  const root = { id: testCredentials.accessKeyId, secret: testCredentials.secretAccessKey };
  const kms = server!.sealq.identity.kms;
  const { keyMetadata } = await kms.createKey({ principal: server!.sealq.identity.directory.principalFor(root.id)!, secure: false }, {});
  const { QueueUrl } = (await call(root, 'CreateQueue', {
    QueueName: name,
    Attributes: { KmsMasterKeyId: keyMetadata.arn, KmsDataKeyReusePeriodSeconds: String(reusePeriodSeconds) },
  })) as { QueueUrl: string };
  return QueueUrl;
}

/** One reuse period: producers send at its start, consumers each take one message a second later. */
async function period(clock: ManualClock, queueUrl: string, producers: Principal[], consumers: Principal[]): Promise<void> {
  for (const p of producers) await call(p, 'SendMessage', { QueueUrl: queueUrl, MessageBody: `from ${p.name}` });
  clock.advance(1000);
  for (const c of consumers) {
    const { Messages } = (await call(c, 'ReceiveMessage', { QueueUrl: queueUrl, MaxNumberOfMessages: 1, VisibilityTimeout: 43_200 })) as {
      Messages?: Array<{ ReceiptHandle: string; Body: string }>;
    };
    expect(Messages?.length).toBe(1);
    await call(c, 'DeleteMessage', { QueueUrl: queueUrl, ReceiptHandle: Messages![0].ReceiptHandle });
  }
}

describe('KMS requests over a billing period match the seed formula', () => {
  it('Example 1: January with D = 300 s, one producer and one consumer → 26,784 KMS requests', { timeout: 240_000 }, async () => {
    const producer = principal('producer');
    const consumer = principal('consumer');
    const clock = new ManualClock(Date.UTC(2027, 0, 1));
    server = await startTestServer({ accounts: bootstrap([producer, consumer]) }, { clock });
    const queueUrl = await encryptedQueue('january', 300);
    const metered: string[] = [];
    const kms = server.sealq.identity.kms;
    const previous = kms.onCall;
    kms.onCall = (record) => {
      previous(record);
      if (record.invokedBy === 'sqs.amazonaws.com') metered.push(record.operation);
    };
    const start = clock.now();
    const billingPeriodSeconds = 2_678_400;
    for (let t = 0; t < billingPeriodSeconds; t += 300) {
      clock.set(start + t * 1000);
      await period(clock, queueUrl, [producer], [consumer]);
    }
    expect(metered.length).toBe(26_784);
    expect(metered.filter((op) => op === 'GenerateDataKey').length).toBe(8_928);
  });

  it('Example 2: February with D = 24 h, queues of 3P+1C and 5P+2C → 532 KMS requests', async () => {
    const producers1 = ['p1a', 'p1b', 'p1c'].map(principal);
    const consumers1 = ['c1a'].map(principal);
    const producers2 = ['p2a', 'p2b', 'p2c', 'p2d', 'p2e'].map(principal);
    const consumers2 = ['c2a', 'c2b'].map(principal);
    const clock = new ManualClock(Date.UTC(2027, 1, 1));
    server = await startTestServer({ accounts: bootstrap([...producers1, ...consumers1, ...producers2, ...consumers2]) }, { clock });
    const q1 = await encryptedQueue('february-1', 86_400);
    const q2 = await encryptedQueue('february-2', 86_400);
    let metered = 0;
    const kms = server.sealq.identity.kms;
    const previous = kms.onCall;
    kms.onCall = (record) => {
      previous(record);
      if (record.invokedBy === 'sqs.amazonaws.com') metered++;
    };
    const start = clock.now();
    for (let day = 0; day < 28; day++) {
      clock.set(start + day * 86_400_000);
      await period(clock, q1, producers1, consumers1);
      clock.set(start + day * 86_400_000);
      await period(clock, q2, producers2, consumers2);
    }
    expect(metered).toBe(532);
  });
});
