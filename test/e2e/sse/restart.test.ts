/**
 * Encrypted messages survive a restart on the same data directory: the sealq-owned SSE-SQS key, a
 * customer key and the alias/aws/sqs managed key (each made lazily, just before the messages were
 * sent) are persisted sealed under the root key, so the bodies decrypt after the server comes back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dropTestSchema, protocols, startTestServer, type TestServer } from '../../support/sealq.js';
import { sqsAs } from '../identity/helpers.js';
import { drain, grantPolicy, Kms, kmsAs, kmsAttributes, newKey, seedConsumerPolicy, sendBody, sseQueue, userWith } from './helpers.js';

const dataDir = mkdtempSync(join(tmpdir(), 'sealq-sse-restart-'));
/** A server on this file's data directory (and, on PostgreSQL, that directory's schema). */
const start = (): Promise<TestServer> => startTestServer({ 'data-dir': dataDir });

afterAll(async () => {
  rmSync(dataDir, { recursive: true, force: true });
  await dropTestSchema(dataDir);
});

describe('encrypted messages across a restart', () => {
  it('decrypts SSE-SQS, SSE-KMS (customer key) and alias/aws/sqs messages sent before the restart', async () => {
    const { sdk } = protocols[0];
    const first = await start();
    const key = await newKey(first);
    const queues = {
      owned: await sseQueue(first, sdk, {}),
      customer: await sseQueue(first, sdk, kmsAttributes(key.arn)),
      managed: await sseQueue(first, sdk, { KmsMasterKeyId: 'alias/aws/sqs' }),
    };
    const consumer = await userWith(first, sdk, seedConsumerPolicy(key.arn, queues.customer.name));
    const managedReader = await userWith(first, sdk, grantPolicy([], [], ['sqs:ReceiveMessage'], queues.managed.arn));
    for (const [mode, q] of Object.entries(queues)) await sendBody(sdk, sqsAs(sdk, first.url), q.url, `before-restart-${mode}`);
    const managedKey = async (url: string) =>
      (await kmsAs(url).send(new Kms.DescribeKeyCommand({ KeyId: 'alias/aws/sqs' }))).KeyMetadata!.Arn;
    const managedBefore = await managedKey(first.url);
    await first.sealq.close();

    const second = await start();
    try {
      const root = sqsAs(sdk, second.url);
      expect(await drain(sdk, second, root, queues.owned.url.replace(first.url, second.url))).toEqual(['before-restart-owned']);
      expect(await drain(sdk, second, sqsAs(sdk, second.url, consumer.credentials), queues.customer.url.replace(first.url, second.url))).toEqual([
        'before-restart-customer',
      ]);
      expect(
        await drain(sdk, second, sqsAs(sdk, second.url, managedReader.credentials), queues.managed.url.replace(first.url, second.url)),
      ).toEqual(['before-restart-managed']);
      // The managed key is the same one, not a second alias/aws/sqs made on first use after the restart.
      expect(await managedKey(second.url)).toBe(managedBefore);
      await sendBody(sdk, root, queues.managed.url.replace(first.url, second.url), 'after-restart');
      expect(await drain(sdk, second, root, queues.managed.url.replace(first.url, second.url))).toEqual(['after-restart']);
    } finally {
      await second.sealq.close();
    }
  });
});
