import { createHash, hash } from 'node:crypto';

/** A message attribute as SQS carries it. Binary values are raw bytes here. */
export interface MessageAttributeValue {
  dataType: string;
  stringValue?: string;
  binaryValue?: Buffer;
}

export const md5Hex = (data: string | Buffer): string => hash('md5', data, 'hex');

/**
 * MD5OfMessageAttributes / MD5OfMessageSystemAttributes as SQS computes them: attributes sorted by
 * name; for each, 4-byte big-endian length + UTF-8 name, length + data type (custom suffix
 * included), one transport byte (1 for String and Number, 2 for Binary), length + value bytes.
 */
export function md5OfAttributes(attributes: Record<string, MessageAttributeValue>): string {
  const hash = createHash('md5');
  const names = Object.keys(attributes).sort();
  for (const name of names) {
    const attr = attributes[name];
    updateWithLength(hash, Buffer.from(name, 'utf8'));
    updateWithLength(hash, Buffer.from(attr.dataType, 'utf8'));
    if (attr.binaryValue !== undefined && attr.dataType.startsWith('Binary')) {
      hash.update(Uint8Array.of(2));
      updateWithLength(hash, attr.binaryValue);
    } else {
      hash.update(Uint8Array.of(1));
      updateWithLength(hash, Buffer.from(attr.stringValue ?? '', 'utf8'));
    }
  }
  return hash.digest('hex');
}

function updateWithLength(hash: ReturnType<typeof createHash>, bytes: Buffer): void {
  const length = Buffer.allocUnsafe(4);
  length.writeUInt32BE(bytes.length, 0);
  hash.update(length);
  hash.update(bytes);
}
