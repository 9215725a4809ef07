/**
 * Object data on disk: `<data-dir>/s3/objects/<2 hex>/<random id>`, never named after the user's
 * key, and always encrypted (see sealed-file.ts). A body streams into `s3/tmp/` and is renamed
 * into place only once it was read completely and every check on it passed, so a reader never
 * sees half an object.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open as fsOpen, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { s3Errors } from './errors.js';
import { fileHeader, openSealedFile, SealingStream, type FileKeys } from './sealed-file.js';

export interface WrittenFile {
  fileId: string;
  size: number;
  /** Hex MD5 of the content: the ETag of a single-part object. */
  md5: string;
}

/**
 * Where object data lives: files in the data directory (one node), or sealed chunks in a database
 * every node shares (chunked-object-data.ts). Either way it is sealed at rest (SSE-S3).
 */
export interface ObjectData {
  /** Streams `body` into a new file; `maxBytes` bounds it (EntityTooLarge). */
  write(body: Readable, maxBytes: number): Promise<WrittenFile>;
  /** Removes a file no object refers to any more; one already gone is fine. */
  remove(fileId: string): Promise<void>;
  /** Copies a stored file into a new one (CopyObject). */
  copy(fileId: string, maxBytes: number): Promise<WrittenFile>;
  /**
   * Opens a file now (an error with code ENOENT when there is none), so that a later overwrite or
   * delete cannot cut the read short.
   */
  open(fileId: string, range?: { start: number; end: number }): Promise<Readable>;
  /** One new file holding the given files one after the other (CompleteMultipartUpload). */
  concat(fileIds: string[], maxBytes: number): Promise<WrittenFile>;
  /** Everything, for a reset of all state. */
  wipe(): Promise<void>;
}

export class ObjectFiles implements ObjectData {
  private ready: Promise<void> | undefined;

  constructor(
    private readonly root: string,
    private readonly keys: FileKeys,
  ) {}

  private dirs(): Promise<void> {
    this.ready ??= (async () => {
      await mkdir(join(this.root, 'tmp'), { recursive: true });
      await mkdir(join(this.root, 'objects'), { recursive: true });
    })();
    return this.ready;
  }

  private pathOf(fileId: string): string {
    return join(this.root, 'objects', fileId.slice(0, 2), fileId);
  }

  /** Streams `body` to a new file; `maxBytes` bounds it (EntityTooLarge). The file is durable only after `commit`. */
  async write(body: Readable, maxBytes: number): Promise<WrittenFile> {
    await this.dirs();
    const fileId = randomBytes(16).toString('hex');
    const temp = join(this.root, 'tmp', fileId);
    const md5 = createHash('md5');
    let size = 0;
    const measure = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > maxBytes) return done(s3Errors.entityTooLarge(size, maxBytes));
        md5.update(chunk);
        done(null, chunk);
      },
    });
    const key = this.keys.newKey(fileId);
    try {
      await pipeline(body, measure, new SealingStream(key.plaintext, fileHeader(key.blob)), createWriteStream(temp, { flags: 'wx' }));
      await mkdir(join(this.root, 'objects', fileId.slice(0, 2)), { recursive: true });
      await rename(temp, this.pathOf(fileId));
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return { fileId, size, md5: md5.digest('hex') };
  }

  /** Removes a file no object refers to any more; one already gone is fine. */
  async remove(fileId: string): Promise<void> {
    await unlink(this.pathOf(fileId)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }

  /** Copies a stored file into a new one (CopyObject). */
  async copy(fileId: string, maxBytes: number): Promise<WrittenFile> {
    return this.write(await this.open(fileId), maxBytes);
  }

  /**
   * Opens the file now, so a later overwrite or delete (which unlinks it) cannot cut the read short:
   * the open file stays readable to the end.
   */
  async open(fileId: string, range?: { start: number; end: number }): Promise<Readable> {
    const handle = await fsOpen(this.pathOf(fileId), 'r');
    let sealed;
    try {
      sealed = await openSealedFile(handle, fileId, this.keys);
    } catch (error) {
      await handle.close();
      throw error;
    }
    // A file written before object data was encrypted is read as it is.
    if (!sealed) return handle.createReadStream(range);
    const stream = Readable.from(sealed.chunks(range?.start ?? 0, range?.end ?? sealed.size - 1), { objectMode: false });
    // On 'close', not in the generator: a stream destroyed before its first read never runs it.
    stream.once('close', () => void handle.close().catch(() => undefined));
    return stream;
  }

  async concat(fileIds: string[], maxBytes: number): Promise<WrittenFile> {
    return this.write(joined(this, fileIds), maxBytes);
  }

  /** Everything, for a reset of all state. */
  async wipe(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
    this.ready = undefined;
  }
}

/** The files' plaintext one after the other, each opened only when the one before has ended. */
export function joined(data: Pick<ObjectData, 'open'>, fileIds: string[]): Readable {
  async function* parts(): AsyncGenerator<Buffer> {
    for (const id of fileIds) for await (const chunk of await data.open(id)) yield chunk as Buffer;
  }
  return Readable.from(parts());
}
