import type { PoolClient, QueryResultRow } from 'pg';
import type { ChunkStore } from '../ports.js';

type Query = <R extends QueryResultRow>(text: string, values?: unknown[]) => Promise<R[]>;
type Transaction = <T>(fn: (c: PoolClient) => Promise<T>) => Promise<T>;

/** S3 object data as rows of sealed chunks (tables s3_files and s3_file_chunks, migration 4). */
export class PgChunkStore implements ChunkStore {
  constructor(
    private readonly query: Query,
    private readonly tx: Transaction,
  ) {}

  async createFile(fileId: string, keyBlob: Buffer, now: number): Promise<void> {
    await this.query('INSERT INTO s3_files (file_id, key_blob, created_at) VALUES ($1, $2, $3)', [fileId, keyBlob, now]);
  }

  async putChunk(fileId: string, index: number, data: Buffer): Promise<void> {
    await this.query('INSERT INTO s3_file_chunks (file_id, idx, data) VALUES ($1, $2, $3)', [fileId, index, data]);
  }

  async finishFile(fileId: string, size: number, chunkCount: number): Promise<void> {
    await this.query('UPDATE s3_files SET size = $2, chunk_count = $3 WHERE file_id = $1', [fileId, size, chunkCount]);
  }

  async getFile(fileId: string): Promise<{ keyBlob: Buffer; size: number; chunkCount: number } | undefined> {
    const [row] = await this.query<{ key_blob: Buffer; size: number; chunk_count: number }>(
      'SELECT key_blob, size, chunk_count FROM s3_files WHERE file_id = $1 AND size IS NOT NULL AND removed_at IS NULL',
      [fileId],
    );
    return row && { keyBlob: row.key_blob, size: row.size, chunkCount: row.chunk_count };
  }

  async getChunks(fileId: string, first: number, last: number): Promise<Array<{ index: number; data: Buffer }>> {
    const rows = await this.query<{ idx: number; data: Buffer }>(
      'SELECT idx, data FROM s3_file_chunks WHERE file_id = $1 AND idx BETWEEN $2 AND $3 ORDER BY idx',
      [fileId, first, last],
    );
    return rows.map((r) => ({ index: r.idx, data: r.data }));
  }

  async removeFile(fileId: string, now: number): Promise<void> {
    await this.query('UPDATE s3_files SET removed_at = $2 WHERE file_id = $1 AND removed_at IS NULL', [fileId, now]);
  }

  async sweepFiles(removedBefore: number, abandonedBefore: number): Promise<number> {
    return this.tx(async (c) => {
      const { rows } = await c.query<{ file_id: string }>(
        `DELETE FROM s3_files WHERE removed_at <= $1 OR (size IS NULL AND created_at <= $2) RETURNING file_id`,
        [removedBefore, abandonedBefore],
      );
      if (rows.length > 0) {
        await c.query('DELETE FROM s3_file_chunks WHERE file_id = ANY($1::text[])', [rows.map((r) => r.file_id)]);
      }
      return rows.length;
    });
  }

  async wipe(): Promise<void> {
    await this.query('TRUNCATE s3_files, s3_file_chunks');
  }
}
