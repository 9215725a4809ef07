import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { IdentityStore } from '../../storage/ports.js';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * KMS cryptography: the root key that seals every key's material, the sealed form of key material,
 * and ciphertext blobs. Everything is AES-256-GCM; every ciphertext is authenticated and bound to
 * its context as additional data.
 */

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
/** Ciphertext blobs start with this, then the key id (16 bytes), version, iv, tag, ciphertext. */
const BLOB_MAGIC = Buffer.from('SQK1');

export interface RootKey {
  key: Buffer;
  /** True when it was generated just now (the server says so at start). */
  generated: boolean;
  source: 'environment' | 'file' | 'generated';
}

/**
 * The root key: SEALQ_ROOT_KEY (base64 of 32 bytes), else the file named by --root-key-file, else
 * `root.key` in the data directory, generated (mode 0600) when missing.
 */
export function loadRootKey(options: { base64?: string; file?: string; dataDir: string }): RootKey {
  if (options.base64) return { key: checkKey(Buffer.from(options.base64, 'base64'), 'SEALQ_ROOT_KEY'), generated: false, source: 'environment' };
  const path = options.file ?? join(options.dataDir, 'root.key');
  if (existsSync(path)) {
    const text = readFileSync(path, 'utf8').trim();
    return { key: checkKey(Buffer.from(text, 'base64'), path), generated: false, source: 'file' };
  }
  if (options.file) throw new Error(`root key file ${options.file} does not exist`);
  const key = randomBytes(KEY_BYTES);
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(path, key.toString('base64') + '\n', { mode: 0o600 });
  return { key, generated: true, source: 'generated' };
}

function checkKey(key: Buffer, where: string): Buffer {
  if (key.length !== KEY_BYTES) throw new Error(`${where}: a root key is 32 bytes, base64-encoded`);
  return key;
}

export const newKeyMaterial = (): Buffer => randomBytes(KEY_BYTES);

function seal(key: Buffer, plaintext: Buffer, aad: Buffer): { iv: Buffer; tag: Buffer; ciphertext: Buffer } {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, tag: cipher.getAuthTag(), ciphertext };
}

/** Returns undefined when the ciphertext, tag or additional data do not match. */
function open(key: Buffer, iv: Buffer, tag: Buffer, ciphertext: Buffer, aad: Buffer): Buffer | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    return undefined;
  }
}

/** Key material as stored: sealed under the root key, bound to the key's ARN and version. */
export function sealMaterial(root: Buffer, material: Buffer, keyArn: string, version: number): string {
  const { iv, tag, ciphertext } = seal(root, material, Buffer.from(`${keyArn}#${version}`));
  return Buffer.concat([iv, tag, ciphertext]).toString('base64');
}

export function unsealMaterial(root: Buffer, sealed: string, keyArn: string, version: number): Buffer {
  const bytes = Buffer.from(sealed, 'base64');
  const material = open(
    root,
    bytes.subarray(0, IV_BYTES),
    bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES),
    bytes.subarray(IV_BYTES + TAG_BYTES),
    Buffer.from(`${keyArn}#${version}`),
  );
  if (!material) throw new Error(`key material of ${keyArn} version ${version} does not open under this root key`);
  return material;
}

/** The encryption context as additional data: sorted, so key order never matters. */
export function contextBytes(context: Record<string, string> | undefined): Buffer {
  if (!context) return Buffer.alloc(0);
  const keys = Object.keys(context).sort();
  return Buffer.from(JSON.stringify(keys.map((k) => [k, context[k]])));
}

const uuidBytes = (keyId: string) => Buffer.from(keyId.replace(/-/g, ''), 'hex');
const uuidText = (bytes: Buffer) => {
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

/** Encrypts under one version of a key; the blob names key and version, as KMS blobs do. */
export function encryptBlob(material: Buffer, keyId: string, version: number, plaintext: Buffer, context?: Record<string, string>): Buffer {
  const header = Buffer.alloc(4 + 16 + 4);
  BLOB_MAGIC.copy(header, 0);
  uuidBytes(keyId).copy(header, 4);
  header.writeUInt32BE(version, 20);
  const { iv, tag, ciphertext } = seal(material, plaintext, Buffer.concat([header, contextBytes(context)]));
  return Buffer.concat([header, iv, tag, ciphertext]);
}

/** Which key and version a blob was made with, or undefined when it is not a sealq blob. */
export function blobKey(blob: Buffer): { keyId: string; version: number } | undefined {
  if (blob.length < 4 + 16 + 4 + IV_BYTES + TAG_BYTES || !blob.subarray(0, 4).equals(BLOB_MAGIC)) return undefined;
  return { keyId: uuidText(blob.subarray(4, 20)), version: blob.readUInt32BE(20) };
}

/** Undefined when the blob was altered or the encryption context differs. */
export function decryptBlob(material: Buffer, blob: Buffer, context?: Record<string, string>): Buffer | undefined {
  const header = blob.subarray(0, 24);
  const iv = blob.subarray(24, 24 + IV_BYTES);
  const tag = blob.subarray(24 + IV_BYTES, 24 + IV_BYTES + TAG_BYTES);
  return open(material, iv, tag, blob.subarray(24 + IV_BYTES + TAG_BYTES), Buffer.concat([header, contextBytes(context)]));
}

/**
 * A known value sealed under the root key and kept with the data, so a node started with another
 * root key (say, a second node that generated its own) refuses to start instead of failing later
 * on every key it cannot open.
 */
export const ROOT_KEY_CHECK = { kind: 'root-key-check', id: 'root', aad: 'arn:sealq:root-key-check' } as const;

export async function checkRootKey(store: IdentityStore, root: Buffer): Promise<void> {
  const stored = await store.getEntity(ROOT_KEY_CHECK.kind, ROOT_KEY_CHECK.id);
  if (!stored) {
    const value = sealMaterial(root, Buffer.from('sealq root key check'), ROOT_KEY_CHECK.aad, 1);
    await store.putEntity({ kind: ROOT_KEY_CHECK.kind, id: ROOT_KEY_CHECK.id, accountId: '', value });
    return;
  }
  try {
    unsealMaterial(root, stored.value as string, ROOT_KEY_CHECK.aad, 1);
  } catch {
    throw new Error(
      'the root key does not open the data in this store: every node on a shared database must be given the same root key (SEALQ_ROOT_KEY or --root-key-file)',
    );
  }
}

/** 256-bit key material derived from the root key (HKDF-SHA256): the same on every node that holds it. */
export function derivedKeyMaterial(root: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', root, Buffer.alloc(0), Buffer.from(info, 'utf8'), 32));
}
