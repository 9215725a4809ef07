/**
 * KmsMasterKeyId in any of KMS's four forms, echoed as given, and the AWS managed key for SQS,
 * alias/aws/sqs: created on first use, usable through SQS by every principal of the account without
 * any KMS permission of their own (its key policy's kms:ViaService = sqs.<region>.amazonaws.com and
 * kms:CallerAccount conditions hold when SQS calls), but not directly through the KMS API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { protocols, startTestServer, uniqueName, type TestServer } from '../../support/sealq.js';
import { sqsAs } from '../identity/helpers.js';
import {
  ACCOUNT,
  ROOT_ARN,
  drain,
  expectKmsError,
  grantPolicy,
  Kms,
  kmsAs,
  meterKms,
  newKey,
  sendBody,
  sseQueue,
  userWith,
} from './helpers.js';

let server: TestServer;
let meter: ReturnType<typeof meterKms>;
beforeAll(async () => {
  server = await startTestServer();
  meter = meterKms(server);
});
afterAll(async () => {
  meter.restore();
  await server.stop();
});

const MANAGED = 'alias/aws/sqs';
const MANAGED_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:alias/aws/sqs`;

describe.each(protocols)('the AWS managed key alias/aws/sqs over $name', ({ name: protocol, sdk }) => {
  const attributesOf = async (url: string) =>
    (await sqsAs(sdk, server.url).send(new sdk.GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes!;

  it('works for a principal of the account with SQS permissions only; GetQueueAttributes echoes alias/aws/sqs', async () => {
    const q = await sseQueue(server, sdk, { KmsMasterKeyId: MANAGED });
    expect(await attributesOf(q.url)).toMatchObject({
      KmsMasterKeyId: MANAGED,
      KmsDataKeyReusePeriodSeconds: '300',
      SqsManagedSseEnabled: 'false',
    });
    const user = await userWith(server, sdk, grantPolicy([], [], ['sqs:SendMessage', 'sqs:ReceiveMessage'], q.arn));
    meter.reset();
    await sendBody(sdk, user.sqs, q.url, `managed-${protocol}`);
    expect(await drain(sdk, server, user.sqs, q.url)).toEqual([`managed-${protocol}`]);

    // The calls went to the managed key, as the user, through SQS.
    const { KeyMetadata } = await kmsAs(server.url).send(new Kms.DescribeKeyCommand({ KeyId: MANAGED }));
    expect(KeyMetadata).toMatchObject({ KeyManager: 'AWS', KeyState: 'Enabled' });
    expect(meter.viaSqs(KeyMetadata!.Arn!)).toEqual([`GenerateDataKey ${user.arn}`, `Decrypt ${user.arn}`, `Decrypt ${user.arn}`]);
  });

  it('accepts the alias ARN too, echoing it as given; both name the one managed key of the account and region', async () => {
    const byName = await sseQueue(server, sdk, { KmsMasterKeyId: MANAGED });
    const byArn = await sseQueue(server, sdk, { KmsMasterKeyId: MANAGED_ARN });
    expect((await attributesOf(byArn.url)).KmsMasterKeyId).toBe(MANAGED_ARN);
    meter.reset();
    await sendBody(sdk, sqsAs(sdk, server.url), byName.url, 'by-name');
    await sendBody(sdk, sqsAs(sdk, server.url), byArn.url, 'by-arn');
    const keys = new Set(meter.records.map((r) => r.keyArn));
    expect(keys.size).toBe(1);
    expect(await drain(sdk, server, sqsAs(sdk, server.url), byArn.url)).toEqual(['by-arn']);
  });

  it('refuses direct use through the KMS API (no kms:ViaService), even to the account root', async () => {
    await sseQueue(server, sdk, { KmsMasterKeyId: MANAGED });
    const user = await userWith(server, sdk, grantPolicy(['kms:*'], ['*'], [], '*'));
    for (const [who, client] of [
      [user.arn, kmsAs(server.url, user.credentials)],
      [ROOT_ARN, kmsAs(server.url)],
    ] as const) {
      const error = await client.send(new Kms.GenerateDataKeyCommand({ KeyId: MANAGED, KeySpec: 'AES_256' })).then(
        () => undefined,
        (e: unknown) => e as Error & { $metadata: { httpStatusCode?: number } },
      );
      expect(error?.name).toBe('AccessDeniedException');
      expect(error?.$metadata.httpStatusCode).toBe(400);
      expect(error?.message).toContain(`User: ${who} is not authorized to perform: kms:GenerateDataKey on resource: arn:aws:kms:us-east-1:${ACCOUNT}:key/`);
    }
  });
});

describe.each(protocols)('KmsMasterKeyId in each of the four forms over $name', ({ sdk }) => {
  it('accepts key id, key ARN, alias name and alias ARN, echoes each as given, and encrypts under the key', async () => {
    const key = await newKey(server);
    const alias = `alias/${uniqueName('sse')}`;
    await kmsAs(server.url).send(new Kms.CreateAliasCommand({ AliasName: alias, TargetKeyId: key.keyId }));
    const forms = [key.keyId, key.arn, alias, `arn:aws:kms:us-east-1:${ACCOUNT}:${alias}`];
    for (const form of forms) {
      const q = await sseQueue(server, sdk, { KmsMasterKeyId: form });
      const { Attributes } = await sqsAs(sdk, server.url).send(
        new sdk.GetQueueAttributesCommand({ QueueUrl: q.url, AttributeNames: ['KmsMasterKeyId'] }),
      );
      expect(Attributes).toEqual({ KmsMasterKeyId: form });
      meter.reset();
      await sendBody(sdk, sqsAs(sdk, server.url), q.url, form);
      expect(meter.records.map((r) => [r.operation, r.keyArn])).toEqual([
        ['GenerateDataKey', key.arn],
        ['Decrypt', key.arn],
      ]);
      expect(await drain(sdk, server, sqsAs(sdk, server.url), q.url)).toEqual([form]);
    }
  });

  it('a key that does not exist fails at send time with KMS.NotFoundException, not at CreateQueue', async () => {
    const missing = `arn:aws:kms:us-east-1:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`;
    const q = await sseQueue(server, sdk, { KmsMasterKeyId: missing });
    const unknownAlias = await sseQueue(server, sdk, { KmsMasterKeyId: 'alias/does-not-exist' });
    await expectKmsError(sendBody(sdk, sqsAs(sdk, server.url), q.url, 'x'), 'KMS.NotFoundException', `Key '${missing}' does not exist`);
    await expectKmsError(
      sendBody(sdk, sqsAs(sdk, server.url), unknownAlias.url, 'x'),
      'KMS.NotFoundException',
      `Alias arn:aws:kms:us-east-1:${ACCOUNT}:alias/does-not-exist is not found.`,
    );
  });
});
