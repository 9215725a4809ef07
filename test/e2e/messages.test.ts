import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { createQueue, md5, receiveAll, referenceAttributeMd5 } from '../support/e2e.js';
import { clientFor, errorOf, protocols, startTestServer, type TestServer } from '../support/sealq.js';

const clock = new ManualClock(Date.UTC(2026, 3, 1, 8, 30, 0, 123));
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({}, { clock });
});
afterAll(async () => {
  await server.stop();
});

const MiB = 1_048_576;

describe.each(protocols)('sending and receiving over $name', ({ sdk }) => {
  const client = () => clientFor(sdk, server.url);
  const send = (QueueUrl: string, input: Record<string, unknown> = {}) =>
    client().send(new sdk.SendMessageCommand({ QueueUrl, MessageBody: 'body', ...input }));

  it('answers MD5OfMessageBody and a MessageId, and returns the body unchanged', async () => {
    const url = await createQueue(client(), sdk);
    const body = 'héllo wörld ✓ 😀 <tag attr="x">&amp;</tag>\r\n\ttab';
    const sent = await send(url, { MessageBody: body });
    expect(sent.MD5OfMessageBody).toBe(md5(body));
    expect(sent.MessageId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(sent.MD5OfMessageAttributes).toBeUndefined();
    expect(sent.SequenceNumber).toBeUndefined();
    const [message] = await receiveAll(client(), sdk, url);
    expect(message).toMatchObject({ MessageId: sent.MessageId, Body: body, MD5OfBody: md5(body) });
  });

  it('computes MD5OfMessageAttributes as SQS does (known vectors)', async () => {
    const url = await createQueue(client(), sdk);
    const one = await send(url, { MessageAttributes: { attribName1: { DataType: 'String', StringValue: 'attribValue 1' } } });
    expect(one.MD5OfMessageAttributes).toBe('19e27d4e946b072f3f58da80d94fd778');
    const binary = await send(url, {
      MessageAttributes: { binaryAttribute: { DataType: 'Binary', BinaryValue: Buffer.from('Hello binary world!') } },
    });
    expect(binary.MD5OfMessageAttributes).toBe('31a92b15d92f8db860eda32aceb656c3');
  });

  it('round-trips String, Number, Binary and custom-typed attributes with a matching digest', async () => {
    const url = await createQueue(client(), sdk);
    const attributes = {
      zeta: { DataType: 'String', StringValue: 'last' },
      alpha: { DataType: 'Number', StringValue: '-12.50' },
      blob: { DataType: 'Binary', BinaryValue: Uint8Array.from([0, 1, 2, 250, 255]) },
      price: { DataType: 'Number.float', StringValue: '3.14' },
      label: { DataType: 'String.utf8', StringValue: 'ünïcödé' },
    };
    const sent = await send(url, { MessageAttributes: attributes });
    expect(sent.MD5OfMessageAttributes).toBe(referenceAttributeMd5(attributes));
    const { Messages } = await client().send(
      new sdk.ReceiveMessageCommand({ QueueUrl: url, MessageAttributeNames: ['All'] }),
    );
    const message = Messages![0];
    expect(message.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
    expect(Object.keys(message.MessageAttributes!).sort()).toEqual(['alpha', 'blob', 'label', 'price', 'zeta']);
    expect(message.MessageAttributes!.alpha).toMatchObject({ DataType: 'Number', StringValue: '-12.50' });
    expect(message.MessageAttributes!.price).toMatchObject({ DataType: 'Number.float', StringValue: '3.14' });
    expect(message.MessageAttributes!.label).toMatchObject({ DataType: 'String.utf8', StringValue: 'ünïcödé' });
    expect(message.MessageAttributes!.blob.DataType).toBe('Binary');
    expect(Buffer.from(message.MessageAttributes!.blob.BinaryValue!)).toEqual(Buffer.from([0, 1, 2, 250, 255]));
  });

  it('answers MD5OfMessageSystemAttributes for AWSTraceHeader and returns the header on receive', async () => {
    const url = await createQueue(client(), sdk);
    const trace = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
    const system = { AWSTraceHeader: { DataType: 'String', StringValue: trace } };
    const sent = await send(url, { MessageSystemAttributes: system });
    expect(sent.MD5OfMessageSystemAttributes).toBe(referenceAttributeMd5(system));
    expect(sent.MD5OfMessageAttributes).toBeUndefined();
    const [message] = await receiveAll(client(), sdk, url, { attributeNames: ['AWSTraceHeader'] });
    expect(message.Attributes).toEqual({ AWSTraceHeader: trace });

    const other = await errorOf(send(url, { MessageSystemAttributes: { Custom: { DataType: 'String', StringValue: 'x' } } }));
    expect(other).toMatchObject({ code: 'InvalidParameterValue', status: 400 });
  });

  it('delays a message by DelaySeconds, per message or from the queue', async () => {
    const url = await createQueue(client(), sdk);
    await send(url, { MessageBody: 'late', DelaySeconds: 10 });
    expect(await receiveAll(client(), sdk, url)).toEqual([]);
    clock.advance(9_999);
    expect(await receiveAll(client(), sdk, url)).toEqual([]);
    clock.advance(1);
    expect((await receiveAll(client(), sdk, url)).map((m) => m.Body)).toEqual(['late']);

    const delayed = await createQueue(client(), sdk, { DelaySeconds: '5' });
    await send(delayed, { MessageBody: 'queue delay' });
    await send(delayed, { MessageBody: 'no delay', DelaySeconds: 0 });
    expect((await receiveAll(client(), sdk, delayed)).map((m) => m.Body)).toEqual(['no delay']);
    clock.advance(5_000);
    expect((await receiveAll(client(), sdk, delayed)).map((m) => m.Body)).toEqual(['queue delay']);

    for (const bad of [-1, 901]) {
      expect(await errorOf(send(url, { DelaySeconds: bad }))).toMatchObject({ code: 'InvalidParameterValue', status: 400 });
    }
  });

  it('accepts a message of exactly 1 MiB and rejects one byte more', async () => {
    const url = await createQueue(client(), sdk);
    const exact = 'a'.repeat(MiB);
    const sent = await send(url, { MessageBody: exact });
    expect(sent.MD5OfMessageBody).toBe(md5(exact));
    const [message] = await receiveAll(client(), sdk, url);
    expect(message.Body?.length).toBe(MiB);
    expect(await errorOf(send(url, { MessageBody: exact + 'a' }))).toEqual({
      code: 'InvalidParameterValue',
      status: 400,
      message: 'One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes.',
    });
    // Multi-byte characters count as bytes, and attributes count too.
    expect(await errorOf(send(url, { MessageBody: 'é'.repeat(MiB / 2) + 'a' }))).toMatchObject({ code: 'InvalidParameterValue' });
    const withAttribute = await errorOf(
      send(url, { MessageBody: 'a'.repeat(MiB - 5), MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } } }),
    );
    expect(withAttribute).toMatchObject({ code: 'InvalidParameterValue', status: 400 });
  });

  it("applies the queue's MaximumMessageSize", async () => {
    const url = await createQueue(client(), sdk, { MaximumMessageSize: '1024' });
    await send(url, { MessageBody: 'b'.repeat(1024) });
    expect(await errorOf(send(url, { MessageBody: 'b'.repeat(1025) }))).toEqual({
      code: 'InvalidParameterValue',
      status: 400,
      message: 'One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.',
    });
  });

  it('rejects characters outside the allowed set with InvalidMessageContents', async () => {
    const url = await createQueue(client(), sdk);
    // (A lone surrogate is not tested: the Query client cannot URL-encode one.)
    for (const body of ['bell \u0007', 'nul \u0000', 'fffe \uFFFE', 'escape \u001b[0m']) {
      const error = await errorOf(send(url, { MessageBody: body }));
      expect(error, JSON.stringify(body)).toEqual({
        code: 'InvalidMessageContents',
        status: 400,
        message:
          'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF',
      });
    }
    expect(await receiveAll(client(), sdk, url)).toEqual([]);
  });

  it('rejects an empty body with MissingParameter', async () => {
    const url = await createQueue(client(), sdk);
    expect(await errorOf(send(url, { MessageBody: '' }))).toEqual({
      code: 'MissingParameter',
      status: 400,
      message: 'The request must contain the parameter MessageBody.',
    });
  });

  it('allows 10 message attributes and rejects 11', async () => {
    const url = await createQueue(client(), sdk);
    const attributes = (n: number) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`a${i}`, { DataType: 'String', StringValue: `v${i}` }]));
    const ok = await send(url, { MessageAttributes: attributes(10) });
    expect(ok.MD5OfMessageAttributes).toBe(referenceAttributeMd5(attributes(10)));
    expect(await errorOf(send(url, { MessageAttributes: attributes(11) }))).toMatchObject({
      code: 'InvalidParameterValue',
      status: 400,
    });
  });

  it('rejects bad attribute names, types and values', async () => {
    const url = await createQueue(client(), sdk);
    const withAttribute = (name: string, value: Record<string, unknown>) => send(url, { MessageAttributes: { [name]: value } });
    for (const name of ['AWS.thing', 'amazon.thing', '.lead', 'trail.', 'two..dots', 'sp ace', 'x'.repeat(257)]) {
      const error = await errorOf(withAttribute(name, { DataType: 'String', StringValue: 'v' }));
      expect(error, name).toMatchObject({ code: 'InvalidParameterValue', status: 400 });
    }
    expect(await errorOf(withAttribute('t', { DataType: 'Text', StringValue: 'v' }))).toEqual({
      code: 'InvalidParameterValue',
      status: 400,
      message:
        "The type of message (user) attribute 't' is invalid. You must use only the following supported type prefixes: Binary, Number, String.",
    });
    expect(await errorOf(withAttribute('e', { DataType: 'String', StringValue: '' }))).toEqual({
      code: 'InvalidParameterValue',
      status: 400,
      message: "Message (user) attribute 'e' must contain a non-empty value of type 'String'.",
    });
    expect(await errorOf(withAttribute('n', { DataType: 'Number', StringValue: 'twelve' }))).toMatchObject({
      code: 'InvalidParameterValue',
    });
    expect(await errorOf(withAttribute('n', { DataType: 'Number', StringValue: '1'.repeat(39) }))).toMatchObject({
      code: 'InvalidParameterValue',
    });
    // Names are case-sensitive and may use dots, dashes and underscores.
    const ok = await withAttribute('My.Attr-name_1', { DataType: 'String', StringValue: 'v' });
    expect(ok.MD5OfMessageAttributes).toBeDefined();
  });

  it('returns 1 to 10 messages per receive, and rejects other counts', async () => {
    const url = await createQueue(client(), sdk);
    for (let i = 0; i < 12; i++) await send(url, { MessageBody: `m${i}` });
    const first = await client().send(new sdk.ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    expect(first.Messages).toHaveLength(10);
    const rest = await client().send(new sdk.ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    expect(rest.Messages).toHaveLength(2);
    const bodies = [...first.Messages!, ...rest.Messages!].map((m) => m.Body).sort();
    expect(new Set(bodies).size).toBe(12);
    for (const bad of [0, 11]) {
      const error = await errorOf(client().send(new sdk.ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: bad })));
      expect(error).toEqual({
        code: 'InvalidParameterValue',
        status: 400,
        message: `Value ${bad} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`,
      });
    }
    for (const bad of [-1, 21]) {
      const error = await errorOf(client().send(new sdk.ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: bad })));
      expect(error).toEqual({
        code: 'InvalidParameterValue',
        status: 400,
        message: `Value ${bad} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.`,
      });
    }
  });

  it('answers system attributes for All and by name', async () => {
    const url = await createQueue(client(), sdk);
    const sentAt = clock.now();
    await send(url);
    clock.advance(2_000);
    const firstReceiveAt = clock.now();
    const [first] = await receiveAll(client(), sdk, url, { attributeNames: ['All'], visibility: 0 });
    expect(first.Attributes).toEqual({
      SenderId: '000000000000',
      SentTimestamp: String(sentAt),
      ApproximateReceiveCount: '1',
      ApproximateFirstReceiveTimestamp: String(firstReceiveAt),
    });
    clock.advance(3_000);
    const [second] = await receiveAll(client(), sdk, url, {
      attributeNames: ['ApproximateReceiveCount', 'ApproximateFirstReceiveTimestamp'],
      visibility: 0,
    });
    expect(second.Attributes).toEqual({
      ApproximateReceiveCount: '2',
      ApproximateFirstReceiveTimestamp: String(firstReceiveAt),
    });
    const [third] = await receiveAll(client(), sdk, url, { attributeNames: ['SentTimestamp'], visibility: 0 });
    expect(third.Attributes).toEqual({ SentTimestamp: String(sentAt) });
    const [plain] = await receiveAll(client(), sdk, url, { visibility: 0 });
    expect(plain.Attributes).toBeUndefined();
  });

  it('filters message attributes by All, .*, prefix.* and exact name', async () => {
    const url = await createQueue(client(), sdk);
    const attributes = {
      'order.id': { DataType: 'String', StringValue: '42' },
      'order.total': { DataType: 'Number', StringValue: '9.99' },
      customer: { DataType: 'String', StringValue: 'ada' },
    };
    await send(url, { MessageAttributes: attributes });
    const receive = async (names?: string[]) => {
      const { Messages } = await client().send(
        new sdk.ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 0, MessageAttributeNames: names }),
      );
      return Messages![0];
    };
    for (const names of [['All'], ['.*']]) {
      const m = await receive(names);
      expect(Object.keys(m.MessageAttributes!).sort(), names[0]).toEqual(['customer', 'order.id', 'order.total']);
      expect(m.MD5OfMessageAttributes).toBe(referenceAttributeMd5(attributes));
    }
    const prefixed = await receive(['order.*']);
    expect(Object.keys(prefixed.MessageAttributes!).sort()).toEqual(['order.id', 'order.total']);
    // The digest covers the attributes returned.
    const { customer: _customer, ...orderOnly } = attributes;
    expect(prefixed.MD5OfMessageAttributes).toBe(referenceAttributeMd5(orderOnly));
    const exact = await receive(['customer']);
    expect(Object.keys(exact.MessageAttributes!)).toEqual(['customer']);
    expect(exact.MD5OfMessageAttributes).toBe(referenceAttributeMd5({ customer: attributes.customer }));
    const none = await receive(['nothing']);
    expect(none.MessageAttributes).toBeUndefined();
    expect(none.MD5OfMessageAttributes).toBeUndefined();
    const unasked = await receive();
    expect(unasked.MessageAttributes).toBeUndefined();
  });

  it('drops messages older than the MessageRetentionPeriod', async () => {
    const url = await createQueue(client(), sdk, { MessageRetentionPeriod: '60' });
    await send(url, { MessageBody: 'old' });
    clock.advance(30_000);
    await send(url, { MessageBody: 'young' });
    clock.advance(29_999);
    expect((await receiveAll(client(), sdk, url, { visibility: 0 })).map((m) => m.Body).sort()).toEqual(['old', 'young']);
    clock.advance(1);
    expect((await receiveAll(client(), sdk, url, { visibility: 0 })).map((m) => m.Body)).toEqual(['young']);
    clock.advance(30_000);
    expect(await receiveAll(client(), sdk, url)).toEqual([]);
  });

  it('mints a new receipt handle on every receive', async () => {
    const url = await createQueue(client(), sdk);
    await send(url);
    const handles = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const [m] = await receiveAll(client(), sdk, url, { visibility: 0 });
      handles.add(m.ReceiptHandle!);
    }
    expect(handles.size).toBe(3);
  });
});

// The 3.445 Query client predates MessageSystemAttributeNames (it would drop the member), so JSON only.
describe('MessageSystemAttributeNames over json', () => {
  const { sdk } = protocols[0];
  const client = () => clientFor(sdk, server.url);

  it('selects system attributes by name and with All', async () => {
    const url = await createQueue(client(), sdk);
    await client().send(new sdk.SendMessageCommand({ QueueUrl: url, MessageBody: 'sys' }));
    const { Messages } = await client().send(
      new sdk.ReceiveMessageCommand({
        QueueUrl: url,
        VisibilityTimeout: 0,
        MessageSystemAttributeNames: ['SenderId', 'ApproximateReceiveCount'],
      }),
    );
    expect(Messages![0].Attributes).toEqual({ SenderId: '000000000000', ApproximateReceiveCount: '1' });
    const all = await client().send(
      new sdk.ReceiveMessageCommand({ QueueUrl: url, MessageSystemAttributeNames: ['All'] }),
    );
    expect(Object.keys(all.Messages![0].Attributes!).sort()).toEqual([
      'ApproximateFirstReceiveTimestamp',
      'ApproximateReceiveCount',
      'SenderId',
      'SentTimestamp',
    ]);
  });
});
