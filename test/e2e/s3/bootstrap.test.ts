/**
 * The bootstrap file declares a bucket with a notification configuration
 * (docs/examples/s3-notifications.yaml): it is created and validated at start, survives a restart
 * without a second s3:TestEvent, and uploads deliver into the SSE-KMS queue it names.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readConfigFile } from '../../../src/config/config.js';
import { dropTestSchema, startTestServer, type TestServer } from '../../support/sealq.js';
import { S3, Sqs, clientsFor, poll } from './helpers.js';

const example = join(fileURLToPath(new URL('../../..', import.meta.url)), 'docs/examples/s3-notifications.yaml');
const dataDir = mkdtempSync(join(tmpdir(), 'sealq-s3-bootstrap-'));
afterAll(async () => {
  rmSync(dataDir, { recursive: true, force: true });
  await dropTestSchema(dataDir);
});

const start = (): Promise<TestServer> =>
  startTestServer({ 'data-dir': dataDir, accounts: JSON.stringify((readConfigFile(example) as { accounts: unknown }).accounts) });

describe('buckets in the bootstrap file', () => {
  it('declares a bucket whose notifications reach an encrypted queue, validated once', async () => {
    let server = await start();
    let c = clientsFor(server);
    const { QueueUrl } = await c.sqs.send(new Sqs.GetQueueUrlCommand({ QueueName: 'upload-events' }));
    const config = await c.s3.send(new S3.GetBucketNotificationConfigurationCommand({ Bucket: 'uploads' }));
    expect(config.QueueConfigurations?.map((q) => [q.Id, q.Events, q.Filter?.Key?.FilterRules?.map((r) => `${r.Name}=${r.Value}`)])).toEqual([
      ['new-csv', ['s3:ObjectCreated:*'], ['Prefix=incoming/', 'Suffix=.csv']],
      ['removed', ['s3:ObjectRemoved:*'], undefined],
    ]);
    const [test] = await poll(c, QueueUrl!, 1);
    expect(JSON.parse(test.Body!)).toMatchObject({ Event: 's3:TestEvent', Bucket: 'uploads' });

    // A restart changes nothing and sends no new test event.
    await server.stop();
    server = await start();
    c = clientsFor(server);
    await c.s3.send(new S3.PutObjectCommand({ Bucket: 'uploads', Key: 'incoming/2026-12.csv', Body: 'a,b\n1,2\n' }));
    await c.s3.send(new S3.PutObjectCommand({ Bucket: 'uploads', Key: 'incoming/readme.txt', Body: 'not a csv' }));
    await c.s3.send(new S3.DeleteObjectCommand({ Bucket: 'uploads', Key: 'incoming/readme.txt' }));
    const got = await poll(c, QueueUrl!, 2);
    const events = got.map((m) => JSON.parse(m.Body!) as { Records?: Array<{ eventName: string; s3: { configurationId: string; object: { key: string } } }> });
    expect(events.every((e) => e.Records !== undefined)).toBe(true);
    expect(events.map((e) => [e.Records![0].eventName, e.Records![0].s3.configurationId, e.Records![0].s3.object.key]).sort()).toEqual([
      ['ObjectCreated:Put', 'new-csv', 'incoming/2026-12.csv'],
      ['ObjectRemoved:Delete', 'removed', 'incoming/readme.txt'],
    ]);
    expect(await poll(c, QueueUrl!, 0, 500)).toEqual([]);
    await server.stop();
  });
});
