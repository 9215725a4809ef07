import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as EventBridge from '@aws-sdk/client-eventbridge';
import * as Sns from '@aws-sdk/client-sns';
import * as Sqs from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, startSealq, type Sealq } from '../../src/index.js';
import { readConfigFile } from '../../src/config/config.js';
import { testCredentials } from '../support/sealq.js';

const example = join(fileURLToPath(new URL('../..', import.meta.url)), 'docs/examples/encrypted-pipeline.yaml');
const dataDir = mkdtempSync(join(tmpdir(), 'sealq-pipeline-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function start(): Promise<Sealq> {
  return startSealq(
    loadConfig({
      file: readConfigFile(example),
      filePath: example,
      flags: {
        port: '0',
        'data-dir': dataDir,
        'log-level': 'silent',
        'root-access-key-id': testCredentials.accessKeyId,
        'root-secret-access-key': testCredentials.secretAccessKey,
      },
    }),
  );
}

const clients = (url: string) => ({
  sqs: new Sqs.SQSClient({ endpoint: url, region: 'us-east-1', credentials: testCredentials }),
  sns: new Sns.SNSClient({ endpoint: url, region: 'us-east-1', credentials: testCredentials }),
  events: new EventBridge.EventBridgeClient({ endpoint: url, region: 'us-east-1', credentials: testCredentials }),
});

async function receiveBodies(sqs: Sqs.SQSClient, queueUrl: string, count: number): Promise<string[]> {
  const bodies: string[] = [];
  const deadline = Date.now() + 5000;
  while (bodies.length < count && Date.now() < deadline) {
    const { Messages = [] } = await sqs.send(new Sqs.ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }));
    for (const m of Messages) {
      bodies.push(m.Body!);
      await sqs.send(new Sqs.DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
    }
  }
  return bodies;
}

describe('the worked example docs/examples/encrypted-pipeline.yaml', () => {
  it('stands up an encrypted pipeline from one file: SNS and EventBridge deliver into the SSE-KMS queue, encrypted at rest', async () => {
    let sealq = await start();
    let c = clients(sealq.url);
    const { QueueUrl } = await c.sqs.send(new Sqs.GetQueueUrlCommand({ QueueName: 'orders' }));
    const attributes = await c.sqs.send(new Sqs.GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['KmsMasterKeyId'] }));
    expect(attributes.Attributes?.KmsMasterKeyId).toBe('alias/pipeline');

    const canary = `canary-${Date.now()}-pipeline`;
    await c.sns.send(new Sns.PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:order-events', Message: canary }));
    await c.events.send(
      new EventBridge.PutEventsCommand({
        Entries: [
          { Source: 'shop', DetailType: 'order', Detail: JSON.stringify({ total: 250 }) },
          { Source: 'shop', DetailType: 'order', Detail: JSON.stringify({ total: 5 }) },
        ],
      }),
    );
    const bodies = await receiveBodies(c.sqs, QueueUrl!, 2);
    expect(bodies).toContain(canary);
    expect(bodies.filter((b) => b.includes('"total":250'))).toHaveLength(1);
    expect(bodies.some((b) => b.includes('"total":5'))).toBe(false);

    // Delivered messages were encrypted at rest: send another canary and look for it on disk.
    const resting = `resting-${Date.now()}-canary`;
    await c.sns.send(new Sns.PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:order-events', Message: resting }));
    await new Promise((r) => setTimeout(r, 500));
    await sealq.close();
    for (const file of readdirSync(dataDir)) {
      expect(readFileSync(join(dataDir, file)).includes(Buffer.from(resting)), file).toBe(false);
    }

    // Starting again with the same file changes nothing and the pipeline still works.
    sealq = await start();
    c = clients(sealq.url);
    expect(await receiveBodies(c.sqs, QueueUrl!, 1)).toEqual([resting]);
    const { Topics = [] } = await c.sns.send(new Sns.ListTopicsCommand({}));
    expect(Topics.map((t) => t.TopicArn)).toEqual(['arn:aws:sns:us-east-1:000000000000:order-events']);
    const { Subscriptions = [] } = await c.sns.send(new Sns.ListSubscriptionsCommand({}));
    expect(Subscriptions).toHaveLength(1);
    await sealq.close();
  });
});
