/** ListMultipartUploads' walk over a bucket's open uploads: by key (UTF-8 bytes), then by initiation. */
import { pageArgument } from './list-objects.js';

export interface UploadListing {
  key: string;
  uploadId: string;
  initiated: number;
}

export interface UploadPage<T> {
  uploads: T[];
  commonPrefixes: string[];
  isTruncated: boolean;
  nextKeyMarker?: string;
  nextUploadIdMarker?: string;
  maxUploads: number;
}

export interface UploadListOptions {
  prefix?: string;
  delimiter?: string;
  keyMarker?: string;
  uploadIdMarker?: string;
  maxUploads?: string;
}

export function listUploadsPage<T extends UploadListing>(all: Iterable<T>, options: UploadListOptions): UploadPage<T> {
  const maxUploads = pageArgument('max-uploads', options.maxUploads, 1000);
  const limit = Math.min(maxUploads, 1000);
  const prefix = options.prefix ?? '';
  const delimiter = options.delimiter || undefined;
  const sorted = [...all]
    .filter((u) => u.key.startsWith(prefix))
    .map((u) => ({ u, bytes: Buffer.from(u.key, 'utf8') }))
    .sort((a, b) => Buffer.compare(a.bytes, b.bytes) || a.u.initiated - b.u.initiated || (a.u.uploadId < b.u.uploadId ? -1 : 1));
  let start = 0;
  const { keyMarker, uploadIdMarker } = options;
  if (keyMarker !== undefined && keyMarker !== '') {
    const marker = Buffer.from(keyMarker, 'utf8');
    // S3: the upload-id-marker counts only with a key-marker, and picks up within that key.
    const exact = uploadIdMarker ? sorted.findIndex((x) => x.u.key === keyMarker && x.u.uploadId === uploadIdMarker) : -1;
    if (exact >= 0) start = exact + 1;
    else {
      start = sorted.findIndex((x) => {
        const order = Buffer.compare(x.bytes, marker);
        return order > 0 || (order === 0 && uploadIdMarker !== undefined && uploadIdMarker !== '' && x.u.uploadId > uploadIdMarker);
      });
      if (start < 0) start = sorted.length;
    }
  }
  // A marker that is a common prefix (it ends with the delimiter) resumes after every key under it.
  const skipUnder = delimiter && keyMarker?.endsWith(delimiter) ? keyMarker : undefined;
  const uploads: T[] = [];
  const commonPrefixes: string[] = [];
  let lastPrefix: string | undefined;
  let isTruncated = false;
  let next: { key: string; uploadId?: string } | undefined;
  for (const { u } of sorted.slice(start)) {
    if (skipUnder !== undefined && u.key.startsWith(skipUnder)) continue;
    const cut = delimiter ? u.key.indexOf(delimiter, prefix.length) : -1;
    const rolled = cut >= 0 ? u.key.slice(0, cut + delimiter!.length) : undefined;
    if (rolled !== undefined && rolled === lastPrefix) continue;
    if (uploads.length + commonPrefixes.length >= limit) {
      isTruncated = true;
      break;
    }
    if (rolled !== undefined) {
      commonPrefixes.push(rolled);
      lastPrefix = rolled;
      next = { key: rolled };
    } else {
      uploads.push(u);
      next = { key: u.key, uploadId: u.uploadId };
    }
  }
  return {
    uploads,
    commonPrefixes,
    isTruncated,
    nextKeyMarker: isTruncated ? next?.key : undefined,
    nextUploadIdMarker: isTruncated ? next?.uploadId : undefined,
    maxUploads,
  };
}
