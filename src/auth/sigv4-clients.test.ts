/** Requests exactly as the SQS clients (JSON and Query protocol) put them on the wire verify. */
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import * as QuerySqs from '@aws-sdk/client-sqs-query';
import { buildQueryString } from '@smithy/querystring-builder';
import type { HttpRequest } from '@smithy/protocol-http';
import { describe, expect, it } from 'vitest';
import { verifySignature, type SignedHttpRequest } from './sigv4.js';

const credentials = {
  accessKeyId: 'ASIASEALQCLIENTTEST1',
  secretAccessKey: 'client/secret+key/0123456789abcdefghijkl',
  sessionToken: 'FwoGZXIvYXdzEJr//////////wEaDsealq+client/token==',
};
const lookup = (id: string) => (id === credentials.accessKeyId ? credentials : undefined);

/** A request handler that keeps the outgoing request and answers nothing. */
function capturing() {
  const sent: HttpRequest[] = [];
  return {
    sent,
    requestHandler: {
      handle: async (request: HttpRequest) => {
        sent.push(request);
        throw new Error('captured');
      },
    },
  };
}

/** The JSON client's body is a Uint8Array that also acts as a string; read its bytes directly. */
function bytesOf(body: unknown): Buffer {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return Buffer.alloc(0);
}

function onTheWire(request: HttpRequest): SignedHttpRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
  return {
    method: request.method,
    path: request.path,
    query: buildQueryString(request.query),
    headers,
    body: bytesOf(request.body),
  };
}

const config = (requestHandler: unknown) => ({
  region: 'us-east-1',
  endpoint: 'http://127.0.0.1:9324',
  credentials,
  maxAttempts: 1,
  requestHandler: requestHandler as never,
});

describe('SigV4 verification of real SQS client requests', () => {
  it('verifies a JSON-protocol SendMessage from @aws-sdk/client-sqs', async () => {
    const capture = capturing();
    const client = new SQSClient(config(capture.requestHandler));
    await expect(
      client.send(new SendMessageCommand({ QueueUrl: 'http://127.0.0.1:9324/000000000000/orders', MessageBody: 'ünïcode & spaces' })),
    ).rejects.toThrow('captured');
    const request = onTheWire(capture.sent[0]);
    expect(request.headers['x-amz-target']).toBe('AmazonSQS.SendMessage');
    const result = verifySignature(request, lookup, { now: Date.now(), service: 'sqs' });
    expect(result).toMatchObject({ accessKeyId: credentials.accessKeyId, region: 'us-east-1', service: 'sqs', form: 'header' });
  });

  it('verifies a Query-protocol SendMessage from an older @aws-sdk/client-sqs', async () => {
    const capture = capturing();
    const client = new QuerySqs.SQSClient(config(capture.requestHandler));
    await expect(
      client.send(
        new QuerySqs.SendMessageCommand({ QueueUrl: 'http://127.0.0.1:9324/000000000000/orders', MessageBody: 'a+b=c&d ünïcode' }),
      ),
    ).rejects.toThrow('captured');
    const request = onTheWire(capture.sent[0] as unknown as HttpRequest);
    expect(request.body.toString()).toContain('Action=SendMessage');
    expect(verifySignature(request, lookup, { now: Date.now(), service: 'sqs' }).form).toBe('header');
  });
});
