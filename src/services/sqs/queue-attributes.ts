import { PolicyError, parsePolicy } from '../../policy/index.js';
import { parseArn } from '../../shared/arn.js';
import { sqsErrors } from './errors.js';
import { defaultQueueAttributes, sqsLimits } from './limits.js';

/** Attributes a client may set, and on which kind of queue. */
const settable = new Set([
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'Policy',
  'ReceiveMessageWaitTimeSeconds',
  'VisibilityTimeout',
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
  'SqsManagedSseEnabled',
]);
const fifoOnly = new Set(['FifoQueue', 'ContentBasedDeduplication', 'DeduplicationScope', 'FifoThroughputLimit']);

const integerRanges: Record<string, { min: number; max: number }> = {
  DelaySeconds: sqsLimits.delaySeconds,
  MaximumMessageSize: sqsLimits.maximumMessageSize,
  MessageRetentionPeriod: sqsLimits.messageRetentionPeriod,
  ReceiveMessageWaitTimeSeconds: sqsLimits.receiveMessageWaitTimeSeconds,
  VisibilityTimeout: sqsLimits.visibilityTimeout,
  KmsDataKeyReusePeriodSeconds: sqsLimits.kmsDataKeyReusePeriodSeconds,
};

const booleans = new Set(['SqsManagedSseEnabled', 'ContentBasedDeduplication', 'FifoQueue']);

/** Typed view of a queue's settable attributes, derived once per change. */
export interface QueueSettings {
  delaySeconds: number;
  maximumMessageSize: number;
  messageRetentionSeconds: number;
  receiveWaitSeconds: number;
  visibilityTimeoutSeconds: number;
  contentBasedDeduplication: boolean;
  deduplicationScope: 'queue' | 'messageGroup';
  redrive: { deadLetterTargetArn: string; maxReceiveCount: number } | null;
  redriveAllow: { redrivePermission: 'allowAll' | 'denyAll' | 'byQueue'; sourceQueueArns: string[] } | null;
}

export function settingsOf(attributes: Record<string, string>): QueueSettings {
  const int = (name: keyof typeof defaultQueueAttributes) => Number(attributes[name] ?? defaultQueueAttributes[name]);
  return {
    delaySeconds: int('DelaySeconds'),
    maximumMessageSize: int('MaximumMessageSize'),
    messageRetentionSeconds: int('MessageRetentionPeriod'),
    receiveWaitSeconds: int('ReceiveMessageWaitTimeSeconds'),
    visibilityTimeoutSeconds: int('VisibilityTimeout'),
    contentBasedDeduplication: attributes.ContentBasedDeduplication === 'true',
    deduplicationScope: attributes.DeduplicationScope === 'messageGroup' ? 'messageGroup' : 'queue',
    redrive: attributes.RedrivePolicy ? JSON.parse(attributes.RedrivePolicy) : null,
    redriveAllow: attributes.RedriveAllowPolicy ? JSON.parse(attributes.RedriveAllowPolicy) : null,
  };
}

export interface AttributeCheckContext {
  fifo: boolean;
  /** The ARN of the queue being created or changed (judged by a dead-letter queue's RedriveAllowPolicy). */
  sourceArn: string;
  /** Resolves a dead-letter target ARN to whether it exists, is FIFO, and whom it lets use it. */
  deadLetterTarget: (arn: string) => { exists: boolean; fifo: boolean; redriveAllow: QueueSettings['redriveAllow'] };
  creating: boolean;
}

/**
 * Validates attributes from CreateQueue or SetQueueAttributes and returns them normalised as SQS
 * echoes them back. Throws the AWS error for the first bad one.
 */
export function validateQueueAttributes(
  input: Record<string, string>,
  context: AttributeCheckContext,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(input)) {
    if (typeof raw !== 'string') throw sqsErrors.invalidAttributeValue(name);
    if (fifoOnly.has(name)) {
      if (!context.fifo) {
        // AWS: CreateQueue accepts an explicit FifoQueue=false for a standard queue.
        if (name === 'FifoQueue' && context.creating && raw.toLowerCase() === 'false') continue;
        throw sqsErrors.invalidAttributeName(name);
      }
      if (name === 'FifoQueue') {
        if (raw !== 'true')
          throw sqsErrors.invalidAttributeValue('FifoQueue', 'Modifying queue type is not supported.');
        if (!context.creating) throw sqsErrors.invalidAttributeValue('FifoQueue', 'Modifying queue type is not supported.');
        out.FifoQueue = 'true';
        continue;
      }
    } else if (!settable.has(name)) {
      throw sqsErrors.invalidAttributeName(name);
    }
    out[name] = normalise(name, raw, context);
  }
  const kms = out.KmsMasterKeyId ?? input.KmsMasterKeyId;
  if (kms && out.SqsManagedSseEnabled === 'true') {
    throw sqsErrors.conflictingAttributes(
      'You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE.',
    );
  }
  if (out.FifoThroughputLimit === 'perMessageGroupId' && (out.DeduplicationScope ?? input.DeduplicationScope) === 'queue') {
    throw sqsErrors.invalidAttributeValue(
      'FifoThroughputLimit',
      'The perMessageGroupId value is allowed only when the value for DeduplicationScope is messageGroup.',
    );
  }
  return out;
}

function normalise(name: string, raw: string, context: AttributeCheckContext): string {
  const range = integerRanges[name];
  if (range) {
    if (!/^-?\d+$/.test(raw.trim())) throw sqsErrors.invalidAttributeValue(name);
    const value = Number(raw.trim());
    if (value < range.min || value > range.max) throw sqsErrors.invalidAttributeValue(name);
    return String(value);
  }
  if (booleans.has(name)) {
    const lower = raw.toLowerCase();
    if (lower !== 'true' && lower !== 'false') throw sqsErrors.invalidAttributeValue(name);
    return lower;
  }
  switch (name) {
    case 'DeduplicationScope':
      if (raw !== 'queue' && raw !== 'messageGroup') throw sqsErrors.invalidAttributeValue(name);
      return raw;
    case 'FifoThroughputLimit':
      if (raw !== 'perQueue' && raw !== 'perMessageGroupId') throw sqsErrors.invalidAttributeValue(name);
      return raw;
    case 'Policy':
      return raw === '' ? '' : validatePolicy(raw);
    case 'RedrivePolicy':
      return raw === '' ? '' : validateRedrivePolicy(raw, context);
    case 'RedriveAllowPolicy':
      return raw === '' ? '' : validateRedriveAllowPolicy(raw);
    case 'KmsMasterKeyId':
      return raw;
    default:
      return raw;
  }
}

function parseJsonObject(raw: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(raw);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function validatePolicy(raw: string): string {
  if (Buffer.byteLength(raw) > sqsLimits.policyMaxBytes) {
    throw sqsErrors.invalidAttributeValue('Policy', `Policy must be at most ${sqsLimits.policyMaxBytes} bytes.`);
  }
  try {
    // An empty statement list is what RemovePermission leaves; SQS then drops the attribute.
    parsePolicy(raw, { kind: 'resource' });
  } catch (error) {
    if (error instanceof PolicyError) throw sqsErrors.invalidAttributeValue('Policy', error.message);
    throw error;
  }
  return raw;
}

function validateRedrivePolicy(raw: string, context: AttributeCheckContext): string {
  const invalid = (reason: string) => sqsErrors.invalidValue(raw, 'RedrivePolicy', reason);
  const policy = parseJsonObject(raw);
  if (!policy) throw invalid('Redrive policy is not a valid JSON map.');
  const target = policy.deadLetterTargetArn;
  const arn = typeof target === 'string' ? parseArn(target) : undefined;
  if (!arn || arn.service !== 'sqs') throw invalid('Invalid value for deadLetterTargetArn.');
  const count = typeof policy.maxReceiveCount === 'string' ? Number(policy.maxReceiveCount) : policy.maxReceiveCount;
  if (policy.maxReceiveCount === undefined) throw invalid('Redrive policy does not contain mandatory attribute: maxReceiveCount.');
  if (typeof count !== 'number' || !Number.isInteger(count) || count < sqsLimits.maxReceiveCount.min || count > sqsLimits.maxReceiveCount.max) {
    throw invalid(`Invalid value for maxReceiveCount: ${String(policy.maxReceiveCount)}, valid values are from 1 to 1000 both inclusive.`);
  }
  const found = context.deadLetterTarget(target as string);
  if (!found.exists) throw sqsErrors.invalidParameterValue('Value ' + raw + ' for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.');
  if (found.fifo !== context.fifo) {
    throw invalid(
      context.fifo
        ? 'Dead-letter queue of a FIFO queue must be a FIFO queue.'
        : 'Dead-letter queue of a standard queue must be a standard queue.',
    );
  }
  // AWS: the dead-letter queue's RedriveAllowPolicy says which source queues may name it.
  const allow = found.redriveAllow;
  if (
    allow &&
    (allow.redrivePermission === 'denyAll' ||
      (allow.redrivePermission === 'byQueue' && !allow.sourceQueueArns.includes(context.sourceArn)))
  ) {
    throw invalid(`The RedriveAllowPolicy of ${target as string} does not allow ${context.sourceArn} to use it as a dead-letter queue.`);
  }
  return JSON.stringify({ deadLetterTargetArn: target, maxReceiveCount: count });
}

function validateRedriveAllowPolicy(raw: string): string {
  const invalid = (reason: string) => sqsErrors.invalidValue(raw, 'RedriveAllowPolicy', reason);
  const policy = parseJsonObject(raw);
  if (!policy) throw invalid('Redrive allow policy is not a valid JSON map.');
  const permission = policy.redrivePermission;
  if (permission !== 'allowAll' && permission !== 'denyAll' && permission !== 'byQueue') {
    throw invalid('Invalid value for redrivePermission. Valid values are allowAll, denyAll and byQueue.');
  }
  const arns = policy.sourceQueueArns;
  if (permission === 'byQueue') {
    if (!Array.isArray(arns) || arns.length === 0 || arns.length > sqsLimits.redriveAllowPolicySourceQueues) {
      throw invalid('sourceQueueArns must list 1 to 10 queue ARNs when redrivePermission is byQueue.');
    }
    if (!arns.every((a) => typeof a === 'string' && parseArn(a)?.service === 'sqs')) {
      throw invalid('sourceQueueArns must contain SQS queue ARNs.');
    }
    return JSON.stringify({ redrivePermission: permission, sourceQueueArns: arns });
  }
  if (arns !== undefined) throw invalid('sourceQueueArns is allowed only when redrivePermission is byQueue.');
  return JSON.stringify({ redrivePermission: permission });
}

/** The stored attributes of a new queue: defaults, then what the client set. */
export function initialAttributes(fifo: boolean, set: Record<string, string>): Record<string, string> {
  const attributes: Record<string, string> = { ...defaultQueueAttributes };
  // AWS: new queues are encrypted with SQS-owned keys (SSE-SQS) unless a KMS key is named.
  attributes.SqsManagedSseEnabled = set.KmsMasterKeyId ? 'false' : 'true';
  if (fifo) {
    Object.assign(attributes, {
      FifoQueue: 'true',
      ContentBasedDeduplication: 'false',
      DeduplicationScope: 'queue',
      FifoThroughputLimit: 'perQueue',
    });
  }
  if (set.KmsMasterKeyId) attributes.KmsDataKeyReusePeriodSeconds = '300';
  return withoutEmpty({ ...attributes, ...set });
}

/** Applies a SetQueueAttributes change to stored attributes. */
export function mergeAttributes(current: Record<string, string>, set: Record<string, string>): Record<string, string> {
  const next = { ...current, ...set };
  if (set.KmsMasterKeyId) {
    next.SqsManagedSseEnabled = 'false';
    next.KmsDataKeyReusePeriodSeconds ??= '300';
  }
  if (set.SqsManagedSseEnabled === 'true' || set.KmsMasterKeyId === '') {
    delete next.KmsMasterKeyId;
    delete next.KmsDataKeyReusePeriodSeconds;
  }
  return withoutEmpty(next);
}

function withoutEmpty(attributes: Record<string, string>): Record<string, string> {
  for (const [k, v] of Object.entries(attributes)) if (v === '') delete attributes[k];
  return attributes;
}

/** Names GetQueueAttributes understands; 'All' selects every one that has a value. */
export const readableAttributeNames = new Set([
  ...settable,
  ...fifoOnly,
  'All',
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'QueueArn',
]);
