import { describe, expect, it } from 'vitest';
import type { IdentityStore } from '../ports.js';

/**
 * What every engine's identity store must do. `open` gives a store on a fresh database and, where
 * the engine allows it, `another` gives a second store on the same database (a second node).
 */
export function describeIdentityContract(
  engine: string,
  open: () => Promise<{ store: IdentityStore; another?: () => Promise<IdentityStore>; cleanup: () => Promise<void> }>,
): void {
  describe(`identity store contract: ${engine}`, () => {
    it('updateEntity applies a change to what is stored and returns it; a missing entity stays missing', async () => {
      const { store, cleanup } = await open();
      try {
        await store.putEntity({ kind: 'doc', id: 'd1', accountId: 'a', value: { tags: ['x'], state: 'on' } });
        const updated = await store.updateEntity('doc', 'd1', (v) => ({ ...(v as object), state: 'off' }));
        expect(updated).toEqual({ kind: 'doc', id: 'd1', accountId: 'a', value: { tags: ['x'], state: 'off' } });
        expect(await store.getEntity('doc', 'd1')).toEqual(updated);
        expect(await store.updateEntity('doc', 'missing', () => ({ made: true }))).toBeUndefined();
        expect(await store.getEntity('doc', 'missing')).toBeUndefined();
      } finally {
        await cleanup();
      }
    });

    it('updateEntity loses none of many changes made at once, from one store or two on the same database', async () => {
      const { store, another, cleanup } = await open();
      try {
        const second = another ? await another() : store;
        await store.putEntity({ kind: 'doc', id: 'count', accountId: 'a', value: { seen: [] } });
        await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            (i % 2 === 0 ? store : second).updateEntity('doc', 'count', (v) => ({ seen: [...(v as { seen: number[] }).seen, i] })),
          ),
        );
        const stored = (await store.getEntity('doc', 'count'))!.value as { seen: number[] };
        expect([...stored.seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      } finally {
        await cleanup();
      }
    });

    it('keeps KMS audit records in time order (append order within an instant), by range, shared by a second store, and prunes old ones', async () => {
      const { store, another, cleanup } = await open();
      try {
        const second = another ? await another() : store;
        await store.appendKmsCalls([
          { time: 100, record: 'a' },
          { time: 300, record: 'c' },
        ]);
        await second.appendKmsCalls([
          { time: 200, record: 'b' },
          { time: 300, record: 'd' },
        ]);
        await store.appendKmsCalls([]);
        expect(await second.kmsCallsBetween(0, 1000, 100)).toEqual(['a', 'b', 'c', 'd']);
        expect(await store.kmsCallsBetween(200, 300, 100)).toEqual(['b']);
        expect(await store.kmsCallsBetween(0, 1000, 2)).toEqual(['a', 'b']);
        expect(await store.pruneKmsCalls(200)).toBe(1);
        expect(await store.kmsCallsBetween(0, 1000, 100)).toEqual(['b', 'c', 'd']);
      } finally {
        await cleanup();
      }
    });
  });
}
