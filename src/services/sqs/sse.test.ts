import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../config/config.js';
import { ManualClock } from '../../shared/clock.js';
import { SqliteStore } from '../../storage/sqlite/sqlite-store.js';
import { rootPrincipal } from '../iam/identity-directory.js';
import { startIdentity, type Identity } from '../identity.js';
import type { Queue } from './queues.js';
import { encodeEnvelope, MessageEncryption } from './sse.js';
import type { RequestContext } from './types.js';

const ACCOUNT = '000000000000';
const queueArn = `arn:aws:sqs:us-east-1:${ACCOUNT}:sealed`;
// Only what sealing reads of a queue: its ARN and its SSE attributes.
const queue = { arn: queueArn, record: { attributes: { SqsManagedSseEnabled: 'true' } } } as unknown as Queue;
const ctx = { requestId: 'r', accountId: ACCOUNT, region: 'us-east-1', principal: rootPrincipal(ACCOUNT) } as unknown as RequestContext;

describe('message body encryption (SSE-SQS, a real KMS service on SQLite)', () => {
  let dataDir: string;
  let store: SqliteStore;
  let identity: Identity;
  let encryption: MessageEncryption;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sealq-sse-'));
    store = new SqliteStore({ dataDir });
    const clock = new ManualClock(1_700_000_000_000);
    identity = await startIdentity({ ...defaultConfig, dataDir, rootKey: randomBytes(32).toString('base64') }, store.identity(), clock);
    encryption = new MessageEncryption(identity.kms, clock, 'us-east-1');
  });

  afterAll(async () => {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  function sealOne(messageId: string, body: string): { envelope: string; sealed: Buffer } {
    const result = encryption.seal(ctx, queue, [{ messageId, body }])!;
    return { envelope: result.envelopeText, sealed: result.ciphertexts[0] };
  }

  it('stores the envelope of the data key that sealed the body', () => {
    const result = encryption.seal(ctx, queue, [{ messageId: 'm-0', body: 'x' }])!;
    expect(result.envelopeText).toBe(encodeEnvelope(result.envelope));
    expect(JSON.parse(result.envelopeText)).toMatchObject({ k: 'sqs-owned', q: queueArn });
  });

  it('seals a body as IV, tag and ciphertext of the same length, never the plaintext', () => {
    const body = 'canary-7f3a '.repeat(20);
    const { sealed } = sealOne('m-1', body);
    expect(sealed.length).toBe(12 + 16 + Buffer.byteLength(body));
    expect(sealed.includes(Buffer.from('canary-7f3a'))).toBe(false);
  });

  it('draws a fresh nonce for every body, across refills of the nonce pool', () => {
    const bodies = Array.from({ length: 2500 }, (_, i) => ({ messageId: `n-${i}`, body: 'same body' }));
    const sealed = encryption.seal(ctx, queue, bodies)!.ciphertexts;
    expect(new Set(sealed.map((b) => b.subarray(0, 12).toString('hex'))).size).toBe(2500);
    expect(new Set(sealed.map((b) => b.subarray(28).toString('hex'))).size).toBe(2500);
  });

  it('opens a body read back from storage (a new buffer) with an AES pass that authenticates it', () => {
    const { envelope, sealed } = sealOne('m-2', 'héllo wörld');
    const fromDisk = Buffer.from(sealed);
    expect(encryption.open(ctx, queue, envelope, 'm-2', fromDisk)).toBe('héllo wörld');
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1] ^= 1;
    expect(() => encryption.open(ctx, queue, envelope, 'm-2', tampered)).toThrow();
    // The message id is bound as additional data: a body cannot be moved to another message.
    expect(() => encryption.open(ctx, queue, envelope, 'm-other', Buffer.from(sealed))).toThrow();
  });

  it('answers a body still held in memory (the very buffer it sealed) without an AES pass', () => {
    const { envelope, sealed } = sealOne('m-3', 'kept in memory');
    // Flip a ciphertext bit in place: only a skipped AES pass can still return the body.
    sealed[sealed.length - 1] ^= 1;
    expect(encryption.open(ctx, queue, envelope, 'm-3', sealed)).toBe('kept in memory');
    // Held for one receive only: the next one (a redelivery) is decrypted, and here refused.
    expect(() => encryption.open(ctx, queue, envelope, 'm-3', sealed)).toThrow();
  });

  it('holds a bounded amount of plaintext: the oldest bodies go first', () => {
    const first = sealOne('m-old', 'o'.repeat(1024));
    // 4 Mi characters later, the first body is no longer held and is decrypted from its buffer.
    for (let i = 0; i < 5; i++) encryption.seal(ctx, queue, [{ messageId: `m-big-${i}`, body: 'b'.repeat(1024 * 1024) }]);
    first.sealed[first.sealed.length - 1] ^= 1;
    expect(() => encryption.open(ctx, queue, first.envelope, 'm-old', first.sealed)).toThrow();
  });

  it('caches a decryption data key per stored envelope and requester, for the reuse period', () => {
    const lookups: boolean[] = [];
    const clock = new ManualClock(1_700_000_000_000);
    const counted = new MessageEncryption(identity.kms, clock, 'us-east-1', {
      message: () => undefined,
      dataKey: (cache, hit) => cache === 'decrypt' && lookups.push(hit),
    });
    const as = (requesterId: string) => ({ ...ctx, principal: { ...ctx.principal!, requesterId } }) as RequestContext;
    const result = counted.seal(ctx, queue, [{ messageId: 'm-k', body: 'keyed' }])!;
    const read = (requester: string) => counted.open(as(requester), queue, result.envelopeText, 'm-k', Buffer.from(result.ciphertexts[0]));
    expect([read('alice'), read('alice'), read('bob'), read('bob')]).toEqual(['keyed', 'keyed', 'keyed', 'keyed']);
    expect(lookups).toEqual([false, true, false, true]);
    // An equal envelope held in another string is the same cache entry.
    expect(counted.open(as('alice'), queue, `${result.envelopeText} `.trimEnd(), 'm-k', Buffer.from(result.ciphertexts[0]))).toBe('keyed');
    expect(lookups.at(-1)).toBe(true);
    clock.advance(300_000);
    read('alice');
    expect(lookups.at(-1)).toBe(false);
  });

  it('sweeps expired decryption keys once it holds 10,000, keeping the live ones', () => {
    const clock = new ManualClock(1_700_000_000_000);
    const swept = new MessageEncryption(identity.kms, clock, 'us-east-1');
    const as = (requesterId: string) => ({ ...ctx, principal: { ...ctx.principal!, requesterId } }) as RequestContext;
    const result = swept.seal(ctx, queue, [{ messageId: 'm-s', body: 's' }])!;
    const read = (requester: string) => swept.open(as(requester), queue, result.envelopeText, 'm-s', Buffer.from(result.ciphertexts[0]));
    for (let i = 0; i < 9_999; i++) read(`old-${i}`);
    clock.advance(200_000);
    read('recent');
    expect(swept.cacheSizes().decrypt).toBe(10_000);
    // The old entries expire; the next new entry sweeps them out, the recent one stays.
    clock.advance(150_000);
    read('newcomer');
    expect(swept.cacheSizes().decrypt).toBe(2);
    expect(swept.cacheSizes().encrypt).toBe(1);
  });
});
