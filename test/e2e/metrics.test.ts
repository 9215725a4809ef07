import * as Kms from '@aws-sdk/client-kms';
import * as Sqs from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFor, errorOf, startTestServer, testCredentials, uniqueName, type TestServer } from '../support/sealq.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    accounts: JSON.stringify([{ id: '000000000000', users: [{ name: 'nobody', accessKeys: [{ id: 'AKIANOBODY0000000001', secret: 'nobody-secret' }] }] }]),
  });
});
afterAll(async () => {
  await server.stop();
});

/** The value of one sample line, e.g. sample(text, 'sealq_messages_total', { queue: 'q', event: 'sent' }). */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{')) continue;
    const body = line.slice(name.length + 1, line.lastIndexOf('}'));
    const found = Object.fromEntries([...body.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('GET /metrics', () => {
  it('counts requests, messages, queue depth, KMS calls, data-key cache use and denials after a workload', async () => {
    const sqs = clientFor(Sqs as never, server.url);
    const name = uniqueName('metrics');
    const { QueueUrl } = await sqs.send(new Sqs.CreateQueueCommand({ QueueName: name }));
    for (let i = 0; i < 3; i++) await sqs.send(new Sqs.SendMessageCommand({ QueueUrl, MessageBody: `m${i}` }));
    const { Messages } = await sqs.send(new Sqs.ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1 }));
    await sqs.send(new Sqs.DeleteMessageCommand({ QueueUrl, ReceiptHandle: Messages![0].ReceiptHandle }));
    const kms = new Kms.KMSClient({ endpoint: server.url, region: 'us-east-1', credentials: testCredentials });
    const { KeyMetadata } = await kms.send(new Kms.CreateKeyCommand({}));
    await kms.send(new Kms.EncryptCommand({ KeyId: KeyMetadata!.KeyId, Plaintext: Buffer.from('x') }));
    const nobody = new Sqs.SQSClient({
      endpoint: server.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIANOBODY0000000001', secretAccessKey: 'nobody-secret' },
      maxAttempts: 1,
    });
    expect(await errorOf(nobody.send(new Sqs.SendMessageCommand({ QueueUrl, MessageBody: 'no' })))).toMatchObject({ code: 'AccessDenied' });

    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(sample(text, 'sealq_requests_total', { service: 'sqs', action: 'SendMessage', status: '200' })).toBe(3);
    expect(sample(text, 'sealq_requests_total', { service: 'sqs', action: 'SendMessage', status: '403' })).toBe(1);
    expect(sample(text, 'sealq_request_duration_seconds_count', { service: 'sqs', action: 'SendMessage' })).toBe(4);
    expect(sample(text, 'sealq_messages_total', { queue: name, event: 'sent' })).toBe(3);
    expect(sample(text, 'sealq_messages_total', { queue: name, event: 'received' })).toBe(1);
    expect(sample(text, 'sealq_messages_total', { queue: name, event: 'deleted' })).toBe(1);
    expect(sample(text, 'sealq_queue_messages', { queue: name, state: 'visible' })).toBe(2);
    expect(sample(text, 'sealq_kms_requests_total', { operation: 'Encrypt', key: KeyMetadata!.Arn!, outcome: 'ok' })).toBe(1);
    // New queues are SSE-SQS: the first send missed the encryption cache, the next two hit it.
    expect(sample(text, 'sealq_data_key_cache_total', { cache: 'encrypt', result: 'miss' })).toBe(1);
    expect(sample(text, 'sealq_data_key_cache_total', { cache: 'encrypt', result: 'hit' })).toBe(2);
    expect(sample(text, 'sealq_policy_denials_total', { action: 'SendMessage' })).toBe(1);
    // One producer and one consumer of one queue: one data key in each cache.
    expect(sample(text, 'sealq_sse_data_keys_cached', { cache: 'encrypt' })).toBe(1);
    expect(sample(text, 'sealq_sse_data_keys_cached', { cache: 'decrypt' })).toBe(1);
    // Three 2-character bodies were sealed. On SQLite the receive was answered from memory, which
    // uses up that body's entry; on PostgreSQL it read the row back and decrypted it.
    const held = Number(/^sealq_sse_plaintext_chars_held (\S+)$/m.exec(text)?.[1]);
    expect(held).toBe(server.postgres ? 6 : 4);
  });

  it('counts database round trips on PostgreSQL (and has no such counter on SQLite)', async () => {
    const roundTrips = async () => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith('sealq_storage_round_trips_total '));
      return line === undefined ? undefined : Number(line.split(' ')[1]);
    };
    const sqs = clientFor(Sqs as never, server.url);
    const { QueueUrl } = await sqs.send(new Sqs.CreateQueueCommand({ QueueName: uniqueName('rt') }));
    const before = await roundTrips();
    await sqs.send(new Sqs.SendMessageCommand({ QueueUrl, MessageBody: 'counted' }));
    const after = await roundTrips();
    if (!server.postgres) {
      expect(before).toBeUndefined();
      return;
    }
    // A send is one transaction: BEGIN, its statements, COMMIT.
    expect(after! - before!).toBeGreaterThanOrEqual(3);
  });
});

