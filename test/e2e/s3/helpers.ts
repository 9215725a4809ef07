/**
 * Shared pieces of the S3 suite: an S3 client (REST-XML, @aws-sdk/client-s3, path-style), SQS,
 * KMS and IAM clients, queues whose policy admits s3.amazonaws.com, keys with or without an S3
 * statement, and a bounded wait for the service's notification records.
 */
import * as Iam from '@aws-sdk/client-iam';
import * as Kms from '@aws-sdk/client-kms';
import * as S3 from '@aws-sdk/client-s3';
import * as Sqs from '@aws-sdk/client-sqs';
import type { S3DeliveryRecord } from '../../../src/services/s3/s3-service.js';
import { testCredentials, uniqueName, type TestServer } from '../../support/sealq.js';

export { poll } from '../../support/sealq.js';
export { Iam, Kms, S3, Sqs, uniqueName };

export const ACCOUNT = '000000000000';
export const REGION = 'us-east-1';
const ROOT_ARN = `arn:aws:iam::${ACCOUNT}:root`;

export interface Clients {
  s3: S3.S3Client;
  sqs: Sqs.SQSClient;
  kms: Kms.KMSClient;
  iam: Iam.IAMClient;
}

export function clientsFor(server: TestServer, credentials = testCredentials): Clients {
  const common = { endpoint: server.url, region: REGION, credentials, maxAttempts: 1 };
  return {
    s3: new S3.S3Client({ ...common, forcePathStyle: true }),
    sqs: new Sqs.SQSClient(common),
    kms: new Kms.KMSClient(common),
    iam: new Iam.IAMClient(common),
  };
}

/** A bucket name no other test uses (lower case, as S3 wants). */
export const bucketName = (prefix = 'b'): string => uniqueName(prefix).toLowerCase();

export async function bucket(c: Clients, prefix = 'b'): Promise<string> {
  const name = bucketName(prefix);
  await c.s3.send(new S3.CreateBucketCommand({ Bucket: name }));
  return name;
}

/** An SDK error reduced to S3's code, status and message. */
export async function s3ErrorOf(promise: Promise<unknown>): Promise<{ code: string; status: number | undefined; message: string; error: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { Code?: string; name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { code: e.Code ?? e.name, status: e.$metadata?.httpStatusCode, message: e.message, error: error as Record<string, unknown> };
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** A queue policy admitting s3.amazonaws.com (for `bucket` when given, via aws:SourceArn and aws:SourceAccount). */
export function s3QueuePolicy(queueArn: string, bucketArn?: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 's3.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        ...(bucketArn ? { Condition: { ArnEquals: { 'aws:SourceArn': bucketArn }, StringEquals: { 'aws:SourceAccount': ACCOUNT } } } : {}),
      },
    ],
  });
}

export async function queue(c: Clients, attributes: Record<string, string> = {}, prefix = 'q'): Promise<{ url: string; arn: string }> {
  const name = uniqueName(prefix);
  const arn = `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
  const { QueueUrl } = await c.sqs.send(new Sqs.CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  return { url: QueueUrl!, arn };
}

/** The key statement S3 needs to deliver into an SSE-KMS queue. */
export const s3KeyStatement = (condition?: Record<string, unknown>) => ({
  Sid: 'AllowS3',
  Effect: 'Allow',
  Principal: { Service: 's3.amazonaws.com' },
  Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
  Resource: '*',
  ...(condition ? { Condition: condition } : {}),
});

export const keyPolicy = (serviceStatement?: Record<string, unknown>): string =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: 'Admin', Effect: 'Allow', Principal: { AWS: ROOT_ARN }, Action: 'kms:*', Resource: '*' }, ...(serviceStatement ? [serviceStatement] : [])],
  });

export async function keyWith(c: Clients, serviceStatement?: Record<string, unknown>): Promise<string> {
  const { KeyMetadata } = await c.kms.send(new Kms.CreateKeyCommand({ Policy: keyPolicy(serviceStatement) }));
  return KeyMetadata!.Arn!;
}

/** A notification configuration sending `events` on keys under `prefix`/`suffix` to `queueArn`. */
export function queueConfiguration(queueArn: string, events: string[], filter: { prefix?: string; suffix?: string } = {}, id?: string): S3.QueueConfiguration {
  const rules = [
    ...(filter.prefix !== undefined ? [{ Name: 'prefix' as const, Value: filter.prefix }] : []),
    ...(filter.suffix !== undefined ? [{ Name: 'suffix' as const, Value: filter.suffix }] : []),
  ];
  return { Id: id, QueueArn: queueArn, Events: events as S3.Event[], ...(rules.length > 0 ? { Filter: { Key: { FilterRules: rules } } } : {}) };
}

/** Waits (bounded) until `count` notification records for `bucket` exist on the in-process server. */
export async function deliveries(server: TestServer, bucket: string, count: number, ms = 5000): Promise<S3DeliveryRecord[]> {
  const end = Date.now() + ms;
  for (;;) {
    const records = server.sealq.s3Core.deliveries.filter((r) => r.bucket === bucket);
    if (records.length >= count || Date.now() > end) return records;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function bodyText(body: unknown): Promise<string> {
  return (body as { transformToString(): Promise<string> }).transformToString();
}
