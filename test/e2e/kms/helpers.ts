/**
 * Shared pieces of the KMS end-to-end suite: a real @aws-sdk/client-kms client pointed at a test
 * server with any credentials, key-policy builders, and the error reduced to what the SDK sees.
 */
import * as Kms from '@aws-sdk/client-kms';
import { KMSClient } from '@aws-sdk/client-kms';
import { testCredentials } from '../../support/sealq.js';
import { REGION, type Credentials } from '../identity/helpers.js';

export { Kms };

export const ACCOUNT = '000000000000';
export const ROOT_ARN = `arn:aws:iam::${ACCOUNT}:root`;

export const kmsAs = (url: string, credentials: Credentials = testCredentials): KMSClient =>
  new KMSClient({ endpoint: url, region: REGION, credentials, maxAttempts: 1 });

/** What a failed KMS call looks like through the SDK: the modelled error name, HTTP status, message. */
export interface KmsWireError {
  name: string;
  status: number | undefined;
  message: string;
}

export async function kmsError(promise: Promise<unknown>): Promise<KmsWireError> {
  try {
    await promise;
  } catch (error) {
    const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  throw new Error('expected the KMS call to fail, but it succeeded');
}

/** A key policy document as text. */
export const keyPolicy = (...statements: Array<Record<string, unknown>>): string =>
  JSON.stringify({ Version: '2012-10-17', Statement: statements });

/** A key-policy statement allowing `principal` (an ARN or '*') the given actions on the key. */
export const keyAllow = (principal: string | string[], action: string | string[] = 'kms:*', extra: Record<string, unknown> = {}) => ({
  Effect: 'Allow',
  Principal: { AWS: principal },
  Action: action,
  Resource: '*',
  ...extra,
});

/** The statement of the default key policy: the account (its root, and so its IAM policies) may do anything. */
export const delegateToAccount = (account = ACCOUNT) => keyAllow(`arn:aws:iam::${account}:root`, 'kms:*', { Sid: 'Enable IAM User Permissions' });

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
export const text = (bytes: Uint8Array | undefined): string => new TextDecoder().decode(bytes);

/** Creates a key as `client` and returns its id and ARN. */
export async function newKey(client: KMSClient, input: Kms.CreateKeyCommandInput = {}): Promise<{ keyId: string; arn: string }> {
  const { KeyMetadata } = await client.send(new Kms.CreateKeyCommand(input));
  return { keyId: KeyMetadata!.KeyId!, arn: KeyMetadata!.Arn! };
}

let counter = 0;
/** An alias name no other test uses. */
export const uniqueAlias = (prefix = 'test'): string => `alias/${prefix}-${process.pid}-${Date.now().toString(36)}-${++counter}`;
