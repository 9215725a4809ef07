import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig, type Config } from '../../config/config.js';
import { ManualClock } from '../../shared/clock.js';
import { SqliteStore } from '../../storage/sqlite/sqlite-store.js';
import { rootPrincipal } from '../iam/identity-directory.js';
import { startIdentity } from '../identity.js';
import type { SqsService } from '../sqs/sqs-service.js';
import { SnsService } from './sns-service.js';

/**
 * Two nodes on one database, neither told of the other's writes: a topic policy tightened through
 * one node must survive another node, which had not seen it, changing another part of the topic.
 */

const ACCOUNT = '000000000000';
const ctx = { principal: rootPrincipal(ACCOUNT), secure: true, baseUrl: 'http://localhost' };
const clock = new ManualClock(1_700_000_000_000);

let store: SqliteStore;
let config: Config;

beforeEach(() => {
  store = new SqliteStore({ dataDir: ':memory:' });
  config = { ...defaultConfig, dataDir: ':memory:', rootKey: randomBytes(32).toString('base64') };
});

afterEach(async () => {
  await store.close();
});

async function node(): Promise<SnsService> {
  const identity = await startIdentity(config, store.identity(), clock);
  const sns = new SnsService(
    store.identity(),
    () => undefined as unknown as SqsService, // nothing is published here
    identity.authorizer,
    () => Promise.reject(new Error('no signing in this test')),
    clock,
    'us-east-1',
  );
  await sns.load();
  return sns;
}

const stored = async (arn: string) => (await store.identity().getEntity('sns-topic', arn))!.value as { attributes: Record<string, string>; tags: Array<{ key: string }> };

describe('SNS topics changed through two nodes', () => {
  it('a stale node tagging a topic or renaming it does not bring back its old policy', async () => {
    const a = await node();
    const { topicArn } = await a.createTopic(ctx, { name: 'orders' });
    const b = await node(); // b knows the default policy
    const stricter = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sns:Publish', Resource: topicArn }],
    });
    await a.setTopicAttributes(ctx, { topicArn, attributeName: 'Policy', attributeValue: stricter });
    await b.tagResource(ctx, { resourceArn: topicArn, tags: [{ key: 'team', value: 'b' }] });
    await b.setTopicAttributes(ctx, { topicArn, attributeName: 'DisplayName', attributeValue: 'Orders' });
    const after = await stored(topicArn);
    expect(after.attributes.Policy).toBe(stricter);
    expect(after.attributes.DisplayName).toBe('Orders');
    expect(after.tags.map((t) => t.key)).toEqual(['team']);
    expect(((await b.getTopicAttributes(ctx, { topicArn })).attributes as Record<string, string>).Policy).toBe(stricter);
  });
});
