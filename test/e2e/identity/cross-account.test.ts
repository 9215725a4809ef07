/**
 * Cross-account SQS access: account A (000000000000, the harness's default) owns the queues; account
 * B (111111111111) is declared in the `accounts` config with a root key and users with keys.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { protocols, startTestServer, uniqueName, type TestServer } from '../../support/sealq.js';
import {
  allow,
  assumeRole,
  assumerSts,
  deny,
  errorOf,
  expectAccessDenied,
  Iam,
  iamAs,
  makeQueue,
  policy,
  queuePolicy,
  receive,
  send,
  setQueuePolicy,
  sqsAs,
  stsAs,
  trust,
  whoAmI,
  type Credentials,
} from './helpers.js';

const A = '000000000000';
const B = '111111111111';
const B_ROOT_ARN = `arn:aws:iam::${B}:root`;
const bRoot: Credentials = { accessKeyId: 'AKIABBBBROOT00000001', secretAccessKey: 'account-b-root-secret-000000000000000000' };
const bob: Credentials = { accessKeyId: 'AKIABBBBBOB000000001', secretAccessKey: 'account-b-bob-secret-0000000000000000000' };
const carol: Credentials = { accessKeyId: 'AKIABBBBCAROL0000001', secretAccessKey: 'account-b-carol-secret-00000000000000000' };
const BOB_ARN = `arn:aws:iam::${B}:user/bob`;
const CAROL_ARN = `arn:aws:iam::${B}:user/carol`;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    accounts: JSON.stringify([
      {
        id: B,
        rootAccessKeyId: bRoot.accessKeyId,
        rootSecretAccessKey: bRoot.secretAccessKey,
        users: [
          { name: 'bob', accessKeys: [{ id: bob.accessKeyId, secret: bob.secretAccessKey }] },
          { name: 'carol', accessKeys: [{ id: carol.accessKeyId, secret: carol.secretAccessKey }] },
        ],
      },
    ]),
  });
});
afterAll(async () => {
  await server.stop();
});

/** Sets (or clears, with undefined) bob's identity policy, as account B's root. */
async function bobMayDo(document: string | undefined) {
  const iam = iamAs(server.url, bRoot);
  if (document) await iam.send(new Iam.PutUserPolicyCommand({ UserName: 'bob', PolicyName: 'identity', PolicyDocument: document }));
  else await iam.send(new Iam.DeleteUserPolicyCommand({ UserName: 'bob', PolicyName: 'identity' })).catch(() => undefined);
}

describe('account B is separate', () => {
  it('has its own root, users and IAM namespace', async () => {
    expect(await whoAmI(server.url, bRoot)).toEqual({ Account: B, Arn: B_ROOT_ARN, UserId: B });
    expect(await whoAmI(server.url, bob)).toMatchObject({ Account: B, Arn: BOB_ARN });
    const bUsers = await iamAs(server.url, bRoot).send(new Iam.ListUsersCommand({}));
    expect(bUsers.Users!.map((u) => u.UserName).sort()).toEqual(['bob', 'carol']);
    const aUsers = await iamAs(server.url).send(new Iam.ListUsersCommand({}));
    expect(aUsers.Users!.map((u) => u.Arn)).not.toContain(BOB_ARN);
  });
});

describe.each(protocols)('cross-account SQS over $name', ({ sdk }) => {
  const ownerSqs = () => sqsAs(sdk, server.url);
  const as = (c: Credentials) => sqsAs(sdk, server.url, c);
  const queue = () => makeQueue(sdk, ownerSqs(), uniqueName('x'));

  it('denies B\'s user when only the queue policy allows (both sides must allow)', async () => {
    await bobMayDo(undefined);
    const q = await queue();
    await setQueuePolicy(sdk, ownerSqs(), q.url, queuePolicy(BOB_ARN, 'sqs:SendMessage', q.arn));
    const error = await errorOf(send(sdk, as(bob), q.url));
    expectAccessDenied(error, BOB_ARN, 'SendMessage', q.arn);
    expect(error.message).toContain('because no identity-based policy allows the sqs:SendMessage action');
  });

  it('denies B\'s user when only B\'s identity policy allows', async () => {
    await bobMayDo(policy(allow('sqs:*')));
    const q = await queue();
    const error = await errorOf(send(sdk, as(bob), q.url));
    expectAccessDenied(error, BOB_ARN, 'SendMessage', q.arn);
    expect(error.message).toContain('because no resource-based policy allows the sqs:SendMessage action');
  });

  it('allows B\'s user when the queue policy names the user and the identity policy allows', async () => {
    await bobMayDo(policy(allow(['sqs:SendMessage', 'sqs:ReceiveMessage'], `arn:aws:sqs:us-east-1:${A}:*`)));
    const q = await queue();
    await setQueuePolicy(sdk, ownerSqs(), q.url, queuePolicy(BOB_ARN, ['sqs:SendMessage', 'sqs:ReceiveMessage'], q.arn));
    await send(sdk, as(bob), q.url, 'from B');
    // The owner sees who sent it: B's user, by its unique id.
    const { Messages: seen } = await ownerSqs().send(
      new sdk.ReceiveMessageCommand({ QueueUrl: q.url, VisibilityTimeout: 0, AttributeNames: ['SenderId'] as never, MessageSystemAttributeNames: ['SenderId'] }),
    );
    expect(seen![0].Attributes!.SenderId).toBe(server.sealq.identity.directory.principalFor(bob.accessKeyId)!.userId);
    const { Messages } = await receive(sdk, as(bob), q.url);
    expect(Messages!.map((m) => m.Body)).toEqual(['from B']);
  });

  it('allows B\'s user through a queue policy naming only account B, when B\'s identity policy allows', async () => {
    await bobMayDo(policy(allow('sqs:SendMessage')));
    const q = await queue();
    await setQueuePolicy(sdk, ownerSqs(), q.url, queuePolicy(B_ROOT_ARN, 'sqs:SendMessage', q.arn));
    await send(sdk, as(bob), q.url);
    await send(sdk, as(bRoot), q.url);
    // carol has no identity policy: naming her account does not grant her anything by itself.
    expectAccessDenied(await errorOf(send(sdk, as(carol), q.url)), CAROL_ARN, 'SendMessage', q.arn);
  });

  it('lets an explicit Deny in B\'s identity policy override both allows', async () => {
    await bobMayDo(policy(allow('sqs:*'), deny('sqs:SendMessage')));
    const q = await queue();
    await setQueuePolicy(sdk, ownerSqs(), q.url, queuePolicy(BOB_ARN, 'sqs:*', q.arn));
    const error = await errorOf(send(sdk, as(bob), q.url));
    expectAccessDenied(error, BOB_ARN, 'SendMessage', q.arn);
    expect(error.message).toContain('explicit deny');
    await receive(sdk, as(bob), q.url);
  });

  it('ignores cross-account grants for owner-only actions, whatever the queue policy says', async () => {
    await bobMayDo(policy(allow('sqs:*')));
    const q = await queue();
    await setQueuePolicy(sdk, ownerSqs(), q.url, queuePolicy([B_ROOT_ARN, BOB_ARN], 'sqs:*', q.arn));
    await send(sdk, as(bob), q.url);
    const attempts: Array<[string, (c: Credentials) => Promise<unknown>]> = [
      ['SetQueueAttributes', (c) => as(c).send(new sdk.SetQueueAttributesCommand({ QueueUrl: q.url, Attributes: { DelaySeconds: '5' } }))],
      ['TagQueue', (c) => as(c).send(new sdk.TagQueueCommand({ QueueUrl: q.url, Tags: { owner: 'b' } }))],
      ['UntagQueue', (c) => as(c).send(new sdk.UntagQueueCommand({ QueueUrl: q.url, TagKeys: ['owner'] }))],
      ['ListQueueTags', (c) => as(c).send(new sdk.ListQueueTagsCommand({ QueueUrl: q.url }))],
      ['AddPermission', (c) => as(c).send(new sdk.AddPermissionCommand({ QueueUrl: q.url, Label: 'b', AWSAccountIds: [B], Actions: ['*'] }))],
      ['RemovePermission', (c) => as(c).send(new sdk.RemovePermissionCommand({ QueueUrl: q.url, Label: 'b' }))],
      ['DeleteQueue', (c) => as(c).send(new sdk.DeleteQueueCommand({ QueueUrl: q.url }))],
    ];
    for (const [action, call] of attempts) {
      for (const [who, arn] of [[bRoot, B_ROOT_ARN], [bob, BOB_ARN]] as const) {
        const error = await errorOf(call(who));
        expectAccessDenied(error, arn, action, q.arn);
      }
    }
    const { Attributes } = await ownerSqs().send(new sdk.GetQueueAttributesCommand({ QueueUrl: q.url, AttributeNames: ['DelaySeconds'] }));
    expect(Attributes!.DelaySeconds).toBe('0');
    // What the policy grants and cross-account rules permit still works.
    await as(bob).send(new sdk.GetQueueAttributesCommand({ QueueUrl: q.url, AttributeNames: ['All'] }));
  });

  it('honours AddPermission grants for account B, and stops after RemovePermission', async () => {
    await bobMayDo(policy(allow('sqs:SendMessage')));
    const q = await queue();
    expectAccessDenied(await errorOf(send(sdk, as(bob), q.url)), BOB_ARN, 'SendMessage', q.arn);
    await ownerSqs().send(new sdk.AddPermissionCommand({ QueueUrl: q.url, Label: 'b-send', AWSAccountIds: [B], Actions: ['SendMessage'] }));
    await send(sdk, as(bob), q.url);
    await send(sdk, as(bRoot), q.url);
    expectAccessDenied(await errorOf(receive(sdk, as(bRoot), q.url)), B_ROOT_ARN, 'ReceiveMessage', q.arn);
    expectAccessDenied(await errorOf(send(sdk, as(carol), q.url)), CAROL_ARN, 'SendMessage', q.arn);
    await ownerSqs().send(new sdk.RemovePermissionCommand({ QueueUrl: q.url, Label: 'b-send' }));
    expectAccessDenied(await errorOf(send(sdk, as(bob), q.url)), BOB_ARN, 'SendMessage', q.arn);
  });

  it('resolves another account\'s queue with GetQueueUrl and QueueOwnerAWSAccountId when allowed', async () => {
    await bobMayDo(policy(allow('sqs:GetQueueUrl')));
    const name = uniqueName('x-url');
    const q = await makeQueue(sdk, ownerSqs(), name);
    const lookup = () => as(bob).send(new sdk.GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: A }));
    expectAccessDenied(await errorOf(lookup()), BOB_ARN, 'GetQueueUrl', q.arn);
    await setQueuePolicy(sdk, ownerSqs(), q.url, queuePolicy(BOB_ARN, 'sqs:GetQueueUrl', q.arn));
    expect((await lookup()).QueueUrl).toBe(q.url);
    // B's own ListQueues lists B's queues, never A's.
    const { QueueUrls } = await as(bRoot).send(new sdk.ListQueuesCommand({}));
    expect(QueueUrls ?? []).not.toContain(q.url);
  });

  it('lets a role session of account B in when the queue policy names the role, within its session policy', async () => {
    const roleName = uniqueName('b-role');
    const bIam = iamAs(server.url, bRoot);
    const { Role } = await bIam.send(new Iam.CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: trust(B_ROOT_ARN) }));
    await bIam.send(new Iam.PutRolePolicyCommand({ RoleName: roleName, PolicyName: 'sqs', PolicyDocument: policy(allow('sqs:*')) }));
    const q = await queue();
    await setQueuePolicy(sdk, ownerSqs(), q.url, queuePolicy(Role!.Arn!, ['sqs:SendMessage', 'sqs:ReceiveMessage'], q.arn));
    const session = await assumeRole(await assumerSts(server.url, bRoot), Role!.Arn!, 'worker');
    await send(sdk, as(session), q.url);
    await receive(sdk, as(session), q.url);
    const scoped = await assumeRole(await assumerSts(server.url, bRoot), Role!.Arn!, 'scoped', { Policy: policy(allow('sqs:ReceiveMessage')) });
    expectAccessDenied(await errorOf(send(sdk, as(scoped), q.url)), scoped.arn, 'SendMessage', q.arn);
  });
});

describe('cross-account AssumeRole', () => {
  it('needs the trust policy to name B and B\'s identity policy to allow sts:AssumeRole', async () => {
    const roleName = uniqueName('for-b');
    const { Role } = await iamAs(server.url).send(new Iam.CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: trust(B_ROOT_ARN) }));
    await iamAs(server.url).send(new Iam.PutRolePolicyCommand({ RoleName: roleName, PolicyName: 'sqs', PolicyDocument: policy(allow('sqs:*')) }));
    await bobMayDo(undefined);
    expect(await errorOf(assumeRole(stsAs(server.url, bob), Role!.Arn!, 'denied'))).toMatchObject({ code: 'AccessDenied', status: 403 });
    await bobMayDo(policy(allow('sts:AssumeRole', Role!.Arn!)));
    const session = await assumeRole(stsAs(server.url, bob), Role!.Arn!, 'bob-in-a');
    expect(session.arn).toBe(`arn:aws:sts::${A}:assumed-role/${roleName}/bob-in-a`);
    // The session acts in account A, with the role's permissions.
    const [{ sdk }] = protocols;
    const q = await makeQueue(sdk, sqsAs(sdk, server.url, session), uniqueName('by-b-session'));
    expect(q.arn).toBe(`arn:aws:sqs:us-east-1:${A}:${q.arn.split(':').pop()}`);
    // A role in A that does not trust B refuses B even with an identity allow.
    const { Role: closed } = await iamAs(server.url).send(
      new Iam.CreateRoleCommand({ RoleName: uniqueName('closed'), AssumeRolePolicyDocument: trust(`arn:aws:iam::${A}:root`) }),
    );
    await bobMayDo(policy(allow('sts:AssumeRole')));
    expect(await errorOf(assumeRole(stsAs(server.url, bob), closed!.Arn!, 'nope'))).toMatchObject({ code: 'AccessDenied', status: 403 });
  });
});
