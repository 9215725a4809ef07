/**
 * The S3 front: S3 requests are routed here before any body is read, because object bodies are
 * streamed (to a file on PUT, from one on GET) rather than buffered. Small request documents
 * (notification configurations, DeleteObjects) are read whole, within the request size limit.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { pipeline, Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Metrics } from '../observability/metrics.js';
import {
  decodeCompleteMultipartUpload,
  decodeCreateBucket,
  decodeDeleteObjects,
  decodeNotificationConfiguration,
  encodeCompleteMultipartUpload,
  encodeCopyObject,
  encodeInitiateMultipartUpload,
  encodeDeleteObjects,
  encodeListBuckets,
  encodeListObjectsV2,
  encodeLocation,
  encodeNotificationConfiguration,
  encodeBucketEncryption,
  encodeListParts,
  encodeListObjects,
  encodeCopyPart,
  encodeListMultipartUploads,
  decodeBucketEncryption,
  encodeS3Error,
  objectHeaders,
  serverSideEncryption,
  operationOf,
  targetOf,
  type S3Operation,
  type S3Target,
} from '../protocol/s3/s3-rest.js';
import { protocolErrors } from '../protocol/protocol-errors.js';
import { S3Error, s3ErrorSpecs, s3Errors } from '../services/s3/errors.js';
import { clientIp } from './pipeline.js';
import { hostIdFor, STORED_HEADERS, type S3Context, type S3Service } from '../services/s3/s3-service.js';
import { copySourceCheck, evaluateConditions, parseRange, writeCondition } from '../protocol/s3/preconditions.js';
import type { Identity } from '../services/identity.js';
import { AwsError, isAwsError } from '../shared/aws-error.js';
import type { Clock } from '../shared/clock.js';
import { AwsChunkedDecoder, BodyVerifier, bodyPromises } from './s3-body.js';

export interface S3FrontDependencies {
  config: Config;
  logger: Logger;
  clock: Clock;
  identity: Identity;
  s3: S3Service;
  metrics?: Metrics;
}

const SCOPE_SERVICE = /Credential=[^/\s,]+\/\d{8}\/[^/\s,]+\/([a-z0-9-]+)\/aws4_request/;
const QUERY_SCOPE_SERVICE = /X-Amz-Credential=[^&/]+(?:%2F|\/)\d{8}(?:%2F|\/)[^&%/]+(?:%2F|\/)([a-z0-9-]+)(?:%2F|\/)aws4_request/i;

/** Whether a request is signed for S3 (its credential scope names the `s3` service). */
export function isS3Request(headers: IncomingHttpHeaders, query: string): boolean {
  const auth = headers.authorization;
  const scoped = (auth && SCOPE_SERVICE.exec(auth)?.[1]) ?? QUERY_SCOPE_SERVICE.exec(query)?.[1];
  return scoped === 's3';
}

const single = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string | Readable;
  /** For a streamed body. */
  length?: number;
}

/** Serves one S3 request, start to finish, and records it in the metrics and the debug log. */
export function handleS3(deps: S3FrontDependencies, req: IncomingMessage, res: ServerResponse, requestId: string, path: string, query: string): void {
  const started = performance.now();
  const hostId = hostIdFor(requestId);
  const seen: { operation?: S3Operation; principal?: string } = {};
  serve(deps, req, path, query, requestId, seen).then(
    (reply) => send(res, req, reply, requestId, hostId, deps.logger),
    (error: unknown) => {
      const awsError = asAwsError(error, deps.logger, requestId);
      if (awsError.trace) {
        deps.metrics?.denial(seen.operation ?? 'S3');
        deps.logger.info({ requestId, principal: seen.principal, code: awsError.spec.queryCode, trace: awsError.trace }, 'request denied');
      }
      const { status, body } = encodeS3Error(awsError, requestId, hostId);
      const headers: Record<string, string> = { 'content-type': 'application/xml' };
      // RFC 9110: a 416 names the representation's length, so the client can ask again.
      const size = awsError instanceof S3Error && awsError.spec === s3ErrorSpecs.InvalidRange ? awsError.details.find(([name]) => name === 'ActualObjectSize')?.[1] : undefined;
      if (size !== undefined) headers['content-range'] = `bytes */${size}`;
      // AWS: a HEAD error has no body.
      send(res, req, { status, headers, body: req.method === 'HEAD' ? undefined : body }, requestId, hostId);
    },
  );
  res.on('finish', () => {
    const seconds = (performance.now() - started) / 1000;
    deps.metrics?.request('s3', seen.operation ?? req.method ?? 'S3', res.statusCode, seconds);
    deps.logger.debug({ requestId, service: 's3', action: seen.operation, principal: seen.principal, status: res.statusCode, ms: Math.round(seconds * 1000) }, 'request');
  });
}

function send(res: ServerResponse, req: IncomingMessage, reply: Reply, requestId: string, hostId: string, logger?: Logger): void {
  if (res.destroyed) {
    // The client left while the object was being opened: let go of its file.
    if (reply.body instanceof Readable) reply.body.destroy();
    return;
  }
  // Whatever of the request body was not read is not wanted any more.
  if (!req.complete) req.resume();
  const headers: Record<string, string | number> = { ...reply.headers, 'x-amz-request-id': requestId, 'x-amz-id-2': hostId };
  const body = reply.body;
  if (body === undefined || typeof body === 'string') {
    if (!('content-length' in headers)) headers['content-length'] = body === undefined ? 0 : Buffer.byteLength(body);
    res.writeHead(reply.status, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
  }
  if (reply.length !== undefined) headers['content-length'] = reply.length;
  res.writeHead(reply.status, headers);
  pipeline(body, res, (error) => {
    // A client that leaves early is routine; object data that fails to read or open is not.
    if (error && (error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') {
      logger?.error({ err: error, requestId }, 'object data could not be read; the response was cut short');
    }
  });
}

/** Reads a small request body whole, within the request size limit. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw protocolErrors.requestEntityTooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function serve(
  deps: S3FrontDependencies,
  req: IncomingMessage,
  path: string,
  rawQuery: string,
  requestId: string,
  seen: { operation?: S3Operation; principal?: string },
): Promise<Reply> {
  const method = req.method ?? 'GET';
  const query = new URLSearchParams(rawQuery);
  const target = targetOf(path, single(req.headers.host));
  const operation = operationOf(method, target, query, req.headers);
  seen.operation = operation;
  const streamed = operation === 'PutObject' || operation === 'UploadPart';
  const body = streamed || method === 'GET' || method === 'HEAD' ? Buffer.alloc(0) : await readBody(req, deps.config.maxRequestBytes);
  if (method === 'GET' || method === 'HEAD') req.resume();
  const caller = deps.identity.authenticator.authenticate(
    { method, path, query: rawQuery, headers: req.headersDistinct, body, streamed },
    deps.clock.now(),
  );
  seen.principal = caller.principal.arn;
  const ctx: S3Context = {
    principal: caller.principal,
    requestId,
    region: caller.region,
    secure: 'encrypted' in req.socket && req.socket.encrypted === true,
    sourceIp: clientIp(req.socket),
  };
  return run(deps.s3, ctx, operation, target, query, req, body);
}

function withEncryption(reply: Reply): Reply {
  return { ...reply, headers: { ...reply.headers, ...serverSideEncryption } };
}

function requireKey(target: S3Target): { bucket: string; key: string } {
  return { bucket: target.bucket!, key: target.key! };
}

async function run(s3: S3Service, ctx: S3Context, operation: S3Operation, target: S3Target, query: URLSearchParams, req: IncomingMessage, body: Buffer): Promise<Reply> {
  const xml = (text: string): Reply => ({ status: 200, headers: { 'content-type': 'application/xml' }, body: text });
  const bucket = target.bucket!;
  switch (operation) {
    case 'ListBuckets':
      return xml(encodeListBuckets(await s3.listBuckets(ctx)));
    case 'CreateBucket': {
      const { location } = await s3.createBucket(ctx, { bucket, ...decodeCreateBucket(body) });
      return { status: 200, headers: { location } };
    }
    case 'DeleteBucket':
      await s3.deleteBucket(ctx, { bucket });
      return { status: 204 };
    case 'HeadBucket': {
      const { region } = await s3.headBucket(ctx, { bucket });
      return { status: 200, headers: { 'x-amz-bucket-region': region } };
    }
    case 'GetBucketLocation':
      return xml(encodeLocation((await s3.getBucketLocation(ctx, { bucket })).region));
    case 'ListObjects': {
      const maxKeysText = query.get('max-keys');
      const delimiter = query.get('delimiter') || undefined;
      const marker = query.get('marker') ?? undefined;
      const input = {
        bucket,
        prefix: query.get('prefix') ?? undefined,
        delimiter,
        maxKeys: maxKeysText === null ? undefined : /^\d+$/.test(maxKeysText) ? Number(maxKeysText) : -1,
        marker,
        // A marker that is a common prefix (NextMarker with a delimiter) resumes after every key under it.
        startAfter: marker !== undefined && delimiter !== undefined && marker.endsWith(delimiter) ? `${marker}\u{10FFFF}` : marker,
        encodingType: query.get('encoding-type') ?? undefined,
      };
      return xml(encodeListObjects(bucket, input, await s3.listObjectsV2(ctx, input), ctx.principal.accountId));
    }
    case 'ListObjectsV2': {
      const maxKeysText = query.get('max-keys');
      const input = {
        bucket,
        prefix: query.get('prefix') ?? undefined,
        delimiter: query.get('delimiter') || undefined,
        maxKeys: maxKeysText === null ? undefined : /^\d+$/.test(maxKeysText) ? Number(maxKeysText) : -1,
        continuationToken: query.get('continuation-token') ?? undefined,
        startAfter: query.get('start-after') ?? undefined,
        encodingType: query.get('encoding-type') ?? undefined,
      };
      const result = await s3.listObjectsV2(ctx, input);
      const owner = query.get('fetch-owner') === 'true' ? ctx.principal.accountId : undefined;
      return xml(encodeListObjectsV2(bucket, input, result, owner));
    }
    case 'GetBucketEncryption':
      await s3.getBucketEncryption(ctx, { bucket });
      return xml(encodeBucketEncryption());
    case 'PutBucketEncryption':
      await s3.setBucketEncryption(ctx, { bucket });
      decodeBucketEncryption(body);
      return { status: 200 };
    case 'DeleteBucketEncryption':
      await s3.setBucketEncryption(ctx, { bucket });
      return { status: 204 };
    case 'GetBucketNotificationConfiguration':
      return xml(encodeNotificationConfiguration(await s3.getBucketNotification(ctx, { bucket })));
    case 'PutBucketNotificationConfiguration':
      await s3.putBucketNotification(ctx, { bucket, queueConfigurations: decodeNotificationConfiguration(body) });
      return { status: 200 };
    case 'DeleteObjects': {
      const { keys, quiet } = decodeDeleteObjects(body);
      return xml(encodeDeleteObjects(await s3.deleteObjects(ctx, { bucket, keys }), quiet));
    }
    case 'PutObject': {
      const { etag } = await s3.putObject(ctx, { ...requireKey(target), body: streamedBody(req), ...representation(req), condition: writeCondition(req.headers) });
      return { status: 200, headers: { etag, ...serverSideEncryption } };
    }
    case 'CreateMultipartUpload': {
      const { uploadId } = await s3.createMultipartUpload(ctx, { ...requireKey(target), ...representation(req) });
      return withEncryption(xml(encodeInitiateMultipartUpload(bucket, target.key!, uploadId)));
    }
    case 'UploadPart': {
      const partText = query.get('partNumber')!;
      const { etag } = await s3.uploadPart(ctx, {
        ...requireKey(target),
        uploadId: query.get('uploadId')!,
        partNumber: /^\d+$/.test(partText) ? Number(partText) : -1,
        body: streamedBody(req),
      });
      return { status: 200, headers: { etag, ...serverSideEncryption } };
    }
    case 'UploadPartCopy': {
      const partText = query.get('partNumber')!;
      const source = copySource(single(req.headers['x-amz-copy-source'])!);
      const result = await s3.uploadPartCopy(ctx, {
        ...requireKey(target),
        uploadId: query.get('uploadId')!,
        partNumber: /^\d+$/.test(partText) ? Number(partText) : -1,
        sourceBucket: source.bucket,
        sourceKey: source.key,
        sourceRange: single(req.headers['x-amz-copy-source-range']),
        checkSource: copySourceCheck(req.headers),
      });
      return withEncryption(xml(encodeCopyPart(result)));
    }
    case 'CompleteMultipartUpload': {
      const parts = decodeCompleteMultipartUpload(body);
      const { etag } = await s3.completeMultipartUpload(ctx, { ...requireKey(target), uploadId: query.get('uploadId')!, parts, condition: writeCondition(req.headers) });
      const host = single(req.headers.host) ?? 'localhost';
      const location = `${ctx.secure ? 'https' : 'http'}://${host}/${bucket}/${encodeURIComponent(target.key!).replace(/%2F/g, '/')}`;
      return withEncryption(xml(encodeCompleteMultipartUpload(location, bucket, target.key!, etag)));
    }
    case 'ListMultipartUploads': {
      const input = {
        bucket,
        prefix: query.get('prefix') ?? undefined,
        delimiter: query.get('delimiter') ?? undefined,
        keyMarker: query.get('key-marker') ?? undefined,
        uploadIdMarker: query.get('upload-id-marker') ?? undefined,
        maxUploads: query.get('max-uploads') ?? undefined,
        encodingType: query.get('encoding-type') ?? undefined,
      };
      return xml(encodeListMultipartUploads(bucket, input, await s3.listMultipartUploads(ctx, input)));
    }
    case 'ListParts': {
      const input = {
        ...requireKey(target),
        uploadId: query.get('uploadId')!,
        maxParts: query.get('max-parts') ?? undefined,
        partNumberMarker: query.get('part-number-marker') ?? undefined,
      };
      return xml(encodeListParts(bucket, await s3.listParts(ctx, input)));
    }
    case 'AbortMultipartUpload':
      await s3.abortMultipartUpload(ctx, { ...requireKey(target), uploadId: query.get('uploadId')! });
      return { status: 204 };
    case 'CopyObject': {
      const source = copySource(single(req.headers['x-amz-copy-source'])!);
      const result = await s3.copyObject(ctx, {
        ...requireKey(target),
        sourceBucket: source.bucket,
        sourceKey: source.key,
        metadataDirective: single(req.headers['x-amz-metadata-directive']),
        ...representation(req),
        checkSource: copySourceCheck(req.headers),
      });
      return withEncryption(xml(encodeCopyObject(result)));
    }
    case 'GetObject':
    case 'HeadObject': {
      const head = await s3.headObject(ctx, requireKey(target));
      const condition = evaluateConditions(req.headers, head);
      if (condition === 'not-modified') return { status: 304, headers: { etag: head.etag, 'last-modified': new Date(head.lastModified).toUTCString() } };
      if (condition !== 'proceed') throw s3Errors.preconditionFailed(condition);
      if (operation === 'HeadObject') return { status: 200, headers: { ...objectHeaders(head), 'content-length': String(head.size) } };
      const rangeText = single(req.headers.range);
      const range = parseRange(rangeText, head.size);
      if (range === 'unsatisfiable') throw s3Errors.invalidRange(rangeText!, head.size);
      const { object, body: stream } = await s3.getObject(ctx, { ...requireKey(target), range });
      const headers = objectHeaders(object);
      if (range) {
        headers['content-range'] = `bytes ${range.start}-${range.end}/${object.size}`;
        return { status: 206, headers, body: stream, length: range.end - range.start + 1 };
      }
      return { status: 200, headers, body: stream, length: object.size };
    }
    case 'DeleteObject':
      await s3.deleteObject(ctx, requireKey(target));
      return { status: 204 };
  }
}

/**
 * An object body as it streams in, checked against what the headers promised. Opened only once
 * the service authorized the request: a refused body is drained, never read.
 */
function streamedBody(req: IncomingMessage): () => Readable {
  const chunkDecoder = new AwsChunkedDecoder();
  const { chunked, promises } = bodyPromises(req.headers, () => chunkDecoder.trailers);
  if (promises.length === undefined && !chunked && req.headers['transfer-encoding'] === undefined) throw s3Errors.missingContentLength();
  return () => {
    const verifier = new BodyVerifier(promises);
    const source: Readable = chunked ? pipeline(req, chunkDecoder, () => undefined) : req;
    return pipeline(source, verifier, () => undefined);
  };
}

/** The stored representation headers and `x-amz-meta-*` metadata of a PUT or a REPLACE copy. */
function representation(req: IncomingMessage): { headers: Record<string, string>; metadata: Record<string, string> } {
  // Every object is stored under SSE-S3; asking for another kind is refused rather than ignored.
  const asked = single(req.headers['x-amz-server-side-encryption']);
  if (asked !== undefined && asked !== 'AES256') throw s3Errors.notImplemented(`x-amz-server-side-encryption: ${asked}; objects are encrypted with SSE-S3 (AES256)`);
  if (req.headers['x-amz-server-side-encryption-customer-algorithm'] !== undefined) {
    throw s3Errors.notImplemented('SSE-C; objects are encrypted with SSE-S3 (AES256)');
  }
  const headers: Record<string, string> = {};
  const metadata: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    const value = single(req.headers[name]);
    if (value === undefined) continue;
    // aws-chunked is framing, not part of the object's encoding.
    if (name === 'content-encoding') {
      const kept = value.split(',').map((v) => v.trim()).filter((v) => v !== 'aws-chunked' && v !== '');
      if (kept.length > 0) headers[name] = kept.join(',');
    } else headers[name] = value;
  }
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith('x-amz-meta-') && value !== undefined) metadata[name.slice('x-amz-meta-'.length)] = single(value)!;
  }
  return { headers, metadata };
}

/** `x-amz-copy-source`: `[/]bucket/key`, URL-encoded, optionally `?versionId=`. */
function copySource(value: string): { bucket: string; key: string } {
  const [path, version] = value.split('?');
  if (version !== undefined) throw s3Errors.notImplemented('object versions');
  let decoded: string;
  try {
    decoded = decodeURIComponent(path.startsWith('/') ? path.slice(1) : path);
  } catch {
    throw s3Errors.invalidArgument('Invalid copy source encoding', [['ArgumentName', 'x-amz-copy-source']]);
  }
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1) {
    throw s3Errors.invalidArgument('Invalid copy source object key', [['ArgumentName', 'x-amz-copy-source']]);
  }
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1) };
}

/** A single `bytes=` range; an unsatisfiable or multi-part one is ignored (the whole object is sent). */
function asAwsError(error: unknown, logger: Logger, requestId: string): AwsError {
  if (isAwsError(error)) return error;
  // The client went away (or stopped sending) mid-body: nothing was stored, and nothing is wrong here.
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET' || code === 'ECONNABORTED') return s3Errors.incompleteBody();
  logger.error({ err: error, requestId }, 'internal failure');
  return protocolErrors.internalFailure();
}
