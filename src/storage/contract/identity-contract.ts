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
  });
}
