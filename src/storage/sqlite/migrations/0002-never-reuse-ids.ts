/**
 * Queue ids and message ids (the source of FIFO sequence numbers and of receipt handles) must never
 * be handed out twice. Without AUTOINCREMENT, SQLite reuses the largest rowid once that row is
 * deleted: a message sent after the newest one was deleted got the same SequenceNumber, and a queue
 * re-created after the newest queue was deleted got the old queue's id (so old receipt handles and
 * ReceiveRequestAttemptIds pointed into it). Rebuild both tables with AUTOINCREMENT.
 */
export const sql = `
CREATE TABLE sqs_queues_v2 (
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
INSERT INTO sqs_queues_v2 (id, account_id, name, fifo, attributes, tags, created_at, last_modified_at, last_purged_at)
  SELECT id, account_id, name, fifo, attributes, tags, created_at, last_modified_at, last_purged_at FROM sqs_queues;
DROP TABLE sqs_queues;
ALTER TABLE sqs_queues_v2 RENAME TO sqs_queues;

CREATE TABLE sqs_messages_v2 (
  id                        INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO sqs_messages_v2 (id, queue_id, message_id, body, message_attributes, system_attributes, md5_of_body,
    md5_of_message_attributes, md5_of_system_attributes, sender_id, sent_at, visible_at, receive_count,
    first_received_at, receipt_token, group_id, deduplication_id, dead_letter_source_arn)
  SELECT id, queue_id, message_id, body, message_attributes, system_attributes, md5_of_body,
    md5_of_message_attributes, md5_of_system_attributes, sender_id, sent_at, visible_at, receive_count,
    first_received_at, receipt_token, group_id, deduplication_id, dead_letter_source_arn FROM sqs_messages;
DROP TABLE sqs_messages;
ALTER TABLE sqs_messages_v2 RENAME TO sqs_messages;
CREATE INDEX sqs_messages_by_visibility ON sqs_messages (queue_id, visible_at);
CREATE INDEX sqs_messages_by_order ON sqs_messages (queue_id, id);
`;
