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
