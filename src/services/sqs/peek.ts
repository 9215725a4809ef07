import { AwsError } from '../../shared/aws-error.js';
import type { Clock } from '../../shared/clock.js';
import type { SqsStore, StoredMessage } from '../../storage/ports.js';
import type { QueueAccess } from './access.js';
import { sqsErrors } from './errors.js';
import { decodeAttributes } from './message-input.js';
import type { Queue, QueueDirectory } from './queues.js';
import { decodeEnvelope, type MessageEncryption } from './sse.js';
import type { RequestContext } from './types.js';

/** The most messages one peek returns. */
export const PEEK_MAX = 100;

/** A message as the console's browse shows it; its body only when asked for and the caller may read it. */
export interface PeekedMessage {
  messageId: string;
  sentTimestamp: number;
  state: 'visible' | 'in-flight' | 'delayed';
  approximateReceiveCount: number;
  messageGroupId?: string;
  messageDeduplicationId?: string;
  sequenceNumber?: string;
  messageAttributes?: Record<string, { dataType: string; stringValue?: string; binaryValue?: string }>;
  /** `sqs-owned` (SSE-SQS), a KMS key ARN (SSE-KMS), or absent (not encrypted). */
  encryptedWith?: string;
  body?: string;
  /** Why the body is not shown: the caller lacks kms:Decrypt on the key (through SQS). */
  denied?: { keyArn: string; permission: 'kms:Decrypt'; reason: string };
  /** Why the body could not be opened for another KMS reason (key disabled, pending deletion...). */
  unavailable?: { keyArn: string; code: string; reason: string };
}

export interface PeekDependencies {
  store: SqsStore;
  clock: Clock;
  queues: QueueDirectory;
  access: QueueAccess;
  encryption: MessageEncryption;
}

/**
 * Browses a queue without touching it: no visibility change, no receive count, no receipt. The
 * caller needs sqs:ReceiveMessage on the queue, authorized as a receive is; an encrypted body is
 * opened exactly as a receive opens it (SSE-KMS: kms:Decrypt as the caller, via SQS, under the
 * queue's encryption context), and a refusal is reported per message rather than failing the peek.
 */
export async function peekMessages(
  deps: PeekDependencies,
  ctx: RequestContext,
  queueUrl: string,
  max = 10,
  options: { bodies?: boolean } = {},
): Promise<PeekedMessage[]> {
  const queue = deps.queues.resolve(queueUrl);
  deps.access.check(ctx, 'ReceiveMessage', queue);
  if (!Number.isInteger(max) || max < 1 || max > PEEK_MAX) {
    throw sqsErrors.invalidParameterValue(`max must be an integer between 1 and ${PEEK_MAX}.`);
  }
  const now = deps.clock.now();
  const expiredAtOrBefore = now - queue.settings.messageRetentionSeconds * 1000;
  const stored = (await deps.store.peekMessages(queue.record.id, max)).filter((m) => m.sentAt > expiredAtOrBefore);
  return stored.map((m) => peeked(deps, ctx, queue, m, now, options.bodies ?? true));
}

function peeked(deps: PeekDependencies, ctx: RequestContext, queue: Queue, m: StoredMessage, now: number, withBody: boolean): PeekedMessage {
  const out: PeekedMessage = {
    messageId: m.messageId,
    sentTimestamp: m.sentAt,
    state: m.visibleAt <= now ? 'visible' : m.receiveCount > 0 ? 'in-flight' : 'delayed',
    approximateReceiveCount: m.receiveCount,
  };
  if (m.groupId !== null) out.messageGroupId = m.groupId;
  if (m.deduplicationId !== null) out.messageDeduplicationId = m.deduplicationId;
  if (queue.record.fifo && m.sequenceNumber !== null) out.sequenceNumber = m.sequenceNumber;
  const attributes = decodeAttributes(m.messageAttributes);
  if (attributes) {
    out.messageAttributes = {};
    for (const [name, a] of Object.entries(attributes)) {
      out.messageAttributes[name] =
        a.binaryValue !== undefined ? { dataType: a.dataType, binaryValue: a.binaryValue.toString('base64') } : { dataType: a.dataType, stringValue: a.stringValue };
    }
  }
  if (!m.envelope) {
    if (withBody) out.body = m.body;
    return out;
  }
  const keyArn = decodeEnvelope(m.envelope).keyArn;
  out.encryptedWith = keyArn;
  // Without bodies (the queue list's oldest-message age), nothing is decrypted and KMS is not asked.
  if (!withBody) return out;
  try {
    out.body = deps.encryption.open(ctx, queue, m.envelope, m.messageId, m.bodyCiphertext!);
  } catch (error) {
    if (!(error instanceof AwsError) || !error.spec.queryCode.startsWith('KMS.')) throw error;
    if (error.spec.queryCode === 'KMS.AccessDeniedException') out.denied = { keyArn, permission: 'kms:Decrypt', reason: error.message };
    else out.unavailable = { keyArn, code: error.spec.queryCode, reason: error.message };
  }
  return out;
}
