import { describe, expect, it } from 'vitest';
import { costReport, predictedRequests, predictedTotal, summarize, usageSeries } from './metering.js';
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

describe('usage over time (the console chart)', () => {
  it('counts calls per bucket by key, queue and principal, from the first call when no start is given', () => {
    const records = [
      call({ time: 1000 }),
      call({ time: 1500, principal: 'arn:aws:iam::000000000000:user/p', operation: 'GenerateDataKey' }),
      call({ time: 10_999, keyArn: 'arn:aws:kms:us-east-1:000000000000:key/other', encryptionContext: undefined }),
    ];
    const { bucketMs, buckets } = usageSeries(records, { from: 0, to: 11_000 }, 10);
    expect(bucketMs).toBe(1000);
    expect(buckets).toHaveLength(10);
    expect(buckets[0]).toEqual({
      start: 1000,
      total: 2,
      byKey: { 'arn:aws:kms:us-east-1:000000000000:key/k': 2 },
      byQueue: { 'arn:aws:sqs:us-east-1:000000000000:q': 2 },
      byPrincipal: { 'arn:aws:iam::000000000000:user/c': 1, 'arn:aws:iam::000000000000:user/p': 1 },
    });
    expect(buckets[9]).toMatchObject({ start: 10_000, total: 1, byKey: { 'arn:aws:kms:us-east-1:000000000000:key/other': 1 }, byQueue: {} });
    expect(buckets.slice(1, 9).every((b) => b.total === 0)).toBe(true);
  });

  it('starts at `from` when given and leaves out calls outside the period', () => {
    const { buckets } = usageSeries([call({ time: 500 }), call({ time: 2500 })], { from: 2000, to: 4000 }, 2);
    expect(buckets.map((b) => [b.start, b.total])).toEqual([
      [2000, 1],
      [3000, 0],
    ]);
    expect(usageSeries([], { from: 0, to: 5000 }, 3).buckets.every((b) => b.total === 0)).toBe(true);
  });
});
