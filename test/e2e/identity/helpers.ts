/**
 * Shared pieces of the identity end-to-end suite: real SDK clients (SQS over both protocols, IAM,
 * STS) pointed at a test server with any credentials, and small builders for policies and users.
 */
import { randomBytes } from 'node:crypto';
import { IAMClient } from '@aws-sdk/client-iam';
import * as Iam from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import * as Sts from '@aws-sdk/client-sts';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { errorOf, testCredentials, type Sdk, type TestServer, type WireError } from '../../support/sealq.js';

export { Iam, Sts };

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export const REGION = 'us-east-1';

/** Options every client shares: the server, us-east-1, no retries. */
const base = (url: string, credentials: Credentials, extra: Record<string, unknown> = {}) => ({
  endpoint: url,
  region: REGION,
  credentials,
  maxAttempts: 1,
  ...extra,
});

export const sqsAs = (sdk: Sdk, url: string, credentials: Credentials = testCredentials, extra: Record<string, unknown> = {}): SQSClient =>
  new sdk.SQSClient(base(url, credentials, extra));

export const iamAs = (url: string, credentials: Credentials = testCredentials, extra: Record<string, unknown> = {}): IAMClient =>
  new IAMClient(base(url, credentials, extra));

export const stsAs = (url: string, credentials: Credentials = testCredentials, extra: Record<string, unknown> = {}): STSClient =>
  new STSClient(base(url, credentials, extra));

/** An IAM policy document as text. */
export function policy(...statements: Array<Record<string, unknown>>): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

export const allow = (action: string | string[], resource: string | string[] = '*', extra: Record<string, unknown> = {}) => ({
  Effect: 'Allow',
  Action: action,
  Resource: resource,
  ...extra,
});

export const deny = (action: string | string[], resource: string | string[] = '*', extra: Record<string, unknown> = {}) => ({
  Effect: 'Deny',
  Action: action,
  Resource: resource,
  ...extra,
});

/** A trust policy letting the given AWS principals call sts:AssumeRole. */
export const trust = (...principals: string[]) =>
  policy({ Effect: 'Allow', Principal: { AWS: principals.length === 1 ? principals[0] : principals }, Action: 'sts:AssumeRole' });

/** Creates an IAM user with one access key (and optionally an inline policy) as the caller `iam`. */
export async function createUserWithKey(
  iam: IAMClient,
  userName: string,
  inlinePolicy?: string,
): Promise<{ credentials: Credentials; arn: string; userId: string }> {
  const { User } = await iam.send(new Iam.CreateUserCommand({ UserName: userName }));
  const { AccessKey } = await iam.send(new Iam.CreateAccessKeyCommand({ UserName: userName }));
  if (inlinePolicy) {
    await iam.send(new Iam.PutUserPolicyCommand({ UserName: userName, PolicyName: 'inline', PolicyDocument: inlinePolicy }));
  }
  return {
    credentials: { accessKeyId: AccessKey!.AccessKeyId!, secretAccessKey: AccessKey!.SecretAccessKey! },
    arn: User!.Arn!,
    userId: User!.UserId!,
  };
}

const assumers = new Map<string, Promise<STSClient>>();
/**
 * STS as an IAM user of the given root's account whose identity policy allows sts:AssumeRole:
 * AWS refuses AssumeRole to root credentials, so tests assume roles as this user (one per
 * server and account). A trust policy naming the account root lets such a user in.
 */
export function assumerSts(url: string, root: Credentials = testCredentials): Promise<STSClient> {
  const key = `${url} ${root.accessKeyId}`;
  let client = assumers.get(key);
  if (!client) {
    client = createUserWithKey(iamAs(url, root), `role-assumer-${randomBytes(4).toString('hex')}`, policy(allow('sts:AssumeRole'))).then((u) =>
      stsAs(url, u.credentials),
    );
    assumers.set(key, client);
  }
  return client;
}

/** Assumes a role and returns the session's credentials. */
export async function assumeRole(
  sts: STSClient,
  roleArn: string,
  sessionName: string,
  extra: { Policy?: string; DurationSeconds?: number } = {},
): Promise<Credentials & { arn: string; assumedRoleId: string; expiration: Date }> {
  const out = await sts.send(new Sts.AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName, ...extra }));
  return {
    accessKeyId: out.Credentials!.AccessKeyId!,
    secretAccessKey: out.Credentials!.SecretAccessKey!,
    sessionToken: out.Credentials!.SessionToken!,
    arn: out.AssumedRoleUser!.Arn!,
    assumedRoleId: out.AssumedRoleUser!.AssumedRoleId!,
    expiration: out.Credentials!.Expiration!,
  };
}

/** Who the server thinks is calling with these credentials. */
export async function whoAmI(url: string, credentials: Credentials) {
  const out = await stsAs(url, credentials).send(new Sts.GetCallerIdentityCommand({}));
  return { UserId: out.UserId, Account: out.Account, Arn: out.Arn };
}

/** The SQS AccessDenied both protocols carry, with the start of AWS's message. */
export function expectAccessDenied(error: WireError, principalArn: string, action: string, resource: string): void {
  if (error.code !== 'AccessDenied' || error.status !== 403) {
    throw new Error(`expected AccessDenied 403, got ${JSON.stringify(error)}`);
  }
  const expected = `User: ${principalArn} is not authorized to perform: sqs:${action} on resource: ${resource}`;
  if (!error.message.startsWith(expected)) throw new Error(`expected a message starting '${expected}', got '${error.message}'`);
}

export { errorOf };

/** A queue created by `client` (by default the default account's root), returning URL and ARN. */
export async function makeQueue(
  sdk: Sdk,
  client: SQSClient,
  name: string,
  attributes: Record<string, string> = {},
): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await client.send(new sdk.CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const { Attributes } = await client.send(new sdk.GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  return { url: QueueUrl!, arn: Attributes!.QueueArn! };
}

export const setQueuePolicy = (sdk: Sdk, client: SQSClient, url: string, document: string) =>
  client.send(new sdk.SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Policy: document } }));

/** A queue policy (2012-10-17) with one Allow statement for the given principals. */
export const queuePolicy = (principals: string | string[], action: string | string[], resource: string, effect = 'Allow') =>
  policy({ Effect: effect, Principal: { AWS: principals }, Action: action, Resource: resource });

export const send = (sdk: Sdk, client: SQSClient, url: string, body = 'hello') =>
  client.send(new sdk.SendMessageCommand({ QueueUrl: url, MessageBody: body }));

export const receive = (sdk: Sdk, client: SQSClient, url: string) =>
  client.send(new sdk.ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));

export type { TestServer };
