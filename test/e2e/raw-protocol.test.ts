import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonCall, md5, queryCall, signedHeaders } from '../support/e2e.js';
import { startTestServer, uniqueName, type TestServer } from '../support/sealq.js';

// Hand-built requests: what the SDKs hide (headers, bodies, framing errors).
let server: TestServer;
let queueName: string;
let queueUrl: string;
beforeAll(async () => {
  // Wire-shape tests with hand-built, unverifiable signatures: the permissive mode test rigs use.
  server = await startTestServer({ auth: 'permissive' });
  queueName = uniqueName('raw');
  const res = await jsonCall(server.url, 'CreateQueue', { QueueName: queueName });
  queueUrl = ((await res.json()) as { QueueUrl: string }).QueueUrl;
});
afterAll(async () => {
  await server.stop();
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const JSON_TYPE = 'application/x-amz-json-1.0';
/** The parts of a Query <ErrorResponse>. */
const xmlError = (text: string) => ({
  type: /<Error><Type>([^<]*)<\/Type>/.exec(text)?.[1],
  code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1],
  message: /<Message>([^<]*)<\/Message>/.exec(text)?.[1],
  requestId: /<\/Error><RequestId>([^<]*)<\/RequestId><\/ErrorResponse>$/.exec(text)?.[1],
});

describe('AWS JSON 1.0 on the wire', () => {
  it('answers success with the JSON content type and a request id', async () => {
    const res = await jsonCall(server.url, 'GetQueueUrl', { QueueName: queueName });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(JSON_TYPE);
    expect(res.headers.get('x-amzn-requestid')).toMatch(UUID);
    expect(await res.json()).toEqual({ QueueUrl: queueUrl });
  });

  it('answers errors with __type, message and the x-amzn-query-error header', async () => {
    const res = await jsonCall(server.url, 'GetQueueUrl', { QueueName: uniqueName('missing') });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe(JSON_TYPE);
    expect(res.headers.get('x-amzn-requestid')).toMatch(UUID);
    expect(res.headers.get('x-amzn-query-error')).toBe('AWS.SimpleQueueService.NonExistentQueue;Sender');
    expect(await res.json()).toEqual({
      __type: 'com.amazonaws.sqs#QueueDoesNotExist',
      message: 'The specified queue does not exist.',
    });
  });

  it('names unmodelled errors as AWS does: __type and query code differ', async () => {
    const invalid = await jsonCall(server.url, 'ReceiveMessage', { QueueUrl: queueUrl, MaxNumberOfMessages: 11 });
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('x-amzn-query-error')).toBe('InvalidParameterValue;Sender');
    expect(((await invalid.json()) as { __type: string }).__type).toMatch(/#InvalidParameterValueException$/);

    const missing = await jsonCall(server.url, 'GetQueueUrl', {});
    expect(missing.status).toBe(400);
    expect(missing.headers.get('x-amzn-query-error')).toBe('MissingParameter;Sender');
    expect(await missing.json()).toMatchObject({
      __type: expect.stringMatching(/#MissingRequiredParameterException$/),
      message: 'The request must contain the parameter QueueName.',
    });
  });

  it('answers a malformed JSON body with a 400 SerializationException, not a 500', async () => {
    for (const body of ['{not json', '[1,2]', '"text"', 'null']) {
      const res = await jsonCall(server.url, 'ListQueues', body);
      expect(res.status, body).toBe(400);
      expect(res.headers.get('x-amzn-requestid')).toMatch(UUID);
      expect(((await res.json()) as { __type: string }).__type, body).toBe('com.amazon.coral.service#SerializationException');
    }
  });

  it('answers a member of the wrong type with a SerializationException', async () => {
    const res = await jsonCall(server.url, 'ReceiveMessage', { QueueUrl: queueUrl, MaxNumberOfMessages: '5' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      __type: 'com.amazon.coral.service#SerializationException',
      message: 'STRING_VALUE can not be converted to an Integer',
    });
  });

  it('answers a null inside a list or map with a 400 InvalidParameterValueException, not a 500', async () => {
    const calls: Array<[string, Record<string, unknown>, string]> = [
      ['SendMessageBatch', { QueueUrl: queueUrl, Entries: [null] }, 'member'],
      ['DeleteMessageBatch', { QueueUrl: queueUrl, Entries: [null] }, 'member'],
      ['ChangeMessageVisibilityBatch', { QueueUrl: queueUrl, Entries: [null] }, 'member'],
      ['ReceiveMessage', { QueueUrl: queueUrl, MessageAttributeNames: [null] }, 'member'],
      ['TagQueue', { QueueUrl: queueUrl, Tags: { team: null } }, 'value'],
    ];
    for (const [action, input, member] of calls) {
      const res = await jsonCall(server.url, action, input);
      expect(res.status, action).toBe(400);
      expect(await res.json(), action).toEqual({
        __type: 'com.amazon.coral.service#InvalidParameterValueException',
        message: `the parameter '${member}' may not be null`,
      });
    }
  });

  it('answers an unknown X-Amz-Target with a bare UnknownOperationException', async () => {
    for (const target of ['AmazonSQS.FlyAway', 'SomethingElse.ListQueues']) {
      const res = await fetch(server.url, {
        method: 'POST',
        headers: signedHeaders({ 'content-type': JSON_TYPE, 'x-amz-target': target }),
        body: '{}',
      });
      expect(res.status, target).toBe(400);
      expect(res.headers.get('x-amzn-requestid')).toMatch(UUID);
      expect(res.headers.get('x-amzn-query-error')).toBeNull();
      expect(await res.text()).toBe('{"__type":"com.amazon.coral.service#UnknownOperationException"}');
    }
  });

  it('answers a request without Authorization with 403 MissingAuthenticationToken', async () => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': JSON_TYPE, 'x-amz-target': 'AmazonSQS.ListQueues' },
      body: '{}',
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('x-amzn-requestid')).toMatch(UUID);
    expect(res.headers.get('x-amzn-query-error')).toBe('MissingAuthenticationToken;Sender');
    expect(await res.json()).toMatchObject({ __type: expect.stringMatching(/#MissingAuthenticationTokenException$/) });
  });

  it('answers a body over the request limit with 413', async () => {
    const res = await jsonCall(server.url, 'SendMessage', { QueueUrl: queueUrl, MessageBody: 'a'.repeat(4 * 1024 * 1024 + 1) });
    expect(res.status).toBe(413);
    expect(res.headers.get('x-amzn-requestid')).toMatch(UUID);
    expect(res.headers.get('x-amzn-query-error')).toBe('RequestEntityTooLarge;Sender');
  });
});

describe('AWS Query on the wire', () => {
  it('answers success as <ActionResponse><ActionResult> with the request id', async () => {
    const res = await queryCall(server.url, { Action: 'GetQueueUrl', QueueName: queueName });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/xml/);
    const requestId = res.headers.get('x-amzn-requestid');
    expect(requestId).toMatch(UUID);
    expect(await res.text()).toBe(
      '<?xml version="1.0"?><GetQueueUrlResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">' +
        `<GetQueueUrlResult><QueueUrl>${queueUrl}</QueueUrl></GetQueueUrlResult>` +
        `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></GetQueueUrlResponse>`,
    );
  });

  it('answers errors as <ErrorResponse><Error><Type><Code><Message>', async () => {
    const res = await queryCall(server.url, { Action: 'GetQueueUrl', QueueName: uniqueName('missing') });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toMatch(/^<\?xml version="1.0"\?><ErrorResponse xmlns="http:\/\/queue.amazonaws.com\/doc\/2012-11-05\/"><Error>/);
    expect(xmlError(text)).toEqual({
      type: 'Sender',
      code: 'AWS.SimpleQueueService.NonExistentQueue',
      message: 'The specified queue does not exist for this wsdl version.',
      requestId: res.headers.get('x-amzn-requestid'),
    });
  });

  it('answers an unknown Action with InvalidAction and a missing one with MissingAction', async () => {
    const unknown = await queryCall(server.url, { Action: 'FlyAway' });
    expect(unknown.status).toBe(400);
    expect(xmlError(await unknown.text())).toMatchObject({ type: 'Sender', code: 'InvalidAction' });
    const missing = await queryCall(server.url, {});
    expect(missing.status).toBe(400);
    expect(xmlError(await missing.text()).code).toBe('MissingAction');
  });

  it('answers a request without Authorization with 403 MissingAuthenticationToken', async () => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=ListQueues&Version=2012-11-05',
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('x-amzn-requestid')).toMatch(UUID);
    expect(xmlError(await res.text()).code).toBe('MissingAuthenticationToken');
  });

  it('accepts presigned query authentication instead of the header', async () => {
    const params = new URLSearchParams({
      Action: 'GetQueueUrl',
      QueueName: queueName,
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'AKID/20260101/us-east-1/sqs/aws4_request',
      'X-Amz-Date': '20260101T000000Z',
      'X-Amz-SignedHeaders': 'host',
      'X-Amz-Signature': 'b'.repeat(64),
    });
    const res = await fetch(`${server.url}/?${params}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(`<QueueUrl>${queueUrl}</QueueUrl>`);
  });

  it('rejects malformed list indexes and non-numeric integers', async () => {
    const index = await queryCall(queueUrl, { Action: 'GetQueueAttributes', 'AttributeName.0': 'All' });
    expect(index.status).toBe(400);
    expect(xmlError(await index.text())).toMatchObject({ code: 'MalformedInput', message: expect.stringMatching(/^0 is not a valid index/) });
    const integer = await queryCall(queueUrl, { Action: 'ReceiveMessage', MaxNumberOfMessages: 'abc' });
    expect(integer.status).toBe(400);
    expect(xmlError(await integer.text()).code).toBe('InvalidParameterValue');
  });

  it('serves GET requests with the Action in the query string', async () => {
    const name = uniqueName('get');
    const created = await fetch(`${server.url}/?Action=CreateQueue&QueueName=${name}&Attribute.1.Name=DelaySeconds&Attribute.1.Value=7&Version=2012-11-05`, {
      headers: signedHeaders(),
    });
    expect(created.status).toBe(200);
    expect(await created.text()).toContain(`<QueueUrl>${server.url}/000000000000/${name}</QueueUrl>`);
    const listed = await fetch(`${server.url}/?Action=ListQueues&QueueNamePrefix=${name}&Version=2012-11-05`, { headers: signedHeaders() });
    expect(await listed.text()).toContain(`<ListQueuesResult><QueueUrl>${server.url}/000000000000/${name}</QueueUrl></ListQueuesResult>`);
    const attrs = await fetch(`${server.url}/000000000000/${name}?Action=GetQueueAttributes&AttributeName.1=DelaySeconds`, {
      headers: signedHeaders(),
    });
    expect(await attrs.text()).toContain('<Attribute><Name>DelaySeconds</Name><Value>7</Value></Attribute>');
  });

  it('takes the queue from the URL path when QueueUrl is left out', async () => {
    const name = uniqueName('path');
    await queryCall(server.url, { Action: 'CreateQueue', QueueName: name });
    const path = `${server.url}/000000000000/${name}`;
    const sent = await queryCall(path, { Action: 'SendMessage', MessageBody: 'via path' });
    expect(sent.status).toBe(200);
    expect(await sent.text()).toContain(`<MD5OfMessageBody>${md5('via path')}</MD5OfMessageBody>`);
    const received = await queryCall(path, { Action: 'ReceiveMessage' });
    const text = await received.text();
    expect(text).toContain('<Body>via path</Body>');
    const handle = /<ReceiptHandle>([^<]+)<\/ReceiptHandle>/.exec(text)![1];
    const deleted = await queryCall(path, { Action: 'DeleteMessage', ReceiptHandle: handle });
    expect(deleted.status).toBe(200);
    // A QueueUrl parameter, when present, wins over the path.
    const other = await queryCall(path, { Action: 'GetQueueUrl', QueueName: queueName });
    expect(await other.text()).toContain(`<QueueUrl>${queueUrl}</QueueUrl>`);
  });

  it('answers a body over the request limit with 413', async () => {
    const res = await queryCall(server.url, { Action: 'SendMessage', QueueUrl: queueUrl, MessageBody: 'a'.repeat(4 * 1024 * 1024 + 1) });
    expect(res.status).toBe(413);
    expect(res.headers.get('x-amzn-requestid')).toMatch(UUID);
    expect(xmlError(await res.text()).code).toBe('RequestEntityTooLarge');
  });
});

describe('every response', () => {
  it('carries a fresh x-amzn-requestid, /health included', async () => {
    const responses = await Promise.all([
      fetch(`${server.url}/health`),
      jsonCall(server.url, 'ListQueues', {}),
      jsonCall(server.url, 'ListQueues', '{oops'),
      queryCall(server.url, { Action: 'ListQueues' }),
      queryCall(server.url, { Action: 'Nope' }),
      fetch(server.url, { method: 'POST', body: 'Action=ListQueues' }),
    ]);
    const ids = responses.map((r) => r.headers.get('x-amzn-requestid'));
    for (const id of ids) expect(id).toMatch(UUID);
    expect(new Set(ids).size).toBe(ids.length);
    const health = responses[0];
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
  });

  it('builds queue URLs from the Host header', async () => {
    const port = new URL(server.url).port;
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/',
          headers: signedHeaders({ host: 'sqs.example.test:9999', 'content-type': JSON_TYPE, 'x-amz-target': 'AmazonSQS.GetQueueUrl' }),
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ QueueName: queueName }));
    });
    expect(JSON.parse(body)).toEqual({ QueueUrl: `http://sqs.example.test:9999/000000000000/${queueName}` });
  });
});
