import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { postgresReachable, postgresUrl } from '../../../test/support/processes.js';
import { describe, expect, it } from 'vitest';
import { describeStoreContract } from '../contract/store-contract.js';
import { describeIdentityContract } from '../contract/identity-contract.js';
import { PgStore } from './pg-store.js';

/** The test database (SEALQ_TEST_POSTGRES_URL overrides it). */
const connectionString = postgresUrl;


async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

// CI always has the database, so there a missing one fails the run instead of skipping it.
if (process.env.CI || (await postgresReachable())) {
  // A fresh schema per test, dropped afterwards; `reopen` connects to the same schema again.
  describeStoreContract('postgres', async () => {
    const schema = `sealq_test_${process.pid}_${randomBytes(4).toString('hex')}`;
    const stores = [await PgStore.open({ connectionString, schema, poolSize: 8 })];
    return {
      store: stores[0],
      reopen: async () => {
        const store = await PgStore.open({ connectionString, schema, poolSize: 8 });
        stores.push(store);
        return store;
      },
      cleanup: async () => {
        for (const store of stores) await store.close();
        await dropSchema(schema);
      },
    };
  });

  describeIdentityContract('postgres', async () => {
    const schema = `sealq_test_${process.pid}_${randomBytes(4).toString('hex')}`;
    const stores = [await PgStore.open({ connectionString, schema, poolSize: 4 })];
    return {
      store: stores[0].identity(),
      another: async () => {
        const store = await PgStore.open({ connectionString, schema, poolSize: 4 });
        stores.push(store);
        return store.identity();
      },
      cleanup: async () => {
        for (const store of stores) await store.close();
        await dropSchema(schema);
      },
    };
  });

  describe('PgStore (postgres specifics)', () => {
    it('applies migrations once when several nodes open the same schema together', async () => {
      const schema = `sealq_test_${process.pid}_${randomBytes(4).toString('hex')}`;
      try {
        const stores = await Promise.all(Array.from({ length: 4 }, () => PgStore.open({ connectionString, schema, poolSize: 2 })));
        const { created } = await stores[0].createQueue({ accountId: '000000000000', name: 'q', fifo: false, attributes: {}, tags: {}, now: 1 });
        expect(created).toBe(true);
        expect((await stores[3].getQueue('000000000000', 'q'))?.name).toBe('q');
        for (const store of stores) await store.close();
      } finally {
        await dropSchema(schema);
      }
    });

    it('keeps a FIFO group in send order under concurrent sends and receives', async () => {
      const schema = `sealq_test_${process.pid}_${randomBytes(4).toString('hex')}`;
      const store = await PgStore.open({ connectionString, schema, poolSize: 12 });
      try {
        const { queue } = await store.createQueue({ accountId: 'a', name: 'q.fifo', fifo: true, attributes: {}, tags: {}, now: 1 });
        const message = (i: number) => ({
          messageId: `m-${i}`, body: String(i), bodyCiphertext: null, envelope: null, messageAttributes: null,
          systemAttributes: null, md5OfBody: 'x', md5OfMessageAttributes: null, md5OfSystemAttributes: null,
          senderId: 's', sentAt: 1, visibleAt: 1, groupId: 'g', deduplicationId: `k${i}`, dedup: { key: `k${i}`, expiresAt: 1e15 },
        });
        const got: number[] = [];
        const receiver = async () => {
          for (let n = 0; n < 40; n++) {
            const { messages } = await store.receiveMessages(queue.id, {
              now: 1, maxMessages: 10, visibleUntil: 10_000, expiredAtOrBefore: 0, fifo: true, fifoScanLimit: 1000, redrive: null,
            });
            for (const m of messages) {
              got.push(Number(m.body));
              expect(await store.deleteMessage(queue.id, m.seq, m.receiptToken!, 1)).toBe('deleted');
            }
          }
        };
        // Each sender's messages are sent one after another, so their own order must hold.
        const sender = async (from: number) => {
          for (let i = from; i < from + 20; i++) await store.insertMessages(queue.id, [message(i)], 1);
        };
        await Promise.all([sender(0), sender(100), sender(200), receiver(), receiver()]);
        for (;;) {
          const { messages } = await store.receiveMessages(queue.id, {
            now: 1, maxMessages: 10, visibleUntil: 10_000, expiredAtOrBefore: 0, fifo: true, fifoScanLimit: 1000, redrive: null,
          });
          if (messages.length === 0) break;
          for (const m of messages) {
            got.push(Number(m.body));
            await store.deleteMessage(queue.id, m.seq, m.receiptToken!, 1);
          }
        }
        expect(got).toHaveLength(60);
        for (const base of [0, 100, 200]) {
          const mine = got.filter((n) => n >= base && n < base + 20);
          expect(mine).toEqual([...mine].sort((x, y) => x - y));
        }
      } finally {
        await store.close();
        await dropSchema(schema);
      }
    });

    it('keeps identity entities as JSON documents', async () => {
      const schema = `sealq_test_${process.pid}_${randomBytes(4).toString('hex')}`;
      const store = await PgStore.open({ connectionString, schema });
      try {
        const identity = store.identity();
        await identity.putEntity({ kind: 'user', id: 'u1', accountId: 'a', value: { name: 'alice', n: 1 } });
        await identity.putEntity({ kind: 'user', id: 'u1', accountId: 'a', value: { name: 'alice', n: 2 } });
        await identity.putEntity({ kind: 'role', id: 'r1', accountId: 'a', value: ['x'] });
        const all = await identity.listEntities();
        const expected = [
          { kind: 'role', id: 'r1', accountId: 'a', value: ['x'] },
          { kind: 'user', id: 'u1', accountId: 'a', value: { name: 'alice', n: 2 } },
        ];
        expect(all).toEqual(expected);
        await identity.deleteEntity('role', 'r1');
        expect(await identity.listEntities()).toEqual([expected[1]]);
      } finally {
        await store.close();
        await dropSchema(schema);
      }
    });
  });
} else {
  describe.skip(`PgStore (no PostgreSQL at ${connectionString})`, () => {
    it('needs a database', () => {});
  });
}
