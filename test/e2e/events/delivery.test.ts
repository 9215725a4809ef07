/**
 * PutEvents → rule → SQS target: the AWS event JSON shape, content patterns deciding which rules
 * get an event, disabled rules, the target input forms (Input, InputPath, InputTransformer), FIFO
 * targets with SqsParameters.MessageGroupId, custom buses, and delivery as events.amazonaws.com.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/sealq.js';
import { ACCOUNT, REGION, Eb, clientsFor, deliveryRecord, eventsQueue, poll, putEvent, ruleTo, uniqueName, type Clients } from './helpers.js';

let server: TestServer;
let c: Clients;

beforeAll(async () => {
  server = await startTestServer();
  c = clientsFor(server);
});
afterAll(async () => {
  await server.stop();
});

/** Each test uses its own source, so rules of other tests never see its events. */
const order = (source: string, detail: Record<string, unknown>, resources?: string[]): Eb.PutEventsRequestEntry => ({
  Source: source,
  DetailType: 'Order Placed',
  Detail: JSON.stringify(detail),
  Resources: resources,
});

describe('PutEvents delivery', () => {
  it('delivers the AWS event JSON shape to a matching rule, as events.amazonaws.com', async () => {
    const source = uniqueName('shop');
    const q = await eventsQueue(c);
    const rule = await ruleTo(c, { source: [source] }, { Arn: q.arn });
    const time = new Date('2026-03-04T05:06:07Z');
    const id = await putEvent(c, { ...order(source, { orderId: 'o-1', amount: 12 }, ['arn:aws:shop:::order/o-1']), Time: time });

    const [m] = await poll(c, q.url);
    expect(m, 'delivered').toBeDefined();
    expect(JSON.parse(m.Body!)).toEqual({
      version: '0',
      id,
      'detail-type': 'Order Placed',
      source,
      account: ACCOUNT,
      time: '2026-03-04T05:06:07Z',
      region: REGION,
      resources: ['arn:aws:shop:::order/o-1'],
      detail: { orderId: 'o-1', amount: 12 },
    });
    expect(m.Attributes?.SenderId).toBe('events.amazonaws.com');
    expect(await deliveryRecord(server, rule.arn)).toMatchObject({ ruleArn: rule.arn, targetArn: q.arn, outcome: 'delivered' });
  });

  it('delivers only to rules whose content pattern matches (numeric, prefix, nested detail)', async () => {
    const source = uniqueName('shop');
    const big = await eventsQueue(c);
    const all = await eventsQueue(c);
    const pattern = {
      source: [source],
      'detail-type': ['Order Placed'],
      detail: { amount: [{ numeric: ['>=', 100, '<', 1000] }], customer: { tier: [{ prefix: 'gold' }] } },
    };
    await ruleTo(c, pattern, { Arn: big.arn });
    await ruleTo(c, { source: [source] }, { Arn: all.arn });

    await putEvent(c, order(source, { n: 1, amount: 150, customer: { tier: 'gold-plus' } })); // matches both
    await putEvent(c, order(source, { n: 2, amount: 50, customer: { tier: 'gold' } })); // amount too small
    await putEvent(c, order(source, { n: 3, amount: 500, customer: { tier: 'silver' } })); // wrong prefix
    await putEvent(c, order(source, { n: 4, amount: 500 })); // no customer
    await putEvent(c, { ...order(source, { n: 5, amount: 150, customer: { tier: 'gold' } }), DetailType: 'Order Cancelled' });

    const everything = await poll(c, all.url, 5);
    expect(everything.map((m) => JSON.parse(m.Body!).detail.n).sort()).toEqual([1, 2, 3, 4, 5]);
    // By now every dispatch has happened; the matching queue got exactly the one match.
    const matched = await poll(c, big.url, 0, 1500);
    expect(matched.map((m) => JSON.parse(m.Body!).detail.n)).toEqual([1]);
  });

  it('does not deliver an event that matches no rule', async () => {
    const source = uniqueName('shop');
    const q = await eventsQueue(c);
    const rule = await ruleTo(c, { source: [source], detail: { kind: ['wanted'] } }, { Arn: q.arn });
    await putEvent(c, order(source, { kind: 'unwanted' }));
    await putEvent(c, order(uniqueName('elsewhere'), { kind: 'wanted' }));
    expect(await poll(c, q.url, 0, 1500)).toEqual([]);
    expect(server.sealq.eventsCore.deliveries.filter((r) => r.ruleArn === rule.arn)).toEqual([]);
  });

  it('does not deliver through a disabled rule, and does again once it is enabled', async () => {
    const source = uniqueName('shop');
    const q = await eventsQueue(c);
    const rule = await ruleTo(c, { source: [source] }, { Arn: q.arn });
    await c.eb.send(new Eb.DisableRuleCommand({ Name: rule.name }));
    await putEvent(c, order(source, { n: 'while disabled' }));
    expect(await poll(c, q.url, 0, 1500)).toEqual([]);

    await c.eb.send(new Eb.EnableRuleCommand({ Name: rule.name }));
    await putEvent(c, order(source, { n: 'enabled' }));
    const got = await poll(c, q.url);
    expect(got.map((m) => JSON.parse(m.Body!).detail.n)).toEqual(['enabled']);
  });

  it('delivers events put on a custom bus only to that bus\'s rules', async () => {
    const source = uniqueName('shop');
    const bus = uniqueName('bus');
    await c.eb.send(new Eb.CreateEventBusCommand({ Name: bus }));
    const onBus = await eventsQueue(c);
    const onDefault = await eventsQueue(c);
    await ruleTo(c, { source: [source] }, { Arn: onBus.arn }, bus);
    await ruleTo(c, { source: [source] }, { Arn: onDefault.arn });

    await putEvent(c, { ...order(source, { where: 'custom' }), EventBusName: bus });
    const [m] = await poll(c, onBus.url);
    expect(JSON.parse(m.Body!).detail).toEqual({ where: 'custom' });
    expect(await poll(c, onDefault.url, 0, 1000)).toEqual([]);
  });

  it('reports a malformed entry as failed and still accepts the others', async () => {
    const out = await c.eb.send(
      new Eb.PutEventsCommand({
        Entries: [order(uniqueName('shop'), { ok: true }), { Source: 'x', DetailType: 'y', Detail: 'not json' }],
      }),
    );
    expect(out.FailedEntryCount).toBe(1);
    expect(out.Entries?.[0].EventId).toBeTruthy();
    expect(out.Entries?.[1].ErrorCode).toBeTruthy();
  });
});

describe('target input', () => {
  it('sends a constant Input instead of the event', async () => {
    const source = uniqueName('shop');
    const q = await eventsQueue(c);
    await ruleTo(c, { source: [source] }, { Arn: q.arn, Input: '{"constant":"yes"}' });
    await putEvent(c, order(source, { ignored: true }));
    const [m] = await poll(c, q.url);
    expect(m.Body).toBe('{"constant":"yes"}');
  });

  it('sends the part of the event InputPath selects', async () => {
    const source = uniqueName('shop');
    const q = await eventsQueue(c);
    await ruleTo(c, { source: [source] }, { Arn: q.arn, InputPath: '$.detail.customer' });
    await putEvent(c, order(source, { customer: { id: 'c-7', tier: 'gold' } }));
    const [m] = await poll(c, q.url);
    expect(JSON.parse(m.Body!)).toEqual({ id: 'c-7', tier: 'gold' });
  });

  it('fills an InputTransformer template: strings as text, other values as JSON', async () => {
    const source = uniqueName('shop');
    const q = await eventsQueue(c);
    await ruleTo(c, { source: [source] }, {
      Arn: q.arn,
      InputTransformer: {
        InputPathsMap: { id: '$.detail.orderId', amount: '$.detail.amount', items: '$.detail.items', src: '$.source' },
        InputTemplate: '{"order":"<id>","total":<amount>,"items":<items>,"from":"<src>"}',
      },
    });
    await putEvent(c, order(source, { orderId: 'o-9', amount: 42.5, items: ['a', 'b'] }));
    const [m] = await poll(c, q.url);
    expect(JSON.parse(m.Body!)).toEqual({ order: 'o-9', total: 42.5, items: ['a', 'b'], from: source });
  });

  it('fills a plain-text InputTransformer template', async () => {
    const source = uniqueName('shop');
    const q = await eventsQueue(c);
    await ruleTo(c, { source: [source] }, {
      Arn: q.arn,
      InputTransformer: { InputPathsMap: { id: '$.detail.orderId' }, InputTemplate: '"Order <id> was placed"' },
    });
    await putEvent(c, order(source, { orderId: 'o-10' }));
    const [m] = await poll(c, q.url);
    expect(m.Body).toBe('"Order o-10 was placed"');
  });

  it('fills the reserved InputTransformer variables: rule ARN, rule name and the whole event', async () => {
    const source = uniqueName('shop');
    const q = await eventsQueue(c);
    const rule = await ruleTo(c, { source: [source] }, {
      Arn: q.arn,
      InputTransformer: { InputTemplate: '{"rule":"<aws.events.rule-arn>","name":"<aws.events.rule-name>","event":<aws.events.event.json>}' },
    });
    const id = await putEvent(c, order(source, { k: 'v' }));
    const [m] = await poll(c, q.url);
    const body = JSON.parse(m.Body!);
    expect(body).toMatchObject({ rule: rule.arn, name: rule.name, event: { id, source, detail: { k: 'v' } } });
    // Without an explicit Time the event is stamped now, to the second.
    expect(body.event.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Math.abs(Date.parse(body.event.time) - Date.now())).toBeLessThan(60_000);
  });
});

describe('FIFO targets', () => {
  it('delivers to a FIFO queue with SqsParameters.MessageGroupId, in order', async () => {
    const source = uniqueName('shop');
    const q = await eventsQueue(c, { FifoQueue: 'true', ContentBasedDeduplication: 'true' });
    await ruleTo(c, { source: [source] }, { Arn: q.arn, SqsParameters: { MessageGroupId: 'orders' } });
    for (const n of [1, 2, 3]) await putEvent(c, order(source, { n }));
    const got = await poll(c, q.url, 3);
    expect(got.map((m) => m.Attributes?.MessageGroupId)).toEqual(['orders', 'orders', 'orders']);
    expect(got.map((m) => JSON.parse(m.Body!).detail.n)).toEqual([1, 2, 3]);
  });
});
