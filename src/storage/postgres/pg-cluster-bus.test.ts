import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { postgresReachable, postgresUrl } from '../../../test/support/processes.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterEvent } from '../ports.js';
import { PgClusterBus } from './pg-cluster-bus.js';

/** The test database (SEALQ_TEST_POSTGRES_URL overrides it). */
const connectionString = postgresUrl;


const until = async (check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  return check();
};

// CI always has the database, so there a missing one fails the run instead of skipping it.
describe.skipIf(!(process.env.CI || (await postgresReachable())))('PgClusterBus (LISTEN/NOTIFY change feed)', () => {
  const schema = `sealq_bus_${process.pid}_${randomBytes(4).toString('hex')}`;
  const pool = new pg.Pool({ connectionString, max: 2 });
  const send = (channel: string, payload: string) => pool.query('SELECT pg_notify($1, $2)', [channel, payload]).then(() => undefined);
  let a: PgClusterBus;
  let b: PgClusterBus;
  const heardByA: ClusterEvent[] = [];
  const heardByB: ClusterEvent[] = [];
  let resyncsOfB = 0;

  beforeAll(async () => {
    a = await PgClusterBus.open({ connectionString, schema, nodeId: 'node-a', send });
    b = await PgClusterBus.open({ connectionString, schema, nodeId: 'node-b', send });
    a.subscribe({ event: (e) => heardByA.push(e), resync: () => undefined });
    b.subscribe({ event: (e) => heardByB.push(e), resync: () => resyncsOfB++ });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await pool.end();
  });

  it('delivers what one node publishes to the others, batched and deduplicated, and never back to itself', async () => {
    a.publish({ type: 'queue', queueId: 7 });
    a.publish({ type: 'queue', queueId: 7 });
    a.publish({ type: 'entity', kind: 'user', id: '000000000000/alice' });
    expect(await until(() => heardByB.length >= 2)).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(heardByB).toEqual([
      { type: 'queue', queueId: 7 },
      { type: 'entity', kind: 'user', id: '000000000000/alice' },
    ]);
    expect(heardByA).toEqual([]);
  });

  it('keeps each notification under the payload limit by splitting a large turn', async () => {
    heardByB.length = 0;
    for (let i = 0; i < 600; i++) a.publish({ type: 'messages', queueId: i });
    expect(await until(() => heardByB.length === 600)).toBe(true);
  });

  it('knows whether any other node listens: a lone node has no peers until another joins, then both know', async () => {
    const lonely = `${schema}_alone`;
    const first = await PgClusterBus.open({ connectionString, schema: lonely, nodeId: 'first', send });
    try {
      await new Promise((r) => setTimeout(r, 200));
      expect(first.hasPeers).toBe(false);
      const second = await PgClusterBus.open({ connectionString, schema: lonely, nodeId: 'second', send });
      try {
        // The newcomer greets; the one already there greets back.
        expect(await until(() => first.hasPeers && second.hasPeers)).toBe(true);
      } finally {
        await second.close();
      }
    } finally {
      await first.close();
    }
    expect(a.hasPeers && b.hasPeers).toBe(true);
  });

  it('reconnects after losing its connection and asks its listener to resync', async () => {
    heardByB.length = 0;
    const admin = new pg.Client({ connectionString });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'sealq-feed node-b') t",
      );
      expect(rows[0].n).toBe(1);
    } finally {
      await admin.end();
    }
    expect(await until(() => resyncsOfB === 1)).toBe(true);
    a.publish({ type: 'queue', queueId: 8 });
    expect(await until(() => heardByB.length === 1)).toBe(true);
    expect(heardByB).toEqual([{ type: 'queue', queueId: 8 }]);
  });
});
