#!/usr/bin/env node
// Screenshots of the console's main pages for docs/screenshots/, taken from a real server with a
// little seeded state, in Debian's Chromium. Run after `npm run build`:
//
//   node scripts/console-screenshots.mjs
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as Kms from '@aws-sdk/client-kms';
import * as Sqs from '@aws-sdk/client-sqs';
import * as Sns from '@aws-sdk/client-sns';
import { chromium } from 'playwright-core';
import { loadConfig, startSealq } from '../dist/index.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(repo, 'docs', 'screenshots');
const credentials = { accessKeyId: 'AKIASCREENSHOTROOT01', secretAccessKey: 'screenshot-root-secret' };
const dataDir = mkdtempSync(join(tmpdir(), 'sealq-shots-'));

const sealq = await startSealq(
  loadConfig({
    flags: {
      port: '0',
      'data-dir': dataDir,
      'log-level': 'silent',
      'root-access-key-id': credentials.accessKeyId,
      'root-secret-access-key': credentials.secretAccessKey,
    },
  }),
);
const common = { endpoint: sealq.url, region: 'us-east-1', credentials, maxAttempts: 1 };
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
try {
  // A little state worth looking at: an SSE-KMS queue with a dead-letter queue, messages, a topic.
  const kms = new Kms.KMSClient(common);
  const sqs = new Sqs.SQSClient(common);
  const sns = new Sns.SNSClient(common);
  const { KeyMetadata } = await kms.send(new Kms.CreateKeyCommand({ Description: 'orders key' }));
  await kms.send(new Kms.CreateAliasCommand({ AliasName: 'alias/orders', TargetKeyId: KeyMetadata.KeyId }));
  const { QueueUrl: dlqUrl } = await sqs.send(new Sqs.CreateQueueCommand({ QueueName: 'orders-dlq' }));
  const dlqArn = 'arn:aws:sqs:us-east-1:000000000000:orders-dlq';
  const { QueueUrl } = await sqs.send(
    new Sqs.CreateQueueCommand({
      QueueName: 'orders',
      Attributes: {
        KmsMasterKeyId: 'alias/orders',
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 3 }),
      },
    }),
  );
  for (let i = 1; i <= 5; i++) {
    await sqs.send(new Sqs.SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify({ order: i, total: 10 * i }) }));
  }
  await sqs.send(new Sqs.ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 2 }));
  await sqs.send(new Sqs.SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: 'a poison message' }));
  const { TopicArn } = await sns.send(new Sns.CreateTopicCommand({ Name: 'order-events' }));
  await sns.send(new Sns.SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: dlqArn }));
  await sns.send(new Sns.PublishCommand({ TopicArn, Message: 'refused: the queue policy does not admit SNS' }));
  await new Promise((r) => setTimeout(r, 300));

  mkdirSync(out, { recursive: true });
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  await page.goto(`${sealq.url}/console/`);
  await page.screenshot({ path: join(out, 'sign-in.png') });
  await page.fill('input[name=accessKeyId]', credentials.accessKeyId);
  await page.fill('input[name=secretAccessKey]', credentials.secretAccessKey);
  await page.click('form[data-testid=sign-in] button[type=submit]');
  await page.waitForSelector('[data-testid=caller-arn]');

  const shoot = async (route, name, ready) => {
    await page.goto(`${sealq.url}/console/#${route}`);
    if (ready) await ready();
    await page.waitForTimeout(500);
    await page.screenshot({ path: join(out, `${name}.png`), fullPage: true });
    process.stdout.write(`docs/screenshots/${name}.png\n`);
  };
  await shoot('/queues', 'queues');
  await shoot('/queue/000000000000/orders', 'queue', async () => {
    await page.click('text=Browse messages');
    await page.waitForSelector('[data-testid=messages] [data-testid=body]').catch(() => undefined);
  });
  await shoot('/simulator', 'simulator', async () => {
    await page.fill('form[data-testid=simulator] input[name=principal]', 'arn:aws:iam::000000000000:root');
    await page.fill('form[data-testid=simulator] input[name=action]', 'kms:Decrypt');
    await page.fill('form[data-testid=simulator] input[name=resource]', KeyMetadata.Arn);
    await page.click('form[data-testid=simulator] button[type=submit]');
    await page.waitForSelector('[data-testid=decision]');
  });
  for (const [route, name] of [
    ['/keys', 'keys'],
    ['/principals', 'principals'],
    ['/sources', 'event-sources'],
    ['/usage', 'kms-usage'],
  ]) {
    await shoot(route, name);
  }
} finally {
  await browser.close();
  await sealq.close();
  rmSync(dataDir, { recursive: true, force: true });
}
