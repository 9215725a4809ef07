import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as Kms from '@aws-sdk/client-kms';
import * as Sqs from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFor, adminPost, startTestServer, testCredentials, uniqueName, type TestServer } from '../support/sealq.js';

/**
 * The seed's "Configure KMS permissions for AWS services": an event source delivers into an
 * SSE-KMS queue only when the queue policy admits it, the key policy allows its service principal
 * kms:GenerateDataKey and kms:Decrypt, and confused-deputy conditions match.
 */

const ACCOUNT = '000000000000';
const TOPIC_A = `arn:aws:sns:us-east-1:${ACCOUNT}:topic-a`;
const TOPIC_B = `arn:aws:sns:us-east-1:${ACCOUNT}:topic-b`;
const cli = join(fileURLToPath(new URL('../..', import.meta.url)), 'dist/cli/main.js');
const run = promisify(execFile);

let server: TestServer;
let sqs: Sqs.SQSClient;
let kms: Kms.KMSClient;

beforeAll(async () => {
  server = await startTestServer();
  sqs = clientFor(Sqs as never, server.url);
  kms = new Kms.KMSClient({ endpoint: server.url, region: 'us-east-1', credentials: testCredentials });
});
afterAll(async () => {
  await server.stop();
});

const rootStatement = { Sid: 'Admin', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' };

async function keyWith(serviceStatement?: Record<string, unknown>): Promise<string> {
  const statements: Record<string, unknown>[] = [rootStatement];
  if (serviceStatement) statements.push(serviceStatement);
  const { KeyMetadata } = await kms.send(new Kms.CreateKeyCommand({ Policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }) }));
  return KeyMetadata!.Arn!;
}

/** A queue encrypted with `kmsKeyId` whose policy lets sns.amazonaws.com send for topic A. */
async function queueFor(kmsKeyId: string): Promise<{ url: string; arn: string }> {
  const name = uniqueName('deliver');
  const arn = `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}`;
  const policy = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: arn,
        Condition: { ArnEquals: { 'aws:SourceArn': TOPIC_A } },
      },
    ],
  };
  const { QueueUrl } = await sqs.send(
    new Sqs.CreateQueueCommand({ QueueName: name, Attributes: { KmsMasterKeyId: kmsKeyId, Policy: JSON.stringify(policy) } }),
  );
  return { url: QueueUrl!, arn };
}

/** POST /_sealq/deliver, signed as the account root. */
async function deliver(queueUrl: string, body: string, sourceArn = TOPIC_A): Promise<{ status: number; text: string }> {
  return adminPost(server.url, '/_sealq/deliver', { asService: 'sns.amazonaws.com', sourceArn, sourceAccount: ACCOUNT, queueUrl, body });}

const snsStatement = (condition?: Record<string, unknown>) => ({
  Sid: 'AllowSNS',
  Effect: 'Allow',
  Principal: { Service: 'sns.amazonaws.com' },
  Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
  Resource: '*',
  ...(condition ? { Condition: condition } : {}),
});

describe('deliveries by a service principal into encrypted queues', () => {
  it('delivers when the key policy allows the service for its source (and the message is readable)', async () => {
    const key = await keyWith(snsStatement({ ArnEquals: { 'aws:SourceArn': TOPIC_A } }));
    const queue = await queueFor(key);
    const delivered = await deliver(queue.url, 'event for topic A');
    expect(delivered.status).toBe(200);
    expect(JSON.parse(delivered.text)).toHaveProperty('messageId');
    const { Messages } = await sqs.send(new Sqs.ReceiveMessageCommand({ QueueUrl: queue.url, MessageSystemAttributeNames: ['SenderId'] }));
    expect(Messages?.[0].Body).toBe('event for topic A');
    expect(Messages?.[0].Attributes?.SenderId).toBe('sns.amazonaws.com');
  });

  it('refuses with KMS.AccessDeniedException when the key policy has no statement for the service', async () => {
    const queue = await queueFor(await keyWith());
    const refused = await deliver(queue.url, 'never stored');
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('KMS.AccessDeniedException');
    const counts = await sqs.send(new Sqs.GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['ApproximateNumberOfMessages'] }));
    expect(counts.Attributes?.ApproximateNumberOfMessages).toBe('0');
  });

  it('refuses deliveries into a queue encrypted with alias/aws/sqs: its policy admits no service principal', async () => {
    const queue = await queueFor('alias/aws/sqs');
    const refused = await deliver(queue.url, 'never stored');
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('KMS.AccessDeniedException');
  });

  it('protects against the confused deputy: a key policy conditioned on topic A refuses topic B', async () => {
    const key = await keyWith(snsStatement({ ArnEquals: { 'aws:SourceArn': TOPIC_A } }));
    const queue = await queueFor(key);
    // The queue policy admits only topic A as well: open it to both so the key policy decides.
    await sqs.send(
      new Sqs.SetQueueAttributesCommand({
        QueueUrl: queue.url,
        Attributes: {
          Policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: queue.arn }],
          }),
        },
      }),
    );
    const refused = await deliver(queue.url, 'from the wrong topic', TOPIC_B);
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('KMS.AccessDeniedException');
    expect((await deliver(queue.url, 'from the right topic')).status).toBe(200);
  });

  it('refuses with AccessDenied when the queue policy does not admit the service', async () => {
    const key = await keyWith(snsStatement());
    const queue = await queueFor(key);
    const refused = await deliver(queue.url, 'from topic B', TOPIC_B);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('AccessDenied');
  });

  it('works from the command line: sealq deliver --as-service', async () => {
    const key = await keyWith(snsStatement({ StringEquals: { 'aws:SourceAccount': ACCOUNT } }));
    const queue = await queueFor(key);
    const { stdout } = await run(
      process.execPath,
      [cli, 'deliver', '--as-service', 'sns.amazonaws.com', '--source-arn', TOPIC_A, '--source-account', ACCOUNT, '--queue-url', queue.url, '--body', 'from the cli'],
      { env: { ...process.env, AWS_ACCESS_KEY_ID: testCredentials.accessKeyId, AWS_SECRET_ACCESS_KEY: testCredentials.secretAccessKey } },
    );
    expect(JSON.parse(stdout)).toHaveProperty('md5OfMessageBody');
    const { Messages } = await sqs.send(new Sqs.ReceiveMessageCommand({ QueueUrl: queue.url }));
    expect(Messages?.[0].Body).toBe('from the cli');
  });
});
