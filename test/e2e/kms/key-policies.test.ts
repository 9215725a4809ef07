/**
 * Key policies (Get/Put/ListKeyPolicies: the name `default`, the 32 KB limit, the lockout safety
 * check) and the AWS managed key `alias/aws/sqs`: created on first use, usable only through SQS,
 * its policy and state fixed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, uniqueName, type TestServer } from '../../support/sealq.js';
import { createUserWithKey, iamAs } from '../identity/helpers.js';
import { ACCOUNT, delegateToAccount, keyAllow, keyPolicy, Kms, kmsAs, kmsError, newKey, ROOT_ARN, utf8 } from './helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

const kms = () => kmsAs(server.url);
const getPolicy = async (keyId: string) => (await kms().send(new Kms.GetKeyPolicyCommand({ KeyId: keyId }))).Policy!;

describe('Get, Put and ListKeyPolicies', () => {
  it('has exactly one policy, named default', async () => {
    const key = await newKey(kms());
    expect(await kms().send(new Kms.ListKeyPoliciesCommand({ KeyId: key.keyId }))).toMatchObject({ PolicyNames: ['default'], Truncated: false });
    // PolicyName is optional and means `default`.
    expect(await kms().send(new Kms.GetKeyPolicyCommand({ KeyId: key.keyId }))).toMatchObject({ PolicyName: 'default' });
    expect(await kmsError(kms().send(new Kms.GetKeyPolicyCommand({ KeyId: key.keyId, PolicyName: 'other' })))).toMatchObject({ name: 'NotFoundException', status: 400 });
    const document = keyPolicy(delegateToAccount());
    expect(await kmsError(kms().send(new Kms.PutKeyPolicyCommand({ KeyId: key.keyId, PolicyName: 'other', Policy: document })))).toMatchObject({
      name: 'NotFoundException',
      status: 400,
    });
  });

  it('replaces the policy, by any key form', async () => {
    const key = await newKey(kms());
    const document = keyPolicy(delegateToAccount(), keyAllow('*', 'kms:Describe*', { Sid: 'Look', Condition: { StringEquals: { 'kms:CallerAccount': ACCOUNT } } }));
    await kms().send(new Kms.PutKeyPolicyCommand({ KeyId: key.arn, PolicyName: 'default', Policy: document }));
    expect(await getPolicy(key.keyId)).toBe(document);
    const again = keyPolicy(delegateToAccount());
    await kms().send(new Kms.PutKeyPolicyCommand({ KeyId: key.keyId, Policy: again }));
    expect(await getPolicy(key.keyId)).toBe(again);
  });

  it('refuses policies over 32 KB and malformed ones, keeping the old policy', async () => {
    const key = await newKey(kms());
    const original = await getPolicy(key.keyId);
    const statement = delegateToAccount();
    const padded = (bytes: number) => {
      const base = keyPolicy({ ...statement, Sid: '' });
      return keyPolicy({ ...statement, Sid: 'x'.repeat(bytes - Buffer.byteLength(base)) });
    };
    expect(Buffer.byteLength(padded(32_768))).toBe(32_768);
    await kms().send(new Kms.PutKeyPolicyCommand({ KeyId: key.keyId, Policy: padded(32_768) }));
    expect(await kmsError(kms().send(new Kms.PutKeyPolicyCommand({ KeyId: key.keyId, Policy: padded(32_769) })))).toMatchObject({
      name: 'LimitExceededException',
      status: 400,
    });
    expect(await kmsError(kms().send(new Kms.CreateKeyCommand({ Policy: padded(32_769) })))).toMatchObject({ name: 'LimitExceededException', status: 400 });
    await kms().send(new Kms.PutKeyPolicyCommand({ KeyId: key.keyId, Policy: original }));
    expect(await kmsError(kms().send(new Kms.PutKeyPolicyCommand({ KeyId: key.keyId, Policy: '{"Statement": [' })))).toMatchObject({
      name: 'MalformedPolicyDocumentException',
      status: 400,
    });
    expect(await getPolicy(key.keyId)).toBe(original);
  });

  it('applies the lockout safety check unless bypassed', async () => {
    const key = await newKey(kms());
    const original = await getPolicy(key.keyId);
    const other = await createUserWithKey(iamAs(server.url), uniqueName('kms-other'));
    const lockout = keyPolicy(keyAllow(other.arn));
    expect(await kmsError(kms().send(new Kms.PutKeyPolicyCommand({ KeyId: key.keyId, Policy: lockout })))).toEqual({
      name: 'MalformedPolicyDocumentException',
      status: 400,
      message: 'The new key policy will not allow you to update the key policy in the future.',
    });
    expect(await getPolicy(key.keyId)).toBe(original);
    // A policy letting the caller use but not administer the key is refused too.
    const useOnly = keyPolicy(keyAllow(ROOT_ARN, ['kms:Encrypt', 'kms:Decrypt', 'kms:GetKeyPolicy']));
    expect(await kmsError(kms().send(new Kms.PutKeyPolicyCommand({ KeyId: key.keyId, Policy: useOnly })))).toMatchObject({ name: 'MalformedPolicyDocumentException' });

    await kms().send(new Kms.PutKeyPolicyCommand({ KeyId: key.keyId, Policy: lockout, BypassPolicyLockoutSafetyCheck: true }));
    expect(await kmsError(kms().send(new Kms.GetKeyPolicyCommand({ KeyId: key.keyId })))).toMatchObject({ name: 'AccessDeniedException', status: 400 });
    expect((await kmsAs(server.url, other.credentials).send(new Kms.GetKeyPolicyCommand({ KeyId: key.arn }))).Policy).toBe(lockout);
  });
});

describe('the AWS managed key alias/aws/sqs', () => {
  it('is created on first use, once, as an AWS managed key', async () => {
    const first = await kms().send(new Kms.DescribeKeyCommand({ KeyId: 'alias/aws/sqs' }));
    expect(first.KeyMetadata).toMatchObject({ KeyManager: 'AWS', KeyState: 'Enabled', Enabled: true, AWSAccountId: ACCOUNT, KeyUsage: 'ENCRYPT_DECRYPT' });
    const again = await kms().send(new Kms.DescribeKeyCommand({ KeyId: `arn:aws:kms:us-east-1:${ACCOUNT}:alias/aws/sqs` }));
    expect(again.KeyMetadata!.KeyId).toBe(first.KeyMetadata!.KeyId);
    const { Aliases } = await kms().send(new Kms.ListAliasesCommand({ KeyId: first.KeyMetadata!.KeyId }));
    expect(Aliases).toEqual([expect.objectContaining({ AliasName: 'alias/aws/sqs', AliasArn: `arn:aws:kms:us-east-1:${ACCOUNT}:alias/aws/sqs`, TargetKeyId: first.KeyMetadata!.KeyId })]);
    // AWS managed keys rotate every year, automatically.
    expect(await kms().send(new Kms.GetKeyRotationStatusCommand({ KeyId: first.KeyMetadata!.KeyId }))).toMatchObject({ KeyRotationEnabled: true });
  });

  it('has a policy allowing use only through SQS by the account, which cannot be changed', async () => {
    const { KeyMetadata } = await kms().send(new Kms.DescribeKeyCommand({ KeyId: 'alias/aws/sqs' }));
    const policy = JSON.parse(await getPolicy(KeyMetadata!.KeyId!)) as { Statement: Array<{ Action: string[]; Condition?: Record<string, Record<string, string>> }> };
    const use = policy.Statement.find((s) => s.Action.includes('kms:GenerateDataKey*'))!;
    expect(use.Condition).toEqual({ StringEquals: { 'kms:ViaService': 'sqs.us-east-1.amazonaws.com', 'kms:CallerAccount': ACCOUNT } });

    const refused = await kmsError(kms().send(new Kms.PutKeyPolicyCommand({ KeyId: 'alias/aws/sqs', Policy: keyPolicy(delegateToAccount()) })));
    expect(refused).toMatchObject({ name: 'AccessDeniedException', status: 400 });
    const bypass = kms().send(new Kms.PutKeyPolicyCommand({ KeyId: KeyMetadata!.Arn, Policy: keyPolicy(delegateToAccount()), BypassPolicyLockoutSafetyCheck: true }));
    expect(await kmsError(bypass)).toMatchObject({ name: 'AccessDeniedException', status: 400 });
    expect(JSON.parse(await getPolicy(KeyMetadata!.KeyId!))).toEqual(policy);
  });

  it('cannot be disabled or scheduled for deletion', async () => {
    const { KeyMetadata } = await kms().send(new Kms.DescribeKeyCommand({ KeyId: 'alias/aws/sqs' }));
    for (const call of [
      kms().send(new Kms.DisableKeyCommand({ KeyId: KeyMetadata!.KeyId })),
      kms().send(new Kms.ScheduleKeyDeletionCommand({ KeyId: KeyMetadata!.KeyId, PendingWindowInDays: 7 })),
      kms().send(new Kms.ScheduleKeyDeletionCommand({ KeyId: 'alias/aws/sqs' })),
    ]) {
      // Its key policy allows the account only Describe*, Get*, List* and RevokeGrant.
      expect(await kmsError(call)).toMatchObject({ name: 'AccessDeniedException', status: 400 });
    }
    expect((await kms().send(new Kms.DescribeKeyCommand({ KeyId: 'alias/aws/sqs' }))).KeyMetadata!.KeyState).toBe('Enabled');
  });

  it('refuses direct cryptographic use by the account root (no kms:ViaService)', async () => {
    const arn = (await kms().send(new Kms.DescribeKeyCommand({ KeyId: 'alias/aws/sqs' }))).KeyMetadata!.Arn!;
    for (const call of [
      kms().send(new Kms.EncryptCommand({ KeyId: 'alias/aws/sqs', Plaintext: utf8('direct') })),
      kms().send(new Kms.GenerateDataKeyCommand({ KeyId: 'alias/aws/sqs', KeySpec: 'AES_256' })),
    ]) {
      const error = await kmsError(call);
      expect(error).toMatchObject({ name: 'AccessDeniedException', status: 400 });
      expect(error.message).toContain(`User: ${ROOT_ARN} is not authorized to perform: kms:`);
      expect(error.message).toContain(arn);
    }
  });
});
