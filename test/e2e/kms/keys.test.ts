/**
 * KMS keys through @aws-sdk/client-kms: CreateKey (default and custom policies, the lockout safety
 * check, malformed policies), DescribeKey/ListKeys, the four KeyId forms, Enable/DisableKey,
 * ScheduleKeyDeletion/CancelKeyDeletion, and the wire shape of KMS errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, uniqueName, type TestServer } from '../../support/sealq.js';
import { createUserWithKey, iamAs } from '../identity/helpers.js';
import { ACCOUNT, delegateToAccount, keyAllow, keyPolicy, Kms, kmsAs, kmsError, newKey, ROOT_ARN, uniqueAlias, utf8 } from './helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

const kms = () => kmsAs(server.url);
const DAY = 86_400_000;

describe('CreateKey', () => {
  it('creates an enabled symmetric customer key with the default policy delegating to the account', async () => {
    const before = Date.now();
    const { KeyMetadata } = await kms().send(new Kms.CreateKeyCommand({ Description: 'orders' }));
    expect(KeyMetadata).toMatchObject({
      AWSAccountId: ACCOUNT,
      Arn: `arn:aws:kms:us-east-1:${ACCOUNT}:key/${KeyMetadata!.KeyId}`,
      Description: 'orders',
      Enabled: true,
      KeyState: 'Enabled',
      KeyManager: 'CUSTOMER',
      KeyUsage: 'ENCRYPT_DECRYPT',
      KeySpec: 'SYMMETRIC_DEFAULT',
      Origin: 'AWS_KMS',
      EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
    });
    expect(KeyMetadata!.KeyId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(KeyMetadata!.CreationDate!.getTime()).toBeGreaterThanOrEqual(before - 1000);

    const { Policy, PolicyName } = await kms().send(new Kms.GetKeyPolicyCommand({ KeyId: KeyMetadata!.KeyId, PolicyName: 'default' }));
    expect(PolicyName).toBe('default');
    expect(JSON.parse(Policy!)).toEqual({
      Version: '2012-10-17',
      Id: 'key-default-1',
      Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: ROOT_ARN }, Action: 'kms:*', Resource: '*' }],
    });
  });

  it('keeps a custom key policy as given', async () => {
    const document = keyPolicy(delegateToAccount(), keyAllow('*', 'kms:DescribeKey', { Sid: 'Everyone', Condition: { StringEquals: { 'kms:CallerAccount': ACCOUNT } } }));
    const key = await newKey(kms(), { Policy: document });
    expect((await kms().send(new Kms.GetKeyPolicyCommand({ KeyId: key.arn }))).Policy).toBe(document);
  });

  it('refuses a policy that would lock the caller out, unless BypassPolicyLockoutSafetyCheck', async () => {
    const admin = await createUserWithKey(iamAs(server.url), uniqueName('kms-admin'));
    const onlyAdmin = keyPolicy(keyAllow(admin.arn));
    expect(await kmsError(kms().send(new Kms.CreateKeyCommand({ Policy: onlyAdmin })))).toEqual({
      name: 'MalformedPolicyDocumentException',
      status: 400,
      message: 'The new key policy will not allow you to update the key policy in the future.',
    });

    const key = await newKey(kms(), { Policy: onlyAdmin, BypassPolicyLockoutSafetyCheck: true });
    // The account root is not exempt from a key policy: it is locked out, the admin is not.
    expect(await kmsError(kms().send(new Kms.DescribeKeyCommand({ KeyId: key.arn })))).toMatchObject({ name: 'AccessDeniedException', status: 400 });
    const described = await kmsAs(server.url, admin.credentials).send(new Kms.DescribeKeyCommand({ KeyId: key.arn }));
    expect(described.KeyMetadata!.KeyId).toBe(key.keyId);
  });

  it('refuses malformed policies with MalformedPolicyDocumentException', async () => {
    for (const bad of [
      'not json',
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] }),
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Perhaps', Principal: { AWS: ROOT_ARN }, Action: 'kms:*', Resource: '*' }] }),
    ]) {
      expect(await kmsError(kms().send(new Kms.CreateKeyCommand({ Policy: bad })))).toMatchObject({ name: 'MalformedPolicyDocumentException', status: 400 });
    }
  });
});

describe('DescribeKey and ListKeys', () => {
  it('lists the account\'s keys, in pages', async () => {
    const a = await newKey(kms());
    const b = await newKey(kms());
    const all = await kms().send(new Kms.ListKeysCommand({}));
    expect(all.Keys).toEqual(expect.arrayContaining([{ KeyId: a.keyId, KeyArn: a.arn }, { KeyId: b.keyId, KeyArn: b.arn }]));
    expect(all.Truncated).toBe(false);

    const seen: string[] = [];
    let marker: string | undefined;
    do {
      const page = await kms().send(new Kms.ListKeysCommand({ Limit: 1, Marker: marker }));
      expect(page.Keys).toHaveLength(1);
      seen.push(page.Keys![0].KeyId!);
      marker = page.Truncated ? page.NextMarker : undefined;
    } while (marker);
    expect(seen).toEqual(all.Keys!.map((k) => k.KeyId));
  });

  it('answers NotFoundException for an unknown key', async () => {
    const id = '11111111-2222-3333-4444-555555555555';
    expect(await kmsError(kms().send(new Kms.DescribeKeyCommand({ KeyId: id })))).toEqual({
      name: 'NotFoundException',
      status: 400,
      message: `Key 'arn:aws:kms:us-east-1:${ACCOUNT}:key/${id}' does not exist`,
    });
  });

  it('accepts the key id, key ARN, alias name and alias ARN for DescribeKey and Encrypt', async () => {
    const key = await newKey(kms());
    const alias = uniqueAlias('forms');
    await kms().send(new Kms.CreateAliasCommand({ AliasName: alias, TargetKeyId: key.keyId }));
    for (const form of [key.keyId, key.arn, alias, `arn:aws:kms:us-east-1:${ACCOUNT}:${alias}`]) {
      const { KeyMetadata } = await kms().send(new Kms.DescribeKeyCommand({ KeyId: form }));
      expect([form, KeyMetadata!.KeyId, KeyMetadata!.Arn]).toEqual([form, key.keyId, key.arn]);
      const encrypted = await kms().send(new Kms.EncryptCommand({ KeyId: form, Plaintext: utf8('x') }));
      expect([form, encrypted.KeyId]).toEqual([form, key.arn]);
    }
  });
});

describe('EnableKey and DisableKey', () => {
  it('a disabled key refuses Encrypt, Decrypt and GenerateDataKey with DisabledException', async () => {
    const key = await newKey(kms());
    const { CiphertextBlob } = await kms().send(new Kms.EncryptCommand({ KeyId: key.keyId, Plaintext: utf8('before') }));
    await kms().send(new Kms.DisableKeyCommand({ KeyId: key.keyId }));
    const { KeyMetadata } = await kms().send(new Kms.DescribeKeyCommand({ KeyId: key.keyId }));
    expect(KeyMetadata).toMatchObject({ KeyState: 'Disabled', Enabled: false });

    const disabled = { name: 'DisabledException', status: 400, message: `${key.arn} is disabled.` };
    expect(await kmsError(kms().send(new Kms.EncryptCommand({ KeyId: key.keyId, Plaintext: utf8('x') })))).toEqual(disabled);
    expect(await kmsError(kms().send(new Kms.DecryptCommand({ CiphertextBlob })))).toEqual(disabled);
    expect(await kmsError(kms().send(new Kms.GenerateDataKeyCommand({ KeyId: key.keyId, KeySpec: 'AES_256' })))).toEqual(disabled);

    await kms().send(new Kms.EnableKeyCommand({ KeyId: key.arn }));
    expect((await kms().send(new Kms.DescribeKeyCommand({ KeyId: key.keyId }))).KeyMetadata).toMatchObject({ KeyState: 'Enabled', Enabled: true });
    const { Plaintext } = await kms().send(new Kms.DecryptCommand({ CiphertextBlob }));
    expect(new TextDecoder().decode(Plaintext)).toBe('before');
  });
});

describe('ScheduleKeyDeletion and CancelKeyDeletion', () => {
  it('defaults to 30 days and accepts 7 to 30 only', async () => {
    const key = await newKey(kms());
    const before = Date.now();
    const out = await kms().send(new Kms.ScheduleKeyDeletionCommand({ KeyId: key.keyId }));
    expect(out).toMatchObject({ KeyId: key.arn, KeyState: 'PendingDeletion', PendingWindowInDays: 30 });
    expect(out.DeletionDate!.getTime()).toBeGreaterThanOrEqual(before + 30 * DAY - 1000);
    expect(out.DeletionDate!.getTime()).toBeLessThanOrEqual(Date.now() + 30 * DAY + 1000);

    for (const days of [7, 30]) {
      const other = await newKey(kms());
      expect((await kms().send(new Kms.ScheduleKeyDeletionCommand({ KeyId: other.keyId, PendingWindowInDays: days }))).PendingWindowInDays).toBe(days);
    }
    const fresh = await newKey(kms());
    for (const days of [6, 31, 0]) {
      expect(await kmsError(kms().send(new Kms.ScheduleKeyDeletionCommand({ KeyId: fresh.keyId, PendingWindowInDays: days })))).toMatchObject({
        name: 'ValidationException',
        status: 400,
      });
    }
    expect((await kms().send(new Kms.DescribeKeyCommand({ KeyId: fresh.keyId }))).KeyMetadata!.KeyState).toBe('Enabled');
  });

  it('a key pending deletion refuses use with KMSInvalidStateException; cancelling leaves it Disabled', async () => {
    const key = await newKey(kms());
    const { CiphertextBlob } = await kms().send(new Kms.EncryptCommand({ KeyId: key.keyId, Plaintext: utf8('kept') }));
    await kms().send(new Kms.ScheduleKeyDeletionCommand({ KeyId: key.keyId, PendingWindowInDays: 7 }));

    const { KeyMetadata } = await kms().send(new Kms.DescribeKeyCommand({ KeyId: key.keyId }));
    expect(KeyMetadata).toMatchObject({ KeyState: 'PendingDeletion', Enabled: false, PendingDeletionWindowInDays: 7 });
    expect(KeyMetadata!.DeletionDate).toBeInstanceOf(Date);

    const pending = { name: 'KMSInvalidStateException', status: 400, message: `${key.arn} is pending deletion.` };
    expect(await kmsError(kms().send(new Kms.EncryptCommand({ KeyId: key.keyId, Plaintext: utf8('x') })))).toEqual(pending);
    expect(await kmsError(kms().send(new Kms.DecryptCommand({ CiphertextBlob })))).toEqual(pending);
    expect(await kmsError(kms().send(new Kms.GenerateDataKeyCommand({ KeyId: key.keyId, KeySpec: 'AES_256' })))).toEqual(pending);
    expect(await kmsError(kms().send(new Kms.EnableKeyCommand({ KeyId: key.keyId })))).toEqual(pending);
    expect(await kmsError(kms().send(new Kms.DisableKeyCommand({ KeyId: key.keyId })))).toEqual(pending);
    expect(await kmsError(kms().send(new Kms.ScheduleKeyDeletionCommand({ KeyId: key.keyId })))).toEqual(pending);

    expect(await kms().send(new Kms.CancelKeyDeletionCommand({ KeyId: key.keyId }))).toMatchObject({ KeyId: key.arn });
    const after = (await kms().send(new Kms.DescribeKeyCommand({ KeyId: key.keyId }))).KeyMetadata!;
    expect(after).toMatchObject({ KeyState: 'Disabled', Enabled: false });
    expect(after.DeletionDate).toBeUndefined();
    expect(await kmsError(kms().send(new Kms.EncryptCommand({ KeyId: key.keyId, Plaintext: utf8('x') })))).toMatchObject({ name: 'DisabledException' });
    expect(await kmsError(kms().send(new Kms.CancelKeyDeletionCommand({ KeyId: key.keyId })))).toEqual({
      name: 'KMSInvalidStateException',
      status: 400,
      message: `${key.arn} is not pending deletion.`,
    });

    await kms().send(new Kms.EnableKeyCommand({ KeyId: key.keyId }));
    expect(new TextDecoder().decode((await kms().send(new Kms.DecryptCommand({ CiphertextBlob }))).Plaintext)).toBe('kept');
  });
});

describe('KMS errors on the wire', () => {
  it('are modelled SDK exceptions: the bare error name, a client fault, HTTP 400, the message', async () => {
    const error = await kms()
      .send(new Kms.DescribeKeyCommand({ KeyId: 'alias/does-not-exist' }))
      .then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(Kms.NotFoundException);
    const e = error as Kms.NotFoundException;
    expect(e.name).toBe('NotFoundException');
    expect(e.$fault).toBe('client');
    expect(e.$metadata.httpStatusCode).toBe(400);
    expect(e.$metadata.requestId).toMatch(/\S/);
    expect(e.message).toBe(`Alias arn:aws:kms:us-east-1:${ACCOUNT}:alias/does-not-exist is not found.`);
  });
});
