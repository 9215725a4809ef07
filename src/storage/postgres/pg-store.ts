import pg from 'pg';
import type { CustomTypesConfig, PoolClient, QueryResultRow } from 'pg';
import { randomToken48 } from '../../shared/ids.js';
import type {
  ChunkStore,
  ClusterBus,
  ClusterEvent,
  DeleteOutcome,
  IdentityEntity,
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
import { pgMigrations } from './migrations.js';
import { toMoveTask, type MoveTaskRow } from '../move-task-row.js';
import { PgClusterBus } from './pg-cluster-bus.js';
import { PgChunkStore } from './pg-chunk-store.js';

export interface PgOptions {
  /** e.g. postgres://user@host:5432/db */
  connectionString: string;
  /** The schema holding sealq's tables (created if missing; default 'sealq'). */
  schema?: string;
  /** Connections in the pool (default 10). */
  poolSize?: number;
}

interface QueueRow {
  id: number;
  account_id: string;
  name: string;
  fifo: boolean;
  attributes: string;
  tags: string;
  created_at: number;
  last_modified_at: number;
  last_purged_at: number | null;
}

interface StateRow {
  id: number;
  queue_id: number;
  sent_at: number;
  visible_at: number;
  receive_count: number;
  first_received_at: number | null;
  group_id: Buffer | null;
  dead_letter_source_arn: string | null;
}

interface MessageRow extends StateRow {
  message_id: string;
  body: string;
  message_attributes: string | null;
  system_attributes: string | null;
  md5_of_body: string;
  md5_of_message_attributes: string | null;
  md5_of_system_attributes: string | null;
  sender_id: string;
  deduplication_id: Buffer | null;
  sse: string | null;
  body_ciphertext: Buffer | null;
}

const STATE_COLUMNS = `id, queue_id, sent_at, visible_at, receive_count, first_received_at, group_id, dead_letter_source_arn`;
const ALL_COLUMNS = `${STATE_COLUMNS}, message_id, body, message_attributes, system_attributes, md5_of_body,
  md5_of_message_attributes, md5_of_system_attributes, sender_id, deduplication_id, sse, body_ciphertext`;

/** Rows deleted per commit by purges and by the cleanup after DeleteQueue. */
const CHUNK = 5000;

/** Sequence numbers are 20-digit decimal strings that grow with insertion order, as on SQS. */
const sequenceNumberOf = (id: number): string => '1' + String(id).padStart(19, '0');

/**
 * Advisory lock keys. Single-bigint keys serialize work on one queue (FIFO receives and
 * deduplicated sends); the two-int4 key space (disjoint from the bigint one) guards migrations.
 */
const queueLockKey = (queueId: number): number => queueId;

/** int8 (ids, instants, counts) as JS numbers: every value sealq stores is below 2^53. */
const types: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as CustomTypesConfig['getTypeParser'],
};

const toQueue = (row: QueueRow): QueueRecord => ({
  id: row.id,
  accountId: row.account_id,
  name: row.name,
  fifo: row.fifo,
  attributes: JSON.parse(row.attributes) as Record<string, string>,
  tags: JSON.parse(row.tags) as Record<string, string>,
  createdAt: row.created_at,
  lastModifiedAt: row.last_modified_at,
  lastPurgedAt: row.last_purged_at,
});

const keyBytes = (key: string): Buffer => Buffer.from(key, 'utf8');
const bytesOrNull = (value: string | null): Buffer | null => (value === null ? null : keyBytes(value));
const stringOrNull = (value: Buffer | null): string | null => (value === null ? null : value.toString('utf8'));

/** Lower case only: search_path folds unquoted names, and the schema is created quoted. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export class PgStore implements SqsStore {
  private readonly pool: pg.Pool;
  /** Every operation under way; close() waits for them. */
  private readonly pending = new Set<Promise<unknown>>();
  private closed = false;
  private readonly orphans = new Set<number>();
  private sweeping: Promise<void> | undefined;
  private bus: ClusterBus | undefined;

  private constructor(
    pool: pg.Pool,
    private readonly options: PgOptions & { schema: string },
  ) {
    this.pool = pool;
  }

  /**
   * Joins the change feed of every node on this schema (LISTEN/NOTIFY). From then on the store
   * announces each committed change to queue records and identity documents on it.
   */
  async openClusterBus(nodeId: string): Promise<ClusterBus> {
    this.bus ??= await PgClusterBus.open({
      connectionString: this.options.connectionString,
      schema: this.options.schema,
      nodeId,
      send: (channel, payload) => this.pool.query('SELECT pg_notify($1, $2)', [channel, payload]).then(() => undefined),
    });
    return this.bus;
  }

  private announce(event: ClusterEvent): void {
    this.bus?.publish(event);
  }

  /**
   * Connects, creates the schema if need be and applies the migrations not yet applied. Several
   * nodes may open the same database at once: migrations run under a transaction-level advisory
   * lock, so each is applied exactly once.
   */
  static async open(options: PgOptions): Promise<PgStore> {
    const schema = options.schema ?? 'sealq';
    if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name: ${schema}`);
    const pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.poolSize ?? 10,
      options: `-c search_path=${schema}`,
      types,
    });
    // An idle client losing its connection must not crash the process; the pool replaces it.
    pool.on('error', () => {});
    countRoundTrips(pool);
    try {
      await migrate(pool, schema);
      const store = new PgStore(pool, { ...options, schema });
      const orphaned = await pool.query<{ queue_id: number }>('SELECT queue_id FROM sqs_orphaned_queues');
      if (orphaned.rows.length > 0) store.dropOrphans(orphaned.rows.map((r) => r.queue_id));
      return store;
    } catch (err) {
      await pool.end().catch(() => {});
      throw err;
    }
  }

  /** Queries sent to the server so far, one per round trip (BEGIN and COMMIT included). */
  get roundTrips(): number {
    return roundTripCounts.get(this.pool)?.n ?? 0;
  }

  /** Runs `fn` as an operation close() waits for. */
  private track<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    const p = fn();
    this.pending.add(p);
    const done = () => this.pending.delete(p);
    p.then(done, done);
    return p;
  }

  private query<R extends QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    return this.track(async () => (await this.pool.query<R>(text, values)).rows);
  }

  /** One transaction on one connection; rolled back if `fn` throws. */
  private tx<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    return this.track(async () => {
      const client = await this.pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw err;
      } finally {
        client.release(broken);
      }
    });
  }

  async createQueue(queue: NewQueue): Promise<{ created: boolean; queue: QueueRecord }> {
    const result = await this.tx(async (c) => {
      const inserted = await c.query<QueueRow>(
        `INSERT INTO sqs_queues (account_id, name, fifo, attributes, tags, created_at, last_modified_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (account_id, name) DO NOTHING RETURNING *`,
        [queue.accountId, queue.name, queue.fifo, JSON.stringify(queue.attributes), JSON.stringify(queue.tags), queue.now],
      );
      if (inserted.rows.length === 1) return { created: true, queue: toQueue(inserted.rows[0]) };
      const existing = await c.query<QueueRow>('SELECT * FROM sqs_queues WHERE account_id = $1 AND name = $2', [
        queue.accountId,
        queue.name,
      ]);
      return { created: false, queue: toQueue(existing.rows[0]) };
    });
    if (result.created) this.announce({ type: 'queue', queueId: result.queue.id });
    return result;
  }

  async getQueue(accountId: string, name: string): Promise<QueueRecord | undefined> {
    const [row] = await this.query<QueueRow>('SELECT * FROM sqs_queues WHERE account_id = $1 AND name = $2', [accountId, name]);
    return row && toQueue(row);
  }

  async getQueueById(id: number): Promise<QueueRecord | undefined> {
    const [row] = await this.query<QueueRow>('SELECT * FROM sqs_queues WHERE id = $1', [id]);
    return row && toQueue(row);
  }

  async listQueues(accountId: string | null, namePrefix?: string): Promise<QueueRecord[]> {
    const rows = await this.query<QueueRow>(
      `SELECT * FROM sqs_queues
       WHERE ($1::text IS NULL OR account_id = $1) AND ($2::text IS NULL OR starts_with(name, $2))
       ORDER BY account_id, name`,
      [accountId, namePrefix ? namePrefix : null],
    );
    return rows.map(toQueue);
  }

  async updateQueue(id: number, patch: QueuePatch): Promise<QueueRecord> {
    const updated = await this.tx(async (c) => {
      const { rows } = await c.query<QueueRow>('SELECT * FROM sqs_queues WHERE id = $1 FOR UPDATE', [id]);
      if (rows.length === 0) throw new Error(`queue ${id} does not exist`);
      const current = toQueue(rows[0]);
      const next: QueueRecord = {
        ...current,
        attributes: patch.attributes ?? current.attributes,
        tags: patch.tags ?? current.tags,
        lastModifiedAt: patch.lastModifiedAt ?? current.lastModifiedAt,
        lastPurgedAt: patch.lastPurgedAt ?? current.lastPurgedAt,
      };
      await c.query(
        'UPDATE sqs_queues SET attributes = $1, tags = $2, last_modified_at = $3, last_purged_at = $4 WHERE id = $5',
        [JSON.stringify(next.attributes), JSON.stringify(next.tags), next.lastModifiedAt, next.lastPurgedAt, id],
      );
      return next;
    });
    this.announce({ type: 'queue', queueId: id });
    return updated;
  }

  async deleteQueue(id: number, now: number): Promise<void> {
    const more = await this.tx(async (c) => {
      const { rows } = await c.query<{ account_id: string; name: string }>(
        'DELETE FROM sqs_queues WHERE id = $1 RETURNING account_id, name',
        [id],
      );
      if (rows.length === 0) return false;
      await c.query('DELETE FROM sqs_deduplication WHERE queue_id = $1', [id]);
      await c.query('DELETE FROM sqs_move_tasks WHERE source_queue_id = $1', [id]);
      await c.query('DELETE FROM sqs_receive_attempts WHERE queue_id = $1', [id]);
      await c.query(
        `INSERT INTO sqs_deleted_queues (account_id, name, deleted_at) VALUES ($1, $2, $3)
         ON CONFLICT (account_id, name) DO UPDATE SET deleted_at = excluded.deleted_at`,
        [rows[0].account_id, rows[0].name, now],
      );
      const deleted = await c.query(
        `DELETE FROM sqs_messages WHERE id IN (SELECT id FROM sqs_messages WHERE queue_id = $1 LIMIT ${CHUNK})`,
        [id],
      );
      if (deleted.rowCount !== CHUNK) return false;
      await c.query('INSERT INTO sqs_orphaned_queues (queue_id) VALUES ($1) ON CONFLICT DO NOTHING', [id]);
      return true;
    });
    this.announce({ type: 'queue', queueId: id });
    if (more) this.dropOrphans([id]);
  }

  /**
   * A deleted queue's remaining messages are unreachable (ids are never reused), so they are
   * removed in the background, a chunk per commit. The queue stays listed in sqs_orphaned_queues
   * until done, so a restart (of any node) picks the work up again.
   */
  private dropOrphans(queueIds: number[]): void {
    for (const id of queueIds) this.orphans.add(id);
    if (this.sweeping) return;
    this.sweeping = (async () => {
      while (!this.closed) {
        const [id] = this.orphans;
        if (id === undefined) break;
        try {
          const deleted = await this.pool.query(
            `DELETE FROM sqs_messages WHERE id IN (SELECT id FROM sqs_messages WHERE queue_id = $1 LIMIT ${CHUNK})`,
            [id],
          );
          if ((deleted.rowCount ?? 0) < CHUNK) {
            await this.pool.query('DELETE FROM sqs_orphaned_queues WHERE queue_id = $1', [id]);
            this.orphans.delete(id);
          }
        } catch {
          if (this.closed) break;
          await new Promise((r) => setTimeout(r, 1000).unref());
        }
      }
      this.sweeping = undefined;
    })();
  }

  async lastDeletedAt(accountId: string, name: string): Promise<number | undefined> {
    const [row] = await this.query<{ deleted_at: number }>(
      'SELECT deleted_at FROM sqs_deleted_queues WHERE account_id = $1 AND name = $2',
      [accountId, name],
    );
    return row?.deleted_at;
  }

  async insertMessages(queueId: number, messages: NewMessage[], now: number): Promise<InsertOutcome[]> {
    if (messages.length === 0) return [];
    return this.tx(async (c) => {
      const outcomes: Array<InsertOutcome | undefined> = new Array(messages.length);
      /** Index of the message inserted under each key in this batch, or the stored entry. */
      const seen = new Map<string, { index: number } | { messageId: string; sequenceNumber: string }>();
      const keyed = messages.some((m) => m.dedup);
      if (keyed) {
        // One deduplicated send per queue at a time: exactly one of concurrent same-key sends gets
        // in, and FIFO ids are committed in the order they are drawn (a FIFO receive takes the
        // same lock), so a group's order can never be overtaken by a slower commit.
        await c.query('SELECT pg_advisory_xact_lock($1::bigint)', [queueLockKey(queueId)]);
        const keys = [...new Set(messages.flatMap((m) => (m.dedup ? [m.dedup.key] : [])))];
        const { rows } = await c.query<{ dedup_key: Buffer; message_id: string; sequence_number: string }>(
          `SELECT dedup_key, message_id, sequence_number FROM sqs_deduplication
           WHERE queue_id = $1 AND dedup_key = ANY($2::bytea[]) AND expires_at > $3`,
          [queueId, keys.map(keyBytes), now],
        );
        for (const r of rows) {
          seen.set(r.dedup_key.toString('utf8'), { messageId: r.message_id, sequenceNumber: r.sequence_number });
        }
      }
      const toInsert: number[] = [];
      const duplicateOf = new Map<number, number>();
      messages.forEach((m, i) => {
        const prior = m.dedup ? seen.get(m.dedup.key) : undefined;
        if (prior && 'index' in prior) duplicateOf.set(i, prior.index);
        else if (prior) outcomes[i] = { kind: 'duplicate', messageId: prior.messageId, sequenceNumber: prior.sequenceNumber };
        else {
          toInsert.push(i);
          if (m.dedup) seen.set(m.dedup.key, { index: i });
        }
      });

      const ids = new Map<number, number>();
      if (toInsert.length > 0) {
        const drawn = await c.query<{ id: number }>(
          `SELECT nextval('sqs_message_ids') AS id FROM generate_series(1, $1::int)`,
          [toInsert.length],
        );
        const sorted = drawn.rows.map((r) => r.id).sort((a, b) => a - b);
        toInsert.forEach((index, k) => ids.set(index, sorted[k]));
        const rows = toInsert.map((i) => messages[i]);
        await c.query(
          `INSERT INTO sqs_messages (id, queue_id, message_id, body, message_attributes, system_attributes, md5_of_body,
             md5_of_message_attributes, md5_of_system_attributes, sender_id, sent_at, visible_at, group_id,
             deduplication_id, sse, body_ciphertext)
           SELECT t.id, $1, t.message_id, t.body, t.message_attributes, t.system_attributes, t.md5_of_body,
             t.md5_of_message_attributes, t.md5_of_system_attributes, t.sender_id, t.sent_at, t.visible_at, t.group_id,
             t.deduplication_id, t.sse, t.body_ciphertext
           FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
             $10::text[], $11::bigint[], $12::bigint[], $13::bytea[], $14::bytea[], $15::text[], $16::bytea[])
             AS t(id, message_id, body, message_attributes, system_attributes, md5_of_body, md5_of_message_attributes,
               md5_of_system_attributes, sender_id, sent_at, visible_at, group_id, deduplication_id, sse, body_ciphertext)`,
          [
            queueId,
            toInsert.map((i) => ids.get(i)!),
            rows.map((m) => m.messageId),
            rows.map((m) => m.body),
            rows.map((m) => m.messageAttributes),
            rows.map((m) => m.systemAttributes),
            rows.map((m) => m.md5OfBody),
            rows.map((m) => m.md5OfMessageAttributes),
            rows.map((m) => m.md5OfSystemAttributes),
            rows.map((m) => m.senderId),
            rows.map((m) => m.sentAt),
            rows.map((m) => m.visibleAt),
            rows.map((m) => bytesOrNull(m.groupId)),
            rows.map((m) => bytesOrNull(m.deduplicationId)),
            rows.map((m) => m.envelope),
            rows.map((m) => m.bodyCiphertext),
          ],
        );
        for (const i of toInsert) outcomes[i] = { kind: 'inserted', sequenceNumber: sequenceNumberOf(ids.get(i)!) };
        const deduped = toInsert.filter((i) => messages[i].dedup);
        if (deduped.length > 0) {
          await c.query(
            `INSERT INTO sqs_deduplication (queue_id, dedup_key, message_id, sequence_number, expires_at)
             SELECT $1, t.k, t.m, t.s, t.e FROM unnest($2::bytea[], $3::text[], $4::text[], $5::bigint[]) AS t(k, m, s, e)
             ON CONFLICT (queue_id, dedup_key) DO UPDATE SET message_id = excluded.message_id,
               sequence_number = excluded.sequence_number, expires_at = excluded.expires_at`,
            [
              queueId,
              deduped.map((i) => keyBytes(messages[i].dedup!.key)),
              deduped.map((i) => messages[i].messageId),
              deduped.map((i) => sequenceNumberOf(ids.get(i)!)),
              deduped.map((i) => messages[i].dedup!.expiresAt),
            ],
          );
        }
      }
      for (const [i, first] of duplicateOf) {
        outcomes[i] = { kind: 'duplicate', messageId: messages[first].messageId, sequenceNumber: sequenceNumberOf(ids.get(first)!) };
      }
      return outcomes as InsertOutcome[];
    });
  }

  async receiveMessages(queueId: number, request: ReceiveRequest): Promise<ReceiveResult> {
    return this.tx(async (c) => {
      let candidates: MessageRow[];
      if (request.fifo) {
        candidates = await this.fifoCandidates(c, queueId, request);
      } else {
        // Standard queues: oldest-visible first off the (queue_id, visible_at) index; rows another
        // receive holds are skipped, so concurrent receivers never share a message.
        const { rows } = await c.query<MessageRow>(
          `SELECT ${ALL_COLUMNS} FROM sqs_messages
           WHERE queue_id = $1 AND visible_at <= $2 AND sent_at > $3
           ORDER BY visible_at LIMIT $4 FOR UPDATE SKIP LOCKED`,
          [queueId, request.now, request.expiredAtOrBefore, request.maxMessages],
        );
        candidates = rows;
      }
      const redrive = request.redrive;
      const dead: number[] = [];
      const received: Array<{ row: MessageRow; token: number }> = [];
      for (const row of candidates) {
        if (redrive && row.receive_count >= redrive.maxReceiveCount) dead.push(row.id);
        else received.push({ row, token: randomToken48() });
      }
      if (dead.length > 0) {
        await c.query(
          `UPDATE sqs_messages SET queue_id = $1, visible_at = $2, receipt_token = NULL, dead_letter_source_arn = $3
           WHERE id = ANY($4::bigint[])`,
          [redrive!.targetQueueId, request.now, redrive!.sourceArn, dead],
        );
      }
      if (received.length > 0) {
        await c.query(
          `UPDATE sqs_messages m SET visible_at = $1, receive_count = m.receive_count + 1,
             first_received_at = coalesce(m.first_received_at, $2), receipt_token = t.token
           FROM unnest($3::bigint[], $4::bigint[]) AS t(id, token) WHERE m.id = t.id`,
          [request.visibleUntil, request.now, received.map((r) => r.row.id), received.map((r) => r.token)],
        );
      }
      if (request.attempt && received.length > 0) {
        await c.query(
          `INSERT INTO sqs_receive_attempts (queue_id, attempt_id, received_at, expires_at, visible_until, receipts)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (queue_id, attempt_id) DO UPDATE SET received_at = excluded.received_at,
             expires_at = excluded.expires_at, visible_until = excluded.visible_until, receipts = excluded.receipts`,
          [
            queueId,
            request.attempt.id,
            request.now,
            request.attempt.expiresAt,
            request.visibleUntil,
            JSON.stringify(received.map((r) => [r.row.id, r.token])),
          ],
        );
      }
      return {
        messages: received.map(({ row, token }) => toReceived(row, request, token)),
        movedToDeadLetter: dead.length,
      };
    });
  }

  /**
   * FIFO: one receive per queue at a time (an advisory lock), walking the queue in id order. A
   * group whose oldest message is not visible (in flight or delayed) is closed for this receive,
   * which keeps order within the group and allows one in-flight batch per group.
   */
  private async fifoCandidates(c: PoolClient, queueId: number, request: ReceiveRequest): Promise<MessageRow[]> {
    await c.query('SELECT pg_advisory_xact_lock($1::bigint)', [queueLockKey(queueId)]);
    const { rows } = await c.query<StateRow>(
      `SELECT ${STATE_COLUMNS} FROM sqs_messages WHERE queue_id = $1 AND group_id IS NOT NULL ORDER BY id LIMIT $2`,
      [queueId, Math.max(0, request.fifoScanLimit)],
    );
    const closed = new Set<string>();
    const picked: number[] = [];
    for (const row of rows) {
      if (picked.length >= request.maxMessages) break;
      const group = row.group_id ? row.group_id.toString('latin1') : '';
      if (closed.has(group)) continue;
      if (row.visible_at > request.now || row.sent_at <= request.expiredAtOrBefore) {
        if (row.sent_at > request.expiredAtOrBefore) closed.add(group);
        continue;
      }
      picked.push(row.id);
    }
    if (picked.length === 0) return [];
    // Lock the picked rows and re-check them: a delete or visibility change may have got in.
    const content = await c.query<MessageRow>(
      `SELECT ${ALL_COLUMNS} FROM sqs_messages WHERE id = ANY($1::bigint[]) AND queue_id = $2 AND visible_at <= $3
       ORDER BY id FOR UPDATE`,
      [picked, queueId, request.now],
    );
    return content.rows;
  }

  async replayReceiveAttempt(
    queueId: number,
    attemptId: string,
    now: number,
    visibleUntil: number,
  ): Promise<{ receivedAt: number; messages: StoredMessage[] } | undefined> {
    return this.tx(async (c) => {
      const found = await c.query<{ received_at: number; expires_at: number; visible_until: number; receipts: Array<[number, number]> }>(
        `SELECT received_at, expires_at, visible_until, receipts FROM sqs_receive_attempts
         WHERE queue_id = $1 AND attempt_id = $2 FOR UPDATE`,
        [queueId, attemptId],
      );
      const attempt = found.rows[0];
      if (!attempt) return undefined;
      let rows: Array<MessageRow & { receipt_token: number | null }> = [];
      if (now < attempt.expires_at && now < attempt.visible_until) {
        const ids = attempt.receipts.map(([seq]) => seq);
        const locked = await c.query<MessageRow & { receipt_token: number | null }>(
          `SELECT ${ALL_COLUMNS}, receipt_token FROM sqs_messages WHERE id = ANY($1::bigint[]) AND queue_id = $2
           ORDER BY id FOR UPDATE`,
          [ids, queueId],
        );
        const byId = new Map(locked.rows.map((r) => [r.id, r]));
        rows = attempt.receipts.flatMap(([seq, token]) => {
          const row = byId.get(seq);
          return row && row.receipt_token === token && row.visible_at === attempt.visible_until ? [row] : [];
        });
      }
      if (rows.length === 0 || rows.length !== attempt.receipts.length) {
        await c.query('DELETE FROM sqs_receive_attempts WHERE queue_id = $1 AND attempt_id = $2', [queueId, attemptId]);
        return undefined;
      }
      await c.query('UPDATE sqs_messages SET visible_at = $1 WHERE id = ANY($2::bigint[])', [visibleUntil, rows.map((r) => r.id)]);
      await c.query('UPDATE sqs_receive_attempts SET visible_until = $1 WHERE queue_id = $2 AND attempt_id = $3', [
        visibleUntil,
        queueId,
        attemptId,
      ]);
      return {
        receivedAt: attempt.received_at,
        messages: rows.map((row) =>
          toStored(row, {
            visibleAt: visibleUntil,
            receiveCount: row.receive_count,
            firstReceivedAt: row.first_received_at,
            receiptToken: row.receipt_token,
          }),
        ),
      };
    });
  }

  async deleteMessage(queueId: number, seq: number, receiptToken: number, inFlightAt: number | null): Promise<DeleteOutcome> {
    const [outcome] = await this.deleteMessages(queueId, [{ seq, receiptToken }], inFlightAt);
    return outcome;
  }

  async deleteMessages(
    queueId: number,
    receipts: ReadonlyArray<{ seq: number; receiptToken: number }>,
    inFlightAt: number | null,
  ): Promise<DeleteOutcome[]> {
    if (receipts.length === 0) return [];
    return this.tx(async (c) => {
      const { rows } = await c.query<{ id: number; receipt_token: number | null; visible_at: number }>(
        `SELECT id, receipt_token, visible_at FROM sqs_messages WHERE id = ANY($1::bigint[]) AND queue_id = $2
         ORDER BY id FOR UPDATE`,
        [[...new Set(receipts.map((r) => r.seq))], queueId],
      );
      const live = new Map(rows.map((r) => [r.id, r]));
      const doomed: number[] = [];
      const after = inFlightAt ?? -1;
      const outcomes = receipts.map((r): DeleteOutcome => {
        const row = live.get(r.seq);
        if (!row) return 'missing';
        if (row.receipt_token === r.receiptToken && row.visible_at > after) {
          live.delete(r.seq);
          doomed.push(r.seq);
          return 'deleted';
        }
        return 'stale-receipt';
      });
      if (doomed.length > 0) await c.query('DELETE FROM sqs_messages WHERE id = ANY($1::bigint[])', [doomed]);
      return outcomes;
    });
  }

  async changeVisibility(
    queueId: number,
    seq: number,
    receiptToken: number,
    visibleAt: number,
    now: number,
  ): Promise<VisibilityOutcome> {
    return this.tx(async (c) => {
      const { rows } = await c.query<{ receipt_token: number | null; visible_at: number }>(
        'SELECT receipt_token, visible_at FROM sqs_messages WHERE id = $1 AND queue_id = $2 FOR UPDATE',
        [seq, queueId],
      );
      if (rows.length === 0) return 'missing';
      if (rows[0].receipt_token !== receiptToken) return 'stale-receipt';
      if (rows[0].visible_at <= now) return 'not-in-flight';
      await c.query('UPDATE sqs_messages SET visible_at = $1 WHERE id = $2', [visibleAt, seq]);
      return 'changed';
    });
  }

  /** Deletes in chunks, a commit each, so a large purge never holds locks for long. */
  async purgeMessages(queueId: number, sentAtOrBefore: number): Promise<number> {
    return this.track(async () => {
      let total = 0;
      for (;;) {
        const result = await this.pool.query(
          `DELETE FROM sqs_messages WHERE id IN
             (SELECT id FROM sqs_messages WHERE queue_id = $1 AND sent_at <= $2 LIMIT ${CHUNK})`,
          [queueId, sentAtOrBefore],
        );
        const deleted = result.rowCount ?? 0;
        total += deleted;
        if (deleted < CHUNK) return total;
      }
    });
  }

  async countMessages(queueId: number, now: number): Promise<MessageCounts> {
    const [row] = await this.query<{ visible: number; in_flight: number; delayed: number }>(
      `SELECT count(*) FILTER (WHERE visible_at <= $2) AS visible,
              count(*) FILTER (WHERE visible_at > $2 AND receive_count > 0) AS in_flight,
              count(*) FILTER (WHERE visible_at > $2 AND receive_count = 0) AS delayed
       FROM sqs_messages WHERE queue_id = $1`,
      [queueId, now],
    );
    return { visible: row.visible, inFlight: row.in_flight, delayed: row.delayed };
  }

  async nextVisibleAt(queueId: number, now: number): Promise<number | undefined> {
    const [row] = await this.query<{ t: number | null }>(
      'SELECT min(visible_at) AS t FROM sqs_messages WHERE queue_id = $1 AND visible_at > $2',
      [queueId, now],
    );
    return row.t ?? undefined;
  }

  async peekMessages(queueId: number, limit: number): Promise<StoredMessage[]> {
    const rows = await this.query<MessageRow>(`SELECT ${ALL_COLUMNS} FROM sqs_messages WHERE queue_id = $1 ORDER BY id LIMIT $2`, [
      queueId,
      Math.max(0, limit),
    ]);
    return rows.map(toPeeked);
  }

  async createMoveTask(task: MoveTaskRecord): Promise<void> {
    await this.query(
      `INSERT INTO sqs_move_tasks (handle, source_queue_id, source_arn, destination_arn, max_messages_per_second,
         status, moved, to_move, failure_reason, started_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        task.handle,
        task.sourceQueueId,
        task.sourceArn,
        task.destinationArn,
        task.maxMessagesPerSecond,
        task.status,
        task.moved,
        task.toMove,
        task.failureReason,
        task.startedAt,
        task.updatedAt,
      ],
    );
  }

  async updateMoveTask(handle: string, patch: Partial<MoveTaskRecord>): Promise<void> {
    await this.tx(async (c) => {
      const { rows } = await c.query<MoveTaskRow>('SELECT * FROM sqs_move_tasks WHERE handle = $1 FOR UPDATE', [handle]);
      if (rows.length === 0) return;
      const next = { ...toMoveTask(rows[0]), ...patch, handle };
      await c.query(
        `UPDATE sqs_move_tasks SET status = $1, moved = $2, to_move = $3, failure_reason = $4, updated_at = $5
         WHERE handle = $6`,
        [next.status, next.moved, next.toMove, next.failureReason, next.updatedAt, handle],
      );
    });
  }

  async listMoveTasks(sourceQueueId?: number): Promise<MoveTaskRecord[]> {
    const rows = await this.query<MoveTaskRow>(
      `SELECT * FROM sqs_move_tasks WHERE ($1::bigint IS NULL OR source_queue_id = $1) ORDER BY started_at DESC`,
      [sourceQueueId ?? null],
    );
    return rows.map(toMoveTask);
  }

  async getMoveTask(handle: string): Promise<MoveTaskRecord | undefined> {
    const [row] = await this.query<MoveTaskRow>('SELECT * FROM sqs_move_tasks WHERE handle = $1', [handle]);
    return row && toMoveTask(row);
  }

  async moveMessages(request: MoveBatchRequest): Promise<MoveBatchResult> {
    return this.tx(async (c) => {
      const { rows } = await c.query<{ id: number; dead_letter_source_arn: string | null }>(
        // Oldest-visible first, as on SQLite: the visibility index gives that order without a sort
        // of the whole source queue.
        `SELECT id, dead_letter_source_arn FROM sqs_messages
         WHERE queue_id = $1 AND visible_at <= $2 AND sent_at > $3 ORDER BY visible_at, sent_at LIMIT $4 FOR UPDATE SKIP LOCKED`,
        [request.sourceQueueId, request.now, request.expiredAtOrBefore, request.limit],
      );
      const unknownSources = new Set<string>();
      const destinations = new Set<number>();
      const ids: number[] = [];
      const targets: number[] = [];
      for (const row of rows) {
        let target: number | undefined;
        if ('queueId' in request.destination) target = request.destination.queueId;
        else if (row.dead_letter_source_arn) target = request.destination.byDeadLetterSource(row.dead_letter_source_arn);
        if (target === undefined) {
          unknownSources.add(row.dead_letter_source_arn ?? '');
          continue;
        }
        ids.push(row.id);
        targets.push(target);
        destinations.add(target);
      }
      if (ids.length > 0) {
        await c.query(
          `UPDATE sqs_messages m SET queue_id = t.target, visible_at = $1, receipt_token = NULL, receive_count = 0,
             first_received_at = NULL, dead_letter_source_arn = NULL
           FROM unnest($2::bigint[], $3::bigint[]) AS t(id, target) WHERE m.id = t.id`,
          [request.now, ids, targets],
        );
      }
      return { moved: ids.length, unknownSources: [...unknownSources], destinationQueueIds: [...destinations] };
    });
  }

  /** Wipes every table; sequences keep counting, so no id is ever handed out twice. */
  async reset(): Promise<void> {
    this.orphans.clear();
    await this.query(
      `TRUNCATE sqs_messages, sqs_deduplication, sqs_receive_attempts, sqs_move_tasks, sqs_queues, sqs_deleted_queues,
         sqs_orphaned_queues, sqs_leases, iam_entities, s3_files, s3_file_chunks, kms_calls`,
    );
  }

  /** The identity store sharing this database: one jsonb document per entity. */
  /** S3 object data in this database, so every node reads what any node wrote. */
  chunks(): ChunkStore {
    return new PgChunkStore(
      (text, values) => this.query(text, values),
      (fn) => this.tx(fn),
    );
  }

  identity(): IdentityStore {
    return {
      listEntities: async (): Promise<IdentityEntity[]> => {
        const rows = await this.query<{ kind: string; id: string; account_id: string; value: unknown }>(
          'SELECT kind, id, account_id, value FROM iam_entities ORDER BY kind, id',
        );
        return rows.map((r) => ({ kind: r.kind, id: r.id, accountId: r.account_id, value: r.value }));
      },
      getEntity: async (kind: string, id: string): Promise<IdentityEntity | undefined> => {
        const [r] = await this.query<{ kind: string; id: string; account_id: string; value: unknown }>(
          'SELECT kind, id, account_id, value FROM iam_entities WHERE kind = $1 AND id = $2',
          [kind, id],
        );
        return r && { kind: r.kind, id: r.id, accountId: r.account_id, value: r.value };
      },
      putEntityIfAbsent: async (e: IdentityEntity): Promise<IdentityEntity> => {
        const inserted = await this.query(
          `INSERT INTO iam_entities (kind, id, account_id, value) VALUES ($1, $2, $3, $4::jsonb)
           ON CONFLICT (kind, id) DO NOTHING RETURNING kind`,
          [e.kind, e.id, e.accountId, JSON.stringify(e.value)],
        );
        if (inserted.length === 1) {
          this.announce({ type: 'entity', kind: e.kind, id: e.id });
          return e;
        }
        const [r] = await this.query<{ kind: string; id: string; account_id: string; value: unknown }>(
          'SELECT kind, id, account_id, value FROM iam_entities WHERE kind = $1 AND id = $2',
          [e.kind, e.id],
        );
        return { kind: r.kind, id: r.id, accountId: r.account_id, value: r.value };
      },
      putEntity: async (e: IdentityEntity): Promise<void> => {
        await this.query(
          `INSERT INTO iam_entities (kind, id, account_id, value) VALUES ($1, $2, $3, $4::jsonb)
           ON CONFLICT (kind, id) DO UPDATE SET account_id = excluded.account_id, value = excluded.value`,
          [e.kind, e.id, e.accountId, JSON.stringify(e.value)],
        );
        this.announce({ type: 'entity', kind: e.kind, id: e.id });
      },
      updateEntity: async (kind: string, id: string, change: (value: unknown) => unknown): Promise<IdentityEntity | undefined> => {
        const stored = await this.tx(async (c) => {
          const { rows } = await c.query<{ account_id: string; value: unknown }>(
            'SELECT account_id, value FROM iam_entities WHERE kind = $1 AND id = $2 FOR UPDATE',
            [kind, id],
          );
          if (rows.length === 0) return undefined;
          const value = change(rows[0].value);
          await c.query('UPDATE iam_entities SET value = $3::jsonb WHERE kind = $1 AND id = $2', [kind, id, JSON.stringify(value)]);
          return { kind, id, accountId: rows[0].account_id, value };
        });
        if (stored) this.announce({ type: 'entity', kind, id });
        return stored;
      },
      deleteEntity: async (kind: string, id: string): Promise<void> => {
        await this.query('DELETE FROM iam_entities WHERE kind = $1 AND id = $2', [kind, id]);
        this.announce({ type: 'entity', kind, id });
      },
      appendKmsCalls: async (records: ReadonlyArray<{ time: number; record: string }>): Promise<void> => {
        if (records.length === 0) return;
        await this.query('INSERT INTO kms_calls (time, record) SELECT * FROM unnest($1::bigint[], $2::text[])', [
          records.map((r) => r.time),
          records.map((r) => r.record),
        ]);
      },
      kmsCallsBetween: async (from: number, to: number, limit: number): Promise<string[]> =>
        (
          await this.query<{ record: string }>('SELECT record FROM kms_calls WHERE time >= $1 AND time < $2 ORDER BY time, id LIMIT $3', [
            from,
            to,
            limit,
          ])
        ).map((r) => r.record),
      pruneKmsCalls: async (before: number): Promise<number> =>
        this.track(async () => (await this.pool.query('DELETE FROM kms_calls WHERE time < $1', [before])).rowCount ?? 0),
    };
  }

  async tryLease(name: string, holder: string, now: number, ttlMs: number): Promise<boolean> {
    const rows = await this.query(
      `INSERT INTO sqs_leases (name, holder, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE sqs_leases.holder = excluded.holder OR sqs_leases.expires_at <= $4
       RETURNING holder`,
      [name, holder, now + ttlMs, now],
    );
    return rows.length === 1;
  }

  async sweepDeduplication(now: number): Promise<number> {
    return this.track(async () => {
      await this.pool.query('DELETE FROM sqs_receive_attempts WHERE expires_at <= $1', [now]);
      const result = await this.pool.query('DELETE FROM sqs_deduplication WHERE expires_at <= $1', [now]);
      return result.rowCount ?? 0;
    });
  }

  /** Lets the operations under way finish (their writes commit), then disconnects. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    await this.sweeping;
    await this.bus?.close();
    await this.pool.end();
  }
}

/** The message as this receive hands it out: its content plus its new receive state. */
function toReceived(row: MessageRow, request: ReceiveRequest, token: number): StoredMessage {
  return toStored(row, {
    visibleAt: request.visibleUntil,
    receiveCount: row.receive_count + 1,
    firstReceivedAt: row.first_received_at ?? request.now,
    receiptToken: token,
  });
}

/** A message as stored, for a peek: its own receive state, and never a receipt. */
function toPeeked(row: MessageRow): StoredMessage {
  return toStored(row, { visibleAt: row.visible_at, receiveCount: row.receive_count, firstReceivedAt: row.first_received_at, receiptToken: null });
}

function toStored(row: MessageRow, state: Pick<StoredMessage, 'visibleAt' | 'receiveCount' | 'firstReceivedAt' | 'receiptToken'>): StoredMessage {
  return {
    seq: row.id,
    messageId: row.message_id,
    body: row.body,
    bodyCiphertext: row.body_ciphertext,
    envelope: row.sse,
    messageAttributes: row.message_attributes,
    systemAttributes: row.system_attributes,
    md5OfBody: row.md5_of_body,
    md5OfMessageAttributes: row.md5_of_message_attributes,
    md5OfSystemAttributes: row.md5_of_system_attributes,
    senderId: row.sender_id,
    sentAt: row.sent_at,
    ...state,
    groupId: stringOrNull(row.group_id),
    deduplicationId: stringOrNull(row.deduplication_id),
    sequenceNumber: sequenceNumberOf(row.id),
    deadLetterSourceArn: row.dead_letter_source_arn,
  };
}

/**
 * Creates the schema and applies the missing migrations, all in one transaction under an advisory
 * lock keyed by the schema name: nodes starting together wait for one another and apply each
 * migration once.
 */
async function migrate(pool: pg.Pool, schema: string): Promise<void> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('sealq.migrations'), hashtext($1))`, [schema]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(`SET LOCAL search_path TO "${schema}"`);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL)');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((r) => r.version));
    for (const m of pgMigrations) {
      if (applied.has(m.version)) continue;
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      await client.query(m.sql);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw err;
  } finally {
    client.release(broken);
  }
}

// ---------------------------------------------------------------- round-trip count
// For /metrics (sealq_storage_round_trips_total) and `bench/run.mjs --nodes`: every query any of
// the pool's connections sends (pool.query and client.query alike, BEGIN/COMMIT included).

const roundTripCounts = new WeakMap<pg.Pool, { n: number }>();

/** Counts each query sent on the connections `pool` opens from now on (call it before any). */
function countRoundTrips(pool: pg.Pool): void {
  const count = { n: 0 };
  roundTripCounts.set(pool, count);
  pool.on('connect', (client) => {
    const query = client.query as (...args: unknown[]) => unknown;
    client.query = function (this: unknown, ...args: unknown[]) {
      count.n++;
      return query.apply(this, args);
    } as typeof client.query;
  });
}
