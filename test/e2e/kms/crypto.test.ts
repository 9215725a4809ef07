/**
 * KMS cryptographic operations: Encrypt/Decrypt with an encryption context, tampering, ReEncrypt,
 * GenerateDataKey(WithoutPlaintext), and key rotation (status, RotateKeyOnDemand).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobKey } from '../../../src/services/kms/crypto.js';
import { startTestServer, type TestServer } from '../../support/sealq.js';
import { Kms, kmsAs, kmsError, newKey, text, utf8 } from './helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

const kms = () => kmsAs(server.url);
const invalid = { name: 'InvalidCiphertextException', status: 400 };

describe('Encrypt and Decrypt', () => {
  it('round-trips with the same encryption context, in any order of pairs', async () => {
    const key = await newKey(kms());
    const context = { 'aws:sqs:arn': 'arn:aws:sqs:us-east-1:000000000000:orders', purpose: 'test' };
    const encrypted = await kms().send(new Kms.EncryptCommand({ KeyId: key.keyId, Plaintext: utf8('secret body'), EncryptionContext: context }));
    expect(encrypted).toMatchObject({ KeyId: key.arn, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
    expect(text(encrypted.CiphertextBlob)).not.toContain('secret body');

    const reversed = { purpose: 'test', 'aws:sqs:arn': context['aws:sqs:arn'] };
    const decrypted = await kms().send(new Kms.DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: reversed }));
    expect(decrypted).toMatchObject({ KeyId: key.arn, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
    expect(text(decrypted.Plaintext)).toBe('secret body');
    // Naming the key is optional for symmetric keys, and any form works.
    const named = await kms().send(new Kms.DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: context, KeyId: key.keyId }));
    expect(text(named.Plaintext)).toBe('secret body');
  });

  it('refuses a different, missing, extra or case-changed context with InvalidCiphertextException', async () => {
    const key = await newKey(kms());
    const { CiphertextBlob } = await kms().send(new Kms.EncryptCommand({ KeyId: key.keyId, Plaintext: utf8('x'), EncryptionContext: { team: 'blue' } }));
    const contexts: Array<Record<string, string> | undefined> = [{ team: 'red' }, undefined, { team: 'blue', extra: '1' }, { team: 'Blue' }, { Team: 'blue' }];
    for (const EncryptionContext of contexts) {
      expect(await kmsError(kms().send(new Kms.DecryptCommand({ CiphertextBlob, EncryptionContext })))).toMatchObject(invalid);
    }
    // Encrypted without a context, decrypting with one fails too.
    const plain = await kms().send(new Kms.EncryptCommand({ KeyId: key.keyId, Plaintext: utf8('y') }));
    expect(await kmsError(kms().send(new Kms.DecryptCommand({ CiphertextBlob: plain.CiphertextBlob, EncryptionContext: { team: 'blue' } })))).toMatchObject(invalid);
  });

  it('refuses a tampered or foreign blob with InvalidCiphertextException', async () => {
    const key = await newKey(kms());
    const { CiphertextBlob } = await kms().send(new Kms.EncryptCommand({ KeyId: key.keyId, Plaintext: utf8('integrity') }));
    for (const index of [CiphertextBlob!.length - 1, 30, 50]) {
      const tampered = Uint8Array.from(CiphertextBlob!);
      tampered[index] ^= 0x01;
      expect(await kmsError(kms().send(new Kms.DecryptCommand({ CiphertextBlob: tampered })))).toMatchObject(invalid);
    }
    expect(await kmsError(kms().send(new Kms.DecryptCommand({ CiphertextBlob: utf8('not a kms ciphertext blob at all, clearly') })))).toMatchObject(invalid);
    expect(await kmsError(kms().send(new Kms.DecryptCommand({ CiphertextBlob: CiphertextBlob!.subarray(0, 40) })))).toMatchObject(invalid);
  });

  it('refuses Decrypt naming another key (IncorrectKeyException) and plaintext over 4096 bytes', async () => {
    const a = await newKey(kms());
    const b = await newKey(kms());
    const { CiphertextBlob } = await kms().send(new Kms.EncryptCommand({ KeyId: a.keyId, Plaintext: utf8('x') }));
    expect(await kmsError(kms().send(new Kms.DecryptCommand({ CiphertextBlob, KeyId: b.arn })))).toMatchObject({ name: 'IncorrectKeyException', status: 400 });
    await kms().send(new Kms.EncryptCommand({ KeyId: a.keyId, Plaintext: new Uint8Array(4096) }));
    expect(await kmsError(kms().send(new Kms.EncryptCommand({ KeyId: a.keyId, Plaintext: new Uint8Array(4097) })))).toMatchObject({
      name: 'ValidationException',
      status: 400,
    });
  });
});

describe('ReEncrypt', () => {
  it('moves a ciphertext to another key and context without exposing the plaintext', async () => {
    const a = await newKey(kms());
    const b = await newKey(kms());
    const { CiphertextBlob } = await kms().send(new Kms.EncryptCommand({ KeyId: a.keyId, Plaintext: utf8('moving'), EncryptionContext: { from: 'a' } }));
    const out = await kms().send(
      new Kms.ReEncryptCommand({ CiphertextBlob, SourceEncryptionContext: { from: 'a' }, DestinationKeyId: b.keyId, DestinationEncryptionContext: { to: 'b' } }),
    );
    expect(out).toMatchObject({ SourceKeyId: a.arn, KeyId: b.arn, SourceEncryptionAlgorithm: 'SYMMETRIC_DEFAULT', DestinationEncryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
    expect(out).not.toHaveProperty('Plaintext');
    const decrypted = await kms().send(new Kms.DecryptCommand({ CiphertextBlob: out.CiphertextBlob, EncryptionContext: { to: 'b' } }));
    expect([decrypted.KeyId, text(decrypted.Plaintext)]).toEqual([b.arn, 'moving']);
    expect(await kmsError(kms().send(new Kms.DecryptCommand({ CiphertextBlob: out.CiphertextBlob, EncryptionContext: { from: 'a' } })))).toMatchObject(invalid);
    // The source context must still match.
    expect(await kmsError(kms().send(new Kms.ReEncryptCommand({ CiphertextBlob, DestinationKeyId: b.keyId })))).toMatchObject(invalid);
  });
});

describe('GenerateDataKey', () => {
  it('returns a data key of the requested size and its blob, which decrypts to the same bytes', async () => {
    const key = await newKey(kms());
    const context = { bucket: 'photos' };
    for (const [spec, bytes] of [[{ KeySpec: 'AES_256' as const }, 32], [{ KeySpec: 'AES_128' as const }, 16], [{ NumberOfBytes: 64 }, 64], [{ NumberOfBytes: 1 }, 1]] as const) {
      const out = await kms().send(new Kms.GenerateDataKeyCommand({ KeyId: key.keyId, EncryptionContext: context, ...spec }));
      expect(out.KeyId).toBe(key.arn);
      expect(out.Plaintext).toHaveLength(bytes);
      const back = await kms().send(new Kms.DecryptCommand({ CiphertextBlob: out.CiphertextBlob, EncryptionContext: context }));
      expect(Buffer.from(back.Plaintext!).equals(Buffer.from(out.Plaintext!))).toBe(true);
    }
    const a = await kms().send(new Kms.GenerateDataKeyCommand({ KeyId: key.keyId, KeySpec: 'AES_256' }));
    const b = await kms().send(new Kms.GenerateDataKeyCommand({ KeyId: key.keyId, KeySpec: 'AES_256' }));
    expect(Buffer.from(a.Plaintext!).equals(Buffer.from(b.Plaintext!))).toBe(false);
  });

  it('validates KeySpec and NumberOfBytes', async () => {
    const key = await newKey(kms());
    for (const input of [{}, { NumberOfBytes: 0 }, { NumberOfBytes: 1025 }, { KeySpec: 'AES_256' as const, NumberOfBytes: 32 }]) {
      expect(await kmsError(kms().send(new Kms.GenerateDataKeyCommand({ KeyId: key.keyId, ...input })))).toMatchObject({ name: 'ValidationException', status: 400 });
    }
  });

  it('GenerateDataKeyWithoutPlaintext returns only the blob, which Decrypt opens', async () => {
    const key = await newKey(kms());
    const out = await kms().send(new Kms.GenerateDataKeyWithoutPlaintextCommand({ KeyId: key.arn, KeySpec: 'AES_256', EncryptionContext: { k: 'v' } }));
    expect(out.KeyId).toBe(key.arn);
    expect(out).not.toHaveProperty('Plaintext');
    const back = await kms().send(new Kms.DecryptCommand({ CiphertextBlob: out.CiphertextBlob, EncryptionContext: { k: 'v' } }));
    expect(back.Plaintext).toHaveLength(32);
  });
});

describe('key rotation', () => {
  it('Enable/Disable/GetKeyRotationStatus', async () => {
    const key = await newKey(kms());
    expect(await kms().send(new Kms.GetKeyRotationStatusCommand({ KeyId: key.keyId }))).toMatchObject({ KeyRotationEnabled: false });
    await kms().send(new Kms.EnableKeyRotationCommand({ KeyId: key.keyId }));
    const on = await kms().send(new Kms.GetKeyRotationStatusCommand({ KeyId: key.arn }));
    expect(on).toMatchObject({ KeyRotationEnabled: true, RotationPeriodInDays: 365, KeyId: key.arn });
    expect(on.NextRotationDate).toBeInstanceOf(Date);
    for (const days of [89, 2561]) {
      expect(await kmsError(kms().send(new Kms.EnableKeyRotationCommand({ KeyId: key.keyId, RotationPeriodInDays: days })))).toMatchObject({
        name: 'ValidationException',
        status: 400,
      });
    }
    await kms().send(new Kms.EnableKeyRotationCommand({ KeyId: key.keyId, RotationPeriodInDays: 90 }));
    expect((await kms().send(new Kms.GetKeyRotationStatusCommand({ KeyId: key.keyId }))).RotationPeriodInDays).toBe(90);
    await kms().send(new Kms.DisableKeyRotationCommand({ KeyId: key.keyId }));
    expect(await kms().send(new Kms.GetKeyRotationStatusCommand({ KeyId: key.keyId }))).toMatchObject({ KeyRotationEnabled: false });
  });

  it('RotateKeyOnDemand: old ciphertexts still decrypt, new ones use the new key material', async () => {
    const key = await newKey(kms());
    const before = (await kms().send(new Kms.EncryptCommand({ KeyId: key.keyId, Plaintext: utf8('before'), EncryptionContext: { v: '1' } }))).CiphertextBlob!;
    expect(await kms().send(new Kms.RotateKeyOnDemandCommand({ KeyId: key.keyId }))).toMatchObject({ KeyId: key.keyId });
    const after = (await kms().send(new Kms.EncryptCommand({ KeyId: key.keyId, Plaintext: utf8('after') }))).CiphertextBlob!;
    // The blob names its key and key version (sealq's format, read with sealq's own parser).
    // On-demand versions take odd numbers and scheduled ones even numbers (see kms-service.ts).
    expect(blobKey(Buffer.from(before))).toEqual({ keyId: key.keyId, version: 1 });
    expect(blobKey(Buffer.from(after))).toEqual({ keyId: key.keyId, version: 3 });
    expect(text((await kms().send(new Kms.DecryptCommand({ CiphertextBlob: before, EncryptionContext: { v: '1' } }))).Plaintext)).toBe('before');
    expect(text((await kms().send(new Kms.DecryptCommand({ CiphertextBlob: after }))).Plaintext)).toBe('after');
    // On-demand rotation does not turn on automatic rotation.
    expect((await kms().send(new Kms.GetKeyRotationStatusCommand({ KeyId: key.keyId }))).KeyRotationEnabled).toBe(false);
  });
});
