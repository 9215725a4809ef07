import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig, type Config } from '../../config/config.js';
import { ManualClock } from '../../shared/clock.js';
import { SqliteStore } from '../../storage/sqlite/sqlite-store.js';
import { rootPrincipal } from '../iam/identity-directory.js';
import { startIdentity, type Identity } from '../identity.js';
import { blobKey } from './crypto.js';
import { resealUnderNewRootKey } from './root-key-rotation.js';
import { SqsService } from '../sqs/sqs-service.js';
import type { RequestContext } from '../sqs/types.js';

/**
 * Two nodes on one database, neither told of the other's writes (the worst case of a cluster whose
 * change feed lags): key versions made by rotation must never be lost, whichever node rewrites the
 * key document afterwards, and two nodes rotating at once must keep both versions. Changes to other
 * parts of a key (state, policy, grants, tags) made through a node that has not seen an earlier
 * change must not undo it.
 */

const ACCOUNT = '000000000000';
const ctx = { principal: rootPrincipal(ACCOUNT), secure: true };
const DAY = 86_400_000;

let dataDir: string;
let store: SqliteStore;
let config: Config;
const clock = new ManualClock(1_700_000_000_000);

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'sealq-key-versions-'));
  store = new SqliteStore({ dataDir });
  config = { ...defaultConfig, dataDir, rootKey: randomBytes(32).toString('base64') };
});

afterEach(async () => {
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const node = () => startIdentity(config, store.identity(), clock);

async function encrypt(n: Identity, keyId: string, text: string): Promise<Buffer> {
  return (await n.kms.encrypt(ctx, { keyId, plaintext: Buffer.from(text) })).ciphertextBlob;
}

async function decrypt(n: Identity, blob: Buffer): Promise<string> {
  return (await n.kms.decrypt(ctx, { ciphertextBlob: blob })).plaintext.toString();
}

describe('KMS key versions across nodes sharing a database', () => {
  it('a rotation survives a stale node rewriting the key document (a tag) without it', async () => {
    const a = await node();
    const { keyMetadata } = await a.kms.createKey(ctx, {});
    const keyId = keyMetadata.keyId;
    const b = await node(); // b has the key at version 1 and is never told of a's rotation
    await a.kms.rotateKeyOnDemand(ctx, { keyId });
    const sealedAfterRotation = await encrypt(a, keyId, 'under the new version');
    expect(blobKey(sealedAfterRotation)?.version).toBeGreaterThan(1);

    await b.kms.tagResource(ctx, { keyId, tags: [{ tagKey: 'team', tagValue: 'b' }] });

    // A node started now reads what the database holds: the tag, and still the new version.
    const fresh = await node();
    expect(await decrypt(fresh, sealedAfterRotation)).toBe('under the new version');
    expect((await fresh.kms.listResourceTags(ctx, { keyId })).tags).toEqual([{ tagKey: 'team', tagValue: 'b' }]);
    // And a node that absorbs the stale document keeps the version it had.
    a.keys.absorb((await store.identity().getEntity('kms-key', keyId))!);
    expect(await decrypt(a, sealedAfterRotation)).toBe('under the new version');
  });

  it('a node decrypts under a version another node added moments ago, before the change reaches it', async () => {
    const a = await node();
    const { keyMetadata } = await a.kms.createKey(ctx, {});
    const keyId = keyMetadata.keyId;
    const b = await node();
    await a.kms.rotateKeyOnDemand(ctx, { keyId });
    const blob = await encrypt(a, keyId, 'new version');
    expect(await decrypt(b, blob)).toBe('new version');
    const calls: string[] = [];
    b.kms.onCall = (record) => calls.push(`${record.operation}:${record.errorCode ?? 'ok'}`);
    const other = await encrypt(a, keyId, 'again');
    const reEncrypted = await b.kms.reEncrypt(ctx, { ciphertextBlob: other, destinationKeyId: keyId });
    expect(await decrypt(a, reEncrypted.ciphertextBlob)).toBe('again');
    // Metered once each, as the caller made them: the read of the version is not a KMS call.
    expect(calls).toEqual(['ReEncrypt:ok']);
  });

  it('SQS: a message sealed under a version made moments ago on another node is received on this one', async () => {
    const a = await node();
    const { keyMetadata } = await a.kms.createKey(ctx, {});
    const keyId = keyMetadata.keyId;
    const sqsContext = { requestId: 'r', accountId: ACCOUNT, region: 'us-east-1', baseUrl: 'http://localhost', senderId: ACCOUNT, principal: ctx.principal } as RequestContext;
    const sqsA = new SqsService(store, clock, 'us-east-1', a.authorizer, a.kms);
    await sqsA.start();
    const { queueUrl } = await sqsA.createQueue(sqsContext, { queueName: 'sealed', attributes: { KmsMasterKeyId: keyId } });
    const b = await node();
    const sqsB = new SqsService(store, clock, 'us-east-1', b.authorizer, b.kms);
    await sqsB.start();
    try {
      await a.kms.rotateKeyOnDemand(ctx, { keyId });
      await sqsA.sendMessage(sqsContext, { queueUrl, messageBody: 'sealed under the new version' });
      const { messages } = await sqsB.receiveMessage(sqsContext, { queueUrl });
      expect(messages.map((m) => m.body)).toEqual(['sealed under the new version']);
    } finally {
      sqsA.stop();
      sqsB.stop();
    }
  });

  it('two nodes rotating on demand at once both keep their new version, under different numbers', async () => {
    const a = await node();
    const { keyMetadata } = await a.kms.createKey(ctx, {});
    const keyId = keyMetadata.keyId;
    const b = await node();
    await Promise.all([a.kms.rotateKeyOnDemand(ctx, { keyId }), b.kms.rotateKeyOnDemand(ctx, { keyId })]);
    const fromA = await encrypt(a, keyId, 'sealed by a');
    const fromB = await encrypt(b, keyId, 'sealed by b');
    expect(blobKey(fromA)!.version).not.toBe(blobKey(fromB)!.version);

    const fresh = await node();
    expect(await decrypt(fresh, fromA)).toBe('sealed by a');
    expect(await decrypt(fresh, fromB)).toBe('sealed by b');
  });

  it('scheduled and on-demand rotations made at once on two nodes take different numbers', async () => {
    const a = await node();
    const { keyMetadata } = await a.kms.createKey(ctx, {});
    const keyId = keyMetadata.keyId;
    await a.kms.enableKeyRotation(ctx, { keyId, rotationPeriodInDays: 90 });
    const b = await node();
    clock.advance(91 * DAY);
    // a's encryption makes the scheduled version (2); b, not having seen it, rotates on demand (3).
    // b's update of the key reads the stored document, which carries a's next rotation date, so
    // b's next encryption does not rotate again: it seals under 3.
    const scheduled = await encrypt(a, keyId, 'scheduled');
    await a.kms.keyWrites();
    await b.kms.rotateKeyOnDemand(ctx, { keyId });
    const fromB = await encrypt(b, keyId, 'from b');
    await b.kms.keyWrites();
    expect(blobKey(scheduled)!.version).toBe(2);
    expect(blobKey(fromB)!.version).toBe(3);
    const stored = (await store.identity().listEntities()).filter((e) => e.kind === 'kms-key-version').map((e) => e.id);
    expect(stored.sort()).toEqual([`${keyId}#2`, `${keyId}#3`]);

    const fresh = await node();
    expect(await decrypt(fresh, scheduled)).toBe('scheduled');
    expect(await decrypt(fresh, fromB)).toBe('from b');
  });

  it('versions stored on their own are re-sealed by a root key rotation', async () => {
    const a = await node();
    const { keyMetadata } = await a.kms.createKey(ctx, {});
    const keyId = keyMetadata.keyId;
    await a.kms.rotateKeyOnDemand(ctx, { keyId });
    const blob = await encrypt(a, keyId, 'across root keys');
    // Drop the version from the key document, so only its own entity still holds it.
    const document = (await store.identity().getEntity('kms-key', keyId))!;
    const value = document.value as { versions: unknown[] };
    await store.identity().putEntity({ ...document, value: { ...value, versions: value.versions.slice(0, 1) } });

    const newRoot = await resealUnderNewRootKey(store.identity(), Buffer.from(config.rootKey!, 'base64'));
    config = { ...config, rootKey: newRoot.toString('base64') };
    expect(await decrypt(await node(), blob)).toBe('across root keys');
  });

  it('deleting a key removes its stored versions', async () => {
    const a = await node();
    const { keyMetadata } = await a.kms.createKey(ctx, {});
    const keyId = keyMetadata.keyId;
    await a.kms.rotateKeyOnDemand(ctx, { keyId });
    expect((await store.identity().listEntities()).filter((e) => e.kind === 'kms-key-version')).toHaveLength(1);
    await a.kms.scheduleKeyDeletion(ctx, { keyId, pendingWindowInDays: 7 });
    clock.advance(8 * DAY);
    await expect(a.kms.describeKey(ctx, { keyId })).rejects.toMatchObject({ spec: { shape: 'NotFoundException' } });
    await a.kms.keyWrites();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await store.identity().listEntities()).filter((e) => e.kind.startsWith('kms-key'))).toEqual([]);
  });
});

describe('changes to one key through two nodes sharing a database', () => {
  const stored = async (keyId: string) => (await store.identity().getEntity('kms-key', keyId))!.value as {
    keyState: string;
    policy: string;
    grants: Array<{ grantId: string }>;
    tags: Array<{ TagKey: string; TagValue: string }>;
  };

  it('a stale node tagging a key does not bring back a grant revoked through the other', async () => {
    const a = await node();
    const { keyMetadata } = await a.kms.createKey(ctx, {});
    const keyId = keyMetadata.keyId;
    const { grantId } = await a.kms.createGrant(ctx, { keyId, granteePrincipal: 'arn:aws:iam::000000000000:user/app', operations: ['Decrypt'] });
    const b = await node(); // b knows the grant
    await a.kms.revokeGrant(ctx, { keyId, grantId });
    await b.kms.tagResource(ctx, { keyId, tags: [{ tagKey: 'team', tagValue: 'b' }] });
    expect((await stored(keyId)).grants).toEqual([]);
    expect((await b.kms.listGrants(ctx, { keyId })).grants).toEqual([]);
    expect((await stored(keyId)).tags).toEqual([{ TagKey: 'team', TagValue: 'b' }]);
  });

  it('a stale node granting on a key does not enable it again, nor restore its old policy', async () => {
    const a = await node();
    const { keyMetadata } = await a.kms.createKey(ctx, {});
    const keyId = keyMetadata.keyId;
    const b = await node(); // b knows the key enabled, with its default policy
    const stricter = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Sid: 'root', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }],
    });
    await a.kms.putKeyPolicy(ctx, { keyId, policy: stricter });
    await a.kms.disableKey(ctx, { keyId });
    await b.kms.createGrant(ctx, { keyId, granteePrincipal: 'arn:aws:iam::000000000000:user/app', operations: ['Decrypt'] });
    const after = await stored(keyId);
    expect(after.keyState).toBe('Disabled');
    expect(after.policy).toBe(stricter);
    expect(after.grants).toHaveLength(1);
    // b now holds what is stored: the key is disabled there too.
    await expect(b.kms.encrypt(ctx, { keyId, plaintext: Buffer.from('x') })).rejects.toMatchObject({ spec: { shape: 'DisabledException' } });
  });

  it('tags set through two nodes at once are all kept', async () => {
    const a = await node();
    const { keyMetadata } = await a.kms.createKey(ctx, {});
    const keyId = keyMetadata.keyId;
    const b = await node();
    await Promise.all([
      a.kms.tagResource(ctx, { keyId, tags: [{ tagKey: 'from-a', tagValue: '1' }] }),
      b.kms.tagResource(ctx, { keyId, tags: [{ tagKey: 'from-b', tagValue: '2' }] }),
    ]);
    expect((await stored(keyId)).tags.map((t) => t.TagKey).sort()).toEqual(['from-a', 'from-b']);
  });
});
