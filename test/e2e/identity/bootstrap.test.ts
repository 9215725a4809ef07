/** Accounts, users, groups, roles and policies declared in the `accounts` config: after start, and after a restart. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropTestSchema, protocols, startTestServer, uniqueName, type TestServer } from '../../support/sealq.js';
import {
  allow,
  assumeRole,
  assumerSts,
  createUserWithKey,
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
const bRoot: Credentials = { accessKeyId: 'AKIABOOTROOTB0000001', secretAccessKey: 'bootstrap-b-root-secret-0000000000000000' };
const producer: Credentials = { accessKeyId: 'AKIABOOTPRODUCER0001', secretAccessKey: 'bootstrap-producer-secret-00000000000000' };
const auditor: Credentials = { accessKeyId: 'AKIABOOTAUDITOR00001', secretAccessKey: 'bootstrap-auditor-secret-000000000000000' };
const worker: Credentials = { accessKeyId: 'AKIABOOTWORKERB00001', secretAccessKey: 'bootstrap-worker-secret-0000000000000000' };

const doc = (...statements: Array<Record<string, unknown>>) => ({ Version: '2012-10-17', Statement: statements });

/** The declared world, as a config file would hold it (objects, not strings, for policies). */
const accounts = [
  {
    id: A,
    policies: [{ name: 'readers', path: '/declared/', document: doc(allow(['sqs:GetQueueAttributes', 'sqs:ListQueues'])) }],
    groups: [{ name: 'consumers', policies: { receive: doc(allow(['sqs:ReceiveMessage', 'sqs:DeleteMessage'])) } }],
    users: [
      {
        name: 'producer',
        path: '/apps/',
        accessKeys: [{ id: producer.accessKeyId, secret: producer.secretAccessKey }],
        policies: { send: doc(allow('sqs:SendMessage', `arn:aws:sqs:us-east-1:${A}:orders-*`)) },
      },
      {
        name: 'auditor',
        accessKeys: [{ id: auditor.accessKeyId, secret: auditor.secretAccessKey }],
        attachedPolicies: [`arn:aws:iam::${A}:policy/declared/readers`],
        groups: ['consumers'],
      },
    ],
  },
  {
    id: B,
    rootAccessKeyId: bRoot.accessKeyId,
    rootSecretAccessKey: bRoot.secretAccessKey,
    users: [{ name: 'worker', accessKeys: [{ id: worker.accessKeyId, secret: worker.secretAccessKey }], policies: { all: doc(allow('sqs:*')) } }],
    roles: [
      {
        name: 'reader',
        trustPolicy: doc({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${A}:root` }, Action: 'sts:AssumeRole' }),
        policies: { read: doc(allow(['sqs:ReceiveMessage', 'sqs:GetQueueAttributes', 'sqs:CreateQueue'])) },
      },
    ],
  },
];

const [{ sdk }] = protocols;

describe('a declared world', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ accounts: JSON.stringify(accounts) });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('has the declared principals, with their keys', async () => {
    expect(await whoAmI(server.url, producer)).toMatchObject({ Account: A, Arn: `arn:aws:iam::${A}:user/apps/producer` });
    expect(await whoAmI(server.url, auditor)).toMatchObject({ Account: A, Arn: `arn:aws:iam::${A}:user/auditor` });
    expect(await whoAmI(server.url, bRoot)).toEqual({ Account: B, Arn: `arn:aws:iam::${B}:root`, UserId: B });
    expect(await whoAmI(server.url, worker)).toMatchObject({ Account: B, Arn: `arn:aws:iam::${B}:user/worker` });
    const iam = iamAs(server.url);
    expect((await iam.send(new Iam.ListUsersCommand({}))).Users!.map((u) => u.UserName).sort()).toEqual(['auditor', 'producer']);
    expect((await iam.send(new Iam.ListAttachedUserPoliciesCommand({ UserName: 'auditor' }))).AttachedPolicies).toEqual([
      { PolicyName: 'readers', PolicyArn: `arn:aws:iam::${A}:policy/declared/readers` },
    ]);
    expect((await iam.send(new Iam.GetGroupCommand({ GroupName: 'consumers' }))).Users!.map((u) => u.UserName)).toEqual(['auditor']);
    const { Role } = await iamAs(server.url, bRoot).send(new Iam.GetRoleCommand({ RoleName: 'reader' }));
    expect(Role!.Arn).toBe(`arn:aws:iam::${B}:role/reader`);
  });

  it('enforces the declared inline, group and attached policies', async () => {
    const root = sqsAs(sdk, server.url);
    const orders = await makeQueue(sdk, root, `orders-${uniqueName('b')}`);
    const other = await makeQueue(sdk, root, uniqueName('other'));
    await send(sdk, sqsAs(sdk, server.url, producer), orders.url);
    expectAccessDenied(await errorOf(send(sdk, sqsAs(sdk, server.url, producer), other.url)), `arn:aws:iam::${A}:user/apps/producer`, 'SendMessage', other.arn);
    const asAuditor = sqsAs(sdk, server.url, auditor);
    await asAuditor.send(new sdk.GetQueueAttributesCommand({ QueueUrl: orders.url, AttributeNames: ['All'] }));
    expect((await receive(sdk, asAuditor, orders.url)).Messages).toHaveLength(1);
    expectAccessDenied(await errorOf(send(sdk, asAuditor, orders.url)), `arn:aws:iam::${A}:user/auditor`, 'SendMessage', orders.arn);
  });

  it('lets account A assume the declared role in account B', async () => {
    const session = await assumeRole(await assumerSts(server.url), `arn:aws:iam::${B}:role/reader`, 'from-a');
    expect(session.arn).toBe(`arn:aws:sts::${B}:assumed-role/reader/from-a`);
    const q = await makeQueue(sdk, sqsAs(sdk, server.url, session), uniqueName('in-b'));
    expect(q.arn).toContain(`:${B}:`);
    // The trust policy names account A only: B's own user may not assume it.
    expect(await errorOf(assumeRole(stsAs(server.url, worker), `arn:aws:iam::${B}:role/reader`, 'from-b'))).toMatchObject({
      code: 'AccessDenied',
      status: 403,
    });
  });
});

describe('restart on the same data directory', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sealq-bootstrap-'));
  const start = () => startTestServer({ accounts: JSON.stringify(accounts), 'data-dir': dataDir });
  afterAll(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await dropTestSchema(dataDir);
  });

  it('keeps declared and API-made identities, sessions and queue policies, and applies the file idempotently', async () => {
    const first = await start();
    const dir1 = first.sealq.identity.directory;
    const ids = { producer: dir1.user(A, 'producer')!.userId, reader: dir1.role(B, 'reader')!.roleId };
    const policyId = dir1.policies.get(`arn:aws:iam::${A}:policy/declared/readers`)!.policyId;

    // State made through the APIs, which the file knows nothing of.
    const made = await createUserWithKey(iamAs(first.url), 'made-at-runtime', JSON.stringify(doc(allow('sqs:ReceiveMessage'))));
    const bIam = iamAs(first.url, bRoot);
    const { Role } = await bIam.send(new Iam.CreateRoleCommand({ RoleName: 'runtime-role', AssumeRolePolicyDocument: trust(`arn:aws:iam::${B}:root`) }));
    await bIam.send(new Iam.PutRolePolicyCommand({ RoleName: 'runtime-role', PolicyName: 'sqs', PolicyDocument: policy(allow('sqs:*')) }));
    const session = await assumeRole(await assumerSts(first.url, bRoot), Role!.Arn!, 'survivor');
    const q = await makeQueue(sdk, sqsAs(sdk, first.url), 'restart-queue');
    await setQueuePolicy(sdk, sqsAs(sdk, first.url), q.url, queuePolicy(`arn:aws:iam::${B}:user/worker`, 'sqs:SendMessage', q.arn));
    await send(sdk, sqsAs(sdk, first.url, worker), q.url, 'before restart');
    await first.sealq.close();

    const second = await start();
    try {
      const dir2 = second.sealq.identity.directory;
      // Declared entities keep their ids: the file updates them, it does not make them anew.
      expect(dir2.user(A, 'producer')!.userId).toBe(ids.producer);
      expect(dir2.role(B, 'reader')!.roleId).toBe(ids.reader);
      expect(dir2.policies.get(`arn:aws:iam::${A}:policy/declared/readers`)!.policyId).toBe(policyId);
      expect(dir2.group(A, 'consumers')!.members).toEqual(['auditor']);
      expect([...dir2.keys.values()].filter((k) => k.userName === 'producer')).toHaveLength(1);

      const url = second.url;
      const queueUrl = q.url.replace(first.url, url);
      expect(await whoAmI(url, producer)).toMatchObject({ UserId: ids.producer });
      expect(await whoAmI(url, bRoot)).toMatchObject({ Arn: `arn:aws:iam::${B}:root` });
      expect(await whoAmI(url, made.credentials)).toMatchObject({ Arn: made.arn, UserId: made.userId });
      expect(await whoAmI(url, session)).toMatchObject({ Arn: `arn:aws:sts::${B}:assumed-role/runtime-role/survivor` });

      // The queue policy still grants account B's user; the runtime user's policy still applies.
      await send(sdk, sqsAs(sdk, url, worker), queueUrl, 'after restart');
      const { Messages } = await receive(sdk, sqsAs(sdk, url, made.credentials), queueUrl);
      expect(Messages!.map((m) => m.Body).sort()).toEqual(['after restart', 'before restart']);
      expectAccessDenied(await errorOf(send(sdk, sqsAs(sdk, url, made.credentials), queueUrl)), made.arn, 'SendMessage', q.arn);
      await assumeRole(await assumerSts(url), `arn:aws:iam::${B}:role/reader`, 'again');
    } finally {
      await second.sealq.close();
    }
  });
});

describe('a bad declaration', () => {
  it('stops the server from starting, saying where and what is wrong', async () => {
    const noResource = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:*' }] };
    await expect(startTestServer({ accounts: JSON.stringify([{ id: B, users: [{ name: 'x', policies: { broken: noResource } }] }]) })).rejects.toThrow(
      /^bootstrap: account 111111111111 user x policy broken: MalformedPolicyDocument: .*Resource/,
    );
    const noPrincipal = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole' }] };
    await expect(startTestServer({ accounts: JSON.stringify([{ id: B, roles: [{ name: 'r', trustPolicy: noPrincipal }] }]) })).rejects.toThrow(
      /^bootstrap: account 111111111111 role r trust policy: MalformedPolicyDocument: .*Principal/,
    );
    await expect(startTestServer({ accounts: JSON.stringify([{ id: B, users: [{ name: 'x', groups: ['nope'] }] }]) })).rejects.toThrow(
      'bootstrap: user x names unknown group nope in account 111111111111',
    );
    await expect(startTestServer({ accounts: JSON.stringify([{ id: 'not-an-account' }]) })).rejects.toThrow(/12-digit account id/);
  });
});
