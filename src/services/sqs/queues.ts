import { parseArn, sqsQueueArn } from '../../shared/arn.js';
import type { Clock } from '../../shared/clock.js';
import type { QueueRecord, SqsStore } from '../../storage/ports.js';
import { sqsErrors } from './errors.js';
import { sqsLimits } from './limits.js';
import {
  initialAttributes,
  mergeAttributes,
  readableAttributeNames,
  settingsOf,
  validateQueueAttributes,
  type QueueSettings,
} from './queue-attributes.js';
import type { RequestContext } from './types.js';

/** A queue as the service works with it: the record plus what is derived from it. */
export interface Queue {
  record: QueueRecord;
  settings: QueueSettings;
  arn: string;
}

const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const FIFO_QUEUE_NAME = /^[A-Za-z0-9_-]{1,75}\.fifo$/;

/**
 * Queues: creation, lookup by URL, attributes, tags. Keeps every queue in memory (they are few
 * and small) so a message operation never pays a storage round trip to find its queue.
 */
export class QueueDirectory {
  private readonly byKey = new Map<string, Queue>();
  private readonly byId = new Map<number, Queue>();
  private readonly byUrl = new Map<string, Queue>();

  constructor(
    private readonly store: SqsStore,
    private readonly clock: Clock,
    private readonly region: string,
  ) {}

  async load(): Promise<void> {
    this.byKey.clear();
    this.byId.clear();
    for (const record of await this.store.listQueues(null)) this.remember(record);
  }

  private remember(record: QueueRecord): Queue {
    const queue: Queue = {
      record,
      settings: settingsOf(record.attributes),
      arn: sqsQueueArn(this.region, record.accountId, record.name),
    };
    this.byKey.set(`${record.accountId}/${record.name}`, queue);
    this.byId.set(record.id, queue);
    return queue;
  }

  private forget(queue: Queue): void {
    this.byKey.delete(`${queue.record.accountId}/${queue.record.name}`);
    this.byId.delete(queue.record.id);
  }

  urlOf(ctx: RequestContext, queue: Queue): string {
    return `${ctx.baseUrl}/${queue.record.accountId}/${queue.record.name}`;
  }

  byStorageId(id: number): Queue | undefined {
    return this.byId.get(id);
  }

  all(): Queue[] {
    return [...this.byId.values()];
  }

  find(accountId: string, name: string): Queue | undefined {
    return this.byKey.get(`${accountId}/${name}`);
  }

  byArn(arn: string): Queue | undefined {
    const parsed = parseArn(arn);
    if (!parsed || parsed.service !== 'sqs' || parsed.region !== this.region) return undefined;
    return this.find(parsed.accountId, parsed.resource);
  }

  /** Resolves a QueueUrl (any host; the path names account and queue). */
  resolve(queueUrl: string): Queue {
    // Clients send the same few URLs over and over: remember what each one named.
    const cached = this.byUrl.get(queueUrl);
    if (cached && this.byId.get(cached.record.id) === cached) return cached;
    if (typeof queueUrl !== 'string' || queueUrl === '') throw sqsErrors.missingParameter('QueueUrl');
    const path = queueUrl.replace(/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/]*/, '').split('?')[0];
    const parts = path.split('/').filter((p) => p !== '');
    if (parts.length !== 2) {
      if (parts.length === 1 || parts.length === 0) throw sqsErrors.invalidAddress(queueUrl);
      throw sqsErrors.queueDoesNotExist();
    }
    const queue = this.find(parts[0], decodeURIComponent(parts[1]));
    if (!queue) throw sqsErrors.queueDoesNotExist();
    if (this.byUrl.size > 10_000) this.byUrl.clear();
    this.byUrl.set(queueUrl, queue);
    return queue;
  }

  async create(
    ctx: RequestContext,
    name: string,
    requested: Record<string, string>,
    tags: Record<string, string>,
  ): Promise<Queue> {
    if (typeof name !== 'string' || name === '') throw sqsErrors.missingParameter('QueueName');
    const fifo = (requested.FifoQueue ?? '').toLowerCase() === 'true';
    if (fifo && !FIFO_QUEUE_NAME.test(name)) {
      throw sqsErrors.invalidParameterValue(
        'The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.',
      );
    }
    if (!fifo && !QUEUE_NAME.test(name)) {
      throw sqsErrors.invalidParameterValue(
        'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
      );
    }
    const attributes = validateQueueAttributes(requested, {
      fifo,
      creating: true,
      sourceArn: sqsQueueArn(this.region, ctx.accountId, name),
      deadLetterTarget: (arn) => this.deadLetterTarget(arn),
    });
    validateTags(tags);

    const existing = this.find(ctx.accountId, name);
    if (existing) return this.checkSameAttributes(existing, attributes);
    const now = this.clock.now();
    const deletedAt = await this.store.lastDeletedAt(ctx.accountId, name);
    if (deletedAt !== undefined && now - deletedAt < sqsLimits.queueDeletedCooldownMs) {
      throw sqsErrors.queueDeletedRecently();
    }
    const { created, queue } = await this.store.createQueue({
      accountId: ctx.accountId,
      name,
      fifo,
      attributes: initialAttributes(fifo, attributes),
      tags,
      now,
    });
    const remembered = this.remember(queue);
    // A concurrent CreateQueue won the race: the same rule applies as if it had come first.
    return created ? remembered : this.checkSameAttributes(remembered, attributes);
  }

  /** AWS: CreateQueue on an existing name succeeds only if every given attribute matches. */
  private checkSameAttributes(queue: Queue, requested: Record<string, string>): Queue {
    const current = initialAttributes(queue.record.fifo, {});
    Object.assign(current, queue.record.attributes);
    for (const [name, value] of Object.entries(requested)) {
      const have = current[name] ?? '';
      if (have !== value) throw sqsErrors.queueNameExists(name);
    }
    return queue;
  }

  private deadLetterTarget(arn: string): { exists: boolean; fifo: boolean; redriveAllow: QueueSettings['redriveAllow'] } {
    const queue = this.byArn(arn);
    return { exists: !!queue, fifo: !!queue?.record.fifo, redriveAllow: queue?.settings.redriveAllow ?? null };
  }

  /**
   * Re-reads one queue after another node changed it (created, updated or deleted it); returns
   * the queue as it is now, or undefined once it is gone.
   */
  async refresh(id: number): Promise<Queue | undefined> {
    const record = await this.store.getQueueById(id);
    const known = this.byId.get(id);
    if (known) this.forget(known);
    return record ? this.remember(record) : undefined;
  }

  async delete(queue: Queue): Promise<void> {
    await this.store.deleteQueue(queue.record.id, this.clock.now());
    this.forget(queue);
  }

  list(accountId: string, prefix: string | undefined): Queue[] {
    const out: Queue[] = [];
    for (const queue of this.byId.values()) {
      if (queue.record.accountId !== accountId) continue;
      if (prefix && !queue.record.name.startsWith(prefix)) continue;
      out.push(queue);
    }
    return out.sort((a, b) => (a.record.name < b.record.name ? -1 : a.record.name > b.record.name ? 1 : 0));
  }

  /** Queues whose RedrivePolicy names `queue` as their dead-letter queue. */
  deadLetterSources(queue: Queue): Queue[] {
    const out: Queue[] = [];
    for (const q of this.byId.values()) {
      if (q.settings.redrive?.deadLetterTargetArn === queue.arn) out.push(q);
    }
    return out.sort((a, b) => (a.record.name < b.record.name ? -1 : 1));
  }

  async setAttributes(queue: Queue, requested: Record<string, string>): Promise<Queue> {
    const attributes = validateQueueAttributes(requested, {
      fifo: queue.record.fifo,
      creating: false,
      sourceArn: queue.arn,
      deadLetterTarget: (arn) => this.deadLetterTarget(arn),
    });
    const merged = mergeAttributes(queue.record.attributes, attributes);
    const record = await this.store.updateQueue(queue.record.id, {
      attributes: merged,
      lastModifiedAt: this.clock.now(),
    });
    return this.remember(record);
  }

  async setPolicy(queue: Queue, policy: string | null): Promise<Queue> {
    const attributes = { ...queue.record.attributes };
    if (policy === null) delete attributes.Policy;
    else attributes.Policy = policy;
    const record = await this.store.updateQueue(queue.record.id, { attributes, lastModifiedAt: this.clock.now() });
    return this.remember(record);
  }

  async setTags(queue: Queue, tags: Record<string, string>): Promise<Queue> {
    const record = await this.store.updateQueue(queue.record.id, { tags });
    return this.remember(record);
  }

  async markPurged(queue: Queue, at: number): Promise<Queue> {
    const record = await this.store.updateQueue(queue.record.id, { lastPurgedAt: at });
    return this.remember(record);
  }

  /** Checks GetQueueAttributes names; returns the set to answer, or 'all'. */
  static requestedNames(names: string[] | undefined): Set<string> {
    const requested = new Set<string>();
    for (const name of names ?? []) {
      if (!readableAttributeNames.has(name)) throw sqsErrors.invalidAttributeName(name);
      requested.add(name);
    }
    return requested;
  }
}

export function validateTags(tags: Record<string, string>): void {
  const keys = Object.keys(tags);
  if (keys.length > sqsLimits.tagsPerQueue) {
    throw sqsErrors.invalidParameterValue(`Too many tags added for queue. The maximum is ${sqsLimits.tagsPerQueue}.`);
  }
  for (const key of keys) {
    if (key.length === 0 || key.length > sqsLimits.tagKeyMaxLength) {
      throw sqsErrors.invalidParameterValue(`Tag keys must be between 1 and ${sqsLimits.tagKeyMaxLength} characters in length.`);
    }
    const value = tags[key];
    if (typeof value !== 'string' || value.length > sqsLimits.tagValueMaxLength) {
      throw sqsErrors.invalidParameterValue(`Tag values must be between 0 and ${sqsLimits.tagValueMaxLength} characters in length.`);
    }
  }
}
