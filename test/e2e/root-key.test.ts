import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, startSealq } from '../../src/index.js';
import { testCredentials, testPostgresUrl } from '../support/sealq.js';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import * as S3 from '@aws-sdk/client-s3';

const s3Of = (url: string) =>
  new S3.S3Client({ endpoint: url, region: 'us-east-1', credentials: testCredentials, forcePathStyle: true, maxAttempts: 1 });

const run = promisify(execFile);
const cli = join(fileURLToPath(new URL('../..', import.meta.url)), 'dist/cli/main.js');
const dataDir = mkdtempSync(join(tmpdir(), 'sealq-rootkey-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const config = () =>
  loadConfig({
    flags: {
      port: '0',
      'data-dir': dataDir,
      'log-level': 'silent',
      'root-access-key-id': testCredentials.accessKeyId,
      'root-secret-access-key': testCredentials.secretAccessKey,
    },
  });

describe('sealq root-key rotate', () => {
  it('re-seals key material and IAM secrets under a new root key; old ciphertexts, keys and S3 objects still work', async () => {
    let sealq = await startSealq(config());
    // S3 object data is sealed under data keys of the sealq-owned key, which rotation re-seals.
    const s3 = s3Of(sealq.url);
    await s3.send(new S3.CreateBucketCommand({ Bucket: 'rotating' }));
    await s3.send(new S3.PutObjectCommand({ Bucket: 'rotating', Key: 'kept', Body: 'object data before the rotation' }));
    s3.destroy();
    const ctx = { principal: sealq.identity.directory.principalFor(testCredentials.accessKeyId)!, secure: false };
    const { keyMetadata } = await sealq.identity.kms.createKey(ctx, {});
    const { ciphertextBlob } = await sealq.identity.kms.encrypt(ctx, { keyId: keyMetadata.keyId, plaintext: Buffer.from('secret') });
    await sealq.identity.iam.createUser({ principal: ctx.principal }, { userName: 'rotating' });
    const { accessKey } = await sealq.identity.iam.createAccessKey({ principal: ctx.principal }, { userName: 'rotating' });
    await sealq.close();
    // IAM secrets are stored sealed: the data files never hold one in clear.
    for (const file of readdirSync(dataDir, { recursive: true, encoding: 'utf8' })) {
      if (!statSync(join(dataDir, file)).isFile()) continue;
      expect(readFileSync(join(dataDir, file)).includes(Buffer.from(accessKey.secretAccessKey)), file).toBe(false);
    }
    const before = readFileSync(join(dataDir, 'root.key'), 'utf8');

    const { stdout } = await run(process.execPath, [cli, 'root-key', 'rotate', '--data-dir', dataDir], {
      env: { ...process.env, SEALQ_ROOT_KEY: '', SEALQ_ROOT_KEY_FILE: '' },
    });
    expect(stdout).toMatch(/sealed under the new root key/);
    const after = readFileSync(join(dataDir, 'root.key'), 'utf8');
    expect(after).not.toBe(before);
    expect(existsSync(join(dataDir, 'root.key.previous'))).toBe(true);

    sealq = await startSealq(config());
    const { plaintext } = await sealq.identity.kms.decrypt(
      { principal: sealq.identity.directory.principalFor(testCredentials.accessKeyId)!, secure: false },
      { ciphertextBlob },
    );
    expect(plaintext.toString()).toBe('secret');
    expect(sealq.identity.directory.credentials(accessKey.accessKeyId)?.secretAccessKey).toBe(accessKey.secretAccessKey);
    const s3After = s3Of(sealq.url);
    const kept = await s3After.send(new S3.GetObjectCommand({ Bucket: 'rotating', Key: 'kept' }));
    expect(await kept.Body!.transformToString()).toBe('object data before the rotation');
    s3After.destroy();
    await sealq.close();
  });

  it('refuses to start on data sealed under another root key, and says why', async () => {
    const other = mkdtempSync(join(tmpdir(), 'sealq-rootkey-other-'));
    const withKey = (key: Buffer) =>
      loadConfig({
        flags: {
          port: '0',
          'data-dir': other,
          'log-level': 'silent',
          'root-key': key.toString('base64'),
          'root-access-key-id': testCredentials.accessKeyId,
          'root-secret-access-key': testCredentials.secretAccessKey,
        },
      });
    try {
      const first = await startSealq(withKey(Buffer.alloc(32, 1)));
      await first.close();
      await expect(startSealq(withKey(Buffer.alloc(32, 2)))).rejects.toThrow(/same root key/);
      // The right key still opens it.
      const again = await startSealq(withKey(Buffer.alloc(32, 1)));
      await again.close();
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  // Registered on the PostgreSQL pass of the end-to-end suite (npm test runs both).
  if (process.env.SEALQ_TEST_STORAGE === 'postgres') it('rotates the root key of a PostgreSQL-backed deployment (--storage)', async () => {
    const schema = `sealq_rootkey_${process.pid}_${randomBytes(4).toString('hex')}`;
    const dir = mkdtempSync(join(tmpdir(), 'sealq-rootkey-pg-'));
    const oldKey = randomBytes(32).toString('base64');
    const withKey = (key: string) =>
      loadConfig({
        flags: {
          port: '0',
          'data-dir': dir,
          'log-level': 'silent',
          'root-key': key,
          storage: testPostgresUrl,
          'storage-schema': schema,
          'root-access-key-id': testCredentials.accessKeyId,
          'root-secret-access-key': testCredentials.secretAccessKey,
        },
      });
    try {
      let sealq = await startSealq(withKey(oldKey));
      const ctx = { principal: sealq.identity.directory.principalFor(testCredentials.accessKeyId)!, secure: false };
      const { keyMetadata } = await sealq.identity.kms.createKey(ctx, {});
      const { ciphertextBlob } = await sealq.identity.kms.encrypt(ctx, { keyId: keyMetadata.keyId, plaintext: Buffer.from('pg secret') });
      await sealq.close();

      const { stdout } = await run(process.execPath, [cli, 'root-key', 'rotate', '--storage', testPostgresUrl, '--storage-schema', schema], {
        env: { ...process.env, SEALQ_ROOT_KEY: oldKey, SEALQ_ROOT_KEY_FILE: '', SEALQ_DATA_DIR: dir },
      });
      const newKey = /SEALQ_ROOT_KEY=(\S+)/.exec(stdout)?.[1];
      expect(newKey).toBeDefined();
      // The old key no longer opens the data; the new one does, and old ciphertexts still decrypt.
      await expect(startSealq(withKey(oldKey))).rejects.toThrow(/same root key/);
      sealq = await startSealq(withKey(newKey!));
      const { plaintext } = await sealq.identity.kms.decrypt(
        { principal: sealq.identity.directory.principalFor(testCredentials.accessKeyId)!, secure: false },
        { ciphertextBlob },
      );
      expect(plaintext.toString()).toBe('pg secret');
      await sealq.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
      const db = new pg.Client({ connectionString: testPostgresUrl });
      await db.connect();
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await db.end();
    }
  });
});

