/**
 * Buckets and objects through @aws-sdk/client-s3 (path-style): the bucket lifecycle and its
 * errors, put/get/head/delete/copy/list, a multi-MiB streamed round trip, DeleteObjects, and a
 * raw signed request addressed virtual-hosted style.
 */
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../../src/auth/sign.js';
import { startTestServer, testCredentials, type TestServer } from '../../support/sealq.js';
import { S3, bodyText, bucket, bucketName, clientsFor, s3ErrorOf, type Clients } from './helpers.js';

let server: TestServer;
let c: Clients;

beforeAll(async () => {
  server = await startTestServer();
  c = clientsFor(server);
});
afterAll(async () => {
  await server.stop();
});

describe('buckets', () => {
  it('create, head, list, delete', async () => {
    const name = bucketName('life');
    const created = await c.s3.send(new S3.CreateBucketCommand({ Bucket: name }));
    expect(created.Location).toBe(`/${name}`);
    const head = await c.s3.send(new S3.HeadBucketCommand({ Bucket: name }));
    expect(head.BucketRegion).toBe('us-east-1');
    const { Buckets, Owner } = await c.s3.send(new S3.ListBucketsCommand({}));
    expect(Buckets?.map((b) => b.Name)).toContain(name);
    expect(Buckets?.find((b) => b.Name === name)?.CreationDate).toBeInstanceOf(Date);
    expect(Owner?.ID).toBeDefined();
    await c.s3.send(new S3.DeleteBucketCommand({ Bucket: name }));
    expect((await s3ErrorOf(c.s3.send(new S3.HeadBucketCommand({ Bucket: name }))))).toMatchObject({ status: 404 });
  });

  it('errors: NoSuchBucket, InvalidBucketName, BucketNotEmpty, re-create in us-east-1 and elsewhere', async () => {
    const missing = bucketName('missing');
    const noSuch = await s3ErrorOf(c.s3.send(new S3.ListObjectsV2Command({ Bucket: missing })));
    expect(noSuch).toMatchObject({ code: 'NoSuchBucket', status: 404, message: 'The specified bucket does not exist' });
    expect(noSuch.error.BucketName).toBe(missing);
    expect(await s3ErrorOf(c.s3.send(new S3.DeleteBucketCommand({ Bucket: missing })))).toMatchObject({ code: 'NoSuchBucket', status: 404 });
    expect(await s3ErrorOf(c.s3.send(new S3.CreateBucketCommand({ Bucket: 'Bad_Name' })))).toMatchObject({
      code: 'InvalidBucketName',
      status: 400,
      message: 'The specified bucket is not valid.',
    });
    const name = await bucket(c, 'full');
    await c.s3.send(new S3.PutObjectCommand({ Bucket: name, Key: 'k', Body: 'x' }));
    expect(await s3ErrorOf(c.s3.send(new S3.DeleteBucketCommand({ Bucket: name })))).toMatchObject({
      code: 'BucketNotEmpty',
      status: 409,
      message: 'The bucket you tried to delete is not empty',
    });
    // AWS: us-east-1 answers 200 to re-creating a bucket you own; other regions BucketAlreadyOwnedByYou.
    await c.s3.send(new S3.CreateBucketCommand({ Bucket: name }));
    const eu = new S3.S3Client({ endpoint: server.url, region: 'eu-west-1', credentials: testCredentials, forcePathStyle: true, maxAttempts: 1 });
    const other = bucketName('eu');
    await eu.send(new S3.CreateBucketCommand({ Bucket: other, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
    expect(await s3ErrorOf(eu.send(new S3.CreateBucketCommand({ Bucket: other, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } })))).toMatchObject({
      code: 'BucketAlreadyOwnedByYou',
      status: 409,
    });
    const location = await eu.send(new S3.GetBucketLocationCommand({ Bucket: other }));
    expect(location.LocationConstraint).toBe('eu-west-1');
    expect(await s3ErrorOf(c.s3.send(new S3.HeadBucketCommand({ Bucket: missing })))).toMatchObject({ status: 404 });
  });
});

describe('objects', () => {
  it('put, get, head (metadata and content type), overwrite, delete', async () => {
    const name = await bucket(c, 'obj');
    const key = 'dir/a b+c ü.txt';
    const put = await c.s3.send(
      new S3.PutObjectCommand({ Bucket: name, Key: key, Body: 'hello world', ContentType: 'text/plain', Metadata: { colour: 'blue' } }),
    );
    expect(put.ETag).toBe(`"${createHash('md5').update('hello world').digest('hex')}"`);
    const got = await c.s3.send(new S3.GetObjectCommand({ Bucket: name, Key: key }));
    expect(await bodyText(got.Body)).toBe('hello world');
    expect(got.ContentType).toBe('text/plain');
    expect(got.ContentLength).toBe(11);
    expect(got.Metadata).toEqual({ colour: 'blue' });
    expect(got.ETag).toBe(put.ETag);
    expect(got.LastModified).toBeInstanceOf(Date);
    const head = await c.s3.send(new S3.HeadObjectCommand({ Bucket: name, Key: key }));
    expect(head).toMatchObject({ ContentLength: 11, ETag: put.ETag, ContentType: 'text/plain', Metadata: { colour: 'blue' } });

    await c.s3.send(new S3.PutObjectCommand({ Bucket: name, Key: key, Body: Buffer.from('second') }));
    expect(await bodyText((await c.s3.send(new S3.GetObjectCommand({ Bucket: name, Key: key }))).Body)).toBe('second');

    const ranged = await c.s3.send(new S3.GetObjectCommand({ Bucket: name, Key: key, Range: 'bytes=1-3' }));
    expect(await bodyText(ranged.Body)).toBe('eco');
    expect(ranged.ContentRange).toBe('bytes 1-3/6');

    await c.s3.send(new S3.DeleteObjectCommand({ Bucket: name, Key: key }));
    const missing = await s3ErrorOf(c.s3.send(new S3.GetObjectCommand({ Bucket: name, Key: key })));
    expect(missing).toMatchObject({ code: 'NoSuchKey', status: 404, message: 'The specified key does not exist.' });
    expect(missing.error.Key).toBe(key);
    expect(await s3ErrorOf(c.s3.send(new S3.HeadObjectCommand({ Bucket: name, Key: key })))).toMatchObject({ code: 'NotFound', status: 404 });
    // AWS: deleting a missing key succeeds.
    await c.s3.send(new S3.DeleteObjectCommand({ Bucket: name, Key: key }));
  });

  it('keys with characters that need encoding, empty segments and dot segments are kept exactly', async () => {
    const name = await bucket(c, 'keys');
    const keys = ["weird/%41 ~!*()='&@:,;$+[]{}^|`.txt", 'a//b', 'dots/../up', 'tab\tand\u00e9\u4e2d', ' lead and trail '];
    for (const key of keys) await c.s3.send(new S3.PutObjectCommand({ Bucket: name, Key: key, Body: key }));
    for (const key of keys) expect(await bodyText((await c.s3.send(new S3.GetObjectCommand({ Bucket: name, Key: key }))).Body)).toBe(key);
    const listed = await c.s3.send(new S3.ListObjectsV2Command({ Bucket: name }));
    expect(listed.Contents?.map((o) => o.Key).sort()).toEqual([...keys].sort());
    const encoded = await c.s3.send(new S3.ListObjectsV2Command({ Bucket: name, EncodingType: 'url' }));
    // The JS SDK leaves url-encoded keys as sent (form encoding: a space is '+').
    expect(encoded.EncodingType).toBe('url');
    expect(encoded.Contents?.map((o) => decodeURIComponent(o.Key!.replace(/\+/g, ' '))).sort()).toEqual([...keys].sort());
  });

  it('a multi-MiB object streams in (aws-chunked with a CRC32 trailer) and out, byte for byte; no file is named after a key', async () => {
    const name = await bucket(c, 'big');
    const data = randomBytes(6 * 1024 * 1024 + 123);
    const parts = Array.from({ length: 7 }, (_, i) => data.subarray(i * 1024 * 1024, (i + 1) * 1024 * 1024));
    await c.s3.send(new S3.PutObjectCommand({ Bucket: name, Key: 'secret-key-name.bin', Body: Readable.from(parts), ContentLength: data.length }));
    await c.s3.send(new S3.PutObjectCommand({ Bucket: name, Key: 'buffer.bin', Body: data }));
    for (const key of ['secret-key-name.bin', 'buffer.bin']) {
      const got = await c.s3.send(new S3.GetObjectCommand({ Bucket: name, Key: key }));
      expect(got.ContentLength).toBe(data.length);
      const bytes = Buffer.from(await got.Body!.transformToByteArray());
      expect(bytes.equals(data)).toBe(true);
    }
    const { readdirSync } = await import('node:fs');
    const files = readdirSync(server.dataDir, { recursive: true, encoding: 'utf8' });
    expect(files.some((f) => f.includes('secret-key-name'))).toBe(false);
    // Larger than the request size limit (4 MiB) for non-object bodies, yet accepted: objects stream.
    expect(data.length).toBeGreaterThan(4 * 1024 * 1024);
  });

  it('copy: metadata copied or replaced; copying onto itself unchanged is refused', async () => {
    const name = await bucket(c, 'copy');
    const target = await bucket(c, 'copy-to');
    await c.s3.send(new S3.PutObjectCommand({ Bucket: name, Key: 'src', Body: 'payload', ContentType: 'text/x-a', Metadata: { a: '1' } }));
    const copied = await c.s3.send(new S3.CopyObjectCommand({ Bucket: target, Key: 'dst', CopySource: `${name}/src` }));
    expect(copied.CopyObjectResult?.ETag).toBe(`"${createHash('md5').update('payload').digest('hex')}"`);
    const got = await c.s3.send(new S3.GetObjectCommand({ Bucket: target, Key: 'dst' }));
    expect(await bodyText(got.Body)).toBe('payload');
    expect(got.Metadata).toEqual({ a: '1' });
    expect(got.ContentType).toBe('text/x-a');
    await c.s3.send(new S3.CopyObjectCommand({ Bucket: name, Key: 'src', CopySource: `${name}/src`, MetadataDirective: 'REPLACE', Metadata: { b: '2' } }));
    expect((await c.s3.send(new S3.HeadObjectCommand({ Bucket: name, Key: 'src' }))).Metadata).toEqual({ b: '2' });
    expect(await s3ErrorOf(c.s3.send(new S3.CopyObjectCommand({ Bucket: name, Key: 'src', CopySource: `${name}/src` })))).toMatchObject({
      code: 'InvalidRequest',
      status: 400,
    });
    expect(await s3ErrorOf(c.s3.send(new S3.CopyObjectCommand({ Bucket: name, Key: 'x', CopySource: `${name}/nope` })))).toMatchObject({
      code: 'NoSuchKey',
      status: 404,
    });
  });

  it('ListObjectsV2: prefix, delimiter, max-keys and continuation tokens', async () => {
    const name = await bucket(c, 'list');
    const keys = ['a/1', 'a/2', 'a/b/3', 'b/1', 'c', 'd', 'e'];
    for (const key of keys) await c.s3.send(new S3.PutObjectCommand({ Bucket: name, Key: key, Body: key }));
    const all = await c.s3.send(new S3.ListObjectsV2Command({ Bucket: name }));
    expect(all.Contents?.map((o) => o.Key)).toEqual(keys);
    expect(all).toMatchObject({ KeyCount: 7, IsTruncated: false, MaxKeys: 1000 });
    expect(all.Contents?.[0]).toMatchObject({ Size: 3, StorageClass: 'STANDARD' });

    const rolled = await c.s3.send(new S3.ListObjectsV2Command({ Bucket: name, Delimiter: '/' }));
    expect(rolled.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/', 'b/']);
    expect(rolled.Contents?.map((o) => o.Key)).toEqual(['c', 'd', 'e']);

    const under = await c.s3.send(new S3.ListObjectsV2Command({ Bucket: name, Prefix: 'a/', Delimiter: '/' }));
    expect(under.Contents?.map((o) => o.Key)).toEqual(['a/1', 'a/2']);
    expect(under.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/b/']);

    const pages: string[][] = [];
    let token: string | undefined;
    do {
      const page = await c.s3.send(new S3.ListObjectsV2Command({ Bucket: name, Delimiter: '/', MaxKeys: 2, ContinuationToken: token }));
      pages.push([...(page.CommonPrefixes ?? []).map((p) => p.Prefix!), ...(page.Contents ?? []).map((o) => o.Key!)]);
      expect(page.KeyCount).toBe(pages.at(-1)!.length);
      token = page.NextContinuationToken;
      expect(page.IsTruncated).toBe(token !== undefined);
    } while (token);
    expect(pages).toEqual([['a/', 'b/'], ['c', 'd'], ['e']]);

    const after = await c.s3.send(new S3.ListObjectsV2Command({ Bucket: name, StartAfter: 'b/1' }));
    expect(after.Contents?.map((o) => o.Key)).toEqual(['c', 'd', 'e']);
    expect(await s3ErrorOf(c.s3.send(new S3.ListObjectsV2Command({ Bucket: name, ContinuationToken: 'bogus' })))).toMatchObject({
      code: 'InvalidArgument',
      status: 400,
    });
  });

  it('DeleteObjects: deletes each key, reports them (and nothing in Quiet mode)', async () => {
    const name = await bucket(c, 'multi');
    for (const key of ['x1', 'x2', 'x3']) await c.s3.send(new S3.PutObjectCommand({ Bucket: name, Key: key, Body: key }));
    const result = await c.s3.send(new S3.DeleteObjectsCommand({ Bucket: name, Delete: { Objects: [{ Key: 'x1' }, { Key: 'x2' }, { Key: 'missing' }] } }));
    expect(result.Deleted?.map((d) => d.Key).sort()).toEqual(['missing', 'x1', 'x2']);
    expect(result.Errors ?? []).toEqual([]);
    const quiet = await c.s3.send(new S3.DeleteObjectsCommand({ Bucket: name, Delete: { Objects: [{ Key: 'x3' }], Quiet: true } }));
    expect(quiet.Deleted ?? []).toEqual([]);
    expect((await c.s3.send(new S3.ListObjectsV2Command({ Bucket: name }))).KeyCount).toBe(0);
    await c.s3.send(new S3.DeleteBucketCommand({ Bucket: name }));
  });
});

describe('server-side encryption requests', () => {
  it('accepts AES256 (what every object gets) and refuses SSE-KMS and SSE-C with NotImplemented, storing nothing', async () => {
    const name = await bucket(c, 'sse');
    const put = await c.s3.send(new S3.PutObjectCommand({ Bucket: name, Key: 'aes', Body: 'x', ServerSideEncryption: 'AES256' }));
    expect(put.ServerSideEncryption).toBe('AES256');
    const kms = await s3ErrorOf(c.s3.send(new S3.PutObjectCommand({ Bucket: name, Key: 'kms', Body: 'x', ServerSideEncryption: 'aws:kms' })));
    expect(kms).toMatchObject({ code: 'NotImplemented', status: 501 });
    expect(kms.message).toContain('aws:kms');
    const multipart = await s3ErrorOf(c.s3.send(new S3.CreateMultipartUploadCommand({ Bucket: name, Key: 'kms-mpu', ServerSideEncryption: 'aws:kms' })));
    expect(multipart).toMatchObject({ code: 'NotImplemented', status: 501 });
    const copy = await s3ErrorOf(
      c.s3.send(new S3.CopyObjectCommand({ Bucket: name, Key: 'kms-copy', CopySource: `${name}/aes`, ServerSideEncryption: 'aws:kms' })),
    );
    expect(copy).toMatchObject({ code: 'NotImplemented', status: 501 });
    const customerKey = randomBytes(32);
    const ssec = await s3ErrorOf(
      c.s3.send(
        new S3.PutObjectCommand({
          Bucket: name,
          Key: 'ssec',
          Body: 'x',
          SSECustomerAlgorithm: 'AES256',
          SSECustomerKey: customerKey.toString('base64'),
          SSECustomerKeyMD5: createHash('md5').update(customerKey).digest('base64'),
        }),
      ),
    );
    expect(ssec).toMatchObject({ code: 'NotImplemented', status: 501 });
    const { Contents } = await c.s3.send(new S3.ListObjectsV2Command({ Bucket: name }));
    expect(Contents?.map((o) => o.Key)).toEqual(['aes']);
  });
});

describe('ranges and preconditions on GetObject and HeadObject', () => {
  it('clamps a range that runs past the end, ignores a malformed one, and answers 416 InvalidRange when none can be served', async () => {
    const name = await bucket(c, 'range');
    await c.s3.send(new S3.PutObjectCommand({ Bucket: name, Key: 'k', Body: '0123456789' }));
    await c.s3.send(new S3.PutObjectCommand({ Bucket: name, Key: 'empty', Body: '' }));
    const get = (Key: string, Range: string) => c.s3.send(new S3.GetObjectCommand({ Bucket: name, Key, Range }));
    const clamped = await get('k', 'bytes=7-100');
    expect([await bodyText(clamped.Body), clamped.ContentRange]).toEqual(['789', 'bytes 7-9/10']);
    expect(await bodyText((await get('k', 'bytes=-3')).Body)).toBe('789');
    expect(await bodyText((await get('k', 'bytes=5-2')).Body)).toBe('0123456789');
    for (const [key, range] of [['k', 'bytes=10-20'], ['k', 'bytes=-0'], ['empty', 'bytes=0-5']]) {
      const refused = await s3ErrorOf(get(key, range));
      expect(refused, `${key} ${range}`).toMatchObject({ code: 'InvalidRange', status: 416, message: 'The requested range is not satisfiable' });
      expect(refused.error).toMatchObject({ RangeRequested: range, ActualObjectSize: key === 'k' ? '10' : '0' });
      // RFC 9110: the 416 carries the length to ask against.
      expect((refused.error.$response as { headers: Record<string, string> }).headers['content-range']).toBe(`bytes */${key === 'k' ? 10 : 0}`);
    }
  });

  it('If-Match and If-Unmodified-Since fail with 412; If-None-Match and If-Modified-Since answer 304, in RFC 9110 order', async () => {
    const name = await bucket(c, 'cond');
    const { ETag } = await c.s3.send(new S3.PutObjectCommand({ Bucket: name, Key: 'k', Body: 'conditional' }));
    const head = await c.s3.send(new S3.HeadObjectCommand({ Bucket: name, Key: 'k' }));
    const modified = head.LastModified!;
    const before = new Date(modified.getTime() - 60_000);
    const after = new Date(modified.getTime() + 60_000);
    const get = (extra: Partial<S3.GetObjectCommandInput>) => c.s3.send(new S3.GetObjectCommand({ Bucket: name, Key: 'k', ...extra }));

    expect(await bodyText((await get({ IfMatch: ETag })).Body)).toBe('conditional');
    expect(await bodyText((await get({ IfMatch: '*', IfNoneMatch: '"other"' })).Body)).toBe('conditional');
    const failed = await s3ErrorOf(get({ IfMatch: '"0123"' }));
    expect(failed).toMatchObject({ code: 'PreconditionFailed', status: 412, message: 'At least one of the pre-conditions you specified did not hold' });
    expect(failed.error).toMatchObject({ Condition: 'If-Match' });
    expect((await s3ErrorOf(get({ IfUnmodifiedSince: before }))).error).toMatchObject({ Condition: 'If-Unmodified-Since' });
    // If-Match holds, so If-Unmodified-Since is not looked at.
    expect(await bodyText((await get({ IfMatch: ETag, IfUnmodifiedSince: before })).Body)).toBe('conditional');

    expect(await s3ErrorOf(get({ IfNoneMatch: ETag }))).toMatchObject({ status: 304 });
    expect(await s3ErrorOf(get({ IfModifiedSince: after }))).toMatchObject({ status: 304 });
    expect(await bodyText((await get({ IfModifiedSince: before })).Body)).toBe('conditional');
    // If-None-Match does not match, so If-Modified-Since is not looked at.
    expect(await bodyText((await get({ IfNoneMatch: '"other"', IfModifiedSince: after })).Body)).toBe('conditional');
    expect(await s3ErrorOf(c.s3.send(new S3.HeadObjectCommand({ Bucket: name, Key: 'k', IfNoneMatch: ETag })))).toMatchObject({ status: 304 });
    expect(await s3ErrorOf(c.s3.send(new S3.HeadObjectCommand({ Bucket: name, Key: 'k', IfMatch: '"nope"' })))).toMatchObject({ status: 412 });
  });
});

describe('conditional writes', () => {
  it('If-None-Match: * writes only a free key, If-Match only over that ETag, on PutObject and CompleteMultipartUpload', async () => {
    const name = await bucket(c, 'condwrite');
    const put = (Body: string, extra: Partial<S3.PutObjectCommandInput>) => c.s3.send(new S3.PutObjectCommand({ Bucket: name, Key: 'lock', Body, ...extra }));
    const body = async () => bodyText((await c.s3.send(new S3.GetObjectCommand({ Bucket: name, Key: 'lock' }))).Body);
    const first = await put('first', { IfNoneMatch: '*' });
    const taken = await s3ErrorOf(put('second', { IfNoneMatch: '*' }));
    expect(taken).toMatchObject({ code: 'PreconditionFailed', status: 412 });
    expect(taken.error).toMatchObject({ Condition: 'If-None-Match' });
    expect(await body()).toBe('first');

    const replaced = await put('third', { IfMatch: first.ETag });
    expect(await body()).toBe('third');
    expect((await s3ErrorOf(put('stale', { IfMatch: first.ETag }))).error).toMatchObject({ Code: 'PreconditionFailed', Condition: 'If-Match' });
    expect(await body()).toBe('third');
    expect(replaced.ETag).not.toBe(first.ETag);
    expect(await s3ErrorOf(c.s3.send(new S3.PutObjectCommand({ Bucket: name, Key: 'absent', Body: 'x', IfMatch: first.ETag })))).toMatchObject({
      code: 'NoSuchKey',
      status: 404,
    });
    expect(await s3ErrorOf(put('odd', { IfNoneMatch: '"abc"' }))).toMatchObject({ code: 'NotImplemented', status: 501 });

    const { UploadId } = await c.s3.send(new S3.CreateMultipartUploadCommand({ Bucket: name, Key: 'lock' }));
    const part = await c.s3.send(new S3.UploadPartCommand({ Bucket: name, Key: 'lock', UploadId, PartNumber: 1, Body: 'from parts' }));
    const complete = (extra: Partial<S3.CompleteMultipartUploadCommandInput>) =>
      c.s3.send(
        new S3.CompleteMultipartUploadCommand({ Bucket: name, Key: 'lock', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] }, ...extra }),
      );
    expect(await s3ErrorOf(complete({ IfNoneMatch: '*' }))).toMatchObject({ code: 'PreconditionFailed', status: 412 });
    expect(await body()).toBe('third');
    // The refused Complete left the upload open: a Complete over the current ETag succeeds.
    await complete({ IfMatch: replaced.ETag });
    expect(await body()).toBe('from parts');
  });
});

describe('copy-source conditions', () => {
  it('CopyObject and UploadPartCopy copy only when every x-amz-copy-source-if-* condition holds, else 412', async () => {
    const name = await bucket(c, 'copycond');
    const { ETag } = await c.s3.send(new S3.PutObjectCommand({ Bucket: name, Key: 'src', Body: 'copy me' }));
    const modified = (await c.s3.send(new S3.HeadObjectCommand({ Bucket: name, Key: 'src' }))).LastModified!;
    const before = new Date(modified.getTime() - 60_000);
    const after = new Date(modified.getTime() + 60_000);
    const copy = (extra: Partial<S3.CopyObjectCommandInput>) =>
      c.s3.send(new S3.CopyObjectCommand({ Bucket: name, Key: 'dst', CopySource: `${name}/src`, ...extra }));
    for (const [extra, condition] of [
      [{ CopySourceIfMatch: '"0000"' }, 'x-amz-copy-source-If-Match'],
      [{ CopySourceIfUnmodifiedSince: before }, 'x-amz-copy-source-If-Unmodified-Since'],
      [{ CopySourceIfNoneMatch: ETag }, 'x-amz-copy-source-If-None-Match'],
      [{ CopySourceIfModifiedSince: after }, 'x-amz-copy-source-If-Modified-Since'],
    ] as const) {
      const refused = await s3ErrorOf(copy(extra));
      expect(refused, condition).toMatchObject({ code: 'PreconditionFailed', status: 412 });
      expect(refused.error).toMatchObject({ Condition: condition });
    }
    expect(await s3ErrorOf(c.s3.send(new S3.HeadObjectCommand({ Bucket: name, Key: 'dst' })))).toMatchObject({ status: 404 });
    await copy({ CopySourceIfMatch: ETag, CopySourceIfModifiedSince: before });
    expect(await bodyText((await c.s3.send(new S3.GetObjectCommand({ Bucket: name, Key: 'dst' }))).Body)).toBe('copy me');

    const { UploadId } = await c.s3.send(new S3.CreateMultipartUploadCommand({ Bucket: name, Key: 'mpu' }));
    const part = (extra: Partial<S3.UploadPartCopyCommandInput>) =>
      c.s3.send(new S3.UploadPartCopyCommand({ Bucket: name, Key: 'mpu', UploadId, PartNumber: 1, CopySource: `${name}/src`, ...extra }));
    expect(await s3ErrorOf(part({ CopySourceIfNoneMatch: ETag }))).toMatchObject({ code: 'PreconditionFailed', status: 412 });
    expect((await part({ CopySourceIfMatch: ETag })).CopyPartResult?.ETag).toBe(ETag);
  });
});

describe('ListObjects (version 1)', () => {
  it('lists with the owner, pages by marker, and resumes after a common prefix given as NextMarker', async () => {
    const name = await bucket(c, 'v1');
    for (const key of ['a', 'b/1', 'b/2', 'c', 'd e']) await c.s3.send(new S3.PutObjectCommand({ Bucket: name, Key: key, Body: key }));
    const all = await c.s3.send(new S3.ListObjectsCommand({ Bucket: name }));
    expect(all).toMatchObject({ Name: name, Prefix: '', Marker: '', MaxKeys: 1000, IsTruncated: false });
    expect(all.Contents?.map((o) => o.Key)).toEqual(['a', 'b/1', 'b/2', 'c', 'd e']);
    expect(all.Contents?.[0]).toMatchObject({ Size: 1, StorageClass: 'STANDARD', Owner: { ID: '000000000000' } });

    // Without a delimiter there is no NextMarker: the client resumes after the last key it got.
    const first = await c.s3.send(new S3.ListObjectsCommand({ Bucket: name, MaxKeys: 2 }));
    expect(first.IsTruncated).toBe(true);
    expect(first.NextMarker).toBeUndefined();
    const second = await c.s3.send(new S3.ListObjectsCommand({ Bucket: name, MaxKeys: 2, Marker: first.Contents!.at(-1)!.Key }));
    expect(second.Contents?.map((o) => o.Key)).toEqual(['b/2', 'c']);

    const rolled = await c.s3.send(new S3.ListObjectsCommand({ Bucket: name, Delimiter: '/', MaxKeys: 2 }));
    expect(rolled.Contents?.map((o) => o.Key)).toEqual(['a']);
    expect(rolled.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['b/']);
    expect(rolled).toMatchObject({ IsTruncated: true, NextMarker: 'b/' });
    const after = await c.s3.send(new S3.ListObjectsCommand({ Bucket: name, Delimiter: '/', Marker: rolled.NextMarker }));
    expect(after.Contents?.map((o) => o.Key)).toEqual(['c', 'd e']);
    expect(after.CommonPrefixes ?? []).toEqual([]);

    const prefixed = await c.s3.send(new S3.ListObjectsCommand({ Bucket: name, Prefix: 'b/' }));
    expect(prefixed.Contents?.map((o) => o.Key)).toEqual(['b/1', 'b/2']);
    const encoded = await c.s3.send(new S3.ListObjectsCommand({ Bucket: name, Prefix: 'd', EncodingType: 'url' }));
    expect(encoded.Contents?.map((o) => o.Key)).toEqual(['d+e']);
    expect(await s3ErrorOf(c.s3.send(new S3.ListObjectsCommand({ Bucket: name, MaxKeys: -1 })))).toMatchObject({ code: 'InvalidArgument', status: 400 });
  });
});

describe('bucket encryption configuration', () => {
  const aes256 = { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' as const } };

  it('is SSE-S3 for every bucket; Put with AES256 and Delete keep it, Put asking for KMS is NotImplemented', async () => {
    const name = await bucket(c, 'enc');
    const rulesOf = async () =>
      (await c.s3.send(new S3.GetBucketEncryptionCommand({ Bucket: name }))).ServerSideEncryptionConfiguration?.Rules;
    expect(await rulesOf()).toEqual([{ ...aes256, BucketKeyEnabled: false }]);
    await c.s3.send(new S3.PutBucketEncryptionCommand({ Bucket: name, ServerSideEncryptionConfiguration: { Rules: [aes256] } }));
    expect(await rulesOf()).toEqual([{ ...aes256, BucketKeyEnabled: false }]);
    const kms = await s3ErrorOf(
      c.s3.send(
        new S3.PutBucketEncryptionCommand({
          Bucket: name,
          ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }] },
        }),
      ),
    );
    expect(kms).toMatchObject({ code: 'NotImplemented', status: 501 });
    const deleted = await c.s3.send(new S3.DeleteBucketEncryptionCommand({ Bucket: name }));
    expect(deleted.$metadata.httpStatusCode).toBe(204);
    expect(await rulesOf()).toEqual([{ ...aes256, BucketKeyEnabled: false }]);
    expect(await s3ErrorOf(c.s3.send(new S3.GetBucketEncryptionCommand({ Bucket: bucketName('missing') })))).toMatchObject({
      code: 'NoSuchBucket',
      status: 404,
    });
  });
});

describe('the wire', () => {
  /** A raw request signed by sealq's own SigV4 signer; `host` is what the Host header says, the socket goes to the server. */
  function rawRequest(method: string, host: string, pathAndQuery: string, options: { body?: string; signedBody?: string } = {}) {
    const port = new URL(server.url).port;
    const body = options.body ?? '';
    const signedBody = options.signedBody ?? body;
    const url = new URL(`http://${host}:${port}${pathAndQuery}`);
    const headers = signRequest({
      method,
      url,
      headers: { 'x-amz-content-sha256': createHash('sha256').update(signedBody).digest('hex') },
      body: signedBody,
      accessKeyId: testCredentials.accessKeyId,
      secretAccessKey: testCredentials.secretAccessKey,
      region: 'us-east-1',
      service: 's3',
      now: Date.now(),
    });
    return new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path: pathAndQuery, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  it('a virtual-hosted request (Host: <bucket>.localhost) reaches the bucket', async () => {
    const name = await bucket(c, 'vhost');
    const put = await rawRequest('PUT', `${name}.localhost`, '/greeting.txt', { body: 'hi from a virtual host' });
    expect(put.status).toBe(200);
    const got = await c.s3.send(new S3.GetObjectCommand({ Bucket: name, Key: 'greeting.txt' }));
    expect(await bodyText(got.Body)).toBe('hi from a virtual host');
    const listed = await rawRequest('GET', `${name}.localhost`, '/?list-type=2&prefix=greet');
    expect(listed.status).toBe(200);
    expect(listed.body).toContain(`<Name>${name}</Name>`);
    expect(listed.body).toContain('<Key>greeting.txt</Key>');
    const missing = await rawRequest('GET', `${name}.localhost`, '/nothing-here');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatch(/<Error><Code>NoSuchKey<\/Code><Message>The specified key does not exist.<\/Message><Key>nothing-here<\/Key><RequestId>[^<]+<\/RequestId><HostId>[^<]+<\/HostId><\/Error>/);
  });

  it('PutBucketEncryption without a rule, or a rule without an algorithm, is MalformedXML', async () => {
    const name = await bucket(c, 'encxml');
    for (const body of [
      '<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></ServerSideEncryptionConfiguration>',
      '<ServerSideEncryptionConfiguration><Rule><BucketKeyEnabled>true</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>',
    ]) {
      const response = await rawRequest('PUT', '127.0.0.1', `/${name}?encryption`, { body });
      expect(response.status).toBe(400);
      expect(response.body).toContain('<Code>MalformedXML</Code>');
    }
  });

  it('a body that does not match its signed x-amz-content-sha256 is refused and nothing is stored', async () => {
    const name = await bucket(c, 'hash');
    const response = await rawRequest('PUT', '127.0.0.1', `/${name}/k`, { body: 'altered', signedBody: 'claimed' });
    expect(response.status).toBe(400);
    expect(response.body).toContain('<Code>XAmzContentSHA256Mismatch</Code>');
    expect((await c.s3.send(new S3.ListObjectsV2Command({ Bucket: name }))).KeyCount).toBe(0);
  });

  it('a wrong secret is SignatureDoesNotMatch; an unknown key is InvalidAccessKeyId', async () => {
    const wrong = new S3.S3Client({ endpoint: server.url, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1, credentials: { ...testCredentials, secretAccessKey: 'nope' } });
    expect(await s3ErrorOf(wrong.send(new S3.ListBucketsCommand({})))).toMatchObject({ code: 'SignatureDoesNotMatch', status: 403 });
    const unknown = new S3.S3Client({ endpoint: server.url, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'x' } });
    expect(await s3ErrorOf(unknown.send(new S3.ListBucketsCommand({})))).toMatchObject({ code: 'InvalidAccessKeyId', status: 403 });
  });
});
