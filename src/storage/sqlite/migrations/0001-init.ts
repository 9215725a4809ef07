/** Queues, messages, the FIFO deduplication window and message move tasks. */
export const sql = `
-- AUTOINCREMENT: a queue id is never handed out twice, or old receipt handles could point into a
-- new queue that took a deleted queue's id.
CREATE TABLE sqs_queues (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id       TEXT    NOT NULL,
  name             TEXT    NOT NULL,
  fifo             INTEGER NOT NULL,
  attributes       TEXT    NOT NULL,
  tags             TEXT    NOT NULL,
  created_at       INTEGER NOT NULL,
  last_modified_at INTEGER NOT NULL,
  last_purged_at   INTEGER,
  UNIQUE (account_id, name)
);

CREATE TABLE sqs_deleted_queues (
  account_id TEXT    NOT NULL,
  name       TEXT    NOT NULL,
  deleted_at INTEGER NOT NULL,
  PRIMARY KEY (account_id, name)
) WITHOUT ROWID;

-- id is the insertion order: FIFO order within a group and the source of sequence numbers and
-- receipt handles, so it is never reused. The engine allocates ids itself and records the highest
-- one handed out in sqs_sequences once per commit, which costs less than AUTOINCREMENT's
-- bookkeeping on every insert.
CREATE TABLE sqs_sequences (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO sqs_sequences (name, value) VALUES ('message', 0);

CREATE TABLE sqs_messages (
  id                        INTEGER PRIMARY KEY,
  queue_id                  INTEGER NOT NULL,
  message_id                TEXT    NOT NULL,
  body                      TEXT    NOT NULL,
  message_attributes        TEXT,
  system_attributes         TEXT,
  md5_of_body               TEXT    NOT NULL,
  md5_of_message_attributes TEXT,
  md5_of_system_attributes  TEXT,
  sender_id                 TEXT    NOT NULL,
  sent_at                   INTEGER NOT NULL,
  visible_at                INTEGER NOT NULL,
  receive_count             INTEGER NOT NULL DEFAULT 0,
  first_received_at         INTEGER,
  receipt_token             INTEGER,
  group_id                  TEXT,
  deduplication_id          TEXT,
  dead_letter_source_arn    TEXT
);
CREATE INDEX sqs_messages_by_visibility ON sqs_messages (queue_id, visible_at);
-- FIFO receives walk a queue in id order; only messages with a group need that order, so standard
-- queues pay for no second index.
CREATE INDEX sqs_messages_by_order ON sqs_messages (queue_id, id) WHERE group_id IS NOT NULL;

CREATE TABLE sqs_deduplication (
  queue_id        INTEGER NOT NULL,
  dedup_key       TEXT    NOT NULL,
  message_id      TEXT    NOT NULL,
  sequence_number TEXT    NOT NULL,
  expires_at      INTEGER NOT NULL,
  PRIMARY KEY (queue_id, dedup_key)
) WITHOUT ROWID;
CREATE INDEX sqs_deduplication_by_expiry ON sqs_deduplication (expires_at);

CREATE TABLE sqs_move_tasks (
  handle                   TEXT PRIMARY KEY,
  source_queue_id          INTEGER NOT NULL,
  source_arn               TEXT    NOT NULL,
  destination_arn          TEXT,
  max_messages_per_second  INTEGER,
  status                   TEXT    NOT NULL,
  moved                    INTEGER NOT NULL,
  to_move                  INTEGER NOT NULL,
  failure_reason           TEXT,
  started_at               INTEGER NOT NULL,
  updated_at               INTEGER NOT NULL
) WITHOUT ROWID;

-- Identity: accounts, users, roles, groups, policies, access keys and sessions, one JSON
-- document each (the identity service keeps them all in memory).
CREATE TABLE iam_entities (
  kind       TEXT NOT NULL,
  id         TEXT NOT NULL,
  account_id TEXT NOT NULL,
  value      TEXT NOT NULL,
  PRIMARY KEY (kind, id)
) WITHOUT ROWID;
`;
