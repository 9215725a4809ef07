/**
 * Object data is encrypted at rest (SSE-S3, as on AWS since 2023): canary strings stored through
 * PutObject, a multipart upload and CopyObject come back intact through GetObject, every such
 * response says `x-amz-server-side-encryption: AES256`, and no file the server keeps, running or
 * closed, holds a canary.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discardClosedServer, startTestServer, storedRunningAndClosed, type TestServer } from '../../support/sealq.js';
import { S3, bodyText, bucket, clientsFor, s3ErrorOf, type Clients } from './helpers.js';

const MiB = 1024 * 1024;
let server: TestServer;
let c: Clients;
let name: string;
const canary = (label: string) => `CANARY-S3-${label}-${randomBytes(12).toString('hex')}`;
const single = canary('put');
const parts = [canary('part-1'), canary('part-2')];
/** A multipart part: 5 MiB (the smallest a non-last part may be) with the canary inside it. */
const partBody = (text: string, size: number) => Buffer.concat([randomBytes(1000), Buffer.from(text), randomBytes(size - 1000 - text.length)]);
const encryption: Record<string, string | undefined> = {};
let whileRunning: Map<string, Buffer>;
let afterClose: Map<string, Buffer>;
let fetched: Record<string, Buffer>;

beforeAll(async () => {
  server = await startTestServer();
  c = clientsFor(server);
  name = await bucket(c, 'at-rest');
  const put = await c.s3.send(new S3.PutObjectCommand({ Bucket: name, Key: 'single.txt', Body: `before ${single} after` }));
  encryption.PutObject = put.ServerSideEncryption;

  const created = await c.s3.send(new S3.CreateMultipartUploadCommand({ Bucket: name, Key: 'multi.bin' }));
  encryption.CreateMultipartUpload = created.ServerSideEncryption;
  const bodies = [partBody(parts[0], 5 * MiB), partBody(parts[1], 2000)];
  const uploaded = [];
  for (const [i, body] of bodies.entries()) {
    const part = await c.s3.send(
      new S3.UploadPartCommand({ Bucket: name, Key: 'multi.bin', UploadId: created.UploadId, PartNumber: i + 1, Body: body }),
    );
    encryption.UploadPart = part.ServerSideEncryption;
    uploaded.push({ PartNumber: i + 1, ETag: part.ETag });
  }
  const completed = await c.s3.send(
    new S3.CompleteMultipartUploadCommand({ Bucket: name, Key: 'multi.bin', UploadId: created.UploadId, MultipartUpload: { Parts: uploaded } }),
  );
  encryption.CompleteMultipartUpload = completed.ServerSideEncryption;

  const copied = await c.s3.send(new S3.CopyObjectCommand({ Bucket: name, Key: 'copy.txt', CopySource: `${name}/single.txt` }));
  encryption.CopyObject = copied.ServerSideEncryption;
  encryption.HeadObject = (await c.s3.send(new S3.HeadObjectCommand({ Bucket: name, Key: 'copy.txt' }))).ServerSideEncryption;

  fetched = {};
  for (const key of ['single.txt', 'multi.bin', 'copy.txt']) {
    const got = await c.s3.send(new S3.GetObjectCommand({ Bucket: name, Key: key }));
    encryption.GetObject = got.ServerSideEncryption;
    fetched[key] = Buffer.from(await got.Body!.transformToByteArray());
  }
  expect(Buffer.concat(bodies).equals(fetched['multi.bin'])).toBe(true);
  // A range across the two parts' boundary.
  const range = await c.s3.send(new S3.GetObjectCommand({ Bucket: name, Key: 'multi.bin', Range: `bytes=${5 * MiB - 3}-${5 * MiB + 1002 + parts[1].length}` }));
  expect(await bodyText(range.Body)).toContain(parts[1]);

  ({ whileRunning, afterClose } = await storedRunningAndClosed(server));
});

afterAll(() => discardClosedServer(server));

describe('S3 object data at rest', () => {
  it('returns every object byte for byte', () => {
    expect(fetched['single.txt'].toString()).toBe(`before ${single} after`);
    expect(fetched['copy.txt'].toString()).toBe(`before ${single} after`);
    expect(fetched['multi.bin'].length).toBe(5 * MiB + 2000);
  });

  it('says AES256 on each response about an object', () => {
    expect(encryption).toEqual({
      PutObject: 'AES256',
      CreateMultipartUpload: 'AES256',
      UploadPart: 'AES256',
      CompleteMultipartUpload: 'AES256',
      CopyObject: 'AES256',
      HeadObject: 'AES256',
      GetObject: 'AES256',
    });
  });

  it('keeps no canary in any file, running or closed, while the object files are there and searched', () => {
    if (server.postgres) {
      // On PostgreSQL object data is in the database: every chunk, in one searched table.
      expect(afterClose.get('table:s3_file_chunks')?.length).toBeGreaterThan(5 * MiB);
    } else {
      const objectFiles = [...afterClose].filter(([file]) => file.startsWith('s3/objects/'));
      // single, copy and the joined multipart object (parts are removed once joined).
      expect(objectFiles.length).toBeGreaterThanOrEqual(3);
      expect(objectFiles.some(([, bytes]) => bytes.length > 5 * MiB)).toBe(true);
    }
    for (const text of [single, ...parts]) {
      for (const [when, files] of [['running', whileRunning], ['closed', afterClose]] as const) {
        const holding = [...files].filter(([, bytes]) => bytes.includes(Buffer.from(text)));
        expect(holding.map(([file]) => file), `${text} while ${when}`).toEqual([]);
      }
    }
  });
});

describe('damaged object data', () => {
  it('cuts the GetObject response short and logs why, while ranges before the damage and HeadObject still answer', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'error', base: undefined }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    const own = await startTestServer({}, { logger });
    try {
      const clients = clientsFor(own);
      const b = await bucket(clients, 'damaged');
      const data = randomBytes(200_000);
      await clients.s3.send(new S3.PutObjectCommand({ Bucket: b, Key: 'k', Body: data }));
      // A byte of the second 64 KiB chunk.
      await damage(own, { chunk: 1, at: 70_000 - 65_536, dataLength: data.length });

      const first = await clients.s3.send(new S3.GetObjectCommand({ Bucket: b, Key: 'k', Range: 'bytes=0-999' }));
      expect(Buffer.from(await first.Body!.transformToByteArray()).equals(data.subarray(0, 1000))).toBe(true);
      expect((await clients.s3.send(new S3.HeadObjectCommand({ Bucket: b, Key: 'k' }))).ContentLength).toBe(data.length);
      const whole = await clients.s3.send(new S3.GetObjectCommand({ Bucket: b, Key: 'k' }));
      await expect(whole.Body!.transformToByteArray()).rejects.toThrow();
      await expect.poll(() => lines.filter((l) => l.msg === 'object data could not be read; the response was cut short').length).toBe(1);

      // A damaged header (the sealed data key): nothing can be read, and the server says it failed.
      await damage(own, { keyByte: 10 });
      expect(await s3ErrorOf(clients.s3.send(new S3.GetObjectCommand({ Bucket: b, Key: 'k' })))).toMatchObject({ code: 'InternalError', status: 500 });
      expect(lines.some((l) => l.msg === 'internal failure' && String((l.err as { message?: string })?.message).includes('does not open'))).toBe(true);
    } finally {
      await own.stop();
    }
  });
});

/**
 * Flips one byte of the server's only object: in a sealed chunk (its offset within the chunk's
 * plaintext) or in the sealed data key, in its file or in its database rows.
 */
async function damage(own: TestServer, where: { chunk: number; at: number; dataLength: number } | { keyByte: number }): Promise<void> {
  if (own.postgres) {
    const client = new pg.Client({ connectionString: own.postgres.url });
    await client.connect();
    try {
      const table = (name: string) => `"${own.postgres!.schema}".${name}`;
      if ('keyByte' in where) {
        const { rows } = await client.query<{ file_id: string; key_blob: Buffer }>(`SELECT file_id, key_blob FROM ${table('s3_files')}`);
        rows[0].key_blob[where.keyByte] ^= 1;
        await client.query(`UPDATE ${table('s3_files')} SET key_blob = $2 WHERE file_id = $1`, [rows[0].file_id, rows[0].key_blob]);
      } else {
        const { rows } = await client.query<{ file_id: string; data: Buffer }>(`SELECT file_id, data FROM ${table('s3_file_chunks')} WHERE idx = $1`, [
          where.chunk,
        ]);
        rows[0].data[where.at] ^= 1;
        await client.query(`UPDATE ${table('s3_file_chunks')} SET data = $3 WHERE file_id = $1 AND idx = $2`, [rows[0].file_id, where.chunk, rows[0].data]);
      }
    } finally {
      await client.end();
    }
    return;
  }
  const dir = join(own.dataDir, 's3', 'objects');
  const [sub] = readdirSync(dir);
  const [file] = readdirSync(join(dir, sub));
  const bytes = readFileSync(join(dir, sub, file));
  if ('keyByte' in where) {
    // Past the 10-byte magic and length: inside the sealed data key.
    bytes[10 + where.keyByte] ^= 1;
  } else {
    const chunks = Math.ceil(where.dataLength / 65_536);
    const dataStart = bytes.length - where.dataLength - chunks * 16;
    bytes[dataStart + where.chunk * (65_536 + 16) + where.at] ^= 1;
  }
  writeFileSync(join(dir, sub, file), bytes);
}
