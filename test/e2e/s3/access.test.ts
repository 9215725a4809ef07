/**
 * Every S3 action is authorized by the policy engine as the caller: an IAM user without a policy
 * is refused (AccessDenied, 403), a policy naming s3 actions and bucket/object ARNs lets exactly
 * that through, and another account cannot reach a bucket it does not own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/sealq.js';
import { Iam, S3, bodyText, bucket, clientsFor, s3ErrorOf, uniqueName, type Clients } from './helpers.js';

let server: TestServer;
let c: Clients;

const B = '111111111111';
const bRoot = { accessKeyId: 'AKIABBBBROOT00000001', secretAccessKey: 'account-b-root-secret-000000000000000000' };

beforeAll(async () => {
  server = await startTestServer({
    accounts: JSON.stringify([{ id: B, rootAccessKeyId: bRoot.accessKeyId, rootSecretAccessKey: bRoot.secretAccessKey }]),
  });
  c = clientsFor(server);
});
afterAll(async () => {
  await server.stop();
});

async function user(policy?: Record<string, unknown>): Promise<{ s3: S3.S3Client; arn: string }> {
  const name = uniqueName('s3user');
  const { User } = await c.iam.send(new Iam.CreateUserCommand({ UserName: name }));
  const { AccessKey } = await c.iam.send(new Iam.CreateAccessKeyCommand({ UserName: name }));
  if (policy) await c.iam.send(new Iam.PutUserPolicyCommand({ UserName: name, PolicyName: 's3', PolicyDocument: JSON.stringify(policy) }));
  const credentials = { accessKeyId: AccessKey!.AccessKeyId!, secretAccessKey: AccessKey!.SecretAccessKey! };
  return { s3: clientsFor(server, credentials).s3, arn: User!.Arn! };
}

describe('authorization', () => {
  it('a user without a policy is refused every action with AccessDenied', async () => {
    const name = await bucket(c, 'private');
    await c.s3.send(new S3.PutObjectCommand({ Bucket: name, Key: 'k', Body: 'secret' }));
    const nobody = await user();
    const denied = await s3ErrorOf(nobody.s3.send(new S3.GetObjectCommand({ Bucket: name, Key: 'k' })));
    expect(denied).toMatchObject({ code: 'AccessDenied', status: 403 });
    expect(denied.message).toContain(`User: ${nobody.arn} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::${name}/k"`);
    for (const call of [
      () => nobody.s3.send(new S3.PutObjectCommand({ Bucket: name, Key: 'k2', Body: 'x' })),
      () => nobody.s3.send(new S3.ListObjectsV2Command({ Bucket: name })),
      () => nobody.s3.send(new S3.ListObjectsCommand({ Bucket: name })),
      () => nobody.s3.send(new S3.DeleteObjectCommand({ Bucket: name, Key: 'k' })),
      () => nobody.s3.send(new S3.ListBucketsCommand({})),
      () => nobody.s3.send(new S3.CreateBucketCommand({ Bucket: uniqueName('nope').toLowerCase() })),
      () => nobody.s3.send(new S3.GetBucketNotificationConfigurationCommand({ Bucket: name })),
      () => nobody.s3.send(new S3.PutBucketNotificationConfigurationCommand({ Bucket: name, NotificationConfiguration: {} })),
      () => nobody.s3.send(new S3.GetBucketEncryptionCommand({ Bucket: name })),
      () => nobody.s3.send(new S3.DeleteBucketEncryptionCommand({ Bucket: name })),
      () => nobody.s3.send(new S3.ListPartsCommand({ Bucket: name, Key: 'k', UploadId: 'any' })),
      () => nobody.s3.send(new S3.ListMultipartUploadsCommand({ Bucket: name })),
    ]) {
      expect(await s3ErrorOf(call())).toMatchObject({ code: 'AccessDenied', status: 403 });
    }
    // HEAD errors carry no body, only the status.
    expect(await s3ErrorOf(nobody.s3.send(new S3.HeadObjectCommand({ Bucket: name, Key: 'k' })))).toMatchObject({ status: 403 });
    // DeleteObjects reports the refusal per key.
    const result = await nobody.s3.send(new S3.DeleteObjectsCommand({ Bucket: name, Delete: { Objects: [{ Key: 'k' }] } }));
    expect(result.Errors).toEqual([expect.objectContaining({ Key: 'k', Code: 'AccessDenied' })]);
    expect(await bodyText((await c.s3.send(new S3.GetObjectCommand({ Bucket: name, Key: 'k' }))).Body)).toBe('secret');
  });

  it('a policy allowing s3:GetObject on one prefix lets exactly that through', async () => {
    const name = await bucket(c, 'partial');
    await c.s3.send(new S3.PutObjectCommand({ Bucket: name, Key: 'public/a', Body: 'A' }));
    await c.s3.send(new S3.PutObjectCommand({ Bucket: name, Key: 'private/b', Body: 'B' }));
    const reader = await user({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${name}/public/*` },
        { Effect: 'Allow', Action: 's3:ListBucket', Resource: `arn:aws:s3:::${name}` },
        { Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: 'arn:aws:s3:::*' },
      ],
    });
    expect((await reader.s3.send(new S3.ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toContain(name);
    expect(await bodyText((await reader.s3.send(new S3.GetObjectCommand({ Bucket: name, Key: 'public/a' }))).Body)).toBe('A');
    expect((await reader.s3.send(new S3.ListObjectsV2Command({ Bucket: name }))).KeyCount).toBe(2);
    expect(await s3ErrorOf(reader.s3.send(new S3.GetObjectCommand({ Bucket: name, Key: 'private/b' })))).toMatchObject({ code: 'AccessDenied' });
    expect(await s3ErrorOf(reader.s3.send(new S3.PutObjectCommand({ Bucket: name, Key: 'public/c', Body: 'C' })))).toMatchObject({ code: 'AccessDenied' });
    // CopyObject needs s3:GetObject on the source and s3:PutObject on the target.
    expect(await s3ErrorOf(reader.s3.send(new S3.CopyObjectCommand({ Bucket: name, Key: 'public/copy', CopySource: `${name}/public/a` })))).toMatchObject({
      code: 'AccessDenied',
    });
    // With s3:ListBucket a missing key is NoSuchKey.
    expect(await s3ErrorOf(reader.s3.send(new S3.GetObjectCommand({ Bucket: name, Key: 'public/none' })))).toMatchObject({ code: 'NoSuchKey' });
  });

  it('UploadPartCopy needs s3:PutObject on the upload and s3:GetObject on the source', async () => {
    const name = await bucket(c, 'partcopy');
    await c.s3.send(new S3.PutObjectCommand({ Bucket: name, Key: 'secret/src', Body: 'source bytes' }));
    await c.s3.send(new S3.PutObjectCommand({ Bucket: name, Key: 'open/src', Body: 'open bytes' }));
    const writer = await user({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 's3:PutObject', Resource: `arn:aws:s3:::${name}/uploads/*` },
        { Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${name}/open/*` },
      ],
    });
    const { UploadId } = await writer.s3.send(new S3.CreateMultipartUploadCommand({ Bucket: name, Key: 'uploads/u' }));
    const copy = (source: string) =>
      writer.s3.send(new S3.UploadPartCopyCommand({ Bucket: name, Key: 'uploads/u', UploadId, PartNumber: 1, CopySource: `${name}/${source}` }));
    const denied = await s3ErrorOf(copy('secret/src'));
    expect(denied).toMatchObject({ code: 'AccessDenied', status: 403 });
    expect(denied.message).toContain(`s3:GetObject on resource: "arn:aws:s3:::${name}/secret/src"`);
    expect((await copy('open/src')).CopyPartResult?.ETag).toBeTruthy();
  });

  it('another account cannot use a bucket it does not own, nor take its name (bucket names are global)', async () => {
    const name = await bucket(c, 'owned');
    await c.s3.send(new S3.PutObjectCommand({ Bucket: name, Key: 'k', Body: 'mine' }));
    const other = clientsFor(server, bRoot).s3;
    for (const call of [
      () => other.send(new S3.GetObjectCommand({ Bucket: name, Key: 'k' })),
      () => other.send(new S3.PutObjectCommand({ Bucket: name, Key: 'k', Body: 'theirs' })),
      () => other.send(new S3.ListObjectsV2Command({ Bucket: name })),
      () => other.send(new S3.DeleteBucketCommand({ Bucket: name })),
    ]) {
      expect(await s3ErrorOf(call())).toMatchObject({ code: 'AccessDenied', status: 403 });
    }
    expect(await s3ErrorOf(other.send(new S3.CreateBucketCommand({ Bucket: name })))).toMatchObject({ code: 'BucketAlreadyExists', status: 409 });
    expect((await other.send(new S3.ListBucketsCommand({}))).Buckets?.map((b) => b.Name) ?? []).not.toContain(name);
    expect(await bodyText((await c.s3.send(new S3.GetObjectCommand({ Bucket: name, Key: 'k' }))).Body)).toBe('mine');
  });
});
