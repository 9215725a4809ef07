import type { NewMessage } from '../ports.js';

/**
 * A recently sent message as the engine last wrote it: its content, which never changes, and its
 * receive count and first receive time, which the engine updates in step with each receive it
 * commits. A message moved to another queue leaves the cache, so `deadLetterSourceArn` is never
 * needed here.
 */
export interface CachedMessage {
  content: NewMessage;
  receiveCount: number;
  firstReceivedAt: number | null;
}

/**
 * Recently sent messages, kept in memory so that a receive shortly after the send reads neither
 * the body nor the receive state back from SQLite. Measured here: materialising message rows
 * costs 4–8 µs each, most of a receive's storage time. Bounded by bytes; oldest entries go first.
 * Only ever consulted for message ids a query has just returned, so an entry whose insert was
 * rolled back is never served; the engine clears the cache whenever a write rolls back, so a
 * receive state is never ahead of the database.
 */
export class ContentCache {
  private readonly entries = new Map<number, CachedMessage>();
  private bytes = 0;
  /**
   * No entry has a lower sequence than this. Sequences are handed out in increasing order, so the
   * oldest entry is the first present at or above it. (Not the Map's first key: V8 keeps deleted
   * slots until it rehashes, and finding the first live key after many deletions at the front
   * scans them all, about 11 µs per eviction with 20,000 entries here, on every send once full.)
   */
  private lowest = 0;

  constructor(private readonly maxBytes: number) {}

  put(seq: number, message: NewMessage): void {
    if (this.maxBytes <= 0) return;
    if (this.entries.size === 0 || seq < this.lowest) this.lowest = seq;
    this.entries.set(seq, { content: message, receiveCount: 0, firstReceivedAt: null });
    this.bytes += sizeOf(message);
    while (this.bytes > this.maxBytes && this.entries.size > 0) {
      while (!this.entries.has(this.lowest)) this.lowest++;
      this.delete(this.lowest);
    }
  }

  get(seq: number): CachedMessage | undefined {
    return this.entries.get(seq);
  }

  delete(seq: number): void {
    const entry = this.entries.get(seq);
    if (!entry) return;
    this.entries.delete(seq);
    this.bytes -= sizeOf(entry.content);
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}

/** Approximate bytes held for a message: its strings plus a fixed overhead for the object. */
function sizeOf(m: NewMessage): number {
  return (
    256 +
    (m.bodyCiphertext?.length ?? 0) +
    (m.envelope?.length ?? 0) +
    2 * (m.body.length + (m.messageAttributes?.length ?? 0) + (m.systemAttributes?.length ?? 0))
  );
}
