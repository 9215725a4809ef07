/** Action and Resource element matching. */
import { describe, expect, it } from 'vitest';
import { contextLookup } from './context.js';
import { actionMatches, resourceMatches, statementActionMatches, statementResourceMatches } from './match.js';
import { parsePolicyObject } from './parse.js';
import { ACCOUNT, alice, QUEUE, requestBy } from './test-support.js';

const actionRows: [string, string, boolean][] = [
  ['*', 'sqs:SendMessage', true],
  ['sqs:*', 'sqs:SendMessage', true],
  ['sqs:SendMessage', 'sqs:SendMessage', true],
  ['SQS:SendMessage', 'sqs:SendMessage', true],
  ['sqs:sendmessage', 'sqs:SendMessage', true],
  ['sqs:Send*', 'sqs:SendMessageBatch', true],
  ['sqs:*Message', 'sqs:ReceiveMessage', true],
  ['sqs:*Message', 'sqs:SendMessageBatch', false],
  ['sqs:Get?ueueUrl', 'sqs:GetQueueUrl', true],
  ['sqs:SendMessage', 'sqs:SendMessageBatch', false],
  ['sns:*', 'sqs:SendMessage', false],
  ['sq*:SendMessage', 'sqs:SendMessage', true],
  ['kms:GenerateDataKey*', 'kms:GenerateDataKeyWithoutPlaintext', true],
  ['kms:GenerateDataKey*', 'kms:Decrypt', false],
];

describe('action matching', () => {
  it.each(actionRows)('%s vs %s → %s', (pattern, action, expected) => {
    expect(actionMatches([pattern], action)).toBe(expected);
  });

  it('NotAction matches every other action', () => {
    const doc = parsePolicyObject({ Version: '2012-10-17', Statement: { Effect: 'Deny', NotAction: 'sqs:Receive*', Resource: '*' } }, { kind: 'identity' });
    expect(statementActionMatches(doc.statements[0], 'sqs:SendMessage')).toBe(true);
    expect(statementActionMatches(doc.statements[0], 'sqs:ReceiveMessage')).toBe(false);
  });
});

const resourceRows: [string, string, boolean][] = [
  ['*', QUEUE, true],
  ['*', '*', true],
  [QUEUE, QUEUE, true],
  [`arn:aws:sqs:us-east-1:${ACCOUNT}:*`, QUEUE, true],
  [`arn:aws:sqs:*:${ACCOUNT}:orders`, QUEUE, true],
  ['arn:aws:sqs:*:*:*', QUEUE, true],
  ['arn:aws:sqs:*:*:ord?rs', QUEUE, true],
  ['arn:aws:sqs:*:*:Orders', QUEUE, false],
  [`arn:aws:sqs:us-east-1:${ACCOUNT}:orders-dlq`, QUEUE, false],
  [`arn:aws:sqs:us-west-2:${ACCOUNT}:orders`, QUEUE, false],
  ['arn:aws:sqs:us-east-1:444455556666:orders', QUEUE, false],
  ['arn:aws:sns:*:*:*', QUEUE, false],
  // AWS: wildcards stay within their ARN part.
  ['arn:aws:sqs:*:orders', QUEUE, false],
  ['arn:aws:*', QUEUE, false],
  [`arn:aws:sqs:us-east-1:${ACCOUNT}:*`, '*', false],
  ['arn:aws:s3:::bucket/*', 'arn:aws:s3:::bucket/a/b:c', true],
  ['arn:aws:kms:*:*:key/*', `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd`, true],
  ['arn:aws:kms:*:*:alias/*', `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd`, false],
];

describe('resource matching', () => {
  const lookup = contextLookup(requestBy(alice));
  it.each(resourceRows)('%s vs %s → %s', (pattern, resource, expected) => {
    expect(resourceMatches(pattern, resource, lookup, true)).toBe(expected);
  });

  it('NotResource matches every other resource; no Resource (resource policies) matches the resource', () => {
    const doc = parsePolicyObject(
      {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Deny', Principal: '*', Action: 'sqs:*', NotResource: 'arn:aws:sqs:*:*:public-*' },
          { Effect: 'Allow', Principal: '*', Action: 'sqs:*' },
        ],
      },
      { kind: 'resource' },
    );
    expect(statementResourceMatches(doc.statements[0], QUEUE, lookup, true)).toBe(true);
    expect(statementResourceMatches(doc.statements[0], 'arn:aws:sqs:us-east-1:1:public-x', lookup, true)).toBe(false);
    expect(statementResourceMatches(doc.statements[1], QUEUE, lookup, true)).toBe(true);
  });
});
