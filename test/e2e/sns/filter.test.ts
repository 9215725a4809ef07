/**
 * Subscription filter policies, end to end: one subscription per policy, a series of publishes,
 * and the set of messages each queue received. Scope MessageAttributes (exact, prefix,
 * anything-but, numeric ranges, exists) and MessageBody (nested fields of a JSON body).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/sealq.js';
import { Sns, clientsFor, poll, snsQueue, subscribe, topic, type Clients } from './helpers.js';

let server: TestServer;
let c: Clients;

beforeAll(async () => {
  server = await startTestServer();
  c = clientsFor(server);
});
afterAll(async () => {
  await server.stop();
});

type Attrs = Record<string, Sns.MessageAttributeValue>;
const str = (v: string): Sns.MessageAttributeValue => ({ DataType: 'String', StringValue: v });
const num = (v: number): Sns.MessageAttributeValue => ({ DataType: 'Number', StringValue: String(v) });

/** Publishes `messages` to a fresh topic with one raw subscription per policy; answers what each got. */
async function deliveredPerPolicy(
  policies: Record<string, { policy: unknown; scope?: 'MessageAttributes' | 'MessageBody' }>,
  messages: Array<{ id: string; attributes?: Attrs; body?: unknown }>,
): Promise<Record<string, string[]>> {
  const arn = await topic(c, 'filter');
  const queues: Record<string, string> = {};
  for (const [name, { policy, scope }] of Object.entries(policies)) {
    const q = await snsQueue(c);
    queues[name] = q.url;
    await subscribe(c, arn, q.arn, {
      RawMessageDelivery: 'true',
      FilterPolicy: JSON.stringify(policy),
      ...(scope ? { FilterPolicyScope: scope } : {}),
    });
  }
  for (const m of messages) {
    await c.sns.send(new Sns.PublishCommand({ TopicArn: arn, Message: m.body === undefined ? m.id : JSON.stringify(m.body), MessageAttributes: m.attributes }));
  }
  // Every queue is watched for the same bounded time, in parallel: what did not arrive by then was filtered.
  const out: Record<string, string[]> = {};
  await Promise.all(
    Object.entries(queues).map(async ([name, url]) => {
      const got = await poll(c, url, 0, 2500);
      out[name] = got.map((g) => {
        try {
          return (JSON.parse(g.Body!) as { id: string }).id;
        } catch {
          return g.Body!;
        }
      }).sort();
    }),
  );
  return out;
}

describe('FilterPolicy on MessageAttributes', () => {
  it('exact, prefix, anything-but, numeric range and exists', async () => {
    const got = await deliveredPerPolicy(
      {
        exact: { policy: { color: ['red', 'green'] } },
        prefix: { policy: { color: [{ prefix: 'bl' }] } },
        anythingBut: { policy: { color: [{ 'anything-but': ['red'] }] } },
        numeric: { policy: { price: [{ numeric: ['>=', 10, '<', 100] }] } },
        exists: { policy: { color: [{ exists: true }] } },
        absent: { policy: { color: [{ exists: false }] } },
        and: { policy: { color: ['red'], price: [{ numeric: ['>', 50] }] } },
        exactNumber: { policy: { price: [5] } },
      },
      [
        { id: 'red-5', attributes: { color: str('red'), price: num(5) } },
        { id: 'red-60', attributes: { color: str('red'), price: num(60) } },
        { id: 'blue-10', attributes: { color: str('blue'), price: num(10) } },
        { id: 'green-100', attributes: { color: str('green'), price: num(100) } },
        { id: 'none-99', attributes: { price: num(99) } },
        { id: 'bare' },
      ],
    );
    expect(got).toEqual({
      exact: ['green-100', 'red-5', 'red-60'],
      prefix: ['blue-10'],
      anythingBut: ['blue-10', 'green-100'],
      numeric: ['blue-10', 'none-99', 'red-60'],
      exists: ['blue-10', 'green-100', 'red-5', 'red-60'],
      absent: ['bare', 'none-99'],
      and: ['red-60'],
      exactNumber: ['red-5'],
    });
  });
});

describe('FilterPolicyScope MessageBody', () => {
  it('matches fields (and nested fields) of a JSON body; non-JSON bodies do not match', async () => {
    const got = await deliveredPerPolicy(
      {
        body: { policy: { kind: ['order'], detail: { total: [{ numeric: ['>', 100] }] } }, scope: 'MessageBody' },
        bodyPrefix: { policy: { kind: [{ prefix: 'ord' }] }, scope: 'MessageBody' },
        // The same policy on attributes sees no `kind` attribute: nothing passes.
        attributes: { policy: { kind: ['order'] } },
      },
      [
        { id: 'big', body: { id: 'big', kind: 'order', detail: { total: 250 } } },
        { id: 'small', body: { id: 'small', kind: 'order', detail: { total: 5 } } },
        { id: 'refund', body: { id: 'refund', kind: 'refund', detail: { total: 500 } } },
        { id: 'plain text' },
      ],
    );
    expect(got).toEqual({ body: ['big'], bodyPrefix: ['big', 'small'], attributes: [] });
  });
});
