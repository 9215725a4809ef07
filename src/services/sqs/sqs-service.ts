import { randomUUID } from 'node:crypto';
import type { Clock } from '../../shared/clock.js';
import type { SqsStore } from '../../storage/ports.js';
import { sqsErrors } from './errors.js';
import { sqsLimits } from './limits.js';
import { batchFailure, checkBatchEntries, MessageOperations, type BatchFailure } from './messages.js';
import { MoveTasks } from './move-tasks.js';
import { QueueDirectory, validateTags, type Queue } from './queues.js';
import { addPermission, removePermission } from './permissions.js';
import { QueueAccess } from './access.js';
import type { Authorizer } from '../authz/authorizer.js';
import type { KmsService } from '../kms/kms-service.js';
import { MessageEncryption } from './sse.js';
import type { PeekedMessage } from './peek.js';
import { sqsQueueArn } from '../../shared/arn.js';
import { noMetrics, type SqsMetricsHook } from './types.js';
import type {
  MoveTaskView,
  ReceiveMessageInput,
  ReceivedMessage,
  RequestContext,
  SendBatchEntry,
  SendMessageInput,
  SendMessageOutput,
} from './types.js';

export interface QueueUrlPage {
  queueUrls: string[];
  nextToken?: string;
}

const HOUSEKEEPING_MS = 60_000;

/**
 * The SQS core: every operation with camelCase, already-decoded input. Knows nothing of wire
 * protocols; throws AwsErrors from the catalogue.
 */
export class SqsService {
  readonly queues: QueueDirectory;
  readonly messages: MessageOperations;
  readonly moveTasks: MoveTasks;
  private readonly shutdown = { closed: false };
  private housekeepingTimer: NodeJS.Timeout | undefined;
  /** Who holds this node's leases on shared background work; unique per process. */
  nodeId: string = randomUUID();

  private readonly access: QueueAccess;

  constructor(
    private readonly store: SqsStore,
    private readonly clock: Clock,
    readonly region: string,
    authorizer?: Authorizer,
    kms?: KmsService,
    metrics: SqsMetricsHook = noMetrics,
  ) {
    this.access = new QueueAccess(authorizer);
    this.queues = new QueueDirectory(store, clock, region);
    this.messages = new MessageOperations(
      store,
      clock,
      this.queues,
      this.access,
      new MessageEncryption(kms, clock, region, metrics),
      metrics,
    );
    this.moveTasks = new MoveTasks(store, clock, this.queues, this.messages.waiters, () => this.nodeId);
  }

  async start(): Promise<void> {
    await this.queues.load();
    this.moveTasks.start();
    this.housekeepingTimer = setInterval(() => void this.housekeepingUnderLease().catch(() => undefined), HOUSEKEEPING_MS);
    this.housekeepingTimer.unref();
  }

  /** Nodes sharing a database each run this timer; the lease lets one of them sweep at a time. */
  private async housekeepingUnderLease(): Promise<void> {
    const leased = await this.store.tryLease('housekeeping', this.nodeId, this.clock.now(), 3 * HOUSEKEEPING_MS);
    if (leased) await this.housekeeping();
  }

  /** Another node changed this queue: re-read it, and let receivers waiting on it look again. */
  async refreshQueue(queueId: number): Promise<void> {
    await this.queues.refresh(queueId);
    this.messages.waiters.notify(queueId);
  }

  /** Re-reads every queue (the cluster feed was interrupted, so changes may have been missed). */
  async reloadQueues(): Promise<void> {
    const before = this.queues.all().map((q) => q.record.id);
    await this.queues.load();
    for (const id of before) if (!this.queues.byStorageId(id)) this.messages.waiters.notify(id);
  }

  /** Drops messages past their queue's retention period and expired deduplication entries. */
  async housekeeping(): Promise<void> {
    const now = this.clock.now();
    for (const queue of this.queues.all()) {
      await this.store.purgeMessages(queue.record.id, now - queue.settings.messageRetentionSeconds * 1000);
    }
    await this.store.sweepDeduplication(now);
  }

  /** Ends long polls and background work; the store is closed by its owner. */
  stop(): void {
    this.shutdown.closed = true;
    clearInterval(this.housekeepingTimer);
    this.messages.waiters.close();
    this.moveTasks.stop();
  }

  // Queues

  async createQueue(
    ctx: RequestContext,
    input: { queueName: string; attributes?: Record<string, string>; tags?: Record<string, string> },
  ): Promise<{ queueUrl: string }> {
    if (typeof input.queueName === 'string' && input.queueName !== '') {
      const arn = sqsQueueArn(this.region, ctx.accountId, input.queueName);
      this.access.check(ctx, 'CreateQueue', undefined, arn);
      if (input.tags && Object.keys(input.tags).length > 0) this.access.check(ctx, 'TagQueue', undefined, arn);
    }
    const queue = await this.queues.create(ctx, input.queueName, input.attributes ?? {}, input.tags ?? {});
    return { queueUrl: this.queues.urlOf(ctx, queue) };
  }

  async deleteQueue(ctx: RequestContext, input: { queueUrl: string }): Promise<void> {
    const queue = this.queues.resolve(input.queueUrl);
    this.access.check(ctx, 'DeleteQueue', queue);
    await this.queues.delete(queue);
    this.messages.waiters.notify(queue.record.id);
  }

  async getQueueUrl(
    ctx: RequestContext,
    input: { queueName: string; queueOwnerAWSAccountId?: string },
  ): Promise<{ queueUrl: string }> {
    if (typeof input.queueName !== 'string' || input.queueName === '') throw sqsErrors.missingParameter('QueueName');
    const queue = this.queues.find(input.queueOwnerAWSAccountId ?? ctx.accountId, input.queueName);
    if (!queue) throw sqsErrors.queueDoesNotExist();
    this.access.check(ctx, 'GetQueueUrl', queue);
    return { queueUrl: this.queues.urlOf(ctx, queue) };
  }

  async listQueues(
    ctx: RequestContext,
    input: { queueNamePrefix?: string; nextToken?: string; maxResults?: number },
  ): Promise<QueueUrlPage> {
    this.access.check(ctx, 'ListQueues', undefined, sqsQueueArn(this.region, ctx.accountId, '*'));
    const queues = this.queues.list(ctx.accountId, input.queueNamePrefix);
    return paginate(
      queues.map((q) => ({ key: q.record.name, value: this.queues.urlOf(ctx, q) })),
      input.nextToken,
      input.maxResults,
    );
  }

  async listDeadLetterSourceQueues(
    ctx: RequestContext,
    input: { queueUrl: string; nextToken?: string; maxResults?: number },
  ): Promise<QueueUrlPage> {
    const queue = this.queues.resolve(input.queueUrl);
    this.access.check(ctx, 'ListDeadLetterSourceQueues', queue);
    const sources = this.queues.deadLetterSources(queue);
    return paginate(
      sources.map((q) => ({ key: q.record.name, value: this.queues.urlOf(ctx, q) })),
      input.nextToken,
      input.maxResults,
    );
  }

  async getQueueAttributes(
    ctx: RequestContext,
    input: { queueUrl: string; attributeNames?: string[] },
  ): Promise<{ attributes: Record<string, string> }> {
    const queue = this.queues.resolve(input.queueUrl);
    this.access.check(ctx, 'GetQueueAttributes', queue);
    const names = QueueDirectory.requestedNames(input.attributeNames);
    const all = names.has('All');
    const want = (name: string) => all || names.has(name);
    const out: Record<string, string> = {};
    if (want('QueueArn')) out.QueueArn = queue.arn;
    if (want('ApproximateNumberOfMessages') || want('ApproximateNumberOfMessagesNotVisible') || want('ApproximateNumberOfMessagesDelayed')) {
      const counts = await this.store.countMessages(queue.record.id, this.clock.now());
      if (want('ApproximateNumberOfMessages')) out.ApproximateNumberOfMessages = String(counts.visible);
      if (want('ApproximateNumberOfMessagesNotVisible')) out.ApproximateNumberOfMessagesNotVisible = String(counts.inFlight);
      if (want('ApproximateNumberOfMessagesDelayed')) out.ApproximateNumberOfMessagesDelayed = String(counts.delayed);
    }
    // AWS: timestamps in queue attributes are epoch seconds.
    if (want('CreatedTimestamp')) out.CreatedTimestamp = String(Math.floor(queue.record.createdAt / 1000));
    if (want('LastModifiedTimestamp')) out.LastModifiedTimestamp = String(Math.floor(queue.record.lastModifiedAt / 1000));
    for (const [name, value] of Object.entries(queue.record.attributes)) {
      if (want(name)) out[name] = value;
    }
    return { attributes: out };
  }

  async setQueueAttributes(
    ctx: RequestContext,
    input: { queueUrl: string; attributes: Record<string, string> },
  ): Promise<void> {
    const queue = this.queues.resolve(input.queueUrl);
    this.access.check(ctx, 'SetQueueAttributes', queue);
    if (!input.attributes) throw sqsErrors.missingParameter('Attributes');
    const updated = await this.queues.setAttributes(queue, input.attributes);
    // A shorter delay or retention can make messages available (or gone) sooner.
    this.messages.waiters.notify(updated.record.id);
  }

  async purgeQueue(ctx: RequestContext, input: { queueUrl: string }): Promise<void> {
    const queue = this.queues.resolve(input.queueUrl);
    this.access.check(ctx, 'PurgeQueue', queue);
    const now = this.clock.now();
    const last = queue.record.lastPurgedAt;
    if (last !== null && now - last < sqsLimits.purgeCooldownMs) throw sqsErrors.purgeQueueInProgress(queue.record.name);
    await this.queues.markPurged(queue, now);
    await this.messages.purge(queue);
  }

  async tagQueue(ctx: RequestContext, input: { queueUrl: string; tags: Record<string, string> }): Promise<void> {
    const queue = this.queues.resolve(input.queueUrl);
    this.access.check(ctx, 'TagQueue', queue);
    if (!input.tags || Object.keys(input.tags).length === 0) throw sqsErrors.missingParameter('Tags');
    const tags = { ...queue.record.tags, ...input.tags };
    validateTags(tags);
    await this.queues.setTags(queue, tags);
  }

  async untagQueue(ctx: RequestContext, input: { queueUrl: string; tagKeys: string[] }): Promise<void> {
    const queue = this.queues.resolve(input.queueUrl);
    this.access.check(ctx, 'UntagQueue', queue);
    if (!input.tagKeys || input.tagKeys.length === 0) throw sqsErrors.missingParameter('TagKeys');
    const tags = { ...queue.record.tags };
    for (const key of input.tagKeys) delete tags[key];
    await this.queues.setTags(queue, tags);
  }

  async listQueueTags(ctx: RequestContext, input: { queueUrl: string }): Promise<{ tags: Record<string, string> }> {
    const queue = this.queues.resolve(input.queueUrl);
    this.access.check(ctx, 'ListQueueTags', queue);
    return { tags: { ...queue.record.tags } };
  }

  async addPermission(
    ctx: RequestContext,
    input: { queueUrl: string; label: string; awsAccountIds: string[]; actions: string[] },
  ): Promise<void> {
    const queue = this.queues.resolve(input.queueUrl);
    this.access.check(ctx, 'AddPermission', queue);
    const policy = addPermission(queue, input.label, input.awsAccountIds, input.actions);
    await this.queues.setPolicy(queue, policy);
  }

  async removePermission(ctx: RequestContext, input: { queueUrl: string; label: string }): Promise<void> {
    const queue = this.queues.resolve(input.queueUrl);
    this.access.check(ctx, 'RemovePermission', queue);
    await this.queues.setPolicy(queue, removePermission(queue, input.label));
  }

  // Messages

  sendMessage(ctx: RequestContext, input: SendMessageInput): Promise<SendMessageOutput> {
    return this.messages.send(ctx, input);
  }

  sendMessageBatch(
    ctx: RequestContext,
    input: { queueUrl: string; entries: SendBatchEntry[] },
  ): Promise<{ successful: Array<SendMessageOutput & { id: string }>; failed: BatchFailure[] }> {
    return this.messages.sendBatch(ctx, input.queueUrl, input.entries);
  }

  /**
   * An event source's delivery (SNS, S3, EventBridge, or any service principal): the same front
   * door as SendMessage — the queue policy, SSE with the service as requester, limits — addressed
   * by queue ARN. `ctx.principal` is the service principal.
   */
  async deliver(ctx: RequestContext, input: Omit<SendMessageInput, 'queueUrl'> & { queueArn: string }): Promise<SendMessageOutput> {
    const queue = this.queues.byArn(input.queueArn);
    if (!queue) throw sqsErrors.queueDoesNotExist();
    const { queueArn, ...message } = input;
    void queueArn;
    return this.messages.send(ctx, { ...message, queueUrl: this.queues.urlOf(ctx, queue) });
  }

  async receiveMessage(ctx: RequestContext, input: ReceiveMessageInput): Promise<{ messages: ReceivedMessage[] }> {
    return { messages: await this.messages.receive(ctx, input, this.shutdown) };
  }

  /** Not an SQS action: sealq's browse (POST /_sealq/peek), needing sqs:ReceiveMessage. */
  async peekMessages(ctx: RequestContext, input: { queueUrl: string; max?: number; bodies?: boolean }): Promise<{ messages: PeekedMessage[] }> {
    return { messages: await this.messages.peek(ctx, input.queueUrl, input.max, { bodies: input.bodies }) };
  }

  async deleteMessage(ctx: RequestContext, input: { queueUrl: string; receiptHandle: string }): Promise<void> {
    await this.messages.delete(ctx, input.queueUrl, input.receiptHandle);
  }

  async deleteMessageBatch(
    ctx: RequestContext,
    input: { queueUrl: string; entries: Array<{ id: string; receiptHandle: string }> },
  ): Promise<{ successful: Array<{ id: string }>; failed: BatchFailure[] }> {
    const queue = this.queues.resolve(input.queueUrl);
    this.access.check(ctx, 'DeleteMessage', queue);
    checkBatchEntries(input.entries, 'DeleteMessageBatchRequestEntry');
    const errors = await this.messages.deleteMany(
      input.queueUrl,
      input.entries.map((e) => e.receiptHandle),
    );
    const successful: Array<{ id: string }> = [];
    const failed: BatchFailure[] = [];
    input.entries.forEach((entry, i) => {
      if (errors[i] === undefined) successful.push({ id: entry.id });
      else failed.push(batchFailure(entry.id, errors[i]));
    });
    return { successful, failed };
  }

  async changeMessageVisibility(
    ctx: RequestContext,
    input: { queueUrl: string; receiptHandle: string; visibilityTimeout: number },
  ): Promise<void> {
    await this.messages.changeVisibility(ctx, input.queueUrl, input.receiptHandle, input.visibilityTimeout);
  }

  async changeMessageVisibilityBatch(
    ctx: RequestContext,
    input: { queueUrl: string; entries: Array<{ id: string; receiptHandle: string; visibilityTimeout?: number }> },
  ): Promise<{ successful: Array<{ id: string }>; failed: BatchFailure[] }> {
    const queue = this.queues.resolve(input.queueUrl);
    this.access.check(ctx, 'ChangeMessageVisibility', queue);
    checkBatchEntries(input.entries, 'ChangeMessageVisibilityBatchRequestEntry');
    return settleBatch(input.entries, (e) =>
      this.messages.changeVisibility(null, input.queueUrl, e.receiptHandle, e.visibilityTimeout as number),
    );
  }

  // Dead-letter redrive

  async startMessageMoveTask(
    ctx: RequestContext,
    input: { sourceArn: string; destinationArn?: string; maxNumberOfMessagesPerSecond?: number },
  ): Promise<{ taskHandle: string }> {
    const source = typeof input.sourceArn === 'string' ? this.queues.byArn(input.sourceArn) : undefined;
    if (source) this.access.check(ctx, 'StartMessageMoveTask', source);
    return {
      taskHandle: await this.moveTasks.startTask(input.sourceArn, input.destinationArn, input.maxNumberOfMessagesPerSecond),
    };
  }

  async cancelMessageMoveTask(ctx: RequestContext, input: { taskHandle: string }): Promise<{ approximateNumberOfMessagesMoved: number }> {
    const source = this.moveTasks.sourceOf(input.taskHandle);
    if (source) this.access.check(ctx, 'CancelMessageMoveTask', source);
    return { approximateNumberOfMessagesMoved: await this.moveTasks.cancel(input.taskHandle) };
  }

  async listMessageMoveTasks(
    ctx: RequestContext,
    input: { sourceArn: string; maxResults?: number },
  ): Promise<{ results: MoveTaskView[] }> {
    const source = typeof input.sourceArn === 'string' ? this.queues.byArn(input.sourceArn) : undefined;
    if (source) this.access.check(ctx, 'ListMessageMoveTasks', source);
    return { results: await this.moveTasks.list(input.sourceArn, input.maxResults) };
  }

  /** For housekeeping and tests. */
  queueById(id: number): Queue | undefined {
    return this.queues.byStorageId(id);
  }
}

/** Runs each entry; an entry's AWS error becomes its failure, anything else fails the request. */
async function settleBatch<E extends { id: string }>(
  entries: E[],
  run: (entry: E) => Promise<void>,
): Promise<{ successful: Array<{ id: string }>; failed: BatchFailure[] }> {
  const results = await Promise.allSettled(entries.map((e) => run(e)));
  const successful: Array<{ id: string }> = [];
  const failed: BatchFailure[] = [];
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') successful.push({ id: entries[i].id });
    else failed.push(batchFailure(entries[i].id, r.reason));
  });
  return { successful, failed };
}

/** ListQueues-style paging: NextToken only when MaxResults was given and more remain. */
function paginate(
  items: Array<{ key: string; value: string }>,
  nextToken: string | undefined,
  maxResults: number | undefined,
): QueueUrlPage {
  if (maxResults !== undefined && (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > sqsLimits.listQueuesMaxResults)) {
    throw sqsErrors.invalidValue(maxResults, 'MaxResults', 'MaxResults must be an integer between 1 and 1000.');
  }
  let start = 0;
  if (nextToken !== undefined) {
    let after: string;
    try {
      after = JSON.parse(Buffer.from(nextToken, 'base64').toString('utf8')).after;
      if (typeof after !== 'string') throw new Error('bad token');
    } catch {
      throw sqsErrors.invalidParameterValue('Invalid NextToken value.');
    }
    start = items.findIndex((i) => i.key > after);
    if (start < 0) start = items.length;
  }
  const limit = maxResults ?? sqsLimits.listQueuesMaxResults;
  const page = items.slice(start, start + limit);
  const more = start + limit < items.length;
  const out: QueueUrlPage = { queueUrls: page.map((i) => i.value) };
  if (more && maxResults !== undefined) {
    out.nextToken = Buffer.from(JSON.stringify({ after: page[page.length - 1].key })).toString('base64');
  }
  return out;
}
