/**
 * EventBridge control plane through @aws-sdk/client-eventbridge: event buses (the default bus is
 * implicit), rules (EventPattern, states, deletion), targets (SQS only; a FIFO dead-letter queue
 * refused) and TestEventPattern.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/sealq.js';
import { ACCOUNT, REGION, Eb, clientsFor, errorOf, eventsQueue, uniqueName, type Clients } from './helpers.js';

let server: TestServer;
let c: Clients;

const stranger = { id: 'AKIAEVENTSSTRANGER01', secret: 'stranger-secret' };

beforeAll(async () => {
  server = await startTestServer({
    accounts: JSON.stringify([{ id: ACCOUNT, users: [{ name: 'events-stranger', accessKeys: [stranger] }] }]),
  });
  c = clientsFor(server);
});
afterAll(async () => {
  await server.stop();
});

const pattern = JSON.stringify({ source: ['my.app'] });

describe('event buses', () => {
  it('has an implicit default bus', async () => {
    const bus = await c.eb.send(new Eb.DescribeEventBusCommand({}));
    expect(bus.Name).toBe('default');
    expect(bus.Arn).toBe(`arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`);
    const { EventBuses } = await c.eb.send(new Eb.ListEventBusesCommand({}));
    expect(EventBuses?.map((b) => b.Name)).toContain('default');
  });

  it('creates, describes, lists and deletes a custom bus', async () => {
    const name = uniqueName('bus');
    const { EventBusArn } = await c.eb.send(new Eb.CreateEventBusCommand({ Name: name }));
    expect(EventBusArn).toBe(`arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${name}`);
    expect((await errorOf(c.eb.send(new Eb.CreateEventBusCommand({ Name: name })))).code).toBe('ResourceAlreadyExistsException');

    const described = await c.eb.send(new Eb.DescribeEventBusCommand({ Name: name }));
    expect(described).toMatchObject({ Name: name, Arn: EventBusArn });
    expect(described.CreationTime).toBeInstanceOf(Date);
    expect((await c.eb.send(new Eb.DescribeEventBusCommand({ Name: EventBusArn }))).Name).toBe(name);

    const { EventBuses } = await c.eb.send(new Eb.ListEventBusesCommand({ NamePrefix: name }));
    expect(EventBuses?.map((b) => b.Name)).toEqual([name]);

    await c.eb.send(new Eb.DeleteEventBusCommand({ Name: name }));
    expect((await errorOf(c.eb.send(new Eb.DescribeEventBusCommand({ Name: name })))).code).toBe('ResourceNotFoundException');
  });

  it('refuses to delete the default bus', async () => {
    expect((await errorOf(c.eb.send(new Eb.DeleteEventBusCommand({ Name: 'default' })))).code).toBe('ValidationException');
  });

  it('keeps rules per bus: a rule on a custom bus is not listed on the default bus', async () => {
    const bus = uniqueName('bus');
    await c.eb.send(new Eb.CreateEventBusCommand({ Name: bus }));
    const name = uniqueName('rule');
    const { RuleArn } = await c.eb.send(new Eb.PutRuleCommand({ Name: name, EventPattern: pattern, EventBusName: bus }));
    expect(RuleArn).toBe(`arn:aws:events:${REGION}:${ACCOUNT}:rule/${bus}/${name}`);

    const described = await c.eb.send(new Eb.DescribeRuleCommand({ Name: name, EventBusName: bus }));
    expect(described).toMatchObject({ Name: name, Arn: RuleArn, EventBusName: bus, State: 'ENABLED' });
    expect((await c.eb.send(new Eb.ListRulesCommand({ EventBusName: bus }))).Rules?.map((r) => r.Name)).toEqual([name]);
    expect((await c.eb.send(new Eb.ListRulesCommand({ NamePrefix: name }))).Rules).toEqual([]);
    expect((await errorOf(c.eb.send(new Eb.DescribeRuleCommand({ Name: name })))).code).toBe('ResourceNotFoundException');

    // A bus with rules cannot go; once the rule is gone it can.
    expect((await errorOf(c.eb.send(new Eb.DeleteEventBusCommand({ Name: bus })))).code).toBe('ValidationException');
    await c.eb.send(new Eb.DeleteRuleCommand({ Name: name, EventBusName: bus }));
    await c.eb.send(new Eb.DeleteEventBusCommand({ Name: bus }));
  });

  it('refuses rules on a bus that does not exist', async () => {
    const error = await errorOf(c.eb.send(new Eb.PutRuleCommand({ Name: uniqueName('rule'), EventPattern: pattern, EventBusName: 'no-such-bus' })));
    expect(error.code).toBe('ResourceNotFoundException');
  });
});

describe('rules', () => {
  it('puts, describes, lists, disables, enables and deletes a rule', async () => {
    const name = uniqueName('rule');
    const { RuleArn } = await c.eb.send(new Eb.PutRuleCommand({ Name: name, EventPattern: pattern, Description: 'mine' }));
    expect(RuleArn).toBe(`arn:aws:events:${REGION}:${ACCOUNT}:rule/${name}`);
    const described = await c.eb.send(new Eb.DescribeRuleCommand({ Name: name }));
    expect(described).toMatchObject({ Name: name, Arn: RuleArn, EventPattern: pattern, State: 'ENABLED', Description: 'mine', EventBusName: 'default' });

    const { Rules } = await c.eb.send(new Eb.ListRulesCommand({ NamePrefix: name }));
    expect(Rules).toHaveLength(1);
    expect(Rules![0]).toMatchObject({ Name: name, Arn: RuleArn, EventPattern: pattern, State: 'ENABLED' });

    await c.eb.send(new Eb.DisableRuleCommand({ Name: name }));
    expect((await c.eb.send(new Eb.DescribeRuleCommand({ Name: name }))).State).toBe('DISABLED');
    await c.eb.send(new Eb.EnableRuleCommand({ Name: name }));
    expect((await c.eb.send(new Eb.DescribeRuleCommand({ Name: name }))).State).toBe('ENABLED');

    await c.eb.send(new Eb.DeleteRuleCommand({ Name: name }));
    expect((await errorOf(c.eb.send(new Eb.DescribeRuleCommand({ Name: name })))).code).toBe('ResourceNotFoundException');
  });

  it('keeps a rule created DISABLED disabled', async () => {
    const name = uniqueName('rule');
    await c.eb.send(new Eb.PutRuleCommand({ Name: name, EventPattern: pattern, State: 'DISABLED' }));
    expect((await c.eb.send(new Eb.DescribeRuleCommand({ Name: name }))).State).toBe('DISABLED');
  });

  it('rejects an invalid pattern with InvalidEventPatternException', async () => {
    for (const bad of ['not json', JSON.stringify({ source: 'not-an-array' }), JSON.stringify({ detail: { n: [{ numeric: ['>'] }] } })]) {
      const error = await errorOf(c.eb.send(new Eb.PutRuleCommand({ Name: uniqueName('rule'), EventPattern: bad })));
      expect(error.code, bad).toBe('InvalidEventPatternException');
    }
  });

  it('needs an EventPattern or a ScheduleExpression, and a valid schedule', async () => {
    expect((await errorOf(c.eb.send(new Eb.PutRuleCommand({ Name: uniqueName('rule') })))).code).toBe('ValidationException');
    const bad = await errorOf(c.eb.send(new Eb.PutRuleCommand({ Name: uniqueName('rule'), ScheduleExpression: 'rate(1 minutes)' })));
    expect(bad.code).toBe('ValidationException');
  });

  it('refuses to delete a rule that still has targets', async () => {
    const q = await eventsQueue(c);
    const name = uniqueName('rule');
    await c.eb.send(new Eb.PutRuleCommand({ Name: name, EventPattern: pattern }));
    await c.eb.send(new Eb.PutTargetsCommand({ Rule: name, Targets: [{ Id: 'q', Arn: q.arn }] }));
    expect((await errorOf(c.eb.send(new Eb.DeleteRuleCommand({ Name: name })))).code).toBe('ValidationException');
    await c.eb.send(new Eb.RemoveTargetsCommand({ Rule: name, Ids: ['q'] }));
    await c.eb.send(new Eb.DeleteRuleCommand({ Name: name }));
  });
});

describe('targets', () => {
  it('puts, lists and removes SQS targets with their settings', async () => {
    const q = await eventsQueue(c);
    const dlq = await eventsQueue(c, {}, 'dlq');
    const name = uniqueName('rule');
    await c.eb.send(new Eb.PutRuleCommand({ Name: name, EventPattern: pattern }));
    const put = await c.eb.send(
      new Eb.PutTargetsCommand({
        Rule: name,
        Targets: [
          {
            Id: 'a',
            Arn: q.arn,
            InputPath: '$.detail',
            DeadLetterConfig: { Arn: dlq.arn },
            RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 120 },
          },
          { Id: 'b', Arn: q.arn, Input: '{"fixed":true}' },
        ],
      }),
    );
    expect(put.FailedEntryCount).toBe(0);
    const { Targets } = await c.eb.send(new Eb.ListTargetsByRuleCommand({ Rule: name }));
    expect(Targets).toHaveLength(2);
    expect(Targets!.find((t) => t.Id === 'a')).toMatchObject({
      Arn: q.arn,
      InputPath: '$.detail',
      DeadLetterConfig: { Arn: dlq.arn },
      RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 120 },
    });
    expect(Targets!.find((t) => t.Id === 'b')).toMatchObject({ Arn: q.arn, Input: '{"fixed":true}' });

    const removed = await c.eb.send(new Eb.RemoveTargetsCommand({ Rule: name, Ids: ['a'] }));
    expect(removed.FailedEntryCount).toBe(0);
    expect((await c.eb.send(new Eb.ListTargetsByRuleCommand({ Rule: name }))).Targets?.map((t) => t.Id)).toEqual(['b']);
  });

  it('reports a non-SQS target, a FIFO dead-letter queue and a FIFO target without MessageGroupId as failed entries', async () => {
    const q = await eventsQueue(c);
    const fifo = await eventsQueue(c, { FifoQueue: 'true' });
    const name = uniqueName('rule');
    await c.eb.send(new Eb.PutRuleCommand({ Name: name, EventPattern: pattern }));
    const put = await c.eb.send(
      new Eb.PutTargetsCommand({
        Rule: name,
        Targets: [
          { Id: 'lambda', Arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:f` },
          { Id: 'fifo-dlq', Arn: q.arn, DeadLetterConfig: { Arn: fifo.arn } },
          { Id: 'fifo-no-group', Arn: fifo.arn },
          { Id: 'ok', Arn: q.arn },
        ],
      }),
    );
    expect(put.FailedEntryCount).toBe(3);
    expect(put.FailedEntries?.map((e) => e.TargetId).sort()).toEqual(['fifo-dlq', 'fifo-no-group', 'lambda']);
    for (const e of put.FailedEntries ?? []) expect(e.ErrorCode).toBeTruthy();
    expect((await c.eb.send(new Eb.ListTargetsByRuleCommand({ Rule: name }))).Targets?.map((t) => t.Id)).toEqual(['ok']);
  });

  it('refuses targets for a rule that does not exist', async () => {
    const q = await eventsQueue(c);
    const error = await errorOf(c.eb.send(new Eb.PutTargetsCommand({ Rule: uniqueName('nope'), Targets: [{ Id: 'q', Arn: q.arn }] })));
    expect(error.code).toBe('ResourceNotFoundException');
  });
});

describe('TestEventPattern', () => {
  const event = JSON.stringify({
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': 'Order Placed',
    source: 'shop.orders',
    account: ACCOUNT,
    time: '2026-01-01T00:00:00Z',
    region: REGION,
    resources: [],
    detail: { amount: 150, customer: { tier: 'gold-plus' } },
  });

  it('says true for a matching pattern and false for one that does not match', async () => {
    const yes = JSON.stringify({ source: ['shop.orders'], detail: { amount: [{ numeric: ['>', 100] }], customer: { tier: [{ prefix: 'gold' }] } } });
    const no = JSON.stringify({ source: ['shop.orders'], detail: { amount: [{ numeric: ['<', 100] }] } });
    expect((await c.eb.send(new Eb.TestEventPatternCommand({ EventPattern: yes, Event: event }))).Result).toBe(true);
    expect((await c.eb.send(new Eb.TestEventPatternCommand({ EventPattern: no, Event: event }))).Result).toBe(false);
  });

  it('rejects an invalid pattern', async () => {
    const error = await errorOf(c.eb.send(new Eb.TestEventPatternCommand({ EventPattern: '{"source": "x"}', Event: event })));
    expect(error.code).toBe('InvalidEventPatternException');
  });
});

describe('authorization of account-level calls', () => {
  it('refuses ListEventBuses, ListRules and TestEventPattern to a user whose policies do not allow them', async () => {
    const eb = new Eb.EventBridgeClient({
      endpoint: server.url,
      region: REGION,
      credentials: { accessKeyId: stranger.id, secretAccessKey: stranger.secret },
      maxAttempts: 1,
    });
    for (const call of [
      eb.send(new Eb.ListEventBusesCommand({})),
      eb.send(new Eb.ListRulesCommand({})),
      eb.send(new Eb.TestEventPatternCommand({ EventPattern: pattern, Event: '{}' })),
    ]) {
      expect(await errorOf(call)).toMatchObject({ code: 'AccessDeniedException', status: 400 });
    }
  });
});
