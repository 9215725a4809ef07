/**
 * The storage port: what the SQS core needs from a storage engine. Engines (SQLite now, PostgreSQL
 * next) implement it and pass the shared contract suite in storage/contract/.
 *
 * Rules every engine keeps:
 * - Each method is atomic, and a write has been made durable when its promise resolves
 *   (engines may commit many concurrent calls together).
 * - Time is passed in (`now`, milliseconds since the epoch); engines never read a clock.
 * - Engines return outcomes, never AWS errors: the service chooses what the client sees.
 */

/** A queue as stored. `attributes` holds the settable attributes as their wire strings. */
export interface QueueRecord {
  id: number;
  accountId: string;
  name: string;
  fifo: boolean;
  attributes: Record<string, string>;
  tags: Record<string, string>;
  createdAt: number;
  lastModifiedAt: number;
  lastPurgedAt: number | null;
}

export interface NewQueue {
  accountId: string;
  name: string;
  fifo: boolean;
  attributes: Record<string, string>;
  tags: Record<string, string>;
  now: number;
}

export interface QueuePatch {
  attributes?: Record<string, string>;
  tags?: Record<string, string>;
  lastModifiedAt?: number;
  lastPurgedAt?: number;
}

/** A message as the core hands it to storage. Bodies and attributes are opaque to storage. */
export interface NewMessage {
  messageId: string;
  /** The body, or '' when it is stored sealed in `bodyCiphertext`. */
  body: string;
  /** Server-side encryption: the sealed body and its envelope (opaque to storage). */
  bodyCiphertext: Buffer | null;
  envelope: string | null;
  /** JSON of the message attributes, or null when there are none. */
  messageAttributes: string | null;
  /** JSON of the message system attributes (AWSTraceHeader), or null. */
  systemAttributes: string | null;
  md5OfBody: string;
  md5OfMessageAttributes: string | null;
  md5OfSystemAttributes: string | null;
  senderId: string;
  sentAt: number;
  visibleAt: number;
  groupId: string | null;
  deduplicationId: string | null;
  /** FIFO only: the key this message is deduplicated under, and until when. */
  dedup: { key: string; expiresAt: number } | null;
}

export type InsertOutcome =
  | { kind: 'inserted'; sequenceNumber: string }
  | { kind: 'duplicate'; messageId: string; sequenceNumber: string };

export interface StoredMessage {
  seq: number;
  messageId: string;
  body: string;
  bodyCiphertext: Buffer | null;
  envelope: string | null;
  messageAttributes: string | null;
  systemAttributes: string | null;
  md5OfBody: string;
  md5OfMessageAttributes: string | null;
  md5OfSystemAttributes: string | null;
  senderId: string;
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt: number | null;
  receiptToken: number | null;
  groupId: string | null;
  deduplicationId: string | null;
  sequenceNumber: string | null;
  deadLetterSourceArn: string | null;
}

export interface ReceiveRequest {
  now: number;
  maxMessages: number;
  visibleUntil: number;
  /** Messages sent at or before this instant are past retention and never returned. */
  expiredAtOrBefore: number;
  /** FIFO ordering: one in-flight batch per message group, strict order within a group. */
  fifo: boolean;
  /** How many messages a FIFO receive may scan looking for an available group. */
  fifoScanLimit: number;
  /** Dead-letter redrive: messages received this many times already move instead of returning. */
  redrive: { maxReceiveCount: number; targetQueueId: number; sourceArn: string } | null;
  /**
   * FIFO ReceiveRequestAttemptId: when the receive hands out messages, the engine records which
   * (and their receipt tokens) under this id until `expiresAt`, in the same commit, so that a retry
   * replays them (replayReceiveAttempt) on any node and after a restart.
   */
  attempt?: { id: string; expiresAt: number };
}

export interface ReceiveResult {
  messages: StoredMessage[];
  movedToDeadLetter: number;
}

export type DeleteOutcome = 'deleted' | 'stale-receipt' | 'missing';
export type VisibilityOutcome = 'changed' | 'stale-receipt' | 'not-in-flight' | 'missing';

export interface MessageCounts {
  visible: number;
  inFlight: number;
  delayed: number;
}

export type MoveTaskStatus = 'RUNNING' | 'COMPLETED' | 'CANCELLING' | 'CANCELLED' | 'FAILED';

export interface MoveTaskRecord {
  handle: string;
  sourceQueueId: number;
  sourceArn: string;
  destinationArn: string | null;
  maxMessagesPerSecond: number | null;
  status: MoveTaskStatus;
  moved: number;
  toMove: number;
  failureReason: string | null;
  startedAt: number;
  updatedAt: number;
}

export interface MoveBatchRequest {
  sourceQueueId: number;
  /** Where each message goes: a fixed queue, or back to the queue named by its dead-letter source. */
  destination: { queueId: number } | { byDeadLetterSource: (sourceArn: string) => number | undefined };
  limit: number;
  now: number;
  expiredAtOrBefore: number;
}

export interface MoveBatchResult {
  moved: number;
  /** Dead-letter source ARNs of messages that could not be moved because that queue is gone. */
  unknownSources: string[];
  destinationQueueIds: number[];
}

export interface SqsStore {
  createQueue(queue: NewQueue): Promise<{ created: boolean; queue: QueueRecord }>;
  getQueue(accountId: string, name: string): Promise<QueueRecord | undefined>;
  getQueueById(id: number): Promise<QueueRecord | undefined>;
  /** Queues of an account (all accounts when accountId is null), ordered by name. */
  listQueues(accountId: string | null, namePrefix?: string): Promise<QueueRecord[]>;
  updateQueue(id: number, patch: QueuePatch): Promise<QueueRecord>;
  /** Deletes the queue with its messages and remembers when, for QueueDeletedRecently. */
  deleteQueue(id: number, now: number): Promise<void>;
  lastDeletedAt(accountId: string, name: string): Promise<number | undefined>;

  insertMessages(queueId: number, messages: NewMessage[], now: number): Promise<InsertOutcome[]>;
  receiveMessages(queueId: number, request: ReceiveRequest): Promise<ReceiveResult>;
  /**
   * Deletes the message if `receiptToken` is its current one (and, when `inFlightAt` is given, it
   * is still hidden at that instant).
   */
  deleteMessage(queueId: number, seq: number, receiptToken: number, inFlightAt: number | null): Promise<DeleteOutcome>;
  /** deleteMessage for many messages at once (DeleteMessageBatch); outcomes in input order. */
  deleteMessages(
    queueId: number,
    receipts: ReadonlyArray<{ seq: number; receiptToken: number }>,
    inFlightAt: number | null,
  ): Promise<DeleteOutcome[]>;
  changeVisibility(
    queueId: number,
    seq: number,
    receiptToken: number,
    visibleAt: number,
    now: number,
  ): Promise<VisibilityOutcome>;
  /**
   * The messages of a recorded attempt, as that receive handed them out, with their visibility
   * pushed out to `visibleUntil`, provided the attempt's window is open and every one of its
   * messages is still in flight under that receive, untouched (not deleted, received again, moved
   * or given another visibility). Otherwise the record is dropped and the answer is undefined.
   */
  replayReceiveAttempt(
    queueId: number,
    attemptId: string,
    now: number,
    visibleUntil: number,
  ): Promise<{ receivedAt: number; messages: StoredMessage[] } | undefined>;
  /** Deletes the messages sent at or before `sentAtOrBefore`. */
  purgeMessages(queueId: number, sentAtOrBefore: number): Promise<number>;
  countMessages(queueId: number, now: number): Promise<MessageCounts>;
  /** The earliest instant after `now` at which a message of the queue becomes visible. */
  nextVisibleAt(queueId: number, now: number): Promise<number | undefined>;
  /**
   * Up to `limit` messages of the queue in send order, in whatever state (visible, in flight,
   * delayed), as stored: nothing changes (no visibility, receive count or receipt), and
   * `receiptToken` is always null, so a peek never hands out a receipt (the console's browse).
   */
  peekMessages(queueId: number, limit: number): Promise<StoredMessage[]>;

  createMoveTask(task: MoveTaskRecord): Promise<void>;
  updateMoveTask(handle: string, patch: Partial<MoveTaskRecord>): Promise<void>;
  listMoveTasks(sourceQueueId?: number): Promise<MoveTaskRecord[]>;
  getMoveTask(handle: string): Promise<MoveTaskRecord | undefined>;
  moveMessages(request: MoveBatchRequest): Promise<MoveBatchResult>;

  /** Deletes every queue, message and task (test rigs: POST /_sealq/reset). */
  reset(): Promise<void>;
  /** Housekeeping: drops expired dedup entries and receive attempts; returns how many dedup entries. */
  sweepDeduplication(now: number): Promise<number>;
  /**
   * Claims (or renews) the lease `name` for `holder` until `now + ttlMs`; true when `holder` has
   * it. A lease held by another holder is taken over only once it has expired. Background work
   * (sweeps, move tasks, schedules) runs under a lease, so on a database several nodes share it
   * runs on one node at a time, and moves to another node when its holder dies.
   */
  tryLease(name: string, holder: string, now: number, ttlMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Identity data (accounts, users, roles, groups, policies, access keys, sessions) is small and
 * read on every request, so the identity service keeps it all in memory and persists each entity
 * as a JSON document through this port.
 */
export interface IdentityEntity {
  kind: string;
  id: string;
  accountId: string;
  value: unknown;
}

export interface IdentityStore {
  listEntities(): Promise<IdentityEntity[]>;
  getEntity(kind: string, id: string): Promise<IdentityEntity | undefined>;
  putEntity(entity: IdentityEntity): Promise<void>;
  /**
   * Stores the entity unless one of its kind and id exists; returns whichever is stored. For
   * things made on first use (the SSE-SQS key, the SNS signing key) that nodes sharing a
   * database may make at the same moment: all of them then use the one that won.
   */
  putEntityIfAbsent(entity: IdentityEntity): Promise<IdentityEntity>;
  /**
   * Reads the stored entity, applies `change` to its value and stores the result, all in one
   * write that no other write to the entity can come between (on PostgreSQL, from any node).
   * Returns what was stored, or undefined when no such entity is stored. For documents that
   * several nodes may change at once, each in a different part.
   */
  updateEntity(kind: string, id: string, change: (value: unknown) => unknown): Promise<IdentityEntity | undefined>;
  deleteEntity(kind: string, id: string): Promise<void>;
  /**
   * The KMS audit log (CloudTrail-shaped records, JSON opaque to the engine): durable, and shared
   * by the nodes of one database, so a usage report covers every node and outlives restarts.
   */
  appendKmsCalls(records: ReadonlyArray<{ time: number; record: string }>): Promise<void>;
  /** Records with `from <= time < to`, oldest first (in the order appended within one instant), at most `limit`. */
  kmsCallsBetween(from: number, to: number, limit: number): Promise<string[]>;
  /** Deletes the records older than `before`; returns how many. */
  pruneKmsCalls(before: number): Promise<number>;
}

/**
 * What one node tells the others sharing its database, so their in-memory views follow: a queue
 * record changed, an identity document changed, or a queue has messages a waiting receiver may
 * take. Carries ids only; a node re-reads what changed from the database.
 */
export type ClusterEvent =
  | { type: 'queue'; queueId: number }
  | { type: 'entity'; kind: string; id: string }
  | { type: 'messages'; queueId: number };

export interface ClusterListener {
  /** An event another node published (a node never hears its own). */
  event(event: ClusterEvent): void;
  /** The feed was interrupted and is back: events may have been missed, so re-read everything. */
  resync(): void;
}

/** The change feed between nodes on one database. Publishing never waits and never throws. */
export interface ClusterBus {
  readonly nodeId: string;
  /**
   * Whether another node has been heard from (nodes greet each other when they join). Until then
   * nobody listens, so a lone node can skip announcements that only matter to other nodes.
   */
  readonly hasPeers: boolean;
  publish(event: ClusterEvent): void;
  subscribe(listener: ClusterListener): void;
  close(): Promise<void>;
}

/**
 * Object data in numbered chunks, kept by an engine that several nodes share (PostgreSQL), so
 * every node reads the S3 objects any node wrote. Chunks are opaque: the caller seals them.
 */
export interface ChunkStore {
  /** Starts a file; it is readable only once finishFile has recorded its size. */
  createFile(fileId: string, keyBlob: Buffer, now: number): Promise<void>;
  putChunk(fileId: string, index: number, data: Buffer): Promise<void>;
  finishFile(fileId: string, size: number, chunkCount: number): Promise<void>;
  /** A finished file that has not been removed; undefined otherwise. */
  getFile(fileId: string): Promise<{ keyBlob: Buffer; size: number; chunkCount: number } | undefined>;
  /** Chunks `first` to `last` inclusive, in order; missing ones are simply absent. */
  getChunks(fileId: string, first: number, last: number): Promise<Array<{ index: number; data: Buffer }>>;
  /**
   * Marks a file removed: getFile no longer finds it, but its chunks stay for readers that opened
   * it before, until sweepFiles.
   */
  removeFile(fileId: string, now: number): Promise<void>;
  /** Deletes the files removed at or before `removedBefore` and those never finished, started at or before `abandonedBefore`. */
  sweepFiles(removedBefore: number, abandonedBefore: number): Promise<number>;
  wipe(): Promise<void>;
}
