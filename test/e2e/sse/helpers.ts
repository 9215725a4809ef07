/**
 * Shared pieces of the server-side encryption suite: KMS keys made through @aws-sdk/client-kms, the
 * seed document's producer and consumer IAM policies, users and their SQS clients, a counter of the
 * KMS calls SQS makes on their behalf, and the KMS.* error as both SQS protocols carry it.
 */
import { Readable } from 'node:stream';
import { expect } from 'vitest';
import * as Kms from '@aws-sdk/client-kms';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { KmsCallRecord } from '../../../src/services/kms/kms-service.js';
import { errorOf, testCredentials, uniqueName, type Sdk, type TestServer, type WireError } from '../../support/sealq.js';
import { REGION, createUserWithKey, iamAs, makeQueue, sqsAs, type Credentials } from '../identity/helpers.js';

export { Kms };

export const ACCOUNT = '000000000000';
export const ROOT_ARN = `arn:aws:iam::${ACCOUNT}:root`;
/** The reuse period the time-driven tests give their queues: the minimum, 60 s. */
export const REUSE_SECONDS = 60;

export const kmsAs = (url: string, credentials: Credentials = testCredentials): Kms.KMSClient =>
  new Kms.KMSClient({ endpoint: url, region: REGION, credentials, maxAttempts: 1 });

/** A customer managed key with the default key policy (it delegates to the account's IAM policies). */
export async function newKey(server: TestServer): Promise<{ keyId: string; arn: string }> {
  const { KeyMetadata } = await kmsAs(server.url).send(new Kms.CreateKeyCommand({ Description: 'sse test key' }));
  return { keyId: KeyMetadata!.KeyId!, arn: KeyMetadata!.Arn! };
}

/** The seed's producer policy, verbatim but for the account, region, key and queue name. */
export function seedProducerPolicy(keyArn: string, queueName: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: keyArn },
      { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: `arn:aws:sqs:*:${ACCOUNT}:${queueName}` },
    ],
  });
}

/** The seed's consumer policy, verbatim but for the account, region, key and queue name. */
export function seedConsumerPolicy(keyArn: string, queueName: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['kms:Decrypt'], Resource: keyArn },
      { Effect: 'Allow', Action: ['sqs:ReceiveMessage'], Resource: `arn:aws:sqs:*:${ACCOUNT}:${queueName}` },
    ],
  });
}

/** One policy with the given KMS actions on the given keys and SQS actions on the queue (none when empty). */
export function grantPolicy(kmsActions: string[], keyArns: string[], sqsActions: string[], queueArn: string): string {
  const statements: Array<Record<string, unknown>> = [];
  if (kmsActions.length && keyArns.length) statements.push({ Effect: 'Allow', Action: kmsActions, Resource: keyArns });
  if (sqsActions.length) statements.push({ Effect: 'Allow', Action: sqsActions, Resource: queueArn });
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

export interface Actor {
  name: string;
  arn: string;
  credentials: Credentials;
  sqs: SQSClient;
}

/** An IAM user (inline policy `inline`, when given) with an SQS client over the given protocol. */
export async function userWith(server: TestServer, sdk: Sdk, inline?: string, prefix = 'u'): Promise<Actor> {
  const name = uniqueName(prefix);
  const user = await createUserWithKey(iamAs(server.url), name, inline);
  return { name, arn: user.arn, credentials: user.credentials, sqs: sqsAs(sdk, server.url, user.credentials) };
}

/** A queue made by the account's root with the given attributes (FIFO names end in .fifo); `name` is its name. */
export async function sseQueue(server: TestServer, sdk: Sdk, attributes: Record<string, string>, prefix = 'sse') {
  const name = uniqueName(prefix) + (attributes.FifoQueue === 'true' ? '.fifo' : '');
  const q = await makeQueue(sdk, sqsAs(sdk, server.url), name, attributes);
  return { ...q, name };
}

/** SSE-KMS attributes with the given key and the test reuse period. */
export const kmsAttributes = (keyId: string, reuse = REUSE_SECONDS): Record<string, string> => ({
  KmsMasterKeyId: keyId,
  KmsDataKeyReusePeriodSeconds: String(reuse),
});

export const sendBody = (sdk: Sdk, client: SQSClient, url: string, body: string) =>
  client.send(new sdk.SendMessageCommand({ QueueUrl: url, MessageBody: body }));

/** Receives (up to 10) with a 30 s visibility timeout; returns the bodies, sorted, and the messages. */
export async function receiveBodies(sdk: Sdk, client: SQSClient, url: string) {
  const { Messages = [] } = await client.send(
    new sdk.ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 30 }),
  );
  return { bodies: Messages.map((m) => m.Body!).sort(), messages: Messages };
}

/** Receives and deletes (as the root) everything the client can see now; returns the bodies, sorted. */
export async function drain(sdk: Sdk, server: TestServer, client: SQSClient, url: string): Promise<string[]> {
  const { bodies, messages } = await receiveBodies(sdk, client, url);
  const root = sqsAs(sdk, server.url);
  for (const m of messages) await root.send(new sdk.DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle! }));
  return bodies;
}

/**
 * Records every KMS call from here on, by wrapping the KMS service's `onCall` hook (the audit log
 * it already feeds keeps working). `via` keeps only the calls SQS made on a requester's behalf.
 */
export function meterKms(server: TestServer) {
  const kms = server.sealq.identity.kms;
  const records: KmsCallRecord[] = [];
  const previous = kms.onCall;
  kms.onCall = (record) => {
    previous(record);
    records.push(record);
  };
  return {
    records,
    reset: () => void records.splice(0),
    /** Calls made through SQS, as `operation principal` strings, optionally for one key. */
    viaSqs: (keyArn?: string) =>
      records
        .filter((r) => r.invokedBy === 'sqs.amazonaws.com' && (keyArn === undefined || r.keyArn === keyArn))
        .map((r) => `${r.operation} ${r.principal}${r.errorCode ? ` ${r.errorCode}` : ''}`),
    restore: () => {
      kms.onCall = previous;
    },
  };
}

/** Expects a KMS.* error as the SQS clients of both protocols see it: query code, HTTP status and message start. */
export async function expectKmsError(
  promise: Promise<unknown>,
  code: string,
  messageStart?: string,
  status = 400,
): Promise<WireError> {
  const error = await errorOf(promise);
  expect({ code: error.code, status: error.status }).toEqual({ code, status });
  if (messageStart !== undefined) expect(error.message.startsWith(messageStart), error.message).toBe(true);
  return error;
}

/** The start of KMS's access-denied message, as SQS passes it through. */
export const kmsDenied = (principalArn: string, action: string, keyArn: string) =>
  `User: ${principalArn} is not authorized to perform: kms:${action} on resource: ${keyArn}`;

/** The last raw HTTP response a client received (status, headers, body text), for wire-shape checks. */
export interface RawResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
}

/** Records every raw response `client` receives, below the SDK's deserializer, leaving the body readable. */
export function captureRaw(client: SQSClient): RawResponse {
  const seen: RawResponse = {};
  const stack = client.middlewareStack as unknown as {
    add(middleware: unknown, options: { step: string; priority: string; name: string }): void;
  };
  stack.add(
    (next: (args: unknown) => Promise<{ response: { statusCode: number; headers: Record<string, string>; body: AsyncIterable<Uint8Array> | Readable } }>) =>
      async (args: unknown) => {
        const out = await next(args);
        const chunks: Buffer[] = [];
        for await (const chunk of out.response.body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
        const bytes = Buffer.concat(chunks);
        seen.status = out.response.statusCode;
        seen.headers = out.response.headers;
        seen.body = bytes.toString('utf8');
        out.response.body = Readable.from([bytes]);
        return out;
      },
    { step: 'deserialize', priority: 'low', name: 'sseCaptureRaw' },
  );
  return seen;
}
