/**
 * S3's REST protocol: which bucket and key a request names (path-style or virtual-hosted), which
 * operation it is, the XML request documents it carries, and the XML it is answered with.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { AwsError } from '../../shared/aws-error.js';
import { S3Error, s3Errors } from '../../services/s3/errors.js';
import type { QueueConfiguration, QueueConfigurationInput } from '../../services/s3/notifications.js';
import { encodeEventKey } from '../../services/s3/notifications.js';
import type { Bucket, ListObjectsResult, StoredObject } from '../../services/s3/s3-service.js';
import type { UploadPage } from '../../services/s3/list-uploads.js';
import { childText, childrenNamed, escapeXml, parseXml, xmlDocument, XmlError, type XmlElement } from './xml.js';

export type S3Operation =
  | 'ListBuckets'
  | 'CreateBucket'
  | 'DeleteBucket'
  | 'HeadBucket'
  | 'GetBucketLocation'
  | 'ListObjectsV2'
  | 'GetBucketNotificationConfiguration'
  | 'GetBucketEncryption'
  | 'ListParts'
  | 'ListObjects'
  | 'UploadPartCopy'
  | 'ListMultipartUploads'
  | 'PutBucketEncryption'
  | 'DeleteBucketEncryption'
  | 'PutBucketNotificationConfiguration'
  | 'DeleteObjects'
  | 'PutObject'
  | 'CopyObject'
  | 'GetObject'
  | 'HeadObject'
  | 'DeleteObject'
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload';

export interface S3Target {
  bucket?: string;
  key?: string;
}

/**
 * The bucket a virtual-hosted Host names: `<bucket>.s3.<anything>`, `<bucket>.s3-<anything>`,
 * `<bucket>.localhost` or `<bucket>.<IPv4 address>`. Anything else is path-style.
 */
export function bucketFromHost(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const name = host.startsWith('[') ? host : host.replace(/:\d+$/, '');
  return (
    /^(.+?)\.s3[.-]/.exec(name)?.[1] ?? /^(.+)\.localhost$/.exec(name)?.[1] ?? /^(.+)\.\d+\.\d+\.\d+\.\d+$/.exec(name)?.[1]
  );
}

/** Bucket and key from the Host and the raw path; the key is percent-decoded once. */
export function targetOf(rawPath: string, host: string | undefined): S3Target {
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      throw s3Errors.invalidRequest('The request path is not correctly percent-encoded.');
    }
  };
  const hosted = bucketFromHost(host);
  const path = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;
  if (hosted) return { bucket: hosted, key: path === '' ? undefined : decode(path) };
  if (path === '') return {};
  const slash = path.indexOf('/');
  if (slash < 0) return { bucket: decode(path) };
  const key = path.slice(slash + 1);
  return { bucket: decode(path.slice(0, slash)), key: key === '' ? undefined : decode(key) };
}

/** Subresources of S3 that sealq does not serve: their requests answer NotImplemented. */
const UNSUPPORTED_SUBRESOURCES = [
  'accelerate', 'acl', 'analytics', 'attributes', 'cors', 'intelligent-tiering', 'inventory', 'legal-hold',
  'lifecycle', 'logging', 'metrics', 'object-lock', 'ownershipControls', 'partNumber', 'policy', 'policyStatus',
  'publicAccessBlock', 'replication', 'requestPayment', 'restore', 'retention', 'select', 'tagging', 'torrent',
  'versioning', 'versionId', 'versions', 'website',
];

/** The operation a request asks for. */
export function operationOf(method: string, target: S3Target, query: URLSearchParams, headers: IncomingHttpHeaders): S3Operation {
  const unsupported = UNSUPPORTED_SUBRESOURCES.find((name) => query.has(name) && !(name === 'partNumber' && query.has('uploadId')));
  if (unsupported) throw s3Errors.notImplemented(`the ?${unsupported} subresource`);
  if (target.key !== undefined && query.has('uploads')) {
    if (method === 'POST') return 'CreateMultipartUpload';
    throw s3Errors.methodNotAllowed(method, 'OBJECT');
  }
  if (target.key !== undefined && query.has('uploadId')) {
    if (method === 'PUT' && query.has('partNumber')) {
      return headers['x-amz-copy-source'] ? 'UploadPartCopy' : 'UploadPart';
    }
    if (method === 'POST') return 'CompleteMultipartUpload';
    if (method === 'DELETE') return 'AbortMultipartUpload';
    if (method === 'GET') return 'ListParts';
    throw s3Errors.methodNotAllowed(method, 'OBJECT');
  }
  if (target.bucket && target.key === undefined && query.has('uploads')) {
    if (method === 'GET') return 'ListMultipartUploads';
    throw s3Errors.methodNotAllowed(method, 'BUCKET');
  }
  if (target.bucket && query.has('uploadId')) throw s3Errors.methodNotAllowed(method, 'BUCKET');
  if (!target.bucket) {
    if (method === 'GET') return 'ListBuckets';
    throw s3Errors.methodNotAllowed(method, 'SERVICE');
  }
  if (target.key === undefined) {
    if (query.has('notification')) {
      if (method === 'GET') return 'GetBucketNotificationConfiguration';
      if (method === 'PUT') return 'PutBucketNotificationConfiguration';
      throw s3Errors.methodNotAllowed(method, 'BUCKET');
    }
    if (query.has('encryption')) {
      if (method === 'GET') return 'GetBucketEncryption';
      if (method === 'PUT') return 'PutBucketEncryption';
      if (method === 'DELETE') return 'DeleteBucketEncryption';
      throw s3Errors.methodNotAllowed(method, 'BUCKET');
    }
    if (query.has('location') && method === 'GET') return 'GetBucketLocation';
    if (query.has('delete') && method === 'POST') return 'DeleteObjects';
    switch (method) {
      case 'PUT':
        return 'CreateBucket';
      case 'DELETE':
        return 'DeleteBucket';
      case 'HEAD':
        return 'HeadBucket';
      case 'GET':
        return query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
    }
    throw s3Errors.methodNotAllowed(method, 'BUCKET');
  }
  switch (method) {
    case 'PUT':
      return headers['x-amz-copy-source'] ? 'CopyObject' : 'PutObject';
    case 'GET':
      return 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    case 'DELETE':
      return 'DeleteObject';
  }
  throw s3Errors.methodNotAllowed(method, 'OBJECT');
}

function parseDocument(body: Buffer, root: string): XmlElement {
  let doc: XmlElement;
  try {
    doc = parseXml(body.toString('utf8'));
  } catch (error) {
    if (error instanceof XmlError) throw s3Errors.malformedXml();
    throw error;
  }
  if (doc.name !== root) throw s3Errors.malformedXml();
  return doc;
}

/** CreateBucket's optional `<CreateBucketConfiguration>`. */
export function decodeCreateBucket(body: Buffer): { locationConstraint?: string } {
  if (body.length === 0) return {};
  const doc = parseDocument(body, 'CreateBucketConfiguration');
  return { locationConstraint: childText(doc, 'LocationConstraint') || undefined };
}

/** DeleteObjects' `<Delete>`: the keys and whether the answer is Quiet. */
export function decodeDeleteObjects(body: Buffer): { keys: string[]; quiet: boolean } {
  const doc = parseDocument(body, 'Delete');
  const objects = childrenNamed(doc, 'Object');
  if (objects.length === 0) throw s3Errors.malformedXml();
  const keys = objects.map((o) => {
    const key = childText(o, 'Key');
    if (key === undefined) throw s3Errors.malformedXml();
    return key;
  });
  return { keys, quiet: childText(doc, 'Quiet') === 'true' };
}

/** PutBucketNotificationConfiguration's document: queue configurations only. */
export function decodeNotificationConfiguration(body: Buffer): QueueConfigurationInput[] {
  const doc = parseDocument(body, 'NotificationConfiguration');
  const out: QueueConfigurationInput[] = [];
  for (const child of doc.children) {
    if (child.name === 'EventBridgeConfiguration' || child.name === 'TopicConfiguration' || child.name === 'CloudFunctionConfiguration') {
      throw s3Errors.notImplemented(`${child.name}: sealq delivers S3 notifications to SQS queues only`);
    }
    if (child.name !== 'QueueConfiguration') throw s3Errors.malformedXml();
    const filterRules: QueueConfigurationInput['filterRules'] = [];
    for (const filter of childrenNamed(child, 'Filter')) {
      for (const key of childrenNamed(filter, 'S3Key')) {
        for (const rule of childrenNamed(key, 'FilterRule')) filterRules.push({ name: childText(rule, 'Name'), value: childText(rule, 'Value') });
      }
    }
    out.push({
      id: childText(child, 'Id'),
      queueArn: childText(child, 'Queue'),
      events: childrenNamed(child, 'Event').map((e) => e.text),
      filterRules,
    });
  }
  return out;
}

/**
 * Every bucket encrypts with SSE-S3 (objects are always sealed at rest), so its encryption
 * configuration is S3's default one.
 */
export function encodeBucketEncryption(): string {
  return xmlDocument('ServerSideEncryptionConfiguration', {
    Rule: { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: 'false' },
  });
}

/** PutBucketEncryption's document: accepted when every rule asks for what sealq does (AES256). */
export function decodeBucketEncryption(body: Buffer): void {
  const doc = parseDocument(body, 'ServerSideEncryptionConfiguration');
  const rules = childrenNamed(doc, 'Rule');
  if (rules.length === 0) throw s3Errors.malformedXml();
  for (const rule of rules) {
    const defaults = childrenNamed(rule, 'ApplyServerSideEncryptionByDefault');
    const algorithm = defaults.length === 1 ? childText(defaults[0], 'SSEAlgorithm') : undefined;
    if (algorithm === undefined) throw s3Errors.malformedXml();
    if (algorithm !== 'AES256') throw s3Errors.notImplemented(`SSEAlgorithm ${algorithm}; buckets encrypt with SSE-S3 (AES256)`);
  }
}

/** CompleteMultipartUpload's `<CompleteMultipartUpload>`: the parts, in the order given. */
export function decodeCompleteMultipartUpload(body: Buffer): Array<{ partNumber: number; etag: string }> {
  const doc = parseDocument(body, 'CompleteMultipartUpload');
  return childrenNamed(doc, 'Part').map((part) => {
    const number = childText(part, 'PartNumber');
    const etag = childText(part, 'ETag');
    if (number === undefined || !/^\d+$/.test(number) || etag === undefined) throw s3Errors.malformedXml();
    return { partNumber: Number(number), etag };
  });
}

const iso = (ms: number) => new Date(ms).toISOString();

export function encodeInitiateMultipartUpload(bucket: string, key: string, uploadId: string): string {
  return xmlDocument('InitiateMultipartUploadResult', { Bucket: bucket, Key: key, UploadId: uploadId });
}

export function encodeCompleteMultipartUpload(location: string, bucket: string, key: string, etag: string): string {
  return xmlDocument('CompleteMultipartUploadResult', { Location: location, Bucket: bucket, Key: key, ETag: etag });
}

export function encodeListBuckets(result: { buckets: Bucket[]; owner: string }): string {
  return xmlDocument('ListAllMyBucketsResult', {
    Owner: { ID: result.owner, DisplayName: result.owner },
    Buckets: { Bucket: result.buckets.map((b) => ({ Name: b.name, CreationDate: iso(b.createdAt), BucketRegion: b.region })) },
  });
}

export function encodeLocation(region: string): string {
  // AWS: us-east-1 is the empty location constraint.
  return xmlDocument('LocationConstraint', {}).replace('></LocationConstraint>', `>${region === 'us-east-1' ? '' : escapeXml(region)}</LocationConstraint>`);
}

/** Keys, prefixes and markers in a listing, URL-encoded when the request said `encoding-type=url`. */
function keyEncoder(url: boolean): (text: string | undefined) => string | undefined {
  return (text) => (text === undefined ? undefined : url ? encodeEventKey(text) : text);
}

export function encodeListObjectsV2(
  bucket: string,
  input: { prefix?: string; delimiter?: string; maxKeys?: number; continuationToken?: string; startAfter?: string; encodingType?: string },
  result: ListObjectsResult,
  owner: string | undefined,
): string {
  const url = input.encodingType === 'url';
  const enc = keyEncoder(url);
  return xmlDocument('ListBucketResult', {
    Name: bucket,
    Prefix: enc(input.prefix ?? ''),
    Delimiter: enc(input.delimiter),
    MaxKeys: input.maxKeys ?? 1000,
    EncodingType: url ? 'url' : undefined,
    KeyCount: result.keyCount,
    IsTruncated: result.isTruncated,
    ContinuationToken: input.continuationToken,
    NextContinuationToken: result.nextContinuationToken,
    StartAfter: enc(input.startAfter),
    Contents: result.objects.map((o) => ({
      Key: enc(o.key),
      LastModified: iso(o.lastModified),
      ETag: o.etag,
      Size: o.size,
      Owner: owner ? { ID: owner, DisplayName: owner } : undefined,
      StorageClass: 'STANDARD',
    })),
    CommonPrefixes: result.commonPrefixes.map((p) => ({ Prefix: enc(p) })),
  });
}

export function encodeListMultipartUploads(
  bucket: string,
  input: { prefix?: string; delimiter?: string; keyMarker?: string; uploadIdMarker?: string; encodingType?: string },
  page: UploadPage<{ key: string; uploadId: string; initiated: number; accountId: string }>,
): string {
  const url = input.encodingType === 'url';
  const enc = keyEncoder(url);
  return xmlDocument('ListMultipartUploadsResult', {
    Bucket: bucket,
    KeyMarker: enc(input.keyMarker ?? ''),
    UploadIdMarker: input.uploadIdMarker ?? '',
    NextKeyMarker: enc(page.nextKeyMarker),
    NextUploadIdMarker: page.nextUploadIdMarker,
    EncodingType: url ? 'url' : undefined,
    Delimiter: enc(input.delimiter),
    Prefix: enc(input.prefix ?? ''),
    MaxUploads: page.maxUploads,
    IsTruncated: page.isTruncated,
    Upload: page.uploads.map((u) => ({
      Key: enc(u.key),
      UploadId: u.uploadId,
      Initiator: { ID: u.accountId, DisplayName: u.accountId },
      Owner: { ID: u.accountId, DisplayName: u.accountId },
      StorageClass: 'STANDARD',
      Initiated: iso(u.initiated),
    })),
    CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: enc(p) })),
  });
}

export function encodeListParts(
  bucket: string,
  result: {
    upload: { key: string; uploadId: string; accountId: string };
    parts: Array<{ partNumber: number; size: number; etag: string; lastModified: number }>;
    maxParts: number;
    marker: number;
    isTruncated: boolean;
  },
): string {
  const owner = { ID: result.upload.accountId, DisplayName: result.upload.accountId };
  return xmlDocument('ListPartsResult', {
    Bucket: bucket,
    Key: result.upload.key,
    UploadId: result.upload.uploadId,
    PartNumberMarker: result.marker,
    NextPartNumberMarker: result.parts.at(-1)?.partNumber ?? result.marker,
    MaxParts: result.maxParts,
    IsTruncated: result.isTruncated,
    Part: result.parts.map((p) => ({ PartNumber: p.partNumber, LastModified: iso(p.lastModified), ETag: p.etag, Size: p.size })),
    Initiator: owner,
    Owner: owner,
    StorageClass: 'STANDARD',
  });
}

/** ListObjects (version 1): markers instead of continuation tokens, and the owner always listed. */
export function encodeListObjects(
  bucket: string,
  input: { prefix?: string; delimiter?: string; maxKeys?: number; marker?: string; encodingType?: string },
  result: ListObjectsResult,
  owner: string,
): string {
  const url = input.encodingType === 'url';
  const enc = keyEncoder(url);
  // S3 gives NextMarker only with a delimiter; without one the client resumes after the last key.
  const last = [...result.objects.map((o) => o.key), ...result.commonPrefixes].sort(compareUtf8).at(-1);
  return xmlDocument('ListBucketResult', {
    Name: bucket,
    Prefix: enc(input.prefix ?? ''),
    Marker: enc(input.marker ?? ''),
    NextMarker: result.isTruncated && input.delimiter ? enc(last) : undefined,
    MaxKeys: input.maxKeys ?? 1000,
    Delimiter: enc(input.delimiter),
    EncodingType: url ? 'url' : undefined,
    IsTruncated: result.isTruncated,
    Contents: result.objects.map((o) => ({
      Key: enc(o.key),
      LastModified: iso(o.lastModified),
      ETag: o.etag,
      Size: o.size,
      Owner: { ID: owner, DisplayName: owner },
      StorageClass: 'STANDARD',
    })),
    CommonPrefixes: result.commonPrefixes.map((p) => ({ Prefix: enc(p) })),
  });
}

const compareUtf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

export function encodeCopyObject(result: { etag: string; lastModified: number }): string {
  return xmlDocument('CopyObjectResult', { LastModified: iso(result.lastModified), ETag: result.etag });
}

export function encodeCopyPart(result: { etag: string; lastModified: number }): string {
  return xmlDocument('CopyPartResult', { LastModified: iso(result.lastModified), ETag: result.etag });
}

export function encodeDeleteObjects(result: { deleted: string[]; errors: Array<{ key: string; code: string; message: string }> }, quiet: boolean): string {
  return xmlDocument('DeleteResult', {
    Deleted: quiet ? undefined : result.deleted.map((key) => ({ Key: key })),
    Error: result.errors.map((e) => ({ Key: e.key, Code: e.code, Message: e.message })),
  });
}

export function encodeNotificationConfiguration(configurations: QueueConfiguration[]): string {
  return xmlDocument('NotificationConfiguration', {
    QueueConfiguration: configurations.map((c) => ({
      Id: c.id,
      Queue: c.queueArn,
      Event: c.events,
      Filter: c.filterRules.length > 0 ? { S3Key: { FilterRule: c.filterRules.map((r) => ({ Name: r.name, Value: r.value })) } } : undefined,
    })),
  });
}

/** The headers GET and HEAD answer an object with. */
/** Every object's data is encrypted at rest (SSE-S3), and S3 says so on each response about one. */
export const serverSideEncryption = { 'x-amz-server-side-encryption': 'AES256' } as const;

export function objectHeaders(o: StoredObject): Record<string, string> {
  const headers: Record<string, string> = {
    etag: o.etag,
    ...serverSideEncryption,
    'last-modified': new Date(o.lastModified).toUTCString(),
    'accept-ranges': 'bytes',
    ...o.headers,
  };
  for (const [name, value] of Object.entries(o.metadata)) headers[`x-amz-meta-${name}`] = value;
  return headers;
}

/**
 * An error as S3 renders it. Errors raised outside the S3 catalogue (signature checks, internal
 * failures) keep their code, with S3's names where S3 differs.
 */
export function encodeS3Error(error: AwsError, requestId: string, hostId: string): { status: number; body: string } {
  let code = error.spec.queryCode;
  let message = error.message;
  if (code === 'InvalidClientTokenId') {
    code = 'InvalidAccessKeyId';
    message = 'The AWS Access Key Id you provided does not exist in our records.';
  } else if (code === 'InternalFailure') {
    code = 'InternalError';
  } else if (code === 'MissingAuthenticationToken') {
    code = 'AccessDenied';
    message = 'Access Denied';
  } else if (code === 'IncompleteSignature') {
    code = 'AuthorizationHeaderMalformed';
  }
  const details = error instanceof S3Error ? error.details.map(([k, v]) => `<${k}>${escapeXml(v)}</${k}>`).join('') : '';
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message>` +
    `${details}<RequestId>${escapeXml(requestId)}</RequestId><HostId>${escapeXml(hostId)}</HostId></Error>`;
  return { status: error.spec.status, body };
}
