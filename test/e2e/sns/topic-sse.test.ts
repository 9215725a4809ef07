import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/sealq.js';
import { ACCOUNT, Kms, Sns, clientsFor, errorOf, keyWith, poll, snsQueue, subscribe, topic, type Clients } from './helpers.js';

/**
 * An encrypted topic (KmsMasterKeyId): the publisher itself must be allowed to use the key
 * through SNS (kms:GenerateDataKey* and kms:Decrypt), or Publish fails with SNS's KMS* error.
 */

const publisher = { id: 'AKIASNSPUBLISHER0001', secret: 'publisher-secret' };
const PUBLISHER_ARN = `arn:aws:iam::${ACCOUNT}:user/topic-publisher`;

let server: TestServer;
let root: Clients;

beforeAll(async () => {
  server = await startTestServer({
    accounts: JSON.stringify([
      {
        id: ACCOUNT,
        users: [
          {
            name: 'topic-publisher',
            accessKeys: [publisher],
            policies: { publish: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sns:Publish', Resource: '*' }] } },
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

const publisherSns = () =>
  new Sns.SNSClient({
    endpoint: server.url,
    region: 'us-east-1',
    credentials: { accessKeyId: publisher.id, secretAccessKey: publisher.secret },
    maxAttempts: 1,
  });

/** A key whose policy lets the account's IAM policies decide (the default key policy's first statement). */
async function accountKey(): Promise<string> {
  const { KeyMetadata } = await root.kms.send(new Kms.CreateKeyCommand({}));
  return KeyMetadata!.Arn!;
}

describe('SNS topics with server-side encryption', () => {
  it('refuses a publisher without kms:GenerateDataKey and kms:Decrypt on the topic key (KMSAccessDenied), and publishes once it has them', async () => {
    const keyArn = await accountKey();
    const topicArn = await topic(root, 'enc', { KmsMasterKeyId: keyArn });
    const queue = await snsQueue(root, { SqsManagedSseEnabled: 'true' });
    await subscribe(root, topicArn, queue.arn, { RawMessageDelivery: 'true' });

    const refused = await errorOf(publisherSns().send(new Sns.PublishCommand({ TopicArn: topicArn, Message: 'no key access' })));
    expect(refused).toMatchObject({ code: 'KMSAccessDenied', status: 400 });
    expect(refused.message).toContain(PUBLISHER_ARN);
    const batchRefused = await errorOf(
      publisherSns().send(
        new Sns.PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: [{ Id: '1', Message: 'no key access' }] }),
      ),
    );
    expect(batchRefused).toMatchObject({ code: 'KMSAccessDenied', status: 400 });

    await server.sealq.identity.iam.putUserPolicy(
      { principal: server.sealq.identity.directory.principalFor('AKIDEXAMPLE')! },
      {
        userName: 'topic-publisher',
        policyName: 'topic-key',
        policyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: ['kms:GenerateDataKey*', 'kms:Decrypt'], Resource: keyArn }],
        }),
      },
    );
    const since = Date.now();
    await publisherSns().send(new Sns.PublishCommand({ TopicArn: topicArn, Message: 'with key access' }));
    const received = await poll(root, queue.url);
    expect(received.map((m) => m.Body)).toEqual(['with key access']);

    // The key was used as the publisher, through SNS, bound to the topic.
    const calls = server.sealq.identity.kmsAudit.between(since, Date.now() + 1).filter((r) => r.keyArn === keyArn);
    expect(calls.map((r) => r.operation).sort()).toEqual(['Decrypt', 'GenerateDataKey']);
    for (const call of calls) {
      expect(call).toMatchObject({ principal: PUBLISHER_ARN, invokedBy: 'sns.amazonaws.com', encryptionContext: { 'aws:sns:topicArn': topicArn } });
    }
  });

  it('fails with KMSDisabled when the topic key is disabled', async () => {
    const keyArn = await keyWith(root);
    const topicArn = await topic(root, 'enc', { KmsMasterKeyId: keyArn });
    await root.sns.send(new Sns.PublishCommand({ TopicArn: topicArn, Message: 'while enabled' }));
    await root.kms.send(new Kms.DisableKeyCommand({ KeyId: keyArn }));
    expect(await errorOf(root.sns.send(new Sns.PublishCommand({ TopicArn: topicArn, Message: 'disabled' })))).toMatchObject({
      code: 'KMSDisabled',
      status: 400,
    });
  });

  it('fails with KMSNotFound when the topic key does not exist', async () => {
    const topicArn = await topic(root, 'enc', { KmsMasterKeyId: 'alias/no-such-key' });
    expect(await errorOf(root.sns.send(new Sns.PublishCommand({ TopicArn: topicArn, Message: 'nowhere' })))).toMatchObject({
      code: 'KMSNotFound',
      status: 400,
    });
  });

  it('makes alias/aws/sns on first use: an AWS managed key usable only through SNS', async () => {
    const topicArn = await topic(root, 'enc', { KmsMasterKeyId: 'alias/aws/sns' });
    const { Attributes } = await root.sns.send(new Sns.GetTopicAttributesCommand({ TopicArn: topicArn }));
    expect(Attributes?.KmsMasterKeyId).toBe('alias/aws/sns');
    await root.sns.send(new Sns.PublishCommand({ TopicArn: topicArn, Message: 'managed key' }));

    const { KeyMetadata } = await root.kms.send(new Kms.DescribeKeyCommand({ KeyId: 'alias/aws/sns' }));
    expect(KeyMetadata).toMatchObject({ KeyManager: 'AWS', KeyState: 'Enabled' });
    const { Policy } = await root.kms.send(new Kms.GetKeyPolicyCommand({ KeyId: KeyMetadata!.KeyId!, PolicyName: 'default' }));
    expect(JSON.parse(Policy!).Statement[0].Condition.StringEquals['kms:ViaService']).toBe('sns.us-east-1.amazonaws.com');
    // Direct use is refused even to the account root: the key works only through SNS.
    expect(
      await errorOf(root.kms.send(new Kms.GenerateDataKeyCommand({ KeyId: 'alias/aws/sns', KeySpec: 'AES_256' }))),
    ).toMatchObject({ code: 'AccessDeniedException' });
  });
});
