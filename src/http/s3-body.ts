/**
 * An S3 PutObject body as it streams in: aws-chunked framing removed, and every promise the
 * headers made about it kept (the signed SHA-256, the length, the checksum in a header or a
 * trailer, Content-MD5). A broken promise fails the stream at its end, so nothing is stored.
 */
import { createHash, type Hash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { crc32 } from 'node:zlib';
import { authErrors } from '../auth/auth-errors.js';
import { s3Errors } from '../services/s3/errors.js';

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** Removes aws-chunked framing (`<hex size>[;ext]\r\n<data>\r\n … 0\r\n<trailers>\r\n\r\n`), collecting the trailers. */
export class AwsChunkedDecoder extends Transform {
  readonly trailers = new Map<string, string>();
  private pending: Buffer = Buffer.alloc(0);
  private remaining = 0;
  private state: 'size' | 'data' | 'data-end' | 'trailer' | 'done' = 'size';

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    try {
      this.drain();
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  private line(): string | undefined {
    const end = this.pending.indexOf('\r\n');
    if (end < 0) {
      if (this.pending.length > 8192) throw s3Errors.incompleteBody();
      return undefined;
    }
    const text = this.pending.subarray(0, end).toString('latin1');
    this.pending = this.pending.subarray(end + 2);
    return text;
  }

  private drain(): void {
    for (;;) {
      if (this.state === 'size') {
        const text = this.line();
        if (text === undefined) return;
        const size = parseInt(text.split(';')[0], 16);
        if (!Number.isFinite(size) || size < 0) throw s3Errors.incompleteBody();
        this.remaining = size;
        this.state = size === 0 ? 'trailer' : 'data';
      } else if (this.state === 'data') {
        if (this.pending.length === 0) return;
        const take = Math.min(this.remaining, this.pending.length);
        this.push(this.pending.subarray(0, take));
        this.pending = this.pending.subarray(take);
        this.remaining -= take;
        if (this.remaining === 0) this.state = 'data-end';
      } else if (this.state === 'data-end') {
        if (this.pending.length < 2) return;
        if (this.pending[0] !== 0x0d || this.pending[1] !== 0x0a) throw s3Errors.incompleteBody();
        this.pending = this.pending.subarray(2);
        this.state = 'size';
      } else if (this.state === 'trailer') {
        const text = this.line();
        if (text === undefined) return;
        if (text === '') {
          this.state = 'done';
          continue;
        }
        const colon = text.indexOf(':');
        if (colon > 0) this.trailers.set(text.slice(0, colon).trim().toLowerCase(), text.slice(colon + 1).trim());
      } else {
        this.pending = Buffer.alloc(0);
        return;
      }
    }
  }

  override _flush(done: TransformCallback): void {
    // AWS SDKs end the trailer section with an empty line; a body cut short never gets there.
    if (this.state === 'trailer' && this.pending.length === 0) this.state = 'done';
    done(this.state === 'done' ? null : s3Errors.incompleteBody());
  }
}

const CHECKSUMS = ['crc32', 'sha1', 'sha256'] as const;
type ChecksumAlgorithm = (typeof CHECKSUMS)[number];

/** Checks the decoded bytes against what the request promised, at the end of the stream. */
export class BodyVerifier extends Transform {
  private readonly sha256?: Hash;
  private readonly md5?: Hash;
  private checksum?: { algorithm: ChecksumAlgorithm; hash?: Hash; crc: number };
  private size = 0;

  constructor(
    private readonly promises: {
      /** The signed hex SHA-256 of the bytes as sent (not for aws-chunked bodies). */
      sha256Hex?: string;
      /** Content-MD5, base64. */
      md5Base64?: string;
      /** The decoded length the headers state. */
      length?: number;
      /** `x-amz-checksum-<algorithm>` from a header, or the trailer that will carry it. */
      checksum?: { algorithm: string; value: () => string | undefined };
    },
  ) {
    super();
    if (promises.sha256Hex) this.sha256 = createHash('sha256');
    if (promises.md5Base64) this.md5 = createHash('md5');
    const algorithm = promises.checksum?.algorithm as ChecksumAlgorithm | undefined;
    if (algorithm && CHECKSUMS.includes(algorithm)) {
      this.checksum = { algorithm, hash: algorithm === 'crc32' ? undefined : createHash(algorithm), crc: 0 };
    }
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    this.sha256?.update(chunk);
    this.md5?.update(chunk);
    if (this.checksum) {
      if (this.checksum.hash) this.checksum.hash.update(chunk);
      else this.checksum.crc = crc32(chunk, this.checksum.crc);
    }
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    const p = this.promises;
    if (p.length !== undefined && this.size !== p.length) return done(s3Errors.incompleteBody());
    if (this.sha256 && this.sha256.digest('hex') !== p.sha256Hex) return done(authErrors.payloadHashMismatch());
    if (this.md5 && this.md5.digest('base64') !== p.md5Base64) return done(s3Errors.badDigest('Content-MD5'));
    if (this.checksum) {
      const expected = p.checksum!.value();
      const actual = this.checksum.hash
        ? this.checksum.hash.digest('base64')
        : Buffer.from([(this.checksum.crc >>> 24) & 255, (this.checksum.crc >>> 16) & 255, (this.checksum.crc >>> 8) & 255, this.checksum.crc & 255]).toString('base64');
      if (expected !== undefined && expected !== actual) return done(s3Errors.badDigest(this.checksum.algorithm.toUpperCase()));
    }
    done();
  }
}

/** What a PutObject's headers promise about its body, and whether it is aws-chunked. */
export function bodyPromises(headers: IncomingHttpHeaders, trailers: () => Map<string, string> | undefined) {
  const declared = header(headers, 'x-amz-content-sha256');
  const chunked = (header(headers, 'content-encoding') ?? '').split(',').some((v) => v.trim() === 'aws-chunked') || (declared?.startsWith('STREAMING-') ?? false);
  const lengthText = chunked ? header(headers, 'x-amz-decoded-content-length') : header(headers, 'content-length');
  const trailerName = header(headers, 'x-amz-trailer')?.trim().toLowerCase();
  const checksumHeader = Object.keys(headers).find(
    (name) => name.startsWith('x-amz-checksum-') && !['x-amz-checksum-mode', 'x-amz-checksum-type', 'x-amz-checksum-algorithm'].includes(name),
  );
  const checksumName = checksumHeader ?? (trailerName?.startsWith('x-amz-checksum-') ? trailerName : undefined);
  return {
    chunked,
    promises: {
      sha256Hex: declared && /^[0-9a-f]{64}$/.test(declared) ? declared : undefined,
      md5Base64: header(headers, 'content-md5'),
      length: lengthText !== undefined && /^\d+$/.test(lengthText) ? Number(lengthText) : undefined,
      checksum: checksumName
        ? {
            algorithm: checksumName.slice('x-amz-checksum-'.length),
            value: () => (checksumHeader ? header(headers, checksumHeader) : trailers()?.get(checksumName)),
          }
        : undefined,
    },
  };
}
