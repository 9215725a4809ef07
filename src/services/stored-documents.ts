import type { IdentityEntity, IdentityStore } from '../storage/ports.js';

/** Where a document lives, and how the node that holds it in memory takes it back. */
export interface StoredDocument<T> {
  kind: string;
  id: string;
  /** The node's own copy. */
  current: T;
  /** Takes in what was stored (the node's `absorb`). */
  absorb(stored: IdentityEntity): void;
  /** Writes the whole document, for one whose first write is still on the way. */
  saveWhole(): Promise<void>;
}

/**
 * Changes a document that several nodes may change at once, each in a different part: in memory at
 * once (so the next request sees it), and in the store inside one write that re-reads it, so a node
 * that has not yet seen another node's change (a revoked grant, a detached policy) cannot write the
 * old copy back. `change` must only set or remove what it is about: it runs on both copies. The
 * node then holds what was stored.
 */
export async function changeStoredDocument<T>(store: IdentityStore, doc: StoredDocument<T>, change: (doc: T) => void): Promise<void> {
  change(doc.current);
  const stored = await store.updateEntity(doc.kind, doc.id, (value) => {
    change(value as T);
    return value;
  });
  if (stored) doc.absorb(stored);
  else await doc.saveWhole();
}
