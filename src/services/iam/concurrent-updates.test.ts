import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../shared/clock.js';
import { SqliteStore } from '../../storage/sqlite/sqlite-store.js';
import { rootPrincipal, IdentityDirectory } from './identity-directory.js';
import { IamService } from './iam-service.js';

/**
 * Two nodes on one database, neither told of the other's writes (a cluster whose change feed
 * lags): a change made through one node to part of a user, group or policy must survive a change
 * to another part made through the other, which had not yet seen it. Above all, a node that has
 * not seen a permission being taken away must not give it back.
 */

const ACCOUNT = '000000000000';
const ctx = { principal: rootPrincipal(ACCOUNT) };
const clock = new ManualClock(1_700_000_000_000);
const document = (action: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] });

let store: SqliteStore;

beforeEach(() => {
  store = new SqliteStore({ dataDir: ':memory:' });
});

afterEach(async () => {
  await store.close();
});

async function node(): Promise<{ dir: IdentityDirectory; iam: IamService }> {
  const dir = new IdentityDirectory(store.identity(), clock);
  await dir.load();
  return { dir, iam: new IamService(dir) };
}

/** What a node starting now reads. */
async function fresh() {
  return (await node()).iam;
}

describe('IAM documents changed through two nodes', () => {
  it('a policy detached through one node stays detached when a stale node attaches another', async () => {
    const a = await node();
    await a.iam.createUser(ctx, { userName: 'app' });
    const admin = (await a.iam.createPolicy(ctx, { policyName: 'admin', policyDocument: document('*') })).policy.arn;
    const read = (await a.iam.createPolicy(ctx, { policyName: 'read', policyDocument: document('sqs:Receive*') })).policy.arn;
    await a.iam.attachUserPolicy(ctx, { userName: 'app', policyArn: admin });
    const b = await node(); // b has admin attached
    await a.iam.detachUserPolicy(ctx, { userName: 'app', policyArn: admin });
    await b.iam.attachUserPolicy(ctx, { userName: 'app', policyArn: read });
    const attached = (await (await fresh()).listAttachedUserPolicies(ctx, { userName: 'app' })).attachedPolicies.map((p) => p.policyName);
    expect(attached).toEqual(['read']);
    // b holds what is stored now, too.
    expect((await b.iam.listAttachedUserPolicies(ctx, { userName: 'app' })).attachedPolicies.map((p) => p.policyArn)).toEqual([read]);
  });

  it('an inline policy deleted through one node stays deleted when a stale node puts another', async () => {
    const a = await node();
    await a.iam.createUser(ctx, { userName: 'app' });
    await a.iam.putUserPolicy(ctx, { userName: 'app', policyName: 'everything', policyDocument: document('*') });
    const b = await node();
    await a.iam.deleteUserPolicy(ctx, { userName: 'app', policyName: 'everything' });
    await b.iam.putUserPolicy(ctx, { userName: 'app', policyName: 'receive', policyDocument: document('sqs:ReceiveMessage') });
    expect((await (await fresh()).listUserPolicies(ctx, { userName: 'app' })).policyNames).toEqual(['receive']);
  });

  it('a user removed from a group through one node stays out when a stale node adds another', async () => {
    const a = await node();
    await a.iam.createUser(ctx, { userName: 'alice' });
    await a.iam.createUser(ctx, { userName: 'bob' });
    await a.iam.createGroup(ctx, { groupName: 'admins' });
    await a.iam.addUserToGroup(ctx, { groupName: 'admins', userName: 'alice' });
    const b = await node();
    await a.iam.removeUserFromGroup(ctx, { groupName: 'admins', userName: 'alice' });
    await b.iam.addUserToGroup(ctx, { groupName: 'admins', userName: 'bob' });
    expect((await (await fresh()).getGroup(ctx, { groupName: 'admins' })).users.map((u) => u.userName)).toEqual(['bob']);
  });

  it('policy versions made through two nodes at once get different numbers and are all kept', async () => {
    const a = await node();
    const arn = (await a.iam.createPolicy(ctx, { policyName: 'p', policyDocument: document('sqs:SendMessage') })).policy.arn;
    const b = await node();
    const [fromA, fromB] = await Promise.all([
      a.iam.createPolicyVersion(ctx, { policyArn: arn, policyDocument: document('sqs:ReceiveMessage') }),
      b.iam.createPolicyVersion(ctx, { policyArn: arn, policyDocument: document('sqs:DeleteMessage') }),
    ]);
    expect([fromA.policyVersion.versionId, fromB.policyVersion.versionId].sort()).toEqual(['v2', 'v3']);
    const stored = (await store.identity().getEntity('policy', arn))!.value as { versions: Array<{ versionId: string }> };
    expect(stored.versions.map((v) => v.versionId)).toEqual(['v1', 'v2', 'v3']);
  });
});
