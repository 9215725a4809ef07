import { describe, expect, it } from 'vitest';
import { AwsError } from '../../shared/aws-error.js';
import { decodeReceiptHandle, encodeReceiptHandle } from './receipt-handle.js';

describe('receipt handles', () => {
  it('round-trips queue, message, token and receive time', () => {
    const handle = { queueId: 7, seq: 123456789, token: 2 ** 47 + 5, receivedAt: Date.UTC(2026, 10, 29) };
    expect(decodeReceiptHandle(encodeReceiptHandle(handle))).toEqual(handle);
  });

  it.each(['', 'garbage', 'x'.repeat(34), encodeReceiptHandle({ queueId: 1, seq: 1, token: 1, receivedAt: 1 }) + 'A'])(
    'rejects %j as ReceiptHandleIsInvalid',
    (text) => {
      try {
        decodeReceiptHandle(text);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(AwsError);
        expect((error as AwsError).spec.queryCode).toBe('ReceiptHandleIsInvalid');
        expect((error as AwsError).spec.status).toBe(404);
      }
    },
  );
});
