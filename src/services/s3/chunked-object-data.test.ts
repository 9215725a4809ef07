import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresReachable, postgresUrl } from '../../../test/support/processes.js';
import { defaultConfig } from '../../config/config.js';
import { ManualClock } from '../../shared/clock.js';
import { PgStore } from '../../storage/postgres/pg-store.js';
import { startIdentity } from '../identity.js';
import { ABANDONED_FILE_MS, ChunkedObjectData, REMOVED_FILE_GRACE_MS } from './chunked-object-data.js';
import { CHUNK, ownedFileKeys } from './sealed-file.js';

const schema = `sealq_chunks_${process.pid}_${randomBytes(4).toString('hex')}`;
const clock = new ManualClock();
let dataDir: string;
let stores: PgStore[] = [];
let data: ChunkedObjectData;
/** A second node on the same schema. */
let other: ChunkedObjectData;
let sql: pg.Client;

const bytesOf = async (stream: Readable): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/** Writes `bytes` in uneven pieces, as a socket would deliver them. */
const put = (bytes: Buffer, into = data) => {
  const pieces: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += 7_919) pieces.push(bytes.subarray(at, at + 7_919));
  return into.write(Readable.from(pieces), 1 << 30);
};

const chunkRows = async (fileId: string) =>
  (await sql.query<{ idx: number; data: Buffer }>(`SELECT idx, data FROM "${schema}".s3_file_chunks WHERE file_id = $1 ORDER BY idx`, [fileId])).rows;
const setChunk = (fileId: string, idx: number, bytes: Buffer) =>
  sql.query(`UPDATE "${schema}".s3_file_chunks SET data = $3 WHERE file_id = $1 AND idx = $2`, [fileId, idx, bytes]);

const available = Boolean(process.env.CI) || (await postgresReachable());

describe.skipIf(!available)('S3 object data as sealed chunks in PostgreSQL', () => {
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sealq-chunks-'));
    const rootKey = randomBytes(32).toString('base64');
    const open = async () => {
      const store = await PgStore.open({ connectionString: postgresUrl, schema, poolSize: 4 });
      stores.push(store);
      const identity = await startIdentity({ ...defaultConfig, dataDir, rootKey }, store.identity(), clock);
      return new ChunkedObjectData(store.chunks(), ownedFileKeys(identity.kms), clock);
    };
    data = await open();
    other = await open();
    sql = new pg.Client({ connectionString: postgresUrl });
    await sql.connect();
  });

  afterAll(async () => {
    await sql?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await sql?.end();
    for (const store of stores) await store.close();
    stores = [];
    rmSync(dataDir, { recursive: true, force: true });
  });

  for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5]) {
    it(`round-trips ${size} bytes through another node, and the table holds no plaintext`, async () => {
      const bytes = Buffer.from(Array.from({ length: size }, (_, i) => 'CANARY-'[i % 7]).join(''));
      const written = await put(bytes);
      expect(written.size).toBe(size);
      expect(await bytesOf(await data.open(written.fileId))).toEqual(bytes);
      expect(await bytesOf(await other.open(written.fileId))).toEqual(bytes);
      const rows = await chunkRows(written.fileId);
      expect(rows.map((r) => r.idx)).toEqual(Array.from({ length: Math.max(1, Math.ceil(size / CHUNK)) }, (_, i) => i));
      const stored = Buffer.concat(rows.map((r) => r.data));
      expect(stored.includes(Buffer.from('CANARY-'))).toBe(false);
      expect(stored.length).toBe(size + 16 * rows.length);
    });
  }

  it('reads any range, within a chunk or across several, opening only the chunks it covers', async () => {
    const bytes = randomBytes(3 * CHUNK + 100);
    const { fileId } = await put(bytes);
    const ranges = [
      [0, 0],
      [5, 10],
      [CHUNK - 1, CHUNK],
      [CHUNK, 2 * CHUNK - 1],
      [10, 3 * CHUNK + 50],
      [3 * CHUNK, 3 * CHUNK + 99],
      [bytes.length - 1, bytes.length - 1],
    ];
    for (const [start, end] of ranges) {
      expect(await bytesOf(await data.open(fileId, { start, end })), `${start}-${end}`).toEqual(bytes.subarray(start, end + 1));
    }
    const [first] = await chunkRows(fileId);
    first.data[40] ^= 1;
    await setChunk(fileId, 0, first.data);
    expect(await bytesOf(await data.open(fileId, { start: 2 * CHUNK, end: 2 * CHUNK + 9 }))).toEqual(bytes.subarray(2 * CHUNK, 2 * CHUNK + 10));
    await expect(bytesOf(await data.open(fileId))).rejects.toThrow();
  });

  it('refuses a flipped byte, a missing last chunk, a chunk from another file, and a key moved to another file', async () => {
    const bytes = randomBytes(2 * CHUNK + 10);
    const flipped = await put(bytes);
    const rows = await chunkRows(flipped.fileId);
    rows[2].data[3] ^= 1;
    await setChunk(flipped.fileId, 2, rows[2].data);
    await expect(bytesOf(await data.open(flipped.fileId))).rejects.toThrow();

    const cut = await put(bytes);
    await sql.query(`DELETE FROM "${schema}".s3_file_chunks WHERE file_id = $1 AND idx = 2`, [cut.fileId]);
    await expect(bytesOf(await data.open(cut.fileId))).rejects.toThrow(/lacks chunk 2/);

    const [a, b] = [await put(bytes), await put(bytes)];
    await setChunk(a.fileId, 1, (await chunkRows(b.fileId))[1].data);
    await expect(bytesOf(await data.open(a.fileId))).rejects.toThrow();

    const moved = await put(bytes);
    const target = await put(bytes);
    await sql.query(
      `UPDATE "${schema}".s3_files SET key_blob = (SELECT key_blob FROM "${schema}".s3_files WHERE file_id = $1) WHERE file_id = $2`,
      [moved.fileId, target.fileId],
    );
    // The data key is bound to the file id it was made for.
    await expect(data.open(target.fileId)).rejects.toThrow();
  });

  it('copies and joins files through their plaintext, each under its own new key', async () => {
    const a = randomBytes(CHUNK + 3);
    const b = randomBytes(17);
    const [fa, fb] = [await put(a), await put(b)];
    const copy = await data.copy(fa.fileId, 1 << 30);
    expect(copy.md5).toBe(fa.md5);
    expect(await bytesOf(await other.open(copy.fileId))).toEqual(a);
    const joined = await data.concat([fa.fileId, fb.fileId], 1 << 30);
    expect(joined.size).toBe(a.length + b.length);
    expect(await bytesOf(await other.open(joined.fileId))).toEqual(Buffer.concat([a, b]));
    expect((await chunkRows(copy.fileId))[0].data).not.toEqual((await chunkRows(fa.fileId))[0].data);
  });

  it('keeps a removed file readable for a reader that opened it before, and sweeps it after the grace period', async () => {
    const bytes = randomBytes(2 * CHUNK);
    const { fileId } = await put(bytes);
    const reading = await other.open(fileId);
    await data.remove(fileId);
    await expect(data.open(fileId)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await bytesOf(reading)).toEqual(bytes);
    expect((await chunkRows(fileId)).length).toBe(2);
    // The sweep runs at a removal, at most every 10 minutes, for what was removed an hour before.
    clock.advance(REMOVED_FILE_GRACE_MS + 1);
    const trigger = await put(Buffer.from('x'));
    await data.remove(trigger.fileId);
    await expect.poll(async () => (await chunkRows(fileId)).length).toBe(0);
    expect((await chunkRows(trigger.fileId)).length).toBe(1);
  });

  it('leaves no readable file behind a write that fails, and sweeps what it stored', async () => {
    const fileIds = async () =>
      (await sql.query<{ file_id: string; removed_at: number | null }>(`SELECT file_id, removed_at FROM "${schema}".s3_files`)).rows;
    const before = new Set((await fileIds()).map((r) => r.file_id));
    await expect(data.write(Readable.from([randomBytes(CHUNK), randomBytes(CHUNK)]), CHUNK + 5)).rejects.toMatchObject({ code: 'EntityTooLarge' });
    const added = (await fileIds()).filter((r) => !before.has(r.file_id));
    expect(added).toHaveLength(1);
    const [failed] = added;
    expect(failed.removed_at).not.toBeNull();
    await expect(data.open(failed.file_id)).rejects.toMatchObject({ code: 'ENOENT' });
    // A write whose node died is never finished: swept a day later.
    await sql.query(`INSERT INTO "${schema}".s3_files (file_id, key_blob, created_at) VALUES ('abandoned', '\\x00', $1)`, [clock.now()]);
    clock.advance(ABANDONED_FILE_MS + 1);
    const trigger = await put(Buffer.from('y'));
    await data.remove(trigger.fileId);
    await expect
      .poll(async () => (await sql.query(`SELECT file_id FROM "${schema}".s3_files WHERE file_id = ANY($1)`, [[failed.file_id, 'abandoned']])).rows)
      .toEqual([]);
  });
});
