/**
 * KMS permissions of producers and consumers of an SSE-KMS queue, as the seed document gives them:
 * its producer and consumer IAM policies work; each missing KMS permission fails with the exact SQS
 * error (KMS.AccessDeniedException, 400, KMS's message), on SendMessage, SendMessageBatch and
 * ReceiveMessage, without storing or losing a message; and the error's wire shape in both protocols.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { protocols, startTestServer, type TestServer } from '../../support/sealq.js';
import { Iam, iamAs, sqsAs } from '../identity/helpers.js';
import {
  captureRaw,
  expectKmsError,
  grantPolicy,
  Kms,
  kmsAs,
  kmsAttributes,
  kmsDenied,
  newKey,
  receiveBodies,
  seedConsumerPolicy,
  seedProducerPolicy,
  sendBody,
  sseQueue,
  userWith,
} from './helpers.js';

let server: TestServer;
let key: { keyId: string; arn: string };
beforeAll(async () => {
  server = await startTestServer();
  key = await newKey(server);
});
afterAll(async () => {
  await server.stop();
});

const DENIED = 'KMS.AccessDeniedException';

describe.each(protocols)('KMS permissions of producers and consumers over $name', ({ name: protocol, sdk }) => {
  const queue = () => sseQueue(server, sdk, kmsAttributes(key.arn));
  const count = async (url: string) => {
    const { Attributes } = await sqsAs(sdk, server.url).send(
      new sdk.GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return Number(Attributes!.ApproximateNumberOfMessages) + Number(Attributes!.ApproximateNumberOfMessagesNotVisible);
  };

  it("the seed's producer policy sends and its consumer policy receives (key policy delegating to the account)", async () => {
    const q = await queue();
    const producer = await userWith(server, sdk, seedProducerPolicy(key.arn, q.name), 'producer');
    const consumer = await userWith(server, sdk, seedConsumerPolicy(key.arn, q.name), 'consumer');
    await sendBody(sdk, producer.sqs, q.url, `one-${protocol}`);
    await producer.sqs.send(
      new sdk.SendMessageBatchCommand({ QueueUrl: q.url, Entries: [{ Id: 'a', MessageBody: `two-${protocol}` }] }),
    );
    expect((await receiveBodies(sdk, consumer.sqs, q.url)).bodies).toEqual([`one-${protocol}`, `two-${protocol}`]);
  });

  it('a producer without kms:Decrypt gets KMS.AccessDeniedException on SendMessage and SendMessageBatch; nothing is stored', async () => {
    const q = await queue();
    const producer = await userWith(server, sdk, grantPolicy(['kms:GenerateDataKey'], [key.arn], ['sqs:SendMessage'], q.arn));
    const error = await expectKmsError(sendBody(sdk, producer.sqs, q.url, 'never'), DENIED);
    // KMS's own words, passed through: the key policy delegates, so the IAM side lacked the Allow.
    expect(error.message).toBe(`${kmsDenied(producer.arn, 'Decrypt', key.arn)} because no identity-based policy allows the kms:Decrypt action`);
    await expectKmsError(
      producer.sqs.send(new sdk.SendMessageBatchCommand({ QueueUrl: q.url, Entries: [{ Id: 'a', MessageBody: 'never' }] })),
      DENIED,
      kmsDenied(producer.arn, 'Decrypt', key.arn),
    );
    expect(await count(q.url)).toBe(0);
  });

  it('a producer without kms:GenerateDataKey gets KMS.AccessDeniedException on SendMessage and SendMessageBatch', async () => {
    const q = await queue();
    const producer = await userWith(server, sdk, grantPolicy(['kms:Decrypt'], [key.arn], ['sqs:SendMessage'], q.arn));
    await expectKmsError(sendBody(sdk, producer.sqs, q.url, 'never'), DENIED, kmsDenied(producer.arn, 'GenerateDataKey', key.arn));
    await expectKmsError(
      producer.sqs.send(
        new sdk.SendMessageBatchCommand({
          QueueUrl: q.url,
          Entries: [
            { Id: 'a', MessageBody: 'never' },
            { Id: 'b', MessageBody: 'never' },
          ],
        }),
      ),
      DENIED,
      kmsDenied(producer.arn, 'GenerateDataKey', key.arn),
    );
    expect(await count(q.url)).toBe(0);
  });

  it('a producer whose KMS permission names another key is denied', async () => {
    const other = await newKey(server);
    const q = await queue();
    const producer = await userWith(server, sdk, seedProducerPolicy(other.arn, q.name));
    await expectKmsError(sendBody(sdk, producer.sqs, q.url, 'never'), DENIED, kmsDenied(producer.arn, 'GenerateDataKey', key.arn));
  });

  it("a key policy naming users directly (no delegation to the account) overrides the seed's IAM policies", async () => {
    const named = await userWith(server, sdk, undefined, 'named');
    const { KeyMetadata } = await kmsAs(server.url).send(
      new Kms.CreateKeyCommand({
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { AWS: named.arn }, Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: '*' }],
        }),
        BypassPolicyLockoutSafetyCheck: true,
      }),
    );
    const keyArn = KeyMetadata!.Arn!;
    const q = await sseQueue(server, sdk, kmsAttributes(keyArn));
    const producer = await userWith(server, sdk, seedProducerPolicy(keyArn, q.name));
    const error = await expectKmsError(sendBody(sdk, producer.sqs, q.url, 'never'), DENIED);
    expect(error.message).toBe(
      `${kmsDenied(producer.arn, 'GenerateDataKey', keyArn)} because no resource-based policy allows the kms:GenerateDataKey action`,
    );
    // The user the key policy names needs no IAM policy for KMS, only for SQS.
    await iamAs(server.url).send(
      new Iam.PutUserPolicyCommand({ UserName: named.name, PolicyName: 'sqs', PolicyDocument: grantPolicy([], [], ['sqs:SendMessage', 'sqs:ReceiveMessage'], q.arn) }),
    );
    await sendBody(sdk, named.sqs, q.url, 'named');
    expect((await receiveBodies(sdk, named.sqs, q.url)).bodies).toEqual(['named']);
  });

  it('KMS permissions conditioned on kms:ViaService and the aws:sqs:arn encryption context hold through SQS, for that queue only', async () => {
    const q = await queue();
    const other = await queue();
    const condition = { StringEquals: { 'kms:ViaService': 'sqs.us-east-1.amazonaws.com', 'kms:EncryptionContext:aws:sqs:arn': q.arn } };
    const user = await userWith(
      server,
      sdk,
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: key.arn, Condition: condition },
          { Effect: 'Allow', Action: ['sqs:SendMessage', 'sqs:ReceiveMessage'], Resource: [q.arn, other.arn] },
        ],
      }),
    );
    await sendBody(sdk, user.sqs, q.url, 'via-sqs');
    expect((await receiveBodies(sdk, user.sqs, q.url)).bodies).toEqual(['via-sqs']);
    await expectKmsError(sendBody(sdk, user.sqs, other.url, 'x'), DENIED, kmsDenied(user.arn, 'GenerateDataKey', key.arn));
    // The same permission is no use directly: no kms:ViaService.
    const direct = await kmsAs(server.url, user.credentials)
      .send(new Kms.GenerateDataKeyCommand({ KeyId: key.arn, KeySpec: 'AES_256', EncryptionContext: { 'aws:sqs:arn': q.arn } }))
      .then(() => 'allowed', (e: Error) => e.name);
    expect(direct).toBe('AccessDeniedException');
  });

  it('a consumer without kms:Decrypt gets KMS.AccessDeniedException on ReceiveMessage; the message is not lost', async () => {
    const q = await queue();
    const producer = await userWith(server, sdk, seedProducerPolicy(key.arn, q.name));
    await sendBody(sdk, producer.sqs, q.url, `kept-${protocol}`);
    const consumer = await userWith(server, sdk, grantPolicy([], [], ['sqs:ReceiveMessage'], q.arn));
    await expectKmsError(
      consumer.sqs.send(new sdk.ReceiveMessageCommand({ QueueUrl: q.url, VisibilityTimeout: 300 })),
      DENIED,
      kmsDenied(consumer.arn, 'Decrypt', key.arn),
    );
    // A consumer with only kms:GenerateDataKey is no better off.
    const wrong = await userWith(server, sdk, grantPolicy(['kms:GenerateDataKey'], [key.arn], ['sqs:ReceiveMessage'], q.arn));
    await expectKmsError(receiveBodies(sdk, wrong.sqs, q.url), DENIED, kmsDenied(wrong.arn, 'Decrypt', key.arn));
    // Not hidden for the 300 s the refused receive asked for: an allowed consumer gets it at once.
    const allowed = await userWith(server, sdk, seedConsumerPolicy(key.arn, q.name));
    expect((await receiveBodies(sdk, allowed.sqs, q.url)).bodies).toEqual([`kept-${protocol}`]);
  });

  it("one consumer's cached data key does not let another consumer skip KMS", async () => {
    const q = await queue();
    const producer = await userWith(server, sdk, seedProducerPolicy(key.arn, q.name));
    const allowed = await userWith(server, sdk, seedConsumerPolicy(key.arn, q.name));
    const denied = await userWith(server, sdk, grantPolicy([], [], ['sqs:ReceiveMessage'], q.arn));
    await sendBody(sdk, producer.sqs, q.url, 'first');
    expect((await receiveBodies(sdk, allowed.sqs, q.url)).bodies).toEqual(['first']);
    // Same producer, same reuse period: the same data key, which `allowed` has cached.
    await sendBody(sdk, producer.sqs, q.url, 'second');
    await expectKmsError(receiveBodies(sdk, denied.sqs, q.url), DENIED, kmsDenied(denied.arn, 'Decrypt', key.arn));
    // A long poll fails at once too, rather than waiting for a message it could read.
    const started = Date.now();
    await expectKmsError(
      denied.sqs.send(new sdk.ReceiveMessageCommand({ QueueUrl: q.url, WaitTimeSeconds: 10 })),
      DENIED,
      kmsDenied(denied.arn, 'Decrypt', key.arn),
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await receiveBodies(sdk, allowed.sqs, q.url)).bodies).toEqual(['second']);
  });

  it('FIFO: a refused receive neither blocks the message group nor spends the deduplication', async () => {
    const fifo = await sseQueue(server, sdk, { ...kmsAttributes(key.arn), FifoQueue: 'true' });
    const entry = { QueueUrl: fifo.url, MessageGroupId: 'g', MessageDeduplicationId: 'd1' };
    const producer = await userWith(server, sdk, grantPolicy(['kms:GenerateDataKey', 'kms:Decrypt'], [key.arn], ['sqs:SendMessage'], fifo.arn));
    const first = await producer.sqs.send(new sdk.SendMessageCommand({ ...entry, MessageBody: 'only-once' }));
    const again = await producer.sqs.send(new sdk.SendMessageCommand({ ...entry, MessageBody: 'only-once' }));
    expect(again.MessageId).toBe(first.MessageId);
    const denied = await userWith(server, sdk, grantPolicy([], [], ['sqs:ReceiveMessage'], fifo.arn));
    await expectKmsError(receiveBodies(sdk, denied.sqs, fifo.url), DENIED);
    const allowed = await userWith(server, sdk, grantPolicy(['kms:Decrypt'], [key.arn], ['sqs:ReceiveMessage'], fifo.arn));
    const { messages } = await receiveBodies(sdk, allowed.sqs, fifo.url);
    expect(messages.map((m) => [m.MessageId, m.Body])).toEqual([[first.MessageId, 'only-once']]);
  });

  it('an IAM Deny of kms:Decrypt overrides the Allow of the seed policy', async () => {
    const q = await queue();
    await sendBody(sdk, sqsAs(sdk, server.url), q.url, 'denied');
    const consumer = await userWith(server, sdk, seedConsumerPolicy(key.arn, q.name));
    await iamAs(server.url).send(
      new Iam.PutUserPolicyCommand({
        UserName: consumer.name,
        PolicyName: 'deny-decrypt',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'kms:Decrypt', Resource: '*' }] }),
      }),
    );
    const error = await expectKmsError(receiveBodies(sdk, consumer.sqs, q.url), DENIED, kmsDenied(consumer.arn, 'Decrypt', key.arn));
    expect(error.message).toContain('with an explicit deny');
  });
});

describe('the wire shape of a KMS failure', () => {
  const [json, query] = protocols;

  it('AWS JSON: 400, __type com.amazonaws.sqs#KmsAccessDenied, x-amzn-query-error KMS.AccessDeniedException;Sender', async () => {
    const q = await sseQueue(server, json.sdk, kmsAttributes(key.arn));
    const producer = await userWith(server, json.sdk, grantPolicy(['kms:GenerateDataKey'], [key.arn], ['sqs:SendMessage'], q.arn));
    const raw = captureRaw(producer.sqs);
    const error = await sendBody(json.sdk, producer.sqs, q.url, 'x').then(
      () => undefined,
      (e: unknown) => e as Error & { Code?: string; $fault?: string; $metadata: { httpStatusCode?: number } },
    );
    expect(error).toBeInstanceOf(json.sdk.KmsAccessDenied);
    expect(error).toMatchObject({ name: 'KmsAccessDenied', Code: DENIED, $fault: 'client', $metadata: { httpStatusCode: 400 } });
    expect(raw.status).toBe(400);
    expect(raw.headers!['x-amzn-query-error']).toBe(`${DENIED};Sender`);
    const body = JSON.parse(raw.body!) as { __type: string; message: string };
    expect(body.__type).toBe('com.amazonaws.sqs#KmsAccessDenied');
    expect(body.message.startsWith(kmsDenied(producer.arn, 'Decrypt', key.arn)), body.message).toBe(true);
  });

  it('AWS Query: 400, <Type>Sender</Type>, <Code>KMS.AccessDeniedException</Code>', async () => {
    const q = await sseQueue(server, query.sdk, kmsAttributes(key.arn));
    const producer = await userWith(server, query.sdk, grantPolicy(['kms:GenerateDataKey'], [key.arn], ['sqs:SendMessage'], q.arn));
    const raw = captureRaw(producer.sqs);
    const error = await expectKmsError(sendBody(query.sdk, producer.sqs, q.url, 'x'), DENIED);
    expect(error.message.startsWith(kmsDenied(producer.arn, 'Decrypt', key.arn)), error.message).toBe(true);
    expect(raw.status).toBe(400);
    expect(raw.body).toMatch(/<Error><Type>Sender<\/Type><Code>KMS\.AccessDeniedException<\/Code><Message>/);
    expect(raw.body).toContain(`is not authorized to perform: kms:Decrypt on resource: ${key.arn}`);
  });
});
