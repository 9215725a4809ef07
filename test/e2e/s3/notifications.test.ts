/**
 * S3 event notifications into queues, as s3.amazonaws.com with aws:SourceArn = the bucket's ARN
 * and aws:SourceAccount = its owner: the scenario (a configuration refused by the queue's
 * policies fails with AWS's validation error; once they allow S3, uploads deliver ObjectCreated),
 * the event JSON, filters, removals and copies, into an SSE-KMS queue.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, storedContents, type TestServer } from '../../support/sealq.js';
import {
  ACCOUNT, REGION, S3, Sqs, bucket, clientsFor, deliveries, keyPolicy, keyWith, poll, queue, queueConfiguration, s3ErrorOf, s3KeyStatement,
  s3QueuePolicy, Kms, type Clients,
} from './helpers.js';

let server: TestServer;
let c: Clients;

beforeAll(async () => {
  server = await startTestServer();
  c = clientsFor(server);
});
afterAll(async () => {
  await server.stop();
});

interface EventRecord {
  eventVersion: string;
  eventSource: string;
  awsRegion: string;
  eventTime: string;
  eventName: string;
  userIdentity: { principalId: string };
  requestParameters: { sourceIPAddress: string };
  responseElements: Record<string, string>;
  s3: {
    s3SchemaVersion: string;
    configurationId: string;
    bucket: { name: string; ownerIdentity: { principalId: string }; arn: string };
    object: { key: string; size?: number; eTag?: string; sequencer: string };
  };
}

const records = (body: string | undefined): EventRecord[] => (JSON.parse(body!) as { Records: EventRecord[] }).Records;

/** An SSE-KMS queue whose queue policy and key policy both admit S3 for `bucketName`. */
async function encryptedQueueFor(bucketName: string): Promise<{ url: string; arn: string }> {
  const key = await keyWith(c, s3KeyStatement({ ArnLike: { 'aws:SourceArn': `arn:aws:s3:::${bucketName}` }, StringEquals: { 'aws:SourceAccount': ACCOUNT } }));
  const q = await queue(c, { KmsMasterKeyId: key });
  await c.sqs.send(new Sqs.SetQueueAttributesCommand({ QueueUrl: q.url, Attributes: { Policy: s3QueuePolicy(q.arn, `arn:aws:s3:::${bucketName}`) } }));
  return q;
}

describe('scenario: a configuration to a queue whose policies refuse s3.amazonaws.com', () => {
  it('fails with AWS validation error and keeps the old configuration; once both policies allow S3, uploads deliver ObjectCreated', async () => {
    const name = await bucket(c, 'scenario');
    const bucketArn = `arn:aws:s3:::${name}`;
    const { KeyMetadata } = await c.kms.send(new Kms.CreateKeyCommand({ Policy: keyPolicy() }));
    const q = await queue(c, { KmsMasterKeyId: KeyMetadata!.Arn! }, 'refusing');
    const configuration = { QueueConfigurations: [queueConfiguration(q.arn, ['s3:ObjectCreated:*'], {}, 'uploads')] };

    // Neither policy admits S3.
    const refused = await s3ErrorOf(c.s3.send(new S3.PutBucketNotificationConfigurationCommand({ Bucket: name, NotificationConfiguration: configuration })));
    expect(refused).toMatchObject({ code: 'InvalidArgument', status: 400, message: 'Unable to validate the following destination configurations' });
    expect(refused.error.ArgumentName1).toBe(q.arn);
    expect(refused.error.ArgumentValue1).toBe('Permissions on the destination queue do not allow S3 to publish notifications from this bucket');
    expect((await c.s3.send(new S3.GetBucketNotificationConfigurationCommand({ Bucket: name }))).QueueConfigurations ?? []).toEqual([]);

    // The queue policy admits S3, the key policy still does not: still refused.
    await c.sqs.send(new Sqs.SetQueueAttributesCommand({ QueueUrl: q.url, Attributes: { Policy: s3QueuePolicy(q.arn, bucketArn) } }));
    expect(await s3ErrorOf(c.s3.send(new S3.PutBucketNotificationConfigurationCommand({ Bucket: name, NotificationConfiguration: configuration })))).toMatchObject({
      code: 'InvalidArgument',
      message: 'Unable to validate the following destination configurations',
    });

    // Both allow it: the configuration is set and validated with an s3:TestEvent.
    await c.kms.send(
      new Kms.PutKeyPolicyCommand({
        KeyId: KeyMetadata!.KeyId!,
        PolicyName: 'default',
        Policy: keyPolicy(s3KeyStatement({ ArnEquals: { 'aws:SourceArn': bucketArn }, StringEquals: { 'aws:SourceAccount': ACCOUNT } })),
      }),
    );
    await c.s3.send(new S3.PutBucketNotificationConfigurationCommand({ Bucket: name, NotificationConfiguration: configuration }));
    const got = await c.s3.send(new S3.GetBucketNotificationConfigurationCommand({ Bucket: name }));
    expect(got.QueueConfigurations).toEqual([{ Id: 'uploads', QueueArn: q.arn, Events: ['s3:ObjectCreated:*'] }]);
    const [test] = await poll(c, q.url, 1);
    expect(JSON.parse(test.Body!)).toMatchObject({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: name });
    expect(JSON.parse(test.Body!).Time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(test.Attributes?.SenderId).toBe('s3.amazonaws.com');

    const put = await c.s3.send(new S3.PutObjectCommand({ Bucket: name, Key: 'photos/cat 1.jpg', Body: 'meow' }));
    const [message] = await poll(c, q.url, 1);
    const [record] = records(message.Body);
    expect(record).toMatchObject({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: REGION,
      eventName: 'ObjectCreated:Put',
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'uploads',
        bucket: { name, arn: bucketArn },
        object: { key: 'photos/cat+1.jpg', size: 4, eTag: put.ETag!.replace(/"/g, '') },
      },
    });
    expect(record.s3.object.sequencer).toMatch(/^[0-9A-F]+$/);
    expect(record.userIdentity.principalId).toMatch(/^AWS:/);
    expect(Date.parse(record.eventTime)).not.toBeNaN();
    expect(record.responseElements['x-amz-request-id']).toBeDefined();
    // Deliveries are counted per source on /metrics.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/sealq_event_deliveries_total\{source="s3",outcome="delivered",error_code=""\} [1-9]/);
  });
});

describe('events and filters', () => {
  it('prefix/suffix filters choose the queue; removals, copies and DeleteObjects send ObjectRemoved/ObjectCreated:Copy', async () => {
    const name = await bucket(c, 'filters');
    const images = await encryptedQueueFor(name);
    const removals = await encryptedQueueFor(name);
    await c.s3.send(
      new S3.PutBucketNotificationConfigurationCommand({
        Bucket: name,
        NotificationConfiguration: {
          QueueConfigurations: [
            queueConfiguration(images.arn, ['s3:ObjectCreated:Put', 's3:ObjectCreated:Copy'], { prefix: 'images/', suffix: '.png' }, 'png'),
            queueConfiguration(removals.arn, ['s3:ObjectRemoved:*'], {}, 'gone'),
          ],
        },
      }),
    );
    expect(await poll(c, images.url, 1)).toHaveLength(1); // the test event
    expect(await poll(c, removals.url, 1)).toHaveLength(1);

    await c.s3.send(new S3.PutObjectCommand({ Bucket: name, Key: 'images/a.png', Body: 'png' }));
    await c.s3.send(new S3.PutObjectCommand({ Bucket: name, Key: 'images/a.jpg', Body: 'jpg' })); // wrong suffix
    await c.s3.send(new S3.PutObjectCommand({ Bucket: name, Key: 'docs/a.png', Body: 'png' })); // wrong prefix
    await c.s3.send(new S3.CopyObjectCommand({ Bucket: name, Key: 'images/b.png', CopySource: `${name}/images/a.png` }));
    const created = (await poll(c, images.url, 2)).flatMap((m) => records(m.Body));
    expect(created.map((r) => [r.eventName, r.s3.object.key, r.s3.configurationId]).sort()).toEqual([
      ['ObjectCreated:Copy', 'images/b.png', 'png'],
      ['ObjectCreated:Put', 'images/a.png', 'png'],
    ]);

    await c.s3.send(new S3.DeleteObjectCommand({ Bucket: name, Key: 'images/a.jpg' }));
    await c.s3.send(new S3.DeleteObjectCommand({ Bucket: name, Key: 'never-existed' })); // no event
    await c.s3.send(new S3.DeleteObjectsCommand({ Bucket: name, Delete: { Objects: [{ Key: 'docs/a.png' }, { Key: 'images/a.png' }] } }));
    const removed = (await poll(c, removals.url, 3)).flatMap((m) => records(m.Body));
    expect(removed.map((r) => [r.eventName, r.s3.object.key]).sort()).toEqual([
      ['ObjectRemoved:Delete', 'docs/a.png'],
      ['ObjectRemoved:Delete', 'images/a.jpg'],
      ['ObjectRemoved:Delete', 'images/a.png'],
    ]);
    expect(removed[0].s3.object.size).toBeUndefined();
    // Nothing else arrived: the filtered-out uploads, and the delete of a missing key, sent nothing.
    expect(await poll(c, images.url, 0, 700)).toEqual([]);
    expect(await poll(c, removals.url, 0, 300)).toEqual([]);
    expect((await deliveries(server, name, 5)).every((d) => d.outcome === 'delivered')).toBe(true);
  });

  it('events rest encrypted in the SSE-KMS queue (control: a queue without SSE holds them in clear)', async () => {
    const name = await bucket(c, 'at-rest');
    const encrypted = await encryptedQueueFor(name);
    const plain = await queue(c, { SqsManagedSseEnabled: 'false' }, 'plain');
    await c.sqs.send(new Sqs.SetQueueAttributesCommand({ QueueUrl: plain.url, Attributes: { Policy: s3QueuePolicy(plain.arn, `arn:aws:s3:::${name}`) } }));
    const configure = (arn: string) =>
      c.s3.send(new S3.PutBucketNotificationConfigurationCommand({ Bucket: name, NotificationConfiguration: { QueueConfigurations: [queueConfiguration(arn, ['s3:ObjectCreated:*'])] } }));
    // Only the request id of the upload identifies its event: it is stored nowhere else.
    const storedWith = async (needle: string) =>
      [...(await storedContents(server))].filter(([, bytes]) => bytes.includes(Buffer.from(needle, 'utf8'))).map(([file]) => file);

    await configure(plain.arn);
    const control = await c.s3.send(new S3.PutObjectCommand({ Bucket: name, Key: 'k', Body: 'x' }));
    expect(await deliveries(server, name, 1)).toHaveLength(1);
    expect((await storedWith(control.$metadata.requestId!)).length).toBeGreaterThan(0);

    await configure(encrypted.arn);
    const put = await c.s3.send(new S3.PutObjectCommand({ Bucket: name, Key: 'k', Body: 'y' }));
    expect(await deliveries(server, name, 2)).toHaveLength(2);
    expect(await storedWith(put.$metadata.requestId!)).toEqual([]);
    const got = (await poll(c, encrypted.url, 2)).map((m) => JSON.parse(m.Body!) as { Records?: EventRecord[] });
    expect(got.map((m) => m.Records?.[0].responseElements['x-amz-request-id'])).toContain(put.$metadata.requestId);
  });

  it('confused deputy: a key policy conditioned on bucket A refuses bucket B', async () => {
    const a = await bucket(c, 'deputy-a');
    const b = await bucket(c, 'deputy-b');
    const q = await encryptedQueueFor(a);
    // The queue policy admits S3 for any bucket of the account, so the key policy decides.
    await c.sqs.send(new Sqs.SetQueueAttributesCommand({ QueueUrl: q.url, Attributes: { Policy: s3QueuePolicy(q.arn) } }));
    const configuration = { QueueConfigurations: [queueConfiguration(q.arn, ['s3:ObjectCreated:*'])] };
    await c.s3.send(new S3.PutBucketNotificationConfigurationCommand({ Bucket: a, NotificationConfiguration: configuration }));
    expect(await s3ErrorOf(c.s3.send(new S3.PutBucketNotificationConfigurationCommand({ Bucket: b, NotificationConfiguration: configuration })))).toMatchObject({
      code: 'InvalidArgument',
      message: 'Unable to validate the following destination configurations',
    });
    const generated = (await c.s3.send(new S3.GetBucketNotificationConfigurationCommand({ Bucket: a }))).QueueConfigurations![0];
    expect(generated.Id).toBeTruthy();
  });

  it('a missing queue, an unknown event, a bad filter rule and overlapping configurations are refused', async () => {
    const name = await bucket(c, 'invalid');
    const missingArn = `arn:aws:sqs:${REGION}:${ACCOUNT}:no-such-queue-${Date.now()}`;
    const missing = await s3ErrorOf(
      c.s3.send(new S3.PutBucketNotificationConfigurationCommand({ Bucket: name, NotificationConfiguration: { QueueConfigurations: [queueConfiguration(missingArn, ['s3:ObjectCreated:*'])] } })),
    );
    expect(missing).toMatchObject({ code: 'InvalidArgument', message: 'Unable to validate the following destination configurations' });
    expect(missing.error.ArgumentName1).toBe(missingArn);
    const q = await encryptedQueueFor(name);
    const put = (configs: S3.QueueConfiguration[]) =>
      s3ErrorOf(c.s3.send(new S3.PutBucketNotificationConfigurationCommand({ Bucket: name, NotificationConfiguration: { QueueConfigurations: configs } })));
    expect(await put([queueConfiguration(q.arn, ['s3:ObjectCreated:Sometimes'])])).toMatchObject({
      code: 'InvalidArgument',
      message: 'The event is not supported for notifications',
    });
    expect(await put([{ QueueArn: q.arn, Events: ['s3:ObjectCreated:*'], Filter: { Key: { FilterRules: [{ Name: 'middle' as S3.FilterRuleName, Value: 'x' }] } } }])).toMatchObject({
      code: 'InvalidArgument',
      message: 'filter rule name must be either prefix or suffix',
    });
    expect(await put([queueConfiguration(q.arn, ['s3:ObjectCreated:*'], { prefix: 'a/' }), queueConfiguration(q.arn, ['s3:ObjectCreated:Put'], { prefix: 'a/b' })])).toMatchObject({
      code: 'InvalidArgument',
      status: 400,
    });
    // An empty configuration turns notifications off.
    await c.s3.send(new S3.PutBucketNotificationConfigurationCommand({ Bucket: name, NotificationConfiguration: {} }));
    expect((await c.s3.send(new S3.GetBucketNotificationConfigurationCommand({ Bucket: name }))).QueueConfigurations ?? []).toEqual([]);
  });
});
