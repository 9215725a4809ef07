/** ARN operators: segment-aware wildcards (unlike StringLike) and negation on missing keys. */
import { describe, expect, it } from 'vitest';
import { holds, type Doc } from './test-support.js';
import type { ContextValue } from './types.js';

type Row = [string, Doc, Record<string, ContextValue>, boolean];

const k = 'aws:SourceArn';
const topic = 'arn:aws:sns:us-east-1:111122223333:orders';

const rows: Row[] = [
  ['ArnEquals: identical', { ArnEquals: { [k]: topic } }, { [k]: topic }, true],
  ['ArnEquals: takes wildcards like ArnLike', { ArnEquals: { [k]: 'arn:aws:sns:*:111122223333:*' } }, { [k]: topic }, true],
  ['ArnLike: wildcard in region and resource', { ArnLike: { [k]: 'arn:aws:sns:*:111122223333:ord*' } }, { [k]: topic }, true],
  ['ArnLike: ? in a part', { ArnLike: { [k]: 'arn:aws:sns:us-east-?:111122223333:orders' } }, { [k]: topic }, true],
  ['ArnLike: wrong account', { ArnLike: { [k]: 'arn:aws:sns:*:444455556666:*' } }, { [k]: topic }, false],
  ['ArnLike: * does not cross ":" (too few parts)', { ArnLike: { [k]: 'arn:aws:sns:*' } }, { [k]: topic }, false],
  ['StringLike: the same pattern does cross ":"', { StringLike: { [k]: 'arn:aws:sns:*' } }, { [k]: topic }, true],
  ['ArnLike: * in region cannot swallow the account', { ArnLike: { [k]: 'arn:aws:sns:*:orders' } }, { [k]: topic }, false],
  ['StringLike: the same pattern swallows it', { StringLike: { [k]: 'arn:aws:sns:*:orders' } }, { [k]: topic }, true],
  ['ArnLike: the resource part may contain ":"', { ArnLike: { [k]: 'arn:aws:logs:*:1:log-group:app:*' } }, { [k]: 'arn:aws:logs:us-east-1:1:log-group:app:log-stream:x' }, true],
  ['ArnLike: S3 ARNs have empty region and account', { ArnLike: { [k]: 'arn:aws:s3:::my-bucket' } }, { [k]: 'arn:aws:s3:::my-bucket' }, true],
  ['ArnLike: S3 wildcard bucket', { ArnLike: { [k]: 'arn:aws:s3:::my-*' } }, { [k]: 'arn:aws:s3:::my-bucket' }, true],
  ['ArnLike: case-sensitive resource part', { ArnLike: { [k]: 'arn:aws:sns:*:111122223333:Orders' } }, { [k]: topic }, false],
  ['ArnLike: request value that is not an ARN', { ArnLike: { [k]: 'arn:aws:sns:*:*:*' } }, { [k]: 'orders' }, false],
  ['ArnLike: values are ORed', { ArnLike: { [k]: ['arn:aws:sns:*:1:x', topic] } }, { [k]: topic }, true],
  ['ArnLike: missing key is false', { ArnLike: { [k]: topic } }, {}, false],
  ['ArnLikeIfExists: missing key is true', { ArnLikeIfExists: { [k]: topic } }, {}, true],
  ['ArnNotEquals: different', { ArnNotEquals: { [k]: 'arn:aws:sns:us-east-1:111122223333:other' } }, { [k]: topic }, true],
  ['ArnNotEquals: same', { ArnNotEquals: { [k]: topic } }, { [k]: topic }, false],
  ['ArnNotLike: matching pattern', { ArnNotLike: { [k]: 'arn:aws:sns:*:111122223333:*' } }, { [k]: topic }, false],
  ['ArnNotLike: non-matching pattern', { ArnNotLike: { [k]: 'arn:aws:sqs:*:*:*' } }, { [k]: topic }, true],
  ['ArnNotLike: missing key is true (direct calls carry no aws:SourceArn)', { ArnNotLike: { [k]: topic } }, {}, true],
  ['ArnNotEquals: missing key is true', { ArnNotEquals: { [k]: topic } }, {}, true],
  ['ArnNotLikeIfExists: missing key is true', { ArnNotLikeIfExists: { [k]: topic } }, {}, true],
  ['ArnLike: aws:PrincipalArn of a role session is the role', { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::111122223333:role/*' } }, { 'aws:PrincipalArn': 'arn:aws:iam::111122223333:role/worker' }, true],
];

describe('ARN condition operators', () => {
  it.each(rows)('%s', (_name, condition, keys, expected) => {
    expect(holds(condition, keys)).toBe(expected);
  });
});
