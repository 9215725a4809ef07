/**
 * Multipart uploads through @aws-sdk/client-s3: parts stream to files of their own, Complete joins
 * them (ETag `<md5 of md5s>-<n>`) and sends ObjectCreated:CompleteMultipartUpload; S3's errors for
 * bad part lists, small parts and unknown uploads.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/sealq.js';
import { S3, Sqs, bucket, clientsFor, poll, queue, queueConfiguration, s3ErrorOf, s3QueuePolicy, type Clients } from './helpers.js';

let server: TestServer;
let c: Clients;

beforeAll(async () => {
  server = await startTestServer();
  c = clientsFor(server);
});
afterAll(async () => {
  await server.stop();
});

const MiB = 1024 * 1024;

describe('multipart uploads', () => {
  it('joins the parts in order into one object and sends ObjectCreated:CompleteMultipartUpload', async () => {
    const name = await bucket(c, 'mpu');
    const q = await queue(c, {}, 'mpu');
    await c.sqs.send(new Sqs.SetQueueAttributesCommand({ QueueUrl: q.url, Attributes: { Policy: s3QueuePolicy(q.arn, `arn:aws:s3:::${name}`) } }));
    await c.s3.send(
      new S3.PutBucketNotificationConfigurationCommand({ Bucket: name, NotificationConfiguration: { QueueConfigurations: [queueConfiguration(q.arn, ['s3:ObjectCreated:CompleteMultipartUpload'], {}, 'mpu')] } }),
    );
    await poll(c, q.url, 1); // the test event

    const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB + 7), randomBytes(1000)];
    const { UploadId } = await c.s3.send(new S3.CreateMultipartUploadCommand({ Bucket: name, Key: 'joined.bin', ContentType: 'application/x-test', Metadata: { m: 'v' } }));
    expect(UploadId).toBeTruthy();
    // Uploaded out of order, and part 2 twice: the second upload replaces the first.
    const etags: string[] = [];
    for (const n of [3, 2, 1, 2]) {
      const { ETag } = await c.s3.send(new S3.UploadPartCommand({ Bucket: name, Key: 'joined.bin', UploadId, PartNumber: n, Body: parts[n - 1] }));
      expect(ETag).toBe(`"${createHash('md5').update(parts[n - 1]).digest('hex')}"`);
      etags[n - 1] = ETag!;
    }
    const done = await c.s3.send(
      new S3.CompleteMultipartUploadCommand({
        Bucket: name,
        Key: 'joined.bin',
        UploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
    );
    const expected = createHash('md5').update(Buffer.concat(parts.map((p) => createHash('md5').update(p).digest()))).digest('hex');
    expect(done).toMatchObject({ Bucket: name, Key: 'joined.bin', ETag: `"${expected}-3"` });
    const got = await c.s3.send(new S3.GetObjectCommand({ Bucket: name, Key: 'joined.bin' }));
    expect(got).toMatchObject({ ContentType: 'application/x-test', Metadata: { m: 'v' }, ETag: `"${expected}-3"` });
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat(parts))).toBe(true);

    const [message] = await poll(c, q.url, 1);
    const record = (JSON.parse(message.Body!) as { Records: Array<{ eventName: string; s3: { object: { key: string; size: number; eTag: string } } }> }).Records[0];
    expect(record.eventName).toBe('ObjectCreated:CompleteMultipartUpload');
    expect(record.s3.object).toMatchObject({ key: 'joined.bin', size: 10 * MiB + 1007, eTag: `${expected}-3` });
    expect(message.Attributes?.SenderId).toBe('s3.amazonaws.com');

    // The upload is gone once completed.
    expect(await s3ErrorOf(c.s3.send(new S3.AbortMultipartUploadCommand({ Bucket: name, Key: 'joined.bin', UploadId })))).toMatchObject({
      code: 'NoSuchUpload',
      status: 404,
    });
  });

  it('refuses bad part lists (InvalidPart, InvalidPartOrder, EntityTooSmall); abort discards the upload', async () => {
    const name = await bucket(c, 'mpu-bad');
    const { UploadId } = await c.s3.send(new S3.CreateMultipartUploadCommand({ Bucket: name, Key: 'k' }));
    const small = await c.s3.send(new S3.UploadPartCommand({ Bucket: name, Key: 'k', UploadId, PartNumber: 1, Body: 'tiny' }));
    const last = await c.s3.send(new S3.UploadPartCommand({ Bucket: name, Key: 'k', UploadId, PartNumber: 2, Body: 'last' }));
    const complete = (Parts: S3.CompletedPart[]) =>
      s3ErrorOf(c.s3.send(new S3.CompleteMultipartUploadCommand({ Bucket: name, Key: 'k', UploadId, MultipartUpload: { Parts } })));
    expect(await complete([{ PartNumber: 1, ETag: '"00000000000000000000000000000000"' }])).toMatchObject({ code: 'InvalidPart', status: 400 });
    expect(await complete([{ PartNumber: 2, ETag: last.ETag }, { PartNumber: 1, ETag: small.ETag }])).toMatchObject({ code: 'InvalidPartOrder', status: 400 });
    expect(await complete([{ PartNumber: 1, ETag: small.ETag }, { PartNumber: 2, ETag: last.ETag }])).toMatchObject({
      code: 'EntityTooSmall',
      status: 400,
      message: 'Your proposed upload is smaller than the minimum allowed size',
    });
    expect(await s3ErrorOf(c.s3.send(new S3.UploadPartCommand({ Bucket: name, Key: 'k', UploadId, PartNumber: 10001, Body: 'x' })))).toMatchObject({
      code: 'InvalidArgument',
    });
    // A failed Complete leaves the upload open; a single small part is a whole object.
    const one = await c.s3.send(new S3.CompleteMultipartUploadCommand({ Bucket: name, Key: 'k', UploadId, MultipartUpload: { Parts: [{ PartNumber: 2, ETag: last.ETag }] } }));
    expect(one.ETag).toMatch(/-1"$/);
    expect(await (await c.s3.send(new S3.GetObjectCommand({ Bucket: name, Key: 'k' }))).Body!.transformToString()).toBe('last');

    const second = await c.s3.send(new S3.CreateMultipartUploadCommand({ Bucket: name, Key: 'other' }));
    await c.s3.send(new S3.UploadPartCommand({ Bucket: name, Key: 'other', UploadId: second.UploadId, PartNumber: 1, Body: 'x' }));
    await c.s3.send(new S3.AbortMultipartUploadCommand({ Bucket: name, Key: 'other', UploadId: second.UploadId }));
    expect(await s3ErrorOf(c.s3.send(new S3.UploadPartCommand({ Bucket: name, Key: 'other', UploadId: second.UploadId, PartNumber: 2, Body: 'y' })))).toMatchObject({
      code: 'NoSuchUpload',
      status: 404,
    });
    expect((await c.s3.send(new S3.ListObjectsV2Command({ Bucket: name }))).Contents?.map((o) => o.Key)).toEqual(['k']);
  });

  it('UploadPartCopy makes parts from another object, whole or a byte range; bad ranges and missing sources are refused', async () => {
    const name = await bucket(c, 'mpu-copy');
    const source = randomBytes(6 * MiB + 123);
    await c.s3.send(new S3.PutObjectCommand({ Bucket: name, Key: 'source.bin', Body: source }));
    const { UploadId } = await c.s3.send(new S3.CreateMultipartUploadCommand({ Bucket: name, Key: 'copied.bin' }));
    const whole = await c.s3.send(
      new S3.UploadPartCopyCommand({ Bucket: name, Key: 'copied.bin', UploadId, PartNumber: 1, CopySource: `${name}/source.bin` }),
    );
    expect(whole.CopyPartResult?.ETag).toBe(`"${createHash('md5').update(source).digest('hex')}"`);
    expect(whole.CopyPartResult?.LastModified).toBeInstanceOf(Date);
    expect(whole.ServerSideEncryption).toBe('AES256');
    const ranged = await c.s3.send(
      new S3.UploadPartCopyCommand({
        Bucket: name,
        Key: 'copied.bin',
        UploadId,
        PartNumber: 2,
        CopySource: `/${name}/source.bin`,
        CopySourceRange: `bytes=${MiB - 10}-${MiB + 9}`,
      }),
    );
    const slice = source.subarray(MiB - 10, MiB + 10);
    expect(ranged.CopyPartResult?.ETag).toBe(`"${createHash('md5').update(slice).digest('hex')}"`);
    const listed = await c.s3.send(new S3.ListPartsCommand({ Bucket: name, Key: 'copied.bin', UploadId }));
    expect(listed.Parts?.map((p) => p.Size)).toEqual([source.length, 20]);
    await c.s3.send(
      new S3.CompleteMultipartUploadCommand({
        Bucket: name,
        Key: 'copied.bin',
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: whole.CopyPartResult!.ETag }, { PartNumber: 2, ETag: ranged.CopyPartResult!.ETag }] },
      }),
    );
    const got = await c.s3.send(new S3.GetObjectCommand({ Bucket: name, Key: 'copied.bin' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat([source, slice]))).toBe(true);

    const next = await c.s3.send(new S3.CreateMultipartUploadCommand({ Bucket: name, Key: 'other.bin' }));
    const copyPart = (extra: Partial<S3.UploadPartCopyCommandInput>) =>
      s3ErrorOf(
        c.s3.send(
          new S3.UploadPartCopyCommand({ Bucket: name, Key: 'other.bin', UploadId: next.UploadId, PartNumber: 1, CopySource: `${name}/source.bin`, ...extra }),
        ),
      );
    expect(await copyPart({ CopySourceRange: `bytes=0-${source.length}` })).toMatchObject({
      code: 'InvalidArgument',
      status: 400,
      message: `Range specified is not valid for source object of size: ${source.length}`,
    });
    expect(await copyPart({ CopySourceRange: 'bytes=5-' })).toMatchObject({ code: 'InvalidArgument', status: 400 });
    expect(await copyPart({ CopySource: `${name}/missing.bin` })).toMatchObject({ code: 'NoSuchKey', status: 404 });
    expect(await copyPart({ UploadId: 'no-such-upload' })).toMatchObject({ code: 'NoSuchUpload', status: 404 });
    expect((await c.s3.send(new S3.ListPartsCommand({ Bucket: name, Key: 'other.bin', UploadId: next.UploadId }))).Parts ?? []).toEqual([]);

    // An empty source makes an empty part (its file is opened and authenticated like any other).
    await c.s3.send(new S3.PutObjectCommand({ Bucket: name, Key: 'empty', Body: '' }));
    const empty = await c.s3.send(
      new S3.UploadPartCopyCommand({ Bucket: name, Key: 'other.bin', UploadId: next.UploadId, PartNumber: 2, CopySource: `${name}/empty` }),
    );
    expect(empty.CopyPartResult?.ETag).toBe('"d41d8cd98f00b204e9800998ecf8427e"');
  });

  it('ListMultipartUploads lists open uploads by key, pages with markers, rolls up with a delimiter, and drops completed ones', async () => {
    const name = await bucket(c, 'mpu-uploads');
    const started: Record<string, string> = {};
    for (const key of ['logs/a', 'logs/b', 'data.bin', 'data.bin']) {
      const { UploadId } = await c.s3.send(new S3.CreateMultipartUploadCommand({ Bucket: name, Key: key }));
      started[UploadId!] = key;
    }
    const all = await c.s3.send(new S3.ListMultipartUploadsCommand({ Bucket: name }));
    expect(all).toMatchObject({ Bucket: name, MaxUploads: 1000, IsTruncated: false });
    expect(all.Uploads?.map((u) => u.Key)).toEqual(['data.bin', 'data.bin', 'logs/a', 'logs/b']);
    expect(all.Uploads?.map((u) => started[u.UploadId!])).toEqual(['data.bin', 'data.bin', 'logs/a', 'logs/b']);
    expect(all.Uploads?.[0]).toMatchObject({ StorageClass: 'STANDARD', Initiator: { ID: '000000000000' }, Owner: { ID: '000000000000' } });
    expect(all.Uploads?.[0].Initiated).toBeInstanceOf(Date);

    const page = await c.s3.send(new S3.ListMultipartUploadsCommand({ Bucket: name, MaxUploads: 3 }));
    expect(page).toMatchObject({ IsTruncated: true, NextKeyMarker: 'logs/a', NextUploadIdMarker: all.Uploads?.[2].UploadId });
    const rest = await c.s3.send(
      new S3.ListMultipartUploadsCommand({ Bucket: name, KeyMarker: page.NextKeyMarker, UploadIdMarker: page.NextUploadIdMarker }),
    );
    expect(rest.Uploads?.map((u) => u.Key)).toEqual(['logs/b']);

    const rolled = await c.s3.send(new S3.ListMultipartUploadsCommand({ Bucket: name, Delimiter: '/' }));
    expect(rolled.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['logs/']);
    expect(rolled.Uploads?.map((u) => u.Key)).toEqual(['data.bin', 'data.bin']);
    const prefixed = await c.s3.send(new S3.ListMultipartUploadsCommand({ Bucket: name, Prefix: 'logs/' }));
    expect(prefixed).toMatchObject({ Prefix: 'logs/' });
    expect(prefixed.Uploads?.map((u) => u.Key)).toEqual(['logs/a', 'logs/b']);

    const [done] = all.Uploads!;
    const part = await c.s3.send(new S3.UploadPartCommand({ Bucket: name, Key: done.Key, UploadId: done.UploadId, PartNumber: 1, Body: 'x' }));
    await c.s3.send(
      new S3.CompleteMultipartUploadCommand({ Bucket: name, Key: done.Key, UploadId: done.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }),
    );
    const after = await c.s3.send(new S3.ListMultipartUploadsCommand({ Bucket: name }));
    expect(after.Uploads?.map((u) => u.UploadId)).not.toContain(done.UploadId);
    expect(after.Uploads).toHaveLength(3);
    expect(await s3ErrorOf(c.s3.send(new S3.ListMultipartUploadsCommand({ Bucket: name, MaxUploads: -1 })))).toMatchObject({ code: 'InvalidArgument' });
  });

  it('ListParts pages through the parts by number; bad paging arguments are InvalidArgument, a gone upload NoSuchUpload', async () => {
    const name = await bucket(c, 'mpu-list');
    const { UploadId } = await c.s3.send(new S3.CreateMultipartUploadCommand({ Bucket: name, Key: 'parts' }));
    const bodies: Record<number, string> = { 4: 'four', 1: 'one', 7: 'seven', 2: 'two' };
    for (const [n, body] of Object.entries(bodies)) {
      await c.s3.send(new S3.UploadPartCommand({ Bucket: name, Key: 'parts', UploadId, PartNumber: Number(n), Body: body }));
    }
    const md5 = (text: string) => `"${createHash('md5').update(text).digest('hex')}"`;
    const all = await c.s3.send(new S3.ListPartsCommand({ Bucket: name, Key: 'parts', UploadId }));
    expect(all).toMatchObject({ Bucket: name, Key: 'parts', UploadId, MaxParts: 1000, IsTruncated: false, StorageClass: 'STANDARD' });
    expect(all.Parts?.map((p) => [p.PartNumber, p.Size, p.ETag])).toEqual(
      [1, 2, 4, 7].map((n) => [n, bodies[n].length, md5(bodies[n])]),
    );
    expect(all.Parts?.every((p) => p.LastModified instanceof Date)).toBe(true);

    const first = await c.s3.send(new S3.ListPartsCommand({ Bucket: name, Key: 'parts', UploadId, MaxParts: 2 }));
    expect(first).toMatchObject({ IsTruncated: true, NextPartNumberMarker: '2', MaxParts: 2 });
    expect(first.Parts?.map((p) => p.PartNumber)).toEqual([1, 2]);
    const rest = await c.s3.send(
      new S3.ListPartsCommand({ Bucket: name, Key: 'parts', UploadId, MaxParts: 2, PartNumberMarker: first.NextPartNumberMarker }),
    );
    expect(rest).toMatchObject({ IsTruncated: false, PartNumberMarker: '2', NextPartNumberMarker: '7' });
    expect(rest.Parts?.map((p) => p.PartNumber)).toEqual([4, 7]);

    expect(await s3ErrorOf(c.s3.send(new S3.ListPartsCommand({ Bucket: name, Key: 'parts', UploadId, MaxParts: -1 })))).toMatchObject({
      code: 'InvalidArgument',
      status: 400,
      message: 'Provided max-parts not an integer or within integer range',
    });
    expect(await s3ErrorOf(c.s3.send(new S3.ListPartsCommand({ Bucket: name, Key: 'other-key', UploadId })))).toMatchObject({
      code: 'NoSuchUpload',
      status: 404,
    });
    await c.s3.send(new S3.AbortMultipartUploadCommand({ Bucket: name, Key: 'parts', UploadId }));
    expect(await s3ErrorOf(c.s3.send(new S3.ListPartsCommand({ Bucket: name, Key: 'parts', UploadId })))).toMatchObject({ code: 'NoSuchUpload' });
  });
});
