/**
 * How often SQS calls KMS, counted through the KMS service's call hook: per reuse period D a
 * producing principal costs GenerateDataKey + Decrypt and a consuming principal one Decrypt per data
 * key, so with 1 producer and 1 consumer R = B / D × (2P + C). Principals never share data keys;
 * sessions of one role that differ only in RoleSessionName are one requester (they share the
 * cache), while a session policy makes a distinct one. SSE-SQS never calls KMS. Time is a ManualClock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/shared/clock.js';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { protocols, startTestServer, uniqueName, type TestServer } from '../../support/sealq.js';
import { assumeRole, assumerSts, Iam, iamAs, sqsAs, trust } from '../identity/helpers.js';
import {
  REUSE_SECONDS,
  ROOT_ARN,
  drain,
  grantPolicy,
  kmsAttributes,
  meterKms,
  newKey,
  seedConsumerPolicy,
  seedProducerPolicy,
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

const D = REUSE_SECONDS * 1000;
/** The seed's formula. */
const formula = (billingSeconds: number, reuseSeconds: number, producers: number, consumers: number) =>
  (billingSeconds / reuseSeconds) * (2 * producers + consumers);
const tally = (calls: string[]) => {
  const out: Record<string, number> = {};
  for (const c of calls) out[c] = (out[c] ?? 0) + 1;
  return out;
};

describe.each(protocols)('KMS calls made through SQS, over $name', ({ sdk }) => {
  /** In each of `periods` reuse periods: every producer sends 3 messages (one as a batch of 2) over the period, the consumer receives them all. */
  async function drive(url: string, producers: SQSClient[], consumer: SQSClient, periods: number) {
    let received = 0;
    for (let period = 0; period < periods; period++) {
      for (const step of [0, 20_000, 40_000]) {
        for (const [i, producer] of producers.entries()) {
          if (step === 20_000) {
            await producer.send(
              new sdk.SendMessageBatchCommand({
                QueueUrl: url,
                Entries: [
                  { Id: 'a', MessageBody: `p${i}-${period}-a` },
                  { Id: 'b', MessageBody: `p${i}-${period}-b` },
                ],
              }),
            );
          } else await sendBody(sdk, producer, url, `p${i}-${period}-${step}`);
        }
        received += (await drain(sdk, server, consumer, url)).length;
        clock.advance(20_000);
      }
    }
    return received;
  }

  it('1 producer and 1 consumer, D = 60 s, 5 periods: exactly B / D × (2P + C) = 15 calls', async () => {
    const key = await newKey(server);
    const q = await sseQueue(server, sdk, kmsAttributes(key.arn));
    const producer = await userWith(server, sdk, seedProducerPolicy(key.arn, q.name), 'producer');
    const consumer = await userWith(server, sdk, seedConsumerPolicy(key.arn, q.name), 'consumer');
    meter.reset();
    expect(await drive(q.url, [producer.sqs], consumer.sqs, 5)).toBe(5 * 4);
    const calls = meter.viaSqs(key.arn);
    expect(calls).toHaveLength(formula(5 * REUSE_SECONDS, REUSE_SECONDS, 1, 1));
    expect(calls).toHaveLength(15);
    expect(tally(calls)).toEqual({
      [`GenerateDataKey ${producer.arn}`]: 5,
      [`Decrypt ${producer.arn}`]: 5,
      [`Decrypt ${consumer.arn}`]: 5,
    });
    // Each period opens with the producer's pair, then the consumer's Decrypt of the new data key.
    expect(calls.slice(0, 3)).toEqual([`GenerateDataKey ${producer.arn}`, `Decrypt ${producer.arn}`, `Decrypt ${consumer.arn}`]);
    // Every call carries the queue's encryption context and SQS as the calling service.
    for (const r of meter.records) {
      expect(r).toMatchObject({ invokedBy: 'sqs.amazonaws.com', encryptionContext: { 'aws:sqs:arn': q.arn }, keyArn: key.arn });
      expect(r.errorCode).toBeUndefined();
    }
  });

  it('two producers get separate data keys: twice the producer calls, and a Decrypt per data key for the consumer', async () => {
    const key = await newKey(server);
    const q = await sseQueue(server, sdk, kmsAttributes(key.arn));
    const one = await userWith(server, sdk, seedProducerPolicy(key.arn, q.name), 'producer');
    const two = await userWith(server, sdk, seedProducerPolicy(key.arn, q.name), 'producer');
    const consumer = await userWith(server, sdk, seedConsumerPolicy(key.arn, q.name), 'consumer');
    meter.reset();
    expect(await drive(q.url, [one.sqs, two.sqs], consumer.sqs, 3)).toBe(3 * 8);
    const calls = tally(meter.viaSqs(key.arn));
    expect(calls).toEqual({
      [`GenerateDataKey ${one.arn}`]: 3,
      [`Decrypt ${one.arn}`]: 3,
      [`GenerateDataKey ${two.arn}`]: 3,
      [`Decrypt ${two.arn}`]: 3,
      // The producers' data keys differ, so the consumer decrypts each (the formula's C = 1 would say 3).
      [`Decrypt ${consumer.arn}`]: 6,
    });
  });

  it('sessions of one role differing only in RoleSessionName share data keys; a session policy makes another requester', async () => {
    const key = await newKey(server);
    const q = await sseQueue(server, sdk, kmsAttributes(key.arn));
    const roleName = uniqueName('sse-role');
    const { Role } = await iamAs(server.url).send(new Iam.CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: trust(ROOT_ARN) }));
    await iamAs(server.url).send(
      new Iam.PutRolePolicyCommand({
        RoleName: roleName,
        PolicyName: 'sse',
        PolicyDocument: grantPolicy(['kms:GenerateDataKey', 'kms:Decrypt'], [key.arn], ['sqs:SendMessage', 'sqs:ReceiveMessage'], q.arn),
      }),
    );
    const sts = await assumerSts(server.url);
    const a = await assumeRole(sts, Role!.Arn!, 'session-a');
    const b = await assumeRole(sts, Role!.Arn!, 'session-b');
    const scoped = await assumeRole(sts, Role!.Arn!, 'session-c', { Policy: grantPolicy(['kms:*'], ['*'], ['sqs:*'], '*') });
    const [sqsA, sqsB, sqsC] = [a, b, scoped].map((c) => sqsAs(sdk, server.url, c));
    meter.reset();

    await sendBody(sdk, sqsA, q.url, 'from-a');
    await sendBody(sdk, sqsB, q.url, 'from-b');
    expect(await drain(sdk, server, sqsB, q.url)).toEqual(['from-a', 'from-b']);
    await sendBody(sdk, sqsB, q.url, 'again-b');
    expect(await drain(sdk, server, sqsA, q.url)).toEqual(['again-b']);
    // One requester: one GenerateDataKey + Decrypt for both producers, one Decrypt for both consumers.
    expect(meter.viaSqs(key.arn)).toEqual([`GenerateDataKey ${a.arn}`, `Decrypt ${a.arn}`, `Decrypt ${b.arn}`]);

    meter.reset();
    await sendBody(sdk, sqsC, q.url, 'from-c');
    expect(await drain(sdk, server, sqsC, q.url)).toEqual(['from-c']);
    expect(meter.viaSqs(key.arn)).toEqual([`GenerateDataKey ${scoped.arn}`, `Decrypt ${scoped.arn}`, `Decrypt ${scoped.arn}`]);
  });

  it('the reuse period is per queue: two queues on one key cost a set of calls each', async () => {
    const key = await newKey(server);
    const q1 = await sseQueue(server, sdk, kmsAttributes(key.arn));
    const q2 = await sseQueue(server, sdk, kmsAttributes(key.arn, 120));
    const producer = await userWith(server, sdk, grantPolicy(['kms:GenerateDataKey', 'kms:Decrypt'], [key.arn], ['sqs:SendMessage'], '*'));
    meter.reset();
    await sendBody(sdk, producer.sqs, q1.url, 'x');
    await sendBody(sdk, producer.sqs, q2.url, 'y');
    expect(meter.viaSqs(key.arn)).toHaveLength(4);
    clock.advance(D);
    meter.reset();
    // q1's data key (D = 60 s) has expired, q2's (D = 120 s) has not.
    await sendBody(sdk, producer.sqs, q1.url, 'x');
    await sendBody(sdk, producer.sqs, q2.url, 'y');
    expect(meter.records.map((r) => [r.operation, r.encryptionContext!['aws:sqs:arn']])).toEqual([
      ['GenerateDataKey', q1.arn],
      ['Decrypt', q1.arn],
    ]);
  });

  it('SSE-SQS (the default) needs no KMS permission and makes no KMS call', async () => {
    const q = await sseQueue(server, sdk, {});
    const user = await userWith(server, sdk, grantPolicy([], [], ['sqs:SendMessage', 'sqs:ReceiveMessage'], q.arn));
    meter.reset();
    await sendBody(sdk, user.sqs, q.url, 'owned');
    expect(await drain(sdk, server, user.sqs, q.url)).toEqual(['owned']);
    clock.advance(10 * D);
    await sendBody(sdk, user.sqs, q.url, 'owned-later');
    expect(await drain(sdk, server, user.sqs, q.url)).toEqual(['owned-later']);
    expect(meter.records).toEqual([]);
    const { Attributes } = await sqsAs(sdk, server.url).send(new sdk.GetQueueAttributesCommand({ QueueUrl: q.url, AttributeNames: ['All'] }));
    expect(Attributes).toMatchObject({ SqsManagedSseEnabled: 'true' });
    expect(Attributes!.KmsMasterKeyId).toBeUndefined();
  });
});
