/**
 * Long polling without re-polling: receivers that found nothing wait here, and are woken when a
 * send commits, or when the earliest hidden message of their queue is due to become visible.
 */
interface Waiter {
  wake: (woken: boolean) => void;
  timer: NodeJS.Timeout;
}

export class Waiters {
  private readonly byQueue = new Map<number, Waiter[]>();
  private readonly dueTimers = new Map<number, { at: number; timer: NodeJS.Timeout }>();
  /** Bumped on every notification, so a receiver can tell it missed one while it was looking. */
  private readonly versions = new Map<number, number>();
  private closed = false;

  /**
   * Tells receivers elsewhere (other nodes on the same database) that a queue has new messages.
   * Set by the composition root when the node is part of a cluster.
   */
  broadcast: (queueId: number) => void = () => undefined;

  version(queueId: number): number {
    return this.versions.get(queueId) ?? 0;
  }

  /**
   * Resolves true when woken by activity on the queue (at once if there was activity since
   * `sinceVersion`), false when `timeoutMs` passes.
   */
  wait(queueId: number, timeoutMs: number, sinceVersion: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (this.version(queueId) !== sinceVersion) return Promise.resolve(true);
    return new Promise((resolve) => {
      const list = this.byQueue.get(queueId) ?? [];
      const waiter: Waiter = {
        wake: (woken) => {
          clearTimeout(waiter.timer);
          resolve(woken);
        },
        timer: setTimeout(() => {
          this.remove(queueId, waiter);
          resolve(false);
        }, Math.max(0, timeoutMs)),
      };
      list.push(waiter);
      this.byQueue.set(queueId, list);
    });
  }

  hasWaiters(queueId: number): boolean {
    return (this.byQueue.get(queueId)?.length ?? 0) > 0;
  }

  /** Wakes up to `count` waiters of the queue, longest-waiting first. */
  notify(queueId: number, count = Infinity): void {
    this.versions.set(queueId, this.version(queueId) + 1);
    const list = this.byQueue.get(queueId);
    if (!list) return;
    const woken = list.splice(0, count);
    if (list.length === 0) this.byQueue.delete(queueId);
    for (const w of woken) w.wake(true);
  }

  /** Messages became available in the queue here: wakes local receivers and tells other nodes. */
  announce(queueId: number, count = Infinity): void {
    this.notify(queueId, count);
    this.broadcast(queueId);
  }

  /** Arranges a wake-up when a hidden message becomes visible at `at` (epoch ms, per `now`). */
  wakeAt(queueId: number, at: number, now: number): void {
    if (!this.hasWaiters(queueId)) return;
    const existing = this.dueTimers.get(queueId);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.dueTimers.delete(queueId);
      this.notify(queueId);
    }, Math.max(0, at - now));
    this.dueTimers.set(queueId, { at, timer });
  }

  /** Ends every wait (shutdown, reset): receivers return what they have. */
  close(): void {
    this.closed = true;
    for (const id of [...this.byQueue.keys()]) this.notify(id);
    for (const { timer } of this.dueTimers.values()) clearTimeout(timer);
    this.dueTimers.clear();
  }

  private remove(queueId: number, waiter: Waiter): void {
    const list = this.byQueue.get(queueId);
    if (!list) return;
    const i = list.indexOf(waiter);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byQueue.delete(queueId);
  }
}
