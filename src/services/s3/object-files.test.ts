import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../config/config.js';
import { ManualClock } from '../../shared/clock.js';
import { SqliteStore } from '../../storage/sqlite/sqlite-store.js';
import { startIdentity } from '../identity.js';
import { ObjectFiles } from './object-files.js';
import { CHUNK, ownedFileKeys } from './sealed-file.js';

let dataDir: string;
let store: SqliteStore;
let files: ObjectFiles;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'sealq-objects-'));
  store = new SqliteStore({ dataDir });
  const identity = await startIdentity({ ...defaultConfig, dataDir, rootKey: randomBytes(32).toString('base64') }, store.identity(), new ManualClock());
  files = new ObjectFiles(join(dataDir, 's3'), ownedFileKeys(identity.kms));
});

afterAll(async () => {
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const pathOf = (fileId: string) => join(dataDir, 's3', 'objects', fileId.slice(0, 2), fileId);

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Writes `data` in uneven pieces, as a socket would deliver it. */
async function put(data: Buffer) {
  const pieces: Buffer[] = [];
  for (let at = 0; at < data.length; at += 7_919) pieces.push(data.subarray(at, at + 7_919));
  return files.write(Readable.from(pieces), 1 << 30);
}

describe('object data at rest (SSE-S3)', () => {
  for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5]) {
    it(`round-trips ${size} bytes, and the file holds no plaintext`, async () => {
      const data = Buffer.from(Array.from({ length: size }, (_, i) => 'CANARY-'[i % 7]).join(''));
      const written = await put(data);
      expect(written.size).toBe(size);
      expect(await bytesOf(await files.open(written.fileId))).toEqual(data);
      const onDisk = readFileSync(pathOf(written.fileId));
      if (size >= 7) expect(onDisk.includes(Buffer.from('CANARY-'))).toBe(false);
      // Header, then the plaintext's length plus a 16-byte tag per chunk (at least one chunk).
      const chunks = Math.max(1, Math.ceil(size / CHUNK));
      expect(onDisk.length - size - 16 * chunks).toBeGreaterThan(8);
    });
  }

  it('reads any range, within a chunk or across several, opening only the chunks it covers', async () => {
    const data = randomBytes(3 * CHUNK + 100);
    const { fileId } = await put(data);
    const ranges = [
      [0, 0],
      [5, 10],
      [CHUNK - 1, CHUNK],
      [CHUNK, 2 * CHUNK - 1],
      [10, 3 * CHUNK + 50],
      [3 * CHUNK, 3 * CHUNK + 99],
      [data.length - 1, data.length - 1],
    ];
    for (const [start, end] of ranges) {
      expect(await bytesOf(await files.open(fileId, { start, end })), `${start}-${end}`).toEqual(data.subarray(start, end + 1));
    }
    // A damaged first chunk does not stop a range that starts past it.
    const onDisk = readFileSync(pathOf(fileId));
    const header = onDisk.length - data.length - 16 * 4;
    onDisk[header + 40] ^= 1;
    writeFileSync(pathOf(fileId), onDisk);
    expect(await bytesOf(await files.open(fileId, { start: 2 * CHUNK, end: 2 * CHUNK + 9 }))).toEqual(data.subarray(2 * CHUNK, 2 * CHUNK + 10));
    await expect(bytesOf(await files.open(fileId))).rejects.toThrow();
  });

  it('refuses a file with a flipped byte, one cut short at a chunk boundary, and one moved under another id', async () => {
    const data = randomBytes(2 * CHUNK + 10);
    const flipped = await put(data);
    const bytes = readFileSync(pathOf(flipped.fileId));
    bytes[bytes.length - 20] ^= 1;
    writeFileSync(pathOf(flipped.fileId), bytes);
    await expect(bytesOf(await files.open(flipped.fileId))).rejects.toThrow();

    const cut = await put(data);
    // Drop the last chunk (10 bytes and its tag): what is left ends on a chunk marked "not last".
    truncateSync(pathOf(cut.fileId), readFileSync(pathOf(cut.fileId)).length - 26);
    await expect(bytesOf(await files.open(cut.fileId))).rejects.toThrow();

    const moved = await put(data);
    const other = await put(Buffer.from('other'));
    renameSync(pathOf(moved.fileId), pathOf(other.fileId));
    // The data key is bound to the file id it was made for.
    await expect(files.open(other.fileId)).rejects.toThrow();
  });

  it('copies and joins files through their plaintext, each under its own new key', async () => {
    const a = randomBytes(CHUNK + 3);
    const b = randomBytes(17);
    const [fa, fb] = [await put(a), await put(b)];
    const copy = await files.copy(fa.fileId, 1 << 30);
    expect(copy.md5).toBe(fa.md5);
    expect(await bytesOf(await files.open(copy.fileId))).toEqual(a);
    const joined = await files.concat([fa.fileId, fb.fileId], 1 << 30);
    expect(joined.size).toBe(a.length + b.length);
    expect(await bytesOf(await files.open(joined.fileId))).toEqual(Buffer.concat([a, b]));
    expect(readFileSync(pathOf(copy.fileId)).subarray(10, 60)).not.toEqual(readFileSync(pathOf(fa.fileId)).subarray(10, 60));
  });

  it('reads a file written before object data was encrypted as it is', async () => {
    const fileId = 'ab' + randomBytes(15).toString('hex');
    mkdirSync(join(dataDir, 's3', 'objects', 'ab'), { recursive: true });
    writeFileSync(pathOf(fileId), 'written in the clear');
    expect((await bytesOf(await files.open(fileId))).toString()).toBe('written in the clear');
    expect((await bytesOf(await files.open(fileId, { start: 11, end: 13 }))).toString()).toBe('the');
    expect(readdirSync(join(dataDir, 's3', 'tmp'))).toEqual([]);
  });
});
