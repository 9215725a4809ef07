/** The IAM API through @aws-sdk/client-iam: users, keys, inline and managed policies, groups, errors. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { protocols, startTestServer, uniqueName, type TestServer } from '../../support/sealq.js';
import {
  allow,
  createUserWithKey,
  deny,
  errorOf,
  expectAccessDenied,
  Iam,
  iamAs,
  makeQueue,
  policy,
  send,
  sqsAs,
} from './helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

const iam = () => iamAs(server.url);
const [json] = protocols;
const ACCOUNT = '000000000000';

describe('users and access keys', () => {
  it('creates, reads, lists and deletes a user', async () => {
    const name = uniqueName('user');
    const { User } = await iam().send(new Iam.CreateUserCommand({ UserName: name, Path: '/team/' }));
    expect(User).toMatchObject({ UserName: name, Path: '/team/', Arn: `arn:aws:iam::${ACCOUNT}:user/team/${name}` });
    expect(User!.UserId).toMatch(/^AIDA[A-Z2-7]{17}$/);
    expect(User!.CreateDate).toBeInstanceOf(Date);

    const got = await iam().send(new Iam.GetUserCommand({ UserName: name }));
    expect(got.User).toEqual(User);
    const listed = await iam().send(new Iam.ListUsersCommand({ PathPrefix: '/team/' }));
    expect(listed.Users!.map((u) => u.UserName)).toContain(name);
    expect((await iam().send(new Iam.ListUsersCommand({ PathPrefix: '/nobody/' }))).Users).toEqual([]);

    await iam().send(new Iam.DeleteUserCommand({ UserName: name }));
    expect(await errorOf(iam().send(new Iam.GetUserCommand({ UserName: name })))).toEqual({
      code: 'NoSuchEntity',
      status: 404,
      message: `The user with name ${name} cannot be found.`,
    });
  });

  it('pages ListUsers with MaxItems and Marker', async () => {
    const prefix = `/page-${uniqueName('p')}/`;
    const names = ['a', 'b', 'c'].map((n) => `${n}-${uniqueName('pg')}`);
    for (const n of names) await iam().send(new Iam.CreateUserCommand({ UserName: n, Path: prefix }));
    const first = await iam().send(new Iam.ListUsersCommand({ PathPrefix: prefix, MaxItems: 2 }));
    expect(first.IsTruncated).toBe(true);
    expect(first.Users).toHaveLength(2);
    const second = await iam().send(new Iam.ListUsersCommand({ PathPrefix: prefix, MaxItems: 2, Marker: first.Marker }));
    expect(second.IsTruncated).toBe(false);
    expect([...first.Users!, ...second.Users!].map((u) => u.UserName)).toEqual([...names].sort());
  });

  it('answers EntityAlreadyExists (409) and NoSuchEntity (404) as AWS does', async () => {
    const name = uniqueName('dup');
    await iam().send(new Iam.CreateUserCommand({ UserName: name }));
    expect(await errorOf(iam().send(new Iam.CreateUserCommand({ UserName: name })))).toEqual({
      code: 'EntityAlreadyExists',
      status: 409,
      message: `User with name ${name} already exists.`,
    });
    const ghost = uniqueName('ghost');
    for (const call of [
      iam().send(new Iam.DeleteUserCommand({ UserName: ghost })),
      iam().send(new Iam.CreateAccessKeyCommand({ UserName: ghost })),
      iam().send(new Iam.PutUserPolicyCommand({ UserName: ghost, PolicyName: 'p', PolicyDocument: policy(allow('sqs:*')) })),
    ]) {
      expect(await errorOf(call)).toMatchObject({ code: 'NoSuchEntity', status: 404 });
    }
    expect(await errorOf(iam().send(new Iam.GetUserPolicyCommand({ UserName: name, PolicyName: 'none' })))).toEqual({
      code: 'NoSuchEntity',
      status: 404,
      message: 'The user policy with name none cannot be found.',
    });
    expect(await errorOf(iam().send(new Iam.DeleteAccessKeyCommand({ UserName: name, AccessKeyId: 'AKIANOSUCHKEY0000000' })))).toMatchObject({
      code: 'NoSuchEntity',
      status: 404,
    });
  });

  it('lists access keys and allows at most two per user', async () => {
    const name = uniqueName('keys');
    await iam().send(new Iam.CreateUserCommand({ UserName: name }));
    const k1 = (await iam().send(new Iam.CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
    const k2 = (await iam().send(new Iam.CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
    expect(k1).toMatchObject({ UserName: name, Status: 'Active' });
    expect(k1.AccessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(k1.SecretAccessKey).toHaveLength(40);
    expect(await errorOf(iam().send(new Iam.CreateAccessKeyCommand({ UserName: name })))).toMatchObject({
      code: 'LimitExceeded',
      status: 409,
    });
    const { AccessKeyMetadata } = await iam().send(new Iam.ListAccessKeysCommand({ UserName: name }));
    expect(AccessKeyMetadata!.map((k) => k.AccessKeyId).sort()).toEqual([k1.AccessKeyId, k2.AccessKeyId].sort());
    expect(AccessKeyMetadata!.every((k) => !('SecretAccessKey' in k))).toBe(true);
  });

  it('answers GetUser without a name with the caller: the root, or the calling user', async () => {
    const root = await iam().send(new Iam.GetUserCommand({}));
    expect(root.User).toMatchObject({ UserId: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:root` });
    const name = uniqueName('self');
    // The usual "manage your own credentials" policy: the resource is the caller's own user ARN.
    const own = `arn:aws:iam::${ACCOUNT}:user/\${aws:username}`;
    const self = await createUserWithKey(iam(), name, policy(allow(['iam:GetUser', 'iam:ListAccessKeys', 'iam:CreateAccessKey'], own)));
    const asSelf = iamAs(server.url, self.credentials);
    expect((await asSelf.send(new Iam.GetUserCommand({}))).User).toMatchObject({ UserName: name, Arn: self.arn });
    const keys = await asSelf.send(new Iam.ListAccessKeysCommand({}));
    expect(keys.AccessKeyMetadata!.map((k) => k.AccessKeyId)).toEqual([self.credentials.accessKeyId]);
    expect((await asSelf.send(new Iam.CreateAccessKeyCommand({}))).AccessKey!.UserName).toBe(name);

    const other = uniqueName('other');
    await iam().send(new Iam.CreateUserCommand({ UserName: other }));
    const error = await errorOf(asSelf.send(new Iam.GetUserCommand({ UserName: other })));
    expect(error).toMatchObject({ code: 'AccessDenied', status: 403 });
    expect(error.message).toContain(`on resource: arn:aws:iam::${ACCOUNT}:user/${other}`);
  });

  it('authorizes IAM calls on a user by its ARN, path included', async () => {
    const admin = uniqueName('pathadmin');
    const creds = (await createUserWithKey(iam(), admin, policy(allow('iam:*', `arn:aws:iam::${ACCOUNT}:user/ops/*`)))).credentials;
    const asAdmin = iamAs(server.url, creds);
    const inOps = uniqueName('ops');
    await asAdmin.send(new Iam.CreateUserCommand({ UserName: inOps, Path: '/ops/' }));
    await asAdmin.send(new Iam.PutUserPolicyCommand({ UserName: inOps, PolicyName: 'p', PolicyDocument: policy(allow('sqs:*')) }));
    const elsewhere = uniqueName('dev');
    expect(await errorOf(asAdmin.send(new Iam.CreateUserCommand({ UserName: elsewhere, Path: '/dev/' })))).toMatchObject({ code: 'AccessDenied' });
    await iam().send(new Iam.CreateUserCommand({ UserName: elsewhere, Path: '/dev/' }));
    const error = await errorOf(asAdmin.send(new Iam.DeleteUserCommand({ UserName: elsewhere })));
    expect(error.message).toContain(`on resource: arn:aws:iam::${ACCOUNT}:user/dev/${elsewhere}`);
  });

  it('refuses to delete a user that still has keys, policies or groups (DeleteConflict)', async () => {
    const name = uniqueName('conflict');
    const user = await createUserWithKey(iam(), name, policy(allow('sqs:*')));
    const { Policy } = await iam().send(new Iam.CreatePolicyCommand({ PolicyName: uniqueName('mp'), PolicyDocument: policy(allow('sqs:*')) }));
    await iam().send(new Iam.AttachUserPolicyCommand({ UserName: name, PolicyArn: Policy!.Arn }));
    const group = uniqueName('grp');
    await iam().send(new Iam.CreateGroupCommand({ GroupName: group }));
    await iam().send(new Iam.AddUserToGroupCommand({ GroupName: group, UserName: name }));

    const conflict = async (message: string) =>
      expect(await errorOf(iam().send(new Iam.DeleteUserCommand({ UserName: name })))).toEqual({ code: 'DeleteConflict', status: 409, message });
    await conflict('Cannot delete entity, must delete access keys first.');
    await iam().send(new Iam.DeleteAccessKeyCommand({ UserName: name, AccessKeyId: user.credentials.accessKeyId }));
    await conflict('Cannot delete entity, must delete policies first.');
    await iam().send(new Iam.DeleteUserPolicyCommand({ UserName: name, PolicyName: 'inline' }));
    await conflict('Cannot delete entity, must detach all policies first.');
    await iam().send(new Iam.DetachUserPolicyCommand({ UserName: name, PolicyArn: Policy!.Arn }));
    await conflict('Cannot delete entity, must remove users from group first.');
    await iam().send(new Iam.RemoveUserFromGroupCommand({ GroupName: group, UserName: name }));
    await iam().send(new Iam.DeleteUserCommand({ UserName: name }));
    await iam().send(new Iam.DeleteGroupCommand({ GroupName: group }));
    await iam().send(new Iam.DeletePolicyCommand({ PolicyArn: Policy!.Arn }));
  });
});

describe('inline user policies', () => {
  it('puts, gets (URL-encoded, as AWS returns it), lists and deletes', async () => {
    const name = uniqueName('inline');
    await iam().send(new Iam.CreateUserCommand({ UserName: name }));
    const doc = policy(allow(['sqs:SendMessage', 'sqs:ReceiveMessage'], 'arn:aws:sqs:us-east-1:000000000000:*'));
    await iam().send(new Iam.PutUserPolicyCommand({ UserName: name, PolicyName: 'send', PolicyDocument: doc }));
    await iam().send(new Iam.PutUserPolicyCommand({ UserName: name, PolicyName: 'another', PolicyDocument: doc }));
    const got = await iam().send(new Iam.GetUserPolicyCommand({ UserName: name, PolicyName: 'send' }));
    expect(got).toMatchObject({ UserName: name, PolicyName: 'send' });
    expect(JSON.parse(decodeURIComponent(got.PolicyDocument!))).toEqual(JSON.parse(doc));
    expect((await iam().send(new Iam.ListUserPoliciesCommand({ UserName: name }))).PolicyNames).toEqual(['another', 'send']);
    await iam().send(new Iam.DeleteUserPolicyCommand({ UserName: name, PolicyName: 'another' }));
    expect((await iam().send(new Iam.ListUserPoliciesCommand({ UserName: name }))).PolicyNames).toEqual(['send']);
    expect(await errorOf(iam().send(new Iam.DeleteUserPolicyCommand({ UserName: name, PolicyName: 'another' })))).toMatchObject({
      code: 'NoSuchEntity',
      status: 404,
    });
  });

  it.each([
    ['not JSON', '{"Version": "2012-10-17", "Statement": [', /JSON|syntax|parse/i],
    ['without Statement', JSON.stringify({ Version: '2012-10-17' }), /Statement/],
    ['with an unknown Effect', policy({ Effect: 'Maybe', Action: 'sqs:*', Resource: '*' }), /Effect/],
    ['without Resource', policy({ Effect: 'Allow', Action: 'sqs:*' }), /Resource/],
    ['with an unknown Version', JSON.stringify({ Version: '2020-01-01', Statement: [allow('sqs:*')] }), /Version/],
    ['with a Principal (identity policies have none)', policy({ ...allow('sqs:*'), Principal: '*' }), /principal/i],
    ['with an unknown condition operator', policy(allow('sqs:*', '*', { Condition: { StringLooksLike: { 'aws:username': 'x' } } })), /StringLooksLike/],
  ])('rejects a policy %s with MalformedPolicyDocument and says why', async (_, doc, why) => {
    const name = uniqueName('bad');
    await iam().send(new Iam.CreateUserCommand({ UserName: name }));
    const error = await errorOf(iam().send(new Iam.PutUserPolicyCommand({ UserName: name, PolicyName: 'bad', PolicyDocument: doc })));
    expect(error).toMatchObject({ code: 'MalformedPolicyDocument', status: 400 });
    expect(error.message).toMatch(why);
    expect((await iam().send(new Iam.ListUserPoliciesCommand({ UserName: name }))).PolicyNames).toEqual([]);
    // The same checks guard managed policies.
    expect(await errorOf(iam().send(new Iam.CreatePolicyCommand({ PolicyName: uniqueName('bad'), PolicyDocument: doc })))).toMatchObject({
      code: 'MalformedPolicyDocument',
      status: 400,
    });
  });
});

describe('managed policies', () => {
  it('creates, reads, attaches, lists attachments, and refuses to delete while attached', async () => {
    const policyName = uniqueName('managed');
    const doc = policy(allow('sqs:SendMessage'));
    const { Policy } = await iam().send(new Iam.CreatePolicyCommand({ PolicyName: policyName, PolicyDocument: doc, Description: 'send' }));
    expect(Policy).toMatchObject({
      PolicyName: policyName,
      Arn: `arn:aws:iam::${ACCOUNT}:policy/${policyName}`,
      DefaultVersionId: 'v1',
      AttachmentCount: 0,
      IsAttachable: true,
    });
    expect(await errorOf(iam().send(new Iam.CreatePolicyCommand({ PolicyName: policyName, PolicyDocument: doc })))).toMatchObject({
      code: 'EntityAlreadyExists',
      status: 409,
    });
    const version = await iam().send(new Iam.GetPolicyVersionCommand({ PolicyArn: Policy!.Arn, VersionId: 'v1' }));
    expect(JSON.parse(decodeURIComponent(version.PolicyVersion!.Document!))).toEqual(JSON.parse(doc));
    expect(version.PolicyVersion!.IsDefaultVersion).toBe(true);
    const listed = await iam().send(new Iam.ListPoliciesCommand({ Scope: 'Local' }));
    expect(listed.Policies!.map((p) => p.Arn)).toContain(Policy!.Arn);

    const userName = uniqueName('attached');
    const user = await createUserWithKey(iam(), userName);
    const sqs = sqsAs(json.sdk, server.url, user.credentials);
    const queue = await makeQueue(json.sdk, sqsAs(json.sdk, server.url), uniqueName('mq'));
    expectAccessDenied(await errorOf(send(json.sdk, sqs, queue.url)), user.arn, 'SendMessage', queue.arn);

    await iam().send(new Iam.AttachUserPolicyCommand({ UserName: userName, PolicyArn: Policy!.Arn }));
    expect((await iam().send(new Iam.ListAttachedUserPoliciesCommand({ UserName: userName }))).AttachedPolicies).toEqual([
      { PolicyName: policyName, PolicyArn: Policy!.Arn },
    ]);
    expect((await iam().send(new Iam.GetPolicyCommand({ PolicyArn: Policy!.Arn }))).Policy!.AttachmentCount).toBe(1);
    await send(json.sdk, sqs, queue.url);

    expect(await errorOf(iam().send(new Iam.DeletePolicyCommand({ PolicyArn: Policy!.Arn })))).toMatchObject({
      code: 'DeleteConflict',
      status: 409,
    });
    await iam().send(new Iam.DetachUserPolicyCommand({ UserName: userName, PolicyArn: Policy!.Arn }));
    expect((await iam().send(new Iam.ListAttachedUserPoliciesCommand({ UserName: userName }))).AttachedPolicies).toEqual([]);
    expectAccessDenied(await errorOf(send(json.sdk, sqs, queue.url)), user.arn, 'SendMessage', queue.arn);
    await iam().send(new Iam.DeletePolicyCommand({ PolicyArn: Policy!.Arn }));
    expect(await errorOf(iam().send(new Iam.GetPolicyCommand({ PolicyArn: Policy!.Arn })))).toMatchObject({ code: 'NoSuchEntity', status: 404 });
  });

  it('refuses to attach a policy that does not exist', async () => {
    const userName = uniqueName('noattach');
    await iam().send(new Iam.CreateUserCommand({ UserName: userName }));
    const arn = `arn:aws:iam::${ACCOUNT}:policy/${uniqueName('missing')}`;
    expect(await errorOf(iam().send(new Iam.AttachUserPolicyCommand({ UserName: userName, PolicyArn: arn })))).toEqual({
      code: 'NoSuchEntity',
      status: 404,
      message: `Policy ${arn} does not exist or is not attachable.`,
    });
  });

  it('serves a new default version to the evaluator at once', async () => {
    const { Policy } = await iam().send(new Iam.CreatePolicyCommand({ PolicyName: uniqueName('ver'), PolicyDocument: policy(allow('sqs:SendMessage')) }));
    const userName = uniqueName('ver-user');
    const user = await createUserWithKey(iam(), userName);
    await iam().send(new Iam.AttachUserPolicyCommand({ UserName: userName, PolicyArn: Policy!.Arn }));
    const sqs = sqsAs(json.sdk, server.url, user.credentials);
    const queue = await makeQueue(json.sdk, sqsAs(json.sdk, server.url), uniqueName('vq'));
    await send(json.sdk, sqs, queue.url);
    await iam().send(new Iam.CreatePolicyVersionCommand({ PolicyArn: Policy!.Arn, PolicyDocument: policy(allow('sqs:ReceiveMessage')), SetAsDefault: true }));
    expectAccessDenied(await errorOf(send(json.sdk, sqs, queue.url)), user.arn, 'SendMessage', queue.arn);
  });
});

describe('groups', () => {
  it('grants a member the group\'s inline and attached policies, and stops when the member leaves', async () => {
    const group = uniqueName('senders');
    await iam().send(new Iam.CreateGroupCommand({ GroupName: group }));
    expect(await errorOf(iam().send(new Iam.CreateGroupCommand({ GroupName: group })))).toMatchObject({ code: 'EntityAlreadyExists', status: 409 });
    await iam().send(new Iam.PutGroupPolicyCommand({ GroupName: group, PolicyName: 'send', PolicyDocument: policy(allow('sqs:SendMessage')) }));
    const { Policy } = await iam().send(new Iam.CreatePolicyCommand({ PolicyName: uniqueName('recv'), PolicyDocument: policy(allow('sqs:ReceiveMessage')) }));
    await iam().send(new Iam.AttachGroupPolicyCommand({ GroupName: group, PolicyArn: Policy!.Arn }));

    const userName = uniqueName('member');
    const user = await createUserWithKey(iam(), userName);
    const sqs = sqsAs(json.sdk, server.url, user.credentials);
    const queue = await makeQueue(json.sdk, sqsAs(json.sdk, server.url), uniqueName('gq'));
    expectAccessDenied(await errorOf(send(json.sdk, sqs, queue.url)), user.arn, 'SendMessage', queue.arn);

    await iam().send(new Iam.AddUserToGroupCommand({ GroupName: group, UserName: userName }));
    const got = await iam().send(new Iam.GetGroupCommand({ GroupName: group }));
    expect(got.Users!.map((u) => u.UserName)).toEqual([userName]);
    expect((await iam().send(new Iam.ListGroupsForUserCommand({ UserName: userName }))).Groups!.map((g) => g.GroupName)).toEqual([group]);
    await send(json.sdk, sqs, queue.url);
    await sqs.send(new json.sdk.ReceiveMessageCommand({ QueueUrl: queue.url }));

    expect(await errorOf(iam().send(new Iam.DeleteGroupCommand({ GroupName: group })))).toMatchObject({ code: 'DeleteConflict', status: 409 });
    await iam().send(new Iam.RemoveUserFromGroupCommand({ GroupName: group, UserName: userName }));
    expectAccessDenied(await errorOf(send(json.sdk, sqs, queue.url)), user.arn, 'SendMessage', queue.arn);
  });

  it('applies a group Deny over the member\'s own Allow', async () => {
    const group = uniqueName('denied');
    await iam().send(new Iam.CreateGroupCommand({ GroupName: group }));
    await iam().send(new Iam.PutGroupPolicyCommand({ GroupName: group, PolicyName: 'no-send', PolicyDocument: policy(deny('sqs:SendMessage')) }));
    const userName = uniqueName('deny-member');
    const user = await createUserWithKey(iam(), userName, policy(allow('sqs:*')));
    await iam().send(new Iam.AddUserToGroupCommand({ GroupName: group, UserName: userName }));
    const queue = await makeQueue(json.sdk, sqsAs(json.sdk, server.url), uniqueName('dq'));
    const error = await errorOf(send(json.sdk, sqsAs(json.sdk, server.url, user.credentials), queue.url));
    expectAccessDenied(error, user.arn, 'SendMessage', queue.arn);
    expect(error.message).toContain('explicit deny');
  });
});

describe('administering IAM is itself authorized', () => {
  it('refuses IAM calls to a user without IAM permissions and allows what a policy grants', async () => {
    const name = uniqueName('admin');
    const user = await createUserWithKey(iam(), name);
    const asUser = iamAs(server.url, user.credentials);
    const error = await errorOf(asUser.send(new Iam.ListUsersCommand({})));
    expect(error).toMatchObject({ code: 'AccessDenied', status: 403 });
    expect(error.message).toBe(
      `User: ${user.arn} is not authorized to perform: iam:ListUsers on resource: * because no identity-based policy allows the iam:ListUsers action`,
    );
    await iam().send(
      new Iam.PutUserPolicyCommand({ UserName: name, PolicyName: 'read', PolicyDocument: policy(allow(['iam:ListUsers', 'iam:GetUser'])) }),
    );
    await asUser.send(new Iam.ListUsersCommand({}));
    expect(await errorOf(asUser.send(new Iam.CreateUserCommand({ UserName: uniqueName('nope') })))).toMatchObject({
      code: 'AccessDenied',
      status: 403,
    });
  });
});
