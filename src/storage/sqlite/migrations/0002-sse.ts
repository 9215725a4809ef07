/**
 * Server-side encryption: a sealed body lives in body_ciphertext (body is then empty), and `sse`
 * records the envelope: the key that protects the data key, the queue ARN bound into it, and the
 * encrypted data key. Fixed at send time, so later key changes never re-encrypt a message.
 */
export const sql = `
ALTER TABLE sqs_messages ADD COLUMN sse TEXT;
ALTER TABLE sqs_messages ADD COLUMN body_ciphertext BLOB;
`;
