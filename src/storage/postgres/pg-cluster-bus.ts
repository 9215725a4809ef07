import { createHash } from 'node:crypto';
import pg from 'pg';
import type { ClusterBus, ClusterEvent, ClusterListener } from '../ports.js';

export interface PgClusterBusOptions {
  connectionString: string;
  /** The schema the nodes share: each schema has its own channel. */
  schema: string;
  nodeId: string;
  /** Sends one notification (through the store's pool, so a lost LISTEN connection does not stop it). */
  send: (channel: string, payload: string) => Promise<void>;
}

/** NOTIFY payloads must stay under 8,000 bytes; events are small, so a batch is cut well below. */
const MAX_PAYLOAD = 7000;
const RECONNECT_MIN_MS = 200;
const RECONNECT_MAX_MS = 5000;

interface Envelope {
  /** Publishing node. */
  n: string;
  e: ClusterEvent[];
  /** A greeting: the node just joined (or rejoined) and wants to be greeted back. */
  hello?: 'join' | 'reply';
}

/**
 * The change feed over PostgreSQL LISTEN/NOTIFY. Events published in one event-loop turn go out
 * together, deduplicated, in as few notifications as fit, after the writes they describe have
 * committed. One dedicated connection listens; when it drops, the bus reconnects and asks its
 * listener to resync, since notifications sent meanwhile are lost.
 */
export class PgClusterBus implements ClusterBus {
  readonly nodeId: string;
  private readonly channel: string;
  private client: pg.Client | undefined;
  private listener: ClusterListener | undefined;
  private queued = new Map<string, ClusterEvent>();
  private flushing = false;
  private closed = false;
  private reconnectDelay = RECONNECT_MIN_MS;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly greeted = new Set<string>();
  hasPeers = false;

  private constructor(private readonly options: PgClusterBusOptions) {
    this.nodeId = options.nodeId;
    // Channel names are identifiers (63 bytes at most): derive a short one from the schema.
    this.channel = `sealq_${createHash('sha256').update(options.schema).digest('hex').slice(0, 24)}`;
  }

  static async open(options: PgClusterBusOptions): Promise<PgClusterBus> {
    const bus = new PgClusterBus(options);
    await bus.connect();
    return bus;
  }

  subscribe(listener: ClusterListener): void {
    this.listener = listener;
  }

  publish(event: ClusterEvent): void {
    if (this.closed) return;
    const key = event.type === 'entity' ? `e\u0000${event.kind}\u0000${event.id}` : `${event.type}\u0000${event.queueId}`;
    this.queued.set(key, event);
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => void this.flush());
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async flush(): Promise<void> {
    const events = [...this.queued.values()];
    this.queued = new Map();
    this.flushing = false;
    let batch: ClusterEvent[] = [];
    let size = 0;
    const sends: Promise<void>[] = [];
    const send = () => {
      if (batch.length === 0) return;
      const payload = JSON.stringify({ n: this.nodeId, e: batch } satisfies Envelope);
      // Publishing never fails the request that caused it: a lost notification only delays
      // what other nodes see until their next resync.
      sends.push(this.options.send(this.channel, payload).catch(() => undefined));
      batch = [];
      size = 0;
    };
    for (const event of events) {
      const length = JSON.stringify(event).length + 1;
      if (size + length > MAX_PAYLOAD) send();
      batch.push(event);
      size += length;
    }
    send();
    await Promise.all(sends);
  }

  private async connect(): Promise<void> {
    // Named, so operators (and tests) can tell the feed's connection apart in pg_stat_activity.
    const client = new pg.Client({ connectionString: this.options.connectionString, application_name: `sealq-feed ${this.nodeId}`.slice(0, 63) });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    client.on('notification', (message) => {
      if (message.channel !== this.channel || !message.payload) return;
      this.deliver(message.payload);
    });
    await client.connect();
    await client.query(`LISTEN ${this.channel}`);
    this.client = client;
    this.reconnectDelay = RECONNECT_MIN_MS;
    // Listening now: say so, so that nodes already running know someone else needs their news.
    await this.greet('join');
  }

  private greet(kind: 'join' | 'reply'): Promise<void> {
    const payload = JSON.stringify({ n: this.nodeId, e: [], hello: kind } satisfies Envelope);
    return this.options.send(this.channel, payload).catch(() => undefined);
  }

  private deliver(payload: string): void {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(payload) as Envelope;
    } catch {
      return;
    }
    if (envelope.n === this.nodeId || !Array.isArray(envelope.e)) return;
    this.hasPeers = true;
    // A node that joined learns about this one from the reply; once per node is enough.
    if (envelope.hello === 'join' && !this.greeted.has(envelope.n)) {
      this.greeted.add(envelope.n);
      void this.greet('reply');
    }
    for (const event of envelope.e) this.listener?.event(event);
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    this.reconnectTimer = setTimeout(() => {
      this.connect().then(
        () => this.listener?.resync(),
        () => {
          this.reconnectDelay = Math.min(RECONNECT_MAX_MS, this.reconnectDelay * 2);
          this.scheduleReconnect();
        },
      );
    }, this.reconnectDelay);
    this.reconnectTimer.unref();
  }
}
