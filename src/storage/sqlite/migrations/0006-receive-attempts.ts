/**
 * FIFO ReceiveRequestAttemptId: a receive's messages and receipt tokens, kept for the 5-minute
 * window so that a retry replays them, also after a restart.
 */
export const sql = `
CREATE TABLE sqs_receive_attempts (
  queue_id      INTEGER NOT NULL,
  attempt_id    TEXT    NOT NULL,
  received_at   INTEGER NOT NULL,
  expires_at    INTEGER NOT NULL,
  visible_until INTEGER NOT NULL,
  receipts      TEXT    NOT NULL,
  PRIMARY KEY (queue_id, attempt_id)
) WITHOUT ROWID;
CREATE INDEX sqs_receive_attempts_by_expiry ON sqs_receive_attempts (expires_at);
`;
