import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeStoreContract } from '../contract/store-contract.js';
import { SqliteStore } from './sqlite-store.js';

/** Closes every store a test opened (closing twice is harmless) and removes its directory. */
async function closeAll(stores: SqliteStore[]): Promise<void> {
  for (const store of stores) await store.close();
}

describeStoreContract('sqlite (data directory)', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sealq-store-'));
  const stores = [new SqliteStore({ dataDir })];
  return {
    store: stores[0],
    reopen: async () => {
      const store = new SqliteStore({ dataDir });
      stores.push(store);
      return store;
    },
    cleanup: async () => {
      await closeAll(stores);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});

describeStoreContract(
  'sqlite (:memory:)',
  async () => {
    const store = new SqliteStore({ dataDir: ':memory:' });
    return { store, cleanup: () => closeAll([store]) };
  },
  { reopens: false },
);
