/**
 * Shared pieces of the EventBridge suite: an EventBridge client (AWS JSON 1.1,
 * @aws-sdk/client-eventbridge), SQS and KMS clients, queues whose policy admits
 * events.amazonaws.com, keys with or without an events statement, a bounded poll of a queue
 * (deliveries are asynchronous) and a bounded wait for the service's delivery records.
 */
import * as Eb from '@aws-sdk/client-eventbridge';
import * as Kms from '@aws-sdk/client-kms';
import * as Sqs from '@aws-sdk/client-sqs';
import type { EventDeliveryRecord } from '../../../src/services/events/events-service.js';
import { errorOf, testCredentials, uniqueName, type TestServer } from '../../support/sealq.js';

export { poll } from '../../support/sealq.js';

export { Eb, Sqs, Kms, errorOf, uniqueName };

export const ACCOUNT = '000000000000';
export const REGION = 'us-east-1';
const ROOT_ARN = `arn:aws:iam::${ACCOUNT}:root`;

export interface Clients {
  eb: Eb.EventBridgeClient;
  sqs: Sqs.SQSClient;
  kms: Kms.KMSClient;
}

export function clientsFor(server: TestServer): Clients {
  const common = { endpoint: server.url, region: REGION, credentials: testCredentials, maxAttempts: 1 };
  return { eb: new Eb.EventBridgeClient(common), sqs: new Sqs.SQSClient(common), kms: new Kms.KMSClient(common) };
}

/** A queue policy admitting events.amazonaws.com (for `sourceArn` when given). */
export function eventsQueuePolicy(queueArn: string, sourceArn?: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        ...(sourceArn ? { Condition: { ArnEquals: { 'aws:SourceArn': sourceArn } } } : {}),
      },
    ],
  });
}

/** A queue (SSE-SQS unless `attributes` say otherwise) whose policy admits events.amazonaws.com. */
export async function eventsQueue(c: Clients, attributes: Record<string, string> = {}, prefix = 'eq'): Promise<{ url: string; arn: string }> {
  const name = uniqueName(prefix) + (attributes.FifoQueue === 'true' ? '.fifo' : '');
  const arn = `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
  const { QueueUrl } = await c.sqs.send(
    new Sqs.CreateQueueCommand({ QueueName: name, Attributes: { Policy: eventsQueuePolicy(arn), ...attributes } }),
  );
  return { url: QueueUrl!, arn };
}

/** The key statement the seed asks for: events.amazonaws.com may GenerateDataKey and Decrypt. */
export const eventsKeyStatement = (condition?: Record<string, unknown>) => ({
  Sid: 'AllowEventBridge',
  Effect: 'Allow',
  Principal: { Service: 'events.amazonaws.com' },
  Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
  Resource: '*',
  ...(condition ? { Condition: condition } : {}),
});

export async function keyWith(c: Clients, serviceStatement?: Record<string, unknown>): Promise<string> {
  const statements: Array<Record<string, unknown>> = [
    { Sid: 'Admin', Effect: 'Allow', Principal: { AWS: ROOT_ARN }, Action: 'kms:*', Resource: '*' },
  ];
  if (serviceStatement) statements.push(serviceStatement);
  const { KeyMetadata } = await c.kms.send(new Kms.CreateKeyCommand({ Policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }) }));
  return KeyMetadata!.Arn!;
}

/** A rule on `bus` (default when omitted) with `pattern`, and one SQS target on it. */
export async function ruleTo(
  c: Clients,
  pattern: Record<string, unknown>,
  target: Omit<Eb.Target, 'Id'> & { Id?: string },
  bus?: string,
): Promise<{ name: string; arn: string }> {
  const name = uniqueName('rule');
  const { RuleArn } = await c.eb.send(new Eb.PutRuleCommand({ Name: name, EventPattern: JSON.stringify(pattern), EventBusName: bus }));
  const put = await c.eb.send(new Eb.PutTargetsCommand({ Rule: name, EventBusName: bus, Targets: [{ Id: 't1', ...target }] }));
  if (put.FailedEntryCount) throw new Error(`PutTargets failed: ${JSON.stringify(put.FailedEntries)}`);
  return { name, arn: RuleArn! };
}

/** PutEvents of one entry; throws when the entry failed. */
export async function putEvent(c: Clients, entry: Eb.PutEventsRequestEntry): Promise<string> {
  const out = await c.eb.send(new Eb.PutEventsCommand({ Entries: [entry] }));
  if (out.FailedEntryCount) throw new Error(`PutEvents failed: ${JSON.stringify(out.Entries)}`);
  return out.Entries![0].EventId!;
}

/** Waits (bounded) for the (`skip`+1)-th delivery record of `ruleArn` on the in-process server. */
export async function deliveryRecord(server: TestServer, ruleArn: string, skip = 0, ms = 5000): Promise<EventDeliveryRecord | undefined> {
  const end = Date.now() + ms;
  for (;;) {
    const record = server.sealq.eventsCore.deliveries.filter((r) => r.ruleArn === ruleArn)[skip];
    if (record || Date.now() > end) return record;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
