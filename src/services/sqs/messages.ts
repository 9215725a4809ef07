import type { Clock } from '../../shared/clock.js';
import { AwsError } from '../../shared/aws-error.js';
import { newUuid } from '../../shared/ids.js';
import type { DeleteOutcome, NewMessage, SqsStore, StoredMessage } from '../../storage/ports.js';
import { sqsErrors } from './errors.js';
import { sqsLimits } from './limits.js';
import { md5OfAttributes } from './md5.js';
import { decodeAttributes, encodeAttributes, validateMessage, type ValidatedMessage } from './message-input.js';
import type { Queue, QueueDirectory } from './queues.js';
import { decodeReceiptHandle, encodeReceiptHandle } from './receipt-handle.js';
import type {
  MessageAttributes,
  ReceiveMessageInput,
  ReceivedMessage,
  RequestContext,
  SendBatchEntry,
  SendMessageInput,
  SendMessageOutput,
  SqsMetricsHook,
} from './types.js';
import { Waiters } from './waiters.js';
import type { QueueAccess } from './access.js';
import type { MessageEncryption } from './sse.js';
import { peekMessages, type PeekedMessage } from './peek.js';

const SYSTEM_ATTRIBUTE_NAMES = new Set([
  'All',
  'SenderId',
  'SentTimestamp',
  'ApproximateReceiveCount',
  'ApproximateFirstReceiveTimestamp',
  'SequenceNumber',
  'MessageDeduplicationId',
  'MessageGroupId',
  'AWSTraceHeader',
  'DeadLetterQueueSourceArn',
  'SqsManagedSseEnabled',
]);

/** Sending, receiving (with long polling), deleting and hiding messages. */
export class MessageOperations {
  readonly waiters = new Waiters();

  constructor(
    private readonly store: SqsStore,
    private readonly clock: Clock,
    private readonly queues: QueueDirectory,
    private readonly access: QueueAccess,
    private readonly encryption: MessageEncryption,
    private readonly metrics: SqsMetricsHook,
  ) {}

  /** What the SSE caches hold now (for metrics). */
  sseCacheSizes(): { encrypt: number; decrypt: number; plaintextChars: number } {
    return this.encryption.cacheSizes();
  }

  async send(ctx: RequestContext, input: SendMessageInput): Promise<SendMessageOutput> {
    const queue = this.queues.resolve(input.queueUrl);
    this.access.check(ctx, 'SendMessage', queue);
    const message = validateMessage(input, this.shapeOf(queue));
    const [outcome] = await this.insert(ctx, queue, [message]);
    return outcome;
  }

  async sendBatch(
    ctx: RequestContext,
    queueUrl: string,
    entries: SendBatchEntry[],
  ): Promise<{ successful: Array<SendMessageOutput & { id: string }>; failed: BatchFailure[] }> {
    const queue = this.queues.resolve(queueUrl);
    this.access.check(ctx, 'SendMessage', queue);
    checkBatchEntries(entries, 'SendMessageBatchRequestEntry');
    const shape = this.shapeOf(queue);
    const valid: Array<{ id: string; message: ValidatedMessage }> = [];
    const failed: BatchFailure[] = [];
    let total = 0;
    for (const entry of entries) {
      try {
        const message = validateMessage(entry, shape);
        total += message.size;
        valid.push({ id: entry.id, message });
      } catch (error) {
        // AWS: FIFO-specific omissions fail the whole batch request, not just the entry.
        if (queue.record.fifo && error instanceof AwsError && isFifoRequirement(error)) {
          throw sqsErrors.invalidParameterValue(error.message);
        }
        failed.push(batchFailure(entry.id, error));
      }
    }
    if (total > sqsLimits.batchPayloadBytes) {
      throw sqsErrors.batchRequestTooLong(total, sqsLimits.batchPayloadBytes);
    }
    const outcomes = valid.length ? await this.insert(ctx, queue, valid.map((v) => v.message)) : [];
    return { successful: outcomes.map((o, i) => ({ id: valid[i].id, ...o })), failed };
  }

  private shapeOf(queue: Queue) {
    return {
      fifo: queue.record.fifo,
      maximumMessageSize: queue.settings.maximumMessageSize,
      contentBasedDeduplication: queue.settings.contentBasedDeduplication,
    };
  }

  private async insert(ctx: RequestContext, queue: Queue, messages: ValidatedMessage[]): Promise<SendMessageOutput[]> {
    const now = this.clock.now();
    const fifo = queue.record.fifo;
    let latestVisibleAt = now;
    const ids = messages.map(() => newUuid());
    // AWS: SSE seals the body only; attributes and metadata stay in the clear.
    const sealed = this.encryption.seal(
      ctx,
      queue,
      messages.map((m, i) => ({ messageId: ids[i], body: m.body })),
    );
    // A key made on first use (alias/aws/sqs) must be stored before a message that needs it is.
    const keyWrites = sealed && this.encryption.keyWrites();
    if (keyWrites) await keyWrites;
    const envelope = sealed ? sealed.envelopeText : null;
    const rows: NewMessage[] = messages.map((m, i) => {
      const delay = m.delaySeconds ?? queue.settings.delaySeconds;
      const visibleAt = now + delay * 1000;
      if (visibleAt > latestVisibleAt) latestVisibleAt = visibleAt;
      const scope = queue.settings.deduplicationScope === 'messageGroup' ? `${m.groupId}\u0000` : '';
      return {
        messageId: ids[i],
        body: sealed ? '' : m.body,
        bodyCiphertext: sealed ? sealed.ciphertexts[i] : null,
        envelope,
        messageAttributes: encodeAttributes(m.messageAttributes),
        systemAttributes: encodeAttributes(m.messageSystemAttributes),
        md5OfBody: m.md5OfBody,
        md5OfMessageAttributes: m.md5OfMessageAttributes ?? null,
        md5OfSystemAttributes: m.md5OfSystemAttributes ?? null,
        senderId: ctx.senderId,
        sentAt: now,
        visibleAt,
        groupId: m.groupId ?? null,
        deduplicationId: fifo ? (m.deduplicationId ?? null) : null,
        dedup: fifo ? { key: scope + m.deduplicationId, expiresAt: now + sqsLimits.deduplicationWindowMs } : null,
      };
    });
    const outcomes = await this.store.insertMessages(queue.record.id, rows, now);
    this.metrics.message(queue.record.name, 'sent', outcomes.filter((o) => o.kind === 'inserted').length);
    this.waiters.announce(queue.record.id, rows.length);
    if (latestVisibleAt > now) this.waiters.wakeAt(queue.record.id, latestVisibleAt, now);
    return outcomes.map((outcome, i) => {
      const m = messages[i];
      const out: SendMessageOutput = {
        messageId: outcome.kind === 'duplicate' ? outcome.messageId : rows[i].messageId,
        md5OfMessageBody: m.md5OfBody,
      };
      if (m.md5OfMessageAttributes) out.md5OfMessageAttributes = m.md5OfMessageAttributes;
      if (m.md5OfSystemAttributes) out.md5OfMessageSystemAttributes = m.md5OfSystemAttributes;
      if (fifo) out.sequenceNumber = outcome.sequenceNumber;
      return out;
    });
  }

  /** Browses the queue without changing it (the console's view); see peek.ts. */
  peek(ctx: RequestContext, queueUrl: string, max?: number, options?: { bodies?: boolean }): Promise<PeekedMessage[]> {
    const { store, clock, queues, access, encryption } = this;
    return peekMessages({ store, clock, queues, access, encryption }, ctx, queueUrl, max, options);
  }

  async receive(ctx: RequestContext, input: ReceiveMessageInput, signal: { closed: boolean }): Promise<ReceivedMessage[]> {
    let queue = this.queues.resolve(input.queueUrl);
    this.access.check(ctx, 'ReceiveMessage', queue);
    const max = input.maxNumberOfMessages ?? 1;
    if (!Number.isInteger(max) || max < sqsLimits.maxNumberOfMessages.min || max > sqsLimits.maxNumberOfMessages.max) {
      throw sqsErrors.invalidValue(max, 'MaxNumberOfMessages', 'Must be between 1 and 10, if provided.');
    }
    const wait = input.waitTimeSeconds;
    if (wait !== undefined && (!Number.isInteger(wait) || wait < 0 || wait > sqsLimits.receiveMessageWaitTimeSeconds.max)) {
      throw sqsErrors.invalidValue(wait, 'WaitTimeSeconds', 'Must be >= 0 and <= 20, if provided.');
    }
    const visibility = input.visibilityTimeout;
    if (
      visibility !== undefined &&
      (!Number.isInteger(visibility) || visibility < 0 || visibility > sqsLimits.visibilityTimeout.max)
    ) {
      throw sqsErrors.invalidValue(visibility, 'VisibilityTimeout', 'Must be >= 0 and <= 43200, if provided.');
    }
    const systemNames = [...(input.messageSystemAttributeNames ?? []), ...(input.attributeNames ?? [])];
    for (const name of systemNames) {
      if (!SYSTEM_ATTRIBUTE_NAMES.has(name)) throw sqsErrors.invalidAttributeName(name);
    }
    const view: MessageView = {
      systemNames: new Set(systemNames),
      attributeFilter: attributeFilter(input.messageAttributeNames),
      fifo: queue.record.fifo,
      queueId: queue.record.id,
      receivedAt: 0,
    };

    // FIFO ReceiveRequestAttemptId: a retry within 5 minutes gets the same messages and handles
    // (and hides them for another visibility timeout), as long as none of them was touched since.
    const attemptId = queue.record.fifo ? input.receiveRequestAttemptId : undefined;
    if (attemptId !== undefined) {
      checkAttemptId(attemptId);
      const replayed = await this.replayAttempt(ctx, queue, attemptId, visibility, view);
      if (replayed) return replayed;
    }

    const waitSeconds = wait ?? queue.settings.receiveWaitSeconds;
    const deadline = Date.now() + waitSeconds * 1000;
    for (;;) {
      const version = this.waiters.version(queue.record.id);
      const scannedAt = this.clock.now();
      const messages = await this.receiveOnce(ctx, queue, max, visibility, view, scannedAt, attemptId);
      if (messages.length > 0) {
        // Others may be waiting for what this receive left behind.
        if (messages.length === max) this.waiters.notify(queue.record.id, 1);
        return messages;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0 || signal.closed) return [];
      // Ask from the instant the scan looked, not from now: a message that became visible in
      // between (a timer can fire a little early) must still arm a wake-up, else it waits out the poll.
      const next = await this.store.nextVisibleAt(queue.record.id, scannedAt);
      const waiting = this.waiters.wait(queue.record.id, remaining, version);
      if (next !== undefined) this.waiters.wakeAt(queue.record.id, next, this.clock.now());
      const woken = await waiting;
      const current = this.queues.byStorageId(queue.record.id);
      if (!current) return [];
      queue = current;
      if (!woken && deadline - Date.now() <= 0) {
        return this.receiveOnce(ctx, queue, max, visibility, view, this.clock.now(), attemptId);
      }
    }
  }

  private async receiveOnce(
    ctx: RequestContext,
    queue: Queue,
    max: number,
    visibilitySeconds: number | undefined,
    view: MessageView,
    now: number,
    attemptId: string | undefined,
  ): Promise<ReceivedMessage[]> {
    const visibleUntil = now + (visibilitySeconds ?? queue.settings.visibilityTimeoutSeconds) * 1000;
    const redrive = queue.settings.redrive;
    const target = redrive ? this.queues.byArn(redrive.deadLetterTargetArn) : undefined;
    const result = await this.store.receiveMessages(queue.record.id, {
      now,
      maxMessages: max,
      visibleUntil,
      expiredAtOrBefore: now - queue.settings.messageRetentionSeconds * 1000,
      fifo: queue.record.fifo,
      fifoScanLimit: sqsLimits.fifoScanLimit,
      redrive:
        redrive && target
          ? { maxReceiveCount: redrive.maxReceiveCount, targetQueueId: target.record.id, sourceArn: queue.arn }
          : null,
      attempt: attemptId === undefined ? undefined : { id: attemptId, expiresAt: now + sqsLimits.receiveRequestAttemptWindowMs },
    });
    view.receivedAt = now;
    this.metrics.message(queue.record.name, 'received', result.messages.length);
    this.metrics.message(queue.record.name, 'moved_to_dlq', result.movedToDeadLetter);
    if (result.movedToDeadLetter > 0 && target) this.waiters.announce(target.record.id, result.movedToDeadLetter);
    if (result.messages.length > 0 && this.waiters.hasWaiters(queue.record.id)) {
      this.waiters.wakeAt(queue.record.id, visibleUntil, now);
    }
    const bodies = await this.openBodies(ctx, queue, result.messages, now);
    return result.messages.map((m, i) => render(m, view, bodies[i]));
  }

  /** The plaintext bodies of received messages (unsealing the encrypted ones as the requester). */
  private async openBodies(ctx: RequestContext, queue: Queue, messages: StoredMessage[], now: number): Promise<string[]> {
    try {
      const learning = this.encryption.learnKeyVersions(ctx, messages);
      if (learning) await learning;
      return messages.map((m) =>
        m.envelope ? this.encryption.open(ctx, queue, m.envelope, m.messageId, m.bodyCiphertext!) : m.body,
      );
    } catch (error) {
      // KMS refused this requester: the messages go back at once rather than stay hidden.
      await Promise.all(messages.map((m) => this.store.changeVisibility(queue.record.id, m.seq, m.receiptToken!, now, now)));
      throw error;
    }
  }

  private async replayAttempt(
    ctx: RequestContext,
    queue: Queue,
    attemptId: string,
    visibilitySeconds: number | undefined,
    view: MessageView,
  ): Promise<ReceivedMessage[] | undefined> {
    const now = this.clock.now();
    const visibleUntil = now + (visibilitySeconds ?? queue.settings.visibilityTimeoutSeconds) * 1000;
    const replay = await this.store.replayReceiveAttempt(queue.record.id, attemptId, now, visibleUntil);
    if (!replay) return undefined;
    view.receivedAt = replay.receivedAt;
    const bodies = await this.openBodies(ctx, queue, replay.messages, now);
    return replay.messages.map((m, i) => render(m, view, bodies[i]));
  }

  async delete(ctx: RequestContext, queueUrl: string, receiptHandle: string): Promise<void> {
    const queue = this.queues.resolve(queueUrl);
    this.access.check(ctx, 'DeleteMessage', queue);
    const handle = this.handleFor(queue, receiptHandle);
    const fifo = queue.record.fifo;
    const outcome = await this.store.deleteMessage(queue.record.id, handle.seq, handle.token, fifo ? this.clock.now() : null);
    if (outcome === 'deleted') this.metrics.message(queue.record.name, 'deleted');
    // FIFO: the delete frees the message's group, so the next message of that group is available.
    if (fifo && outcome === 'deleted') this.waiters.announce(queue.record.id, 1);
    deleteResult(outcome, fifo, receiptHandle);
  }

  /**
   * DeleteMessageBatch: entries with unusable handles fail on their own; the rest are deleted
   * in one storage call. Resolves to one Error-or-undefined per entry.
   */
  async deleteMany(queueUrl: string, receiptHandles: string[]): Promise<Array<unknown>> {
    const queue = this.queues.resolve(queueUrl);
    const fifo = queue.record.fifo;
    const results: unknown[] = new Array(receiptHandles.length);
    const receipts: Array<{ seq: number; receiptToken: number; index: number }> = [];
    receiptHandles.forEach((text, index) => {
      try {
        const handle = this.handleFor(queue, text);
        receipts.push({ seq: handle.seq, receiptToken: handle.token, index });
      } catch (error) {
        results[index] = error;
      }
    });
    const outcomes = receipts.length
      ? await this.store.deleteMessages(queue.record.id, receipts, fifo ? this.clock.now() : null)
      : [];
    if (fifo && outcomes.includes('deleted')) this.waiters.announce(queue.record.id);
    outcomes.forEach((outcome, i) => {
      const { index } = receipts[i];
      if (outcome === 'deleted') this.metrics.message(queue.record.name, 'deleted');
      try {
        deleteResult(outcome, fifo, receiptHandles[index]);
      } catch (error) {
        results[index] = error;
      }
    });
    return results;
  }

  private handleFor(queue: Queue, receiptHandle: string) {
    if (receiptHandle === undefined) throw sqsErrors.missingParameter('ReceiptHandle');
    const handle = decodeReceiptHandle(receiptHandle);
    if (handle.queueId !== queue.record.id) throw sqsErrors.receiptHandleIsInvalid(receiptHandle);
    return handle;
  }

  /** `ctx` null: the caller (a batch) has already been authorized. */
  async changeVisibility(
    ctx: RequestContext | null,
    queueUrl: string,
    receiptHandle: string,
    visibilityTimeout: number,
  ): Promise<void> {
    const queue = this.queues.resolve(queueUrl);
    if (ctx) this.access.check(ctx, 'ChangeMessageVisibility', queue);
    if (receiptHandle === undefined) throw sqsErrors.missingParameter('ReceiptHandle');
    if (visibilityTimeout === undefined) throw sqsErrors.missingParameter('VisibilityTimeout');
    const handle = decodeReceiptHandle(receiptHandle);
    if (handle.queueId !== queue.record.id) throw sqsErrors.receiptHandleIsInvalid(receiptHandle);
    if (!Number.isInteger(visibilityTimeout) || visibilityTimeout < 0 || visibilityTimeout > sqsLimits.visibilityTimeout.max) {
      throw sqsErrors.invalidValue(visibilityTimeout, 'VisibilityTimeout', 'Must be >= 0 and <= 43200, if provided.');
    }
    const now = this.clock.now();
    const visibleAt = now + visibilityTimeout * 1000;
    if (visibleAt - handle.receivedAt > sqsLimits.maxInFlightMs) {
      throw sqsErrors.invalidValue(
        visibilityTimeout,
        'VisibilityTimeout',
        'Total VisibilityTimeout for the message is beyond the limit [43200 seconds]',
      );
    }
    const outcome = await this.store.changeVisibility(queue.record.id, handle.seq, handle.token, visibleAt, now);
    if (outcome === 'missing' || outcome === 'stale-receipt') {
      throw sqsErrors.notAvailableForVisibilityChange(receiptHandle);
    }
    if (visibilityTimeout === 0) this.waiters.announce(queue.record.id, 1);
    else this.waiters.wakeAt(queue.record.id, visibleAt, now);
  }

  async purge(queue: Queue): Promise<void> {
    const now = this.clock.now();
    await this.store.purgeMessages(queue.record.id, now);
  }
}

/** AWS: a stale handle deletes nothing yet succeeds on standard queues; FIFO says it expired. */
function deleteResult(outcome: DeleteOutcome, fifo: boolean, receiptHandle: string): void {
  if (outcome === 'stale-receipt' && fifo) throw sqsErrors.receiptHandleExpired(receiptHandle);
}

/** What a receive asked to see of each message. */
interface MessageView {
  systemNames: Set<string>;
  attributeFilter: ((name: string) => boolean) | null;
  fifo: boolean;
  queueId: number;
  receivedAt: number;
}

function render(m: StoredMessage, view: MessageView, body: string): ReceivedMessage {
  const out: ReceivedMessage = {
    messageId: m.messageId,
    receiptHandle: encodeReceiptHandle({
      queueId: view.queueId,
      seq: m.seq,
      token: m.receiptToken!,
      receivedAt: view.receivedAt,
    }),
    md5OfBody: m.md5OfBody,
    body,
  };
  if (view.systemNames.size > 0) out.attributes = systemAttributes(m, view);
  if (view.attributeFilter && m.messageAttributes) {
    const all = decodeAttributes(m.messageAttributes)!;
    const chosen: MessageAttributes = {};
    let count = 0;
    let total = 0;
    for (const name of Object.keys(all)) {
      total++;
      if (view.attributeFilter(name)) {
        chosen[name] = all[name];
        count++;
      }
    }
    if (count > 0) {
      out.messageAttributes = chosen;
      out.md5OfMessageAttributes = count === total && m.md5OfMessageAttributes ? m.md5OfMessageAttributes : md5OfAttributes(chosen);
    }
  }
  return out;
}

function systemAttributes(m: StoredMessage, view: MessageView): Record<string, string> {
  const all = view.systemNames.has('All');
  const want = (name: string) => all || view.systemNames.has(name);
  const out: Record<string, string> = {};
  if (want('SenderId')) out.SenderId = m.senderId;
  if (want('SentTimestamp')) out.SentTimestamp = String(m.sentAt);
  if (want('ApproximateReceiveCount')) out.ApproximateReceiveCount = String(m.receiveCount);
  if (want('ApproximateFirstReceiveTimestamp')) out.ApproximateFirstReceiveTimestamp = String(m.firstReceivedAt);
  if (m.systemAttributes && want('AWSTraceHeader')) {
    const trace = decodeAttributes(m.systemAttributes)?.AWSTraceHeader?.stringValue;
    if (trace !== undefined) out.AWSTraceHeader = trace;
  }
  if (m.groupId !== null && want('MessageGroupId')) out.MessageGroupId = m.groupId;
  if (view.fifo) {
    if (want('MessageDeduplicationId') && m.deduplicationId !== null) out.MessageDeduplicationId = m.deduplicationId;
    if (want('SequenceNumber') && m.sequenceNumber !== null) out.SequenceNumber = m.sequenceNumber;
  }
  if (m.deadLetterSourceArn && want('DeadLetterQueueSourceArn')) out.DeadLetterQueueSourceArn = m.deadLetterSourceArn;
  return out;
}

/** MessageAttributeNames: `All`, `.*`, exact names, or prefixes written `prefix.*`. */
function attributeFilter(names: string[] | undefined): ((name: string) => boolean) | null {
  if (!names || names.length === 0) return null;
  if (names.includes('All') || names.includes('.*')) return () => true;
  const exact = new Set(names.filter((n) => !n.endsWith('.*')));
  const prefixes = names.filter((n) => n.endsWith('.*')).map((n) => n.slice(0, -1));
  return (name) => exact.has(name) || prefixes.some((p) => name.startsWith(p));
}

function checkAttemptId(id: string): void {
  if (id.length === 0 || id.length > 128 || !/^[A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]+$/.test(id)) {
    throw sqsErrors.invalidValue(
      id,
      'ReceiveRequestAttemptId',
      'ReceiveRequestAttemptId can only include alphanumeric and punctuation characters. 1 to 128 in length.',
    );
  }
}

export interface BatchFailure {
  id: string;
  senderFault: boolean;
  code: string;
  message: string;
}

export function batchFailure(id: string, error: unknown): BatchFailure {
  if (error instanceof AwsError) {
    return { id, senderFault: error.spec.fault === 'Sender', code: error.spec.queryCode, message: error.message };
  }
  throw error;
}

const BATCH_ID = /^[A-Za-z0-9_-]{1,80}$/;

/** The checks every batch action makes before looking at any entry. */
export function checkBatchEntries(entries: Array<{ id: string }> | undefined, entryName: string): void {
  if (!entries || entries.length === 0) throw sqsErrors.emptyBatchRequest(entryName);
  if (entries.length > sqsLimits.batchEntries) throw sqsErrors.tooManyEntriesInBatchRequest(entries.length);
  const seen = new Set<string>();
  for (const entry of entries) {
    if (typeof entry.id !== 'string' || !BATCH_ID.test(entry.id)) throw sqsErrors.invalidBatchEntryId();
    if (seen.has(entry.id)) throw sqsErrors.batchEntryIdsNotDistinct(entry.id);
    seen.add(entry.id);
  }
}

function isFifoRequirement(error: AwsError): boolean {
  return (
    error.message.includes('MessageGroupId') ||
    error.message.includes('ContentBasedDeduplication enabled or MessageDeduplicationId')
  );
}
