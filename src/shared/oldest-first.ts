/**
 * The keys of a cache in the order they were added, so the oldest can be evicted in constant
 * time. (A Map's first key is not that: V8 keeps deleted slots until it rehashes, and finding the
 * first live key after many deletions at the front scans them all, about 11 µs at 20,000 entries
 * here.) The owner removes entries from its own map as it likes; this queue skips keys that are no
 * longer there, and drops them in bulk when they outnumber the live ones. Keys must be unique:
 * a key is never added twice.
 */
export class OldestFirst<K> {
  private queue: Array<K | undefined> = [];
  private head = 0;

  constructor(private readonly isLive: (key: K) => boolean) {}

  /** Records a new key; `liveCount` is how many entries the owner holds now. */
  add(key: K, liveCount: number): void {
    this.queue.push(key);
    const queued = this.queue.length - this.head;
    if (queued > 2 * liveCount + 1024) {
      // Mostly keys the owner already removed: keep only the live ones, in order.
      this.queue = this.queue.slice(this.head).filter((k) => k !== undefined && this.isLive(k));
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /** The oldest key still live, taken off the queue; undefined when none is left. */
  takeOldest(): K | undefined {
    while (this.head < this.queue.length) {
      const key = this.queue[this.head];
      this.queue[this.head++] = undefined;
      if (key !== undefined && this.isLive(key)) return key;
    }
    return undefined;
  }
}
