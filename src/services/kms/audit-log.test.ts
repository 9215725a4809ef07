import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../shared/clock.js';
import type { IdentityStore } from '../../storage/ports.js';
import { SqliteStore } from '../../storage/sqlite/sqlite-store.js';
import type { KmsCallRecord } from './kms-service.js';
import { AUDIT_RETENTION_MS, KmsAuditLog } from './metering.js';

const call = (time: number, principal: string, operation = 'GenerateDataKey'): KmsCallRecord => ({
  time,
  operation,
  principal,
  keyArn: 'arn:aws:kms:us-east-1:111111111111:key/k',
  invokedBy: 'sqs.amazonaws.com',
  encryptionContext: { 'aws:sqs:arn': 'arn:aws:sqs:us-east-1:111111111111:q' },
});

describe('the KMS audit log', () => {
  let dataDir: string;
  let store: SqliteStore;
  const clock = new ManualClock(Date.UTC(2027, 0, 1));

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'sealq-audit-'));
    store = new SqliteStore({ dataDir });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('writes every call to the database, where a new process finds it', async () => {
    const log = new KmsAuditLog(store.identity(), clock);
    const t = clock.now();
    log.record(call(t, 'arn:aws:iam::111111111111:user/producer'));
    log.record({ ...call(t + 1, 'arn:aws:iam::222222222222:user/other', 'Decrypt'), keyArn: 'arn:aws:kms:us-east-1:222222222222:key/x', errorCode: 'AccessDeniedException' });
    // Written a second at most after the call, without being asked.
    await expect.poll(async () => (await store.identity().kmsCallsBetween(0, t + 10, 10)).length, { timeout: 3000 }).toBe(2);
    await log.close();
    await store.close();

    store = new SqliteStore({ dataDir });
    const after = new KmsAuditLog(store.identity(), clock);
    expect(after.between(0, t + 10)).toEqual([]);
    expect(await after.query(0, t + 10)).toEqual([
      call(t, 'arn:aws:iam::111111111111:user/producer'),
      { ...call(t + 1, 'arn:aws:iam::222222222222:user/other', 'Decrypt'), keyArn: 'arn:aws:kms:us-east-1:222222222222:key/x', errorCode: 'AccessDeniedException' },
    ]);
    expect((await after.query(0, t + 10, '111111111111')).map((r) => r.principal)).toEqual(['arn:aws:iam::111111111111:user/producer']);
    expect(await after.query(t + 1, t + 2)).toHaveLength(1);
    await after.close();
  });

  it('a query includes calls not yet written, and close writes what waits', async () => {
    const log = new KmsAuditLog(store.identity(), clock);
    log.record(call(clock.now(), 'arn:aws:iam::111111111111:user/a'));
    expect(await log.query(0, clock.now() + 1)).toHaveLength(1);
    log.record(call(clock.now(), 'arn:aws:iam::111111111111:user/b'));
    await log.close();
    expect(await store.identity().kmsCallsBetween(0, clock.now() + 1, 10)).toHaveLength(2);
    // After close nothing more is written (the store is about to go).
    log.record(call(clock.now(), 'arn:aws:iam::111111111111:user/c'));
    await log.flush();
    expect(await store.identity().kmsCallsBetween(0, clock.now() + 1, 10)).toHaveLength(2);
  });

  it('keeps records whose write failed and writes them with the next', async () => {
    const identity = store.identity();
    let failures = 1;
    const flaky: Pick<IdentityStore, 'appendKmsCalls' | 'kmsCallsBetween' | 'pruneKmsCalls'> = {
      appendKmsCalls: (records) => (failures-- > 0 ? Promise.reject(new Error('database unavailable')) : identity.appendKmsCalls(records)),
      kmsCallsBetween: (from, to, limit) => identity.kmsCallsBetween(from, to, limit),
      pruneKmsCalls: (before) => identity.pruneKmsCalls(before),
    };
    const log = new KmsAuditLog(flaky, clock);
    const errors: unknown[] = [];
    log.onWriteError = (error) => errors.push(error);
    log.record(call(clock.now(), 'arn:aws:iam::111111111111:user/first'));
    await log.flush();
    expect(errors).toHaveLength(1);
    log.record(call(clock.now() + 1, 'arn:aws:iam::111111111111:user/second'));
    expect((await log.query(0, clock.now() + 10)).map((r) => r.principal)).toEqual([
      'arn:aws:iam::111111111111:user/first',
      'arn:aws:iam::111111111111:user/second',
    ]);
    await log.close();
  });

  it('drops records older than 90 days', async () => {
    const log = new KmsAuditLog(store.identity(), clock);
    const old = clock.now() - AUDIT_RETENTION_MS - 1;
    log.record(call(old, 'arn:aws:iam::111111111111:user/old'));
    log.record(call(clock.now(), 'arn:aws:iam::111111111111:user/new'));
    await log.flush();
    expect((await log.query(0, clock.now() + 1)).map((r) => r.principal)).toEqual(['arn:aws:iam::111111111111:user/new']);
    await log.close();
  });
});
