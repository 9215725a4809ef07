/**
 * The KMS audit log is in the database: `sealq kms-usage` (the admin endpoint behind it) still
 * counts the calls made before a restart, on SQLite and on PostgreSQL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Kms from '@aws-sdk/client-kms';
import { afterAll, describe, expect, it } from 'vitest';
import { adminPost, dropTestSchema, startTestServer, testCredentials, type TestServer } from '../support/sealq.js';

const dataDir = mkdtempSync(join(tmpdir(), 'sealq-kms-usage-restart-'));
const servers: TestServer[] = [];
const start = async () => {
  const server = await startTestServer({ 'data-dir': dataDir });
  servers.push(server);
  return server;
};
const kmsOf = (server: TestServer) => new Kms.KMSClient({ endpoint: server.url, region: 'us-east-1', credentials: testCredentials, maxAttempts: 1 });

afterAll(async () => {
  for (const server of servers) await server.sealq.close();
  rmSync(dataDir, { recursive: true, force: true });
  await dropTestSchema(dataDir);
});

describe('KMS usage across a restart', () => {
  it('counts the calls made before the restart', async () => {
    const first = await start();
    const kms = kmsOf(first);
    const { KeyMetadata } = await kms.send(new Kms.CreateKeyCommand({}));
    for (let i = 0; i < 3; i++) await kms.send(new Kms.EncryptCommand({ KeyId: KeyMetadata!.KeyId, Plaintext: Buffer.from(`secret ${i}`) }));
    await kms.send(new Kms.DisableKeyCommand({ KeyId: KeyMetadata!.KeyId }));
    await expect(kms.send(new Kms.EncryptCommand({ KeyId: KeyMetadata!.KeyId, Plaintext: Buffer.from('refused') }))).rejects.toThrow();
    kms.destroy();
    await first.sealq.close();

    const second = await start();
    const { status, text } = await adminPost(second.url, '/_sealq/kms-usage', {});
    expect(status).toBe(200);
    const { summary } = JSON.parse(text) as { summary: { byOperation: Record<string, number>; byKey: Record<string, number>; errors: Record<string, number> } };
    expect(summary.byOperation).toMatchObject({ Encrypt: 4 });
    // The refused call names its key too, as CloudTrail does.
    expect(summary.byKey[KeyMetadata!.Arn!]).toBe(4);
    expect(summary.errors).toMatchObject({ DisabledException: 1 });
  });
});
