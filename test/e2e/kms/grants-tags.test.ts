/**
 * Grants (CreateGrant, ListGrants, RevokeGrant, RetireGrant) on a key whose policy does not delegate
 * to the account, so only the key policy and the grants count; and Tag/Untag/ListResourceTags.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, uniqueName, type TestServer } from '../../support/sealq.js';
import { allow, createUserWithKey, iamAs, policy, type Credentials } from '../identity/helpers.js';
import { Kms, kmsAs, kmsError, keyAllow, keyPolicy, newKey, ROOT_ARN, text, utf8 } from './helpers.js';

let server: TestServer;
type Who = 'admin' | 'reader' | 'retirer' | 'stranger' | 'delegate';
const users = {} as Record<Who, { credentials: Credentials; arn: string }>;
/** IAM policies: reader's is ineffective on these keys (their policy does not delegate to the account). */
const iamPolicies: Partial<Record<Who, string>> = {
  reader: policy(allow(['kms:Encrypt', 'kms:Decrypt', 'kms:CreateGrant', 'kms:ListGrants', 'kms:TagResource', 'kms:ListResourceTags'])),
  // AWS: the account that issued a grant may delegate kms:RetireGrant to its IAM principals.
  delegate: policy(allow('kms:RetireGrant')),
};
beforeAll(async () => {
  server = await startTestServer();
  const iam = iamAs(server.url);
  for (const name of ['admin', 'reader', 'retirer', 'stranger', 'delegate'] as const) {
    users[name] = await createUserWithKey(iam, uniqueName(name), iamPolicies[name]);
  }
});
afterAll(async () => {
  await server.stop();
});

const kms = (who?: Who) => kmsAs(server.url, who ? users[who].credentials : undefined);
const CONTEXT = { app: 'grants' };
const denied = { name: 'AccessDeniedException', status: 400 };

/** A key only `admin` may use and manage (no statement for the account), and a ciphertext under it. */
async function adminOnlyKey() {
  const key = await newKey(kms(), { Policy: keyPolicy(keyAllow(users.admin.arn)), BypassPolicyLockoutSafetyCheck: true });
  const { CiphertextBlob } = await kms('admin').send(new Kms.EncryptCommand({ KeyId: key.keyId, Plaintext: utf8('granted'), EncryptionContext: CONTEXT }));
  return { ...key, blob: CiphertextBlob! };
}

const readerDecrypts = (blob: Uint8Array, context: Record<string, string> = CONTEXT) =>
  kms('reader').send(new Kms.DecryptCommand({ CiphertextBlob: blob, EncryptionContext: context }));

describe('grants', () => {
  it('a Decrypt grant lets a principal the key policy does not name decrypt, and nothing more, until revoked', async () => {
    const key = await adminOnlyKey();
    expect(await kmsError(readerDecrypts(key.blob))).toMatchObject(denied);

    const grant = await kms('admin').send(
      new Kms.CreateGrantCommand({ KeyId: key.keyId, GranteePrincipal: users.reader.arn, Operations: ['Decrypt'], Name: 'reader-decrypt' }),
    );
    expect(grant.GrantId).toMatch(/^[0-9a-f]{64}$/);
    expect(grant.GrantToken).toMatch(/\S/);

    expect(text((await readerDecrypts(key.blob)).Plaintext)).toBe('granted');
    expect(await kmsError(kms('reader').send(new Kms.EncryptCommand({ KeyId: key.arn, Plaintext: utf8('x') })))).toMatchObject(denied);
    expect(await kmsError(kms('reader').send(new Kms.CreateGrantCommand({ KeyId: key.arn, GranteePrincipal: users.stranger.arn, Operations: ['Decrypt'] })))).toMatchObject(denied);
    expect(await kmsError(kms('stranger').send(new Kms.DecryptCommand({ CiphertextBlob: key.blob, EncryptionContext: CONTEXT })))).toMatchObject(denied);

    const { Grants, Truncated } = await kms('admin').send(new Kms.ListGrantsCommand({ KeyId: key.arn }));
    expect(Truncated).toBe(false);
    expect(Grants).toEqual([
      expect.objectContaining({
        KeyId: key.arn,
        GrantId: grant.GrantId,
        Name: 'reader-decrypt',
        GranteePrincipal: users.reader.arn,
        IssuingAccount: ROOT_ARN,
        Operations: ['Decrypt'],
      }),
    ]);
    expect(Grants![0].CreationDate).toBeInstanceOf(Date);
    expect(await kmsError(kms('reader').send(new Kms.ListGrantsCommand({ KeyId: key.arn })))).toMatchObject(denied);

    await kms('admin').send(new Kms.RevokeGrantCommand({ KeyId: key.keyId, GrantId: grant.GrantId }));
    expect(await kmsError(readerDecrypts(key.blob))).toMatchObject(denied);
    expect((await kms('admin').send(new Kms.ListGrantsCommand({ KeyId: key.keyId }))).Grants).toEqual([]);
  });

  it('honours an EncryptionContextEquals constraint', async () => {
    const key = await adminOnlyKey();
    const other = (await kms('admin').send(new Kms.EncryptCommand({ KeyId: key.keyId, Plaintext: utf8('other'), EncryptionContext: { app: 'other' } }))).CiphertextBlob!;
    await kms('admin').send(
      new Kms.CreateGrantCommand({ KeyId: key.keyId, GranteePrincipal: users.reader.arn, Operations: ['Decrypt'], Constraints: { EncryptionContextEquals: CONTEXT } }),
    );
    expect(text((await readerDecrypts(key.blob)).Plaintext)).toBe('granted');
    expect(await kmsError(readerDecrypts(other, { app: 'other' }))).toMatchObject(denied);
    const { Grants } = await kms('admin').send(new Kms.ListGrantsCommand({ KeyId: key.keyId }));
    expect(Grants![0].Constraints).toEqual({ EncryptionContextEquals: CONTEXT });
  });

  it('RetireGrant by grant token: by the retiring principal, not by an unrelated principal', async () => {
    const key = await adminOnlyKey();
    const grant = await kms('admin').send(
      new Kms.CreateGrantCommand({ KeyId: key.keyId, GranteePrincipal: users.reader.arn, RetiringPrincipal: users.retirer.arn, Operations: ['Decrypt'] }),
    );
    expect(text((await readerDecrypts(key.blob)).Plaintext)).toBe('granted');
    expect(await kmsError(kms('stranger').send(new Kms.RetireGrantCommand({ GrantToken: grant.GrantToken })))).toMatchObject(denied);
    // AWS: the grantee may retire only when the grant includes the RetireGrant operation.
    expect(await kmsError(kms('reader').send(new Kms.RetireGrantCommand({ GrantToken: grant.GrantToken })))).toMatchObject(denied);
    expect(text((await readerDecrypts(key.blob)).Plaintext)).toBe('granted');

    await kms('retirer').send(new Kms.RetireGrantCommand({ GrantToken: grant.GrantToken }));
    expect(await kmsError(readerDecrypts(key.blob))).toMatchObject(denied);
    expect((await kms('admin').send(new Kms.ListGrantsCommand({ KeyId: key.keyId }))).Grants).toEqual([]);
    expect(await kmsError(kms('retirer').send(new Kms.RetireGrantCommand({ GrantToken: grant.GrantToken })))).toMatchObject({
      name: 'InvalidGrantTokenException',
      status: 400,
    });
  });

  it('RetireGrant by an IAM principal of the issuing account that its IAM policy allows to', async () => {
    const key = await adminOnlyKey();
    const grant = await kms('admin').send(new Kms.CreateGrantCommand({ KeyId: key.keyId, GranteePrincipal: users.reader.arn, Operations: ['Decrypt'] }));
    await kms('delegate').send(new Kms.RetireGrantCommand({ GrantToken: grant.GrantToken }));
    expect(await kmsError(readerDecrypts(key.blob))).toMatchObject(denied);
  });

  it('RetireGrant by the grantee when the grant includes RetireGrant', async () => {
    const key = await adminOnlyKey();
    const grant = await kms('admin').send(
      new Kms.CreateGrantCommand({ KeyId: key.keyId, GranteePrincipal: users.reader.arn, Operations: ['Decrypt', 'RetireGrant'] }),
    );
    await kms('reader').send(new Kms.RetireGrantCommand({ GrantToken: grant.GrantToken }));
    expect(await kmsError(readerDecrypts(key.blob))).toMatchObject(denied);
  });

  it('CreateGrant on a disabled key is refused with DisabledException', async () => {
    const key = await adminOnlyKey();
    await kms('admin').send(new Kms.DisableKeyCommand({ KeyId: key.keyId }));
    expect(await kmsError(kms('admin').send(new Kms.CreateGrantCommand({ KeyId: key.keyId, GranteePrincipal: users.reader.arn, Operations: ['Decrypt'] })))).toEqual({
      name: 'DisabledException',
      status: 400,
      message: `${key.arn} is disabled.`,
    });
  });
});

describe('tags', () => {
  it('tags at creation, adds, overwrites, removes and lists tags', async () => {
    const key = await newKey(kms(), { Tags: [{ TagKey: 'team', TagValue: 'blue' }] });
    const tags = async () =>
      ((await kms().send(new Kms.ListResourceTagsCommand({ KeyId: key.keyId }))).Tags ?? []).sort((a, b) => a.TagKey!.localeCompare(b.TagKey!));
    expect(await tags()).toEqual([{ TagKey: 'team', TagValue: 'blue' }]);

    await kms().send(new Kms.TagResourceCommand({ KeyId: key.arn, Tags: [{ TagKey: 'env', TagValue: 'test' }, { TagKey: 'team', TagValue: 'red' }] }));
    expect(await tags()).toEqual([{ TagKey: 'env', TagValue: 'test' }, { TagKey: 'team', TagValue: 'red' }]);
    const listed = await kms().send(new Kms.ListResourceTagsCommand({ KeyId: key.arn }));
    expect(listed.Truncated).toBe(false);

    await kms().send(new Kms.UntagResourceCommand({ KeyId: key.keyId, TagKeys: ['team', 'absent'] }));
    expect(await tags()).toEqual([{ TagKey: 'env', TagValue: 'test' }]);
    expect(await kmsError(kms().send(new Kms.TagResourceCommand({ KeyId: '12345678-1234-1234-1234-123456789012', Tags: [{ TagKey: 'a', TagValue: 'b' }] })))).toMatchObject({
      name: 'NotFoundException',
      status: 400,
    });
  });

  it('needs permission through the key policy', async () => {
    const key = await adminOnlyKey();
    await kms('admin').send(new Kms.TagResourceCommand({ KeyId: key.keyId, Tags: [{ TagKey: 'owner', TagValue: 'admin' }] }));
    expect(await kmsError(kms('reader').send(new Kms.TagResourceCommand({ KeyId: key.keyId, Tags: [{ TagKey: 'owner', TagValue: 'reader' }] })))).toMatchObject(denied);
    expect(await kmsError(kms('reader').send(new Kms.ListResourceTagsCommand({ KeyId: key.keyId })))).toMatchObject(denied);
    expect((await kms('admin').send(new Kms.ListResourceTagsCommand({ KeyId: key.keyId }))).Tags).toEqual([{ TagKey: 'owner', TagValue: 'admin' }]);
  });
});
