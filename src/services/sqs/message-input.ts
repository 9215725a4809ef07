import { createHash } from 'node:crypto';
import { AwsError } from '../../shared/aws-error.js';
import { sqsErrors } from './errors.js';
import { sqsLimits } from './limits.js';
import { md5Hex, md5OfAttributes } from './md5.js';
import type { MessageAttributes, SendMessageInput } from './types.js';

/** Characters SQS accepts in a body or string attribute (XML 1.0 chars). */
// eslint-disable-next-line no-control-regex
const INVALID_CHARS = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]+$/;
const DATA_TYPE = /^(String|Number|Binary)(\.[^\s]+)?$/;
const DEDUP_OR_GROUP_ID = /^[A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]+$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export interface ValidatedMessage {
  body: string;
  delaySeconds: number | undefined;
  messageAttributes: MessageAttributes | undefined;
  messageSystemAttributes: MessageAttributes | undefined;
  md5OfBody: string;
  md5OfMessageAttributes: string | undefined;
  md5OfSystemAttributes: string | undefined;
  groupId: string | undefined;
  deduplicationId: string | undefined;
  /** Bytes that count against MaximumMessageSize: body plus every part of every attribute. */
  size: number;
}

export interface QueueShape {
  fifo: boolean;
  maximumMessageSize: number;
  contentBasedDeduplication: boolean;
}

/**
 * Checks one message against SQS's rules for the target queue. `batch` selects the batch form of
 * the FIFO errors (AWS fails the whole batch request for those).
 */
export function validateMessage(input: Omit<SendMessageInput, 'queueUrl'>, queue: QueueShape): ValidatedMessage {
  const body = input.messageBody;
  if (typeof body !== 'string' || body.length === 0) throw sqsErrors.missingParameter('MessageBody');
  if (INVALID_CHARS.test(body)) throw invalidCharacters();

  if (input.delaySeconds !== undefined) {
    const d = input.delaySeconds;
    if (!Number.isInteger(d) || d < sqsLimits.delaySeconds.min || d > sqsLimits.delaySeconds.max) {
      throw sqsErrors.invalidValue(d, 'DelaySeconds', 'Must be >= 0 and <= 900, if provided.');
    }
    if (queue.fifo && d !== 0) {
      throw sqsErrors.invalidValue(d, 'DelaySeconds', 'The request include parameter that is not valid for this queue type.');
    }
  }

  const attributes = nonEmpty(input.messageAttributes);
  const systemAttributes = nonEmpty(input.messageSystemAttributes);
  let size = Buffer.byteLength(body, 'utf8');
  if (attributes) size += checkAttributes(attributes, 'user');
  if (systemAttributes) checkSystemAttributes(systemAttributes);
  if (size > queue.maximumMessageSize) {
    throw sqsErrors.invalidParameterValue(
      `One or more parameters are invalid. Reason: Message must be shorter than ${queue.maximumMessageSize} bytes.`,
    );
  }

  let groupId = input.messageGroupId;
  let deduplicationId = input.messageDeduplicationId;
  if (groupId !== undefined) checkId(groupId, 'MessageGroupId', sqsLimits.groupIdMaxLength);
  if (deduplicationId !== undefined) {
    checkId(deduplicationId, 'MessageDeduplicationId', sqsLimits.deduplicationIdMaxLength);
    if (!queue.fifo) {
      throw sqsErrors.invalidValue(
        deduplicationId,
        'MessageDeduplicationId',
        'The request includes a parameter that is not valid for this queue type.',
      );
    }
  }
  if (queue.fifo) {
    if (groupId === undefined) throw sqsErrors.missingParameter('MessageGroupId');
    if (deduplicationId === undefined) {
      if (!queue.contentBasedDeduplication) {
        throw sqsErrors.invalidParameterValue(
          'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
        );
      }
      // AWS: content-based deduplication hashes the body only, with SHA-256.
      deduplicationId = createHash('sha256').update(body, 'utf8').digest('hex');
    }
  }
  if (groupId === '') groupId = undefined;

  return {
    body,
    delaySeconds: input.delaySeconds,
    messageAttributes: attributes,
    messageSystemAttributes: systemAttributes,
    md5OfBody: md5Hex(body),
    md5OfMessageAttributes: attributes && md5OfAttributes(attributes),
    md5OfSystemAttributes: systemAttributes && md5OfAttributes(systemAttributes),
    groupId,
    deduplicationId,
    size,
  };
}

const invalidCharacters = (): AwsError =>
  sqsErrors.invalidMessageContents(
    'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF',
  );

const nonEmpty = (a: MessageAttributes | undefined): MessageAttributes | undefined =>
  a && Object.keys(a).length > 0 ? a : undefined;

function checkId(value: string, parameter: string, maxLength: number): void {
  if (value.length > maxLength || (value.length > 0 && !DEDUP_OR_GROUP_ID.test(value)) || value.length === 0) {
    throw sqsErrors.invalidValue(
      value,
      parameter,
      `${parameter} can only include alphanumeric and punctuation characters. 1 to ${maxLength} in length.`,
    );
  }
}

/** Validates message attributes and returns the bytes they count toward the size limit. */
export function checkAttributes(attributes: MessageAttributes, kind: 'user' | 'system'): number {
  const names = Object.keys(attributes);
  if (names.length > sqsLimits.messageAttributes) {
    throw sqsErrors.invalidParameterValue(
      `Number of message attributes [${names.length}] exceeds the allowed maximum [${sqsLimits.messageAttributes}].`,
    );
  }
  let size = 0;
  for (const name of names) {
    const attr = attributes[name];
    checkAttributeName(name, kind);
    if (!attr || typeof attr.dataType !== 'string' || attr.dataType === '') {
      throw sqsErrors.invalidParameterValue(`The message ${kind === 'user' ? '(user) ' : 'system '}attribute '${name}' must contain a non-empty message attribute type.`);
    }
    const type = attr.dataType;
    if (!DATA_TYPE.test(type) || type.length > sqsLimits.messageAttributeTypeMaxLength) {
      throw sqsErrors.invalidParameterValue(
        `The type of message (${kind}) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`,
      );
    }
    size += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(type, 'utf8');
    if (type.startsWith('Binary')) {
      if (!attr.binaryValue || attr.binaryValue.length === 0 || attr.stringValue !== undefined) {
        throw sqsErrors.invalidParameterValue(
          `Message (${kind}) attribute '${name}' must contain a non-empty value of type 'Binary'.`,
        );
      }
      size += attr.binaryValue.length;
    } else {
      const value = attr.stringValue;
      const base = type.startsWith('Number') ? 'Number' : 'String';
      if (value === undefined || value === '' || attr.binaryValue !== undefined) {
        throw sqsErrors.invalidParameterValue(
          `Message (${kind}) attribute '${name}' must contain a non-empty value of type '${base}'.`,
        );
      }
      if (INVALID_CHARS.test(value)) throw invalidCharacters();
      if (base === 'Number' && !isSqsNumber(value)) {
        throw sqsErrors.invalidParameterValue(
          `Value ${value} for parameter MessageAttributeValue is invalid. Reason: Can't parse the number value.`,
        );
      }
      size += Buffer.byteLength(value, 'utf8');
    }
  }
  return size;
}

function checkAttributeName(name: string, kind: 'user' | 'system'): void {
  const lower = name.toLowerCase();
  const reserved = kind === 'user' && (lower.startsWith('aws.') || lower.startsWith('amazon.'));
  if (
    name.length === 0 ||
    name.length > sqsLimits.messageAttributeNameMaxLength ||
    !ATTRIBUTE_NAME.test(name) ||
    name.startsWith('.') ||
    name.endsWith('.') ||
    name.includes('..') ||
    reserved
  ) {
    throw sqsErrors.invalidParameterValue(
      `Message (${kind}) attribute name '${name}' is invalid. Names can contain alphanumeric characters, hyphens (-), underscores (_) and periods (.), must not start or end with a period, must not contain consecutive periods, and must not start with 'AWS.' or 'Amazon.'.`,
    );
  }
}

function checkSystemAttributes(attributes: MessageAttributes): void {
  for (const name of Object.keys(attributes)) {
    if (name !== 'AWSTraceHeader') {
      throw sqsErrors.invalidParameterValue(`Message system attribute name '${name}' is invalid.`);
    }
    if (attributes[name].dataType !== 'String') {
      throw sqsErrors.invalidParameterValue(`Message system attribute '${name}' must be of type 'String'.`);
    }
  }
  checkAttributes(attributes, 'system');
}

/** AWS: a Number holds up to 38 significant digits, from 10^-128 to 10^+126. */
function isSqsNumber(text: string): boolean {
  const trimmed = text.trim();
  if (!NUMBER.test(trimmed)) return false;
  const digits = trimmed.replace(/[eE].*$/, '').replace(/[^0-9]/g, '').replace(/^0+/, '').replace(/0+$/, '');
  if (digits.length > 38) return false;
  const value = Number(trimmed);
  if (value === 0) return true;
  const exponent = Math.floor(Math.log10(Math.abs(value)));
  return Number.isFinite(value) && exponent >= -128 && exponent <= 126;
}

/** Serialises attributes for storage: binary values as base64. */
export function encodeAttributes(attributes: MessageAttributes | undefined): string | null {
  if (!attributes) return null;
  const out: Record<string, { t: string; s?: string; b?: string }> = {};
  for (const [name, a] of Object.entries(attributes)) {
    out[name] = a.binaryValue !== undefined ? { t: a.dataType, b: a.binaryValue.toString('base64') } : { t: a.dataType, s: a.stringValue };
  }
  return JSON.stringify(out);
}

export function decodeAttributes(stored: string | null): MessageAttributes | undefined {
  if (!stored) return undefined;
  const parsed = JSON.parse(stored) as Record<string, { t: string; s?: string; b?: string }>;
  const out: MessageAttributes = {};
  for (const [name, a] of Object.entries(parsed)) {
    out[name] = a.b !== undefined ? { dataType: a.t, binaryValue: Buffer.from(a.b, 'base64') } : { dataType: a.t, stringValue: a.s };
  }
  return out;
}
