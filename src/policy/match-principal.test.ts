/** Principal and NotPrincipal matching for every kind of requester. */
import { describe, expect, it } from 'vitest';
import { notPrincipalApplies, principalSetMatch } from './match.js';
import { parsePolicyObject } from './parse.js';
import { ACCOUNT, alice, anonymous, bob, OTHER, rootOf, serviceNamed, sessionOf, userIn } from './test-support.js';
import type { PrincipalMatch, PrincipalSet, RequestPrincipal } from './types.js';

function principalSet(principal: unknown): PrincipalSet {
  const doc = parsePolicyObject(
    { Version: '2012-10-17', Statement: { Effect: 'Allow', Principal: principal, Action: '*', Resource: '*' } },
    { kind: 'resource' },
  );
  return doc.statements[0].principal!;
}

const worker = sessionOf(ACCOUNT, 'worker', 'job-7');
const workerWithPath: RequestPrincipal = { ...worker, roleArn: `arn:aws:iam::${ACCOUNT}:role/service/worker` };
const sns = serviceNamed('sns.amazonaws.com');

type Row = [string, unknown, RequestPrincipal, PrincipalMatch | undefined];

const rows: Row[] = [
  ['"*" matches a user', '*', alice, 'wildcard'],
  ['"*" matches anonymous callers', '*', anonymous, 'wildcard'],
  ['"*" matches service principals', '*', sns, 'wildcard'],
  ['{"AWS":"*"} is the same as "*"', { AWS: '*' }, anonymous, 'wildcard'],
  ['an account id names the account of a user', { AWS: ACCOUNT }, alice, 'account'],
  ['the root ARN names the account too (not only the root user)', { AWS: `arn:aws:iam::${ACCOUNT}:root` }, alice, 'account'],
  ['an account id does not name other accounts', { AWS: ACCOUNT }, bob, undefined],
  ['the account is the root user itself', { AWS: ACCOUNT }, rootOf(ACCOUNT), 'exact'],
  ['the account names role sessions of the account', { AWS: ACCOUNT }, worker, 'account'],
  ['a user ARN names that user', { AWS: alice.arn }, alice, 'exact'],
  ['a user ARN is case-sensitive', { AWS: alice.arn.replace('alice', 'Alice') }, alice, undefined],
  ['a user ARN does not name another user', { AWS: alice.arn }, userIn(ACCOUNT, 'carol'), undefined],
  ['a user unique id names that user', { AWS: alice.userId }, alice, 'exact'],
  ['a role ARN names its sessions', { AWS: `arn:aws:iam::${ACCOUNT}:role/worker` }, worker, 'role'],
  ['a role ARN with a path names its sessions when roleArn is known', { AWS: `arn:aws:iam::${ACCOUNT}:role/service/worker` }, workerWithPath, 'role'],
  ['another role does not', { AWS: `arn:aws:iam::${ACCOUNT}:role/admin` }, worker, undefined],
  ['a role unique id names its sessions', { AWS: 'AROAWORKERXXXXXXXXXXX' }, worker, 'role'],
  ['a session ARN names that session', { AWS: worker.arn }, worker, 'exact'],
  ['a session ARN does not name another session', { AWS: `arn:aws:sts::${ACCOUNT}:assumed-role/worker/job-8` }, worker, undefined],
  ['the strongest match wins', { AWS: [ACCOUNT, `arn:aws:iam::${ACCOUNT}:role/worker`, worker.arn] }, worker, 'exact'],
  ['exact beats "*"', { AWS: ['*', alice.arn] }, alice, 'exact'],
  ['"*" beats the account', { AWS: ['*', ACCOUNT] }, alice, 'wildcard'],
  ['a service principal names the service', { Service: 'sns.amazonaws.com' }, sns, 'exact'],
  ['service names compare case-insensitively', { Service: 'SNS.amazonaws.com' }, sns, 'exact'],
  ['another service does not match', { Service: 's3.amazonaws.com' }, sns, undefined],
  ['a service principal never matches an account', { AWS: ACCOUNT }, sns, undefined],
  ['a user never matches a service', { Service: 'sns.amazonaws.com' }, alice, undefined],
  ['Federated principals never match', { Federated: 'cognito-identity.amazonaws.com' }, alice, undefined],
  ['anonymous matches no account', { AWS: ACCOUNT }, anonymous, undefined],
  ['a cross-account user is named by their account', { AWS: OTHER }, bob, 'account'],
];

describe('Principal matching', () => {
  it.each(rows)('%s', (_name, principal, requester, expected) => {
    expect(principalSetMatch(principalSet(principal), requester)).toBe(expected);
  });
});

type NotRow = [string, unknown, RequestPrincipal, boolean];

const notRows: NotRow[] = [
  ['applies to principals not listed', { AWS: bob.arn }, alice, true],
  ['excludes a user listed with their account', { AWS: [alice.arn, `arn:aws:iam::${ACCOUNT}:root`] }, alice, false],
  // AWS: "you must also specify the account ARN of the not-denied principal".
  ['still applies to a user listed without their account', { AWS: alice.arn }, alice, true],
  ['excludes a session listed with its role and account', { AWS: [worker.arn, `arn:aws:iam::${ACCOUNT}:role/worker`, ACCOUNT] }, worker, false],
  ['still applies to a session whose role is missing', { AWS: [worker.arn, ACCOUNT] }, worker, true],
  ['excludes the root user by the account', { AWS: ACCOUNT }, rootOf(ACCOUNT), false],
  ['applies to anonymous callers', { AWS: ACCOUNT }, anonymous, true],
  ['excludes a listed service', { Service: 'sns.amazonaws.com' }, sns, false],
  ['applies to an unlisted service', { Service: 's3.amazonaws.com' }, sns, true],
  ['"*" excludes everyone', '*', alice, false],
];

describe('NotPrincipal', () => {
  it.each(notRows)('%s', (_name, principal, requester, expected) => {
    expect(notPrincipalApplies(principalSet(principal), requester)).toBe(expected);
  });
});
