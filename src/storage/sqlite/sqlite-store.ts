import Database from 'better-sqlite3';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { randomToken48 } from '../../shared/ids.js';
import type {
  DeleteOutcome,
  IdentityStore,
  InsertOutcome,
  MessageCounts,
  MoveBatchRequest,
  MoveBatchResult,
  MoveTaskRecord,
  NewMessage,
  NewQueue,
  QueuePatch,
  QueueRecord,
  ReceiveRequest,
  ReceiveResult,
  SqsStore,
  StoredMessage,
  VisibilityOutcome,
} from '../ports.js';
import { Checkpointer } from './checkpointer.js';
import { ContentCache } from './content-cache.js';
import { Envelopes } from './envelopes.js';
import { GroupCommit } from './group-commit.js';
import { migrations } from './migrations/index.js';
import { toMoveTask, type MoveTaskRow } from '../move-task-row.js';

export interface SqliteOptions {
  /** Bytes of recently sent message content kept in memory for fast receives (default 16 MiB). */
  contentCacheBytes?: number;
  /** A directory for `sealq.db`, or ':memory:' for a throwaway database. */
  dataDir: string;
  /**
   * 'process' (default): a committed write survives the server being killed (WAL, synchronous
   * NORMAL). 'power': it also survives the machine losing power (synchronous FULL, an fsync per
   * commit).
   */
  durability?: 'process' | 'power';
  /**
   * Queues holding at least this many messages (default 100,000) reuse a recent count for their
   * Approximate* attributes, for up to 1 s per this many messages (at most 5 s): counting is a scan
   * that blocks the event loop, about 60 ms at a million messages here. Shallower queues are
   * counted exactly on every call.
   */
  approximateCountsFrom?: number;
}

/** How long a deep queue's count may be reused, at most. */
const COUNT_REUSE_MAX_MS = 5000;

interface QueueRow {
  id: number;
  account_id: string;
  name: string;
  fifo: number;
  attributes: string;
  tags: string;
  created_at: number;
  last_modified_at: number;
  last_purged_at: number | null;
}

/** What changes after a message is sent; the rest comes from the content cache or CONTENT_COLUMNS. */
const STATE_COLUMNS = `id, sent_at, visible_at, receive_count, first_received_at, group_id, dead_letter_source_arn`;
const CONTENT_COLUMNS = `message_id, body, message_attributes, system_attributes, md5_of_body,
  md5_of_message_attributes, md5_of_system_attributes, sender_id, deduplication_id,
  coalesce(m.sse, e.text) AS sse, body_ciphertext`;

/** The receive state a stored message is handed out with. */
type ReceiveState = Pick<StoredMessage, 'visibleAt' | 'receiveCount' | 'firstReceivedAt' | 'receiptToken'>;

interface StateRow {
  id: number;
  sent_at: number;
  visible_at: number;
  receive_count: number;
  first_received_at: number | null;
  group_id: string | null;
  dead_letter_source_arn: string | null;
}

interface ReplayRow extends StateRow {
  receipt_token: number | null;
}

interface AttemptRow {
  received_at: number;
  expires_at: number;
  visible_until: number;
  /** JSON: [[seq, receiptToken], ...] */
  receipts: string;
}

interface ContentRow {
  message_id: string;
  body: string;
  message_attributes: string | null;
  system_attributes: string | null;
  md5_of_body: string;
  md5_of_message_attributes: string | null;
  md5_of_system_attributes: string | null;
  sender_id: string;
  deduplication_id: string | null;
  sse: string | null;
  body_ciphertext: Buffer | null;
}

/** WAL size past which the serving thread completes a checkpoint itself. */
const WAL_RESTART_BYTES = 64 * 1024 * 1024;

/** Rows deleted per commit by purges and by the cleanup after DeleteQueue. */
const CHUNK = 5000;

/**
 * Statements whose cost on a deep queue depends on SQLite's plan: the tests check that each reads
 * through an index without sorting or visiting every row of the queue.
 */
export const deepQueueSql = {
  /** The retention sweep: a chunk of a queue's messages sent before a cutoff. */
  purge: `DELETE FROM sqs_messages WHERE id IN
           (SELECT id FROM sqs_messages WHERE queue_id = ? AND sent_at <= ? LIMIT ${CHUNK})`,
  // Oldest-visible first (in a dead-letter queue, the order they arrived), straight off the
  // visibility index: ordering by id made SQLite sort every visible message of the source on
  // each 100 ms tick, seconds at a million.
  movableMessages: `SELECT ${STATE_COLUMNS} FROM sqs_messages
         WHERE queue_id = ? AND visible_at <= ? AND sent_at > ? ORDER BY visible_at, sent_at LIMIT ?`,
  // A browse, in send order: row ids upward from a bound below every message of the queue. With
  // the queue's own index SQLite would sort all of its messages to return the first few.
  peek: `SELECT ${STATE_COLUMNS} FROM sqs_messages WHERE id >= ? AND +queue_id = ? ORDER BY id LIMIT ?`,
  /** The queue's lowest row id: a scan of its index entries, once per queue and process. */
  lowestId: 'SELECT min(id) AS id FROM sqs_messages WHERE queue_id = ?',
};
/** How often envelopes no message refers to any more are deleted. */
const ENVELOPE_SWEEP_MS = 60 * 60 * 1000;
/** How many message ids are recorded ahead at a time (see recordHighestId). */
const ID_BLOCK = 4096;

/** Sequence numbers are 20-digit decimal strings that grow with insertion order, as on SQS. */
const sequenceNumberOf = (id: number): string => '1' + String(id).padStart(19, '0');

const toQueue = (row: QueueRow): QueueRecord => ({
  id: row.id,
  accountId: row.account_id,
  name: row.name,
  fifo: row.fifo === 1,
  attributes: JSON.parse(row.attributes) as Record<string, string>,
  tags: JSON.parse(row.tags) as Record<string, string>,
  createdAt: row.created_at,
  lastModifiedAt: row.last_modified_at,
  lastPurgedAt: row.last_purged_at,
});

export class SqliteStore implements SqsStore {
  private readonly db: Database.Database;
  private readonly group: GroupCommit;
  private readonly s;
  private readonly cache: ContentCache;
  /** Recent counts of deep queues, by queue id (see `approximateCountsFrom`). */
  private readonly counts = new Map<number, { now: number; reuseMs: number; counts: MessageCounts }>();
  private readonly approximateCountsFrom: number;
  /**
   * Per queue, a row id no message of the queue is below, for browsing in send order. New messages
   * only get higher ids; a message moved in from another queue may lower it (see `movedInto`).
   */
  private readonly lowestIds = new Map<number, number>();
  /** Message ids are allocated here; the highest handed out is recorded at each commit. */
  private nextId = 1;
  private recordedId = 0;
  private readonly orphans = new Set<number>();
  private orphanSweep: NodeJS.Immediate | NodeJS.Timeout | undefined;
  private closed = false;
  private checkpointer: Checkpointer | undefined;
  private walFile: string | undefined;
  private walWatch: NodeJS.Timeout | undefined;
  private readonly envelopes: Envelopes;
  private readonly envelopeSweep: NodeJS.Timeout;
  private sweeping: Promise<number> | undefined;

  constructor(options: SqliteOptions) {
    let file = ':memory:';
    if (options.dataDir !== ':memory:') {
      mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
      file = join(options.dataDir, 'sealq.db');
    }
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    if (file !== ':memory:') {
      this.db.pragma('wal_autocheckpoint = 0');
      this.checkpointer = new Checkpointer(file, () => {
        if (!this.closed) this.db.pragma('wal_autocheckpoint = 1000');
      });
      this.walFile = `${file}-wal`;
      this.walWatch = setInterval(() => this.finishCheckpoint(), 1000);
      this.walWatch.unref();
    }
    this.db.pragma(`synchronous = ${options.durability === 'power' ? 'FULL' : 'NORMAL'}`);
    this.db.pragma('foreign_keys = OFF');
    this.db.pragma('busy_timeout = 5000');
    // Keep the WAL file from staying at the size of the largest transaction it ever held.
    this.db.pragma('journal_size_limit = 67108864');
    migrate(this.db);
    this.s = this.prepareStatements();
    this.envelopes = new Envelopes(this.db);
    // After a rollback: the cached receive state may be ahead of the database (start it over), and
    // the undone work may have taken the record of the id block and new envelopes with it.
    this.group = new GroupCommit(this.db, () => this.recordHighestId(), () => {
      this.cache.clear();
      this.recordedId = 0;
      this.envelopes.forget();
      // A browse may have seen the undone work (it shares the connection): find bounds afresh.
      this.lowestIds.clear();
    });
    this.envelopeSweep = setInterval(() => {
      this.sweepEnvelopes().catch(() => undefined);
    }, ENVELOPE_SWEEP_MS);
    this.envelopeSweep.unref();
    const highest = this.db
      .prepare<[], { n: number }>(
        `SELECT max(coalesce((SELECT max(id) FROM sqs_messages), 0),
                    (SELECT value FROM sqs_sequences WHERE name = 'message')) AS n`,
      )
      .get()!.n;
    this.recordedId = highest;
    this.nextId = highest + 1;
    const orphaned = this.s.orphanQueueIds.all().map((r) => r.queue_id);
    if (orphaned.length > 0) this.dropOrphans(orphaned);
    this.cache = new ContentCache(options.contentCacheBytes ?? 16 * 1024 * 1024);
    this.approximateCountsFrom = options.approximateCountsFrom ?? 100_000;
  }

  private prepareStatements() {
    const db = this.db;
    return {
      insertQueue: db.prepare(
        `INSERT INTO sqs_queues (account_id, name, fifo, attributes, tags, created_at, last_modified_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, name) DO NOTHING`,
      ),
      queueByName: db.prepare<[string, string], QueueRow>('SELECT * FROM sqs_queues WHERE account_id = ? AND name = ?'),
      queueById: db.prepare<[number], QueueRow>('SELECT * FROM sqs_queues WHERE id = ?'),
      queuesOfAccount: db.prepare<[string], QueueRow>('SELECT * FROM sqs_queues WHERE account_id = ? ORDER BY name'),
      allQueues: db.prepare<[], QueueRow>('SELECT * FROM sqs_queues ORDER BY account_id, name'),
      updateQueue: db.prepare(
        `UPDATE sqs_queues SET attributes = ?, tags = ?, last_modified_at = ?, last_purged_at = ? WHERE id = ?`,
      ),
      deleteQueue: db.prepare('DELETE FROM sqs_queues WHERE id = ?'),
      deleteQueueMessages: db.prepare(
        `DELETE FROM sqs_messages WHERE id IN (SELECT id FROM sqs_messages WHERE queue_id = ? LIMIT ${CHUNK})`,
      ),
      orphanQueueIds: db.prepare<[], { queue_id: number }>(
        'SELECT DISTINCT queue_id FROM sqs_messages WHERE queue_id NOT IN (SELECT id FROM sqs_queues)',
      ),
      deleteQueueDedup: db.prepare('DELETE FROM sqs_deduplication WHERE queue_id = ?'),
      deleteQueueTasks: db.prepare('DELETE FROM sqs_move_tasks WHERE source_queue_id = ?'),
      rememberDeleted: db.prepare(
        `INSERT INTO sqs_deleted_queues (account_id, name, deleted_at) VALUES (?, ?, ?)
         ON CONFLICT (account_id, name) DO UPDATE SET deleted_at = excluded.deleted_at`,
      ),
      lastDeleted: db.prepare<[string, string], { deleted_at: number }>(
        'SELECT deleted_at FROM sqs_deleted_queues WHERE account_id = ? AND name = ?',
      ),
      insertMessage: db.prepare(
        `INSERT INTO sqs_messages (id, queue_id, message_id, body, message_attributes, system_attributes, md5_of_body,
           md5_of_message_attributes, md5_of_system_attributes, sender_id, sent_at, visible_at, group_id,
           deduplication_id, envelope_id, body_ciphertext)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      recordSequence: db.prepare(`UPDATE sqs_sequences SET value = ? WHERE name = 'message'`),
      findDedup: db.prepare<[number, string, number], { message_id: string; sequence_number: string }>(
        'SELECT message_id, sequence_number FROM sqs_deduplication WHERE queue_id = ? AND dedup_key = ? AND expires_at > ?',
      ),
      putDedup: db.prepare(
        `INSERT INTO sqs_deduplication (queue_id, dedup_key, message_id, sequence_number, expires_at)
         VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (queue_id, dedup_key) DO UPDATE SET message_id = excluded.message_id,
           sequence_number = excluded.sequence_number, expires_at = excluded.expires_at`,
      ),
      // In chunks, each its own write: a busy FIFO queue expires a minute's sends at once.
      sweepDedup: db.prepare(
        `DELETE FROM sqs_deduplication WHERE (queue_id, dedup_key) IN
           (SELECT queue_id, dedup_key FROM sqs_deduplication WHERE expires_at <= ? LIMIT ${CHUNK})`,
      ),
      // Standard queues: oldest-visible first, straight off the (queue_id, visible_at) index, as
      // ids only: the receive state of recent messages is in the content cache, and SQLite answers
      // an id list far faster than it builds row objects.
      visibleIds: db
        .prepare<[number, number, number, number], number>(
          `SELECT id FROM sqs_messages
           WHERE queue_id = ? AND visible_at <= ? AND sent_at > ? ORDER BY visible_at LIMIT ?`,
        )
        .pluck(),
      stateById: db.prepare<[number], StateRow>(`SELECT ${STATE_COLUMNS} FROM sqs_messages WHERE id = ?`),
      // FIFO queues: every message in order; the engine skips groups that are busy.
      messagesInOrder: db.prepare<[number], StateRow>(
        `SELECT ${STATE_COLUMNS} FROM sqs_messages WHERE queue_id = ? AND group_id IS NOT NULL ORDER BY id`,
      ),
      // Rows written before migration 0004 hold their envelope's text; newer ones refer to it.
      contentOf: db.prepare<[number], ContentRow>(
        `SELECT ${CONTENT_COLUMNS} FROM sqs_messages m LEFT JOIN sqs_envelopes e ON e.id = m.envelope_id WHERE m.id = ?`,
      ),
      markReceived: db.prepare(
        `UPDATE sqs_messages SET visible_at = ?, receive_count = receive_count + 1,
           first_received_at = coalesce(first_received_at, ?), receipt_token = ? WHERE id = ?`,
      ),
      moveToQueue: db.prepare(
        `UPDATE sqs_messages SET queue_id = ?, visible_at = ?, receipt_token = NULL,
           dead_letter_source_arn = ? WHERE id = ?`,
      ),
      redriveToQueue: db.prepare(
        `UPDATE sqs_messages SET queue_id = ?, visible_at = ?, receipt_token = NULL, receive_count = 0,
           first_received_at = NULL, dead_letter_source_arn = NULL WHERE id = ?`,
      ),
      deleteByReceipt: db.prepare(
        'DELETE FROM sqs_messages WHERE id = ? AND queue_id = ? AND receipt_token = ? AND visible_at > ?',
      ),
      messageExists: db.prepare<[number, number], { one: number }>(
        'SELECT 1 AS one FROM sqs_messages WHERE id = ? AND queue_id = ?',
      ),
      messageForVisibility: db.prepare<[number, number], { receipt_token: number | null; visible_at: number }>(
        'SELECT receipt_token, visible_at FROM sqs_messages WHERE id = ? AND queue_id = ?',
      ),
      setVisibleAt: db.prepare('UPDATE sqs_messages SET visible_at = ? WHERE id = ?'),
      putAttempt: db.prepare(
        `INSERT INTO sqs_receive_attempts (queue_id, attempt_id, received_at, expires_at, visible_until, receipts)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (queue_id, attempt_id) DO UPDATE SET received_at = excluded.received_at,
           expires_at = excluded.expires_at, visible_until = excluded.visible_until, receipts = excluded.receipts`,
      ),
      attemptOf: db.prepare<[number, string], AttemptRow>(
        'SELECT received_at, expires_at, visible_until, receipts FROM sqs_receive_attempts WHERE queue_id = ? AND attempt_id = ?',
      ),
      extendAttempt: db.prepare('UPDATE sqs_receive_attempts SET visible_until = ? WHERE queue_id = ? AND attempt_id = ?'),
      dropAttempt: db.prepare('DELETE FROM sqs_receive_attempts WHERE queue_id = ? AND attempt_id = ?'),
      sweepAttempts: db.prepare('DELETE FROM sqs_receive_attempts WHERE expires_at <= ?'),
      deleteQueueAttempts: db.prepare('DELETE FROM sqs_receive_attempts WHERE queue_id = ?'),
      replayState: db.prepare<[number, number], ReplayRow>(
        `SELECT ${STATE_COLUMNS}, receipt_token FROM sqs_messages WHERE id = ? AND queue_id = ?`,
      ),
      purge: db.prepare(deepQueueSql.purge),
      countVisible: db.prepare<[number, number], { n: number }>(
        'SELECT count(*) AS n FROM sqs_messages WHERE queue_id = ? AND visible_at <= ?',
      ),
      countHidden: db.prepare<[number, number], { in_flight: number | null; delayed: number | null }>(
        `SELECT sum(receive_count > 0) AS in_flight, sum(receive_count = 0) AS delayed
         FROM sqs_messages WHERE queue_id = ? AND visible_at > ?`,
      ),
      claimLease: db.prepare<[{ name: string; holder: string; expiresAt: number; now: number }], { holder: string }>(
        `INSERT INTO sqs_leases (name, holder, expires_at) VALUES (@name, @holder, @expiresAt)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
           WHERE sqs_leases.holder = excluded.holder OR sqs_leases.expires_at <= @now
         RETURNING holder`,
      ),
      peek: db.prepare<[number, number, number], StateRow>(deepQueueSql.peek),
      lowestId: db.prepare<[number], { id: number | null }>(deepQueueSql.lowestId),
      nextVisible: db.prepare<[number, number], { t: number | null }>(
        'SELECT min(visible_at) AS t FROM sqs_messages WHERE queue_id = ? AND visible_at > ?',
      ),
      insertTask: db.prepare(
        `INSERT INTO sqs_move_tasks (handle, source_queue_id, source_arn, destination_arn, max_messages_per_second,
           status, moved, to_move, failure_reason, started_at, updated_at)
         VALUES (@handle, @sourceQueueId, @sourceArn, @destinationArn, @maxMessagesPerSecond, @status, @moved,
           @toMove, @failureReason, @startedAt, @updatedAt)`,
      ),
      updateTask: db.prepare(
        `UPDATE sqs_move_tasks SET status = @status, moved = @moved, to_move = @toMove,
           failure_reason = @failureReason, updated_at = @updatedAt WHERE handle = @handle`,
      ),
      taskByHandle: db.prepare<[string], MoveTaskRow>('SELECT * FROM sqs_move_tasks WHERE handle = ?'),
      tasksOfQueue: db.prepare<[number], MoveTaskRow>(
        'SELECT * FROM sqs_move_tasks WHERE source_queue_id = ? ORDER BY started_at DESC',
      ),
      allTasks: db.prepare<[], MoveTaskRow>('SELECT * FROM sqs_move_tasks ORDER BY started_at DESC'),
      movableMessages: db.prepare<[number, number, number, number], StateRow>(deepQueueSql.movableMessages),
    };
  }

  async createQueue(queue: NewQueue): Promise<{ created: boolean; queue: QueueRecord }> {
    return this.group.write(() => {
      const info = this.s.insertQueue.run(
        queue.accountId,
        queue.name,
        queue.fifo ? 1 : 0,
        JSON.stringify(queue.attributes),
        JSON.stringify(queue.tags),
        queue.now,
        queue.now,
      );
      const row = this.s.queueByName.get(queue.accountId, queue.name)!;
      return { created: info.changes === 1, queue: toQueue(row) };
    });
  }

  async getQueue(accountId: string, name: string): Promise<QueueRecord | undefined> {
    const row = this.s.queueByName.get(accountId, name);
    return row && toQueue(row);
  }

  async getQueueById(id: number): Promise<QueueRecord | undefined> {
    const row = this.s.queueById.get(id);
    return row && toQueue(row);
  }

  async listQueues(accountId: string | null, namePrefix?: string): Promise<QueueRecord[]> {
    const rows = accountId === null ? this.s.allQueues.all() : this.s.queuesOfAccount.all(accountId);
    const queues = rows.map(toQueue);
    return namePrefix ? queues.filter((q) => q.name.startsWith(namePrefix)) : queues;
  }

  async updateQueue(id: number, patch: QueuePatch): Promise<QueueRecord> {
    return this.group.write(() => {
      const row = this.s.queueById.get(id);
      if (!row) throw new Error(`queue ${id} does not exist`);
      const current = toQueue(row);
      const next: QueueRecord = {
        ...current,
        attributes: patch.attributes ?? current.attributes,
        tags: patch.tags ?? current.tags,
        lastModifiedAt: patch.lastModifiedAt ?? current.lastModifiedAt,
        lastPurgedAt: patch.lastPurgedAt ?? current.lastPurgedAt,
      };
      this.s.updateQueue.run(
        JSON.stringify(next.attributes),
        JSON.stringify(next.tags),
        next.lastModifiedAt,
        next.lastPurgedAt,
        id,
      );
      return next;
    });
  }

  async deleteQueue(id: number, now: number): Promise<void> {
    const more = await this.group.write(() => {
      const row = this.s.queueById.get(id);
      if (!row) return false;
      this.s.deleteQueueDedup.run(id);
      this.s.deleteQueueTasks.run(id);
      this.s.deleteQueueAttempts.run(id);
      this.s.deleteQueue.run(id);
      this.s.rememberDeleted.run(row.account_id, row.name, now);
      return this.s.deleteQueueMessages.run(id).changes === CHUNK;
    });
    this.cache.clear();
    this.counts.delete(id);
    this.lowestIds.delete(id);
    if (more) this.dropOrphans([id]);
  }

  /**
   * A deleted queue's remaining messages are unreachable (ids are never reused), so they are
   * removed in the background, a chunk per commit: one huge transaction would stall every other
   * request and balloon the WAL.
   */
  private dropOrphans(queueIds: number[]): void {
    for (const id of queueIds) this.orphans.add(id);
    if (this.orphanSweep) return;
    const step = (): void => {
      const [id] = this.orphans;
      if (id === undefined || this.closed) {
        this.orphanSweep = undefined;
        return;
      }
      this.group.write(() => this.s.deleteQueueMessages.run(id).changes).then(
        (deleted) => {
          if (deleted < CHUNK) this.orphans.delete(id);
          this.orphanSweep = setImmediate(step);
        },
        () => {
          this.orphanSweep = setTimeout(step, 1000);
        },
      );
    };
    this.orphanSweep = setImmediate(step);
  }

  async lastDeletedAt(accountId: string, name: string): Promise<number | undefined> {
    return this.s.lastDeleted.get(accountId, name)?.deleted_at;
  }

  async insertMessages(queueId: number, messages: NewMessage[], now: number): Promise<InsertOutcome[]> {
    return this.group.write(() => messages.map((m) => this.insertOne(queueId, m, now)));
  }

  private insertOne(queueId: number, m: NewMessage, now: number): InsertOutcome {
    if (m.dedup) {
      const seen = this.s.findDedup.get(queueId, m.dedup.key, now);
      if (seen) return { kind: 'duplicate', messageId: seen.message_id, sequenceNumber: seen.sequence_number };
    }
    const id = this.nextId++;
    this.s.insertMessage.run(
      id,
      queueId,
      m.messageId,
      m.body,
      m.messageAttributes,
      m.systemAttributes,
      m.md5OfBody,
      m.md5OfMessageAttributes,
      m.md5OfSystemAttributes,
      m.senderId,
      m.sentAt,
      m.visibleAt,
      m.groupId,
      m.deduplicationId,
      m.envelope === null ? null : this.envelopes.idOf(m.envelope),
      m.bodyCiphertext,
    );
    this.cache.put(id, m);
    const sequenceNumber = sequenceNumberOf(id);
    if (m.dedup) this.s.putDedup.run(queueId, m.dedup.key, m.messageId, sequenceNumber, m.dedup.expiresAt);
    return { kind: 'inserted', sequenceNumber };
  }

  async receiveMessages(queueId: number, request: ReceiveRequest): Promise<ReceiveResult> {
    return this.group.write(() => {
      const candidates = request.fifo ? this.fifoCandidates(queueId, request) : this.standardCandidates(queueId, request);
      const messages: StoredMessage[] = [];
      let movedToDeadLetter = 0;
      const redrive = request.redrive;
      for (const row of candidates) {
        if (redrive && row.receive_count >= redrive.maxReceiveCount) {
          this.s.moveToQueue.run(redrive.targetQueueId, request.now, redrive.sourceArn, row.id);
          this.movedInto(redrive.targetQueueId, row.id);
          this.cache.delete(row.id);
          movedToDeadLetter++;
          continue;
        }
        const token = randomToken48();
        this.s.markReceived.run(request.visibleUntil, request.now, token, row.id);
        const cached = this.cache.get(row.id);
        if (cached) {
          cached.receiveCount = row.receive_count + 1;
          cached.firstReceivedAt = row.first_received_at ?? request.now;
        }
        messages.push(this.receivedMessage(row, request, token));
      }
      if (request.attempt && messages.length > 0) {
        const receipts = JSON.stringify(messages.map((m) => [m.seq, m.receiptToken]));
        this.s.putAttempt.run(queueId, request.attempt.id, request.now, request.attempt.expiresAt, request.visibleUntil, receipts);
      }
      return { messages, movedToDeadLetter };
    });
  }

  async replayReceiveAttempt(
    queueId: number,
    attemptId: string,
    now: number,
    visibleUntil: number,
  ): Promise<{ receivedAt: number; messages: StoredMessage[] } | undefined> {
    return this.group.write(() => {
      const attempt = this.s.attemptOf.get(queueId, attemptId);
      if (!attempt) return undefined;
      const receipts = JSON.parse(attempt.receipts) as Array<[number, number]>;
      const rows: ReplayRow[] = [];
      if (now < attempt.expires_at && now < attempt.visible_until) {
        for (const [seq, token] of receipts) {
          const row = this.s.replayState.get(seq, queueId);
          if (!row || row.receipt_token !== token || row.visible_at !== attempt.visible_until) break;
          rows.push(row);
        }
      }
      if (rows.length === 0 || rows.length !== receipts.length) {
        this.s.dropAttempt.run(queueId, attemptId);
        return undefined;
      }
      for (const row of rows) this.s.setVisibleAt.run(visibleUntil, row.id);
      this.s.extendAttempt.run(visibleUntil, queueId, attemptId);
      return {
        receivedAt: attempt.received_at,
        messages: rows.map((row) =>
          this.storedMessage(row, {
            visibleAt: visibleUntil,
            receiveCount: row.receive_count,
            firstReceivedAt: row.first_received_at,
            receiptToken: row.receipt_token,
          }),
        ),
      };
    });
  }

  /** The message as this receive hands it out: its content plus its new receive state. */
  private receivedMessage(row: StateRow, request: ReceiveRequest, token: number): StoredMessage {
    return this.storedMessage(row, {
      visibleAt: request.visibleUntil,
      receiveCount: row.receive_count + 1,
      firstReceivedAt: row.first_received_at ?? request.now,
      receiptToken: token,
    });
  }

  /** A message's content (from the cache or the row) with the given receive state. */
  private storedMessage(row: StateRow, state: ReceiveState): StoredMessage {
    const cached = this.cache.get(row.id)?.content;
    const c = cached ? undefined : this.s.contentOf.get(row.id)!;
    return {
      seq: row.id,
      messageId: cached ? cached.messageId : c!.message_id,
      body: cached ? cached.body : c!.body,
      bodyCiphertext: cached ? cached.bodyCiphertext : c!.body_ciphertext,
      envelope: cached ? cached.envelope : c!.sse,
      messageAttributes: cached ? cached.messageAttributes : c!.message_attributes,
      systemAttributes: cached ? cached.systemAttributes : c!.system_attributes,
      md5OfBody: cached ? cached.md5OfBody : c!.md5_of_body,
      md5OfMessageAttributes: cached ? cached.md5OfMessageAttributes : c!.md5_of_message_attributes,
      md5OfSystemAttributes: cached ? cached.md5OfSystemAttributes : c!.md5_of_system_attributes,
      senderId: cached ? cached.senderId : c!.sender_id,
      sentAt: row.sent_at,
      ...state,
      groupId: row.group_id,
      deduplicationId: cached ? cached.deduplicationId : c!.deduplication_id,
      sequenceNumber: sequenceNumberOf(row.id),
      deadLetterSourceArn: row.dead_letter_source_arn,
    };
  }

  /**
   * Under steady writes the worker's checkpoints never catch up with the last frames, so SQLite
   * never gets to restart the WAL and it grows without bound. Once it is large, the serving thread
   * checkpoints between two commits: the worker has already copied nearly everything, so this
   * costs little, and the next write starts the WAL over (trimmed to journal_size_limit).
   */
  private finishCheckpoint(): void {
    if (this.closed || !this.walFile || this.db.inTransaction) return;
    let size = 0;
    try {
      size = statSync(this.walFile).size;
    } catch {
      return;
    }
    if (size > WAL_RESTART_BYTES) this.db.pragma('wal_checkpoint(PASSIVE)');
  }

  /** Deletes the envelopes no message refers to any more (hourly; tests call it directly). */
  sweepEnvelopes(): Promise<number> {
    this.sweeping ??= this.envelopes
      .sweep(
        (operation) => this.group.write(operation),
        () => new Promise((resolve) => setTimeout(resolve, 10)),
      )
      .finally(() => {
        this.sweeping = undefined;
      });
    return this.sweeping;
  }

  /**
   * Ids are recorded a block ahead, not at every commit: a row fewer to write in almost every
   * group. A restart starts after the recorded block, so ids still only grow (with a gap).
   */
  private recordHighestId(): void {
    if (this.nextId - 1 <= this.recordedId) return;
    const ceiling = this.nextId - 1 + ID_BLOCK;
    this.s.recordSequence.run(ceiling);
    this.recordedId = ceiling;
  }

  private standardCandidates(queueId: number, request: ReceiveRequest): StateRow[] {
    const ids = this.s.visibleIds.all(queueId, request.now, request.expiredAtOrBefore, request.maxMessages);
    return ids.map((id) => {
      const cached = this.cache.get(id);
      if (!cached) return this.s.stateById.get(id)!;
      return {
        id,
        sent_at: cached.content.sentAt,
        visible_at: request.now,
        receive_count: cached.receiveCount,
        first_received_at: cached.firstReceivedAt,
        group_id: cached.content.groupId,
        dead_letter_source_arn: null,
      };
    });
  }

  /**
   * FIFO: walk the queue in order. A group whose oldest message is not visible (in flight or
   * delayed) is closed for this receive, which keeps order within the group and allows one
   * in-flight batch per group.
   */
  private fifoCandidates(queueId: number, request: ReceiveRequest): StateRow[] {
    const closed = new Set<string>();
    const picked: StateRow[] = [];
    let scanned = 0;
    for (const row of this.s.messagesInOrder.iterate(queueId)) {
      if (++scanned > request.fifoScanLimit || picked.length >= request.maxMessages) break;
      const group = row.group_id ?? '';
      if (closed.has(group)) continue;
      if (row.visible_at > request.now || row.sent_at <= request.expiredAtOrBefore) {
        if (row.sent_at > request.expiredAtOrBefore) closed.add(group);
        continue;
      }
      picked.push(row);
    }
    return picked;
  }

  async deleteMessage(queueId: number, seq: number, receiptToken: number, inFlightAt: number | null): Promise<DeleteOutcome> {
    return this.group.write(() => this.deleteOne(queueId, seq, receiptToken, inFlightAt));
  }

  async deleteMessages(
    queueId: number,
    receipts: ReadonlyArray<{ seq: number; receiptToken: number }>,
    inFlightAt: number | null,
  ): Promise<DeleteOutcome[]> {
    return this.group.write(() => receipts.map((r) => this.deleteOne(queueId, r.seq, r.receiptToken, inFlightAt)));
  }

  private deleteOne(queueId: number, seq: number, receiptToken: number, inFlightAt: number | null): DeleteOutcome {
    if (this.s.deleteByReceipt.run(seq, queueId, receiptToken, inFlightAt ?? -1).changes === 1) {
      this.cache.delete(seq);
      return 'deleted';
    }
    return this.s.messageExists.get(seq, queueId) ? 'stale-receipt' : 'missing';
  }

  async changeVisibility(
    queueId: number,
    seq: number,
    receiptToken: number,
    visibleAt: number,
    now: number,
  ): Promise<VisibilityOutcome> {
    return this.group.write(() => {
      const row = this.s.messageForVisibility.get(seq, queueId);
      if (!row) return 'missing';
      if (row.receipt_token !== receiptToken) return 'stale-receipt';
      if (row.visible_at <= now) return 'not-in-flight';
      this.s.setVisibleAt.run(visibleAt, seq);
      return 'changed';
    });
  }

  /** Deletes in chunks, a commit each, so a large purge never holds up other requests for long. */
  async purgeMessages(queueId: number, sentAtOrBefore: number): Promise<number> {
    const total = await this.inChunks(() => this.s.purge.run(queueId, sentAtOrBefore).changes);
    if (total > 0) this.counts.delete(queueId);
    return total;
  }

  /** Runs a delete of at most CHUNK rows, each run its own write, until one deletes fewer. */
  private async inChunks(deleteChunk: () => number): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.group.write(deleteChunk);
      total += deleted;
      if (deleted < CHUNK) return total;
    }
  }

  async countMessages(queueId: number, now: number): Promise<MessageCounts> {
    const recent = this.counts.get(queueId);
    if (recent && now >= recent.now && now - recent.now < recent.reuseMs) return { ...recent.counts };
    const visible = this.s.countVisible.get(queueId, now)!.n;
    const hidden = this.s.countHidden.get(queueId, now)!;
    const counts = { visible, inFlight: hidden.in_flight ?? 0, delayed: hidden.delayed ?? 0 };
    const total = counts.visible + counts.inFlight + counts.delayed;
    if (total >= this.approximateCountsFrom) {
      const reuseMs = Math.min(COUNT_REUSE_MAX_MS, (1000 * total) / this.approximateCountsFrom);
      this.counts.set(queueId, { now, reuseMs, counts: { ...counts } });
    } else this.counts.delete(queueId);
    return counts;
  }

  async nextVisibleAt(queueId: number, now: number): Promise<number | undefined> {
    return this.s.nextVisible.get(queueId, now)?.t ?? undefined;
  }

  async peekMessages(queueId: number, limit: number): Promise<StoredMessage[]> {
    let lowest = this.lowestIds.get(queueId);
    if (lowest === undefined) lowest = this.s.lowestId.get(queueId)?.id ?? this.nextId;
    if (limit <= 0) return [];
    const rows = this.s.peek.all(lowest, queueId, limit);
    // The first row found is the queue's lowest now: nothing of the queue lies between.
    this.lowestIds.set(queueId, rows.length > 0 ? rows[0].id : Math.max(lowest, this.nextId));
    return rows.map((row) =>
      this.storedMessage(row, { visibleAt: row.visible_at, receiveCount: row.receive_count, firstReceivedAt: row.first_received_at, receiptToken: null }),
    );
  }

  /** A message with this row id now belongs to the queue: the queue's browse bound may drop. */
  private movedInto(queueId: number, id: number): void {
    const lowest = this.lowestIds.get(queueId);
    if (lowest !== undefined && id < lowest) this.lowestIds.set(queueId, id);
  }

  async createMoveTask(task: MoveTaskRecord): Promise<void> {
    return this.group.write(() => {
      this.s.insertTask.run(task);
    });
  }

  async updateMoveTask(handle: string, patch: Partial<MoveTaskRecord>): Promise<void> {
    return this.group.write(() => {
      const row = this.s.taskByHandle.get(handle);
      if (!row) return;
      this.s.updateTask.run({ ...toMoveTask(row), ...patch, handle });
    });
  }

  async listMoveTasks(sourceQueueId?: number): Promise<MoveTaskRecord[]> {
    const rows = sourceQueueId === undefined ? this.s.allTasks.all() : this.s.tasksOfQueue.all(sourceQueueId);
    return rows.map(toMoveTask);
  }

  async getMoveTask(handle: string): Promise<MoveTaskRecord | undefined> {
    const row = this.s.taskByHandle.get(handle);
    return row && toMoveTask(row);
  }

  async moveMessages(request: MoveBatchRequest): Promise<MoveBatchResult> {
    return this.group.write(() => {
      const rows = this.s.movableMessages.all(request.sourceQueueId, request.now, request.expiredAtOrBefore, request.limit);
      const unknownSources = new Set<string>();
      const destinations = new Set<number>();
      let moved = 0;
      for (const row of rows) {
        let target: number | undefined;
        if ('queueId' in request.destination) target = request.destination.queueId;
        else if (row.dead_letter_source_arn) target = request.destination.byDeadLetterSource(row.dead_letter_source_arn);
        if (target === undefined) {
          unknownSources.add(row.dead_letter_source_arn ?? '');
          continue;
        }
        this.s.redriveToQueue.run(target, request.now, row.id);
        this.movedInto(target, row.id);
        this.cache.delete(row.id);
        destinations.add(target);
        moved++;
      }
      return { moved, unknownSources: [...unknownSources], destinationQueueIds: [...destinations] };
    });
  }

  async reset(): Promise<void> {
    this.cache.clear();
    this.counts.clear();
    this.lowestIds.clear();
    return this.group.write(() => {
      this.envelopes.forget();
      for (const table of ['sqs_messages', 'sqs_envelopes', 'sqs_deduplication', 'sqs_receive_attempts', 'sqs_move_tasks', 'sqs_queues', 'sqs_deleted_queues', 'sqs_leases', 'iam_entities', 'kms_calls']) {
        this.db.prepare(`DELETE FROM ${table}`).run();
      }
    });
  }

  /** The identity store sharing this database (and its group commit). */
  identity(): IdentityStore {
    const list = this.db.prepare<[], { kind: string; id: string; account_id: string; value: string }>(
      'SELECT kind, id, account_id, value FROM iam_entities ORDER BY kind, id',
    );
    const put = this.db.prepare(
      `INSERT INTO iam_entities (kind, id, account_id, value) VALUES (?, ?, ?, ?)
       ON CONFLICT (kind, id) DO UPDATE SET account_id = excluded.account_id, value = excluded.value`,
    );
    const remove = this.db.prepare('DELETE FROM iam_entities WHERE kind = ? AND id = ?');
    const putIfAbsent = this.db.prepare(
      'INSERT INTO iam_entities (kind, id, account_id, value) VALUES (?, ?, ?, ?) ON CONFLICT (kind, id) DO NOTHING',
    );
    const one = this.db.prepare<[string, string], { kind: string; id: string; account_id: string; value: string }>(
      'SELECT kind, id, account_id, value FROM iam_entities WHERE kind = ? AND id = ?',
    );
    const appendCall = this.db.prepare('INSERT INTO kms_calls (time, record) VALUES (?, ?)');
    const callsBetween = this.db
      .prepare<[number, number, number], string>('SELECT record FROM kms_calls WHERE time >= ? AND time < ? ORDER BY time, id LIMIT ?')
      .pluck();
    const pruneCalls = this.db.prepare(`DELETE FROM kms_calls WHERE id IN (SELECT id FROM kms_calls WHERE time < ? LIMIT ${CHUNK})`);
    const entity = (r: { kind: string; id: string; account_id: string; value: string }) => ({
      kind: r.kind,
      id: r.id,
      accountId: r.account_id,
      value: JSON.parse(r.value) as unknown,
    });
    return {
      listEntities: async () => list.all().map(entity),
      getEntity: async (kind, id) => {
        const row = one.get(kind, id);
        return row && entity(row);
      },
      putEntityIfAbsent: (e) =>
        this.group.write(() => {
          putIfAbsent.run(e.kind, e.id, e.accountId, JSON.stringify(e.value));
          return entity(one.get(e.kind, e.id)!);
        }),
      putEntity: (e) =>
        this.group.write(() => {
          put.run(e.kind, e.id, e.accountId, JSON.stringify(e.value));
        }),
      updateEntity: (kind, id, change) =>
        this.group.write(() => {
          const row = one.get(kind, id);
          if (!row) return undefined;
          const current = entity(row);
          const stored = { ...current, value: change(current.value) };
          put.run(kind, id, stored.accountId, JSON.stringify(stored.value));
          return stored;
        }),
      deleteEntity: (kind, id) =>
        this.group.write(() => {
          remove.run(kind, id);
        }),
      appendKmsCalls: (records) =>
        this.group.write(() => {
          for (const r of records) appendCall.run(r.time, r.record);
        }),
      kmsCallsBetween: async (from, to, limit) => callsBetween.all(from, to, limit),
      pruneKmsCalls: (before) => this.inChunks(() => pruneCalls.run(before).changes),
    };
  }

  async tryLease(name: string, holder: string, now: number, ttlMs: number): Promise<boolean> {
    return this.group.write(() => {
      const claimed = this.s.claimLease.get({ name, holder, expiresAt: now + ttlMs, now });
      return claimed !== undefined;
    });
  }

  async sweepDeduplication(now: number): Promise<number> {
    await this.group.write(() => this.s.sweepAttempts.run(now));
    return this.inChunks(() => this.s.sweepDedup.run(now).changes);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.walWatch);
    clearInterval(this.envelopeSweep);
    if (this.orphanSweep) {
      clearImmediate(this.orphanSweep as NodeJS.Immediate);
      clearTimeout(this.orphanSweep as NodeJS.Timeout);
    }
    this.group.flush();
    await this.checkpointer?.stop();
    this.db.close();
  }
}

function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)');
  const applied = new Set(
    db
      .prepare<[], { version: number }>('SELECT version FROM schema_migrations')
      .all()
      .map((r) => r.version),
  );
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.prepare('INSERT INTO schema_migrations (version, name) VALUES (?, ?)').run(m.version, m.name);
      db.exec(m.sql);
    }).immediate();
  }
}
