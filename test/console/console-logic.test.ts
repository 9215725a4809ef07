/** The console's pure pieces: context parsing and highlighting in the simulator, encryption labels, cost scaling. */
import { describe, expect, it } from 'vitest';
import { isDeciding, parseContext } from '../../console/src/views/simulator.js';
import { formatAge, sseOf } from '../../console/src/views/queues.js';
import { monthlyCost } from '../../console/src/views/usage.js';
import { validatePolicy } from '../../console/src/views/keys.js';
import { parseAttributeLine } from '../../console/src/views/queue.js';

describe('console helpers', () => {
  it('reads context keys as key=value lines, a repeated key with several values', () => {
    expect(parseContext('aws:SourceIp=10.0.0.1\n\n kms:ViaService = sqs.us-east-1.amazonaws.com \naws:SourceIp=10.0.0.2')).toEqual({
      'aws:SourceIp': ['10.0.0.1', '10.0.0.2'],
      'kms:ViaService': ['sqs.us-east-1.amazonaws.com'],
    });
    expect(parseContext('a=b=c')).toEqual({ a: ['b=c'] });
    expect(() => parseContext('no equals sign')).toThrow(/key=value/);
  });

  it('highlights the decision and the statements that decided it', () => {
    expect(isDeciding('Denied explicitly: arn:aws:iam::000000000000:user/u may not perform sqs:DeleteQueue on arn:aws:sqs:us-east-1:000000000000:q.')).toBe(true);
    expect(isDeciding('Deny from identity policy "inline" statement 2 (Sid "NoDeletes")')).toBe(true);
    expect(isDeciding('Identity policies checked: "inline"; resource policy: none.')).toBe(false);
  });

  it('names the encryption of a queue', () => {
    expect(sseOf({ KmsMasterKeyId: 'alias/orders', SqsManagedSseEnabled: 'false' })).toBe('SSE-KMS alias/orders');
    expect(sseOf({ SqsManagedSseEnabled: 'true' })).toBe('SSE-SQS');
    expect(sseOf({ SqsManagedSseEnabled: 'false' })).toBe('none');
  });

  it('shows ages at a glance', () => {
    expect([0, 59_999, 119_999, 120_000, 7_199_999, 7_200_000, 172_800_000, -5].map(formatAge)).toEqual(['0 s', '59 s', '119 s', '2 min', '119 min', '2 h', '2 d', '0 s']);
  });

  it('scales calls over a period to a 30-day month at a price per 10,000 requests', () => {
    const day = 86_400_000;
    expect(monthlyCost(10_000, 30 * day, 0.03)).toBeCloseTo(0.03);
    expect(monthlyCost(26_784, 31 * day, 0.03)).toBeCloseTo((26_784 * 30) / 31 / 10_000 * 0.03);
    expect(monthlyCost(100, 3_600_000, 0.03)).toBeCloseTo(100 * 720 / 10_000 * 0.03);
    expect(monthlyCost(5, 0, 0.03)).toBe(0);
  });

  it('checks a key policy’s JSON and basic grammar before saving', () => {
    const good = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::000000000000:root' }, Action: 'kms:*', Resource: '*' }] };
    expect(validatePolicy(JSON.stringify(good))).toEqual([]);
    expect(validatePolicy('{"Version":')[0]).toMatch(/^Not valid JSON/);
    expect(validatePolicy('[]')).toEqual(['The policy must be a JSON object.']);
    expect(validatePolicy(JSON.stringify({ Version: '2012-10-17', Statement: [] }))).toEqual(['Statement must be a non-empty array of statements.']);
    expect(validatePolicy(JSON.stringify({ Statement: [{ Effect: 'allow', Action: 3, Resource: '*' }] }))).toEqual([
      'Version must be "2012-10-17" (or "2008-10-17").',
      'Statement 1: Effect must be "Allow" or "Deny".',
      'Statement 1: a key policy statement needs a Principal.',
      'Statement 1: Action must be a string or an array of strings.',
    ]);
  });

  it('reads typed message attribute lines for the send form', () => {
    expect(parseAttributeLine('colour=blue')).toEqual({ name: 'colour', value: { DataType: 'String', StringValue: 'blue' } });
    expect(parseAttributeLine('weight:Number=42')).toEqual({ name: 'weight', value: { DataType: 'Number', StringValue: '42' } });
    expect(parseAttributeLine('price:Number.float=1.5')).toEqual({ name: 'price', value: { DataType: 'Number.float', StringValue: '1.5' } });
    expect(parseAttributeLine('raw:Binary=AAEC')).toEqual({ name: 'raw', value: { DataType: 'Binary', BinaryValue: 'AAEC' } });
    expect(parseAttributeLine('no equals sign')).toMatch(/take name=value/);
    expect(parseAttributeLine('x:Date=today')).toMatch(/must be String, Number or Binary/);
  });
});

