/** SQS authorization within one account: identity policies, queue policies, explicit denies, bad policies. */
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
  queuePolicy,
  receive,
  send,
  setQueuePolicy,
  sqsAs,
} from './helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

const ACCOUNT = '000000000000';
const iam = () => iamAs(server.url);

describe.each(protocols)('SQS authorization over $name', ({ sdk }) => {
  const root = () => sqsAs(sdk, server.url);
  const queue = () => makeQueue(sdk, root(), uniqueName('acl'));
  const userWith = async (inline?: string) => {
    const user = await createUserWithKey(iam(), uniqueName('u'), inline);
    return { ...user, sqs: sqsAs(sdk, server.url, user.credentials) };
  };

  it('refuses a user without any policy with 403 AccessDenied, naming the action and queue', async () => {
    const q = await queue();
    const user = await userWith();
    const error = await errorOf(send(sdk, user.sqs, q.url));
    expect(error.code).toBe('AccessDenied');
    expect(error.status).toBe(403);
    expect(error.message).toContain(`is not authorized to perform: sqs:SendMessage on resource: ${q.arn}`);
    expect(error.message).toBe(
      `User: ${user.arn} is not authorized to perform: sqs:SendMessage on resource: ${q.arn} because no identity-based policy allows the sqs:SendMessage action`,
    );
    expectAccessDenied(await errorOf(receive(sdk, user.sqs, q.url)), user.arn, 'ReceiveMessage', q.arn);
    expectAccessDenied(await errorOf(user.sqs.send(new sdk.ListQueuesCommand({}))), user.arn, 'ListQueues', `arn:aws:sqs:us-east-1:${ACCOUNT}:*`);
  });

  it('allows what an identity policy grants, on the queues it names', async () => {
    const q = await queue();
    const other = await queue();
    const user = await userWith(policy(allow(['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage'], q.arn)));
    await send(sdk, user.sqs, q.url, 'granted');
    // AWS: SendMessageBatch and DeleteMessageBatch are authorized as SendMessage and DeleteMessage.
    await user.sqs.send(new sdk.SendMessageBatchCommand({ QueueUrl: q.url, Entries: [{ Id: '1', MessageBody: 'batched' }] }));
    const { Messages } = await receive(sdk, user.sqs, q.url);
    expect(Messages!.map((m) => m.Body).sort()).toEqual(['batched', 'granted']);
    await user.sqs.send(
      new sdk.DeleteMessageBatchCommand({ QueueUrl: q.url, Entries: Messages!.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }),
    );
    expectAccessDenied(await errorOf(send(sdk, user.sqs, other.url)), user.arn, 'SendMessage', other.arn);
    expectAccessDenied(
      await errorOf(user.sqs.send(new sdk.PurgeQueueCommand({ QueueUrl: q.url }))),
      user.arn,
      'PurgeQueue',
      q.arn,
    );
  });

  it('lets a user with sqs:CreateQueue create queues in the account (and needs sqs:TagQueue to tag them)', async () => {
    const user = await userWith(policy(allow(['sqs:CreateQueue', 'sqs:GetQueueUrl', 'sqs:GetQueueAttributes'])));
    const name = uniqueName('made-by-user');
    const { QueueUrl } = await user.sqs.send(new sdk.CreateQueueCommand({ QueueName: name }));
    expect(QueueUrl).toContain(`/${ACCOUNT}/${name}`);
    expect((await user.sqs.send(new sdk.GetQueueUrlCommand({ QueueName: name }))).QueueUrl).toBe(QueueUrl);
    const tagged = uniqueName('tagged');
    expectAccessDenied(
      await errorOf(user.sqs.send(new sdk.CreateQueueCommand({ QueueName: tagged, tags: { team: 'a' } }))),
      user.arn,
      'TagQueue',
      `arn:aws:sqs:us-east-1:${ACCOUNT}:${tagged}`,
    );
  });

  it('allows a user named only by the queue policy, for the actions it lists', async () => {
    const q = await queue();
    const user = await userWith();
    await setQueuePolicy(sdk, root(), q.url, queuePolicy(user.arn, 'sqs:SendMessage', q.arn));
    await send(sdk, user.sqs, q.url);
    expectAccessDenied(await errorOf(receive(sdk, user.sqs, q.url)), user.arn, 'ReceiveMessage', q.arn);
    // A queue policy grants on its own queue only.
    const other = await queue();
    expectAccessDenied(await errorOf(send(sdk, user.sqs, other.url)), user.arn, 'SendMessage', other.arn);
  });

  it('treats a queue policy naming the account as delegation: the user still needs an identity allow', async () => {
    const q = await queue();
    await setQueuePolicy(sdk, root(), q.url, queuePolicy(`arn:aws:iam::${ACCOUNT}:root`, 'sqs:*', q.arn));
    const without = await userWith();
    expectAccessDenied(await errorOf(send(sdk, without.sqs, q.url)), without.arn, 'SendMessage', q.arn);
    const withAllow = await userWith(policy(allow('sqs:SendMessage')));
    await send(sdk, withAllow.sqs, q.url);
  });

  it('allows anyone in the account through Principal "*"', async () => {
    const q = await queue();
    await setQueuePolicy(sdk, root(), q.url, policy({ Effect: 'Allow', Principal: '*', Action: 'sqs:SendMessage', Resource: q.arn }));
    const user = await userWith();
    await send(sdk, user.sqs, q.url);
  });

  it('lets an explicit Deny in the identity policy override a queue-policy allow', async () => {
    const q = await queue();
    const user = await userWith(policy(allow('sqs:*'), deny('sqs:SendMessage', q.arn)));
    await setQueuePolicy(sdk, root(), q.url, queuePolicy(user.arn, 'sqs:SendMessage', q.arn));
    const error = await errorOf(send(sdk, user.sqs, q.url));
    expectAccessDenied(error, user.arn, 'SendMessage', q.arn);
    expect(error.message).toContain('with an explicit deny');
    await receive(sdk, user.sqs, q.url);
  });

  it('lets an explicit Deny in the queue policy override identity allows, even for the root user', async () => {
    const q = await queue();
    const user = await userWith(policy(allow('sqs:*')));
    await setQueuePolicy(
      sdk,
      root(),
      q.url,
      policy(
        { Effect: 'Deny', Principal: { AWS: user.arn }, Action: 'sqs:ReceiveMessage', Resource: q.arn },
        { Effect: 'Deny', Principal: '*', Action: 'sqs:PurgeQueue', Resource: q.arn },
      ),
    );
    await send(sdk, user.sqs, q.url);
    expectAccessDenied(await errorOf(receive(sdk, user.sqs, q.url)), user.arn, 'ReceiveMessage', q.arn);
    expectAccessDenied(
      await errorOf(root().send(new sdk.PurgeQueueCommand({ QueueUrl: q.url }))),
      `arn:aws:iam::${ACCOUNT}:root`,
      'PurgeQueue',
      q.arn,
    );
  });

  it('evaluates queue policy conditions against the request (aws:SourceIp, aws:SecureTransport)', async () => {
    const q = await queue();
    const user = await userWith();
    const grant = (condition: Record<string, unknown>) =>
      setQueuePolicy(sdk, root(), q.url, policy({ Effect: 'Allow', Principal: { AWS: user.arn }, Action: 'sqs:SendMessage', Resource: q.arn, Condition: condition }));
    await grant({ IpAddress: { 'aws:SourceIp': '127.0.0.0/8' } });
    await send(sdk, user.sqs, q.url);
    await grant({ IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } });
    expectAccessDenied(await errorOf(send(sdk, user.sqs, q.url)), user.arn, 'SendMessage', q.arn);
    await grant({ Bool: { 'aws:SecureTransport': 'true' } });
    expectAccessDenied(await errorOf(send(sdk, user.sqs, q.url)), user.arn, 'SendMessage', q.arn);
    await grant({ Bool: { 'aws:SecureTransport': 'false' } });
    await send(sdk, user.sqs, q.url);
  });

  it('substitutes policy variables such as ${aws:username} in identity policies', async () => {
    const name = uniqueName('varuser');
    const own = await makeQueue(sdk, root(), `${name}-inbox`);
    const other = await queue();
    const user = await createUserWithKey(iam(), name, policy(allow('sqs:SendMessage', `arn:aws:sqs:us-east-1:${ACCOUNT}:\${aws:username}-*`)));
    const client = sqsAs(sdk, server.url, user.credentials);
    await send(sdk, client, own.url);
    expectAccessDenied(await errorOf(send(sdk, client, other.url)), user.arn, 'SendMessage', other.arn);
  });

  it('rejects a malformed Policy attribute with InvalidAttributeValue and says why', async () => {
    const q = await queue();
    const attempts: Array<[string, RegExp]> = [
      ['{not json', /JSON|parse|syntax/i],
      [JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: q.arn }] }), /principal/i],
      [JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Perhaps', Principal: '*', Action: 'sqs:*', Resource: q.arn }] }), /Effect/],
    ];
    for (const [bad, why] of attempts) {
      const error = await errorOf(setQueuePolicy(sdk, root(), q.url, bad));
      expect(error, bad).toMatchObject({ code: 'InvalidAttributeValue', status: 400 });
      expect(error.message, bad).toMatch(/^Invalid value for the parameter Policy\. Reason: /);
      expect(error.message, bad).toMatch(why);
    }
    const created = await errorOf(
      root().send(new sdk.CreateQueueCommand({ QueueName: uniqueName('badpolicy'), Attributes: { Policy: '{"Statement": 3}' } })),
    );
    expect(created).toMatchObject({ code: 'InvalidAttributeValue', status: 400 });
    const { Attributes } = await root().send(new sdk.GetQueueAttributesCommand({ QueueUrl: q.url, AttributeNames: ['Policy'] }));
    expect(Attributes?.Policy).toBeUndefined();
  });

  it('writes AddPermission grants that the evaluator honours for the account named', async () => {
    const q = await queue();
    const user = await userWith(policy(allow('sqs:SendMessage')));
    await root().send(new sdk.AddPermissionCommand({ QueueUrl: q.url, Label: 'self', AWSAccountIds: [ACCOUNT], Actions: ['SendMessage'] }));
    await send(sdk, user.sqs, q.url);
    await root().send(new sdk.RemovePermissionCommand({ QueueUrl: q.url, Label: 'self' }));
    await send(sdk, user.sqs, q.url);
  });
});

describe('who may change a queue policy', () => {
  it('needs sqs:SetQueueAttributes (and sqs:AddPermission) in the identity policy', async () => {
    const [{ sdk }] = protocols;
    const q = await makeQueue(sdk, sqsAs(sdk, server.url), uniqueName('guarded'));
    const name = uniqueName('escalate');
    const user = await createUserWithKey(iam(), name, policy(allow('sqs:SendMessage')));
    const client = sqsAs(sdk, server.url, user.credentials);
    expectAccessDenied(
      await errorOf(setQueuePolicy(sdk, client, q.url, queuePolicy(user.arn, 'sqs:*', q.arn))),
      user.arn,
      'SetQueueAttributes',
      q.arn,
    );
    expectAccessDenied(
      await errorOf(client.send(new sdk.AddPermissionCommand({ QueueUrl: q.url, Label: 'me', AWSAccountIds: [ACCOUNT], Actions: ['*'] }))),
      user.arn,
      'AddPermission',
      q.arn,
    );
    await iam().send(new Iam.PutUserPolicyCommand({ UserName: name, PolicyName: 'admin', PolicyDocument: policy(allow('sqs:SetQueueAttributes', q.arn)) }));
    await setQueuePolicy(sdk, client, q.url, queuePolicy(user.arn, 'sqs:ReceiveMessage', q.arn));
    await receive(sdk, client, q.url);
  });
});
