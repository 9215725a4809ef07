/**
 * KMS behaviour that needs time to pass, on a server with an injected clock: a key scheduled for
 * deletion is gone (with its aliases) once its waiting period ends, and automatic rotation adds key
 * material on schedule while old ciphertexts keep decrypting. Request signatures use the wall clock,
 * so moving the service clock by days does not break SigV4.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/shared/clock.js';
import { blobKey } from '../../../src/services/kms/crypto.js';
import { startTestServer, type TestServer } from '../../support/sealq.js';
import { Kms, kmsAs, kmsError, newKey, text, uniqueAlias, utf8 } from './helpers.js';

const DAY = 86_400_000;
const clock = new ManualClock(Date.now());
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({}, { clock });
});
afterAll(async () => {
  await server.stop();
});

const kms = () => kmsAs(server.url);

describe('the deletion waiting period', () => {
  it('keeps the key until the deletion date, then the key and its aliases are gone (NotFoundException)', async () => {
    const key = await newKey(kms());
    const alias = uniqueAlias('doomed');
    await kms().send(new Kms.CreateAliasCommand({ AliasName: alias, TargetKeyId: key.keyId }));
    const { CiphertextBlob } = await kms().send(new Kms.EncryptCommand({ KeyId: key.keyId, Plaintext: utf8('lost') }));
    const { DeletionDate } = await kms().send(new Kms.ScheduleKeyDeletionCommand({ KeyId: key.keyId, PendingWindowInDays: 7 }));
    expect(Math.abs(DeletionDate!.getTime() - (clock.now() + 7 * DAY))).toBeLessThan(2);

    clock.advance(7 * DAY - 60_000);
    expect((await kms().send(new Kms.DescribeKeyCommand({ KeyId: key.keyId }))).KeyMetadata!.KeyState).toBe('PendingDeletion');

    clock.advance(120_000);
    const gone = { name: 'NotFoundException', status: 400, message: `Key '${key.arn}' does not exist` };
    expect(await kmsError(kms().send(new Kms.DescribeKeyCommand({ KeyId: key.keyId })))).toEqual(gone);
    expect(await kmsError(kms().send(new Kms.EncryptCommand({ KeyId: key.arn, Plaintext: utf8('x') })))).toEqual(gone);
    expect(await kmsError(kms().send(new Kms.CancelKeyDeletionCommand({ KeyId: key.keyId })))).toEqual(gone);
    expect(await kmsError(kms().send(new Kms.DecryptCommand({ CiphertextBlob })))).toMatchObject({ name: 'NotFoundException', status: 400 });
    expect(await kmsError(kms().send(new Kms.DescribeKeyCommand({ KeyId: alias })))).toMatchObject({ name: 'NotFoundException', status: 400 });

    const { Keys } = await kms().send(new Kms.ListKeysCommand({}));
    expect(Keys!.map((k) => k.KeyId)).not.toContain(key.keyId);
    const { Aliases } = await kms().send(new Kms.ListAliasesCommand({}));
    expect(Aliases!.map((a) => a.AliasName)).not.toContain(alias);
  });
});

describe('automatic rotation', () => {
  it('rotates on schedule: new ciphertexts use the new key material, old ones still decrypt', async () => {
    const key = await newKey(kms());
    await kms().send(new Kms.EnableKeyRotationCommand({ KeyId: key.keyId, RotationPeriodInDays: 90 }));
    const status = await kms().send(new Kms.GetKeyRotationStatusCommand({ KeyId: key.keyId }));
    expect(status).toMatchObject({ KeyRotationEnabled: true, RotationPeriodInDays: 90, KeyId: key.arn });
    expect(Math.abs(status.NextRotationDate!.getTime() - (clock.now() + 90 * DAY))).toBeLessThan(2);

    const old = (await kms().send(new Kms.EncryptCommand({ KeyId: key.keyId, Plaintext: utf8('v1') }))).CiphertextBlob!;
    clock.advance(89 * DAY);
    const still = (await kms().send(new Kms.EncryptCommand({ KeyId: key.keyId, Plaintext: utf8('still v1') }))).CiphertextBlob!;
    clock.advance(2 * DAY);
    const rotated = (await kms().send(new Kms.EncryptCommand({ KeyId: key.keyId, Plaintext: utf8('v2') }))).CiphertextBlob!;

    // The blob names its key and key version (sealq's format, read with sealq's own parser).
    expect([blobKey(Buffer.from(old)), blobKey(Buffer.from(still)), blobKey(Buffer.from(rotated))]).toEqual([
      { keyId: key.keyId, version: 1 },
      { keyId: key.keyId, version: 1 },
      { keyId: key.keyId, version: 2 },
    ]);
    for (const [blob, plain] of [[old, 'v1'], [still, 'still v1'], [rotated, 'v2']] as const) {
      expect(text((await kms().send(new Kms.DecryptCommand({ CiphertextBlob: blob }))).Plaintext)).toBe(plain);
    }
    const next = (await kms().send(new Kms.GetKeyRotationStatusCommand({ KeyId: key.keyId }))).NextRotationDate!.getTime();
    expect(Math.abs(next - (clock.now() + 90 * DAY))).toBeLessThan(2);
  });
});
