/**
 * The console's second slice in Debian's Chromium (same setup as console.test.ts): the keys page
 * and its key policy editor, redrive from a dead-letter queue, the principals page and the event
 * sources page with its recent delivery failures. Everything
 * goes through signed API calls as the signed-in principal.
 */
import * as Eb from '@aws-sdk/client-eventbridge';
import * as Kms from '@aws-sdk/client-kms';
import * as S3 from '@aws-sdk/client-s3';
import * as Sns from '@aws-sdk/client-sns';
import * as Sqs from '@aws-sdk/client-sqs';
import type { Browser, Page } from 'playwright-core';
import { launchConsoleBrowser, submitSignIn, withPage as withBrowserPage } from './browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, testCredentials, uniqueName, type TestServer } from '../support/sealq.js';
import { createUserWithKey, iamAs, type Credentials } from '../e2e/identity/helpers.js';

const ACCOUNT = '000000000000';

let server: TestServer;
let browser: Browser;
let kms: Kms.KMSClient;
let sqs: Sqs.SQSClient;

beforeAll(async () => {
  server = await startTestServer();
  browser = await launchConsoleBrowser();
  kms = new Kms.KMSClient({ endpoint: server.url, region: 'us-east-1', credentials: testCredentials, maxAttempts: 1 });
  sqs = new Sqs.SQSClient({ endpoint: server.url, region: 'us-east-1', credentials: testCredentials, maxAttempts: 1 });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const signIn = async (page: Page, credentials: Credentials): Promise<void> => {
  await submitSignIn(page, server.url, credentials);
  await page.waitForSelector('[data-testid=caller-arn]');
};
const withPage = (run: (page: Page) => Promise<void>) => withBrowserPage(browser, run);

describe('the operator console’s second slice in Chromium', () => {
  it('lists keys with aliases, validates a key policy edit and saves it, and shows the server’s refusal', async () => {
    const { KeyMetadata } = await kms.send(new Kms.CreateKeyCommand({ Description: 'console keys page' }));
    const keyId = KeyMetadata!.KeyId!;
    const alias = `alias/${uniqueName('console')}`;
    await kms.send(new Kms.CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId }));
    await withPage(async (page) => {
      await signIn(page, testCredentials);
      await page.click('a[href="#/keys"]');
      const row = page.locator(`tr[data-key-id="${keyId}"]`);
      await row.waitFor();
      expect(await row.locator('[data-testid=aliases]').textContent()).toBe(alias);
      expect(await row.locator('[data-testid=state]').textContent()).toBe('Enabled');
      expect(await row.locator('[data-testid=rotation]').textContent()).toBe('off');

      await row.locator('button', { hasText: 'Enable rotation' }).click();
      await expect.poll(() => page.textContent('[data-testid=keys-status]')).toContain('Rotation enabled');
      await expect.poll(() => row.locator('[data-testid=rotation]').textContent()).toBe('on');

      await row.locator('button', { hasText: 'Policy' }).click();
      const editor = page.locator('[data-testid=policy-editor] textarea[name=policy]');
      await editor.waitFor();
      expect(await editor.inputValue()).toContain(`arn:aws:iam::${ACCOUNT}:root`);

      // Invalid JSON: a client-side message, nothing sent.
      await editor.fill('{"Version": "2012-10-17", "Statement": [');
      await page.click('[data-testid=policy-editor] button:has-text("Validate")');
      await expect.poll(() => page.textContent('[data-testid=policy-messages]')).toContain('Not valid JSON');
      // Bad grammar: named per statement.
      await editor.fill(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Permit', Action: 'kms:*' }] }));
      await page.click('[data-testid=policy-editor] button:has-text("Save")');
      await expect.poll(() => page.textContent('[data-testid=policy-messages]')).toContain('Statement 1: Effect must be "Allow" or "Deny".');
      expect(await page.textContent('[data-testid=policy-messages]')).toContain('Statement 1: Resource is missing.');

      // Well formed but locking the caller out: the server's refusal, verbatim.
      const lockout = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:Encrypt', Resource: '*' }] };
      await editor.fill(JSON.stringify(lockout));
      await page.click('[data-testid=policy-editor] button:has-text("Save")');
      await expect.poll(() => page.textContent('[data-testid=policy-messages]')).toContain('MalformedPolicyDocumentException');

      const good = {
        Version: '2012-10-17',
        Statement: [
          { Sid: 'Root', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
          { Sid: 'ConsoleEdit', Effect: 'Deny', Principal: '*', Action: 'kms:Decrypt', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
        ],
      };
      await editor.fill(JSON.stringify(good, null, 2));
      await page.click('[data-testid=policy-editor] button:has-text("Validate")');
      await expect.poll(() => page.textContent('[data-testid=policy-messages]')).toBe('The policy is well formed.');
      await page.click('[data-testid=policy-editor] button:has-text("Save")');
      await expect.poll(() => page.textContent('[data-testid=policy-messages]')).toBe('Key policy saved.');
    });
    const { Policy } = await kms.send(new Kms.GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }));
    expect(JSON.parse(Policy!).Statement.map((s: { Sid: string }) => s.Sid)).toEqual(['Root', 'ConsoleEdit']);
    expect((await kms.send(new Kms.GetKeyRotationStatusCommand({ KeyId: keyId }))).KeyRotationEnabled).toBe(true);
  });

  it('schedules and cancels a key’s deletion', async () => {
    const { KeyMetadata } = await kms.send(new Kms.CreateKeyCommand({ Description: 'console doomed key' }));
    const keyId = KeyMetadata!.KeyId!;
    await withPage(async (page) => {
      await signIn(page, testCredentials);
      await page.click('a[href="#/keys"]');
      const row = page.locator(`tr[data-key-id="${keyId}"]`);
      await row.waitFor();
      await row.locator('button', { hasText: 'Schedule deletion' }).click();
      await expect.poll(() => row.locator('[data-testid=state]').textContent()).toBe('PendingDeletion');
      expect(await row.locator('[data-testid=deletion]').textContent()).toMatch(/^\d{4}-\d\d-\d\dT/);
      await row.locator('button', { hasText: 'Cancel deletion' }).click();
      await expect.poll(() => row.locator('[data-testid=state]').textContent()).toBe('Disabled');
    });
  });

  it('redrives dead-lettered messages back to their source queue and shows the task’s progress', async () => {
    const name = uniqueName('redrive');
    const { QueueUrl: dlq } = await sqs.send(new Sqs.CreateQueueCommand({ QueueName: `${name}-dlq` }));
    const dlqArn = `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}-dlq`;
    const { QueueUrl: source } = await sqs.send(
      new Sqs.CreateQueueCommand({ QueueName: name, Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }) } }),
    );
    await sqs.send(new Sqs.SendMessageBatchCommand({ QueueUrl: source, Entries: [0, 1, 2].map((i) => ({ Id: `m${i}`, MessageBody: `dead-${i}` })) }));
    let received = 0;
    while (received < 3) {
      const { Messages = [] } = await sqs.send(new Sqs.ReceiveMessageCommand({ QueueUrl: source, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
      received += Messages.length;
    }
    // The next receive moves them past maxReceiveCount into the DLQ.
    expect((await sqs.send(new Sqs.ReceiveMessageCommand({ QueueUrl: source, MaxNumberOfMessages: 10 }))).Messages ?? []).toEqual([]);
    const depth = async (url: string) =>
      (await sqs.send(new Sqs.GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }))).Attributes!.ApproximateNumberOfMessages;
    expect(await depth(dlq!)).toBe('3');
    await withPage(async (page) => {
      await signIn(page, testCredentials);
      // A queue that is not a DLQ has no redrive button.
      await page.goto(`${server.url}/console/#/queue/${ACCOUNT}/${name}`);
      await page.waitForSelector('[data-testid=queue-sse]');
      expect(await page.locator('[data-testid=redrive]').count()).toBe(0);
      await page.goto(`${server.url}/console/#/queue/${ACCOUNT}/${name}-dlq`);
      await page.waitForSelector('[data-testid=redrive]');
      expect(await page.textContent('[data-testid=redrive-card]')).toContain(name);
      await page.click('[data-testid=redrive]');
      await expect.poll(() => page.textContent('[data-testid=redrive-status]'), { timeout: 15_000 }).toBe('COMPLETED');
      expect(await page.textContent('[data-testid=redrive-count]')).toBe('3 of 3 moved');
    });
    expect(await depth(source!)).toBe('3');
    expect(await depth(dlq!)).toBe('0');
  });

  it('lists users and roles with their policies and creates an access key showing its secret once', async () => {
    const userName = uniqueName('operator');
    const user = await createUserWithKey(iamAs(server.url), userName, JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:ListQueues', Resource: '*' }] }));
    await withPage(async (page) => {
      await signIn(page, testCredentials);
      await page.click('a[href="#/principals"]');
      const row = page.locator(`tr[data-principal="user/${userName}"]`);
      await row.waitFor();
      expect(await row.textContent()).toContain(user.arn);
      expect(await row.locator('[data-testid=inline]').textContent()).toBe('inline');
      await row.locator('button', { hasText: 'Create access key' }).click();
      await page.waitForSelector('[data-testid=new-key-secret]');
      const keyId = (await page.textContent('[data-testid=new-key-id]'))!;
      const secret = (await page.textContent('[data-testid=new-key-secret]'))!;
      expect(keyId).toMatch(/^AKIA/);
      expect(secret.length).toBeGreaterThanOrEqual(40);
      expect(await page.textContent('[data-testid=new-access-key]')).toContain('not shown again');
      // The new key works, and the secret is not shown after the page is left.
      const asNew = new Sqs.SQSClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: keyId, secretAccessKey: secret }, maxAttempts: 1 });
      await asNew.send(new Sqs.ListQueuesCommand({}));
      await page.click('a[href="#/queues"]');
      await page.click('a[href="#/principals"]');
      await row.waitFor();
      expect(await page.locator('[data-testid=new-key-secret]').count()).toBe(0);
    });
  });

  it('lists topics, subscriptions, rules, buckets with notifications, and a delivery failure with its error code', async () => {
    const common = { endpoint: server.url, region: 'us-east-1', credentials: testCredentials, maxAttempts: 1 };
    const sns = new Sns.SNSClient(common);
    const name = uniqueName('sources');
    const { TopicArn } = await sns.send(new Sns.CreateTopicCommand({ Name: name }));
    // A queue whose policy does not admit sns.amazonaws.com: the delivery is refused with AccessDenied.
    const { QueueUrl } = await sqs.send(new Sqs.CreateQueueCommand({ QueueName: `${name}-closed` }));
    const queueArn = `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}-closed`;
    const { SubscriptionArn } = await sns.send(new Sns.SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: queueArn, ReturnSubscriptionArn: true }));
    await sns.send(new Sns.PublishCommand({ TopicArn, Message: 'refused' }));
    for (let i = 0; i < 100 && !server.sealq.snsCore.deliveries.some((r) => r.subscriptionArn === SubscriptionArn); i++) await new Promise((r) => setTimeout(r, 50));

    const eb = new Eb.EventBridgeClient(common);
    const { RuleArn } = await eb.send(new Eb.PutRuleCommand({ Name: name, EventPattern: JSON.stringify({ source: ['console.test'] }) }));
    await eb.send(new Eb.PutTargetsCommand({ Rule: name, Targets: [{ Id: 'to-queue', Arn: queueArn }] }));

    const s3 = new S3.S3Client({ ...common, forcePathStyle: true });
    const bucket = name.toLowerCase();
    await s3.send(new S3.CreateBucketCommand({ Bucket: bucket }));
    const { QueueUrl: open } = await sqs.send(new Sqs.CreateQueueCommand({ QueueName: `${name}-s3` }));
    const openArn = `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}-s3`;
    await sqs.send(
      new Sqs.SetQueueAttributesCommand({
        QueueUrl: open,
        Attributes: { Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 's3.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: openArn }] }) },
      }),
    );
    await s3.send(
      new S3.PutBucketNotificationConfigurationCommand({
        Bucket: bucket,
        NotificationConfiguration: { QueueConfigurations: [{ Id: 'uploads', QueueArn: openArn, Events: ['s3:ObjectCreated:*'] }] },
      }),
    );
    expect(QueueUrl).toBeTruthy();

    await withPage(async (page) => {
      await signIn(page, testCredentials);
      await page.click('a[href="#/sources"]');
      await page.waitForSelector('[data-testid=delivery-failures]');
      expect(await page.textContent('[data-testid=topics]')).toContain(TopicArn);
      const sub = page.locator('[data-testid=subscriptions] tr', { hasText: SubscriptionArn! });
      expect(await sub.textContent()).toContain(queueArn);
      expect(await page.locator('[data-testid=rules] tr', { hasText: RuleArn! }).textContent()).toContain(`to-queue: ${queueArn}`);
      expect(await page.locator('[data-testid=buckets] tr', { hasText: bucket }).textContent()).toContain(`uploads: s3:ObjectCreated:* → ${openArn}`);
      const failure = page.locator('[data-testid=delivery-failures] tr', { hasText: TopicArn! });
      const cells = await failure.locator('td').allTextContents();
      expect(cells.slice(1)).toEqual(['sns', TopicArn, queueArn, 'failed', 'AccessDenied']);
    });
  });
});
