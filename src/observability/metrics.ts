import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { SqsMetricsHook } from '../services/sqs/types.js';

/**
 * sealq's Prometheus metrics (`GET /metrics`). Services report through small hook interfaces; this
 * is the one place that knows metric names and labels.
 */
export class Metrics implements SqsMetricsHook {
  readonly registry = new Registry();
  private readonly pending = new PendingCounts();
  private readonly requests: Counter<'service' | 'action' | 'status'>;
  private readonly duration: Histogram<'service' | 'action'>;
  private readonly messages: Counter<'queue' | 'event'>;
  private readonly kms: Counter<'operation' | 'key' | 'principal' | 'outcome'>;
  private readonly dataKeys: Counter<'cache' | 'result'>;
  private readonly denials: Counter<'action'>;
  private readonly deliveries: Counter<'source' | 'outcome' | 'error_code'>;

  constructor(queueDepths: () => Promise<Array<{ queue: string; visible: number; inFlight: number; delayed: number }>>) {
    collectDefaultMetrics({ register: this.registry, prefix: 'sealq_process_' });
    const registers = [this.registry];
    this.requests = new Counter({ name: 'sealq_requests_total', help: 'Requests by service, action and HTTP status.', labelNames: ['service', 'action', 'status'], registers });
    this.duration = new Histogram({
      name: 'sealq_request_duration_seconds',
      help: 'Request latency by service and action.',
      labelNames: ['service', 'action'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 25],
      registers,
    });
    this.messages = new Counter({ name: 'sealq_messages_total', help: 'Messages sent, received, deleted and moved to dead-letter queues, per queue.', labelNames: ['queue', 'event'], registers });
    this.kms = new Counter({ name: 'sealq_kms_requests_total', help: 'KMS requests by operation, key, principal and outcome.', labelNames: ['operation', 'key', 'principal', 'outcome'], registers });
    this.dataKeys = new Counter({ name: 'sealq_data_key_cache_total', help: 'SSE data-key cache lookups by cache (encrypt, decrypt) and result (hit, miss).', labelNames: ['cache', 'result'], registers });
    this.denials = new Counter({ name: 'sealq_policy_denials_total', help: 'Requests refused by policy, by action.', labelNames: ['action'], registers });
    this.deliveries = new Counter({ name: 'sealq_event_deliveries_total', help: 'Event-source deliveries by source and outcome.', labelNames: ['source', 'outcome', 'error_code'], registers });
    new Gauge({
      name: 'sealq_queue_messages',
      help: 'Messages per queue and state (visible, in_flight, delayed).',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        this.reset();
        for (const d of await queueDepths()) {
          this.set({ queue: d.queue, state: 'visible' }, d.visible);
          this.set({ queue: d.queue, state: 'in_flight' }, d.inFlight);
          this.set({ queue: d.queue, state: 'delayed' }, d.delayed);
        }
      },
    });
  }

  request(service: string, action: string, status: number, seconds: number): void {
    this.pending.add(this.requests, `r\u0000${service}\u0000${action}\u0000${status}`, () => ({ service, action, status: String(status) }), 1);
    this.duration.observe({ service, action }, seconds);
  }

  message(queue: string, event: 'sent' | 'received' | 'deleted' | 'moved_to_dlq', count = 1): void {
    if (count > 0) this.pending.add(this.messages, `m\u0000${queue}\u0000${event}`, () => ({ queue, event }), count);
  }

  kmsCall(operation: string, key: string | undefined, principal: string, errorCode: string | undefined): void {
    this.kms.inc({ operation, key: key ?? '', principal, outcome: errorCode ?? 'ok' });
  }

  dataKey(cache: 'encrypt' | 'decrypt', hit: boolean): void {
    const result = hit ? 'hit' : 'miss';
    this.pending.add(this.dataKeys, `d\u0000${cache}\u0000${result}`, () => ({ cache, result }), 1);
  }

  denial(action: string): void {
    this.denials.inc({ action });
  }

  delivery(source: 'sns' | 'events' | 's3', outcome: string, errorCode: string | undefined): void {
    this.deliveries.inc({ source, outcome, error_code: errorCode ?? '' });
  }

  text(): Promise<string> {
    this.pending.flush();
    return this.registry.metrics();
  }
}


/**
 * `sealq_storage_round_trips_total`: queries the storage engine has sent to its database server
 * (one per round trip, BEGIN and COMMIT included), read from `roundTrips()` at scrape time. Only
 * PostgreSQL counts them (`PgStore.roundTrips`); `bench/run.mjs --nodes` divides the count by
 * messages. Register it once per Metrics.
 */
export function registerStorageRoundTrips(metrics: Metrics, roundTrips: () => number): void {
  new Counter({
    name: 'sealq_storage_round_trips_total',
    help: 'Queries sent to the storage database server (one per round trip, BEGIN and COMMIT included).',
    registers: [metrics.registry],
    collect() {
      this.reset();
      this.inc(roundTrips());
    },
  });
}

/** What the SSE caches hold now: data keys per cache, and plaintext characters kept for receives. */
export function registerSseCaches(metrics: Metrics, sizes: () => { encrypt: number; decrypt: number; plaintextChars: number }): void {
  new Gauge({
    name: 'sealq_sse_data_keys_cached',
    help: 'SSE data keys held in memory, by cache (encrypt, decrypt).',
    labelNames: ['cache'],
    registers: [metrics.registry],
    collect() {
      const now = sizes();
      this.set({ cache: 'encrypt' }, now.encrypt);
      this.set({ cache: 'decrypt' }, now.decrypt);
    },
  });
  new Gauge({
    name: 'sealq_sse_plaintext_chars_held',
    help: 'Characters of recently sealed bodies held in memory so that a receive soon after the send skips decryption (bounded).',
    registers: [metrics.registry],
    collect() {
      this.set(sizes().plaintextChars);
    },
  });
}

/**
 * Counter increments held until the next scrape. prom-client sorts, joins and validates the
 * labels on every increment, and the hot ones (requests, messages, data-key lookups) happen
 * several times per request; here an increment is one map lookup by a key the caller builds.
 */
class PendingCounts {
  private readonly counts = new Map<string, { counter: Counter<string>; labels: Record<string, string>; n: number }>();

  add<L extends string>(counter: Counter<L>, key: string, labels: () => Record<L, string>, n: number): void {
    const entry = this.counts.get(key);
    if (entry) entry.n += n;
    else this.counts.set(key, { counter: counter as Counter<string>, labels: labels(), n });
  }

  flush(): void {
    for (const entry of this.counts.values()) {
      if (entry.n > 0) entry.counter.inc(entry.labels, entry.n);
      entry.n = 0;
    }
  }
}
