import { randomBytes, randomUUID } from 'node:crypto';

/** Message ids and request ids look like AWS's: RFC 4122 UUIDs. */
export const newUuid = (): string => randomUUID();

let pool = randomBytes(0);
let offset = 0;

/**
 * A random 48-bit integer from a cryptographic source, drawn from a pooled buffer because
 * receipt tokens are minted on the hot path (one per received message).
 */
export function randomToken48(): number {
  if (offset + 6 > pool.length) {
    pool = randomBytes(6 * 1024);
    offset = 0;
  }
  const value = pool.readUIntBE(offset, 6);
  offset += 6;
  return value;
}

let ivPool = randomBytes(0);
let ivOffset = 0;

/**
 * Writes a fresh 96-bit AES-GCM nonce (one per sealed message) from a pooled cryptographic buffer
 * into the first 12 bytes of `target`, and returns that view. A pool is replaced when used up,
 * never refilled, so no nonce is handed out twice.
 */
export function fillIv(target: Buffer): Buffer {
  if (ivOffset + 12 > ivPool.length) {
    ivPool = randomBytes(12 * 1024);
    ivOffset = 0;
  }
  ivPool.copy(target, 0, ivOffset, ivOffset + 12);
  ivOffset += 12;
  return target.subarray(0, 12);
}
