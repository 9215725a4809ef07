/**
 * Cached data keys hide a revocation until the reuse period ends, as on AWS: after a producer's or
 * consumer's KMS permission is removed, the key is disabled or scheduled for deletion, their
 * cached data key keeps working (no KMS call at all) until KmsDataKeyReusePeriodSeconds have passed
 * since it was fetched; then SendMessage fails and ReceiveMessage fails for the messages whose data
 * key must be decrypted again, with KMS.AccessDeniedException / KMS.DisabledException /
 * KMS.InvalidStateException. Messages are kept. Time is a ManualClock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/shared/clock.js';
import { protocols, startTestServer, type TestServer } from '../../support/sealq.js';
import { Iam, iamAs, sqsAs } from '../identity/helpers.js';
import {
  REUSE_SECONDS,
  drain,
  expectKmsError,
  grantPolicy,
  Kms,
  kmsAs,
  kmsAttributes,
  kmsDenied,
  meterKms,
  newKey,
  sendBody,
  sseQueue,
  userWith,
} from './helpers.js';

const clock = new ManualClock(Date.now());
let server: TestServer;
let meter: ReturnType<typeof meterKms>;
beforeAll(async () => {
  server = await startTestServer({}, { clock });
  meter = meterKms(server);
});
afterAll(async () => {
  meter.restore();
  await server.stop();
});

const PERIOD = REUSE_SECONDS * 1000;

describe.each(protocols)('revocations wait for the cached data key to expire, over $name', ({ name: protocol, sdk }) => {
  /** A queue on a fresh key; a producer and a consumer, each with an `sqs` and a `kms` inline policy. */
  async function setup(extra: Record<string, string> = {}) {
    const key = await newKey(server);
    const q = await sseQueue(server, sdk, { ...kmsAttributes(key.arn), ...extra });
    const iam = iamAs(server.url);
    const make = async (prefix: string, sqsActions: string[], kmsActions: string[]) => {
      const actor = await userWith(server, sdk, grantPolicy([], [], sqsActions, q.arn), prefix);
      await iam.send(
        new Iam.PutUserPolicyCommand({ UserName: actor.name, PolicyName: 'kms', PolicyDocument: grantPolicy(kmsActions, [key.arn], [], q.arn) }),
      );
      return actor;
    };
    const producer = await make('producer', ['sqs:SendMessage'], ['kms:GenerateDataKey', 'kms:Decrypt']);
    const consumer = await make('consumer', ['sqs:ReceiveMessage'], ['kms:Decrypt']);
    const revoke = (name: string) => iam.send(new Iam.DeleteUserPolicyCommand({ UserName: name, PolicyName: 'kms' }));
    const receive = () => drain(sdk, server, consumer.sqs, q.url);
    return { key, q, producer, consumer, revoke, receive };
  }

  it('a removed IAM permission takes effect for producer and consumer only when their cached data keys expire', async () => {
    const { key, q, producer, consumer, revoke, receive } = await setup();
    meter.reset();
    await sendBody(sdk, producer.sqs, q.url, 'm1');
    expect(await receive()).toEqual(['m1']);
    expect(meter.viaSqs(key.arn)).toEqual([
      `GenerateDataKey ${producer.arn}`,
      `Decrypt ${producer.arn}`,
      `Decrypt ${consumer.arn}`,
    ]);

    await revoke(producer.name);
    await revoke(consumer.name);
    meter.reset();
    clock.advance(PERIOD - 1000);
    // Still inside the reuse period: the cached data keys serve, KMS is not asked.
    await sendBody(sdk, producer.sqs, q.url, 'm2');
    expect(await receive()).toEqual(['m2']);
    await sendBody(sdk, producer.sqs, q.url, 'm3');
    expect(meter.viaSqs()).toEqual([]);

    clock.advance(1000);
    await expectKmsError(
      sendBody(sdk, producer.sqs, q.url, 'refused'),
      'KMS.AccessDeniedException',
      `${kmsDenied(producer.arn, 'GenerateDataKey', key.arn)} because no identity-based policy allows the kms:GenerateDataKey action`,
    );
    await expectKmsError(receive(), 'KMS.AccessDeniedException', kmsDenied(consumer.arn, 'Decrypt', key.arn));
    expect(meter.viaSqs(key.arn)).toEqual([
      `GenerateDataKey ${producer.arn} AccessDeniedException`,
      `Decrypt ${consumer.arn} AccessDeniedException`,
    ]);
    // m3 is still there for someone who may decrypt it (the account's root, through the key policy).
    expect(await drain(sdk, server, sqsAs(sdk, server.url), q.url)).toEqual(['m3']);
  });

  it('a disabled key: cached data keys keep working until they expire, then KMS.DisabledException; enabling it again recovers', async () => {
    const { key, q, producer, receive } = await setup();
    await sendBody(sdk, producer.sqs, q.url, `d1-${protocol}`);
    expect(await receive()).toEqual([`d1-${protocol}`]);
    await kmsAs(server.url).send(new Kms.DisableKeyCommand({ KeyId: key.keyId }));

    clock.advance(PERIOD - 1);
    await sendBody(sdk, producer.sqs, q.url, 'd2');
    expect(await receive()).toEqual(['d2']);
    await sendBody(sdk, producer.sqs, q.url, 'd3');

    clock.advance(1);
    const disabled = `${key.arn} is disabled.`;
    expect((await expectKmsError(sendBody(sdk, producer.sqs, q.url, 'refused'), 'KMS.DisabledException')).message).toBe(disabled);
    expect((await expectKmsError(receive(), 'KMS.DisabledException')).message).toBe(disabled);

    await kmsAs(server.url).send(new Kms.EnableKeyCommand({ KeyId: key.keyId }));
    expect(await receive()).toEqual(['d3']);
    await sendBody(sdk, producer.sqs, q.url, 'd4');
    expect(await receive()).toEqual(['d4']);
  });

  it('a key pending deletion: cached data keys keep working until they expire, then KMS.InvalidStateException', async () => {
    const { key, q, producer, receive } = await setup();
    await sendBody(sdk, producer.sqs, q.url, 'p1');
    expect(await receive()).toEqual(['p1']);
    await kmsAs(server.url).send(new Kms.ScheduleKeyDeletionCommand({ KeyId: key.keyId, PendingWindowInDays: 7 }));

    clock.advance(PERIOD / 2);
    await sendBody(sdk, producer.sqs, q.url, 'p2');
    expect(await receive()).toEqual(['p2']);
    await sendBody(sdk, producer.sqs, q.url, 'p3');

    clock.advance(PERIOD / 2);
    const pending = `${key.arn} is pending deletion.`;
    expect((await expectKmsError(sendBody(sdk, producer.sqs, q.url, 'refused'), 'KMS.InvalidStateException')).message).toBe(pending);
    expect((await expectKmsError(receive(), 'KMS.InvalidStateException')).message).toBe(pending);

    // CancelKeyDeletion leaves the key Disabled; enabled again, the kept message decrypts.
    await kmsAs(server.url).send(new Kms.CancelKeyDeletionCommand({ KeyId: key.keyId }));
    expect((await expectKmsError(receive(), 'KMS.DisabledException')).message).toBe(`${key.arn} is disabled.`);
    await kmsAs(server.url).send(new Kms.EnableKeyCommand({ KeyId: key.keyId }));
    expect(await receive()).toEqual(['p3']);
  });

  it('a deleted key: its messages can no longer be read (KMS.NotFoundException), sends fail the same way', async () => {
    // Kept for 14 days, so the message outlives the 7-day deletion window.
    const { key, q, producer, receive } = await setup({ MessageRetentionPeriod: String(14 * 86_400) });
    await sendBody(sdk, producer.sqs, q.url, 'lost');
    await kmsAs(server.url).send(new Kms.ScheduleKeyDeletionCommand({ KeyId: key.keyId, PendingWindowInDays: 7 }));
    clock.advance(7 * 86_400_000);
    await expectKmsError(receive(), 'KMS.NotFoundException', `Key '${key.arn}' does not exist`);
    await expectKmsError(sendBody(sdk, producer.sqs, q.url, 'refused'), 'KMS.NotFoundException', `Key '${key.arn}' does not exist`);
  });
});
