/**
 * The operator console in a real browser: Debian's Chromium (/usr/bin/chromium, installed by
 * .ci/run; never a downloaded browser) driven by playwright-core against a sealq server serving
 * the built console. Everything the console shows comes through signed API calls as the
 * signed-in principal.
 */
import * as Kms from '@aws-sdk/client-kms';
import * as Sqs from '@aws-sdk/client-sqs';
import type { Browser, Page } from 'playwright-core';
import { launchConsoleBrowser, submitSignIn, withPage as withBrowserPage } from './browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, testCredentials, uniqueName, type TestServer } from '../support/sealq.js';
import { createUserWithKey, iamAs, type Credentials } from '../e2e/identity/helpers.js';

const ROOT_ARN = 'arn:aws:iam::000000000000:root';

let server: TestServer;
let browser: Browser;
let keyArn: string;
let queueName: string;
let reader: { credentials: Credentials; arn: string };

beforeAll(async () => {
  server = await startTestServer();
  browser = await launchConsoleBrowser();
  const kms = new Kms.KMSClient({ endpoint: server.url, region: 'us-east-1', credentials: testCredentials, maxAttempts: 1 });
  const { KeyMetadata } = await kms.send(new Kms.CreateKeyCommand({ Description: 'console test key' }));
  keyArn = KeyMetadata!.Arn!;
  queueName = uniqueName('console');
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const signIn = (page: Page, credentials: Credentials) => submitSignIn(page, server.url, credentials);
const withPage = (run: (page: Page) => Promise<void>) => withBrowserPage(browser, run);

describe('the operator console in Chromium', () => {
  it('refuses a wrong secret with the server’s SignatureDoesNotMatch, and signs the root in', async () => {
    await withPage(async (page) => {
      await signIn(page, { accessKeyId: testCredentials.accessKeyId, secretAccessKey: 'not-the-secret' });
      await expect.poll(() => page.textContent('[role=alert]')).toContain('SignatureDoesNotMatch');
      await page.fill('input[name=secretAccessKey]', testCredentials.secretAccessKey);
      await page.click('form[data-testid=sign-in] button[type=submit]');
      await page.waitForSelector('[data-testid=caller-arn]');
      expect(await page.textContent('[data-testid=caller-arn]')).toBe(ROOT_ARN);
      // The keys stay in this tab's sessionStorage, never in localStorage or cookies.
      expect(await page.evaluate(() => localStorage.length)).toBe(0);
      expect(await page.evaluate(() => document.cookie)).toBe('');
    });
  });

  it('creates an SSE-KMS queue, shows a validation error as returned, sends a message and shows its decrypted body', async () => {
    await withPage(async (page) => {
      await signIn(page, testCredentials);
      await page.waitForSelector('form[data-testid=create-queue]');
      // A server-side validation message, shown as the server words it.
      await page.fill('form[data-testid=create-queue] input[name=name]', `${queueName}-bad`);
      await page.fill('form[data-testid=create-queue] input[name=visibility]', '99999');
      await page.click('form[data-testid=create-queue] button[type=submit]');
      await expect.poll(() => page.textContent('[data-testid=queues-status]')).toContain('InvalidAttributeValue');

      await page.fill('form[data-testid=create-queue] input[name=name]', queueName);
      await page.fill('form[data-testid=create-queue] input[name=visibility]', '45');
      await page.selectOption('form[data-testid=create-queue] select[name=sse]', 'kms');
      await page.fill('form[data-testid=create-queue] input[name=kmsKey]', keyArn);
      await page.click('form[data-testid=create-queue] button[type=submit]');
      await page.waitForSelector('[data-testid=queue-sse]');
      expect(await page.textContent('[data-testid=queue-sse]')).toBe(`SSE-KMS ${keyArn}`);

      await page.fill('form[data-testid=send-message] textarea[name=body]', 'a secret order');
      await page.fill('form[data-testid=send-message] textarea[name=attributes]', 'colour=blue\nweight:Number=42\nraw:Binary=AAEC');
      await page.click('form[data-testid=send-message] button[type=submit]');
      await page.waitForSelector('[data-testid=messages] [data-testid=body]');
      expect(await page.textContent('[data-testid=messages] [data-testid=body]')).toBe('a secret order');
      expect(await page.textContent('[data-testid=messages]')).toContain('colour (String) = blue');
      expect(await page.textContent('[data-testid=messages]')).toContain('weight (Number) = 42');
      expect(await page.textContent('[data-testid=messages]')).toContain('raw (Binary) = AAEC');
      expect(await page.textContent('[data-testid=messages]')).toContain(`decrypted with ${keyArn}`);

      // Editing an attribute: the server's validation message, then a dead-letter queue.
      await page.selectOption('form[data-testid=edit-queue] select[name=attribute]', 'VisibilityTimeout');
      await page.fill('form[data-testid=edit-queue] input[name=value]', '99999');
      await page.click('form[data-testid=edit-queue] button[type=submit]');
      await expect.poll(() => page.textContent('[data-testid=queue-status]')).toContain('InvalidAttributeValue');
      const sqs = new Sqs.SQSClient({ endpoint: server.url, region: 'us-east-1', credentials: testCredentials, maxAttempts: 1 });
      await sqs.send(new Sqs.CreateQueueCommand({ QueueName: `${queueName}-dlq` }));
      await page.selectOption('form[data-testid=edit-queue] select[name=attribute]', 'RedrivePolicy');
      await page.fill(
        'form[data-testid=edit-queue] input[name=value]',
        JSON.stringify({ deadLetterTargetArn: `arn:aws:sqs:us-east-1:000000000000:${queueName}-dlq`, maxReceiveCount: 5 }),
      );
      await page.click('form[data-testid=edit-queue] button[type=submit]');
      await expect.poll(() => page.textContent('[data-testid=queue-status]')).toBe('RedrivePolicy saved.');

      // The queues list shows its depth, encryption and DLQ; browsing did not make the message in flight.
      await page.click('a[href="#/queues"]');
      const row = page.locator(`tr[data-queue="${queueName}"]`);
      await row.waitFor();
      expect(await row.locator('td').nth(1).textContent()).toBe('1');
      expect(await row.locator('td').nth(2).textContent()).toBe('0');
      expect(await row.locator('td').nth(4).textContent()).toBe(`SSE-KMS ${keyArn}`);
      expect(await row.locator('td').nth(5).textContent()).toBe(`${queueName}-dlq after 5 receives`);
      expect(await row.locator('td').nth(5).locator('a').getAttribute('href')).toBe(`#/queue/000000000000/${queueName}-dlq`);
      expect(await row.locator('[data-testid=oldest]').textContent()).toMatch(/^\d+ s$/);
    });
  });

  it('creates a FIFO queue and sends with a message group and deduplication id', async () => {
    const name = `${uniqueName('fifo')}.fifo`;
    await withPage(async (page) => {
      await signIn(page, testCredentials);
      await page.waitForSelector('form[data-testid=create-queue]');
      await page.fill('form[data-testid=create-queue] input[name=name]', name);
      await page.check('form[data-testid=create-queue] input[name=fifo]');
      await page.click('form[data-testid=create-queue] button[type=submit]');
      await page.waitForSelector('form[data-testid=send-message] input[name=groupId]');
      expect(await page.textContent('[data-testid=queue-sse]')).toBe('SSE-SQS');
      await page.fill('form[data-testid=send-message] textarea[name=body]', 'first in line');
      await page.fill('form[data-testid=send-message] input[name=groupId]', 'orders-42');
      await page.fill('form[data-testid=send-message] input[name=dedupId]', 'dedup-1');
      await page.click('form[data-testid=send-message] button[type=submit]');
      await page.waitForSelector('[data-testid=messages] [data-testid=body]');
      expect(await page.textContent('[data-testid=messages] [data-testid=body]')).toBe('first in line');
      expect(await page.textContent('[data-testid=messages]')).toContain('group orders-42');
      expect(await page.textContent('[data-testid=messages]')).toContain('decrypted (SSE-SQS)');
    });
  });

  it('purges and deletes a queue from the list', async () => {
    const name = uniqueName('doomed');
    const sqs = new Sqs.SQSClient({ endpoint: server.url, region: 'us-east-1', credentials: testCredentials, maxAttempts: 1 });
    const { QueueUrl } = await sqs.send(new Sqs.CreateQueueCommand({ QueueName: name }));
    await sqs.send(new Sqs.SendMessageCommand({ QueueUrl, MessageBody: 'to be purged' }));
    await withPage(async (page) => {
      await signIn(page, testCredentials);
      const row = page.locator(`tr[data-queue="${name}"]`);
      await row.waitFor();
      expect(await row.locator('td').nth(1).textContent()).toBe('1');
      await row.locator('button', { hasText: 'Purge' }).click();
      await expect.poll(() => page.textContent('[data-testid=queues-status]')).toBe(`Purged ${name}.`);
      await expect.poll(() => row.locator('td').nth(1).textContent()).toBe('0');
      await row.locator('button', { hasText: 'Delete' }).click();
      await expect.poll(() => page.textContent('[data-testid=queues-status]')).toBe(`Deleted ${name}.`);
      await expect.poll(() => row.count()).toBe(0);
    });
  });

  it('tells a principal without kms:Decrypt which key and permission it lacks', async () => {
    reader = await createUserWithKey(
      iamAs(server.url),
      uniqueName('reader'),
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: ['sqs:ListQueues', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage', 'sqs:SendMessage', 'sqs:DeleteQueue'], Resource: '*' },
          { Sid: 'NoDeletes', Effect: 'Deny', Action: 'sqs:DeleteQueue', Resource: '*' },
        ],
      }),
    );
    await withPage(async (page) => {
      await signIn(page, reader.credentials);
      await page.waitForSelector('[data-testid=caller-arn]');
      expect(await page.textContent('[data-testid=caller-arn]')).toBe(reader.arn);
      await page.goto(`${server.url}/console/#/queue/000000000000/${queueName}`);
      await page.click('text=Browse messages');
      const refusal = page.locator('[data-testid=refusal]').first();
      await refusal.waitFor();
      const text = await refusal.textContent();
      expect(text).toContain(`You need kms:Decrypt on ${keyArn} to read this message`);
      expect(text).toContain(reader.arn);
      expect(await page.locator('[data-testid=messages] [data-testid=body]').count()).toBe(0);
    });
  });

  it('runs the permissions simulator on a denial and highlights the reason', async () => {
    await withPage(async (page) => {
      await signIn(page, testCredentials);
      await page.waitForSelector('[data-testid=caller-arn]');
      await page.click('a[href="#/simulator"]');
      await page.fill('form[data-testid=simulator] input[name=principal]', reader.arn);
      // No statement allows kms:Decrypt: an implicit denial.
      await page.fill('form[data-testid=simulator] input[name=action]', 'kms:Decrypt');
      await page.fill('form[data-testid=simulator] input[name=resource]', keyArn);
      await page.fill('form[data-testid=simulator] textarea[name=context]', 'kms:ViaService=sqs.us-east-1.amazonaws.com');
      await page.click('form[data-testid=simulator] button[type=submit]');
      await page.waitForSelector('[data-testid=decision]');
      expect(await page.textContent('[data-testid=decision]')).toBe('Deny (ImplicitDeny)');
      expect((await page.locator('[data-testid=explanation] li.deciding').allTextContents())[0]).toBe(
        `Denied: no statement allows kms:Decrypt on ${keyArn} for ${reader.arn}.`,
      );

      // An explicit Deny: the statement that decided is named and highlighted.
      await page.fill('form[data-testid=simulator] input[name=action]', 'sqs:DeleteQueue');
      await page.fill('form[data-testid=simulator] input[name=resource]', `arn:aws:sqs:us-east-1:000000000000:${queueName}`);
      await page.fill('form[data-testid=simulator] textarea[name=context]', '');
      await page.click('form[data-testid=simulator] button[type=submit]');
      await expect.poll(() => page.textContent('[data-testid=decision]')).toBe('Deny (ExplicitDeny)');
      const deciding = (await page.locator('[data-testid=explanation] li.deciding').allTextContents()).join('\n');
      expect(deciding).toMatch(/^Denied explicitly/);
      expect(deciding).toContain('Sid "NoDeletes"');
    });
  });

  it('charts KMS calls over time and shows predicted against metered calls per queue', async () => {
    await withPage(async (page) => {
      await signIn(page, testCredentials);
      await page.waitForSelector('[data-testid=caller-arn]');
      await page.click('a[href="#/usage"]');
      await page.waitForSelector('svg[data-testid=usage-chart]');
      expect(await page.locator('svg[data-testid=usage-chart] circle.point').count()).toBeGreaterThan(0);
      const row = page.locator(`[data-testid=cost-report] tr[data-queue-arn="arn:aws:sqs:us-east-1:000000000000:${queueName}"]`);
      await row.waitFor();
      expect(Number(await row.locator('[data-testid=metered]').textContent())).toBeGreaterThan(0);
      expect(Number((await row.locator('[data-testid=predicted]').textContent())!.replace(/,/g, ''))).toBeGreaterThan(0);
      expect(await page.textContent('[data-testid=monthly-cost]')).toMatch(/at \$0\.03 per 10,000 requests: \$[\d.]+ metered/);
      // The chart by queue names the queue.
      await page.selectOption('form[data-testid=usage-form] select[name=dimension]', 'byQueue');
      await page.click('form[data-testid=usage-form] button[type=submit]');
      await expect.poll(() => page.textContent('[data-testid=usage] .legend')).toContain(queueName);
    });
  });
});
