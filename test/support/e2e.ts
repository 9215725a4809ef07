import { createHash } from 'node:crypto';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { uniqueName, type Sdk } from './sealq.js';

/** Creates a queue with a fresh name (FIFO when the name should end in .fifo) and returns its URL. */
export async function createQueue(
  client: SQSClient,
  sdk: Sdk,
  attributes: Record<string, string> = {},
  name?: string,
): Promise<string> {
  const fifo = attributes.FifoQueue === 'true';
  const queueName = name ?? uniqueName(fifo ? 'f' : 'q') + (fifo ? '.fifo' : '');
  const { QueueUrl } = await client.send(new sdk.CreateQueueCommand({ QueueName: queueName, Attributes: attributes }));
  return QueueUrl!;
}

export async function queueArn(client: SQSClient, sdk: Sdk, queueUrl: string): Promise<string> {
  const { Attributes } = await client.send(
    new sdk.GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  return Attributes!.QueueArn!;
}

export async function queueAttributes(
  client: SQSClient,
  sdk: Sdk,
  queueUrl: string,
  names: string[] = ['All'],
): Promise<Record<string, string>> {
  const { Attributes } = await client.send(
    new sdk.GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: names as never }),
  );
  return Attributes ?? {};
}

/** Receives everything currently visible (up to `max`), hiding it for `visibility` seconds. */
export async function receiveAll(
  client: SQSClient,
  sdk: Sdk,
  queueUrl: string,
  options: { visibility?: number; attributeNames?: string[]; max?: number } = {},
) {
  const { Messages } = await client.send(
    new sdk.ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: options.max ?? 10,
      VisibilityTimeout: options.visibility,
      AttributeNames: options.attributeNames as never,
    }),
  );
  return Messages ?? [];
}

/**
 * An independent reference implementation of SQS's attribute digest (sorted names; 4-byte
 * big-endian length-prefixed name, data type and value; transport byte 1 for String/Number,
 * 2 for Binary), used to check MD5OfMessageAttributes / MD5OfMessageSystemAttributes.
 */
export function referenceAttributeMd5(
  attributes: Record<string, { DataType: string; StringValue?: string; BinaryValue?: Uint8Array }>,
): string {
  const hash = createHash('md5');
  const withLength = (bytes: Uint8Array) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hash.update(length);
    hash.update(bytes);
  };
  for (const name of Object.keys(attributes).sort()) {
    const a = attributes[name];
    withLength(Buffer.from(name, 'utf8'));
    withLength(Buffer.from(a.DataType, 'utf8'));
    if (a.BinaryValue) {
      hash.update(Uint8Array.of(2));
      withLength(a.BinaryValue);
    } else {
      hash.update(Uint8Array.of(1));
      withLength(Buffer.from(a.StringValue ?? '', 'utf8'));
    }
  }
  return hash.digest('hex');
}

export const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

/** A SigV4-shaped Authorization header that only a server in permissive mode accepts. */
export const fakeAuthorization =
  'AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host;x-amz-date, Signature=' +
  'a'.repeat(64);

export const signedHeaders = (extra: Record<string, string> = {}): Record<string, string> => ({
  authorization: fakeAuthorization,
  'x-amz-date': '20260101T000000Z',
  ...extra,
});

/** A raw AWS JSON 1.0 call. */
export function jsonCall(url: string, action: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: signedHeaders({
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `AmazonSQS.${action}`,
      ...headers,
    }),
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** A raw AWS Query call (form POST). */
export function queryCall(url: string, params: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: signedHeaders({ 'content-type': 'application/x-www-form-urlencoded', ...headers }),
    body: new URLSearchParams({ Version: '2012-11-05', ...params }).toString(),
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 5000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}
