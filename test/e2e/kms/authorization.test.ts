/**
 * Authorization of KMS calls: the key policy is the authority, IAM policies count only where it
 * delegates to the account, the resource is always the key ARN, an IAM Deny still wins, and the
 * kms:EncryptionContext:<key>, kms:CallerAccount, kms:RequestAlias and kms:ResourceAliases condition keys.
 * Account B (111111111111) is declared in the `accounts` config, with a user bob allowed kms:* by IAM.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, testCredentials, uniqueName, type TestServer } from '../../support/sealq.js';
import { allow, createUserWithKey, deny, Iam, iamAs, policy, type Credentials } from '../identity/helpers.js';
import { ACCOUNT, delegateToAccount, keyAllow, keyPolicy, Kms, kmsAs, kmsError, newKey, text, uniqueAlias, utf8 } from './helpers.js';

const B = '111111111111';
const bob: Credentials = { accessKeyId: 'AKIABBBBBOB000000001', secretAccessKey: 'account-b-bob-secret-0000000000000000000' };
const BOB_ARN = `arn:aws:iam::${B}:user/bob`;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    accounts: JSON.stringify([
      {
        id: B,
        users: [{ name: 'bob', accessKeys: [{ id: bob.accessKeyId, secret: bob.secretAccessKey }], policies: { kms: policy(allow('kms:*')) } }],
      },
    ]),
  });
});
afterAll(async () => {
  await server.stop();
});

const kms = (credentials?: Credentials) => kmsAs(server.url, credentials);
const user = (identityPolicy?: string) => createUserWithKey(iamAs(server.url), uniqueName('kms-user'), identityPolicy);
const encrypt = (who: Credentials, keyId: string, context?: Record<string, string>) =>
  kms(who).send(new Kms.EncryptCommand({ KeyId: keyId, Plaintext: utf8('data'), EncryptionContext: context }));
const denied = (principal: string, action: string, keyArn: string) => ({
  name: 'AccessDeniedException',
  status: 400,
  message: expect.stringContaining(`User: ${principal} is not authorized to perform: kms:${action} on resource: ${keyArn}`) as unknown as string,
});

describe('IAM policies and the key policy', () => {
  it('an IAM allow on the full key ARN works when the key policy delegates to the account, whatever KeyId form is used', async () => {
    const key = await newKey(kms());
    const alias = uniqueAlias('iam');
    await kms().send(new Kms.CreateAliasCommand({ AliasName: alias, TargetKeyId: key.keyId }));
    const u = await user(policy(allow('kms:Encrypt', key.arn)));
    for (const form of [key.keyId, key.arn, alias, `arn:aws:kms:us-east-1:${ACCOUNT}:${alias}`]) {
      expect((await encrypt(u.credentials, form)).KeyId).toBe(key.arn);
    }
    const { CiphertextBlob } = await encrypt(u.credentials, key.keyId);
    expect(await kmsError(kms(u.credentials).send(new Kms.DecryptCommand({ CiphertextBlob })))).toEqual(denied(u.arn, 'Decrypt', key.arn));
    const other = await newKey(kms());
    expect(await kmsError(encrypt(u.credentials, other.keyId))).toEqual(denied(u.arn, 'Encrypt', other.arn));
  });

  it('an IAM policy naming the alias ARN does not cover the key: the resource is always the key ARN', async () => {
    const key = await newKey(kms());
    const alias = uniqueAlias('by-alias');
    await kms().send(new Kms.CreateAliasCommand({ AliasName: alias, TargetKeyId: key.keyId }));
    const u = await user(policy(allow('kms:Encrypt', `arn:aws:kms:us-east-1:${ACCOUNT}:${alias}`)));
    expect(await kmsError(encrypt(u.credentials, alias))).toEqual(denied(u.arn, 'Encrypt', key.arn));
  });

  it('access by alias goes through kms:RequestAlias and kms:ResourceAliases', async () => {
    const key = await newKey(kms());
    const alias = uniqueAlias('abac');
    await kms().send(new Kms.CreateAliasCommand({ AliasName: alias, TargetKeyId: key.keyId }));
    const requestAlias = await user(policy(allow('kms:Encrypt', '*', { Condition: { StringEquals: { 'kms:RequestAlias': alias } } })));
    await encrypt(requestAlias.credentials, alias);
    expect(await kmsError(encrypt(requestAlias.credentials, key.keyId))).toEqual(denied(requestAlias.arn, 'Encrypt', key.arn));

    const resourceAliases = await user(policy(allow('kms:Encrypt', '*', { Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': alias } } })));
    await encrypt(resourceAliases.credentials, key.keyId);
    await kms().send(new Kms.DeleteAliasCommand({ AliasName: alias }));
    expect(await kmsError(encrypt(resourceAliases.credentials, key.keyId))).toEqual(denied(resourceAliases.arn, 'Encrypt', key.arn));
  });

  it('an IAM allow is ineffective when the key policy does not delegate to the account', async () => {
    const admin = await user();
    const key = await newKey(kms(), { Policy: keyPolicy(keyAllow(admin.arn)), BypassPolicyLockoutSafetyCheck: true });
    const u = await user(policy(allow(['kms:Encrypt', 'kms:DescribeKey'], key.arn)));
    expect(await kmsError(encrypt(u.credentials, key.arn))).toEqual(denied(u.arn, 'Encrypt', key.arn));
    expect(await kmsError(kms(u.credentials).send(new Kms.DescribeKeyCommand({ KeyId: key.arn })))).toEqual(denied(u.arn, 'DescribeKey', key.arn));
    // The principal the key policy names needs no IAM policy at all.
    expect((await encrypt(admin.credentials, key.arn)).KeyId).toBe(key.arn);
  });

  it('an explicit IAM Deny beats a key policy that allows the user by name', async () => {
    const u = await user();
    const key = await newKey(kms(), { Policy: keyPolicy(delegateToAccount(), keyAllow(u.arn, ['kms:Encrypt', 'kms:Decrypt'])) });
    const { CiphertextBlob } = await encrypt(u.credentials, key.keyId);
    const userName = u.arn.split('/').pop()!;
    await iamAs(server.url).send(new Iam.PutUserPolicyCommand({ UserName: userName, PolicyName: 'deny', PolicyDocument: policy(deny('kms:Encrypt', key.arn)) }));
    const error = await kmsError(encrypt(u.credentials, key.keyId));
    expect(error).toEqual(denied(u.arn, 'Encrypt', key.arn));
    expect(error.message).toContain('explicit deny');
    // The Deny names Encrypt only.
    expect(text((await kms(u.credentials).send(new Kms.DecryptCommand({ CiphertextBlob }))).Plaintext)).toBe('data');
  });
});

describe('condition keys in a key policy', () => {
  it('kms:EncryptionContext:<key> requires the pair in the request (key name case-insensitive, value exact)', async () => {
    const u = await user();
    const key = await newKey(kms(), {
      Policy: keyPolicy(delegateToAccount(), keyAllow(u.arn, ['kms:Encrypt', 'kms:Decrypt'], { Condition: { StringEquals: { 'kms:EncryptionContext:purpose': 'billing' } } })),
    });
    const { CiphertextBlob } = await encrypt(u.credentials, key.keyId, { purpose: 'billing', other: 'x' });
    const back = await kms(u.credentials).send(new Kms.DecryptCommand({ CiphertextBlob, EncryptionContext: { purpose: 'billing', other: 'x' } }));
    expect(text(back.Plaintext)).toBe('data');
    await encrypt(u.credentials, key.keyId, { Purpose: 'billing' });

    for (const context of [{ purpose: 'Billing' }, { purpose: 'other' }, { unrelated: 'billing' }, undefined] as Array<Record<string, string> | undefined>) {
      expect(await kmsError(encrypt(u.credentials, key.keyId, context))).toEqual(denied(u.arn, 'Encrypt', key.arn));
    }
    // The root still has the key through the account statement, context or not.
    await encrypt(testCredentials, key.keyId);
  });

  it('kms:CallerAccount with Principal * admits the named account\'s principals only', async () => {
    const key = await newKey(kms(), {
      Policy: keyPolicy(delegateToAccount(), keyAllow('*', 'kms:Encrypt', { Condition: { StringEquals: { 'kms:CallerAccount': ACCOUNT } } })),
    });
    const local = await user();
    expect((await encrypt(local.credentials, key.arn)).KeyId).toBe(key.arn);
    // bob (account B) has an IAM allow for kms:*, but the key policy admits account A's callers only.
    expect(await kmsError(encrypt(bob, key.arn))).toEqual(denied(BOB_ARN, 'Encrypt', key.arn));

    const forB = await newKey(kms(), {
      Policy: keyPolicy(delegateToAccount(), keyAllow('*', 'kms:Encrypt', { Condition: { StringEquals: { 'kms:CallerAccount': B } } })),
    });
    expect((await encrypt(bob, forB.arn)).KeyId).toBe(forB.arn);
    expect(await kmsError(encrypt(local.credentials, forB.arn))).toEqual(denied(local.arn, 'Encrypt', forB.arn));
  });
});

describe('operations without a key', () => {
  it('CreateKey, ListKeys and ListAliases need an IAM allow', async () => {
    const nobody = await user();
    const denyAll = (action: string) => ({
      name: 'AccessDeniedException',
      status: 400,
      message: expect.stringContaining(`User: ${nobody.arn} is not authorized to perform: kms:${action}`) as unknown as string,
    });
    expect(await kmsError(kms(nobody.credentials).send(new Kms.CreateKeyCommand({})))).toEqual(denyAll('CreateKey'));
    expect(await kmsError(kms(nobody.credentials).send(new Kms.ListKeysCommand({})))).toEqual(denyAll('ListKeys'));
    expect(await kmsError(kms(nobody.credentials).send(new Kms.ListAliasesCommand({})))).toEqual(denyAll('ListAliases'));

    const creator = await user(policy(allow(['kms:CreateKey', 'kms:ListKeys'])));
    const { KeyMetadata } = await kms(creator.credentials).send(new Kms.CreateKeyCommand({}));
    const { Keys } = await kms(creator.credentials).send(new Kms.ListKeysCommand({}));
    expect(Keys!.map((k) => k.KeyId)).toContain(KeyMetadata!.KeyId);
  });
});
