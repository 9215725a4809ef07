import type { Principal } from '../iam/entities.js';
import type { MessageAttributeValue } from './md5.js';

/** Who is calling and where: built by the HTTP layer, read by every operation. */
export interface RequestContext {
  requestId: string;
  accountId: string;
  region: string;
  /** `scheme://host` of the request, from which queue URLs are built. */
  baseUrl: string;
  /** SenderId reported on messages this caller sends (account id for the root user). */
  senderId: string;
  /** Who is calling; absent only when the service runs without authorization (unit tests). */
  principal?: Principal;
  /** Whether the request came over TLS (aws:SecureTransport). */
  secure?: boolean;
  sourceIp?: string;
}

export type MessageAttributes = Record<string, MessageAttributeValue>;

export interface SendMessageInput {
  queueUrl: string;
  messageBody: string;
  delaySeconds?: number;
  messageAttributes?: MessageAttributes;
  messageSystemAttributes?: MessageAttributes;
  messageDeduplicationId?: string;
  messageGroupId?: string;
}

export interface SendMessageOutput {
  messageId: string;
  md5OfMessageBody: string;
  md5OfMessageAttributes?: string;
  md5OfMessageSystemAttributes?: string;
  sequenceNumber?: string;
}

export type SendBatchEntry = Omit<SendMessageInput, 'queueUrl'> & { id: string };

export interface BatchError {
  id: string;
  senderFault: boolean;
  code: string;
  message: string;
}

export interface BatchOutput<T> {
  successful: T[];
  failed: BatchError[];
}

export interface ReceiveMessageInput {
  queueUrl: string;
  attributeNames?: string[];
  messageSystemAttributeNames?: string[];
  messageAttributeNames?: string[];
  maxNumberOfMessages?: number;
  visibilityTimeout?: number;
  waitTimeSeconds?: number;
  receiveRequestAttemptId?: string;
}

export interface ReceivedMessage {
  messageId: string;
  receiptHandle: string;
  md5OfBody: string;
  body: string;
  attributes?: Record<string, string>;
  md5OfMessageAttributes?: string;
  messageAttributes?: MessageAttributes;
}

export interface MoveTaskView {
  taskHandle?: string;
  status: string;
  sourceArn: string;
  destinationArn?: string;
  maxNumberOfMessagesPerSecond?: number;
  approximateNumberOfMessagesMoved: number;
  approximateNumberOfMessagesToMove?: number;
  failureReason?: string;
  startedTimestamp: number;
}

/** What the SQS core reports for metrics; a no-op unless the server wires one in. */
export interface SqsMetricsHook {
  message(queue: string, event: 'sent' | 'received' | 'deleted' | 'moved_to_dlq', count?: number): void;
  dataKey(cache: 'encrypt' | 'decrypt', hit: boolean): void;
}

export const noMetrics: SqsMetricsHook = { message: () => undefined, dataKey: () => undefined };
