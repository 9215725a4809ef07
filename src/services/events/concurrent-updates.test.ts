import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig, type Config } from '../../config/config.js';
import { ManualClock } from '../../shared/clock.js';
import { SqliteStore } from '../../storage/sqlite/sqlite-store.js';
import { rootPrincipal } from '../iam/identity-directory.js';
import { startIdentity } from '../identity.js';
import type { SqsService } from '../sqs/sqs-service.js';
import { EventsService } from './events-service.js';

/**
 * Two nodes on one database, neither told of the other's writes: a target removed or a rule
 * disabled through one node must survive another node, which had not seen it, changing the rule.
 */

const ACCOUNT = '000000000000';
const ctx = { principal: rootPrincipal(ACCOUNT), secure: true };
const clock = new ManualClock(1_700_000_000_000);
const queue = (name: string) => `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}`;

let store: SqliteStore;
let config: Config;

beforeEach(() => {
  store = new SqliteStore({ dataDir: ':memory:' });
  config = { ...defaultConfig, dataDir: ':memory:', rootKey: randomBytes(32).toString('base64') };
});

afterEach(async () => {
  await store.close();
});

async function node(): Promise<EventsService> {
  const identity = await startIdentity(config, store.identity(), clock);
  const events = new EventsService(store.identity(), () => undefined as unknown as SqsService, identity.authorizer, clock, 'us-east-1');
  await events.load();
  return events;
}

const pattern = JSON.stringify({ source: ['app'] });

describe('EventBridge rules changed through two nodes', () => {
  it('a target removed through one node stays removed when a stale node adds another', async () => {
    const a = await node();
    await a.putRule(ctx, { name: 'r', eventPattern: pattern });
    await a.putTargets(ctx, { rule: 'r', targets: [{ id: 'old', arn: queue('old') }] });
    const b = await node();
    await a.removeTargets(ctx, { rule: 'r', ids: ['old'] });
    await b.putTargets(ctx, { rule: 'r', targets: [{ id: 'new', arn: queue('new') }] });
    expect((await (await node()).listTargetsByRule(ctx, { rule: 'r' })).targets.map((t) => t.id)).toEqual(['new']);
  });

  it('a rule disabled through one node stays disabled when a stale node changes its targets or pattern', async () => {
    const a = await node();
    await a.putRule(ctx, { name: 'r', eventPattern: pattern });
    const b = await node();
    await a.disableRule(ctx, { name: 'r' });
    await b.putTargets(ctx, { rule: 'r', targets: [{ id: 't', arn: queue('q') }] });
    expect((await (await node()).describeRule(ctx, { name: 'r' })).state).toBe('DISABLED');
    // PutRule replaces the definition (and its state) but keeps the targets stored, seen or not.
    await a.putRule(ctx, { name: 'r', eventPattern: pattern, state: 'DISABLED', description: 'quiet' });
    const c = await node();
    expect((await c.listTargetsByRule(ctx, { rule: 'r' })).targets.map((t) => t.id)).toEqual(['t']);
    expect(await c.describeRule(ctx, { name: 'r' })).toMatchObject({ state: 'DISABLED', description: 'quiet' });
  });
});
