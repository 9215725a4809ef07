/**
 * Shared pieces of the SNS suite: an SNS client (AWS Query protocol, @aws-sdk/client-sns), SQS and
 * KMS clients, queues whose policy admits sns.amazonaws.com, keys with or without a service
 * statement, a bounded poll of a queue (deliveries are asynchronous) and the signature check.
 */
import { createVerify } from 'node:crypto';
import * as Sns from '@aws-sdk/client-sns';
import * as Sqs from '@aws-sdk/client-sqs';
import * as Kms from '@aws-sdk/client-kms';
import type { DeliveryRecord } from '../../../src/services/sns/sns-service.js';
import { errorOf, testCredentials, uniqueName, type TestServer } from '../../support/sealq.js';

export { poll } from '../../support/sealq.js';

export { Sns, Sqs, Kms, errorOf, uniqueName };

export const ACCOUNT = '000000000000';
export const REGION = 'us-east-1';
const ROOT_ARN = `arn:aws:iam::${ACCOUNT}:root`;

export interface Clients {
  sns: Sns.SNSClient;
  sqs: Sqs.SQSClient;
  kms: Kms.KMSClient;
}

export function clientsFor(server: TestServer): Clients {
  const common = { endpoint: server.url, region: REGION, credentials: testCredentials, maxAttempts: 1 };
  return { sns: new Sns.SNSClient(common), sqs: new Sqs.SQSClient(common), kms: new Kms.KMSClient(common) };
}

export async function topic(c: Clients, prefix = 't', attributes?: Record<string, string>): Promise<string> {
  const fifo = attributes?.FifoTopic === 'true';
  const { TopicArn } = await c.sns.send(new Sns.CreateTopicCommand({ Name: uniqueName(prefix) + (fifo ? '.fifo' : ''), Attributes: attributes }));
  return TopicArn!;
}

/** A queue policy admitting sns.amazonaws.com (for `sourceArn` when given). */
export function snsQueuePolicy(queueArn: string, sourceArn?: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        ...(sourceArn ? { Condition: { ArnEquals: { 'aws:SourceArn': sourceArn } } } : {}),
      },
    ],
  });
}

/** A queue (SSE-SQS unless `attributes` say otherwise) whose policy admits sns.amazonaws.com. */
export async function snsQueue(c: Clients, attributes: Record<string, string> = {}, prefix = 'q'): Promise<{ url: string; arn: string }> {
  const name = uniqueName(prefix) + (attributes.FifoQueue === 'true' ? '.fifo' : '');
  const arn = `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
  const { QueueUrl } = await c.sqs.send(
    new Sqs.CreateQueueCommand({ QueueName: name, Attributes: { Policy: snsQueuePolicy(arn), ...attributes } }),
  );
  return { url: QueueUrl!, arn };
}

export async function subscribe(c: Clients, topicArn: string, queueArn: string, attributes?: Record<string, string>): Promise<string> {
  const { SubscriptionArn } = await c.sns.send(
    new Sns.SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn, Attributes: attributes, ReturnSubscriptionArn: true }),
  );
  return SubscriptionArn!;
}

/** The key statement the seed asks for: sns.amazonaws.com may GenerateDataKey and Decrypt. */
export const snsKeyStatement = (condition?: Record<string, unknown>) => ({
  Sid: 'AllowSNS',
  Effect: 'Allow',
  Principal: { Service: 'sns.amazonaws.com' },
  Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
  Resource: '*',
  ...(condition ? { Condition: condition } : {}),
});

export async function keyWith(c: Clients, serviceStatement?: Record<string, unknown>): Promise<string> {
  const statements: Array<Record<string, unknown>> = [
    { Sid: 'Admin', Effect: 'Allow', Principal: { AWS: ROOT_ARN }, Action: 'kms:*', Resource: '*' },
  ];
  if (serviceStatement) statements.push(serviceStatement);
  const { KeyMetadata } = await c.kms.send(new Kms.CreateKeyCommand({ Policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }) }));
  return KeyMetadata!.Arn!;
}

/** Waits (bounded) for the (`skip`+1)-th delivery record of `subscriptionArn` on the in-process server. */
export async function deliveryRecord(server: TestServer, subscriptionArn: string, skip = 0, ms = 5000): Promise<DeliveryRecord | undefined> {
  const end = Date.now() + ms;
  for (;;) {
    const record = server.sealq.snsCore.deliveries.filter((r) => r.subscriptionArn === subscriptionArn)[skip];
    if (record || Date.now() > end) return record;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface Envelope {
  Type: string;
  MessageId: string;
  TopicArn: string;
  Subject?: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: string;
  Signature: string;
  SigningCertURL: string;
  UnsubscribeURL: string;
  SequenceNumber?: string;
  MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

/** AWS's canonical string for a Notification, as a subscriber builds it to verify the signature. */
export function canonical(e: Envelope): string {
  let text = `Message\n${e.Message}\nMessageId\n${e.MessageId}\n`;
  if (e.Subject !== undefined) text += `Subject\n${e.Subject}\n`;
  return text + `Timestamp\n${e.Timestamp}\nTopicArn\n${e.TopicArn}\nType\n${e.Type}\n`;
}

/** Verifies the envelope's signature against the certificate fetched from its SigningCertURL. */
export async function verifySignature(e: Envelope): Promise<boolean> {
  const response = await fetch(e.SigningCertURL);
  if (response.status !== 200) throw new Error(`SigningCertURL answered ${response.status}`);
  const certificate = await response.text();
  const algorithm = e.SignatureVersion === '2' ? 'RSA-SHA256' : 'RSA-SHA1';
  return createVerify(algorithm).update(canonical(e), 'utf8').verify(certificate, e.Signature, 'base64');
}
