import { sqsErrors } from './errors.js';

/**
 * Receipt handles are opaque to clients. Inside: a version byte, the queue's storage id, the
 * message's sequence, the token minted by the receive that produced the handle, and its time. A later
 * receive mints a new token, which is how an older handle is recognised as stale.
 */
export interface ReceiptHandle {
  queueId: number;
  seq: number;
  token: number;
  /** When the receive happened (epoch ms): the 12-hour visibility limit counts from here. */
  receivedAt: number;
}

const VERSION = 1;
const LENGTH = 25;
const TEXT_LENGTH = Math.ceil((LENGTH * 4) / 3);

export function encodeReceiptHandle(handle: ReceiptHandle): string {
  const bytes = Buffer.allocUnsafe(LENGTH);
  bytes.writeUInt8(VERSION, 0);
  bytes.writeUIntBE(handle.queueId, 1, 6);
  bytes.writeUIntBE(handle.seq, 7, 6);
  bytes.writeUIntBE(handle.token, 13, 6);
  bytes.writeUIntBE(handle.receivedAt, 19, 6);
  return bytes.toString('base64url');
}

/** Throws ReceiptHandleIsInvalid for anything that is not a handle this server minted. */
export function decodeReceiptHandle(text: string): ReceiptHandle {
  if (typeof text !== 'string' || text.length !== TEXT_LENGTH || !/^[A-Za-z0-9_-]+$/.test(text)) {
    throw sqsErrors.receiptHandleIsInvalid(String(text));
  }
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.length !== LENGTH || bytes.readUInt8(0) !== VERSION) throw sqsErrors.receiptHandleIsInvalid(text);
  return {
    queueId: bytes.readUIntBE(1, 6),
    seq: bytes.readUIntBE(7, 6),
    token: bytes.readUIntBE(13, 6),
    receivedAt: bytes.readUIntBE(19, 6),
  };
}
