/**
 * A compact S3: buckets and objects (metadata as identity-store documents, data as files in the
 * data directory), and event notifications to SQS queues delivered through `SqsService.deliver`
 * as `s3.amazonaws.com` with aws:SourceArn = the bucket's ARN and aws:SourceAccount = its owner.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { AwsError } from '../../shared/aws-error.js';
import { parseArn } from '../../shared/arn.js';
import type { Clock } from '../../shared/clock.js';
import type { IdentityEntity, IdentityStore } from '../../storage/ports.js';
import type { Authorizer } from '../authz/authorizer.js';
import { servicePrincipal, type Principal } from '../iam/entities.js';
import type { SqsService } from '../sqs/sqs-service.js';
import { s3Errors } from './errors.js';
import {
  eventMessage,
  matches,
  testEventMessage,
  validateConfigurations,
  type ObjectEvent,
  type QueueConfiguration,
  type QueueConfigurationInput,
} from './notifications.js';
import { listPage, pageArgument, type ListPage } from './list-objects.js';
import { listUploadsPage, type UploadListOptions, type UploadPage } from './list-uploads.js';
import type { ObjectData } from './object-files.js';

export interface S3Context {
  principal: Principal;
  requestId: string;
  /** The signature's region. */
  region: string;
  secure: boolean;
  sourceIp?: string;
}

export interface Bucket {
  name: string;
  accountId: string;
  region: string;
  /** Epoch ms. */
  createdAt: number;
  notifications: QueueConfiguration[];
}

/** The representation headers S3 stores with an object and returns on GET and HEAD. */
export const STORED_HEADERS = ['content-type', 'content-encoding', 'content-disposition', 'content-language', 'cache-control', 'expires'] as const;

export interface StoredObject {
  bucket: string;
  key: string;
  fileId: string;
  size: number;
  /** Quoted, as S3 sends it. */
  etag: string;
  /** Epoch ms. */
  lastModified: number;
  headers: Record<string, string>;
  /** `x-amz-meta-*` values by their name without the prefix, lower case. */
  metadata: Record<string, string>;
}

/** A multipart upload under way: its parts are files of their own until it completes. */
export interface MultipartUpload {
  uploadId: string;
  bucket: string;
  key: string;
  accountId: string;
  /** Epoch ms. */
  initiated: number;
  headers: Record<string, string>;
  metadata: Record<string, string>;
  parts: Record<string, { fileId: string; size: number; md5: string; lastModified: number }>;
}

/** One notification's outcome: what tests and the console read. */
export interface S3DeliveryRecord {
  time: number;
  bucket: string;
  configurationId: string;
  queueArn: string;
  eventName: string;
  outcome: 'delivered' | 'failed';
  errorCode?: string;
}

export interface ListObjectsInput {
  bucket: string;
  prefix?: string;
  delimiter?: string;
  maxKeys?: number;
  continuationToken?: string;
  startAfter?: string;
}

export type ListObjectsResult = ListPage<StoredObject>;

/** AWS: the largest object one PUT may carry (5 GiB). */
export const MAX_PUT_BYTES = 5 * 1024 ** 3;
/** AWS: every part but the last is at least 5 MiB; at most 10,000 parts; 5 TiB per object. */
const MIN_PART_BYTES = 5 * 1024 ** 2;
const MAX_PARTS = 10_000;
const MAX_OBJECT_BYTES = 5 * 1024 ** 4;
const MAX_KEY_BYTES = 1024;
const RETRY_DELAYS_MS = [1000, 5000, 20_000];

const bucketArn = (name: string) => `arn:aws:s3:::${name}`;
const objectArn = (bucket: string, key: string) => `arn:aws:s3:::${bucket}/${key}`;

/** AWS's bucket naming rules (general purpose buckets). */
export function validBucketName(name: string): boolean {
  return (
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) &&
    !name.includes('..') &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(name) &&
    !name.startsWith('xn--') &&
    !name.startsWith('sthree-') &&
    !name.endsWith('-s3alias') &&
    !name.endsWith('--ol-s3')
  );
}

export class S3Service {
  private readonly buckets = new Map<string, Bucket>();
  /** Objects by bucket, then key. */
  private readonly objects = new Map<string, Map<string, StoredObject>>();
  private readonly uploads = new Map<string, MultipartUpload>();
  /** The write under way per object, so writes to one key reach the database in order. */
  private readonly writes = new Map<string, Promise<unknown>>();
  readonly deliveries: S3DeliveryRecord[] = [];
  onDelivery: (record: S3DeliveryRecord) => void = () => undefined;
  private sequence = 0;

  /** The account that owns a bucket (undefined once it is gone). */
  bucketAccount(name: string): string | undefined {
    return this.buckets.get(name)?.accountId;
  }

  constructor(
    private readonly store: IdentityStore,
    readonly files: ObjectData,
    private readonly sqs: () => SqsService,
    private readonly authorizer: Authorizer,
    private readonly clock: Clock,
  ) {}

  async load(): Promise<void> {
    this.buckets.clear();
    this.objects.clear();
    this.uploads.clear();
    for (const e of await this.store.listEntities()) this.absorb(e);
  }

  /** Takes in one stored entity (at load, or when another node changed it); ignores other kinds. */
  absorb(e: IdentityEntity): void {
    if (e.kind === 's3-bucket') {
      const bucket = e.value as Bucket;
      this.buckets.set(bucket.name, bucket);
      if (!this.objects.has(bucket.name)) this.objects.set(bucket.name, new Map());
    }
    if (e.kind === 's3-object') {
      const o = e.value as StoredObject;
      let keys = this.objects.get(o.bucket);
      if (!keys) this.objects.set(o.bucket, (keys = new Map()));
      keys.set(o.key, o);
    }
    if (e.kind === 's3-upload') this.uploads.set(e.id, e.value as MultipartUpload);
  }

  /** Drops an entity another node deleted. */
  forget(kind: string, id: string): void {
    if (kind === 's3-bucket') {
      this.buckets.delete(id);
      this.objects.delete(id);
    }
    if (kind === 's3-object') {
      const slash = id.indexOf('/');
      this.objects.get(id.slice(0, slash))?.delete(id.slice(slash + 1));
    }
    if (kind === 's3-upload') this.uploads.delete(id);
  }

  /** s3:<Action> on `resource`, owned by `accountId`: the caller's identity policies decide (no bucket policies yet). */
  private authorize(ctx: S3Context, action: string, resource: string, accountId: string): void {
    const decision = this.authorizer.authorize({
      principal: ctx.principal,
      action,
      resource,
      resourceAccountId: accountId,
      secure: ctx.secure,
      sourceIp: ctx.sourceIp,
    });
    if (decision.decision !== 'Allow') {
      const error = s3Errors.accessDenied(ctx.principal.arn, action, resource);
      error.trace = decision.explanation;
      throw error;
    }
  }

  private bucketOf(name: string): Bucket {
    const bucket = this.buckets.get(name);
    if (!bucket) throw s3Errors.noSuchBucket(name);
    return bucket;
  }

  private keysOf(bucket: string): Map<string, StoredObject> {
    let keys = this.objects.get(bucket);
    if (!keys) this.objects.set(bucket, (keys = new Map()));
    return keys;
  }

  /** Runs `work` after the previous write to the same object finished. */
  private serially<T>(id: string, work: () => Promise<T>): Promise<T> {
    const previous = this.writes.get(id) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    this.writes.set(id, settled);
    void settled.then(() => {
      if (this.writes.get(id) === settled) this.writes.delete(id);
    });
    return next;
  }

  // Buckets

  async createBucket(ctx: S3Context, input: { bucket: string; locationConstraint?: string }): Promise<{ location: string }> {
    if (!validBucketName(input.bucket)) throw s3Errors.invalidBucketName(input.bucket);
    const accountId = ctx.principal.accountId;
    this.authorize(ctx, 's3:CreateBucket', bucketArn(input.bucket), accountId);
    const region = input.locationConstraint || ctx.region;
    const existing = this.buckets.get(input.bucket);
    if (existing) {
      if (existing.accountId !== accountId) throw s3Errors.bucketAlreadyExists(input.bucket);
      // AWS: for legacy compatibility, re-creating a bucket you own in us-east-1 answers 200.
      if (region === 'us-east-1' && existing.region === 'us-east-1') return { location: `/${input.bucket}` };
      throw s3Errors.bucketAlreadyOwnedByYou(input.bucket);
    }
    const bucket: Bucket = { name: input.bucket, accountId, region, createdAt: this.clock.now(), notifications: [] };
    this.buckets.set(bucket.name, bucket);
    this.objects.set(bucket.name, new Map());
    await this.saveBucket(bucket);
    return { location: `/${input.bucket}` };
  }

  private saveBucket(bucket: Bucket): Promise<void> {
    return this.store.putEntity({ kind: 's3-bucket', id: bucket.name, accountId: bucket.accountId, value: bucket });
  }

  async deleteBucket(ctx: S3Context, input: { bucket: string }): Promise<void> {
    const bucket = this.bucketOf(input.bucket);
    this.authorize(ctx, 's3:DeleteBucket', bucketArn(bucket.name), bucket.accountId);
    // sealq: open multipart uploads do not keep an empty bucket from being deleted; they go with it.
    if (this.keysOf(bucket.name).size > 0) throw s3Errors.bucketNotEmpty(bucket.name);
    for (const upload of [...this.uploads.values()].filter((u) => u.bucket === bucket.name)) {
      this.uploads.delete(upload.uploadId);
      await this.dropUpload(upload);
    }
    this.buckets.delete(bucket.name);
    this.objects.delete(bucket.name);
    await this.store.deleteEntity('s3-bucket', bucket.name);
  }

  async headBucket(ctx: S3Context, input: { bucket: string }): Promise<{ region: string }> {
    const bucket = this.bucketOf(input.bucket);
    this.authorize(ctx, 's3:ListBucket', bucketArn(bucket.name), bucket.accountId);
    return { region: bucket.region };
  }

  async listBuckets(ctx: S3Context): Promise<{ buckets: Bucket[]; owner: string }> {
    // AWS: ListAllMyBuckets names no bucket; policies grant it on `*` or `arn:aws:s3:::*`.
    this.authorize(ctx, 's3:ListAllMyBuckets', 'arn:aws:s3:::*', ctx.principal.accountId);
    const buckets = [...this.buckets.values()].filter((b) => b.accountId === ctx.principal.accountId).sort((a, b) => (a.name < b.name ? -1 : 1));
    return { buckets, owner: ctx.principal.accountId };
  }

  /** The bucket's region, for GetBucketLocation. */
  async getBucketLocation(ctx: S3Context, input: { bucket: string }): Promise<{ region: string }> {
    const bucket = this.bucketOf(input.bucket);
    this.authorize(ctx, 's3:GetBucketLocation', bucketArn(bucket.name), bucket.accountId);
    return { region: bucket.region };
  }

  /** Every bucket's objects are sealed with SSE-S3: there is one configuration, S3's default. */
  async getBucketEncryption(ctx: S3Context, input: { bucket: string }): Promise<void> {
    const bucket = this.bucketOf(input.bucket);
    this.authorize(ctx, 's3:GetEncryptionConfiguration', bucketArn(bucket.name), bucket.accountId);
  }

  /**
   * PutBucketEncryption (a configuration asking for AES256) and DeleteBucketEncryption (back to
   * the default) both leave SSE-S3, and both are s3:PutEncryptionConfiguration.
   */
  async setBucketEncryption(ctx: S3Context, input: { bucket: string }): Promise<void> {
    const bucket = this.bucketOf(input.bucket);
    this.authorize(ctx, 's3:PutEncryptionConfiguration', bucketArn(bucket.name), bucket.accountId);
  }

  // Objects

  private checkKey(key: string): void {
    if (key === '') throw s3Errors.invalidRequest('A key must be given.');
    if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) throw s3Errors.keyTooLong();
  }

  /**
   * Authorizes, then opens `body` and streams it to a file; the object replaces any earlier one only once the
   * whole body arrived and passed its checks (`body` errors otherwise, and nothing changes).
   */
  async putObject(
    ctx: S3Context,
    input: {
      bucket: string;
      key: string;
      body: () => Readable;
      headers: Record<string, string>;
      metadata: Record<string, string>;
      condition?: WriteCondition;
    },
  ): Promise<{ etag: string }> {
    const bucket = this.bucketOf(input.bucket);
    this.checkKey(input.key);
    this.authorize(ctx, 's3:PutObject', objectArn(bucket.name, input.key), bucket.accountId);
    checkWriteCondition(input.condition);
    const written = await this.files.write(input.body(), MAX_PUT_BYTES);
    const object = await this.commitObject(bucket, input.key, written, input.headers, input.metadata, input.condition);
    this.notify(ctx, bucket, 'ObjectCreated:Put', object);
    return { etag: object.etag };
  }

  private async commitObject(
    bucket: Bucket,
    key: string,
    written: { fileId: string; size: number; md5: string },
    headers: Record<string, string>,
    metadata: Record<string, string>,
    condition?: WriteCondition,
  ): Promise<StoredObject> {
    const object: StoredObject = {
      bucket: bucket.name,
      key,
      fileId: written.fileId,
      size: written.size,
      etag: `"${written.md5}"`,
      lastModified: this.clock.now(),
      headers: { 'content-type': 'binary/octet-stream', ...headers },
      metadata,
    };
    const id = `${bucket.name}/${key}`;
    try {
      await this.serially(id, async () => {
        // The bucket may have been deleted while the body streamed.
        if (!this.buckets.has(bucket.name)) throw s3Errors.noSuchBucket(bucket.name);
        const previous = await this.storeObject(id, bucket.accountId, object, condition);
        this.keysOf(bucket.name).set(key, object);
        if (previous) await this.files.remove(previous.fileId);
      });
    } catch (error) {
      await this.files.remove(written.fileId);
      throw error;
    }
    return object;
  }

  /**
   * Stores the object's record over whatever the database holds for its key, and returns what it
   * replaced. Conditional writes are decided in the same database write, against what is stored
   * then: another node may have written the key a moment ago, and this node's view may not show
   * it yet.
   */
  private async storeObject(id: string, accountId: string, object: StoredObject, condition: WriteCondition | undefined): Promise<StoredObject | undefined> {
    const entity = { kind: 's3-object', id, accountId, value: object };
    const isOurs = (stored: { value: unknown }) => (stored.value as StoredObject).fileId === object.fileId;
    if (condition?.ifNoneMatch !== undefined) {
      if (!isOurs(await this.store.putEntityIfAbsent(entity))) throw s3Errors.preconditionFailed('If-None-Match');
      return undefined;
    }
    for (;;) {
      let previous: StoredObject | undefined;
      const replaced = await this.store.updateEntity('s3-object', id, (current) => {
        const stored = current as StoredObject;
        if (condition?.ifMatch !== undefined && condition.ifMatch.replace(/"/g, '') !== stored.etag.replace(/"/g, '')) {
          throw s3Errors.preconditionFailed('If-Match');
        }
        previous = stored;
        return object;
      });
      if (replaced) return previous;
      if (condition?.ifMatch !== undefined) throw s3Errors.noSuchKey(object.key);
      // The key is free: take it, unless another write took it first (then replace that one).
      if (isOurs(await this.store.putEntityIfAbsent(entity))) return undefined;
    }
  }

  private objectOf(bucket: Bucket, key: string): StoredObject {
    const object = this.keysOf(bucket.name).get(key);
    if (!object) throw s3Errors.noSuchKey(key);
    return object;
  }

  /** The object and a stream of its bytes. */
  async getObject(
    ctx: S3Context,
    input: { bucket: string; key: string; range?: { start: number; end: number } },
  ): Promise<{ object: StoredObject; body: Readable }> {
    for (let attempt = 0; ; attempt++) {
      const object = await this.headObject(ctx, input);
      try {
        return { object, body: await this.files.open(object.fileId, input.range) };
      } catch (error) {
        // Replaced or deleted between the lookup and the open: look again, once.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt > 0) throw error;
      }
    }
  }

  async headObject(ctx: S3Context, input: { bucket: string; key: string }): Promise<StoredObject> {
    const bucket = this.bucketOf(input.bucket);
    this.authorize(ctx, 's3:GetObject', objectArn(bucket.name, input.key), bucket.accountId);
    const object = this.keysOf(bucket.name).get(input.key);
    if (!object) {
      // AWS: without s3:ListBucket a missing key reads as AccessDenied, so keys cannot be probed.
      this.authorize(ctx, 's3:ListBucket', bucketArn(bucket.name), bucket.accountId);
      throw s3Errors.noSuchKey(input.key);
    }
    return object;
  }

  async copyObject(
    ctx: S3Context,
    input: {
      bucket: string;
      key: string;
      sourceBucket: string;
      sourceKey: string;
      metadataDirective?: string;
      headers: Record<string, string>;
      metadata: Record<string, string>;
      /** The copy's conditions on its source (x-amz-copy-source-if-*); throws when one fails. */
      checkSource?: (source: StoredObject) => void;
    },
  ): Promise<{ etag: string; lastModified: number }> {
    const target = this.bucketOf(input.bucket);
    this.checkKey(input.key);
    const source = await this.headObject(ctx, { bucket: input.sourceBucket, key: input.sourceKey });
    input.checkSource?.(source);
    this.authorize(ctx, 's3:PutObject', objectArn(target.name, input.key), target.accountId);
    const directive = input.metadataDirective ?? 'COPY';
    if (directive !== 'COPY' && directive !== 'REPLACE') {
      throw s3Errors.invalidArgument('Unknown metadata directive.', [
        ['ArgumentName', 'x-amz-metadata-directive'],
        ['ArgumentValue', directive],
      ]);
    }
    if (directive === 'COPY' && input.sourceBucket === input.bucket && input.sourceKey === input.key) {
      // AWS: copying an object onto itself must change something.
      throw s3Errors.invalidRequest(
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
      );
    }
    const written = await this.files.copy(source.fileId, MAX_PUT_BYTES);
    const [headers, metadata] = directive === 'COPY' ? [source.headers, source.metadata] : [input.headers, input.metadata];
    const object = await this.commitObject(target, input.key, written, headers, metadata);
    this.notify(ctx, target, 'ObjectCreated:Copy', object);
    return { etag: object.etag, lastModified: object.lastModified };
  }

  /** AWS: deleting a key that does not exist succeeds (204) and sends no event. */
  async deleteObject(ctx: S3Context, input: { bucket: string; key: string }): Promise<void> {
    const bucket = this.bucketOf(input.bucket);
    this.authorize(ctx, 's3:DeleteObject', objectArn(bucket.name, input.key), bucket.accountId);
    await this.removeObject(ctx, bucket, input.key);
  }

  private async removeObject(ctx: S3Context, bucket: Bucket, key: string): Promise<void> {
    const id = `${bucket.name}/${key}`;
    const removed = await this.serially(id, async () => {
      const keys = this.keysOf(bucket.name);
      // What the database holds now: another node may have replaced the object a moment ago.
      const stored = await this.store.getEntity('s3-object', id);
      if (!stored) {
        keys.delete(key);
        return undefined;
      }
      const previous = stored.value as StoredObject;
      await this.store.deleteEntity('s3-object', id);
      keys.delete(key);
      await this.files.remove(previous.fileId);
      return previous;
    });
    if (removed) this.notify(ctx, bucket, 'ObjectRemoved:Delete', { key, bucket: bucket.name });
  }

  /** Each key is authorized and deleted on its own; failures are reported per key. */
  async deleteObjects(
    ctx: S3Context,
    input: { bucket: string; keys: string[] },
  ): Promise<{ deleted: string[]; errors: Array<{ key: string; code: string; message: string }> }> {
    const bucket = this.bucketOf(input.bucket);
    if (input.keys.length > 1000) throw s3Errors.malformedXml();
    const deleted: string[] = [];
    const errors: Array<{ key: string; code: string; message: string }> = [];
    for (const key of input.keys) {
      try {
        this.authorize(ctx, 's3:DeleteObject', objectArn(bucket.name, key), bucket.accountId);
        await this.removeObject(ctx, bucket, key);
        deleted.push(key);
      } catch (error) {
        if (!(error instanceof AwsError)) throw error;
        errors.push({ key, code: error.spec.queryCode, message: error.message });
      }
    }
    return { deleted, errors };
  }

  async listObjectsV2(ctx: S3Context, input: ListObjectsInput): Promise<ListObjectsResult> {
    const bucket = this.bucketOf(input.bucket);
    this.authorize(ctx, 's3:ListBucket', bucketArn(bucket.name), bucket.accountId);
    return listPage(this.keysOf(bucket.name), input);
  }

  // Multipart uploads

  async createMultipartUpload(
    ctx: S3Context,
    input: { bucket: string; key: string; headers: Record<string, string>; metadata: Record<string, string> },
  ): Promise<{ uploadId: string }> {
    const bucket = this.bucketOf(input.bucket);
    this.checkKey(input.key);
    this.authorize(ctx, 's3:PutObject', objectArn(bucket.name, input.key), bucket.accountId);
    const upload: MultipartUpload = {
      uploadId: randomBytes(32).toString('base64url'),
      bucket: bucket.name,
      key: input.key,
      accountId: bucket.accountId,
      initiated: this.clock.now(),
      headers: input.headers,
      metadata: input.metadata,
      parts: {},
    };
    this.uploads.set(upload.uploadId, upload);
    await this.saveUpload(upload);
    return { uploadId: upload.uploadId };
  }

  private saveUpload(upload: MultipartUpload): Promise<void> {
    return this.store.putEntity({ kind: 's3-upload', id: upload.uploadId, accountId: upload.accountId, value: upload });
  }

  private uploadOf(bucket: Bucket, key: string, uploadId: string): MultipartUpload {
    const upload = this.uploads.get(uploadId);
    if (!upload || upload.bucket !== bucket.name || upload.key !== key) throw s3Errors.noSuchUpload(uploadId);
    return upload;
  }

  /** Streams one part to a file of its own; a part uploaded again replaces the earlier one. */
  async uploadPart(
    ctx: S3Context,
    input: { bucket: string; key: string; uploadId: string; partNumber: number; body: () => Readable },
  ): Promise<{ etag: string }> {
    const bucket = this.checkPartTarget(ctx, input);
    const part = await this.storePart(bucket, input, input.body());
    return { etag: part.etag };
  }

  /**
   * UploadPartCopy: a part made of another object's bytes, all of them or `bytes=first-last`.
   * The caller needs s3:GetObject on the source as well as s3:PutObject on the upload's key.
   */
  async uploadPartCopy(
    ctx: S3Context,
    input: {
      bucket: string;
      key: string;
      uploadId: string;
      partNumber: number;
      sourceBucket: string;
      sourceKey: string;
      sourceRange?: string;
      checkSource?: (source: StoredObject) => void;
    },
  ): Promise<{ etag: string; lastModified: number }> {
    const bucket = this.checkPartTarget(ctx, input);
    const source = await this.headObject(ctx, { bucket: input.sourceBucket, key: input.sourceKey });
    input.checkSource?.(source);
    let range: { start: number; end: number } | undefined;
    if (input.sourceRange !== undefined) {
      const m = /^bytes=(\d+)-(\d+)$/.exec(input.sourceRange);
      if (!m) {
        throw s3Errors.invalidArgument(
          'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy',
          [['ArgumentName', 'x-amz-copy-source-range'], ['ArgumentValue', input.sourceRange]],
        );
      }
      range = { start: Number(m[1]), end: Number(m[2]) };
      if (range.start > range.end || range.end >= source.size) {
        throw s3Errors.invalidArgument(`Range specified is not valid for source object of size: ${source.size}`, [
          ['ArgumentName', 'x-amz-copy-source-range'],
          ['ArgumentValue', input.sourceRange],
        ]);
      }
    }
    // Opened only after every check, so a refused copy leaves no file open behind it.
    return this.storePart(bucket, input, await this.files.open(source.fileId, range));
  }

  private checkPartTarget(ctx: S3Context, input: { bucket: string; key: string; uploadId: string; partNumber: number }): Bucket {
    const bucket = this.bucketOf(input.bucket);
    this.authorize(ctx, 's3:PutObject', objectArn(bucket.name, input.key), bucket.accountId);
    this.uploadOf(bucket, input.key, input.uploadId);
    if (!Number.isInteger(input.partNumber) || input.partNumber < 1 || input.partNumber > MAX_PARTS) {
      throw s3Errors.invalidArgument('Part number must be an integer between 1 and 10000, inclusive', [
        ['ArgumentName', 'partNumber'],
        ['ArgumentValue', String(input.partNumber)],
      ]);
    }
    return bucket;
  }

  /** Streams a part to its file, then records it on the upload (replacing a part of the same number). */
  private async storePart(
    bucket: Bucket,
    input: { key: string; uploadId: string; partNumber: number },
    body: Readable,
  ): Promise<{ etag: string; lastModified: number }> {
    const written = await this.files.write(body, MAX_PUT_BYTES);
    const lastModified = this.clock.now();
    try {
      await this.serially(`upload:${input.uploadId}`, async () => {
        // Completed or aborted while the part streamed in.
        const upload = this.uploadOf(bucket, input.key, input.uploadId);
        const previous = upload.parts[input.partNumber];
        upload.parts[input.partNumber] = { fileId: written.fileId, size: written.size, md5: written.md5, lastModified };
        await this.saveUpload(upload);
        if (previous) await this.files.remove(previous.fileId);
      });
    } catch (error) {
      await this.files.remove(written.fileId);
      throw error;
    }
    return { etag: `"${written.md5}"`, lastModified };
  }

  /**
   * Joins the named parts, in order, into the object (ETag: the MD5 of the parts' MD5s, then
   * `-<count>`, as S3 computes it) and sends ObjectCreated:CompleteMultipartUpload.
   */
  async completeMultipartUpload(
    ctx: S3Context,
    input: { bucket: string; key: string; uploadId: string; parts: Array<{ partNumber: number; etag: string }>; condition?: WriteCondition },
  ): Promise<{ etag: string }> {
    checkWriteCondition(input.condition);
    const bucket = this.bucketOf(input.bucket);
    this.authorize(ctx, 's3:PutObject', objectArn(bucket.name, input.key), bucket.accountId);
    const { upload, chosen } = await this.serially(`upload:${input.uploadId}`, async () => {
      const upload = this.uploadOf(bucket, input.key, input.uploadId);
      if (input.parts.length === 0) throw s3Errors.malformedXml();
      const chosen = input.parts.map((p, i) => {
        if (i > 0 && p.partNumber <= input.parts[i - 1].partNumber) throw s3Errors.invalidPartOrder();
        const part = upload.parts[p.partNumber];
        if (!part || p.etag.replace(/"/g, '') !== part.md5) throw s3Errors.invalidPart(p.partNumber, p.etag);
        return part;
      });
      chosen.forEach((part, i) => {
        if (i < chosen.length - 1 && part.size < MIN_PART_BYTES) throw s3Errors.entityTooSmall(part.size, MIN_PART_BYTES);
      });
      // The upload is no longer open: a concurrent Complete or Abort now finds nothing.
      this.uploads.delete(upload.uploadId);
      return { upload, chosen };
    });
    try {
      const written = await this.files.concat(chosen.map((p) => p.fileId), MAX_OBJECT_BYTES);
      const etag = createHash('md5').update(Buffer.concat(chosen.map((p) => Buffer.from(p.md5, 'hex')))).digest('hex') + `-${chosen.length}`;
      const object = await this.commitObject(bucket, input.key, { ...written, md5: etag }, upload.headers, upload.metadata, input.condition);
      this.notify(ctx, bucket, 'ObjectCreated:CompleteMultipartUpload', object);
      await this.dropUpload(upload);
      return { etag: object.etag };
    } catch (error) {
      // Nothing was made of it: the upload stays open for another attempt.
      this.uploads.set(upload.uploadId, upload);
      throw error;
    }
  }

  async abortMultipartUpload(ctx: S3Context, input: { bucket: string; key: string; uploadId: string }): Promise<void> {
    const bucket = this.bucketOf(input.bucket);
    this.authorize(ctx, 's3:AbortMultipartUpload', objectArn(bucket.name, input.key), bucket.accountId);
    await this.serially(`upload:${input.uploadId}`, async () => {
      const upload = this.uploadOf(bucket, input.key, input.uploadId);
      this.uploads.delete(upload.uploadId);
      await this.dropUpload(upload);
    });
  }

  /** ListMultipartUploads: the bucket's open uploads, a page at a time. */
  async listMultipartUploads(ctx: S3Context, input: { bucket: string } & UploadListOptions): Promise<UploadPage<MultipartUpload>> {
    const bucket = this.bucketOf(input.bucket);
    this.authorize(ctx, 's3:ListBucketMultipartUploads', bucketArn(bucket.name), bucket.accountId);
    return listUploadsPage([...this.uploads.values()].filter((u) => u.bucket === bucket.name), input);
  }

  /** ListParts: the parts uploaded so far, by part number, a page at a time. */
  async listParts(
    ctx: S3Context,
    input: { bucket: string; key: string; uploadId: string; maxParts?: string; partNumberMarker?: string },
  ): Promise<{ upload: MultipartUpload; parts: Array<{ partNumber: number; size: number; etag: string; lastModified: number }>; maxParts: number; marker: number; isTruncated: boolean }> {
    const bucket = this.bucketOf(input.bucket);
    this.authorize(ctx, 's3:ListMultipartUploadParts', objectArn(bucket.name, input.key), bucket.accountId);
    const maxParts = pageArgument('max-parts', input.maxParts, 1000);
    const marker = pageArgument('part-number-marker', input.partNumberMarker, 0);
    const upload = this.uploadOf(bucket, input.key, input.uploadId);
    const after = Object.entries(upload.parts)
      .map(([n, p]) => ({ partNumber: Number(n), size: p.size, etag: `"${p.md5}"`, lastModified: p.lastModified }))
      .filter((p) => p.partNumber > marker)
      .sort((a, b) => a.partNumber - b.partNumber);
    const limit = Math.min(maxParts, 1000);
    return { upload, parts: after.slice(0, limit), maxParts, marker, isTruncated: after.length > limit };
  }

  private async dropUpload(upload: MultipartUpload): Promise<void> {
    await this.store.deleteEntity('s3-upload', upload.uploadId);
    for (const part of Object.values(upload.parts)) await this.files.remove(part.fileId);
  }

  // Notifications

  async getBucketNotification(ctx: S3Context, input: { bucket: string }): Promise<QueueConfiguration[]> {
    const bucket = this.bucketOf(input.bucket);
    this.authorize(ctx, 's3:GetBucketNotification', bucketArn(bucket.name), bucket.accountId);
    return bucket.notifications;
  }

  /**
   * Validates the configuration, then sends each destination queue an s3:TestEvent as
   * s3.amazonaws.com; if any refuses, the call fails and the previous configuration stays.
   */
  async putBucketNotification(ctx: S3Context, input: { bucket: string; queueConfigurations: QueueConfigurationInput[] }): Promise<void> {
    const bucket = this.bucketOf(input.bucket);
    this.authorize(ctx, 's3:PutBucketNotification', bucketArn(bucket.name), bucket.accountId);
    const configurations = validateConfigurations(input.queueConfigurations);
    const refused: Array<{ arn: string; reason: string }> = [];
    const hostId = hostIdFor(ctx.requestId);
    for (const queueArn of new Set(configurations.map((c) => c.queueArn))) {
      try {
        await this.send(bucket, queueArn, testEventMessage(bucket.name, this.clock.now(), ctx.requestId, hostId));
      } catch (error) {
        if (!(error instanceof AwsError) || error.spec.fault !== 'Sender') throw error;
        const missing = /NonExistentQueue|QueueDoesNotExist/.test(error.spec.queryCode);
        refused.push({
          arn: queueArn,
          reason: missing ? 'The destination queue does not exist' : 'Permissions on the destination queue do not allow S3 to publish notifications from this bucket',
        });
      }
    }
    if (refused.length > 0) throw s3Errors.unableToValidateDestinations(refused);
    bucket.notifications = configurations;
    await this.saveBucket(bucket);
  }

  private async send(bucket: Bucket, queueArn: string, body: string): Promise<void> {
    const principal = servicePrincipal('s3.amazonaws.com', bucketArn(bucket.name), bucket.accountId);
    const arn = parseArn(queueArn);
    await this.sqs().deliver(
      {
        requestId: randomUUID(),
        accountId: arn?.accountId ?? bucket.accountId,
        region: arn?.region ?? bucket.region,
        baseUrl: 'http://s3.amazonaws.com',
        senderId: principal.userId,
        principal,
        secure: true,
      },
      { queueArn, messageBody: body },
    );
  }

  /** After the response: one message per matching configuration, as S3 sends them. */
  private notify(ctx: S3Context, bucket: Bucket, eventName: string, object: Pick<StoredObject, 'key' | 'bucket'> & Partial<StoredObject>): void {
    const targets = bucket.notifications.filter((c) => matches(c, eventName, object.key));
    if (targets.length === 0) return;
    const event: ObjectEvent = {
      eventName,
      region: bucket.region,
      time: this.clock.now(),
      principalId: `AWS:${ctx.principal.userId}`,
      sourceIp: ctx.sourceIp ?? '127.0.0.1',
      requestId: ctx.requestId,
      hostId: hostIdFor(ctx.requestId),
      bucket: bucket.name,
      ownerPrincipalId: bucket.accountId,
      key: object.key,
      size: object.size,
      eTag: object.etag?.replace(/"/g, ''),
      sequencer: this.sequencer(),
    };
    for (const c of targets) setImmediate(() => void this.deliver(bucket, c, event, eventMessage(event, c.id), 0));
  }

  private async deliver(bucket: Bucket, c: QueueConfiguration, event: ObjectEvent, body: string, attempt: number): Promise<void> {
    const record: S3DeliveryRecord = {
      time: this.clock.now(),
      bucket: bucket.name,
      configurationId: c.id,
      queueArn: c.queueArn,
      eventName: event.eventName,
      outcome: 'delivered',
    };
    try {
      await this.send(bucket, c.queueArn, body);
    } catch (error) {
      record.errorCode = error instanceof AwsError ? error.spec.queryCode : 'InternalError';
      const clientSide = error instanceof AwsError && error.spec.fault === 'Sender';
      if (!clientSide && attempt < RETRY_DELAYS_MS.length) {
        setTimeout(() => void this.deliver(bucket, c, event, body, attempt + 1), RETRY_DELAYS_MS[attempt]).unref();
        return;
      }
      record.outcome = 'failed';
    }
    this.deliveries.push(record);
    if (this.deliveries.length > 10_000) this.deliveries.splice(0, 1000);
    this.onDelivery(record);
  }

  /** Increases with every event this node emits, as S3's per-key sequencers do. */
  private sequencer(): string {
    this.sequence = (this.sequence + 1) % 0x10000;
    return (BigInt(this.clock.now()) * 0x10000n + BigInt(this.sequence)).toString(16).toUpperCase().padStart(16, '0');
  }

  /** Wipes every bucket's data files (POST /_sealq/reset). */
  async wipe(): Promise<void> {
    await this.files.wipe();
  }
}

/** S3's x-amz-id-2: an opaque base64 token; derived from the request id so both name one request. */
export function hostIdFor(requestId: string): string {
  return Buffer.from(`${requestId}/${requestId.split('').reverse().join('')}`).toString('base64');
}

/** A conditional write: `If-None-Match: *` (only if the key is free) or `If-Match: <etag>` (only over that version). */
export interface WriteCondition {
  ifNoneMatch?: string;
  ifMatch?: string;
}

function checkWriteCondition(condition: WriteCondition | undefined): void {
  // S3 takes only `*` in a write's If-None-Match.
  if (condition?.ifNoneMatch !== undefined && condition.ifNoneMatch.trim() !== '*') {
    throw s3Errors.notImplemented(`If-None-Match: ${condition.ifNoneMatch} on a write (only * is supported)`);
  }
}
