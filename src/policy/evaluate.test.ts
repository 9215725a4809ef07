/** AWS evaluation rules for identity, resource, session and boundary policies, and their traces. */
import { describe, expect, it } from 'vitest';
import { evaluate, type PolicySet } from './evaluate.js';
import {
  ACCOUNT,
  alice,
  allowAll,
  anonymous,
  bob,
  doc,
  identityPolicy,
  OTHER,
  QUEUE,
  requestBy,
  resourcePolicy,
  rootOf,
  serviceNamed,
  sessionOf,
  type Doc,
} from './test-support.js';
import type { Decision, RequestContext } from './types.js';

const send = { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: QUEUE };
const grant = (principal: unknown, extra: Doc = {}): Doc => ({ Effect: 'Allow', Principal: principal, Action: 'sqs:*', Resource: QUEUE, ...extra });
const id = (...statements: Doc[]) => identityPolicy('user-policy', doc(...statements));
const queuePolicy = (...statements: Doc[]) => resourcePolicy('queue-policy', doc(...statements));
const session = (...statements: Doc[]) => identityPolicy('session-policy', doc(...statements));
const boundary = (...statements: Doc[]) => identityPolicy('boundary', doc(...statements));

const worker = sessionOf(ACCOUNT, 'worker', 'job-7');
const roleArn = `arn:aws:iam::${ACCOUNT}:role/worker`;
const remoteWorker = sessionOf(OTHER, 'worker', 'job-9');
const sns = serviceNamed('sns.amazonaws.com');
const topicArn = `arn:aws:sns:us-east-1:${ACCOUNT}:orders`;

type Row = [string, RequestContext, PolicySet, Decision['decision'], Decision['reason']];

const rows: Row[] = [
  // Explicit deny wins
  ['an identity Deny beats an identity Allow', requestBy(alice), { identityPolicies: [id(send, { ...send, Effect: 'Deny' })] }, 'ExplicitDeny', 'explicit-deny'],
  ['a resource Deny beats an identity Allow', requestBy(alice), { identityPolicies: [id(send)], resourcePolicy: queuePolicy({ ...grant('*'), Effect: 'Deny' }) }, 'ExplicitDeny', 'explicit-deny'],
  ['an identity Deny beats a resource Allow naming the user', requestBy(alice), { identityPolicies: [id({ ...send, Effect: 'Deny' })], resourcePolicy: queuePolicy(grant({ AWS: alice.arn })) }, 'ExplicitDeny', 'explicit-deny'],
  ['a resource Deny naming the account denies its users', requestBy(alice), { identityPolicies: [id(send)], resourcePolicy: queuePolicy({ ...grant({ AWS: ACCOUNT }), Effect: 'Deny' }) }, 'ExplicitDeny', 'explicit-deny'],
  ['a resource Deny applies to the root user', requestBy(rootOf(ACCOUNT)), { identityPolicies: [], resourcePolicy: queuePolicy({ ...grant('*'), Effect: 'Deny' }) }, 'ExplicitDeny', 'explicit-deny'],
  ['a session policy Deny beats the role\'s Allow', requestBy(worker), { identityPolicies: [id(send)], sessionPolicies: [session(allowAll(), { ...send, Effect: 'Deny' })] }, 'ExplicitDeny', 'explicit-deny'],
  ['a boundary Deny beats an Allow', requestBy(alice), { identityPolicies: [id(send)], permissionsBoundary: boundary(allowAll(), { ...send, Effect: 'Deny' }) }, 'ExplicitDeny', 'explicit-deny'],
  ['a Deny whose condition fails does not apply', requestBy(alice, { conditionKeys: { 'aws:SecureTransport': 'true' } }), { identityPolicies: [id(send, { ...send, Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })] }, 'Allow', 'identity-allow'],
  // AWS surprise: negated operators are true when the key is missing, so this denies every direct call.
  ['Deny StringNotEquals aws:SourceAccount denies direct calls', requestBy(alice), { identityPolicies: [id(send)], resourcePolicy: queuePolicy({ ...grant('*'), Effect: 'Deny', Condition: { StringNotEquals: { 'aws:SourceAccount': ACCOUNT } } }) }, 'ExplicitDeny', 'explicit-deny'],
  ['Deny NotPrincipal denies everyone else', requestBy(alice), { identityPolicies: [id(send)], resourcePolicy: queuePolicy({ Effect: 'Deny', NotPrincipal: { AWS: [bob.arn, OTHER] }, Action: 'sqs:*', Resource: QUEUE }) }, 'ExplicitDeny', 'explicit-deny'],
  ['Deny NotPrincipal spares the listed user and account', requestBy(alice), { identityPolicies: [id(send)], resourcePolicy: queuePolicy({ Effect: 'Deny', NotPrincipal: { AWS: [alice.arn, ACCOUNT] }, Action: 'sqs:*', Resource: QUEUE }) }, 'Allow', 'identity-allow'],

  // Same account: either side suffices
  ['nothing allows: implicit deny', requestBy(alice), { identityPolicies: [] }, 'ImplicitDeny', 'no-allow'],
  ['an identity Allow alone suffices', requestBy(alice), { identityPolicies: [id(send)] }, 'Allow', 'identity-allow'],
  ['an identity Allow for another action does not', requestBy(alice, { action: 'sqs:DeleteQueue' }), { identityPolicies: [id(send)] }, 'ImplicitDeny', 'no-allow'],
  ['an identity Allow for another queue does not', requestBy(alice, { resource: `${QUEUE}-dlq` }), { identityPolicies: [id(send)] }, 'ImplicitDeny', 'no-allow'],
  ['a resource Allow naming the user alone suffices', requestBy(alice), { identityPolicies: [], resourcePolicy: queuePolicy(grant({ AWS: alice.arn })) }, 'Allow', 'resource-allow'],
  ['a resource Allow to "*" alone suffices', requestBy(alice), { identityPolicies: [], resourcePolicy: queuePolicy(grant('*')) }, 'Allow', 'resource-allow'],
  ['a resource Allow naming another user does not', requestBy(alice), { identityPolicies: [], resourcePolicy: queuePolicy(grant({ AWS: `arn:aws:iam::${ACCOUNT}:user/carol` })) }, 'ImplicitDeny', 'no-allow'],
  // AWS: naming the account delegates to the account's identity policies.
  ['a resource Allow naming only the account needs an identity Allow', requestBy(alice), { identityPolicies: [], resourcePolicy: queuePolicy(grant({ AWS: ACCOUNT })) }, 'ImplicitDeny', 'account-grant-needs-identity-allow'],
  ['an account grant plus an identity Allow', requestBy(alice), { identityPolicies: [id(send)], resourcePolicy: queuePolicy(grant({ AWS: ACCOUNT })) }, 'Allow', 'identity-and-resource-allow'],
  ['the root user needs no policy in its own account', requestBy(rootOf(ACCOUNT)), { identityPolicies: [] }, 'Allow', 'root-user'],
  ['a resource Allow whose condition fails does not', requestBy(alice), { identityPolicies: [], resourcePolicy: queuePolicy(grant('*', { Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } })) }, 'ImplicitDeny', 'no-allow'],

  // Across accounts: both sides must allow
  ['cross-account, identity Allow only', requestBy(bob), { identityPolicies: [id(send)] }, 'ImplicitDeny', 'cross-account-needs-resource-allow'],
  ['cross-account, resource Allow naming the user only', requestBy(bob), { identityPolicies: [], resourcePolicy: queuePolicy(grant({ AWS: bob.arn })) }, 'ImplicitDeny', 'cross-account-needs-identity-allow'],
  ['cross-account, resource Allow naming the account only', requestBy(bob), { identityPolicies: [], resourcePolicy: queuePolicy(grant({ AWS: OTHER })) }, 'ImplicitDeny', 'cross-account-needs-identity-allow'],
  ['cross-account, resource Allow to "*" only', requestBy(bob), { identityPolicies: [], resourcePolicy: queuePolicy(grant('*')) }, 'ImplicitDeny', 'cross-account-needs-identity-allow'],
  ['cross-account, both allow (account grant)', requestBy(bob), { identityPolicies: [id(send)], resourcePolicy: queuePolicy(grant({ AWS: OTHER })) }, 'Allow', 'identity-and-resource-allow'],
  ['cross-account, both allow (user grant)', requestBy(bob), { identityPolicies: [id(send)], resourcePolicy: queuePolicy(grant({ AWS: bob.arn })) }, 'Allow', 'identity-and-resource-allow'],
  ['cross-account, the resource policy names a third account', requestBy(bob), { identityPolicies: [id(send)], resourcePolicy: queuePolicy(grant({ AWS: '777788889999' })) }, 'ImplicitDeny', 'cross-account-needs-resource-allow'],
  ['cross-account root user with the account granted', requestBy(rootOf(OTHER)), { identityPolicies: [], resourcePolicy: queuePolicy(grant({ AWS: OTHER })) }, 'Allow', 'identity-and-resource-allow'],
  ['cross-account root user without a grant', requestBy(rootOf(OTHER)), { identityPolicies: [] }, 'ImplicitDeny', 'cross-account-needs-resource-allow'],
  ['cross-account role session, role granted, role allows', requestBy(remoteWorker), { identityPolicies: [id(send)], resourcePolicy: queuePolicy(grant({ AWS: `arn:aws:iam::${OTHER}:role/worker` })) }, 'Allow', 'identity-and-resource-allow'],
  ['cross-account role session limited by its session policy', requestBy(remoteWorker), { identityPolicies: [id(send)], sessionPolicies: [session({ ...send, Action: 'sqs:ReceiveMessage' })], resourcePolicy: queuePolicy(grant({ AWS: OTHER })) }, 'ImplicitDeny', 'session-policy-implicit-deny'],

  // Session policies intersect
  ['role allows and session policy allows', requestBy(worker), { identityPolicies: [id(send)], sessionPolicies: [session(allowAll())] }, 'Allow', 'identity-allow'],
  ['role allows, session policy does not', requestBy(worker), { identityPolicies: [id(send)], sessionPolicies: [session({ ...send, Action: 'sqs:ReceiveMessage' })] }, 'ImplicitDeny', 'session-policy-implicit-deny'],
  ['session policy allows, role does not', requestBy(worker), { identityPolicies: [], sessionPolicies: [session(allowAll())] }, 'ImplicitDeny', 'no-allow'],
  ['any of several session policies may allow', requestBy(worker), { identityPolicies: [id(send)], sessionPolicies: [session({ ...send, Action: 'sqs:ReceiveMessage' }), identityPolicy('managed-session', doc(send))] }, 'Allow', 'identity-allow'],
  ['a grant naming the session is not limited by the session policy', requestBy(worker), { identityPolicies: [], sessionPolicies: [session({ ...send, Action: 'sqs:ReceiveMessage' })], resourcePolicy: queuePolicy(grant({ AWS: worker.arn })) }, 'Allow', 'resource-allow'],
  ['a grant naming the role is limited by the session policy', requestBy(worker), { identityPolicies: [], sessionPolicies: [session({ ...send, Action: 'sqs:ReceiveMessage' })], resourcePolicy: queuePolicy(grant({ AWS: roleArn })) }, 'ImplicitDeny', 'session-policy-implicit-deny'],
  ['a grant naming the role, allowed by the session policy', requestBy(worker), { identityPolicies: [], sessionPolicies: [session(allowAll())], resourcePolicy: queuePolicy(grant({ AWS: roleArn })) }, 'Allow', 'resource-allow'],
  ['a grant naming the role, no session policy', requestBy(worker), { identityPolicies: [], resourcePolicy: queuePolicy(grant({ AWS: roleArn })) }, 'Allow', 'resource-allow'],
  ['a grant to "*" is not limited by the session policy', requestBy(worker), { identityPolicies: [], sessionPolicies: [session({ ...send, Action: 'sqs:ReceiveMessage' })], resourcePolicy: queuePolicy(grant('*')) }, 'Allow', 'resource-allow'],
  ['an account grant for a session needs the role and session policy', requestBy(worker), { identityPolicies: [id(send)], sessionPolicies: [session({ ...send, Action: 'sqs:ReceiveMessage' })], resourcePolicy: queuePolicy(grant({ AWS: ACCOUNT })) }, 'ImplicitDeny', 'session-policy-implicit-deny'],

  // Permissions boundaries
  ['identity allows, boundary does not', requestBy(alice), { identityPolicies: [id(send)], permissionsBoundary: boundary({ ...send, Action: 'sqs:ReceiveMessage' }) }, 'ImplicitDeny', 'boundary-implicit-deny'],
  ['identity and boundary allow', requestBy(alice), { identityPolicies: [id(send)], permissionsBoundary: boundary(allowAll()) }, 'Allow', 'identity-allow'],
  ['a grant naming the user is not limited by the boundary', requestBy(alice), { identityPolicies: [], permissionsBoundary: boundary({ ...send, Action: 'sqs:ReceiveMessage' }), resourcePolicy: queuePolicy(grant({ AWS: alice.arn })) }, 'Allow', 'resource-allow'],
  ['a grant naming the role is limited by the boundary', requestBy(worker), { identityPolicies: [], permissionsBoundary: boundary({ ...send, Action: 'sqs:ReceiveMessage' }), resourcePolicy: queuePolicy(grant({ AWS: roleArn })) }, 'ImplicitDeny', 'boundary-implicit-deny'],

  // Service principals and anonymous callers: the resource policy alone
  ['a service allowed by the queue policy', requestBy(sns, { conditionKeys: { 'aws:SourceArn': topicArn } }), { identityPolicies: [], resourcePolicy: queuePolicy(grant({ Service: 'sns.amazonaws.com' }, { Condition: { ArnEquals: { 'aws:SourceArn': topicArn } } })) }, 'Allow', 'resource-allow'],
  ['a service from another topic', requestBy(sns, { conditionKeys: { 'aws:SourceArn': `${topicArn}-2` } }), { identityPolicies: [], resourcePolicy: queuePolicy(grant({ Service: 'sns.amazonaws.com' }, { Condition: { ArnEquals: { 'aws:SourceArn': topicArn } } })) }, 'ImplicitDeny', 'no-allow'],
  ['a service is not helped by identity policies', requestBy(sns), { identityPolicies: [id(allowAll())] }, 'ImplicitDeny', 'no-allow'],
  ['a service allowed by an old-style "*" grant with aws:SourceArn', requestBy(sns, { conditionKeys: { 'aws:SourceArn': topicArn } }), { identityPolicies: [], resourcePolicy: queuePolicy(grant({ AWS: '*' }, { Condition: { ArnEquals: { 'aws:SourceArn': topicArn } } })) }, 'Allow', 'resource-allow'],
  ['a "*" grant conditioned on aws:SourceArn does not let users in directly', requestBy(alice), { identityPolicies: [], resourcePolicy: queuePolicy(grant('*', { Condition: { ArnEquals: { 'aws:SourceArn': topicArn } } })) }, 'ImplicitDeny', 'no-allow'],
  ['anonymous allowed by a public grant', requestBy(anonymous), { identityPolicies: [], resourcePolicy: queuePolicy(grant('*')) }, 'Allow', 'resource-allow'],
  ['anonymous without a public grant', requestBy(anonymous), { identityPolicies: [], resourcePolicy: queuePolicy(grant({ AWS: ACCOUNT })) }, 'ImplicitDeny', 'no-allow'],
];

describe('evaluate', () => {
  it.each(rows)('%s', (_name, request, policies, decision, reason) => {
    const result = evaluate(request, policies);
    expect({ decision: result.decision, reason: result.reason }).toEqual({ decision, reason });
  });
});

describe('evaluate traces', () => {
  it('lists every matching Deny on an explicit deny', () => {
    const result = evaluate(requestBy(alice), {
      identityPolicies: [id({ ...send, Effect: 'Deny', Sid: 'NoSend' })],
      resourcePolicy: queuePolicy({ ...grant({ AWS: ACCOUNT }), Effect: 'Deny', Sid: 'NoOne' }),
    });
    expect(result.matched).toEqual([
      { policy: 'user-policy', kind: 'identity', index: 0, sid: 'NoSend', effect: 'Deny' },
      { policy: 'queue-policy', kind: 'resource', index: 0, sid: 'NoOne', effect: 'Deny', principalMatch: 'account' },
    ]);
  });

  it('marks an account-level grant as such', () => {
    const result = evaluate(requestBy(alice), { identityPolicies: [id(send)], resourcePolicy: queuePolicy(grant({ AWS: ACCOUNT })) });
    expect(result.matched.map((m) => [m.kind, m.principalMatch])).toEqual([
      ['identity', undefined],
      ['resource', 'account'],
    ]);
  });

  it('includes the session policy statements that allowed', () => {
    const result = evaluate(requestBy(worker), { identityPolicies: [id(send)], sessionPolicies: [session(allowAll())] });
    expect(result.matched.map((m) => m.kind)).toEqual(['identity', 'session']);
  });

  it('records statements whose conditions failed', () => {
    const result = evaluate(requestBy(sns), {
      identityPolicies: [],
      resourcePolicy: queuePolicy(grant({ Service: 'sns.amazonaws.com' }, { Sid: 'FromTopic', Condition: { ArnEquals: { 'aws:SourceArn': topicArn } } })),
    });
    expect(result.conditionMisses).toEqual([
      {
        statement: { policy: 'queue-policy', kind: 'resource', index: 0, sid: 'FromTopic', effect: 'Allow', principalMatch: 'exact' },
        operator: 'ArnEquals',
        key: 'aws:SourceArn',
      },
    ]);
  });

  it('summarises the request and the policies checked', () => {
    const result = evaluate(requestBy(bob), { identityPolicies: [id(send)], resourcePolicy: queuePolicy(grant({ AWS: OTHER })) });
    expect(result.request).toEqual({ principal: bob.arn, action: 'sqs:SendMessage', resource: QUEUE, crossAccount: true });
    expect(result.checked).toEqual([
      { kind: 'identity', name: 'user-policy' },
      { kind: 'resource', name: 'queue-policy' },
    ]);
  });

  it('takes the resource account from resourceAccountId when the ARN has none', () => {
    const bucket = { ...requestBy(bob, { action: 's3:GetObject', resource: 'arn:aws:s3:::b/k', resourceAccountId: ACCOUNT }) };
    const result = evaluate(bucket, { identityPolicies: [id({ Effect: 'Allow', Action: 's3:*', Resource: '*' })] });
    expect(result.reason).toBe('cross-account-needs-resource-allow');
  });

  it('evaluates policy variables in identity policy resources', () => {
    const own = id({ Effect: 'Allow', Action: 'sqs:*', Resource: `arn:aws:sqs:*:${ACCOUNT}:\${aws:username}-*` });
    expect(evaluate(requestBy(alice, { resource: `arn:aws:sqs:us-east-1:${ACCOUNT}:alice-jobs` }), { identityPolicies: [own] }).decision).toBe('Allow');
    expect(evaluate(requestBy(alice, { resource: `arn:aws:sqs:us-east-1:${ACCOUNT}:bob-jobs` }), { identityPolicies: [own] }).decision).toBe('ImplicitDeny');
  });
});
