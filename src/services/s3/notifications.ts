/**
 * S3 event notifications to SQS queues: the configuration (validated as S3 validates it), which
 * configurations an event matches, and the messages S3 sends (event structure 2.1, s3:TestEvent).
 */
import { randomBytes } from 'node:crypto';
import { parseArn } from '../../shared/arn.js';
import { s3Errors } from './errors.js';

export interface FilterRule {
  name: 'Prefix' | 'Suffix';
  value: string;
}

export interface QueueConfiguration {
  id: string;
  queueArn: string;
  /** e.g. `s3:ObjectCreated:*`, `s3:ObjectRemoved:Delete`. */
  events: string[];
  filterRules: FilterRule[];
}

/** The event types a queue configuration may name; sealq emits Put, Copy, CompleteMultipartUpload and Delete. */
export const SUPPORTED_EVENTS: ReadonlySet<string> = new Set([
  's3:ObjectCreated:*',
  's3:ObjectCreated:Put',
  's3:ObjectCreated:Post',
  's3:ObjectCreated:Copy',
  's3:ObjectCreated:CompleteMultipartUpload',
  's3:ObjectRemoved:*',
  's3:ObjectRemoved:Delete',
  's3:ObjectRemoved:DeleteMarkerCreated',
]);

/** The configuration as the wire decoded it, before validation. */
export interface QueueConfigurationInput {
  id?: string;
  queueArn?: string;
  events: string[];
  filterRules: Array<{ name?: string; value?: string }>;
}

/** Checks a configuration the way S3 does before it tries the destinations. */
export function validateConfigurations(inputs: QueueConfigurationInput[]): QueueConfiguration[] {
  const out: QueueConfiguration[] = [];
  for (const input of inputs) {
    const arn = input.queueArn ? parseArn(input.queueArn) : undefined;
    if (!input.queueArn || !arn || arn.service !== 'sqs') {
      throw s3Errors.invalidArgument('The ARN is not well formed', [
        ['ArgumentName', 'Queue'],
        ['ArgumentValue', input.queueArn ?? ''],
      ]);
    }
    if (input.events.length === 0) throw s3Errors.malformedXml();
    for (const event of input.events) {
      if (!SUPPORTED_EVENTS.has(event)) {
        throw s3Errors.invalidArgument('The event is not supported for notifications', [
          ['ArgumentName', 'Event'],
          ['ArgumentValue', event],
        ]);
      }
    }
    const rules: FilterRule[] = [];
    for (const rule of input.filterRules) {
      const name = rule.name?.toLowerCase();
      if (name !== 'prefix' && name !== 'suffix') {
        throw s3Errors.invalidArgument('filter rule name must be either prefix or suffix', [
          ['ArgumentName', 'FilterRule.Name'],
          ['ArgumentValue', rule.name ?? ''],
        ]);
      }
      const canonical = name === 'prefix' ? 'Prefix' : 'Suffix';
      if (rules.some((r) => r.name === canonical)) {
        throw s3Errors.invalidArgument(`Cannot specify more than one ${name} rule in a filter.`, [
          ['ArgumentName', 'FilterRule.Name'],
          ['ArgumentValue', rule.name ?? ''],
        ]);
      }
      rules.push({ name: canonical, value: rule.value ?? '' });
    }
    // AWS: a configuration without an Id gets a generated one.
    out.push({ id: input.id || randomBytes(24).toString('base64'), queueArn: input.queueArn, events: [...new Set(input.events)], filterRules: rules });
  }
  for (let i = 0; i < out.length; i++) {
    for (let j = i + 1; j < out.length; j++) {
      if (overlap(out[i], out[j])) {
        throw s3Errors.invalidArgument(
          'Configuration is ambiguously defined. Cannot have overlapping suffixes in two rules if the prefixes are overlapping for the same event type.',
          [
            ['ArgumentName', 'Event'],
            ['ArgumentValue', out[j].events[0]],
          ],
        );
      }
    }
  }
  return out;
}

const rule = (c: QueueConfiguration, name: FilterRule['name']): string => c.filterRules.find((r) => r.name === name)?.value ?? '';

function eventsOverlap(a: string, b: string): boolean {
  const family = (e: string) => e.slice(0, e.lastIndexOf(':'));
  return a === b || (family(a) === family(b) && (a.endsWith(':*') || b.endsWith(':*')));
}

/** AWS: two configurations may not both match one key for one event type. */
function overlap(a: QueueConfiguration, b: QueueConfiguration): boolean {
  if (!a.events.some((x) => b.events.some((y) => eventsOverlap(x, y)))) return false;
  const [pa, pb, sa, sb] = [rule(a, 'Prefix'), rule(b, 'Prefix'), rule(a, 'Suffix'), rule(b, 'Suffix')];
  return (pa.startsWith(pb) || pb.startsWith(pa)) && (sa.endsWith(sb) || sb.endsWith(sa));
}

/** Whether `eventName` (e.g. `ObjectCreated:Put`) on `key` is one `c` asks for. */
export function matches(c: QueueConfiguration, eventName: string, key: string): boolean {
  const family = eventName.slice(0, eventName.indexOf(':'));
  if (!c.events.some((e) => e === `s3:${eventName}` || e === `s3:${family}:*`)) return false;
  return key.startsWith(rule(c, 'Prefix')) && key.endsWith(rule(c, 'Suffix'));
}

/**
 * AWS: keys in event records are URL-encoded as HTML forms encode them (space as `+`), with `/`
 * left as is.
 */
export function encodeEventKey(key: string): string {
  return Array.from(Buffer.from(key, 'utf8'))
    .map((b) => {
      const c = String.fromCharCode(b);
      if (/[A-Za-z0-9.*_\-/]/.test(c)) return c;
      if (c === ' ') return '+';
      return `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}

export interface ObjectEvent {
  eventName: string;
  region: string;
  /** Epoch ms. */
  time: number;
  /** Who made the request, as S3 names them (`AWS:<user id>`). */
  principalId: string;
  sourceIp: string;
  requestId: string;
  hostId: string;
  bucket: string;
  ownerPrincipalId: string;
  key: string;
  size?: number;
  eTag?: string;
  sequencer: string;
}

/** One notification: the S3 event message structure, version 2.1. */
export function eventMessage(e: ObjectEvent, configurationId: string): string {
  const object: Record<string, unknown> = { key: encodeEventKey(e.key) };
  if (e.size !== undefined) object.size = e.size;
  if (e.eTag !== undefined) object.eTag = e.eTag;
  object.sequencer = e.sequencer;
  return JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: e.region,
        eventTime: new Date(e.time).toISOString(),
        eventName: e.eventName,
        userIdentity: { principalId: e.principalId },
        requestParameters: { sourceIPAddress: e.sourceIp },
        responseElements: { 'x-amz-request-id': e.requestId, 'x-amz-id-2': e.hostId },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId,
          bucket: { name: e.bucket, ownerIdentity: { principalId: e.ownerPrincipalId }, arn: `arn:aws:s3:::${e.bucket}` },
          object,
        },
      },
    ],
  });
}

/** What S3 sends each destination when a configuration is set, to validate it. */
export function testEventMessage(bucket: string, time: number, requestId: string, hostId: string): string {
  return JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Time: new Date(time).toISOString(), Bucket: bucket, RequestId: requestId, HostId: hostId });
}
