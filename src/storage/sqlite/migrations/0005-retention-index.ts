/**
 * The retention sweep looks for a queue's messages sent before a cutoff. The visibility index now
 * carries the send time too, so that search reads only the index: before, it read every message
 * row of the queue (about a second at a million 1 KiB messages, once a minute, blocking the
 * server), now about as long as counting them. A separate (queue_id, sent_at) index would make it
 * read only what has expired, but cost about a sixth more CPU per message end to end.
 */
export const sql = `
DROP INDEX sqs_messages_by_visibility;
CREATE INDEX sqs_messages_by_visibility ON sqs_messages (queue_id, visible_at, sent_at);
`;
