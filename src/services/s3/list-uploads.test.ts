import { describe, expect, it } from 'vitest';
import { listUploadsPage } from './list-uploads.js';

// Two uploads of one key, started at different times, with ids that sort the other way round.
const uploads = [
  { key: 'photos/2024/a.jpg', uploadId: 'u1', initiated: 10 },
  { key: 'photos/2025/b.jpg', uploadId: 'u2', initiated: 11 },
  { key: 'docs/x.txt', uploadId: 'zz', initiated: 12 },
  { key: 'docs/x.txt', uploadId: 'aa', initiated: 13 },
  { key: 'readme', uploadId: 'u5', initiated: 14 },
  { key: 'é-accent', uploadId: 'u6', initiated: 15 },
  { key: 'z-last', uploadId: 'u7', initiated: 16 },
];
const ids = (page: { uploads: Array<{ uploadId: string }> }) => page.uploads.map((u) => u.uploadId);

describe('ListMultipartUploads pages', () => {
  it('orders by key bytes (é after z), then by initiation within a key', () => {
    expect(ids(listUploadsPage(uploads, {}))).toEqual(['zz', 'aa', 'u1', 'u2', 'u5', 'u7', 'u6']);
  });

  it('pages with key and upload-id markers, inside a key with several uploads too', () => {
    const seen: string[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (let guard = 0; guard < 10; guard++) {
      const page = listUploadsPage(uploads, { maxUploads: '2', keyMarker, uploadIdMarker });
      seen.push(...ids(page));
      if (!page.isTruncated) break;
      ({ nextKeyMarker: keyMarker, nextUploadIdMarker: uploadIdMarker } = page);
    }
    expect(seen).toEqual(['zz', 'aa', 'u1', 'u2', 'u5', 'u7', 'u6']);
    // A key-marker alone starts after every upload of that key.
    expect(ids(listUploadsPage(uploads, { keyMarker: 'docs/x.txt' }))).toEqual(['u1', 'u2', 'u5', 'u7', 'u6']);
  });

  it('rolls keys up to common prefixes with a delimiter, each counting once, and resumes after one', () => {
    const first = listUploadsPage(uploads, { delimiter: '/', maxUploads: '2' });
    expect(first.commonPrefixes).toEqual(['docs/', 'photos/']);
    expect(first.uploads).toEqual([]);
    expect(first).toMatchObject({ isTruncated: true, nextKeyMarker: 'photos/' });
    const rest = listUploadsPage(uploads, { delimiter: '/', keyMarker: first.nextKeyMarker });
    expect(rest.commonPrefixes).toEqual([]);
    expect(ids(rest)).toEqual(['u5', 'u7', 'u6']);
    const nested = listUploadsPage(uploads, { prefix: 'photos/', delimiter: '/' });
    expect(nested.commonPrefixes).toEqual(['photos/2024/', 'photos/2025/']);
  });

  it('refuses a max-uploads that is not a non-negative integer', () => {
    expect(() => listUploadsPage(uploads, { maxUploads: 'ten' })).toThrow('Provided max-uploads not an integer or within integer range');
    expect(listUploadsPage(uploads, { maxUploads: '5000' }).maxUploads).toBe(5000);
  });
});
