/** SigV4 signing keys, derived once per secret, day, region and service and kept in a small LRU. */
import { createHmac } from 'node:crypto';

const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

export function deriveSigningKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, date), region), service), 'aws4_request');
}

export function hmacHex(key: Buffer, data: string): string {
  return createHmac('sha256', key).update(data, 'utf8').digest('hex');
}

/**
 * Every request an SDK sends on a given day is signed with the same derived key, so four HMACs per
 * request are saved by remembering it. Bounded, since region and service come from the caller.
 */
export class SigningKeyCache {
  private readonly keys = new Map<string, Buffer>();

  constructor(readonly capacity = 256) {}

  private last: { secretAccessKey: string; date: string; region: string; service: string; key: Buffer } | undefined;

  get(secretAccessKey: string, date: string, region: string, service: string): Buffer {
    // Consecutive requests mostly come from one caller: answer those without the LRU bookkeeping.
    const last = this.last;
    if (last && last.date === date && last.region === region && last.service === service && last.secretAccessKey === secretAccessKey) {
      return last.key;
    }
    const key = this.lookup(secretAccessKey, date, region, service);
    this.last = { secretAccessKey, date, region, service, key };
    return key;
  }

  private lookup(secretAccessKey: string, date: string, region: string, service: string): Buffer {
    // The secret goes last: the scope parts cannot contain '/', so the id is unambiguous.
    const id = `${date}/${region}/${service}/${secretAccessKey}`;
    const cached = this.keys.get(id);
    if (cached) {
      this.keys.delete(id);
      this.keys.set(id, cached);
      return cached;
    }
    const key = deriveSigningKey(secretAccessKey, date, region, service);
    this.keys.set(id, key);
    if (this.keys.size > this.capacity) {
      const oldest = this.keys.keys().next();
      if (!oldest.done) this.keys.delete(oldest.value);
    }
    return key;
  }

  get size(): number {
    return this.keys.size;
  }
}

export const defaultSigningKeys = new SigningKeyCache();
