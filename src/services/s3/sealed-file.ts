/**
 * The at-rest format of S3 object data (SSE-S3: every object is encrypted, as on AWS since 2023).
 *
 *   magic (8) | data-key blob length (2, big-endian) | data-key blob | chunk 0 | chunk 1 | ...
 *
 * Each file has its own 256-bit data key, sealed under the sealq-owned key with the file id as
 * encryption context, so a file moved under another id does not open. The data is cut into
 * chunks of 64 KiB, each sealed with AES-256-GCM: nonce = the chunk's index (the key is never used
 * for another file), additional data = whether it is the last chunk, so a file cut short at a
 * chunk boundary does not open either. A range read opens only the chunks it covers.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';

export const CHUNK = 64 * 1024;
export const TAG = 16;
const MAGIC = Buffer.from('SEALQS3\u0001', 'latin1');
const FINAL = Buffer.from([1]);
const NOT_FINAL = Buffer.from([0]);

/** Where a file's data keys come from: the caller binds each to the file's id. */
export interface FileKeys {
  newKey(fileId: string): { plaintext: Buffer; blob: Buffer };
  openKey(blob: Buffer, fileId: string): Buffer;
}

function nonce(index: number): Buffer {
  const iv = Buffer.alloc(12);
  iv.writeUIntBE(index, 6, 6);
  return iv;
}

/** A chunk's ciphertext and its tag, as one buffer: one write to the file per chunk. */
export function sealChunk(key: Buffer, index: number, final: boolean, data: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, nonce(index));
  cipher.setAAD(final ? FINAL : NOT_FINAL);
  const ciphertext = cipher.update(data);
  cipher.final();
  return Buffer.concat([ciphertext, cipher.getAuthTag()], ciphertext.length + TAG);
}

export function openChunk(key: Buffer, index: number, final: boolean, sealed: Buffer): Buffer {
  if (sealed.length < TAG) throw new Error('sealed object data is truncated');
  const decipher = createDecipheriv('aes-256-gcm', key, nonce(index));
  decipher.setAAD(final ? FINAL : NOT_FINAL);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
  const plaintext = decipher.update(sealed.subarray(0, sealed.length - TAG));
  // Throws unless the tag matches: nothing is returned before the chunk is authenticated.
  decipher.final();
  return plaintext;
}

export function fileHeader(blob: Buffer): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(blob.length);
  return Buffer.concat([MAGIC, length, blob]);
}

/** Seals a byte stream into the format above; the last chunk goes out when the input ends. */
export class SealingStream extends Transform {
  /** Input not sealed yet, kept as it came (small pieces are joined once, not once per piece). */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private index = 0;
  private headerSent = false;

  constructor(
    private readonly key: Buffer,
    private readonly header: Buffer,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.sendHeader();
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    // A full chunk is held back until more data follows: only then is it known not to be the last.
    if (this.pendingBytes <= CHUNK) return done();
    let data = Buffer.concat(this.pending, this.pendingBytes);
    while (data.length > CHUNK) {
      this.push(sealChunk(this.key, this.index++, false, data.subarray(0, CHUNK)));
      data = data.subarray(CHUNK);
    }
    this.pending = [data];
    this.pendingBytes = data.length;
    done();
  }

  override _flush(done: TransformCallback): void {
    this.sendHeader();
    this.push(sealChunk(this.key, this.index, true, Buffer.concat(this.pending, this.pendingBytes)));
    done();
  }

  private sendHeader(): void {
    if (this.headerSent) return;
    this.headerSent = true;
    this.push(this.header);
  }
}

export interface OpenedFile {
  /** Plaintext bytes in the file. */
  size: number;
  /** The plaintext from `start` to `end` inclusive, read and opened one chunk at a time. */
  chunks(start: number, end: number): AsyncGenerator<Buffer>;
}

/** Reads a sealed file's header; undefined when the file predates encryption (no magic). */
export async function openSealedFile(handle: FileHandle, fileId: string, keys: FileKeys): Promise<OpenedFile | undefined> {
  const { size: fileSize } = await handle.stat();
  const head = Buffer.alloc(MAGIC.length + 2);
  const { bytesRead } = await handle.read(head, 0, head.length, 0);
  if (bytesRead < head.length || !head.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const blobLength = head.readUInt16BE(MAGIC.length);
  const blob = Buffer.alloc(blobLength);
  await handle.read(blob, 0, blobLength, head.length);
  const key = keys.openKey(blob, fileId);
  const dataStart = head.length + blobLength;
  const sealedBytes = fileSize - dataStart;
  const count = Math.max(1, Math.ceil(sealedBytes / (CHUNK + TAG)));
  const size = sealedBytes - count * TAG;
  if (size < 0) throw new Error('sealed object data is truncated');
  return {
    size,
    async *chunks(start: number, end: number) {
      if (size === 0) {
        // Nothing to return, but an emptied file must still prove it was written empty.
        const sealed = Buffer.alloc(TAG);
        const { bytesRead: got } = await handle.read(sealed, 0, TAG, dataStart);
        openChunk(key, 0, true, sealed.subarray(0, got));
        return;
      }
      if (end < start) return;
      const first = Math.floor(start / CHUNK);
      const last = Math.min(count - 1, Math.floor(end / CHUNK));
      for (let index = first; index <= last; index++) {
        const plainLength = index === count - 1 ? size - index * CHUNK : CHUNK;
        const sealed = Buffer.allocUnsafe(plainLength + TAG);
        const { bytesRead: got } = await handle.read(sealed, 0, sealed.length, dataStart + index * (CHUNK + TAG));
        const plain = openChunk(key, index, index === count - 1, sealed.subarray(0, got));
        const from = index === first ? start - index * CHUNK : 0;
        const to = index === last ? end - index * CHUNK + 1 : plain.length;
        yield plain.subarray(from, to);
      }
    },
  };
}

/** File keys under the sealq-owned key (the one SSE-SQS uses), bound to the file's id. */
export function ownedFileKeys(kms: {
  ownedDataKey(context: Record<string, string>): { plaintext: Buffer; blob: Buffer };
  decryptOwned(blob: Buffer, context: Record<string, string>): Buffer;
}): FileKeys {
  const context = (fileId: string) => ({ 'sealq:s3:file': fileId });
  return {
    newKey: (fileId) => kms.ownedDataKey(context(fileId)),
    openKey: (blob, fileId) => {
      try {
        return kms.decryptOwned(blob, context(fileId));
      } catch {
        // Damaged or misplaced data on disk is the server's failure (an InternalError), not a KMS error of the caller's.
        throw new Error(`the data key of object file ${fileId} does not open`);
      }
    },
  };
}
