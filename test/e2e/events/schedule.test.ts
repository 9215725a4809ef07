/**
 * Scheduled rules on a ManualClock: the scheduler looks at the clock once a second of real time,
 * so each test advances the clock and then waits about 1.5 s for it to notice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/shared/clock.js';
import { startTestServer, type TestServer } from '../../support/sealq.js';
import { ACCOUNT, REGION, Eb, clientsFor, errorOf, eventsQueue, poll, uniqueName, type Clients } from './helpers.js';

// Whole minute plus 30 s, so cron fields are easy to reason about; near real time for SigV4.
const clock = new ManualClock(Math.floor(Date.now() / 60_000) * 60_000 + 30_000);
let server: TestServer;
let c: Clients;

beforeAll(async () => {
  server = await startTestServer({}, { clock });
  c = clientsFor(server);
});
afterAll(async () => {
  await server.stop();
});

const schedulerTick = () => new Promise((resolve) => setTimeout(resolve, 1500));

async function scheduledRule(expression: string, state?: 'DISABLED'): Promise<{ name: string; arn: string; url: string }> {
  const q = await eventsQueue(c);
  const name = uniqueName('every');
  const { RuleArn } = await c.eb.send(new Eb.PutRuleCommand({ Name: name, ScheduleExpression: expression, State: state }));
  await c.eb.send(new Eb.PutTargetsCommand({ Rule: name, Targets: [{ Id: 'q', Arn: q.arn }] }));
  return { name, arn: RuleArn!, url: q.url };
}

describe('scheduled rules', () => {
  it('fires rate(1 minute) once the clock passes a minute, with a Scheduled Event from aws.events', async () => {
    const rule = await scheduledRule('rate(1 minute)');
    const described = await c.eb.send(new Eb.DescribeRuleCommand({ Name: rule.name }));
    expect(described).toMatchObject({ ScheduleExpression: 'rate(1 minute)', State: 'ENABLED' });

    await schedulerTick();
    expect(await poll(c, rule.url, 0, 500), 'nothing before a minute has passed').toEqual([]);

    clock.advance(61_000);
    await schedulerTick();
    const [m] = await poll(c, rule.url, 1, 3000);
    expect(m, 'fired').toBeDefined();
    const event = JSON.parse(m.Body!);
    expect(event).toMatchObject({
      version: '0',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: ACCOUNT,
      region: REGION,
      resources: [rule.arn],
      detail: {},
    });
    expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(event.time)).toBeGreaterThanOrEqual(clock.now() - 61_000);
    expect(m.Attributes?.SenderId).toBe('events.amazonaws.com');

    // It fired once for that minute, not once per scheduler tick.
    await schedulerTick();
    expect(await poll(c, rule.url, 0, 500)).toEqual([]);
    await c.eb.send(new Eb.DisableRuleCommand({ Name: rule.name }));
  });

  it('does not fire a disabled scheduled rule', async () => {
    const rule = await scheduledRule('rate(1 minute)', 'DISABLED');
    clock.advance(61_000);
    await schedulerTick();
    expect(await poll(c, rule.url, 0, 500)).toEqual([]);
  });

  it('fires a cron() schedule at its minute', async () => {
    // The clock sits at hh:mm:30 plus whole minutes; the next minute divisible by 5 is up to 5 minutes away.
    const rule = await scheduledRule('cron(0/5 * * * ? *)');
    const now = new Date(clock.now());
    const untilFire = ((5 - (now.getUTCMinutes() % 5)) * 60 - now.getUTCSeconds()) * 1000;
    clock.advance(untilFire - 10_000);
    await schedulerTick();
    expect(await poll(c, rule.url, 0, 500), 'not before its minute').toEqual([]);
    clock.advance(11_000);
    await schedulerTick();
    const [m] = await poll(c, rule.url, 1, 3000);
    expect(m, 'fired').toBeDefined();
    expect(JSON.parse(m.Body!)).toMatchObject({ 'detail-type': 'Scheduled Event', source: 'aws.events', resources: [rule.arn] });
    await c.eb.send(new Eb.DisableRuleCommand({ Name: rule.name }));
  });

  it('refuses invalid schedules and schedules on a custom bus', async () => {
    for (const bad of ['rate(0 minutes)', 'rate(5 minute)', 'cron(* * *)', 'cron(61 * * * ? *)', 'every minute']) {
      const error = await errorOf(c.eb.send(new Eb.PutRuleCommand({ Name: uniqueName('bad'), ScheduleExpression: bad })));
      expect(error.code, bad).toBe('ValidationException');
    }
    const bus = uniqueName('bus');
    await c.eb.send(new Eb.CreateEventBusCommand({ Name: bus }));
    const error = await errorOf(c.eb.send(new Eb.PutRuleCommand({ Name: uniqueName('bad'), ScheduleExpression: 'rate(1 minute)', EventBusName: bus })));
    expect(error.code).toBe('ValidationException');
  });
});
