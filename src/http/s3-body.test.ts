import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { AwsChunkedDecoder, BodyVerifier, bodyPromises } from './s3-body.js';

const crc32Base64 = (data: Buffer) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(data));
  return out.toString('base64');
};

async function decode(wire: Buffer[], headers: Record<string, string>): Promise<{ data: Buffer; error?: string }> {
  const decoder = new AwsChunkedDecoder();
  const { chunked, promises } = bodyPromises(headers, () => decoder.trailers);
  const chunks: Buffer[] = [];
  const sink = async function* (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) chunks.push(chunk);
  };
  try {
    if (chunked) await pipeline(Readable.from(wire), decoder, new BodyVerifier(promises), sink);
    else await pipeline(Readable.from(wire), new BodyVerifier(promises), sink);
  } catch (error) {
    return { data: Buffer.concat(chunks), error: (error as { code?: string }).code };
  }
  return { data: Buffer.concat(chunks) };
}

describe('S3 request bodies', () => {
  const data = Buffer.from('stream1stream2');
  const framed = (trailer: string) => Buffer.from(`7\r\nstream1\r\n7\r\nstream2\r\n0\r\nx-amz-checksum-crc32:${trailer}\r\n\r\n`);
  const chunkedHeaders = {
    'content-encoding': 'aws-chunked',
    'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
    'x-amz-decoded-content-length': String(data.length),
    'x-amz-trailer': 'x-amz-checksum-crc32',
  };

  it('aws-chunked framing is removed, even split at awkward places, and the CRC32 trailer checked', async () => {
    const wire = framed(crc32Base64(data));
    const pieces = Array.from({ length: wire.length }, (_, i) => wire.subarray(i, i + 1));
    expect(await decode(pieces, chunkedHeaders)).toEqual({ data });
    expect((await decode([framed('AAAAAA==')], chunkedHeaders)).error).toBe('BadDigest');
  });

  it('a cut-short body or a wrong length is IncompleteBody', async () => {
    const wire = framed(crc32Base64(data));
    expect((await decode([wire.subarray(0, 20)], chunkedHeaders)).error).toBe('IncompleteBody');
    expect((await decode([wire], { ...chunkedHeaders, 'x-amz-decoded-content-length': '15' })).error).toBe('IncompleteBody');
  });

  it('a plain body is checked against its signed SHA-256', async () => {
    const sha = 'b1b0ba6e0cf6fdfb5b8a1e2e5b8b8a8f8f9ee8c4ab96b7a7a5c4bdbf0a9c1d00';
    expect((await decode([data], { 'x-amz-content-sha256': sha, 'content-length': String(data.length) })).error).toBe('XAmzContentSHA256Mismatch');
    expect(await decode([data], { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'content-length': String(data.length), 'x-amz-checksum-crc32': crc32Base64(data) })).toEqual({ data });
  });
});
