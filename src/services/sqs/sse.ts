import { createCipheriv, createDecipheriv } from 'node:crypto';
import { fillIv } from '../../shared/ids.js';
import { AwsError } from '../../shared/aws-error.js';
import type { Clock } from '../../shared/clock.js';
import { OldestFirst } from '../../shared/oldest-first.js';
import { rootPrincipal } from '../iam/identity-directory.js';
import type { KmsContext, KmsService } from '../kms/kms-service.js';
import { sqsErrors } from './errors.js';
import type { Queue } from './queues.js';
import { noMetrics, type RequestContext, type SqsMetricsHook } from './types.js';

/** How a stored body is sealed: which key protects its data key, under which queue's context. */
export interface Envelope {
  /** The KMS key ARN, or `sqs-owned` for SSE-SQS. */
  keyArn: string;
  /** The queue ARN bound into the data key as encryption context (`aws:sqs:arn`). */
  queueArn: string;
  /** The data key, encrypted under the key. */
  dataKey: Buffer;
}

interface CachedKey {
  plaintext: Buffer;
  envelope: Envelope;
  /** `envelope` as stored with each message (encryption entries only; decryption ones keep ''). */
  envelopeText: string;
  expiresAt: number;
}

const OWNED = 'sqs-owned';
/** Entries a data-key cache holds before expired ones are swept out. */
const MAX_CACHED_KEYS = 10_000;
/** Plaintext characters kept for receives that follow their send closely (4 Mi, 4–16 MiB). */
const SEALED_CHARS_HELD = 4 * 1024 * 1024;
const IV = 12;
const TAG = 16;

/**
 * Server-side encryption of message bodies, as SQS does it: envelope encryption under a data key
 * from KMS (SSE-KMS) or from a sealq-owned key (SSE-SQS). Data keys are cached separately for
 * encryption and decryption, per queue, key and requester, for the queue's reuse period, which is
 * why a revoked permission or a disabled key takes effect only when a requester's entry expires.
 */
export class MessageEncryption {
  private readonly encryptKeys = new Map<string, CachedKey>();
  /**
   * By stored envelope, then requester. The envelope text comes first because a receive hands
   * the same string object for every message of a send batch (the store's cache), and a string
   * that was hashed once is not hashed again.
   */
  private readonly decryptKeys = new Map<string, Map<string, CachedKey>>();
  private decryptEntries = 0;
  /**
   * The plaintext of bodies this process sealed recently, keyed by the sealed buffer itself. A
   * store that hands back that very buffer (SQLite's cache of recent sends) lets a receive skip
   * the AES pass; a body read back from disk is a new buffer and is always decrypted. Memory
   * only, bounded by characters held; an entry goes at its first use or when newer ones push it
   * out, so a deep backlog never keeps plaintext around.
   */
  private readonly sealedBodies = new Map<Buffer, string>();
  private readonly sealedOrder = new OldestFirst<Buffer>((sealed) => this.sealedBodies.has(sealed));
  private sealedChars = 0;

  constructor(
    private readonly kms: KmsService | undefined,
    private readonly clock: Clock,
    private readonly region: string,
    private readonly metrics: SqsMetricsHook = noMetrics,
  ) {}

  /** Seals bodies for a send; undefined when the queue does not encrypt. */
  seal(ctx: RequestContext, queue: Queue, bodies: Array<{ messageId: string; body: string }>): { envelope: Envelope; envelopeText: string; ciphertexts: Buffer[] } | undefined {
    const kmsKeyId = queue.record.attributes.KmsMasterKeyId;
    const sqsManaged = queue.record.attributes.SqsManagedSseEnabled === 'true';
    if (!this.kms || (!kmsKeyId && !sqsManaged)) return undefined;
    const key = this.encryptionKey(ctx, queue, kmsKeyId);
    return {
      envelope: key.envelope,
      envelopeText: key.envelopeText,
      ciphertexts: bodies.map((b) => {
        const sealed = sealBody(key.plaintext, b.messageId, b.body);
        this.rememberSealed(sealed, b.body);
        return sealed;
      }),
    };
  }

  /** What the caches hold now (for metrics). */
  cacheSizes(): { encrypt: number; decrypt: number; plaintextChars: number } {
    return { encrypt: this.encryptKeys.size, decrypt: this.decryptEntries, plaintextChars: this.sealedChars };
  }

  /** Pending writes of KMS keys made on first use, if any. */
  keyWrites(): Promise<unknown> | undefined {
    return this.kms?.keyWrites();
  }

  private encryptionKey(ctx: RequestContext, queue: Queue, kmsKeyId: string | undefined): CachedKey {
    const now = this.clock.now();
    const requester = ctx.principal?.requesterId ?? 'anonymous';
    const cacheKey = `${queue.arn}\u0000${kmsKeyId ?? OWNED}\u0000${requester}`;
    const cached = this.encryptKeys.get(cacheKey);
    const hit = !!cached && cached.expiresAt > now;
    this.metrics.dataKey('encrypt', hit);
    if (hit) return cached!;
    const context = { 'aws:sqs:arn': queue.arn };
    let entry: CachedKey;
    if (!kmsKeyId) {
      const { plaintext, blob } = this.kms!.ownedDataKey(context);
      const envelope = { keyArn: OWNED, queueArn: queue.arn, dataKey: blob };
      entry = { plaintext, envelope, envelopeText: encodeEnvelope(envelope), expiresAt: now + reusePeriodMs(queue) };
    } else {
      const kmsCtx = this.kmsContext(ctx);
      // AWS: a producer's next send after the reuse period calls GenerateDataKey, then Decrypt to
      // check the new data key before using it; both as the producer, via SQS.
      const generated = this.viaKms(() =>
        this.kms!.metered(kmsCtx, 'GenerateDataKey', context, (record) => {
          // Resolved first, so that a refused call is still recorded against its key.
          record.keyArn = this.kms!.resolveKey(kmsCtx, kmsKeyId).key.arn;
          return this.kms!.generateDataKeyFor(kmsCtx, kmsKeyId, 32, context, 'GenerateDataKey');
        }),
      );
      this.viaKms(() =>
        this.kms!.metered(kmsCtx, 'Decrypt', context, (record) => {
          record.keyArn = generated.key.arn;
          return this.kms!.decryptWith(kmsCtx, generated.blob, context, undefined);
        }),
      );
      const envelope = { keyArn: generated.key.arn, queueArn: queue.arn, dataKey: generated.blob };
      entry = { plaintext: generated.plaintext, envelope, envelopeText: encodeEnvelope(envelope), expiresAt: now + reusePeriodMs(queue) };
    }
    this.prune(this.encryptKeys, now);
    this.encryptKeys.set(cacheKey, entry);
    return entry;
  }

  /**
   * Before opening: reads any KMS key version that envelopes not in this requester's cache name
   * and this node has not seen yet (a rotation on another node moments ago). Undefined, and no
   * await, in the usual case.
   */
  learnKeyVersions(ctx: RequestContext, messages: ReadonlyArray<{ envelope: string | null }>): Promise<unknown> | undefined {
    if (!this.kms) return undefined;
    const requester = ctx.principal?.requesterId ?? 'anonymous';
    const now = this.clock.now();
    let reads: Array<Promise<unknown>> | undefined;
    for (const { envelope: text } of messages) {
      if (!text) continue;
      const cached = this.decryptKeys.get(text)?.get(requester);
      if (cached && cached.expiresAt > now) continue;
      const envelope = decodeEnvelope(text);
      const read = envelope.keyArn === OWNED ? undefined : this.kms.learnVersionOf(envelope.dataKey);
      if (read) (reads ??= []).push(read);
    }
    return reads && Promise.all(reads);
  }

  /** Opens a stored body (its envelope as stored) for a receive by this requester. */
  open(ctx: RequestContext, queue: Queue, envelopeText: string, messageId: string, ciphertext: Buffer): string {
    // The data key is looked up (and KMS called, as this requester) whether or not AES runs.
    const key = this.decryptionKey(ctx, queue, envelopeText);
    const known = this.sealedBodies.get(ciphertext);
    if (known !== undefined) {
      this.sealedBodies.delete(ciphertext);
      this.sealedChars -= known.length;
      return known;
    }
    const body = openBody(key, messageId, ciphertext);
    if (body === undefined) throw sqsErrors.internalFailure();
    return body;
  }

  private decryptionKey(ctx: RequestContext, queue: Queue, envelopeText: string): Buffer {
    const now = this.clock.now();
    const requester = ctx.principal?.requesterId ?? 'anonymous';
    // The stored envelope names queue, key and data key: with the requester, it is the cache key.
    const cached = this.decryptKeys.get(envelopeText)?.get(requester);
    const hit = !!cached && cached.expiresAt > now;
    this.metrics.dataKey('decrypt', hit);
    if (hit) return cached!.plaintext;
    const envelope = decodeEnvelope(envelopeText);
    const context = { 'aws:sqs:arn': envelope.queueArn };
    let plaintext: Buffer;
    if (envelope.keyArn === OWNED) plaintext = this.kms!.decryptOwned(envelope.dataKey, context);
    else {
      const kmsCtx = this.kmsContext(ctx);
      // AWS: a consumer needs kms:Decrypt on the key that encrypted the message (for a
      // dead-letter queue, the source queue's key), checked when its cached entry expires.
      plaintext = this.viaKms(() =>
        this.kms!.metered(kmsCtx, 'Decrypt', context, (record) => {
          record.keyArn = envelope.keyArn;
          return this.kms!.decryptWith(kmsCtx, envelope.dataKey, context, undefined).plaintext;
        }),
      );
    }
    this.pruneDecryptKeys(now);
    let byRequester = this.decryptKeys.get(envelopeText);
    if (!byRequester) this.decryptKeys.set(envelopeText, (byRequester = new Map()));
    if (!byRequester.has(requester)) this.decryptEntries++;
    byRequester.set(requester, { plaintext, envelope, envelopeText: '', expiresAt: now + reusePeriodMs(queue) });
    return plaintext;
  }

  private rememberSealed(sealed: Buffer, body: string): void {
    this.sealedBodies.set(sealed, body);
    this.sealedOrder.add(sealed, this.sealedBodies.size);
    this.sealedChars += body.length;
    while (this.sealedChars > SEALED_CHARS_HELD) {
      const oldest = this.sealedOrder.takeOldest();
      if (oldest === undefined) break;
      this.sealedChars -= this.sealedBodies.get(oldest)!.length;
      this.sealedBodies.delete(oldest);
    }
  }

  private kmsContext(ctx: RequestContext): KmsContext {
    return {
      principal: ctx.principal ?? rootPrincipal(ctx.accountId),
      secure: ctx.secure ?? false,
      sourceIp: ctx.sourceIp,
      viaService: `sqs.${this.region}.amazonaws.com`,
    };
  }

  /** KMS failures reach SQS clients as SQS's KMS.* errors. */
  private viaKms<T>(run: () => T): T {
    try {
      return run();
    } catch (error) {
      if (!(error instanceof AwsError)) throw error;
      const message = error.message;
      switch (error.spec.shape) {
        case 'AccessDeniedException':
          throw sqsErrors.kms('KmsAccessDenied', message);
        case 'DisabledException':
          throw sqsErrors.kms('KmsDisabled', message);
        case 'KMSInvalidStateException':
          throw sqsErrors.kms('KmsInvalidState', message);
        case 'NotFoundException':
          throw sqsErrors.kms('KmsNotFound', message);
        case 'InvalidKeyUsageException':
        case 'IncorrectKeyException':
          throw sqsErrors.kms('KmsInvalidKeyUsage', message);
        case 'ThrottlingException':
          throw sqsErrors.kms('KmsThrottled', message);
        default:
          throw error;
      }
    }
  }

  private prune(cache: Map<string, CachedKey>, now: number): void {
    if (cache.size < MAX_CACHED_KEYS) return;
    for (const [k, v] of cache) if (v.expiresAt <= now) cache.delete(k);
  }

  private pruneDecryptKeys(now: number): void {
    if (this.decryptEntries < MAX_CACHED_KEYS) return;
    for (const [envelopeText, byRequester] of this.decryptKeys) {
      for (const [requester, v] of byRequester) {
        if (v.expiresAt > now) continue;
        byRequester.delete(requester);
        this.decryptEntries--;
      }
      if (byRequester.size === 0) this.decryptKeys.delete(envelopeText);
    }
  }
}

function reusePeriodMs(queue: Queue): number {
  return Number(queue.record.attributes.KmsDataKeyReusePeriodSeconds ?? 300) * 1000;
}


/** AES-256-GCM with the message id as additional data, so bodies cannot be swapped between messages. */
export function sealBody(key: Buffer, messageId: string, body: string): Buffer {
  // GCM is a stream mode: the ciphertext is as long as the body, so the result is sized at once
  // and the nonce drawn straight into it.
  const sealed = Buffer.allocUnsafe(IV + TAG + Buffer.byteLength(body, 'utf8'));
  const iv = fillIv(sealed);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad(messageId));
  cipher.update(body, 'utf8').copy(sealed, IV + TAG);
  cipher.final();
  cipher.getAuthTag().copy(sealed, IV);
  return sealed;
}

const aadScratch = Buffer.allocUnsafe(256);

/**
 * The message id's UTF-8 bytes, written into a reused buffer: setAAD consumes its input at once,
 * and a message id (a UUID) always fits, so sealing allocates nothing for it.
 */
function aad(messageId: string): Buffer {
  if (messageId.length * 3 > aadScratch.length) return Buffer.from(messageId);
  return aadScratch.subarray(0, aadScratch.write(messageId, 0, 'utf8'));
}

export function openBody(key: Buffer, messageId: string, sealed: Buffer): string | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV));
    decipher.setAAD(aad(messageId));
    decipher.setAuthTag(sealed.subarray(IV, IV + TAG));
    return Buffer.concat([decipher.update(sealed.subarray(IV + TAG)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

export function encodeEnvelope(e: Envelope): string {
  return JSON.stringify({ k: e.keyArn, q: e.queueArn, d: e.dataKey.toString('base64') });
}

export function decodeEnvelope(text: string): Envelope {
  const v = JSON.parse(text) as { k: string; q: string; d: string };
  return { keyArn: v.k, queueArn: v.q, dataKey: Buffer.from(v.d, 'base64') };
}
