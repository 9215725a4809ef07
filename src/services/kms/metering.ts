import type { Clock } from '../../shared/clock.js';
import type { IdentityStore } from '../../storage/ports.js';
import type { KmsCallRecord } from './kms-service.js';

/**
 * The seed's formula for the KMS requests one queue causes: R = B / D × (2P + C), with B the billing
 * period and D the data key reuse period in seconds, P the producing and C the consuming principals.
 */
export function predictedRequests(q: { billingPeriodSeconds: number; reusePeriodSeconds: number; producers: number; consumers: number }): number {
  return (q.billingPeriodSeconds / q.reusePeriodSeconds) * (2 * q.producers + q.consumers);
}

/** The sum over several queues (the seed's Example 2). */
export function predictedTotal(queues: Array<Parameters<typeof predictedRequests>[0]>): number {
  return queues.reduce((sum, q) => sum + predictedRequests(q), 0);
}

export interface UsageSummary {
  total: number;
  byOperation: Record<string, number>;
  byKey: Record<string, number>;
  byQueue: Record<string, number>;
  byPrincipal: Record<string, number>;
  errors: Record<string, number>;
}

const bump = (m: Record<string, number>, k: string | undefined) => {
  if (k) m[k] = (m[k] ?? 0) + 1;
};

/** The queue a KMS call served: SQS binds the queue ARN into the encryption context. */
export const queueOf = (r: KmsCallRecord): string | undefined => r.encryptionContext?.['aws:sqs:arn'];

export function summarize(records: Iterable<KmsCallRecord>): UsageSummary {
  const s: UsageSummary = { total: 0, byOperation: {}, byKey: {}, byQueue: {}, byPrincipal: {}, errors: {} };
  for (const r of records) {
    s.total++;
    bump(s.byOperation, r.operation);
    bump(s.byKey, r.keyArn);
    bump(s.byQueue, queueOf(r));
    bump(s.byPrincipal, r.principal);
    bump(s.errors, r.errorCode);
  }
  return s;
}

export interface UsageBucket {
  /** The bucket's first instant (epoch ms); it spans `bucketMs`. */
  start: number;
  total: number;
  byKey: Record<string, number>;
  byQueue: Record<string, number>;
  byPrincipal: Record<string, number>;
}

/**
 * The calls over time, in `count` equal buckets from the first record (or `from`, when it is not
 * 0) to `to`: what the console's usage chart draws per key, queue and principal.
 */
export function usageSeries(records: KmsCallRecord[], period: { from: number; to: number }, count = 30): { bucketMs: number; buckets: UsageBucket[] } {
  const first = records.reduce((min, r) => Math.min(min, r.time), Number.POSITIVE_INFINITY);
  const start = period.from > 0 ? period.from : Number.isFinite(first) ? first : period.to;
  const bucketMs = Math.max(1, Math.ceil((period.to - start) / count));
  const buckets: UsageBucket[] = Array.from({ length: count }, (_, i) => ({ start: start + i * bucketMs, total: 0, byKey: {}, byQueue: {}, byPrincipal: {} }));
  for (const r of records) {
    const i = Math.floor((r.time - start) / bucketMs);
    if (i < 0 || i >= count) continue;
    const b = buckets[i];
    b.total++;
    bump(b.byKey, r.keyArn);
    bump(b.byQueue, queueOf(r));
    bump(b.byPrincipal, r.principal);
  }
  return { bucketMs, buckets };
}

/**
 * Per queue, what was metered against what the formula predicts: producers are the principals
 * that asked SQS for data keys (GenerateDataKey), consumers those that only decrypted.
 */
export function costReport(
  records: KmsCallRecord[],
  period: { from: number; to: number },
  reusePeriodSecondsOf: (queueArn: string) => number,
): Array<{ queueArn: string; metered: number; predicted: number; producers: number; consumers: number; reusePeriodSeconds: number }> {
  const byQueue = new Map<string, { metered: number; producers: Set<string>; decryptors: Set<string> }>();
  for (const r of records) {
    const queue = queueOf(r);
    if (!queue || r.invokedBy !== 'sqs.amazonaws.com' || r.time < period.from || r.time >= period.to) continue;
    const entry = byQueue.get(queue) ?? { metered: 0, producers: new Set<string>(), decryptors: new Set<string>() };
    entry.metered++;
    if (r.operation === 'GenerateDataKey') entry.producers.add(r.principal);
    if (r.operation === 'Decrypt') entry.decryptors.add(r.principal);
    byQueue.set(queue, entry);
  }
  const billingPeriodSeconds = (period.to - period.from) / 1000;
  return [...byQueue.entries()].map(([queueArn, e]) => {
    const consumers = [...e.decryptors].filter((p) => !e.producers.has(p)).length;
    const reusePeriodSeconds = reusePeriodSecondsOf(queueArn);
    return {
      queueArn,
      metered: e.metered,
      producers: e.producers.size,
      consumers,
      reusePeriodSeconds,
      predicted: predictedRequests({ billingPeriodSeconds, reusePeriodSeconds, producers: e.producers.size, consumers }),
    };
  });
}

/** How long the database keeps audit records (CloudTrail's event history keeps 90 days). */
export const AUDIT_RETENTION_MS = 90 * 86_400_000;
/** Records written together: at most this long after the call, or at once when this many wait. */
const FLUSH_MS = 1000;
const FLUSH_COUNT = 1000;
/** At most this many records answer one query (about 200 MB of JSON at most, in memory). */
const QUERY_LIMIT = 1_000_000;
const PRUNE_EVERY_MS = 3_600_000;

type AuditStore = Pick<IdentityStore, 'appendKmsCalls' | 'kmsCallsBetween' | 'pruneKmsCalls'>;

/**
 * Every KMS call: written to the database (a second at most after the call; at once at shutdown),
 * so `sealq kms-usage` and the cost report cover every node sharing the database and outlive
 * restarts. This node's recent calls are also kept in memory (bounded), for tests and tools in
 * the same process.
 */
export class KmsAuditLog {
  private readonly recent: KmsCallRecord[] = [];
  private pending: KmsCallRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private prunedAt = 0;
  private closed = false;
  /** Told when a write fails (the records are kept and tried again with the next write). */
  onWriteError: (error: unknown) => void = () => undefined;

  constructor(
    private readonly store: AuditStore,
    private readonly clock: Clock,
    private readonly capacity = 1_000_000,
  ) {}

  record(r: KmsCallRecord): void {
    this.recent.push(r);
    if (this.recent.length > this.capacity) this.recent.splice(0, this.recent.length - this.capacity);
    if (this.closed) return;
    this.pending.push(r);
    if (this.pending.length >= FLUSH_COUNT) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS).unref();
  }

  /** Writes what waits; resolves when it (and every write before it) is done. Never rejects. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    this.writing = this.writing.then(async () => {
      if (batch.length === 0) return;
      try {
        await this.store.appendKmsCalls(batch.map((r) => ({ time: r.time, record: JSON.stringify(r) })));
      } catch (error) {
        // Kept for the next write, unless the log is closed (the store is going away).
        if (!this.closed) this.pending.unshift(...batch);
        this.onWriteError(error);
        return;
      }
      const now = this.clock.now();
      if (now - this.prunedAt >= PRUNE_EVERY_MS) {
        this.prunedAt = now;
        await this.store.pruneKmsCalls(now - AUDIT_RETENTION_MS).catch((error: unknown) => this.onWriteError(error));
      }
    });
    return this.writing;
  }

  /** Every node's calls within [from, to), optionally of one account (by the principal's or key's account). */
  async query(from: number, to: number, accountId?: string): Promise<KmsCallRecord[]> {
    await this.flush();
    const rows = await this.store.kmsCallsBetween(from, to, QUERY_LIMIT);
    return rows.map((row) => JSON.parse(row) as KmsCallRecord).filter((r) => ofAccount(r, accountId));
  }

  /** This node's calls within [from, to) since it started, from memory. */
  between(from: number, to: number, accountId?: string): KmsCallRecord[] {
    return this.recent.filter((r) => r.time >= from && r.time < to && ofAccount(r, accountId));
  }

  /** Writes what waits and stops (before the store closes, or before a reset wipes it). */
  async close(): Promise<void> {
    const last = this.flush();
    this.closed = true;
    await last;
  }
}

const ofAccount = (r: KmsCallRecord, accountId: string | undefined): boolean =>
  !accountId || r.principal.includes(`::${accountId}:`) || (r.keyArn?.includes(`:${accountId}:`) ?? false);
