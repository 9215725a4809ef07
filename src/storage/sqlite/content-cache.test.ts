import { describe, expect, it } from 'vitest';
import { messageFixture } from '../contract/store-contract.js';
import { ContentCache } from './content-cache.js';

const cached = (cache: ContentCache, seqs: number[]) => seqs.filter((seq) => cache.get(seq) !== undefined);

describe('ContentCache', () => {
  it('evicts the oldest sequences first once over its byte bound, skipping ones already deleted', () => {
    const message = messageFixture(1, { body: 'x'.repeat(100) });
    const cache = new ContentCache(5 * 500); // each entry is 256 + 2 × 100 bytes, so 5 fit
    for (let seq = 10; seq < 15; seq++) cache.put(seq, message);
    cache.delete(10);
    cache.delete(12);
    cache.put(15, message);
    cache.put(16, message);
    expect(cached(cache, [10, 11, 12, 13, 14, 15, 16])).toEqual([11, 13, 14, 15, 16]);
    cache.put(17, message); // evicts 11, the oldest still held
    expect(cached(cache, [11, 13, 14, 15, 16, 17])).toEqual([13, 14, 15, 16, 17]);
    for (let seq = 18; seq < 1000; seq++) cache.put(seq, message);
    expect(cached(cache, Array.from({ length: 1000 }, (_, i) => i))).toEqual([995, 996, 997, 998, 999]);
  });

  it('starts over after being emptied, whatever sequences come next', () => {
    const message = messageFixture(1, { body: 'x'.repeat(100) });
    const cache = new ContentCache(2 * 500);
    cache.put(100, message);
    cache.put(101, message);
    cache.clear();
    cache.put(7, message);
    cache.put(8, message);
    cache.put(9, message);
    expect(cached(cache, [7, 8, 9, 100, 101])).toEqual([8, 9]);
    cache.delete(8);
    cache.delete(9);
    cache.put(5000, message);
    cache.put(5001, message);
    cache.put(5002, message);
    expect(cached(cache, [5000, 5001, 5002])).toEqual([5001, 5002]);
  });

  it('holds nothing when its bound is zero', () => {
    const cache = new ContentCache(0);
    cache.put(1, messageFixture(1));
    expect(cache.get(1)).toBeUndefined();
  });
});
