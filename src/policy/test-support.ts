/** Named fixtures for the policy tests: principals, requests, policies, and a one-line condition check. */
import { conditionsHold } from './conditions.js';
import { contextLookup } from './context.js';
import { parsePolicyObject } from './parse.js';
import type { ContextValue, NamedPolicy, RequestContext, RequestPrincipal } from './types.js';

export const ACCOUNT = '111122223333';
export const OTHER = '444455556666';
export const QUEUE = `arn:aws:sqs:us-east-1:${ACCOUNT}:orders`;

export const userIn = (account: string, name: string): RequestPrincipal => ({
  type: 'User',
  arn: `arn:aws:iam::${account}:user/${name}`,
  accountId: account,
  userId: `AIDA${name.toUpperCase().padEnd(17, 'X')}`,
});
export const alice = userIn(ACCOUNT, 'alice');
export const bob = userIn(OTHER, 'bob');
export const rootOf = (account: string): RequestPrincipal => ({
  type: 'Account',
  arn: `arn:aws:iam::${account}:root`,
  accountId: account,
});
export const sessionOf = (account: string, role: string, name: string): RequestPrincipal => ({
  type: 'AssumedRole',
  arn: `arn:aws:sts::${account}:assumed-role/${role}/${name}`,
  accountId: account,
  userId: `AROA${role.toUpperCase().padEnd(17, 'X')}:${name}`,
});
export const serviceNamed = (name: string): RequestPrincipal => ({ type: 'Service', arn: '', accountId: '', serviceName: name });
export const anonymous: RequestPrincipal = { type: 'Anonymous', arn: '', accountId: '' };

export function requestBy(
  principal: RequestPrincipal,
  overrides: Partial<Omit<RequestContext, 'principal'>> = {},
): RequestContext {
  return { principal, action: 'sqs:SendMessage', resource: QUEUE, conditionKeys: {}, ...overrides };
}

export type Doc = Record<string, unknown>;

/** A policy document with the given statements (Version 2012-10-17). */
export const doc = (...statements: Doc[]): Doc => ({ Version: '2012-10-17', Statement: statements });

export const identityPolicy = (name: string, d: Doc): NamedPolicy => ({
  name,
  document: parsePolicyObject(d, { kind: 'identity' }),
});
export const resourcePolicy = (name: string, d: Doc): NamedPolicy => ({
  name,
  document: parsePolicyObject(d, { kind: 'resource' }),
});

/** An Allow statement on everything, for identity policies. */
export const allowAll = (extra: Doc = {}): Doc => ({ Effect: 'Allow', Action: '*', Resource: '*', ...extra });

/** Whether a Condition block holds for the given keys (and request overrides). */
export function holds(
  condition: Doc,
  keys: Record<string, ContextValue>,
  options: { version?: string; principal?: RequestPrincipal; time?: Date } = {},
): boolean {
  const policy = parsePolicyObject(
    { Version: options.version ?? '2012-10-17', Statement: [allowAll({ Condition: condition })] },
    { kind: 'identity' },
  );
  const request = requestBy(options.principal ?? alice, { conditionKeys: keys, time: options.time });
  return conditionsHold(policy.statements[0].conditions, contextLookup(request), policy.version === '2012-10-17').ok;
}
