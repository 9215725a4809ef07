import { randomBytes } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IdentityStore } from '../../storage/ports.js';
import { ROOT_KEY_CHECK, sealMaterial, unsealMaterial } from './crypto.js';
import { KEY_VERSION_KIND, type KeyVersion, type KmsKey } from './keys.js';

const OWNED_ARN = 'arn:sealq:sqs-owned-key';

/**
 * Re-seals everything sealed under the root key (every KMS key version, the SSE-SQS owned key, IAM
 * and session secrets, the SNS signing key) under a new root key.
 * Messages are untouched: their data keys are encrypted under KMS keys, whose material is the same
 * after rotation. Returns the new key; the caller decides where it lives.
 */
export async function resealUnderNewRootKey(
  store: IdentityStore,
  oldRoot: Buffer,
  onProgress: (done: number, total: number) => void = () => undefined,
): Promise<Buffer> {
  const newRoot = randomBytes(32);
  const sealedKinds = new Set(['kms-key', 'kms-owned-key', 'key', 'session', 'sns-signing', KEY_VERSION_KIND, ROOT_KEY_CHECK.kind]);
  const entities = (await store.listEntities()).filter((e) => sealedKinds.has(e.kind));
  const reseal = (sealed: string, aad: string) => sealMaterial(newRoot, unsealMaterial(oldRoot, sealed, aad, 1), aad, 1);
  let done = 0;
  for (const e of entities) {
    if (e.kind === 'key' || e.kind === 'session') {
      // IAM and session secrets, bound to their access key id.
      const v = e.value as { secretAccessKey: string };
      await store.putEntity({ ...e, value: { ...v, secretAccessKey: reseal(v.secretAccessKey, `arn:sealq:secret/${e.id}`) } });
    } else if (e.kind === 'sns-signing') {
      const v = e.value as { sealed: string; certificate: string };
      await store.putEntity({ ...e, value: { ...v, sealed: reseal(v.sealed, 'arn:sealq:sns-signing-key') } });
    } else if (e.kind === ROOT_KEY_CHECK.kind) {
      await store.putEntity({ ...e, value: reseal(e.value as string, ROOT_KEY_CHECK.aad) });
    } else if (e.kind === 'kms-owned-key') {
      const material = unsealMaterial(oldRoot, e.value as string, OWNED_ARN, 1);
      await store.putEntity({ ...e, value: sealMaterial(newRoot, material, OWNED_ARN, 1) });
    } else if (e.kind === KEY_VERSION_KIND) {
      const v = e.value as KeyVersion & { keyArn: string };
      const material = unsealMaterial(oldRoot, v.sealed, v.keyArn, v.version);
      await store.putEntity({ ...e, value: { ...v, sealed: sealMaterial(newRoot, material, v.keyArn, v.version) } });
    } else {
      const key = e.value as KmsKey;
      const versions = key.versions.map((v) => ({
        ...v,
        sealed: sealMaterial(newRoot, unsealMaterial(oldRoot, v.sealed, key.arn, v.version), key.arn, v.version),
      }));
      await store.putEntity({ ...e, value: { ...key, versions } });
    }
    onProgress(++done, entities.length);
  }
  return newRoot;
}

/** Writes a root key file atomically (mode 0600), keeping the previous one as `<file>.previous`. */
export function writeRootKeyFile(path: string, key: Buffer, previousExists: boolean): void {
  const temp = join(path + '.new');
  writeFileSync(temp, key.toString('base64') + '\n', { mode: 0o600 });
  if (previousExists) renameSync(path, path + '.previous');
  renameSync(temp, path);
}
