import { describe, expect, it } from 'vitest';
import { costReport, predictedRequests, predictedTotal, summarize } from './metering.js';
import type { KmsCallRecord } from './kms-service.js';

describe('the seed cost formula R = B / D × (2P + C)', () => {
  it('reproduces Example 1: January, D = 5 minutes, 1 producer and 1 consumer → 26,784', () => {
    expect(predictedRequests({ billingPeriodSeconds: 2_678_400, reusePeriodSeconds: 300, producers: 1, consumers: 1 })).toBe(26_784);
  });

  it('reproduces Example 2: February, D = 24 hours, two queues (3P+1C, 5P+2C) → 532', () => {
    expect(
      predictedTotal([
        { billingPeriodSeconds: 2_419_200, reusePeriodSeconds: 86_400, producers: 3, consumers: 1 },
        { billingPeriodSeconds: 2_419_200, reusePeriodSeconds: 86_400, producers: 5, consumers: 2 },
      ]),
    ).toBe(532);
  });
});

const call = (over: Partial<KmsCallRecord>): KmsCallRecord => ({
  time: 1000,
  operation: 'Decrypt',
  principal: 'arn:aws:iam::000000000000:user/c',
  keyArn: 'arn:aws:kms:us-east-1:000000000000:key/k',
  invokedBy: 'sqs.amazonaws.com',
  encryptionContext: { 'aws:sqs:arn': 'arn:aws:sqs:us-east-1:000000000000:q' },
  ...over,
});

describe('usage summaries and the cost report', () => {
  it('counts calls by operation, key, queue, principal and error', () => {
    const s = summarize([call({}), call({ operation: 'GenerateDataKey', principal: 'p' }), call({ errorCode: 'AccessDeniedException' })]);
    expect(s.total).toBe(3);
    expect(s.byOperation).toEqual({ Decrypt: 2, GenerateDataKey: 1 });
    expect(s.byQueue).toEqual({ 'arn:aws:sqs:us-east-1:000000000000:q': 3 });
    expect(s.errors).toEqual({ AccessDeniedException: 1 });
  });

  it('treats data-key requesters as producers and decrypt-only principals as consumers', () => {
    const records = [
      call({ operation: 'GenerateDataKey', principal: 'producer' }),
      call({ operation: 'Decrypt', principal: 'producer' }),
      call({ operation: 'Decrypt', principal: 'consumer' }),
      call({ operation: 'Decrypt', principal: 'consumer', time: 5_000_000 }),
    ];
    const [row] = costReport(records, { from: 0, to: 300_000 }, () => 300);
    expect(row).toMatchObject({ metered: 3, producers: 1, consumers: 1, predicted: 3, reusePeriodSeconds: 300 });
  });
});
