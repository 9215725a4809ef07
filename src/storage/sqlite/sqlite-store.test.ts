import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeStoreContract, messageFixture } from '../contract/store-contract.js';
import { describeIdentityContract } from '../contract/identity-contract.js';
import type { NewMessage, ReceiveRequest } from '../ports.js';
import { deepQueueSql, SqliteStore } from './sqlite-store.js';

/** Closes every store a test opened (closing twice is harmless) and removes its directory. */
async function closeAll(stores: SqliteStore[]): Promise<void> {
  for (const store of stores) await store.close();
}

const T0 = 1_700_000_000_000;
const message = (n: number, overrides: Partial<NewMessage> = {}): NewMessage => messageFixture(n, { now: T0, ...overrides });
/** A standard-queue receive of up to 10 messages at `now`, hiding them for 30 s. */
const receiveAt = (now: number): ReceiveRequest => ({
  now,
  maxMessages: 10,
  visibleUntil: now + 30_000,
  expiredAtOrBefore: 0,
  fifo: false,
  fifoScanLimit: 1000,
  redrive: null,
});
const createQueue = async (store: SqliteStore) =>
  (await store.createQueue({ accountId: '000000000000', name: 'q', fifo: false, attributes: {}, tags: {}, now: T0 })).queue;

/** How SQLite plans one of the engine's statements, on a fresh store's schema (migrations applied). */
async function planOf(sql: string, ...params: unknown[]): Promise<string[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sealq-store-'));
  const store = new SqliteStore({ dataDir });
  try {
    await createQueue(store);
    const db = new Database(join(dataDir, 'sealq.db'), { readonly: true });
    try {
      return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((step) => step.detail);
    } finally {
      db.close();
    }
  } finally {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

describeStoreContract('sqlite (data directory)', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sealq-store-'));
  const stores = [new SqliteStore({ dataDir })];
  return {
    store: stores[0],
    reopen: async () => {
      const store = new SqliteStore({ dataDir });
      stores.push(store);
      return store;
    },
    cleanup: async () => {
      await closeAll(stores);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});

describeStoreContract(
  'sqlite (:memory:)',
  async () => {
    const store = new SqliteStore({ dataDir: ':memory:' });
    return { store, cleanup: () => closeAll([store]) };
  },
  { reopens: false },
);

describe('sqlite: the cached receive state of recent messages', () => {
  it('is never ahead of the database after a receive rolls back', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sealq-store-'));
    const store = new SqliteStore({ dataDir });
    try {
      const queue = await createQueue(store);
      await store.insertMessages(queue.id, [message(1), message(2)], T0);
      // Another connection makes the second message's receive fail, after the first one's was
      // written (and its cached state moved on) in the same operation.
      const other = new Database(join(dataDir, 'sealq.db'));
      other.exec(`CREATE TRIGGER refuse BEFORE UPDATE OF receive_count ON sqs_messages
        WHEN NEW.message_id = '${message(2).messageId}' BEGIN SELECT RAISE(ABORT, 'refused'); END`);
      await expect(store.receiveMessages(queue.id, receiveAt(T0 + 1))).rejects.toThrow('refused');
      // The group transaction commits (what did not roll back) at the end of this turn.
      await new Promise((resolve) => setImmediate(resolve));
      other.exec('DROP TRIGGER refuse');
      other.close();
      const again = await store.receiveMessages(queue.id, receiveAt(T0 + 2));
      expect(again.messages.map((m) => [m.body, m.receiveCount, m.firstReceivedAt])).toEqual([
        ['body-1', 1, T0 + 2],
        ['body-2', 1, T0 + 2],
      ]);
    } finally {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('sqlite: message ids recorded a block ahead', () => {
  const recorded = (dataDir: string): number => {
    const db = new Database(join(dataDir, 'sealq.db'), { readonly: true });
    try {
      return db.prepare<[], { value: number }>(`SELECT value FROM sqs_sequences WHERE name = 'message'`).get()!.value;
    } finally {
      db.close();
    }
  };
  const seqOf = async (store: SqliteStore, queueId: number, n: number): Promise<bigint> => {
    const [outcome] = await store.insertMessages(queueId, [message(n)], T0);
    return BigInt(outcome.sequenceNumber);
  };

  it('writes the record once per block, and a store opened after a crash still numbers ahead of every id handed out', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sealq-store-'));
    const crashed = new SqliteStore({ dataDir });
    const stores = [crashed];
    try {
      const queue = await createQueue(crashed);
      const first = await seqOf(crashed, queue.id, 1);
      const block = recorded(dataDir);
      expect(block).toBeGreaterThan(Number(first % 10n ** 19n));
      await seqOf(crashed, queue.id, 2);
      expect(recorded(dataDir)).toBe(block);
      // Deleting every message leaves no row to recover the last id from: only the record.
      const { messages } = await crashed.receiveMessages(queue.id, receiveAt(T0));
      await crashed.deleteMessages(queue.id, messages.map((m) => ({ seq: m.seq, receiptToken: m.receiptToken! })), T0);
      // The first store is never closed: as after kill -9, only what was committed counts.
      const reopened = new SqliteStore({ dataDir });
      stores.push(reopened);
      const after = await seqOf(reopened, queue.id, 3);
      expect(after).toBeGreaterThan(first + 1n);
    } finally {
      await closeAll(stores);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('records the block again after a group rolls back', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sealq-store-'));
    const store = new SqliteStore({ dataDir });
    try {
      const queue = await createQueue(store);
      // Another connection makes the record's write fail, so the whole group (with the message) rolls back.
      const other = new Database(join(dataDir, 'sealq.db'));
      other.exec(`CREATE TRIGGER refuse BEFORE UPDATE ON sqs_sequences BEGIN SELECT RAISE(ABORT, 'refused'); END`);
      await expect(store.insertMessages(queue.id, [message(1)], T0)).rejects.toThrow('refused');
      other.exec('DROP TRIGGER refuse');
      other.close();
      const next = await seqOf(store, queue.id, 2);
      expect(BigInt(recorded(dataDir))).toBeGreaterThanOrEqual(next % 10n ** 19n);
    } finally {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('sqlite: envelopes stored once and referred to by id', () => {
  const ENVELOPE_A = '{"k":"sqs-owned","q":"arn:aws:sqs:us-east-1:000000000000:q","d":"AAAA"}';
  const ENVELOPE_B = '{"k":"sqs-owned","q":"arn:aws:sqs:us-east-1:000000000000:q","d":"BBBB"}';
  const sealed = (n: number, envelope: string): NewMessage =>
    message(n, { body: '', bodyCiphertext: Buffer.from(`sealed-${n}`), envelope });
  const receiveAll = (store: SqliteStore, queueId: number) => store.receiveMessages(queueId, receiveAt(T0));
  const rows = (dataDir: string) => {
    const db = new Database(join(dataDir, 'sealq.db'), { readonly: true });
    try {
      return {
        envelopes: db.prepare<[], { id: number; text: string }>('SELECT id, text FROM sqs_envelopes ORDER BY id').all(),
        messages: db.prepare<[], { message_id: string; sse: string | null; envelope_id: number | null }>(
          'SELECT message_id, sse, envelope_id FROM sqs_messages ORDER BY id',
        ).all(),
      };
    } finally {
      db.close();
    }
  };

  async function withStore(test: (dataDir: string, open: () => SqliteStore) => Promise<void>): Promise<void> {
    const dataDir = mkdtempSync(join(tmpdir(), 'sealq-store-'));
    const stores: SqliteStore[] = [];
    try {
      await test(dataDir, () => {
        const store = new SqliteStore({ dataDir });
        stores.push(store);
        return store;
      });
    } finally {
      await closeAll(stores);
      rmSync(dataDir, { recursive: true, force: true });
    }
  }

  it('stores an envelope once for every message sealed under it, and reads it back from disk', () =>
    withStore(async (dataDir, open) => {
      const store = open();
      const queue = await createQueue(store);
      await store.insertMessages(queue.id, [sealed(1, ENVELOPE_A), sealed(2, ENVELOPE_A)], T0);
      await store.insertMessages(queue.id, [sealed(3, ENVELOPE_B)], T0);
      const stored = rows(dataDir);
      expect(stored.envelopes.map((e) => e.text)).toEqual([ENVELOPE_A, ENVELOPE_B]);
      expect(stored.messages.map((m) => [m.sse, m.envelope_id])).toEqual([
        [null, stored.envelopes[0].id],
        [null, stored.envelopes[0].id],
        [null, stored.envelopes[1].id],
      ]);
      await store.close();
      // A new store has nothing cached: the envelope comes from the table.
      const { messages } = await receiveAll(open(), queue.id);
      expect(messages.map((m) => [m.body, m.envelope, m.bodyCiphertext?.toString()])).toEqual([
        ['', ENVELOPE_A, 'sealed-1'],
        ['', ENVELOPE_A, 'sealed-2'],
        ['', ENVELOPE_B, 'sealed-3'],
      ]);
    }));

  it('still reads a row written before envelopes had their own table', () =>
    withStore(async (dataDir, open) => {
      const store = open();
      const queue = await createQueue(store);
      await store.insertMessages(queue.id, [sealed(1, ENVELOPE_A)], T0);
      await store.close();
      const db = new Database(join(dataDir, 'sealq.db'));
      db.prepare('UPDATE sqs_messages SET sse = ?, envelope_id = NULL').run(ENVELOPE_B);
      db.close();
      const { messages } = await receiveAll(open(), queue.id);
      expect(messages.map((m) => m.envelope)).toEqual([ENVELOPE_B]);
    }));

  it('sweeps the envelopes no message refers to any more, and stores one again when it comes back', () =>
    withStore(async (dataDir, open) => {
      const store = open();
      const queue = await createQueue(store);
      await store.insertMessages(queue.id, [sealed(1, ENVELOPE_A), sealed(2, ENVELOPE_B)], T0);
      const { messages } = await receiveAll(store, queue.id);
      const first = messages.find((m) => m.envelope === ENVELOPE_A)!;
      expect(await store.deleteMessage(queue.id, first.seq, first.receiptToken!, T0)).toBe('deleted');
      expect(await store.sweepEnvelopes()).toBe(1);
      expect(rows(dataDir).envelopes.map((e) => e.text)).toEqual([ENVELOPE_B]);
      expect(await store.sweepEnvelopes()).toBe(0);
      await store.insertMessages(queue.id, [sealed(3, ENVELOPE_A)], T0);
      await store.close();
      const again = await receiveAll(open(), queue.id);
      expect(again.messages.map((m) => m.envelope)).toEqual([ENVELOPE_A]);
    }));

  it('stores an envelope again after the write that stored it rolled back', () =>
    withStore(async (dataDir, open) => {
      const store = open();
      const queue = await createQueue(store);
      const other = new Database(join(dataDir, 'sealq.db'));
      other.exec(`CREATE TRIGGER refuse BEFORE INSERT ON sqs_messages
        WHEN NEW.message_id = '${sealed(1, ENVELOPE_A).messageId}' BEGIN SELECT RAISE(ABORT, 'refused'); END`);
      await expect(store.insertMessages(queue.id, [sealed(1, ENVELOPE_A)], T0)).rejects.toThrow('refused');
      // The group transaction commits (what did not roll back) at the end of this turn.
      await new Promise((resolve) => setImmediate(resolve));
      other.exec('DROP TRIGGER refuse');
      other.close();
      await store.insertMessages(queue.id, [sealed(2, ENVELOPE_A)], T0);
      await store.close();
      const { messages } = await receiveAll(open(), queue.id);
      expect(messages.map((m) => m.envelope)).toEqual([ENVELOPE_A]);
    }));
});

describe('sqlite: Approximate* counts of deep queues', () => {
  it('reuses a deep queue’s recent count for a while, counts shallow queues exactly, and counts afresh after a purge', async () => {
    const store = new SqliteStore({ dataDir: ':memory:', approximateCountsFrom: 3 });
    try {
      const deep = await createQueue(store);
      const shallow = (await store.createQueue({ accountId: '000000000000', name: 'shallow', fifo: false, attributes: {}, tags: {}, now: T0 })).queue;
      await store.insertMessages(deep.id, [message(1), message(2), message(3)], T0);
      await store.insertMessages(shallow.id, [message(11)], T0);
      expect(await store.countMessages(deep.id, T0)).toEqual({ visible: 3, inFlight: 0, delayed: 0 });

      await store.insertMessages(deep.id, [message(4)], T0);
      await store.insertMessages(shallow.id, [message(12)], T0);
      // 3 messages at a threshold of 3: the count may be reused for 1 s.
      expect(await store.countMessages(deep.id, T0 + 999)).toEqual({ visible: 3, inFlight: 0, delayed: 0 });
      expect(await store.countMessages(shallow.id, T0 + 999)).toEqual({ visible: 2, inFlight: 0, delayed: 0 });
      expect(await store.countMessages(deep.id, T0 + 1000)).toEqual({ visible: 4, inFlight: 0, delayed: 0 });

      await store.insertMessages(deep.id, [message(5)], T0);
      await store.purgeMessages(deep.id, T0 + 1000);
      expect(await store.countMessages(deep.id, T0 + 1001)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    } finally {
      await store.close();
    }
  });
});

describe('sqlite: a message move task', () => {
  it('takes the next messages of a source queue in index order, without sorting the queue', async () => {
    expect(await planOf(deepQueueSql.movableMessages, 1, T0, 0, 10)).toEqual([
      'SEARCH sqs_messages USING INDEX sqs_messages_by_visibility (queue_id=? AND visible_at<?)',
    ]);
  });
});

describe('sqlite: browsing a queue in send order', () => {
  it('reads row ids upward from a bound, without sorting the queue', async () => {
    expect(await planOf(deepQueueSql.peek, 1, 1, 10)).toEqual(['SEARCH sqs_messages USING INTEGER PRIMARY KEY (rowid>?)']);
    expect((await planOf(deepQueueSql.lowestId, 1)).join('\n')).toMatch(/COVERING INDEX/);
  });

  it('still finds a message moved in from another queue with a lower id, and messages sent after the queue was empty', async () => {
    const store = new SqliteStore({ dataDir: ':memory:' });
    try {
      const source = await createQueue(store);
      const dlq = (await store.createQueue({ accountId: '000000000000', name: 'dlq', fifo: false, attributes: {}, tags: {}, now: T0 })).queue;
      await store.insertMessages(source.id, [message(1, { body: 'old, in the source' })], T0);
      await store.insertMessages(dlq.id, [message(2, { body: 'dead-lettered later' })], T0);
      expect((await store.peekMessages(dlq.id, 10)).map((m) => m.body)).toEqual(['dead-lettered later']);

      // The source's message is received once too often: it moves to the DLQ with its lower id.
      await store.receiveMessages(source.id, { ...receiveAt(T0), visibleUntil: T0 });
      await store.receiveMessages(source.id, { ...receiveAt(T0), redrive: { maxReceiveCount: 1, targetQueueId: dlq.id, sourceArn: 'arn:aws:sqs:us-east-1:000000000000:q' } });
      expect((await store.peekMessages(dlq.id, 10)).map((m) => m.body)).toEqual(['old, in the source', 'dead-lettered later']);

      // Emptied, then sent to again.
      expect(await store.purgeMessages(dlq.id, T0)).toBe(2);
      expect(await store.peekMessages(dlq.id, 10)).toEqual([]);
      await store.insertMessages(dlq.id, [message(3, { body: 'after the purge' })], T0);
      expect((await store.peekMessages(dlq.id, 10)).map((m) => m.body)).toEqual(['after the purge']);
      expect(await store.peekMessages(dlq.id, 0)).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

describe('sqlite: the retention sweep', () => {
  it('finds a queue’s messages sent before a cutoff from the visibility index alone, without reading message rows', async () => {
    const plan = await planOf(deepQueueSql.purge, 1, T0);
    // The outer DELETE goes by row id; the search for what to delete reads the index only.
    expect(plan).toContain('SEARCH sqs_messages USING COVERING INDEX sqs_messages_by_visibility (queue_id=?)');
    expect(plan.join('\n')).not.toMatch(/TEMP B-TREE|SCAN sqs_messages/);
  });
});

describe('sqlite: the deduplication sweep', () => {
  it('removes every expired entry, more than one chunk of them, and keeps the live ones', async () => {
    const store = new SqliteStore({ dataDir: ':memory:' });
    try {
      const queue = (await store.createQueue({ accountId: '000000000000', name: 'q.fifo', fifo: true, attributes: {}, tags: {}, now: T0 })).queue;
      const batch = (from: number, count: number, expiresAt: number) =>
        Array.from({ length: count }, (_, i) => message(from + i, { groupId: 'g', deduplicationId: `d${from + i}`, dedup: { key: `d${from + i}`, expiresAt } }));
      for (let from = 0; from < 12_000; from += 1000) await store.insertMessages(queue.id, batch(from, 1000, T0 + 10), T0);
      await store.insertMessages(queue.id, batch(20_000, 3, T0 + 1000), T0);
      expect(await store.sweepDeduplication(T0 + 10)).toBe(12_000);
      expect(await store.sweepDeduplication(T0 + 10)).toBe(0);
      expect(await store.sweepDeduplication(T0 + 1000)).toBe(3);
    } finally {
      await store.close();
    }
  });
});

describeIdentityContract('sqlite', async () => {
  const store = new SqliteStore({ dataDir: ':memory:' });
  return { store: store.identity(), cleanup: () => store.close() };
});
