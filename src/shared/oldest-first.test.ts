import { describe, expect, it } from 'vitest';
import { OldestFirst } from './oldest-first.js';

describe('OldestFirst', () => {
  it('hands out live keys oldest first, skipping the ones the owner removed', () => {
    const live = new Set<string>();
    const order = new OldestFirst<string>((k) => live.has(k));
    for (const k of ['a', 'b', 'c', 'd']) {
      live.add(k);
      order.add(k, live.size);
    }
    live.delete('a');
    live.delete('c');
    expect(order.takeOldest()).toBe('b');
    live.delete('b');
    expect(order.takeOldest()).toBe('d');
    live.delete('d');
    expect(order.takeOldest()).toBeUndefined();
  });

  it('keeps its queue bounded when the owner removes entries itself, and keeps the order', () => {
    const live = new Set<number>();
    const order = new OldestFirst<number>((k) => live.has(k));
    for (let k = 0; k < 100_000; k++) {
      live.add(k);
      order.add(k, live.size);
      if (k % 10 !== 0) live.delete(k); // nine in ten go without ever being evicted
    }
    const queued = (order as unknown as { queue: unknown[]; head: number }).queue.length;
    expect(queued).toBeLessThan(2 * live.size + 1024 + 1);
    const firstFive = Array.from({ length: 5 }, () => {
      const k = order.takeOldest()!;
      live.delete(k);
      return k;
    });
    expect(firstFive).toEqual([0, 10, 20, 30, 40]);
  });

  it('drops what it has taken once that is most of its queue', () => {
    const live = new Set<number>();
    const order = new OldestFirst<number>((k) => live.has(k));
    for (let k = 0; k < 50_000; k++) {
      live.add(k);
      order.add(k, live.size);
      if (live.size > 100) live.delete(order.takeOldest()!);
    }
    const internals = order as unknown as { queue: unknown[]; head: number };
    expect(internals.queue.length).toBeLessThan(2 * 1024 + 300);
    expect(order.takeOldest()).toBe(50_000 - 100);
  });
});
