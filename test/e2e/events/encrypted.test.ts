/**
 * Scenario 6 of the event-sources issue: an EventBridge rule with a content pattern delivers
 * matching events (and only those) into an SSE-KMS queue whose key policy allows
 * events.amazonaws.com kms:GenerateDataKey and kms:Decrypt for the rule's ARN; with the key
 * policy missing that statement the event lands, not retried, in the target's dead-letter queue.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/sealq.js';
import {
  Eb,
  Sqs,
  clientsFor,
  deliveryRecord,
  eventsKeyStatement,
  eventsQueue,
  eventsQueuePolicy,
  keyWith,
  poll,
  putEvent,
  uniqueName,
  type Clients,
} from './helpers.js';

let server: TestServer;
let c: Clients;

beforeAll(async () => {
  server = await startTestServer();
  c = clientsFor(server);
});
afterAll(async () => {
  await server.stop();
});

/** A rule (created first, so key and queue policies can name its ARN) with a content pattern. */
async function patternRule(source: string): Promise<{ name: string; arn: string }> {
  const name = uniqueName('enc');
  const pattern = { source: [source], detail: { severity: [{ numeric: ['>=', 5] }], region: [{ prefix: 'eu-' }] } };
  const { RuleArn } = await c.eb.send(new Eb.PutRuleCommand({ Name: name, EventPattern: JSON.stringify(pattern) }));
  return { name, arn: RuleArn! };
}

const alert = (source: string, detail: Record<string, unknown>): Eb.PutEventsRequestEntry => ({
  Source: source,
  DetailType: 'Alert',
  Detail: JSON.stringify(detail),
});

async function messageCount(url: string): Promise<string | undefined> {
  const { Attributes } = await c.sqs.send(
    new Sqs.GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return Attributes?.ApproximateNumberOfMessages;
}

describe('scenario 6: EventBridge rule → SSE-KMS queue', () => {
  it('delivers matching events (and only those) when the key policy allows events.amazonaws.com for the rule', async () => {
    const source = uniqueName('monitor');
    const rule = await patternRule(source);
    const key = await keyWith(c, eventsKeyStatement({ ArnEquals: { 'aws:SourceArn': rule.arn } }));
    const name = uniqueName('enc-q');
    const arn = `arn:aws:sqs:us-east-1:000000000000:${name}`;
    const { QueueUrl } = await c.sqs.send(
      new Sqs.CreateQueueCommand({ QueueName: name, Attributes: { KmsMasterKeyId: key, Policy: eventsQueuePolicy(arn, rule.arn) } }),
    );
    await c.eb.send(new Eb.PutTargetsCommand({ Rule: rule.name, Targets: [{ Id: 'enc', Arn: arn }] }));

    await putEvent(c, alert(source, { n: 1, severity: 7, region: 'eu-west-1' }));
    await putEvent(c, alert(source, { n: 2, severity: 2, region: 'eu-west-1' }));
    await putEvent(c, alert(source, { n: 3, severity: 9, region: 'us-east-1' }));
    await putEvent(c, alert(source, { n: 4, severity: 5, region: 'eu-central-1' }));

    const got = await poll(c, QueueUrl!, 2);
    expect(got.map((m) => JSON.parse(m.Body!).detail.n).sort()).toEqual([1, 4]);
    expect(got.every((m) => m.Attributes?.SenderId === 'events.amazonaws.com')).toBe(true);
    expect(await poll(c, QueueUrl!, 0, 1000), 'no other event arrives').toEqual([]);

    const first = await deliveryRecord(server, rule.arn, 0);
    const second = await deliveryRecord(server, rule.arn, 1);
    expect([first?.outcome, second?.outcome]).toEqual(['delivered', 'delivered']);
    expect(server.sealq.eventsCore.deliveries.filter((r) => r.ruleArn === rule.arn)).toHaveLength(2);

    const { Attributes } = await c.sqs.send(new Sqs.GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['KmsMasterKeyId'] }));
    expect(Attributes?.KmsMasterKeyId).toBe(key);
  });

  it('sends the event to the target\'s dead-letter queue with KMS.AccessDeniedException when the key policy lacks events.amazonaws.com', async () => {
    const source = uniqueName('monitor');
    const rule = await patternRule(source);
    const key = await keyWith(c); // only the account's admin statement
    const target = await eventsQueue(c, { KmsMasterKeyId: key }, 'enc-q');
    const dlq = await eventsQueue(c, {}, 'enc-dlq');
    const put = await c.eb.send(
      new Eb.PutTargetsCommand({
        Rule: rule.name,
        Targets: [{ Id: 'enc', Arn: target.arn, DeadLetterConfig: { Arn: dlq.arn }, RetryPolicy: { MaximumRetryAttempts: 2 } }],
      }),
    );
    expect(put.FailedEntryCount).toBe(0);

    const eventId = await putEvent(c, alert(source, { n: 1, severity: 8, region: 'eu-north-1' }));

    const [dead] = await poll(c, dlq.url);
    expect(dead, 'dead-lettered').toBeDefined();
    const event = JSON.parse(dead.Body!);
    expect(event).toMatchObject({ id: eventId, source, 'detail-type': 'Alert', detail: { n: 1, severity: 8 } });
    const attributes = dead.MessageAttributes ?? {};
    expect(attributes.ERROR_CODE?.StringValue).toBe('KMS.AccessDeniedException');
    expect(attributes.RULE_ARN?.StringValue).toBe(rule.arn);
    expect(attributes.TARGET_ARN?.StringValue).toBe(target.arn);
    expect(attributes.ERROR_MESSAGE?.StringValue).toBeTruthy();

    const record = await deliveryRecord(server, rule.arn);
    expect(record).toMatchObject({ ruleArn: rule.arn, targetArn: target.arn, outcome: 'dead-lettered', errorCode: 'KMS.AccessDeniedException' });
    // Permission errors are not retried: one record, and nothing ever reached the encrypted queue.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(server.sealq.eventsCore.deliveries.filter((r) => r.ruleArn === rule.arn)).toHaveLength(1);
    expect(await messageCount(target.url)).toBe('0');
  });

  it('records the delivery as failed when there is no dead-letter queue', async () => {
    const source = uniqueName('monitor');
    const rule = await patternRule(source);
    const target = await eventsQueue(c, { KmsMasterKeyId: await keyWith(c) }, 'enc-q');
    await c.eb.send(new Eb.PutTargetsCommand({ Rule: rule.name, Targets: [{ Id: 'enc', Arn: target.arn }] }));
    await putEvent(c, alert(source, { severity: 6, region: 'eu-south-1' }));
    const record = await deliveryRecord(server, rule.arn);
    expect(record).toMatchObject({ outcome: 'failed', errorCode: 'KMS.AccessDeniedException' });
    expect(await messageCount(target.url)).toBe('0');
  });

  it('refuses the delivery when the queue policy does not admit events.amazonaws.com', async () => {
    const source = uniqueName('monitor');
    const rule = await patternRule(source);
    const key = await keyWith(c, eventsKeyStatement({ ArnEquals: { 'aws:SourceArn': rule.arn } }));
    const name = uniqueName('closed-q');
    const arn = `arn:aws:sqs:us-east-1:000000000000:${name}`;
    const { QueueUrl } = await c.sqs.send(new Sqs.CreateQueueCommand({ QueueName: name, Attributes: { KmsMasterKeyId: key } }));
    const dlq = await eventsQueue(c, {}, 'enc-dlq');
    await c.eb.send(new Eb.PutTargetsCommand({ Rule: rule.name, Targets: [{ Id: 'enc', Arn: arn, DeadLetterConfig: { Arn: dlq.arn } }] }));
    await putEvent(c, alert(source, { severity: 6, region: 'eu-west-3' }));

    const [dead] = await poll(c, dlq.url);
    expect(dead, 'dead-lettered').toBeDefined();
    expect(dead.MessageAttributes?.ERROR_CODE?.StringValue).toMatch(/AccessDenied/);
    expect(await messageCount(QueueUrl!)).toBe('0');
  });
});
