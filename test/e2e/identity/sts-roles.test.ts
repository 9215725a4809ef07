/** Roles and STS through @aws-sdk/client-iam and @aws-sdk/client-sts: trust policies, sessions, session policies. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { protocols, startTestServer, uniqueName, type TestServer } from '../../support/sealq.js';
import {
  allow,
  assumeRole,
  assumerSts,
  createUserWithKey,
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
  Sts,
  stsAs,
  trust,
  whoAmI,
  type Credentials,
} from './helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

const ACCOUNT = '000000000000';
const ROOT = `arn:aws:iam::${ACCOUNT}:root`;
const iam = () => iamAs(server.url);
const sts = (credentials?: Credentials) => stsAs(server.url, credentials);
const directory = () => server.sealq.identity.directory;

/** A role trusted as `trustPolicy` (default: the account root) with an optional inline policy. */
async function createRole(trustPolicy = trust(ROOT), inline?: string, path?: string) {
  const name = uniqueName('role');
  const { Role } = await iam().send(new Iam.CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trustPolicy, Path: path }));
  if (inline) await iam().send(new Iam.PutRolePolicyCommand({ RoleName: name, PolicyName: 'inline', PolicyDocument: inline }));
  return { name, arn: Role!.Arn!, roleId: Role!.RoleId! };
}

describe('IAM roles', () => {
  it('creates, reads, lists and deletes a role, with the trust policy URL-encoded as AWS returns it', async () => {
    const doc = trust(ROOT);
    const role = await createRole(doc, undefined, '/service/');
    expect(role.arn).toBe(`arn:aws:iam::${ACCOUNT}:role/service/${role.name}`);
    expect(role.roleId).toMatch(/^AROA[A-Z2-7]{17}$/);
    const { Role } = await iam().send(new Iam.GetRoleCommand({ RoleName: role.name }));
    expect(JSON.parse(decodeURIComponent(Role!.AssumeRolePolicyDocument!))).toEqual(JSON.parse(doc));
    expect(Role!.MaxSessionDuration).toBe(3600);
    expect((await iam().send(new Iam.ListRolesCommand({ PathPrefix: '/service/' }))).Roles!.map((r) => r.RoleName)).toContain(role.name);
    expect(await errorOf(iam().send(new Iam.CreateRoleCommand({ RoleName: role.name, AssumeRolePolicyDocument: doc })))).toMatchObject({
      code: 'EntityAlreadyExists',
      status: 409,
    });

    await iam().send(new Iam.PutRolePolicyCommand({ RoleName: role.name, PolicyName: 'p', PolicyDocument: policy(allow('sqs:*')) }));
    expect((await iam().send(new Iam.ListRolePoliciesCommand({ RoleName: role.name }))).PolicyNames).toEqual(['p']);
    expect(await errorOf(iam().send(new Iam.DeleteRoleCommand({ RoleName: role.name })))).toMatchObject({ code: 'DeleteConflict', status: 409 });
    await iam().send(new Iam.DeleteRolePolicyCommand({ RoleName: role.name, PolicyName: 'p' }));
    await iam().send(new Iam.DeleteRoleCommand({ RoleName: role.name }));
    expect(await errorOf(iam().send(new Iam.GetRoleCommand({ RoleName: role.name })))).toEqual({
      code: 'NoSuchEntity',
      status: 404,
      message: `The role with name ${role.name} cannot be found.`,
    });
  });

  it('rejects a trust policy without a Principal as MalformedPolicyDocument', async () => {
    const error = await errorOf(
      iam().send(new Iam.CreateRoleCommand({ RoleName: uniqueName('r'), AssumeRolePolicyDocument: policy(allow('sts:AssumeRole')) })),
    );
    expect(error).toMatchObject({ code: 'MalformedPolicyDocument', status: 400 });
    expect(error.message).toMatch(/principal/i);
  });
});

describe('AssumeRole and the trust policy', () => {
  it('refuses root credentials, as AWS does, whatever the trust policy says', async () => {
    const role = await createRole();
    expect(await errorOf(sts().send(new Sts.AssumeRoleCommand({ RoleArn: role.arn, RoleSessionName: 'as-root' })))).toEqual({
      code: 'AccessDenied',
      status: 403,
      message: 'Roles may not be assumed by root accounts.',
    });
  });

  it('lets an allowed user of the trusted account assume the role and returns session credentials', async () => {
    const role = await createRole();
    const out = await (await assumerSts(server.url)).send(new Sts.AssumeRoleCommand({ RoleArn: role.arn, RoleSessionName: 'ci-job' }));
    expect(out.AssumedRoleUser).toEqual({
      Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role.name}/ci-job`,
      AssumedRoleId: `${role.roleId}:ci-job`,
    });
    expect(out.Credentials!.AccessKeyId).toMatch(/^ASIA/);
    expect(out.Credentials!.SessionToken).toBeTruthy();
    expect(out.Credentials!.Expiration!.getTime()).toBeGreaterThan(Date.now() + 3500_000);
  });

  it('refuses callers the trust policy does not name, and roles that do not exist', async () => {
    const user = await createUserWithKey(iam(), uniqueName('outsider'), policy(allow('sts:AssumeRole')));
    const role = await createRole(trust(`arn:aws:iam::${ACCOUNT}:user/someone-else`));
    const error = await errorOf(sts(user.credentials).send(new Sts.AssumeRoleCommand({ RoleArn: role.arn, RoleSessionName: 's' + 'x' })));
    expect(error).toEqual({
      code: 'AccessDenied',
      status: 403,
      message: `User: ${user.arn} is not authorized to perform: sts:AssumeRole on resource: ${role.arn}`,
    });
    const missing = `arn:aws:iam::${ACCOUNT}:role/${uniqueName('missing')}`;
    expect(await errorOf((await assumerSts(server.url)).send(new Sts.AssumeRoleCommand({ RoleArn: missing, RoleSessionName: 'sx' })))).toMatchObject({
      code: 'AccessDenied',
      status: 403,
    });
  });

  it('lets a user the trust policy names assume the role without an identity policy', async () => {
    const name = uniqueName('named');
    const user = await createUserWithKey(iam(), name);
    const role = await createRole(trust(user.arn));
    const session = await assumeRole(sts(user.credentials), role.arn, 'named-session');
    expect(session.arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/${role.name}/named-session`);
  });

  it('needs an identity allow when the trust policy names only the account', async () => {
    const name = uniqueName('delegated');
    const user = await createUserWithKey(iam(), name);
    const role = await createRole(trust(ROOT));
    expect(await errorOf(assumeRole(sts(user.credentials), role.arn, 'first'))).toMatchObject({ code: 'AccessDenied', status: 403 });
    await iam().send(new Iam.PutUserPolicyCommand({ UserName: name, PolicyName: 'assume', PolicyDocument: policy(allow('sts:AssumeRole', role.arn)) }));
    await assumeRole(sts(user.credentials), role.arn, 'second');
  });

  it('evaluates trust policy conditions such as sts:ExternalId', async () => {
    const role = await createRole(
      policy({ Effect: 'Allow', Principal: { AWS: ROOT }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': 'secret-42' } } }),
    );
    expect(await errorOf(assumeRole(await assumerSts(server.url), role.arn, 'no-id'))).toMatchObject({ code: 'AccessDenied', status: 403 });
    const out = await (await assumerSts(server.url)).send(new Sts.AssumeRoleCommand({ RoleArn: role.arn, RoleSessionName: 'with-id', ExternalId: 'secret-42' }));
    expect(out.AssumedRoleUser!.Arn).toContain('/with-id');
  });

  it('validates the session name, the duration and the session policy', async () => {
    const role = await createRole();
    const assumer = await assumerSts(server.url);
    const assume = (input: Partial<ConstructorParameters<typeof Sts.AssumeRoleCommand>[0]>) =>
      errorOf(assumer.send(new Sts.AssumeRoleCommand({ RoleArn: role.arn, RoleSessionName: 'valid', ...input })));
    expect(await assume({ RoleSessionName: 'has space' })).toMatchObject({ code: 'ValidationError', status: 400 });
    expect(await assume({ DurationSeconds: 7200 })).toMatchObject({ code: 'ValidationError', status: 400 });
    expect(await assume({ DurationSeconds: 60 })).toMatchObject({ code: 'ValidationError', status: 400 });
    const malformed = await assume({ Policy: '{"Version":"2012-10-17","Statement":{"Effect":"Allow"}}' });
    expect(malformed).toMatchObject({ code: 'MalformedPolicyDocument', status: 400 });
    expect(malformed.message).not.toBe('');
  });
});

describe.each(protocols)('role sessions calling SQS over $name', ({ sdk }) => {
  const rootSqs = () => sqsAs(sdk, server.url);

  it('act with the role\'s permissions, and a session policy scopes them down', async () => {
    const role = await createRole(trust(ROOT), policy(allow('sqs:*')));
    const queue = await makeQueue(sdk, rootSqs(), uniqueName('role-q'));

    const full = await assumeRole(await assumerSts(server.url), role.arn, 'full');
    await send(sdk, sqsAs(sdk, server.url, full), queue.url);
    await receive(sdk, sqsAs(sdk, server.url, full), queue.url);

    const scoped = await assumeRole(await assumerSts(server.url), role.arn, 'scoped', { Policy: policy(allow('sqs:SendMessage')) });
    const client = sqsAs(sdk, server.url, scoped);
    await send(sdk, client, queue.url);
    const error = await errorOf(receive(sdk, client, queue.url));
    expectAccessDenied(error, scoped.arn, 'ReceiveMessage', queue.arn);
    expect(error.message).toContain('because no session policy allows the sqs:ReceiveMessage action');
    expectAccessDenied(
      await errorOf(client.send(new sdk.GetQueueAttributesCommand({ QueueUrl: queue.url }))),
      scoped.arn,
      'GetQueueAttributes',
      queue.arn,
    );
  });

  it('get nothing from a session policy the role does not grant', async () => {
    const role = await createRole(trust(ROOT), policy(allow('sqs:SendMessage')));
    const queue = await makeQueue(sdk, rootSqs(), uniqueName('role-q'));
    const session = await assumeRole(await assumerSts(server.url), role.arn, 'wide', { Policy: policy(allow('sqs:*')) });
    const client = sqsAs(sdk, server.url, session);
    await send(sdk, client, queue.url);
    expectAccessDenied(await errorOf(receive(sdk, client, queue.url)), session.arn, 'ReceiveMessage', queue.arn);
  });

  it('are denied by an explicit Deny in the role\'s policy', async () => {
    const role = await createRole(trust(ROOT), policy(allow('sqs:*'), deny('sqs:SendMessage')));
    const queue = await makeQueue(sdk, rootSqs(), uniqueName('role-q'));
    const session = await assumeRole(await assumerSts(server.url), role.arn, 'denied');
    const error = await errorOf(send(sdk, sqsAs(sdk, server.url, session), queue.url));
    expectAccessDenied(error, session.arn, 'SendMessage', queue.arn);
    expect(error.message).toContain('explicit deny');
  });

  it('are allowed by a queue policy naming the role or the session, but a role grant still meets the session policy', async () => {
    const role = await createRole(trust(ROOT));
    const queue = await makeQueue(sdk, rootSqs(), uniqueName('role-q'));
    const session = await assumeRole(await assumerSts(server.url), role.arn, 'by-queue');
    const client = sqsAs(sdk, server.url, session);
    expectAccessDenied(await errorOf(send(sdk, client, queue.url)), session.arn, 'SendMessage', queue.arn);

    await setQueuePolicy(sdk, rootSqs(), queue.url, queuePolicy(role.arn, 'sqs:SendMessage', queue.arn));
    await send(sdk, client, queue.url);

    const scoped = await assumeRole(await assumerSts(server.url), role.arn, 'scoped', { Policy: policy(allow('sqs:ReceiveMessage')) });
    expectAccessDenied(await errorOf(send(sdk, sqsAs(sdk, server.url, scoped), queue.url)), scoped.arn, 'SendMessage', queue.arn);

    // AWS: a grant naming the session ARN itself is not limited by the session policy.
    await setQueuePolicy(sdk, rootSqs(), queue.url, queuePolicy(scoped.arn, 'sqs:SendMessage', queue.arn));
    await send(sdk, sqsAs(sdk, server.url, scoped), queue.url);
  });
});

describe('GetCallerIdentity', () => {
  it('names the root, an IAM user and an assumed-role session as AWS does', async () => {
    expect(await whoAmI(server.url, { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' })).toEqual({
      UserId: ACCOUNT,
      Account: ACCOUNT,
      Arn: ROOT,
    });
    const user = await createUserWithKey(iam(), uniqueName('who'));
    expect(await whoAmI(server.url, user.credentials)).toEqual({ UserId: user.userId, Account: ACCOUNT, Arn: user.arn });
    const role = await createRole(trust(ROOT), undefined, '/deep/path/');
    const session = await assumeRole(await assumerSts(server.url), role.arn, 'who-session');
    // AWS: the assumed-role ARN leaves out the role's path.
    expect(await whoAmI(server.url, session)).toEqual({
      UserId: `${role.roleId}:who-session`,
      Account: ACCOUNT,
      Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role.name}/who-session`,
    });
  });

  it('needs no permission: a user without policies may call it', async () => {
    const user = await createUserWithKey(iam(), uniqueName('nopolicy'), policy(deny('*')));
    expect((await whoAmI(server.url, user.credentials)).Arn).toBe(user.arn);
  });
});

describe('requester identity (as SQS distinguishes callers)', () => {
  it('is one per role and session policy, whatever the RoleSessionName', async () => {
    const role = await createRole(trust(ROOT), policy(allow('sqs:*')));
    const a = await assumeRole(await assumerSts(server.url), role.arn, 'session-a');
    const b = await assumeRole(await assumerSts(server.url), role.arn, 'session-b');
    const scoped = await assumeRole(await assumerSts(server.url), role.arn, 'session-a', { Policy: policy(allow('sqs:SendMessage')) });
    const scopedAgain = await assumeRole(await assumerSts(server.url), role.arn, 'session-c', { Policy: policy(allow('sqs:SendMessage')) });
    const other = await assumeRole(await assumerSts(server.url), role.arn, 'session-d', { Policy: policy(allow('sqs:ReceiveMessage')) });

    const principal = (c: Credentials) => directory().principalFor(c.accessKeyId)!;
    expect(principal(a).arn).not.toBe(principal(b).arn);
    expect(principal(a).requesterId).toBe(principal(b).requesterId);
    expect(principal(scoped).requesterId).not.toBe(principal(a).requesterId);
    expect(principal(scoped).requesterId).toBe(principal(scopedAgain).requesterId);
    expect(principal(other).requesterId).not.toBe(principal(scoped).requesterId);

    const otherRole = await createRole(trust(ROOT));
    const elsewhere = await assumeRole(await assumerSts(server.url), otherRole.arn, 'session-a');
    expect(principal(elsewhere).requesterId).not.toBe(principal(a).requesterId);

    const user = await createUserWithKey(iam(), uniqueName('req'));
    const ids = new Set([
      directory().principalFor('AKIDEXAMPLE')!.requesterId,
      principal(user.credentials).requesterId,
      principal(a).requesterId,
    ]);
    expect(ids.size).toBe(3);
  });

  it('is the same for every access key of one user', async () => {
    const name = uniqueName('twokeys');
    const user = await createUserWithKey(iam(), name);
    const { AccessKey } = await iam().send(new Iam.CreateAccessKeyCommand({ UserName: name }));
    expect(directory().principalFor(AccessKey!.AccessKeyId!)!.requesterId).toBe(directory().principalFor(user.credentials.accessKeyId)!.requesterId);
  });
});
