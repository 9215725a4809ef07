/**
 * Numbered PostgreSQL migrations, applied in order inside the store's schema (search_path points
 * there), each recorded in schema_migrations. Mirrors the SQLite schema (storage/sqlite/migrations).
 */
const init = `
-- Identity: a queue id is never handed out twice (sequences never go back, not even on reset),
-- or old receipt handles could point into a new queue that took a deleted queue's id.
CREATE TABLE sqs_queues (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id       text COLLATE "C" NOT NULL,
  name             text COLLATE "C" NOT NULL,
  fifo             boolean NOT NULL,
  attributes       text    NOT NULL,
  tags             text    NOT NULL,
  created_at       bigint  NOT NULL,
  last_modified_at bigint  NOT NULL,
  last_purged_at   bigint,
  UNIQUE (account_id, name)
);

CREATE TABLE sqs_deleted_queues (
  account_id text COLLATE "C" NOT NULL,
  name       text COLLATE "C" NOT NULL,
  deleted_at bigint NOT NULL,
  PRIMARY KEY (account_id, name)
);

-- Queues deleted with messages left over; those are removed in the background, a chunk at a time.
CREATE TABLE sqs_orphaned_queues (
  queue_id bigint PRIMARY KEY
);

-- Message ids: insertion order, FIFO order within a group, the source of sequence numbers and
-- receipt handles. Drawn from a sequence, so never reused.
CREATE SEQUENCE sqs_message_ids;

CREATE TABLE sqs_messages (
  id                        bigint PRIMARY KEY,
  queue_id                  bigint  NOT NULL,
  message_id                text    NOT NULL,
  body                      text    NOT NULL,
  message_attributes        text,
  system_attributes         text,
  md5_of_body               text    NOT NULL,
  md5_of_message_attributes text,
  md5_of_system_attributes  text,
  sender_id                 text    NOT NULL,
  sent_at                   bigint  NOT NULL,
  visible_at                bigint  NOT NULL,
  receive_count             integer NOT NULL DEFAULT 0,
  first_received_at         bigint,
  receipt_token             bigint,
  group_id                  bytea,
  deduplication_id          bytea,
  dead_letter_source_arn    text,
  sse                       text,
  body_ciphertext           bytea
);
-- Group and deduplication ids are stored as UTF-8 bytes: they may hold NUL characters, which text
-- cannot.
CREATE INDEX sqs_messages_by_visibility ON sqs_messages (queue_id, visible_at);
-- FIFO receives walk a queue in id order; only messages with a group need that order.
CREATE INDEX sqs_messages_by_order ON sqs_messages (queue_id, id) WHERE group_id IS NOT NULL;

-- Keys (like group and deduplication ids above) are opaque strings that may hold NUL characters, which text cannot: stored as UTF-8 bytes.
CREATE TABLE sqs_deduplication (
  queue_id        bigint NOT NULL,
  dedup_key       bytea  NOT NULL,
  message_id      text   NOT NULL,
  sequence_number text   NOT NULL,
  expires_at      bigint NOT NULL,
  PRIMARY KEY (queue_id, dedup_key)
);
CREATE INDEX sqs_deduplication_by_expiry ON sqs_deduplication (expires_at);

CREATE TABLE sqs_move_tasks (
  handle                   text PRIMARY KEY,
  source_queue_id          bigint NOT NULL,
  source_arn               text   NOT NULL,
  destination_arn          text,
  max_messages_per_second  integer,
  status                   text   NOT NULL,
  moved                    bigint NOT NULL,
  to_move                  bigint NOT NULL,
  failure_reason           text,
  started_at               bigint NOT NULL,
  updated_at               bigint NOT NULL
);
CREATE INDEX sqs_move_tasks_by_source ON sqs_move_tasks (source_queue_id, started_at);

-- Identity: one JSON document per entity (the identity service keeps them all in memory).
CREATE TABLE iam_entities (
  kind       text  NOT NULL,
  id         text  NOT NULL,
  account_id text  NOT NULL,
  value      jsonb NOT NULL,
  PRIMARY KEY (kind, id)
);
`;

/**
 * Several nodes: leases on background work (see SqsStore.tryLease), one row per named lease.
 * And messages are inserted, updated on every receive and deleted soon after, so the table and its
 * visibility index fill with dead tuples fast: vacuum it after 1% of it changed, not the default 20%.
 */
const cluster = `
CREATE TABLE sqs_leases (
  name       text COLLATE "C" PRIMARY KEY,
  holder     text   NOT NULL,
  expires_at bigint NOT NULL
);
ALTER TABLE sqs_messages SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.05);
`;

/**
 * FIFO ReceiveRequestAttemptId: a receive's messages and receipt tokens, kept for the 5-minute
 * window so that a retry replays them on any node.
 */
const receiveAttempts = `
CREATE TABLE sqs_receive_attempts (
  queue_id      bigint NOT NULL,
  attempt_id    text COLLATE "C" NOT NULL,
  received_at   bigint NOT NULL,
  expires_at    bigint NOT NULL,
  visible_until bigint NOT NULL,
  receipts      jsonb  NOT NULL,
  PRIMARY KEY (queue_id, attempt_id)
);
CREATE INDEX sqs_receive_attempts_by_expiry ON sqs_receive_attempts (expires_at);
`;

/**
 * S3 object data in the database, so that every node serves every object: a file per object
 * version, in sealed 64 KiB chunks (the service seals them; ciphertext does not compress).
 * A removed file stays until a sweep, for readers that opened it before.
 */
const objectData = `
CREATE TABLE s3_files (
  file_id     text COLLATE "C" PRIMARY KEY,
  key_blob    bytea   NOT NULL,
  size        bigint,
  chunk_count integer,
  created_at  bigint  NOT NULL,
  removed_at  bigint
);
CREATE TABLE s3_file_chunks (
  file_id text COLLATE "C" NOT NULL,
  idx     integer NOT NULL,
  data    bytea   NOT NULL,
  PRIMARY KEY (file_id, idx)
);
ALTER TABLE s3_file_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
`;

/** The KMS audit log, shared by the nodes and kept across restarts. */
const kmsCalls = `
CREATE TABLE kms_calls (
  id     bigserial PRIMARY KEY,
  time   bigint NOT NULL,
  record text   NOT NULL
);
CREATE INDEX kms_calls_by_time ON kms_calls (time);
`;

export const pgMigrations: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  { version: 1, name: 'init', sql: init },
  { version: 2, name: 'cluster', sql: cluster },
  { version: 3, name: 'receive-attempts', sql: receiveAttempts },
  { version: 4, name: 'object-data', sql: objectData },
  { version: 5, name: 'kms-calls', sql: kmsCalls },
];
