/**
 * A sealed body's envelope (the key protecting its data key, the queue ARN bound into it, and
 * the encrypted data key) is the same for every message sealed under one data key, so it is
 * stored once and messages refer to it by id: about 190 bytes less per sealed message, which is
 * a third fewer database pages written per message. Rows written before keep their text in `sse`.
 */
export const sql = `
CREATE TABLE sqs_envelopes (
  id   INTEGER PRIMARY KEY,
  text TEXT NOT NULL UNIQUE
);
ALTER TABLE sqs_messages ADD COLUMN envelope_id INTEGER;
`;
