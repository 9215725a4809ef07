/**
 * The storage contract: what every engine behind the `SqsStore` port must do, as a vitest suite
 * any engine runs with its own factory:
 *
 *   describeStoreContract('sqlite', async () => ({ store, reopen, cleanup }));
 *
 * - `open` gives a fresh, empty store per test.
 * - `reopen` (optional) opens a new store on the same data after the suite has closed the current
 *   one; when given, the durability cases check that everything committed survives.
 * - `cleanup` releases whatever is still open and removes the data; it must tolerate a store the
 *   suite already closed.
 *
 * The suite is engine-neutral: it speaks only through the port, and every instant is an explicit
 * `now` (no clock is read). Boundaries are pinned so engines agree on them: a message is visible
 * when `visibleAt <= now`, expired when `sentAt <= expiredAtOrBefore`, in flight at `t` when
 * `visibleAt > t`; a dedup entry holds while `now < expiresAt`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MoveTaskRecord, NewMessage, NewQueue, ReceiveRequest, SqsStore, StoredMessage } from '../ports.js';

export interface StoreUnderTest {
  store: SqsStore;
  /** Opens the same data again; the suite calls it only after closing the current store. */
  reopen?: () => Promise<SqsStore>;
  cleanup: () => Promise<void>;
}

const ACCOUNT = '000000000000';
const OTHER_ACCOUNT = '111111111111';
/** A fixed origin for every instant in the suite. */
const T0 = 1_700_000_000_000;
const SECOND = 1000;
const DEDUP_WINDOW = 5 * 60 * SECOND;

const arnOf = (name: string, account = ACCOUNT) => `arn:aws:sqs:us-east-1:${account}:${name}`;

function newQueue(name: string, overrides: Partial<NewQueue> = {}): NewQueue {
  return {
    accountId: ACCOUNT,
    name,
    fifo: name.endsWith('.fifo'),
    attributes: {},
    tags: {},
    now: T0,
    ...overrides,
  };
}

let messageCounter = 0;
/** A message sent at `now`, visible at once unless `visibleAt` says otherwise. */
function newMessage(overrides: Partial<NewMessage> & { now?: number } = {}): NewMessage {
  return messageFixture(++messageCounter, overrides);
}

/** Message number `n` (its id and body derive from it), sent at `now` (default T0) and visible at once. */
export function messageFixture(n: number, overrides: Partial<NewMessage> & { now?: number } = {}): NewMessage {
  const { now = T0, ...rest } = overrides;
  return {
    messageId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    body: `body-${n}`,
    bodyCiphertext: null,
    envelope: null,
    messageAttributes: null,
    systemAttributes: null,
    md5OfBody: `md5-${n}`,
    md5OfMessageAttributes: null,
    md5OfSystemAttributes: null,
    senderId: 'AIDAEXAMPLE',
    sentAt: now,
    visibleAt: now,
    groupId: null,
    deduplicationId: null,
    dedup: null,
    ...rest,
  };
}

/** A FIFO message in `groupId`, deduplicated under `key` for the standard 5-minute window. */
function fifoMessage(groupId: string, key: string, overrides: Partial<NewMessage> & { now?: number } = {}): NewMessage {
  const now = overrides.now ?? T0;
  return newMessage({ groupId, deduplicationId: key, dedup: { key, expiresAt: now + DEDUP_WINDOW }, ...overrides });
}

function receiveAt(now: number, overrides: Partial<ReceiveRequest> = {}): ReceiveRequest {
  return {
    now,
    maxMessages: 10,
    visibleUntil: now + 30 * SECOND,
    expiredAtOrBefore: now - 4 * 24 * 3600 * SECOND,
    fifo: false,
    fifoScanLimit: 1000,
    redrive: null,
    ...overrides,
  };
}

const bodies = (messages: StoredMessage[]) => messages.map((m) => m.body);

function expectSequenceNumber(value: string | null | undefined): asserts value is string {
  expect(value).toMatch(/^\d{20}$/);
}

function expectStrictlyIncreasing(sequenceNumbers: string[]): void {
  for (let i = 1; i < sequenceNumbers.length; i++) {
    expect(BigInt(sequenceNumbers[i]) > BigInt(sequenceNumbers[i - 1]), `${sequenceNumbers[i]} > ${sequenceNumbers[i - 1]}`).toBe(
      true,
    );
  }
}

function task(handle: string, sourceQueueId: number, overrides: Partial<MoveTaskRecord> = {}): MoveTaskRecord {
  return {
    handle,
    sourceQueueId,
    sourceArn: arnOf('dlq'),
    destinationArn: null,
    maxMessagesPerSecond: null,
    status: 'RUNNING',
    moved: 0,
    toMove: 0,
    failureReason: null,
    startedAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

export function describeStoreContract(
  engineName: string,
  open: () => Promise<StoreUnderTest>,
  /** `reopens: false` for an engine whose data cannot outlive its store (SQLite :memory:). */
  options: { reopens: boolean } = { reopens: true },
): void {
  describe(`SqsStore contract: ${engineName}`, () => {
    let subject: StoreUnderTest;
    let store: SqsStore;

    beforeEach(async () => {
      subject = await open();
      store = subject.store;
    });

    afterEach(async () => {
      await subject.cleanup();
    });

    /** Receives everything visible at `now` (several calls if need be). */
    async function drain(queueId: number, now: number, overrides: Partial<ReceiveRequest> = {}): Promise<StoredMessage[]> {
      const out: StoredMessage[] = [];
      for (let i = 0; i < 1000; i++) {
        const { messages } = await store.receiveMessages(queueId, receiveAt(now, overrides));
        if (messages.length === 0) return out;
        out.push(...messages);
      }
      throw new Error('drain did not finish');
    }

    async function createQueue(name: string, overrides: Partial<NewQueue> = {}) {
      const { created, queue } = await store.createQueue(newQueue(name, overrides));
      expect(created).toBe(true);
      return queue;
    }

    describe('queues', () => {
      it('creates a queue and returns its record', async () => {
        const result = await store.createQueue(
          newQueue('orders', { attributes: { VisibilityTimeout: '45', Policy: '{"a":"ü"}' }, tags: { team: 'blue', 'ü': '✓' } }),
        );
        expect(result.created).toBe(true);
        expect(result.queue).toEqual({
          id: expect.any(Number),
          accountId: ACCOUNT,
          name: 'orders',
          fifo: false,
          attributes: { VisibilityTimeout: '45', Policy: '{"a":"ü"}' },
          tags: { team: 'blue', 'ü': '✓' },
          createdAt: T0,
          lastModifiedAt: T0,
          lastPurgedAt: null,
        });
        expect(await store.getQueue(ACCOUNT, 'orders')).toEqual(result.queue);
        expect(await store.getQueueById(result.queue.id)).toEqual(result.queue);
      });

      it('keeps the FIFO flag', async () => {
        const queue = await createQueue('jobs.fifo', { fifo: true, attributes: { FifoQueue: 'true' } });
        expect(queue.fifo).toBe(true);
        expect((await store.getQueueById(queue.id))?.fifo).toBe(true);
      });

      it('returns the existing queue unchanged when the name is taken', async () => {
        const first = await createQueue('orders', { attributes: { DelaySeconds: '5' }, tags: { a: '1' } });
        const again = await store.createQueue(
          newQueue('orders', { attributes: { DelaySeconds: '9' }, tags: { b: '2' }, now: T0 + 10 * SECOND }),
        );
        expect(again.created).toBe(false);
        expect(again.queue).toEqual(first);
        expect(await store.listQueues(ACCOUNT)).toHaveLength(1);
      });

      it('makes names unique per account, not globally', async () => {
        const mine = await createQueue('shared');
        const theirs = await createQueue('shared', { accountId: OTHER_ACCOUNT });
        expect(theirs.id).not.toBe(mine.id);
        expect((await store.getQueue(ACCOUNT, 'shared'))?.id).toBe(mine.id);
        expect((await store.getQueue(OTHER_ACCOUNT, 'shared'))?.id).toBe(theirs.id);
      });

      it('answers undefined for unknown queues', async () => {
        const queue = await createQueue('known');
        expect(await store.getQueue(ACCOUNT, 'unknown')).toBeUndefined();
        expect(await store.getQueue(OTHER_ACCOUNT, 'known')).toBeUndefined();
        expect(await store.getQueueById(queue.id + 1000)).toBeUndefined();
      });

      it('lists queues by name, per account or for all accounts, with a literal case-sensitive prefix', async () => {
        for (const name of ['b-queue', 'a_queue', 'ab-queue', 'A-queue', 'c.fifo']) {
          await createQueue(name, { fifo: name.endsWith('.fifo') });
        }
        await createQueue('a-theirs', { accountId: OTHER_ACCOUNT });
        // Ordered by code point ('A' < '_' < 'a'), whatever the engine's default collation.
        const names = async (account: string | null, prefix?: string) =>
          (await store.listQueues(account, prefix)).map((q) => q.name);

        expect(await names(ACCOUNT)).toEqual(['A-queue', 'a_queue', 'ab-queue', 'b-queue', 'c.fifo']);
        expect(await names(ACCOUNT, 'a')).toEqual(['a_queue', 'ab-queue']);
        // '_' and '%' are ordinary characters in a prefix.
        expect(await names(ACCOUNT, 'a_')).toEqual(['a_queue']);
        expect(await names(ACCOUNT, '%')).toEqual([]);
        expect(await names(ACCOUNT, 'A')).toEqual(['A-queue']);
        expect(await names(ACCOUNT, 'zzz')).toEqual([]);
        expect(await names(ACCOUNT, '')).toHaveLength(5);
        expect(await names(OTHER_ACCOUNT)).toEqual(['a-theirs']);
        expect(await names('222222222222')).toEqual([]);

        const all = await store.listQueues(null);
        expect(all.map((q) => `${q.accountId}/${q.name}`).sort()).toEqual(
          [...['A-queue', 'a_queue', 'ab-queue', 'b-queue', 'c.fifo'].map((n) => `${ACCOUNT}/${n}`), `${OTHER_ACCOUNT}/a-theirs`].sort(),
        );
        for (const account of [ACCOUNT, OTHER_ACCOUNT]) {
          const ofAccount = all.filter((q) => q.accountId === account).map((q) => q.name);
          expect(ofAccount).toEqual(await names(account));
        }
        expect((await store.listQueues(null, 'a-')).map((q) => q.name)).toEqual(['a-theirs']);
      });

      it('updates only what the patch names, replacing attributes and tags wholesale', async () => {
        const queue = await createQueue('orders', { attributes: { DelaySeconds: '5', VisibilityTimeout: '30' }, tags: { a: '1' } });

        const attributesOnly = await store.updateQueue(queue.id, { attributes: { VisibilityTimeout: '60' } });
        expect(attributesOnly).toEqual({ ...queue, attributes: { VisibilityTimeout: '60' } });

        const tagsAndTime = await store.updateQueue(queue.id, { tags: { b: '2' }, lastModifiedAt: T0 + 5 * SECOND });
        expect(tagsAndTime).toEqual({ ...queue, attributes: { VisibilityTimeout: '60' }, tags: { b: '2' }, lastModifiedAt: T0 + 5 * SECOND });

        const purged = await store.updateQueue(queue.id, { lastPurgedAt: T0 + 7 * SECOND });
        expect(purged.lastPurgedAt).toBe(T0 + 7 * SECOND);
        expect(purged.lastModifiedAt).toBe(T0 + 5 * SECOND);

        const cleared = await store.updateQueue(queue.id, { tags: {} });
        expect(cleared.tags).toEqual({});

        const unchanged = await store.updateQueue(queue.id, {});
        expect(unchanged).toEqual(cleared);
        expect(await store.getQueueById(queue.id)).toEqual(cleared);
        expect(unchanged.createdAt).toBe(T0);
      });

      it('rejects an update of a missing queue', async () => {
        await expect(store.updateQueue(424242, { tags: { a: '1' } })).rejects.toThrow();
      });

      it('deletes a queue with its messages and remembers when', async () => {
        const doomed = await createQueue('doomed');
        const kept = await createQueue('kept');
        await store.insertMessages(doomed.id, [newMessage(), newMessage()], T0);
        await store.insertMessages(kept.id, [newMessage({ body: 'survivor' })], T0);
        const [received] = (await store.receiveMessages(doomed.id, receiveAt(T0, { maxMessages: 1 }))).messages;
        expect(await store.lastDeletedAt(ACCOUNT, 'doomed')).toBeUndefined();

        await store.deleteQueue(doomed.id, T0 + 3 * SECOND);

        expect(await store.getQueue(ACCOUNT, 'doomed')).toBeUndefined();
        expect(await store.getQueueById(doomed.id)).toBeUndefined();
        expect((await store.listQueues(ACCOUNT)).map((q) => q.name)).toEqual(['kept']);
        expect(await store.lastDeletedAt(ACCOUNT, 'doomed')).toBe(T0 + 3 * SECOND);
        expect(await store.lastDeletedAt(OTHER_ACCOUNT, 'doomed')).toBeUndefined();
        expect(await store.countMessages(doomed.id, T0 + 3 * SECOND)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
        expect((await store.receiveMessages(doomed.id, receiveAt(T0 + 60 * SECOND))).messages).toEqual([]);
        expect(await store.deleteMessage(doomed.id, received.seq, received.receiptToken!, null)).toBe('missing');
        expect(bodies(await drain(kept.id, T0))).toEqual(['survivor']);

        // Re-created: a new, empty queue with a new id; deleting it again moves the marker.
        const reborn = await createQueue('doomed', { now: T0 + 100 * SECOND });
        expect(reborn.id).not.toBe(doomed.id);
        expect(reborn.createdAt).toBe(T0 + 100 * SECOND);
        expect(await store.countMessages(reborn.id, T0 + 100 * SECOND)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
        await store.deleteQueue(reborn.id, T0 + 200 * SECOND);
        expect(await store.lastDeletedAt(ACCOUNT, 'doomed')).toBe(T0 + 200 * SECOND);
      });

      it('ignores the deletion of a queue that does not exist', async () => {
        await expect(store.deleteQueue(424242, T0)).resolves.toBeUndefined();
      });

      it('never hands out a deleted queue id again', async () => {
        const ids = new Set<number>();
        for (let i = 0; i < 3; i++) {
          const queue = await createQueue('again', { now: T0 + i * 100 * SECOND });
          expect(ids.has(queue.id)).toBe(false);
          ids.add(queue.id);
          await store.deleteQueue(queue.id, T0 + i * 100 * SECOND + 1);
        }
      });
    });

    describe('insertMessages', () => {
      it('inserts a batch, one outcome per message in order, and keeps every field', async () => {
        const queue = await createQueue('q');
        const input = [
          newMessage({
            body: 'first',
            messageAttributes: '{"a":{"DataType":"String","StringValue":"1"}}',
            systemAttributes: '{"AWSTraceHeader":{"DataType":"String","StringValue":"Root=1-abc"}}',
            md5OfMessageAttributes: 'md5-attrs',
            md5OfSystemAttributes: 'md5-sys',
            senderId: 'AIDA1',
            groupId: 'fair-tenant',
          }),
          newMessage({ body: 'second' }),
          newMessage({ body: 'third' }),
        ];
        const outcomes = await store.insertMessages(queue.id, input, T0);
        expect(outcomes.map((o) => o.kind)).toEqual(['inserted', 'inserted', 'inserted']);

        const received = await drain(queue.id, T0 + 1);
        expect(received.map((m) => m.messageId).sort()).toEqual(input.map((m) => m.messageId).sort());
        for (const m of input) {
          const got = received.find((r) => r.messageId === m.messageId)!;
          expect(got).toMatchObject({
            body: m.body,
            messageAttributes: m.messageAttributes,
            systemAttributes: m.systemAttributes,
            md5OfBody: m.md5OfBody,
            md5OfMessageAttributes: m.md5OfMessageAttributes,
            md5OfSystemAttributes: m.md5OfSystemAttributes,
            senderId: m.senderId,
            sentAt: T0,
            groupId: m.groupId,
            deduplicationId: null,
            receiveCount: 1,
            firstReceivedAt: T0 + 1,
            deadLetterSourceArn: null,
          });
          expect(typeof got.seq).toBe('number');
        }
      });

      it('returns nothing for an empty batch', async () => {
        const queue = await createQueue('q');
        expect(await store.insertMessages(queue.id, [], T0)).toEqual([]);
      });

      it('stores bodies exactly, whatever their characters and size', async () => {
        const queue = await createQueue('q');
        const unicode = 'tab\there\nline\r\n€ 😀 \u{10FFFF} \uE000 \uFFFD ' + '"quoted" \'single\' \\ %_';
        const large = 'x'.repeat(1024 * 1024 - 3) + '€';
        await store.insertMessages(queue.id, [newMessage({ body: unicode }), newMessage({ body: large }), newMessage({ body: '' })], T0);
        const received = bodies(await drain(queue.id, T0));
        expect(received.sort()).toEqual(['', unicode, large].sort());
      });

      it('gives 20-digit sequence numbers that only ever grow', async () => {
        const queue = await createQueue('q.fifo', { fifo: true });
        const seen: string[] = [];
        const first = await store.insertMessages(
          queue.id,
          [fifoMessage('g', 'k1'), fifoMessage('g', 'k2'), fifoMessage('h', 'k3')],
          T0,
        );
        for (const o of first) {
          expectSequenceNumber(o.sequenceNumber);
          seen.push(o.sequenceNumber);
        }
        const [second] = await store.insertMessages(queue.id, [fifoMessage('g', 'k4')], T0 + 1);
        seen.push(second.sequenceNumber);

        // Delete everything, newest included: later messages still get larger numbers.
        const all = await drain(queue.id, T0 + 2, { fifo: true });
        expect(all.map((m) => m.sequenceNumber)).toEqual(expect.arrayContaining(seen));
        for (const m of all) expect(await store.deleteMessage(queue.id, m.seq, m.receiptToken!, T0 + 3)).toBe('deleted');
        const [third] = await store.insertMessages(queue.id, [fifoMessage('g', 'k5')], T0 + 4);
        seen.push(third.sequenceNumber);

        // Another queue's messages do not disturb the order.
        const other = await createQueue('other.fifo', { fifo: true });
        await store.insertMessages(other.id, [fifoMessage('g', 'x')], T0 + 5);
        const [fourth] = await store.insertMessages(queue.id, [fifoMessage('g', 'k6')], T0 + 6);
        seen.push(fourth.sequenceNumber);

        seen.forEach(expectSequenceNumber);
        expectStrictlyIncreasing(seen);
      });

      it('reports a duplicate within the window with the original message id and sequence number', async () => {
        const queue = await createQueue('q.fifo', { fifo: true });
        const original = fifoMessage('g', 'dedup-1', { body: 'original' });
        const [inserted] = await store.insertMessages(queue.id, [original], T0);
        expect(inserted.kind).toBe('inserted');

        const [duplicate] = await store.insertMessages(queue.id, [fifoMessage('g', 'dedup-1', { body: 'copy', now: T0 + 1000 })], T0 + 1000);
        expect(duplicate).toEqual({ kind: 'duplicate', messageId: original.messageId, sequenceNumber: inserted.sequenceNumber });

        // Within one batch too, and alongside a new key.
        const batch = await store.insertMessages(
          queue.id,
          [fifoMessage('g', 'dedup-2'), fifoMessage('g', 'dedup-1'), fifoMessage('g', 'dedup-2')],
          T0 + 2000,
        );
        expect(batch.map((o) => o.kind)).toEqual(['inserted', 'duplicate', 'duplicate']);
        expect(batch[2]).toMatchObject({ sequenceNumber: batch[0].sequenceNumber });

        expect(await store.countMessages(queue.id, T0 + 3000)).toEqual({ visible: 2, inFlight: 0, delayed: 0 });
        expect(bodies(await drain(queue.id, T0 + 3000, { fifo: true }))[0]).toBe('original');
      });

      it('keeps deduplicating after the original message is deleted', async () => {
        const queue = await createQueue('q.fifo', { fifo: true });
        const original = fifoMessage('g', 'k');
        const [inserted] = await store.insertMessages(queue.id, [original], T0);
        const [m] = (await store.receiveMessages(queue.id, receiveAt(T0, { fifo: true }))).messages;
        expect(await store.deleteMessage(queue.id, m.seq, m.receiptToken!, T0)).toBe('deleted');
        const [again] = await store.insertMessages(queue.id, [fifoMessage('g', 'k', { now: T0 + 10 })], T0 + 10);
        expect(again).toEqual({ kind: 'duplicate', messageId: original.messageId, sequenceNumber: inserted.sequenceNumber });
        expect(await store.countMessages(queue.id, T0 + 10)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
      });

      it('accepts the same key again once the window has passed (at expiresAt)', async () => {
        const queue = await createQueue('q.fifo', { fifo: true });
        const original = fifoMessage('g', 'k');
        await store.insertMessages(queue.id, [original], T0);
        const expiresAt = T0 + DEDUP_WINDOW;

        const [late] = await store.insertMessages(queue.id, [fifoMessage('g', 'k', { now: expiresAt - 1 })], expiresAt - 1);
        expect(late).toMatchObject({ kind: 'duplicate', messageId: original.messageId });

        const fresh = fifoMessage('g', 'k', { now: expiresAt });
        const [after] = await store.insertMessages(queue.id, [fresh], expiresAt);
        expect(after.kind).toBe('inserted');

        // The new message opens a new window of its own.
        const [dupOfFresh] = await store.insertMessages(queue.id, [fifoMessage('g', 'k', { now: expiresAt + 1 })], expiresAt + 1);
        expect(dupOfFresh).toEqual({ kind: 'duplicate', messageId: fresh.messageId, sequenceNumber: after.sequenceNumber });
        expect(await store.countMessages(queue.id, expiresAt + 1)).toMatchObject({ visible: 2 });
      });

      it('deduplicates per queue, with opaque keys', async () => {
        const a = await createQueue('a.fifo', { fifo: true });
        const b = await createQueue('b.fifo', { fifo: true });
        // The service builds keys such as `${groupId}\u0000${deduplicationId}`.
        const key = 'group-1\u0000dedup-€-😀';
        expect((await store.insertMessages(a.id, [fifoMessage('g', key)], T0))[0].kind).toBe('inserted');
        expect((await store.insertMessages(b.id, [fifoMessage('g', key)], T0))[0].kind).toBe('inserted');
        expect((await store.insertMessages(a.id, [fifoMessage('g', 'group-1\u0000dedup-€')], T0))[0].kind).toBe('inserted');
        expect((await store.insertMessages(a.id, [fifoMessage('g', 'group-2\u0000dedup-€-😀')], T0))[0].kind).toBe('inserted');
        expect((await store.insertMessages(a.id, [fifoMessage('g', key)], T0 + 1))[0].kind).toBe('duplicate');
      });

      it('lets exactly one of many concurrent sends with the same key in', async () => {
        const queue = await createQueue('q.fifo', { fifo: true });
        const messages = Array.from({ length: 8 }, () => fifoMessage('g', 'same'));
        const outcomes = (await Promise.all(messages.map((m) => store.insertMessages(queue.id, [m], T0)))).flat();
        const inserted = outcomes.filter((o) => o.kind === 'inserted');
        expect(inserted).toHaveLength(1);
        const winner = messages[outcomes.findIndex((o) => o.kind === 'inserted')];
        for (const o of outcomes) {
          if (o.kind === 'duplicate') expect(o).toEqual({ kind: 'duplicate', messageId: winner.messageId, sequenceNumber: inserted[0].sequenceNumber });
        }
        expect(await store.countMessages(queue.id, T0)).toMatchObject({ visible: 1 });
      });
    });

    describe('receiveMessages on standard queues', () => {
      it('returns only visible, unexpired messages, with pinned boundaries', async () => {
        const queue = await createQueue('q');
        const now = T0 + 100 * SECOND;
        const retentionCutoff = T0 + 10 * SECOND;
        await store.insertMessages(
          queue.id,
          [
            newMessage({ body: 'expired', now: retentionCutoff }), // sentAt == cutoff: expired
            newMessage({ body: 'just-kept', now: retentionCutoff + 1 }),
            newMessage({ body: 'due-now', now: retentionCutoff + 1, visibleAt: now }),
            newMessage({ body: 'delayed', now: retentionCutoff + 1, visibleAt: now + 1 }),
          ],
          T0,
        );
        const got = await drain(queue.id, now, { expiredAtOrBefore: retentionCutoff });
        expect(bodies(got).sort()).toEqual(['due-now', 'just-kept']);
        expect(bodies(await drain(queue.id, now + 1, { expiredAtOrBefore: retentionCutoff }))).toEqual(['delayed']);
      });

      it('returns at most maxMessages and never the same message twice while it is hidden', async () => {
        const queue = await createQueue('q');
        await store.insertMessages(queue.id, Array.from({ length: 25 }, (_, i) => newMessage({ body: `m${i}` })), T0);
        const first = await store.receiveMessages(queue.id, receiveAt(T0, { maxMessages: 7 }));
        expect(first.messages).toHaveLength(7);
        expect(first.movedToDeadLetter).toBe(0);
        const single = await store.receiveMessages(queue.id, receiveAt(T0, { maxMessages: 1 }));
        expect(single.messages).toHaveLength(1);
        const rest = await drain(queue.id, T0);
        const all = bodies([...first.messages, ...single.messages, ...rest]);
        expect(all).toHaveLength(25);
        expect(new Set(all).size).toBe(25);
      });

      it('hides a received message until visibleUntil and marks it each time', async () => {
        const queue = await createQueue('q');
        const [m] = [newMessage({ body: 'only' })];
        await store.insertMessages(queue.id, [m], T0);

        const [r1] = (await store.receiveMessages(queue.id, receiveAt(T0 + 1, { visibleUntil: T0 + 10 * SECOND }))).messages;
        expect(r1).toMatchObject({ messageId: m.messageId, receiveCount: 1, firstReceivedAt: T0 + 1, visibleAt: T0 + 10 * SECOND });
        expect(typeof r1.receiptToken).toBe('number');

        expect((await store.receiveMessages(queue.id, receiveAt(T0 + 10 * SECOND - 1))).messages).toEqual([]);

        const [r2] = (await store.receiveMessages(queue.id, receiveAt(T0 + 10 * SECOND, { visibleUntil: T0 + 20 * SECOND }))).messages;
        expect(r2).toMatchObject({ messageId: m.messageId, seq: r1.seq, receiveCount: 2, firstReceivedAt: T0 + 1, visibleAt: T0 + 20 * SECOND });

        const [r3] = (await store.receiveMessages(queue.id, receiveAt(T0 + 20 * SECOND, { visibleUntil: T0 + 20 * SECOND }))).messages;
        expect(r3.receiveCount).toBe(3);
        // visibleUntil == now: visible again at once.
        const [r4] = (await store.receiveMessages(queue.id, receiveAt(T0 + 20 * SECOND))).messages;
        expect(r4.receiveCount).toBe(4);

        const tokens = [r1, r2, r3, r4].map((r) => r.receiptToken);
        expect(new Set(tokens).size).toBe(4);
      });

      it('never gives one message to two concurrent receivers', async () => {
        const queue = await createQueue('q');
        await store.insertMessages(queue.id, Array.from({ length: 6 }, () => newMessage()), T0);
        const results = await Promise.all(
          Array.from({ length: 12 }, () => store.receiveMessages(queue.id, receiveAt(T0, { maxMessages: 1 }))),
        );
        const ids = results.flatMap((r) => r.messages.map((m) => m.messageId));
        expect(ids).toHaveLength(6);
        expect(new Set(ids).size).toBe(6);
      });

      it('returns nothing from an empty or unknown queue', async () => {
        const queue = await createQueue('q');
        expect(await store.receiveMessages(queue.id, receiveAt(T0))).toEqual({ messages: [], movedToDeadLetter: 0 });
        expect(await store.receiveMessages(queue.id + 1000, receiveAt(T0))).toEqual({ messages: [], movedToDeadLetter: 0 });
      });
    });

    describe('receiveMessages on FIFO queues', () => {
      const fifo = (now: number, overrides: Partial<ReceiveRequest> = {}) => receiveAt(now, { fifo: true, ...overrides });

      it('keeps strict order within a group', async () => {
        const queue = await createQueue('q.fifo', { fifo: true });
        const sent = Array.from({ length: 12 }, (_, i) => fifoMessage('g', `k${i}`, { body: `g-${i}` }));
        await store.insertMessages(queue.id, sent.slice(0, 5), T0);
        await store.insertMessages(queue.id, sent.slice(5), T0);
        const first = await store.receiveMessages(queue.id, fifo(T0, { maxMessages: 4 }));
        expect(bodies(first.messages)).toEqual(['g-0', 'g-1', 'g-2', 'g-3']);
        // The group is in flight: nothing more until those are settled.
        expect((await store.receiveMessages(queue.id, fifo(T0))).messages).toEqual([]);
        for (const m of first.messages) expect(await store.deleteMessage(queue.id, m.seq, m.receiptToken!, T0)).toBe('deleted');
        const rest = await store.receiveMessages(queue.id, fifo(T0, { maxMessages: 10 }));
        expect(bodies(rest.messages)).toEqual(sent.slice(4, 12).map((m) => m.body));
        const numbers = rest.messages.map((m) => m.sequenceNumber!);
        expectStrictlyIncreasing(numbers);
      });

      it('skips a group whose head is in flight and serves the others', async () => {
        const queue = await createQueue('q.fifo', { fifo: true });
        await store.insertMessages(
          queue.id,
          [
            fifoMessage('a', 'a1', { body: 'a1' }),
            fifoMessage('b', 'b1', { body: 'b1' }),
            fifoMessage('a', 'a2', { body: 'a2' }),
            fifoMessage('c', 'c1', { body: 'c1' }),
            fifoMessage('b', 'b2', { body: 'b2' }),
          ],
          T0,
        );
        const [a1] = (await store.receiveMessages(queue.id, fifo(T0, { maxMessages: 1, visibleUntil: T0 + 30 * SECOND }))).messages;
        expect(a1.body).toBe('a1');
        const others = await store.receiveMessages(queue.id, fifo(T0 + 1));
        expect(bodies(others.messages)).toEqual(['b1', 'c1', 'b2']);
        expect((await store.receiveMessages(queue.id, fifo(T0 + 2))).messages).toEqual([]);

        // When a1's visibility runs out it comes back first, before a2.
        const again = await store.receiveMessages(queue.id, fifo(T0 + 30 * SECOND, { maxMessages: 1 }));
        expect(again.messages.map((m) => [m.body, m.receiveCount])).toEqual([['a1', 2]]);
        const a1Again = again.messages[0];
        expect(await store.deleteMessage(queue.id, a1Again.seq, a1Again.receiptToken!, T0 + 30 * SECOND)).toBe('deleted');
        expect(bodies((await store.receiveMessages(queue.id, fifo(T0 + 30 * SECOND))).messages)).toEqual(['a2']);
      });

      it('skips a group whose head is delayed', async () => {
        const queue = await createQueue('q.fifo', { fifo: true });
        await store.insertMessages(
          queue.id,
          [
            fifoMessage('slow', 's1', { body: 's1', visibleAt: T0 + 5 * SECOND }),
            fifoMessage('slow', 's2', { body: 's2' }),
            fifoMessage('fast', 'f1', { body: 'f1' }),
          ],
          T0,
        );
        expect(bodies((await store.receiveMessages(queue.id, fifo(T0))).messages)).toEqual(['f1']);
        expect(bodies((await store.receiveMessages(queue.id, fifo(T0 + 5 * SECOND))).messages)).toEqual(['s1', 's2']);
      });

      it('looks past busy groups for an available one', async () => {
        const queue = await createQueue('q.fifo', { fifo: true });
        await store.insertMessages(queue.id, Array.from({ length: 30 }, (_, i) => fifoMessage('busy', `b${i}`)), T0);
        await store.insertMessages(queue.id, [fifoMessage('free', 'f', { body: 'free' })], T0);
        const busy = await store.receiveMessages(queue.id, fifo(T0, { maxMessages: 1 }));
        expect(busy.messages).toHaveLength(1);
        expect(bodies((await store.receiveMessages(queue.id, fifo(T0, { fifoScanLimit: 100 }))).messages)).toEqual(['free']);
      });

      it('does not let expired messages block their group', async () => {
        const queue = await createQueue('q.fifo', { fifo: true });
        await store.insertMessages(
          queue.id,
          [fifoMessage('g', 'old', { body: 'old', now: T0 }), fifoMessage('g', 'new', { body: 'new', now: T0 + 10 * SECOND })],
          T0,
        );
        const got = await store.receiveMessages(queue.id, fifo(T0 + 20 * SECOND, { expiredAtOrBefore: T0 }));
        expect(bodies(got.messages)).toEqual(['new']);
      });

      it('carries groups and deduplication ids through', async () => {
        const queue = await createQueue('q.fifo', { fifo: true });
        const [outcome] = await store.insertMessages(queue.id, [fifoMessage('grp', 'dedup-x', { body: 'b' })], T0);
        const [m] = (await store.receiveMessages(queue.id, fifo(T0))).messages;
        expect(m).toMatchObject({ groupId: 'grp', deduplicationId: 'dedup-x', sequenceNumber: outcome.sequenceNumber });
      });
    });

    describe('dead-letter redrive on receive', () => {
      it('moves a message received maxReceiveCount times to the target queue', async () => {
        const source = await createQueue('source');
        const dlq = await createQueue('dlq');
        const poison = newMessage({ body: 'poison' });
        await store.insertMessages(source.id, [poison], T0);
        const redrive = { maxReceiveCount: 2, targetQueueId: dlq.id, sourceArn: arnOf('source') };

        let now = T0;
        for (let i = 1; i <= 2; i++) {
          const result = await store.receiveMessages(source.id, receiveAt(now, { redrive, visibleUntil: now + SECOND }));
          expect(result).toMatchObject({ movedToDeadLetter: 0 });
          expect(result.messages.map((m) => m.receiveCount)).toEqual([i]);
          now += SECOND;
        }
        await store.insertMessages(source.id, [newMessage({ body: 'healthy', now })], now);

        const third = await store.receiveMessages(source.id, receiveAt(now, { redrive }));
        expect(third.movedToDeadLetter).toBe(1);
        expect(bodies(third.messages)).toEqual(['healthy']);
        expect(await store.countMessages(source.id, now)).toEqual({ visible: 0, inFlight: 1, delayed: 0 });

        const moved = await drain(dlq.id, now);
        expect(moved).toHaveLength(1);
        expect(moved[0]).toMatchObject({ messageId: poison.messageId, body: 'poison', deadLetterSourceArn: arnOf('source') });
      });

      it('moves FIFO messages too, keeping the rest of the group in order', async () => {
        const source = await createQueue('source.fifo', { fifo: true });
        const dlq = await createQueue('dlq.fifo', { fifo: true });
        await store.insertMessages(source.id, [fifoMessage('g', '1', { body: 'first' }), fifoMessage('g', '2', { body: 'second' })], T0);
        const redrive = { maxReceiveCount: 1, targetQueueId: dlq.id, sourceArn: arnOf('source.fifo') };
        const r1 = await store.receiveMessages(source.id, receiveAt(T0, { fifo: true, maxMessages: 1, redrive, visibleUntil: T0 + SECOND }));
        expect(bodies(r1.messages)).toEqual(['first']);
        const r2 = await store.receiveMessages(source.id, receiveAt(T0 + SECOND, { fifo: true, redrive }));
        expect(r2.movedToDeadLetter).toBe(1);
        expect(bodies(r2.messages)).toEqual(['second']);
        const [dead] = await drain(dlq.id, T0 + SECOND, { fifo: true });
        expect(dead).toMatchObject({ body: 'first', deadLetterSourceArn: arnOf('source.fifo'), groupId: 'g' });
      });
    });

    describe('deleteMessage', () => {
      async function oneReceived(name = 'q', visibleUntil = T0 + 30 * SECOND) {
        const queue = await createQueue(name);
        await store.insertMessages(queue.id, [newMessage({ body: 'm' })], T0);
        const [m] = (await store.receiveMessages(queue.id, receiveAt(T0, { visibleUntil }))).messages;
        return { queue, m };
      }

      it('deletes with the current receipt', async () => {
        const { queue, m } = await oneReceived();
        expect(await store.deleteMessage(queue.id, m.seq, m.receiptToken!, null)).toBe('deleted');
        expect(await store.countMessages(queue.id, T0 + 60 * SECOND)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
        expect(await store.deleteMessage(queue.id, m.seq, m.receiptToken!, null)).toBe('missing');
      });

      it('refuses a stale receipt after the message was received again', async () => {
        const { queue, m } = await oneReceived('q', T0 + SECOND);
        const [again] = (await store.receiveMessages(queue.id, receiveAt(T0 + SECOND))).messages;
        expect(again.seq).toBe(m.seq);
        expect(await store.deleteMessage(queue.id, m.seq, m.receiptToken!, null)).toBe('stale-receipt');
        expect(await store.countMessages(queue.id, T0 + SECOND)).toMatchObject({ inFlight: 1 });
        expect(await store.deleteMessage(queue.id, again.seq, again.receiptToken!, null)).toBe('deleted');
      });

      it('answers missing for unknown messages and for another queue', async () => {
        const { queue, m } = await oneReceived();
        const other = await createQueue('other');
        expect(await store.deleteMessage(queue.id, m.seq + 1000, m.receiptToken!, null)).toBe('missing');
        expect(await store.deleteMessage(other.id, m.seq, m.receiptToken!, null)).toBe('missing');
        expect(await store.countMessages(queue.id, T0)).toMatchObject({ inFlight: 1 });
      });

      it('with inFlightAt, deletes only while the message is still hidden at that instant', async () => {
        const { queue, m } = await oneReceived('q', T0 + 10 * SECOND);
        expect(await store.deleteMessage(queue.id, m.seq, m.receiptToken!, T0 + 10 * SECOND)).toBe('stale-receipt');
        expect(await store.countMessages(queue.id, T0 + 10 * SECOND)).toMatchObject({ visible: 1 });
        expect(await store.deleteMessage(queue.id, m.seq, m.receiptToken!, T0 + 10 * SECOND - 1)).toBe('deleted');

        // Without inFlightAt the current receipt deletes even after the visibility ran out.
        const late = await oneReceived('q2', T0 + SECOND);
        expect(await store.deleteMessage(late.queue.id, late.m.seq, late.m.receiptToken!, null)).toBe('deleted');
      });

      it('keeps the other messages', async () => {
        const queue = await createQueue('q');
        await store.insertMessages(queue.id, [newMessage({ body: 'a' }), newMessage({ body: 'b' })], T0);
        const got = await drain(queue.id, T0, { visibleUntil: T0 + SECOND });
        const a = got.find((m) => m.body === 'a')!;
        expect(await store.deleteMessage(queue.id, a.seq, a.receiptToken!, null)).toBe('deleted');
        expect(bodies(await drain(queue.id, T0 + SECOND))).toEqual(['b']);
      });
    });

    describe('deleteMessages', () => {
      it('deletes many at once and reports each outcome in input order', async () => {
        const queue = await createQueue('q');
        await store.insertMessages(queue.id, [newMessage({ body: 'a' }), newMessage({ body: 'b' }), newMessage({ body: 'c' })], T0);
        const got = await drain(queue.id, T0, { visibleUntil: T0 + SECOND });
        const [a, b] = [got.find((m) => m.body === 'a')!, got.find((m) => m.body === 'b')!];
        const outcomes = await store.deleteMessages(
          queue.id,
          [
            { seq: b.seq, receiptToken: b.receiptToken! },
            { seq: a.seq, receiptToken: a.receiptToken! + 1 },
            { seq: a.seq + 1000, receiptToken: 1 },
            { seq: a.seq, receiptToken: a.receiptToken! },
          ],
          null,
        );
        expect(outcomes).toEqual(['deleted', 'stale-receipt', 'missing', 'deleted']);
        expect(bodies(await drain(queue.id, T0 + SECOND))).toEqual(['c']);
      });
    });

    describe('changeVisibility', () => {
      it('moves the instant a received message becomes visible', async () => {
        const queue = await createQueue('q');
        await store.insertMessages(queue.id, [newMessage()], T0);
        const [m] = (await store.receiveMessages(queue.id, receiveAt(T0, { visibleUntil: T0 + 30 * SECOND }))).messages;

        expect(await store.changeVisibility(queue.id, m.seq, m.receiptToken!, T0 + 60 * SECOND, T0 + 1)).toBe('changed');
        expect(await store.nextVisibleAt(queue.id, T0 + 1)).toBe(T0 + 60 * SECOND);
        expect((await store.receiveMessages(queue.id, receiveAt(T0 + 59 * SECOND))).messages).toEqual([]);

        expect(await store.changeVisibility(queue.id, m.seq, m.receiptToken!, T0 + 2 * SECOND, T0 + 2 * SECOND)).toBe('changed');
        const [back] = (await store.receiveMessages(queue.id, receiveAt(T0 + 2 * SECOND))).messages;
        // Visibility changes neither count as a receive nor mint a receipt.
        expect(back).toMatchObject({ seq: m.seq, receiveCount: 2 });
        expect(back.receiptToken).not.toBe(m.receiptToken);
      });

      it('keeps the receipt valid after a change', async () => {
        const queue = await createQueue('q');
        await store.insertMessages(queue.id, [newMessage()], T0);
        const [m] = (await store.receiveMessages(queue.id, receiveAt(T0))).messages;
        expect(await store.changeVisibility(queue.id, m.seq, m.receiptToken!, T0 + 100 * SECOND, T0)).toBe('changed');
        expect(await store.countMessages(queue.id, T0 + 50 * SECOND)).toEqual({ visible: 0, inFlight: 1, delayed: 0 });
        expect(await store.deleteMessage(queue.id, m.seq, m.receiptToken!, T0 + 50 * SECOND)).toBe('deleted');
      });

      it('reports stale receipts, messages not in flight, and missing messages', async () => {
        const queue = await createQueue('q');
        const other = await createQueue('other');
        await store.insertMessages(queue.id, [newMessage()], T0);
        const [m] = (await store.receiveMessages(queue.id, receiveAt(T0, { visibleUntil: T0 + SECOND }))).messages;

        // Visibility ran out (visibleAt <= now): not in flight.
        expect(await store.changeVisibility(queue.id, m.seq, m.receiptToken!, T0 + 10 * SECOND, T0 + SECOND)).toBe('not-in-flight');
        expect(await store.countMessages(queue.id, T0 + SECOND)).toMatchObject({ visible: 1 });

        const [again] = (await store.receiveMessages(queue.id, receiveAt(T0 + SECOND))).messages;
        expect(await store.changeVisibility(queue.id, m.seq, m.receiptToken!, T0 + 10 * SECOND, T0 + SECOND)).toBe('stale-receipt');
        expect(await store.changeVisibility(other.id, again.seq, again.receiptToken!, T0, T0 + SECOND)).toBe('missing');
        expect(await store.changeVisibility(queue.id, again.seq + 1000, again.receiptToken!, T0, T0 + SECOND)).toBe('missing');
        expect(await store.deleteMessage(queue.id, again.seq, again.receiptToken!, null)).toBe('deleted');
        expect(await store.changeVisibility(queue.id, again.seq, again.receiptToken!, T0, T0 + SECOND)).toBe('missing');
      });
    });

    describe('receive attempts (FIFO ReceiveRequestAttemptId)', () => {
      const WINDOW = 5 * 60 * SECOND;
      /** A FIFO queue with three messages in one group, two of them received under attempt 'a1'. */
      async function attempted() {
        const queue = await createQueue('q.fifo', { fifo: true });
        await store.insertMessages(queue.id, ['m1', 'm2', 'm3'].map((b) => fifoMessage('g', b, { body: b })), T0);
        const { messages } = await store.receiveMessages(
          queue.id,
          receiveAt(T0, { fifo: true, maxMessages: 2, visibleUntil: T0 + 30 * SECOND, attempt: { id: 'a1', expiresAt: T0 + WINDOW } }),
        );
        expect(bodies(messages)).toEqual(['m1', 'm2']);
        return { queue, messages };
      }

      it('replays the same messages and receipts, hidden for another timeout, without counting a receive', async () => {
        const { queue, messages } = await attempted();
        const replay = await store.replayReceiveAttempt(queue.id, 'a1', T0 + 10 * SECOND, T0 + 40 * SECOND);
        expect(replay?.receivedAt).toBe(T0);
        expect(replay?.messages).toEqual(messages.map((m) => ({ ...m, visibleAt: T0 + 40 * SECOND })));
        // The visibility timeout restarted: still hidden after the first one would have ended.
        expect(await store.countMessages(queue.id, T0 + 35 * SECOND)).toEqual({ visible: 1, inFlight: 2, delayed: 0 });
        expect(await store.nextVisibleAt(queue.id, T0 + 35 * SECOND)).toBe(T0 + 40 * SECOND);
        // A replay can be replayed, and the receipts stay live.
        const again = await store.replayReceiveAttempt(queue.id, 'a1', T0 + 20 * SECOND, T0 + 50 * SECOND);
        expect(again?.messages.map((m) => [m.seq, m.receiptToken])).toEqual(messages.map((m) => [m.seq, m.receiptToken]));
        for (const m of messages) expect(await store.deleteMessage(queue.id, m.seq, m.receiptToken!, T0 + 45 * SECOND)).toBe('deleted');
      });

      it('knows attempts per queue and by exact id, and records none for an empty receive', async () => {
        const { queue } = await attempted();
        const other = await createQueue('other.fifo', { fifo: true });
        expect(await store.replayReceiveAttempt(other.id, 'a1', T0 + SECOND, T0 + 31 * SECOND)).toBeUndefined();
        expect(await store.replayReceiveAttempt(queue.id, 'A1', T0 + SECOND, T0 + 31 * SECOND)).toBeUndefined();
        const empty = await store.receiveMessages(other.id, receiveAt(T0, { fifo: true, attempt: { id: 'e', expiresAt: T0 + WINDOW } }));
        expect(empty.messages).toEqual([]);
        await store.insertMessages(other.id, [fifoMessage('g', 'late')], T0 + SECOND);
        expect(await store.replayReceiveAttempt(other.id, 'e', T0 + 2 * SECOND, T0 + 32 * SECOND)).toBeUndefined();
      });

      it('replays nothing once a message of the attempt was deleted, and forgets the attempt', async () => {
        const { queue, messages } = await attempted();
        expect(await store.deleteMessage(queue.id, messages[1].seq, messages[1].receiptToken!, T0 + SECOND)).toBe('deleted');
        expect(await store.replayReceiveAttempt(queue.id, 'a1', T0 + 2 * SECOND, T0 + 32 * SECOND)).toBeUndefined();
        // The untouched message kept its visibility.
        expect(await store.nextVisibleAt(queue.id, T0 + 2 * SECOND)).toBe(T0 + 30 * SECOND);
      });

      it('replays nothing once a message of the attempt had its visibility changed', async () => {
        const { queue, messages } = await attempted();
        expect(await store.changeVisibility(queue.id, messages[0].seq, messages[0].receiptToken!, T0 + 60 * SECOND, T0 + SECOND)).toBe('changed');
        expect(await store.replayReceiveAttempt(queue.id, 'a1', T0 + 2 * SECOND, T0 + 32 * SECOND)).toBeUndefined();
        expect(await store.nextVisibleAt(queue.id, T0 + 2 * SECOND)).toBe(T0 + 30 * SECOND);
      });

      it('replays nothing once the messages became visible or were received again', async () => {
        const { queue, messages } = await attempted();
        expect(await store.replayReceiveAttempt(queue.id, 'a1', T0 + 30 * SECOND, T0 + 60 * SECOND)).toBeUndefined();
        const { messages: second } = await store.receiveMessages(
          queue.id,
          receiveAt(T0 + 30 * SECOND, { fifo: true, maxMessages: 2, attempt: { id: 'a2', expiresAt: T0 + 30 * SECOND + WINDOW } }),
        );
        expect(second.map((m) => m.seq)).toEqual(messages.map((m) => m.seq));
        expect(await store.replayReceiveAttempt(queue.id, 'a1', T0 + 31 * SECOND, T0 + 61 * SECOND)).toBeUndefined();
        expect((await store.replayReceiveAttempt(queue.id, 'a2', T0 + 31 * SECOND, T0 + 61 * SECOND))?.messages.map((m) => m.receiptToken)).toEqual(
          second.map((m) => m.receiptToken),
        );
      });

      it('replays nothing after the 5-minute window, even with the messages still hidden', async () => {
        const queue = await createQueue('q.fifo', { fifo: true });
        await store.insertMessages(queue.id, [fifoMessage('g', 'k')], T0);
        await store.receiveMessages(
          queue.id,
          receiveAt(T0, { fifo: true, visibleUntil: T0 + 3600 * SECOND, attempt: { id: 'a1', expiresAt: T0 + WINDOW } }),
        );
        expect(await store.replayReceiveAttempt(queue.id, 'a1', T0 + WINDOW - 1, T0 + 3600 * SECOND)).toBeDefined();
        expect(await store.replayReceiveAttempt(queue.id, 'a1', T0 + WINDOW, T0 + 3600 * SECOND)).toBeUndefined();
      });

      it('a new receive under the same attempt id replaces the record', async () => {
        const { queue, messages } = await attempted();
        for (const m of messages) await store.deleteMessage(queue.id, m.seq, m.receiptToken!, T0 + SECOND);
        const { messages: next } = await store.receiveMessages(
          queue.id,
          receiveAt(T0 + SECOND, { fifo: true, attempt: { id: 'a1', expiresAt: T0 + SECOND + WINDOW } }),
        );
        expect(bodies(next)).toEqual(['m3']);
        const replay = await store.replayReceiveAttempt(queue.id, 'a1', T0 + 2 * SECOND, T0 + 32 * SECOND);
        expect(replay).toMatchObject({ receivedAt: T0 + SECOND });
        expect(bodies(replay!.messages)).toEqual(['m3']);
      });
    });

    describe('large queues', () => {
      async function fill(queueId: number, count: number) {
        for (let i = 0; i < count; i += 500) {
          await store.insertMessages(queueId, Array.from({ length: Math.min(500, count - i) }, () => newMessage()), T0);
        }
      }

      it('purges more messages than fit in one chunk, and counts them all', async () => {
        const queue = await createQueue('big');
        await fill(queue.id, 12_345);
        expect(await store.purgeMessages(queue.id, T0)).toBe(12_345);
        expect(await store.countMessages(queue.id, T0)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
      });

      it('removes every message of a deleted large queue, leaving other queues alone', async () => {
        const doomed = await createQueue('doomed');
        const kept = await createQueue('kept');
        await fill(doomed.id, 12_345);
        await store.insertMessages(kept.id, [newMessage({ body: 'survivor' })], T0);
        await store.deleteQueue(doomed.id, T0);
        expect(await store.getQueueById(doomed.id)).toBeUndefined();
        const deadline = Date.now() + 10_000;
        while ((await store.countMessages(doomed.id, T0)).visible > 0 && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 20));
        }
        expect(await store.countMessages(doomed.id, T0)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
        expect(bodies(await drain(kept.id, T0))).toEqual(['survivor']);
      });
    });

    describe('purgeMessages', () => {
      it('deletes the messages sent at or before the cutoff, in flight or not', async () => {
        const queue = await createQueue('q');
        const other = await createQueue('other');
        await store.insertMessages(queue.id, [newMessage({ body: 'old-1', now: T0 }), newMessage({ body: 'old-2', now: T0 + 5 })], T0);
        await store.insertMessages(queue.id, [newMessage({ body: 'new', now: T0 + 6 })], T0 + 6);
        await store.insertMessages(other.id, [newMessage({ body: 'elsewhere', now: T0 })], T0);
        await store.receiveMessages(queue.id, receiveAt(T0 + 6, { maxMessages: 1 }));

        expect(await store.purgeMessages(queue.id, T0 + 5)).toBe(2);
        expect(bodies(await drain(queue.id, T0 + 60 * SECOND))).toEqual(['new']);
        expect(bodies(await drain(other.id, T0 + 60 * SECOND))).toEqual(['elsewhere']);
        expect(await store.purgeMessages(queue.id, T0 + 5)).toBe(0);
      });
    });

    describe('countMessages and nextVisibleAt', () => {
      it('counts visible, in-flight and delayed messages at an instant', async () => {
        const queue = await createQueue('q');
        await store.insertMessages(
          queue.id,
          [
            newMessage({ body: 'v1' }),
            newMessage({ body: 'v2' }),
            newMessage({ body: 'v3' }),
            newMessage({ body: 'delayed', visibleAt: T0 + 10 * SECOND }),
          ],
          T0,
        );
        expect(await store.countMessages(queue.id, T0)).toEqual({ visible: 3, inFlight: 0, delayed: 1 });
        await store.receiveMessages(queue.id, receiveAt(T0, { maxMessages: 2, visibleUntil: T0 + 20 * SECOND }));
        expect(await store.countMessages(queue.id, T0)).toEqual({ visible: 1, inFlight: 2, delayed: 1 });
        expect(await store.countMessages(queue.id, T0 + 10 * SECOND)).toEqual({ visible: 2, inFlight: 2, delayed: 0 });
        expect(await store.countMessages(queue.id, T0 + 20 * SECOND)).toEqual({ visible: 4, inFlight: 0, delayed: 0 });
        expect(await store.countMessages(queue.id + 1000, T0)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
      });

      it('gives the earliest instant after now at which a message becomes visible', async () => {
        const queue = await createQueue('q');
        expect(await store.nextVisibleAt(queue.id, T0)).toBeUndefined();
        await store.insertMessages(queue.id, [newMessage({ body: 'now' })], T0);
        expect(await store.nextVisibleAt(queue.id, T0)).toBeUndefined();
        await store.insertMessages(
          queue.id,
          [newMessage({ visibleAt: T0 + 50 * SECOND }), newMessage({ visibleAt: T0 + 40 * SECOND })],
          T0,
        );
        expect(await store.nextVisibleAt(queue.id, T0)).toBe(T0 + 40 * SECOND);
        await store.receiveMessages(queue.id, receiveAt(T0, { visibleUntil: T0 + 30 * SECOND }));
        expect(await store.nextVisibleAt(queue.id, T0)).toBe(T0 + 30 * SECOND);
        expect(await store.nextVisibleAt(queue.id, T0 + 30 * SECOND)).toBe(T0 + 40 * SECOND);
        expect(await store.nextVisibleAt(queue.id, T0 + 50 * SECOND)).toBeUndefined();
        expect(await store.nextVisibleAt(queue.id + 1000, T0)).toBeUndefined();
      });
    });

    describe('peekMessages', () => {
      it('lists messages in send order in every state, with their content, changing nothing', async () => {
        const queue = await createQueue('q');
        const attributes = JSON.stringify({ colour: { dataType: 'String', stringValue: 'blue' } });
        await store.insertMessages(
          queue.id,
          [
            newMessage({ body: 'first', messageAttributes: attributes, envelope: '{"k":"key"}', bodyCiphertext: Buffer.from([1, 2, 3]) }),
            newMessage({ body: 'second' }),
            newMessage({ body: 'delayed', visibleAt: T0 + 10 * SECOND }),
          ],
          T0,
        );
        const [received] = (await store.receiveMessages(queue.id, receiveAt(T0, { maxMessages: 1, visibleUntil: T0 + 20 * SECOND }))).messages;
        expect(received.body).toBe('first');
        const before = await store.countMessages(queue.id, T0);

        const peeked = await store.peekMessages(queue.id, 10);
        expect(bodies(peeked)).toEqual(['first', 'second', 'delayed']);
        expect(peeked[0]).toMatchObject({
          messageId: received.messageId,
          messageAttributes: attributes,
          envelope: '{"k":"key"}',
          bodyCiphertext: Buffer.from([1, 2, 3]),
          sentAt: T0,
          visibleAt: T0 + 20 * SECOND,
          receiveCount: 1,
          firstReceivedAt: T0,
          receiptToken: null,
        });
        expect(peeked[1]).toMatchObject({ visibleAt: T0, receiveCount: 0, firstReceivedAt: null, receiptToken: null });
        expect(peeked[2]).toMatchObject({ visibleAt: T0 + 10 * SECOND, receiveCount: 0 });
        expectSequenceNumber(peeked[0].sequenceNumber);

        // Peeking again, and receiving afterwards, see the same state: a peek changes nothing.
        expect(await store.peekMessages(queue.id, 10)).toEqual(peeked);
        expect(await store.countMessages(queue.id, T0)).toEqual(before);
        const next = (await store.receiveMessages(queue.id, receiveAt(T0))).messages;
        expect(bodies(next)).toEqual(['second']);
        expect(next[0].receiveCount).toBe(1);
        expect(await store.deleteMessage(queue.id, received.seq, received.receiptToken!, T0)).toBe('deleted');
      });

      it('stops at the limit and sees only its own queue', async () => {
        const queue = await createQueue('q');
        const other = await createQueue('other');
        await store.insertMessages(queue.id, [newMessage({ body: 'a' }), newMessage({ body: 'b' }), newMessage({ body: 'c' })], T0);
        await store.insertMessages(other.id, [newMessage({ body: 'x' })], T0);
        expect(bodies(await store.peekMessages(queue.id, 2))).toEqual(['a', 'b']);
        expect(bodies(await store.peekMessages(other.id, 10))).toEqual(['x']);
        expect(await store.peekMessages(queue.id + 1000, 10)).toEqual([]);
        expect(await store.peekMessages(queue.id, 0)).toEqual([]);
      });

      it('keeps group and deduplication ids of FIFO messages', async () => {
        const queue = await createQueue('jobs.fifo', { fifo: true, attributes: { FifoQueue: 'true' } });
        await store.insertMessages(queue.id, [fifoMessage('g1', 'd1', { body: 'one' }), fifoMessage('g2', 'd2', { body: 'two' })], T0);
        const peeked = await store.peekMessages(queue.id, 10);
        expect(peeked.map((m) => [m.body, m.groupId, m.deduplicationId])).toEqual([
          ['one', 'g1', 'd1'],
          ['two', 'g2', 'd2'],
        ]);
      });
    });

    describe('move tasks', () => {
      it('creates, reads, lists (newest first) and patches tasks', async () => {
        const dlq = await createQueue('dlq');
        const other = await createQueue('other-dlq');
        const older = task('handle-older', dlq.id, { startedAt: T0, updatedAt: T0, toMove: 5, status: 'COMPLETED', moved: 5 });
        const newer = task('handle-newer', dlq.id, {
          startedAt: T0 + SECOND,
          updatedAt: T0 + SECOND,
          destinationArn: arnOf('dest'),
          maxMessagesPerSecond: 50,
          toMove: 7,
        });
        const elsewhere = task('handle-elsewhere', other.id, { startedAt: T0 + 2 * SECOND, sourceArn: arnOf('other-dlq') });
        await store.createMoveTask(older);
        await store.createMoveTask(newer);
        await store.createMoveTask(elsewhere);

        expect(await store.getMoveTask('handle-newer')).toEqual(newer);
        expect(await store.getMoveTask('nope')).toBeUndefined();
        expect((await store.listMoveTasks(dlq.id)).map((t) => t.handle)).toEqual(['handle-newer', 'handle-older']);
        expect((await store.listMoveTasks()).map((t) => t.handle)).toEqual(['handle-elsewhere', 'handle-newer', 'handle-older']);
        expect(await store.listMoveTasks(dlq.id + 1000)).toEqual([]);

        await store.updateMoveTask('handle-newer', { moved: 3, updatedAt: T0 + 3 * SECOND });
        expect(await store.getMoveTask('handle-newer')).toEqual({ ...newer, moved: 3, updatedAt: T0 + 3 * SECOND });
        await store.updateMoveTask('handle-newer', {
          status: 'FAILED',
          failureReason: 'AWS.SimpleQueueService.NonExistentQueue',
          toMove: 8,
          updatedAt: T0 + 4 * SECOND,
        });
        expect(await store.getMoveTask('handle-newer')).toEqual({
          ...newer,
          moved: 3,
          status: 'FAILED',
          failureReason: 'AWS.SimpleQueueService.NonExistentQueue',
          toMove: 8,
          updatedAt: T0 + 4 * SECOND,
        });
        await store.updateMoveTask('handle-newer', { failureReason: null, status: 'CANCELLED' });
        expect(await store.getMoveTask('handle-newer')).toMatchObject({ failureReason: null, status: 'CANCELLED', moved: 3 });
        await expect(store.updateMoveTask('nope', { status: 'CANCELLED' })).resolves.toBeUndefined();
        expect(await store.getMoveTask('nope')).toBeUndefined();
      });

      it('moves visible messages oldest first to a fixed destination, resetting their receive state', async () => {
        const dlq = await createQueue('dlq');
        const dest = await createQueue('dest');
        await store.insertMessages(dlq.id, [newMessage({ body: 'expired', now: T0 - 100 * SECOND })], T0);
        const sent = Array.from({ length: 5 }, (_, i) => newMessage({ body: `m${i}` }));
        await store.insertMessages(dlq.id, sent, T0);
        // m0 is received (in flight) and m1 received then visible again: only visible messages move.
        await store.receiveMessages(dlq.id, receiveAt(T0, { maxMessages: 10, visibleUntil: T0 + SECOND, expiredAtOrBefore: T0 - 50 * SECOND }));
        const [m0] = (await store.receiveMessages(dlq.id, receiveAt(T0 + SECOND, { maxMessages: 1, visibleUntil: T0 + 100 * SECOND, expiredAtOrBefore: T0 - 50 * SECOND }))).messages;
        const now = T0 + 2 * SECOND;

        const first = await store.moveMessages({ sourceQueueId: dlq.id, destination: { queueId: dest.id }, limit: 2, now, expiredAtOrBefore: T0 - 50 * SECOND });
        expect(first).toEqual({ moved: 2, unknownSources: [], destinationQueueIds: [dest.id] });
        const rest = await store.moveMessages({ sourceQueueId: dlq.id, destination: { queueId: dest.id }, limit: 10, now, expiredAtOrBefore: T0 - 50 * SECOND });
        expect(rest).toEqual({ moved: 2, unknownSources: [], destinationQueueIds: [dest.id] });
        const none = await store.moveMessages({ sourceQueueId: dlq.id, destination: { queueId: dest.id }, limit: 10, now, expiredAtOrBefore: T0 - 50 * SECOND });
        expect(none).toEqual({ moved: 0, unknownSources: [], destinationQueueIds: [] });

        const inDest = await drain(dest.id, now, { expiredAtOrBefore: T0 - 50 * SECOND });
        expect(bodies(inDest).sort()).toEqual(sent.filter((m) => m.body !== m0.body).map((m) => m.body).sort());
        for (const m of inDest) {
          // One receive just now; the earlier ones are forgotten.
          expect(m).toMatchObject({ receiveCount: 1, firstReceivedAt: now, deadLetterSourceArn: null });
        }
        // Left behind: the in-flight message (and the expired one, never moved).
        expect(await store.countMessages(dlq.id, now)).toMatchObject({ inFlight: 1 });
        expect(await store.deleteMessage(dlq.id, m0.seq, m0.receiptToken!, null)).toBe('deleted');
      });

      it('moves oldest first within the limit', async () => {
        const dlq = await createQueue('dlq');
        const dest = await createQueue('dest.fifo', { fifo: true });
        const sent = Array.from({ length: 4 }, (_, i) => newMessage({ body: `m${i}`, groupId: 'g' }));
        for (const m of sent) await store.insertMessages(dlq.id, [m], T0);
        await store.moveMessages({ sourceQueueId: dlq.id, destination: { queueId: dest.id }, limit: 2, now: T0, expiredAtOrBefore: 0 });
        expect(bodies(await drain(dlq.id, T0)).sort()).toEqual(['m2', 'm3']);
        expect(bodies(await drain(dest.id, T0, { fifo: true }))).toEqual(['m0', 'm1']);
      });

      it('sends each message home by its dead-letter source and reports unknown sources', async () => {
        const a = await createQueue('a');
        const b = await createQueue('b');
        const dlq = await createQueue('dlq');
        for (const [source, body] of [
          [a, 'from-a-1'],
          [b, 'from-b'],
          [a, 'from-a-2'],
        ] as const) {
          await store.insertMessages(source.id, [newMessage({ body })], T0);
          const redrive = { maxReceiveCount: 1, targetQueueId: dlq.id, sourceArn: arnOf(source.name) };
          await store.receiveMessages(source.id, receiveAt(T0, { redrive, visibleUntil: T0 }));
          expect((await store.receiveMessages(source.id, receiveAt(T0, { redrive }))).movedToDeadLetter).toBe(1);
        }
        // A message whose source queue is gone.
        await store.insertMessages(a.id, [newMessage({ body: 'orphan' })], T0);
        await store.receiveMessages(a.id, receiveAt(T0, { visibleUntil: T0 }));
        await store.receiveMessages(a.id, receiveAt(T0, { redrive: { maxReceiveCount: 1, targetQueueId: dlq.id, sourceArn: arnOf('gone') } }));
        expect(await store.countMessages(dlq.id, T0)).toMatchObject({ visible: 4 });

        const resolver = (arn: string) => ({ [arnOf('a')]: a.id, [arnOf('b')]: b.id })[arn];
        const result = await store.moveMessages({
          sourceQueueId: dlq.id,
          destination: { byDeadLetterSource: resolver },
          limit: 10,
          now: T0 + SECOND,
          expiredAtOrBefore: 0,
        });
        expect(result.moved).toBe(3);
        expect(result.unknownSources).toEqual([arnOf('gone')]);
        expect([...result.destinationQueueIds].sort()).toEqual([a.id, b.id].sort());

        const backInA = await drain(a.id, T0 + SECOND);
        expect(bodies(backInA).sort()).toEqual(['from-a-1', 'from-a-2']);
        for (const m of backInA) expect(m).toMatchObject({ receiveCount: 1, deadLetterSourceArn: null });
        expect(bodies(await drain(b.id, T0 + SECOND))).toEqual(['from-b']);
        const left = await drain(dlq.id, T0 + SECOND);
        expect(left.map((m) => [m.body, m.deadLetterSourceArn])).toEqual([['orphan', arnOf('gone')]]);
      });
    });

    describe('sweepDeduplication', () => {
      it('drops the entries that have expired and keeps the rest', async () => {
        const queue = await createQueue('q.fifo', { fifo: true });
        await store.insertMessages(
          queue.id,
          [
            fifoMessage('g', 'early', { dedup: { key: 'early', expiresAt: T0 + 10 } }),
            fifoMessage('g', 'edge', { dedup: { key: 'edge', expiresAt: T0 + 20 } }),
            fifoMessage('g', 'late', { dedup: { key: 'late', expiresAt: T0 + 30 } }),
          ],
          T0,
        );
        expect(await store.sweepDeduplication(T0 + 5)).toBe(0);
        expect(await store.sweepDeduplication(T0 + 20)).toBe(2);
        expect(await store.sweepDeduplication(T0 + 20)).toBe(0);
        expect((await store.insertMessages(queue.id, [fifoMessage('g', 'late', { now: T0 + 21 })], T0 + 21))[0].kind).toBe('duplicate');
        expect((await store.insertMessages(queue.id, [fifoMessage('g', 'edge', { now: T0 + 21 })], T0 + 21))[0].kind).toBe('inserted');
        // Sweeping never touches messages.
        expect(await store.countMessages(queue.id, T0 + 21)).toMatchObject({ visible: 4 });
      });
    });

    describe('tryLease', () => {
      it('gives a free lease to the first holder, renews it for that holder, and refuses others until it expires', async () => {
        expect(await store.tryLease('sweep', 'node-a', T0, 10 * SECOND)).toBe(true);
        expect(await store.tryLease('sweep', 'node-b', T0 + SECOND, 10 * SECOND)).toBe(false);
        // Renewal pushes the expiry out: still refused where the first grant would have lapsed.
        expect(await store.tryLease('sweep', 'node-a', T0 + 5 * SECOND, 10 * SECOND)).toBe(true);
        expect(await store.tryLease('sweep', 'node-b', T0 + 14 * SECOND, 10 * SECOND)).toBe(false);
        // Expired (the boundary included): another holder takes it over, and the old one is out.
        expect(await store.tryLease('sweep', 'node-b', T0 + 15 * SECOND, 10 * SECOND)).toBe(true);
        expect(await store.tryLease('sweep', 'node-a', T0 + 16 * SECOND, 10 * SECOND)).toBe(false);
      });

      it('keeps leases of different names apart', async () => {
        expect(await store.tryLease('move-task:a', 'node-a', T0, SECOND)).toBe(true);
        expect(await store.tryLease('move-task:b', 'node-b', T0, SECOND)).toBe(true);
        expect(await store.tryLease('move-task:a', 'node-b', T0, SECOND)).toBe(false);
      });

      it('grants a contested lease to exactly one of many concurrent claimants', async () => {
        const holders = Array.from({ length: 8 }, (_, i) => `node-${i}`);
        const granted = await Promise.all(holders.map((h) => store.tryLease('contested', h, T0, SECOND)));
        expect(granted.filter(Boolean)).toHaveLength(1);
      });
    });

    describe('reset', () => {
      it('wipes queues, messages, deduplication, move tasks and deletion markers', async () => {
        const q = await createQueue('q.fifo', { fifo: true });
        const gone = await createQueue('gone');
        await store.deleteQueue(gone.id, T0);
        await store.insertMessages(q.id, [fifoMessage('g', 'k')], T0);
        await store.createMoveTask(task('h', q.id));

        await store.reset();

        expect(await store.listQueues(null)).toEqual([]);
        expect(await store.getQueueById(q.id)).toBeUndefined();
        expect(await store.listMoveTasks()).toEqual([]);
        expect(await store.getMoveTask('h')).toBeUndefined();
        expect(await store.lastDeletedAt(ACCOUNT, 'gone')).toBeUndefined();
        expect(await store.countMessages(q.id, T0)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });

        // Still usable, and the old dedup window is gone.
        const fresh = await createQueue('q.fifo', { fifo: true });
        expect((await store.insertMessages(fresh.id, [fifoMessage('g', 'k')], T0))[0].kind).toBe('inserted');
        expect(await store.countMessages(fresh.id, T0)).toMatchObject({ visible: 1 });
      });
    });

    describe('atomicity', () => {
      it('a failing operation does not undo concurrent ones', async () => {
        const queue = await createQueue('q');
        const results = await Promise.allSettled([
          store.insertMessages(queue.id, [newMessage({ body: 'before' })], T0),
          store.updateQueue(424242, { tags: { a: '1' } }),
          store.insertMessages(queue.id, [newMessage({ body: 'after' })], T0),
          store.updateQueue(queue.id, { tags: { ok: 'yes' } }),
        ]);
        expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
        expect(bodies(await drain(queue.id, T0)).sort()).toEqual(['after', 'before']);
        expect((await store.getQueueById(queue.id))?.tags).toEqual({ ok: 'yes' });
      });
    });

    if (options.reopens) describe('durability across a restart', () => {
      function reopenOrSkip(): () => Promise<SqsStore> {
        if (!subject.reopen) throw new Error(`${engineName}: the factory gives no reopen, so pass { reopens: false }`);
        return subject.reopen;
      }

      it('keeps everything committed', async () => {
        const reopen = reopenOrSkip();

        const std = await createQueue('std', { attributes: { VisibilityTimeout: '45', RedrivePolicy: '{"x":1}' }, tags: { env: 'prod' } });
        await store.updateQueue(std.id, { lastPurgedAt: T0 + 1, lastModifiedAt: T0 + 2 });
        const fifoQ = await createQueue('f.fifo', { fifo: true, accountId: OTHER_ACCOUNT });
        const gone = await createQueue('gone');
        await store.deleteQueue(gone.id, T0 + 3);

        const plain = newMessage({ body: 'plain', messageAttributes: '{"k":"v"}', md5OfMessageAttributes: 'mm' });
        const delayed = newMessage({ body: 'delayed', visibleAt: T0 + 600 * SECOND });
        const inFlight = newMessage({ body: 'in-flight' });
        await store.insertMessages(std.id, [inFlight], T0);
        const [held] = (await store.receiveMessages(std.id, receiveAt(T0, { visibleUntil: T0 + 300 * SECOND }))).messages;
        await store.insertMessages(std.id, [plain, delayed], T0);
        const deduped = fifoMessage('g', 'dedup-key', { body: 'fifo' });
        const [fifoOutcome] = await store.insertMessages(fifoQ.id, [deduped], T0);
        // The newest FIFO message is deleted before the restart: its number must not come back.
        const newest = fifoMessage('g2', 'other-key', { body: 'newest' });
        const [newestOutcome] = await store.insertMessages(fifoQ.id, [newest], T0);
        const got = await store.receiveMessages(fifoQ.id, receiveAt(T0, { fifo: true }));
        const newestStored = got.messages.find((m) => m.body === 'newest')!;
        expect(await store.deleteMessage(fifoQ.id, newestStored.seq, newestStored.receiptToken!, T0)).toBe('deleted');
        const fifoStored = got.messages.find((m) => m.body === 'fifo')!;
        expect(await store.changeVisibility(fifoQ.id, fifoStored.seq, fifoStored.receiptToken!, T0, T0)).toBe('changed');
        const movingTask = task('task-1', std.id, { moved: 2, toMove: 9, updatedAt: T0 + 4 });
        await store.createMoveTask(movingTask);
        const stdBefore = await store.getQueueById(std.id);
        const fifoBefore = await store.getQueueById(fifoQ.id);

        await store.close();
        store = await reopen();

        expect(await store.getQueueById(std.id)).toEqual(stdBefore);
        expect(await store.getQueue(OTHER_ACCOUNT, 'f.fifo')).toEqual(fifoBefore);
        expect((await store.listQueues(null)).map((q) => q.name).sort()).toEqual(['f.fifo', 'std']);
        expect(await store.lastDeletedAt(ACCOUNT, 'gone')).toBe(T0 + 3);
        expect(await store.getMoveTask('task-1')).toEqual(movingTask);
        expect(await store.listMoveTasks(std.id)).toEqual([movingTask]);

        // In-flight state: still hidden, the old receipt still works, counts agree.
        expect(await store.countMessages(std.id, T0 + SECOND)).toEqual({ visible: 1, inFlight: 1, delayed: 1 });
        expect(await store.nextVisibleAt(std.id, T0 + SECOND)).toBe(T0 + 300 * SECOND);
        const visible = await drain(std.id, T0 + SECOND);
        expect(visible).toHaveLength(1);
        expect(visible[0]).toMatchObject({ messageId: plain.messageId, body: 'plain', messageAttributes: '{"k":"v"}', md5OfMessageAttributes: 'mm' });
        expect(await store.deleteMessage(std.id, visible[0].seq, visible[0].receiptToken!, T0 + SECOND)).toBe('deleted');
        expect(await store.deleteMessage(std.id, held.seq, held.receiptToken!, T0 + SECOND)).toBe('deleted');
        expect(bodies(await drain(std.id, T0 + 600 * SECOND))).toEqual(['delayed']);

        // Dedup window and receive state of the FIFO queue.
        const [dup] = await store.insertMessages(fifoQ.id, [fifoMessage('g', 'dedup-key', { now: T0 + 60 * SECOND })], T0 + 60 * SECOND);
        expect(dup).toEqual({ kind: 'duplicate', messageId: deduped.messageId, sequenceNumber: fifoOutcome.sequenceNumber });
        const [fifoAgain] = (await store.receiveMessages(fifoQ.id, receiveAt(T0 + 60 * SECOND, { fifo: true }))).messages;
        expect(fifoAgain).toMatchObject({ body: 'fifo', receiveCount: 2, firstReceivedAt: T0, sequenceNumber: fifoOutcome.sequenceNumber });

        // Identifiers keep growing.
        const [later] = await store.insertMessages(fifoQ.id, [fifoMessage('g3', 'third')], T0 + 61 * SECOND);
        expectStrictlyIncreasing([fifoOutcome.sequenceNumber, newestOutcome.sequenceNumber, later.sequenceNumber]);
        const another = await createQueue('another');
        expect([std.id, fifoQ.id, gone.id]).not.toContain(another.id);
      });

      it('keeps receive attempts, so a retry after the restart replays', async () => {
        const reopen = reopenOrSkip();
        const queue = await createQueue('q.fifo', { fifo: true });
        await store.insertMessages(queue.id, [fifoMessage('g', 'k', { body: 'kept' })], T0);
        const { messages } = await store.receiveMessages(
          queue.id,
          receiveAt(T0, { fifo: true, attempt: { id: 'retry-me', expiresAt: T0 + 300 * SECOND } }),
        );
        await store.close();
        store = await reopen();
        const replay = await store.replayReceiveAttempt(queue.id, 'retry-me', T0 + SECOND, T0 + 31 * SECOND);
        expect(replay?.messages.map((m) => [m.body, m.seq, m.receiptToken])).toEqual(messages.map((m) => [m.body, m.seq, m.receiptToken]));
      });

      it('commits writes still pending when the store is closed', async () => {
        const reopen = reopenOrSkip();
        const queue = await createQueue('q');
        const pending = [
          store.insertMessages(queue.id, [newMessage({ body: 'late-1' })], T0),
          store.insertMessages(queue.id, [newMessage({ body: 'late-2' })], T0),
          store.updateQueue(queue.id, { tags: { closing: 'yes' } }),
        ];
        await store.close();
        await Promise.all(pending);
        store = await reopen();
        expect(bodies(await drain(queue.id, T0)).sort()).toEqual(['late-1', 'late-2']);
        expect((await store.getQueueById(queue.id))?.tags).toEqual({ closing: 'yes' });
      });
    });
  });
}
