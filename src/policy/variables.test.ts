/** Policy variables, defaults and escapes in conditions and in Resource. */
import { describe, expect, it } from 'vitest';
import { contextLookup } from './context.js';
import { resourceMatches } from './match.js';
import { ACCOUNT, alice, holds, requestBy, rootOf, serviceNamed, sessionOf, type Doc } from './test-support.js';
import type { ContextValue, RequestPrincipal } from './types.js';

type Row = [string, Doc, Record<string, ContextValue>, boolean, RequestPrincipal?];

const worker = sessionOf(ACCOUNT, 'worker', 'job-7');

const rows: Row[] = [
  ['${aws:username} is the user name', { StringEquals: { 'sqs:tag': '${aws:username}' } }, { 'sqs:tag': 'alice' }, true],
  ['${aws:username} inside a pattern', { StringLike: { 'sqs:tag': 'home/${aws:username}/*' } }, { 'sqs:tag': 'home/alice/x' }, true],
  ['${aws:username} of another user does not match', { StringLike: { 'sqs:tag': 'home/${aws:username}/*' } }, { 'sqs:tag': 'home/bob/x' }, false],
  ['variable names are case-insensitive', { StringEquals: { 'sqs:tag': '${AWS:UserName}' } }, { 'sqs:tag': 'alice' }, true],
  ['${aws:PrincipalAccount}', { StringEquals: { 'aws:ResourceAccount': '${aws:PrincipalAccount}' } }, { 'aws:ResourceAccount': ACCOUNT }, true],
  ['${aws:userid} of a role session', { StringLike: { 'sqs:tag': '${aws:userid}' } }, { 'sqs:tag': 'AROAWORKERXXXXXXXXXXX:job-7' }, true, worker],
  ['${aws:PrincipalArn} of a role session is the role', { ArnEquals: { 'sqs:arn': '${aws:PrincipalArn}' } }, { 'sqs:arn': `arn:aws:iam::${ACCOUNT}:role/worker` }, true, worker],
  ['${aws:userid} of the root user is the account', { StringEquals: { 'sqs:tag': '${aws:userid}' } }, { 'sqs:tag': ACCOUNT }, true, rootOf(ACCOUNT)],
  ['a request key as a variable', { StringEquals: { 'aws:SourceAccount': '${aws:ResourceAccount}' } }, { 'aws:SourceAccount': '1', 'aws:ResourceAccount': '1' }, true],
  ['a missing variable matches nothing', { StringEquals: { 'sqs:tag': '${aws:username}' } }, { 'sqs:tag': '' }, false, worker],
  ['a missing variable: the other values still count', { StringEquals: { 'sqs:tag': ['${aws:username}', 'x'] } }, { 'sqs:tag': 'x' }, true, worker],
  ['a missing variable under a negated operator is true', { StringNotEquals: { 'sqs:tag': '${aws:username}' } }, { 'sqs:tag': 'x' }, true, worker],
  ['a multi-valued key cannot be a variable', { StringEquals: { 'sqs:tag': '${sqs:many}' } }, { 'sqs:tag': 'a', 'sqs:many': ['a', 'b'] }, false],
  ['a default applies when the key is missing', { StringEquals: { 'sqs:tag': "${aws:username, 'anonymous'}" } }, { 'sqs:tag': 'anonymous' }, true, worker],
  ['a default is ignored when the key is present', { StringEquals: { 'sqs:tag': "${aws:username, 'anonymous'}" } }, { 'sqs:tag': 'alice' }, true],
  ["a default may contain '' for a quote", { StringEquals: { 'sqs:tag': "${sqs:none, 'it''s'}" } }, { 'sqs:tag': "it's" }, true],
  ['${*} is a literal asterisk', { StringLike: { 'sqs:tag': 'a${*}b' } }, { 'sqs:tag': 'a*b' }, true],
  ['${*} is not a wildcard', { StringLike: { 'sqs:tag': 'a${*}b' } }, { 'sqs:tag': 'axxb' }, false],
  ['${?} is a literal question mark', { StringLike: { 'sqs:tag': 'why${?}' } }, { 'sqs:tag': 'why?' }, true],
  ['${?} is not a wildcard', { StringLike: { 'sqs:tag': 'why${?}' } }, { 'sqs:tag': 'whyx' }, false],
  ['${$} is a literal dollar', { StringEquals: { 'sqs:tag': '${$}{aws:username}' } }, { 'sqs:tag': '${aws:username}' }, true],
  ['substituted text is literal in StringLike', { StringLike: { 'sqs:tag': '${sqs:p}' } }, { 'sqs:tag': 'xyz', 'sqs:p': 'x*' }, false],
  ['an unterminated ${ is literal text', { StringEquals: { 'sqs:tag': '${aws:username' } }, { 'sqs:tag': '${aws:username' }, true],
  ['variables work in Arn operators', { ArnLike: { 'aws:SourceArn': 'arn:aws:sns:*:${aws:PrincipalAccount}:*' } }, { 'aws:SourceArn': `arn:aws:sns:us-east-1:${ACCOUNT}:t` }, true],
];

describe('policy variables', () => {
  it.each(rows)('%s', (_name, condition, keys, expected, principal) => {
    expect(holds(condition, keys, { principal: principal ?? alice })).toBe(expected);
  });

  it('are literal text under Version 2008-10-17', () => {
    const condition = { StringEquals: { 'sqs:tag': '${aws:username}' } };
    expect(holds(condition, { 'sqs:tag': 'alice' }, { version: '2008-10-17' })).toBe(false);
    expect(holds(condition, { 'sqs:tag': '${aws:username}' }, { version: '2008-10-17' })).toBe(true);
  });

  it('give service principals aws:PrincipalServiceName and no account', () => {
    const sns = serviceNamed('sns.amazonaws.com');
    expect(holds({ StringEquals: { 'aws:PrincipalServiceName': 'sns.amazonaws.com' } }, {}, { principal: sns })).toBe(true);
    expect(holds({ Null: { 'aws:PrincipalAccount': 'true' } }, {}, { principal: sns })).toBe(true);
  });
});

describe('policy variables in Resource', () => {
  const lookup = contextLookup(requestBy(alice));
  const matches = (pattern: string, resource: string, variables = true): boolean =>
    resourceMatches(pattern, resource, lookup, variables);

  it('substitute in the resource part', () => {
    expect(matches('arn:aws:sqs:us-east-1:*:${aws:username}-queue', `arn:aws:sqs:us-east-1:${ACCOUNT}:alice-queue`)).toBe(true);
    expect(matches('arn:aws:sqs:us-east-1:*:${aws:username}-queue', `arn:aws:sqs:us-east-1:${ACCOUNT}:bob-queue`)).toBe(false);
  });

  it('are not substituted before the fifth colon (AWS: only the resource part)', () => {
    expect(matches('arn:aws:sqs:us-east-1:${aws:PrincipalAccount}:q', `arn:aws:sqs:us-east-1:${ACCOUNT}:q`)).toBe(false);
  });

  it('are literal when the policy version has no variables', () => {
    expect(matches('arn:aws:sqs:us-east-1:*:${aws:username}', `arn:aws:sqs:us-east-1:${ACCOUNT}:alice`, false)).toBe(false);
  });
});
