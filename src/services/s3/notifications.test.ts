import { describe, expect, it } from 'vitest';
import { encodeEventKey, eventMessage, matches, validateConfigurations } from './notifications.js';

const QUEUE = 'arn:aws:sqs:us-east-1:000000000000:q';

describe('S3 notification configurations', () => {
  it('match events by exact type or family wildcard, and keys by prefix and suffix', () => {
    const [c] = validateConfigurations([
      { id: 'c', queueArn: QUEUE, events: ['s3:ObjectCreated:*', 's3:ObjectRemoved:Delete'], filterRules: [{ name: 'prefix', value: 'in/' }, { name: 'Suffix', value: '.csv' }] },
    ]);
    expect(c.filterRules).toEqual([{ name: 'Prefix', value: 'in/' }, { name: 'Suffix', value: '.csv' }]);
    expect(matches(c, 'ObjectCreated:Put', 'in/a.csv')).toBe(true);
    expect(matches(c, 'ObjectCreated:Copy', 'in/a.csv')).toBe(true);
    expect(matches(c, 'ObjectRemoved:Delete', 'in/a.csv')).toBe(true);
    expect(matches(c, 'ObjectRemoved:DeleteMarkerCreated', 'in/a.csv')).toBe(false);
    expect(matches(c, 'ObjectCreated:Put', 'out/a.csv')).toBe(false);
    expect(matches(c, 'ObjectCreated:Put', 'in/a.txt')).toBe(false);
  });

  it('refuse unknown events, bad rule names, repeated rules, non-SQS ARNs and overlaps; generate missing ids', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        return (error as Error).message;
      }
      return 'no error';
    };
    expect(code(() => validateConfigurations([{ queueArn: QUEUE, events: ['s3:ObjectRestore:*'], filterRules: [] }]))).toBe('The event is not supported for notifications');
    expect(code(() => validateConfigurations([{ queueArn: QUEUE, events: ['s3:ObjectCreated:*'], filterRules: [{ name: 'infix', value: 'x' }] }]))).toBe(
      'filter rule name must be either prefix or suffix',
    );
    expect(
      code(() => validateConfigurations([{ queueArn: QUEUE, events: ['s3:ObjectCreated:*'], filterRules: [{ name: 'prefix', value: 'a' }, { name: 'prefix', value: 'b' }] }])),
    ).toBe('Cannot specify more than one prefix rule in a filter.');
    expect(code(() => validateConfigurations([{ queueArn: 'arn:aws:sns:us-east-1:000000000000:t', events: ['s3:ObjectCreated:*'], filterRules: [] }]))).toBe('The ARN is not well formed');
    expect(
      code(() =>
        validateConfigurations([
          { queueArn: QUEUE, events: ['s3:ObjectCreated:*'], filterRules: [{ name: 'suffix', value: '.png' }] },
          { queueArn: QUEUE, events: ['s3:ObjectCreated:Put'], filterRules: [{ name: 'suffix', value: 'a.png' }] },
        ]),
      ),
    ).toMatch(/^Configuration is ambiguously defined/);
    // Disjoint prefixes, or different event families, do not overlap.
    expect(
      validateConfigurations([
        { queueArn: QUEUE, events: ['s3:ObjectCreated:*'], filterRules: [{ name: 'prefix', value: 'a/' }] },
        { queueArn: QUEUE, events: ['s3:ObjectCreated:*'], filterRules: [{ name: 'prefix', value: 'b/' }] },
        { queueArn: QUEUE, events: ['s3:ObjectRemoved:*'], filterRules: [] },
      ]).every((c) => c.id.length > 0),
    ).toBe(true);
  });

  it('event keys are form-encoded with slashes kept; the record has the 2.1 shape', () => {
    expect(encodeEventKey('my folder/file (1)+ü.jpg')).toBe('my+folder/file+%281%29%2B%C3%BC.jpg');
    const message = JSON.parse(
      eventMessage(
        {
          eventName: 'ObjectRemoved:Delete', region: 'us-east-1', time: 0, principalId: 'AWS:x', sourceIp: '10.0.0.1', requestId: 'r', hostId: 'h',
          bucket: 'b', ownerPrincipalId: '000000000000', key: 'k', sequencer: '01',
        },
        'cfg',
      ),
    ) as { Records: Array<Record<string, unknown>> };
    expect(message.Records[0]).toEqual({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventTime: '1970-01-01T00:00:00.000Z',
      eventName: 'ObjectRemoved:Delete',
      userIdentity: { principalId: 'AWS:x' },
      requestParameters: { sourceIPAddress: '10.0.0.1' },
      responseElements: { 'x-amz-request-id': 'r', 'x-amz-id-2': 'h' },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'cfg',
        bucket: { name: 'b', ownerIdentity: { principalId: '000000000000' }, arn: 'arn:aws:s3:::b' },
        object: { key: 'k', sequencer: '01' },
      },
    });
  });
});
