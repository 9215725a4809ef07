/**
 * Object data as sealed chunks in a store every node shares (PostgreSQL), so a cluster serves
 * each object from any node. The same at-rest scheme as the files of sealed-file.ts: a data key
 * per file, sealed under the sealq-owned key with the file id as context; 64 KiB chunks, each
 * AES-256-GCM with its index as nonce and "last chunk or not" as additional data, so a chunk
 * that is altered, moved, or missing from the end does not open.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Clock } from '../../shared/clock.js';
import type { ChunkStore } from '../../storage/ports.js';
import { s3Errors } from './errors.js';
import { joined, type ObjectData, type WrittenFile } from './object-files.js';
import { CHUNK, openChunk, sealChunk, type FileKeys } from './sealed-file.js';

/** A removed file's chunks stay this long for readers that opened it before. */
export const REMOVED_FILE_GRACE_MS = 60 * 60_000;
/** A file never finished (its upload failed, or its node died mid-write) goes after this long. */
export const ABANDONED_FILE_MS = 24 * 60 * 60_000;
const SWEEP_EVERY_MS = 10 * 60_000;
/** Chunks fetched per query when reading: 1 MiB. */
const READ_BATCH = 16;

export class ChunkedObjectData implements ObjectData {
  private lastSweep = 0;

  constructor(
    private readonly chunks: ChunkStore,
    private readonly keys: FileKeys,
    private readonly clock: Clock,
  ) {}

  async write(body: Readable, maxBytes: number): Promise<WrittenFile> {
    const fileId = randomBytes(16).toString('hex');
    const key = this.keys.newKey(fileId);
    await this.chunks.createFile(fileId, key.blob, this.clock.now());
    const md5 = createHash('md5');
    let size = 0;
    let index = 0;
    // Input not yet sealed. A full chunk is sealed only once more input follows it, since
    // whether it is the last one is part of its seal.
    let pieces: Buffer[] = [];
    let pendingBytes = 0;
    try {
      for await (const piece of body as AsyncIterable<Buffer>) {
        size += piece.length;
        if (size > maxBytes) throw s3Errors.entityTooLarge(size, maxBytes);
        md5.update(piece);
        pieces.push(piece);
        pendingBytes += piece.length;
        if (pendingBytes <= CHUNK) continue;
        let pending = Buffer.concat(pieces, pendingBytes);
        while (pending.length > CHUNK) {
          await this.chunks.putChunk(fileId, index, sealChunk(key.plaintext, index, false, pending.subarray(0, CHUNK)));
          index++;
          pending = pending.subarray(CHUNK);
        }
        pieces = [pending];
        pendingBytes = pending.length;
      }
      await this.chunks.putChunk(fileId, index, sealChunk(key.plaintext, index, true, Buffer.concat(pieces, pendingBytes)));
      await this.chunks.finishFile(fileId, size, index + 1);
    } catch (error) {
      await this.chunks.removeFile(fileId, this.clock.now()).catch(() => undefined);
      throw error;
    }
    return { fileId, size, md5: md5.digest('hex') };
  }

  async remove(fileId: string): Promise<void> {
    const now = this.clock.now();
    await this.chunks.removeFile(fileId, now);
    if (now - this.lastSweep >= SWEEP_EVERY_MS) {
      this.lastSweep = now;
      // Housekeeping only: a failure is retried at a later removal.
      this.chunks.sweepFiles(now - REMOVED_FILE_GRACE_MS, now - ABANDONED_FILE_MS).catch(() => undefined);
    }
  }

  async copy(fileId: string, maxBytes: number): Promise<WrittenFile> {
    return this.write(await this.open(fileId), maxBytes);
  }

  async open(fileId: string, range?: { start: number; end: number }): Promise<Readable> {
    const file = await this.chunks.getFile(fileId);
    if (!file) throw Object.assign(new Error(`object file ${fileId} does not exist`), { code: 'ENOENT' });
    const key = this.keys.openKey(file.keyBlob, fileId);
    const { size, chunkCount } = file;
    const store = this.chunks;
    const start = range?.start ?? 0;
    const end = range?.end ?? size - 1;
    async function* plaintext(): AsyncGenerator<Buffer> {
      const first = size === 0 ? 0 : Math.floor(start / CHUNK);
      const last = size === 0 ? 0 : Math.min(chunkCount - 1, Math.floor(end / CHUNK));
      if (size > 0 && end < start) return;
      for (let from = first; from <= last; from += READ_BATCH) {
        const to = Math.min(last, from + READ_BATCH - 1);
        const got = await store.getChunks(fileId, from, to);
        for (let index = from; index <= to; index++) {
          const chunk = got[index - from];
          if (!chunk || chunk.index !== index) throw new Error(`object file ${fileId} lacks chunk ${index}`);
          // Throws unless the chunk authenticates: nothing unauthenticated is returned.
          const plain = openChunk(key, index, index === chunkCount - 1, chunk.data);
          if (size === 0) return;
          const lo = index === first ? start - index * CHUNK : 0;
          const hi = index === last ? end - index * CHUNK + 1 : plain.length;
          yield plain.subarray(lo, hi);
        }
      }
    }
    return Readable.from(plaintext(), { objectMode: false });
  }

  async concat(fileIds: string[], maxBytes: number): Promise<WrittenFile> {
    return this.write(joined(this, fileIds), maxBytes);
  }

  async wipe(): Promise<void> {
    await this.chunks.wipe();
  }
}
