/** Human-readable explanations of allows and denials. */
import { describe, expect, it } from 'vitest';
import { evaluate } from './evaluate.js';
import { explain } from './explain.js';
import { evaluateKeyPolicy } from './key-policy.js';
import { ACCOUNT, alice, bob, doc, identityPolicy, OTHER, QUEUE, requestBy, resourcePolicy, serviceNamed, sessionOf } from './test-support.js';

const send = { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: QUEUE };
const userPolicy = identityPolicy('AliceSends', doc({ ...send, Sid: 'Send' }));

describe('explain', () => {
  it('explains a denial when nothing allows', () => {
    const lines = explain(evaluate(requestBy(alice), { identityPolicies: [identityPolicy('ReadOnly', doc({ ...send, Action: 'sqs:ReceiveMessage' }))], resourcePolicy: resourcePolicy('orders-policy', doc({ ...send, Principal: { AWS: bob.arn } })) }));
    expect(lines).toEqual([
      `Denied: no statement allows sqs:SendMessage on ${QUEUE} for ${alice.arn}.`,
      'No identity or resource policy statement allows it.',
      'Identity policies checked: "ReadOnly"; resource policy: "orders-policy".',
    ]);
  });

  it('names the statements behind an allow', () => {
    const lines = explain(evaluate(requestBy(alice), { identityPolicies: [userPolicy] }));
    expect(lines[0]).toBe(`Allowed: ${alice.arn} may perform sqs:SendMessage on ${QUEUE}.`);
    expect(lines[1]).toBe('  Allowed by identity policy "AliceSends" statement 0 (Sid "Send").');
    expect(lines).toContain('Identity policies checked: "AliceSends"; resource policy: none.');
  });

  it('names the Deny statements behind an explicit deny', () => {
    const queue = resourcePolicy('orders-policy', doc({ ...send, Effect: 'Deny', Sid: 'NoSends', Principal: { AWS: ACCOUNT } }));
    const lines = explain(evaluate(requestBy(alice), { identityPolicies: [userPolicy], resourcePolicy: queue }));
    expect(lines[0]).toBe(`Denied explicitly: ${alice.arn} may not perform sqs:SendMessage on ${QUEUE}.`);
    expect(lines[1]).toBe('  Denied by resource policy "orders-policy" statement 0 (Sid "NoSends") (names the account: the identity policies must allow too).');
    expect(lines[2]).toBe('An explicit Deny overrides every Allow.');
  });

  it('says when an account-level grant lacks an identity allow', () => {
    const queue = resourcePolicy('orders-policy', doc({ ...send, Principal: { AWS: ACCOUNT } }));
    const lines = explain(evaluate(requestBy(alice), { identityPolicies: [], resourcePolicy: queue }));
    expect(lines).toContain("The resource policy names only the caller's account, which delegates to the account's identity policies; none of them allows it.");
    expect(lines).toContain('Identity policies checked: none; resource policy: "orders-policy".');
  });

  it('explains a one-sided cross-account request', () => {
    const lines = explain(evaluate(requestBy(bob), { identityPolicies: [identityPolicy('BobSends', doc(send))] }));
    expect(lines[0]).toBe(`Denied: ${bob.arn} may not perform sqs:SendMessage on ${QUEUE}.`);
    expect(lines[1]).toBe('Cross-account request: the resource policy must allow the caller (or its account) and does not.');
    expect(lines).toHaveLength(3);
  });

  it('notes the cross-account rule on a cross-account allow', () => {
    const queue = resourcePolicy('orders-policy', doc({ ...send, Principal: { AWS: OTHER } }));
    const lines = explain(evaluate(requestBy(bob), { identityPolicies: [identityPolicy('BobSends', doc(send))], resourcePolicy: queue }));
    expect(lines).toContain("This is a cross-account request: the resource policy and the caller's own policies must both allow it.");
  });

  it('explains a session policy that scopes a role down', () => {
    const worker = sessionOf(ACCOUNT, 'worker', 'job-7');
    const lines = explain(evaluate(requestBy(worker), { identityPolicies: [userPolicy], sessionPolicies: [identityPolicy('session', doc({ ...send, Action: 'sqs:ReceiveMessage' }))] }));
    expect(lines).toContain("The role's policies allow it, but the session policy does not.");
    expect(lines).toContain('Identity policies checked: "AliceSends"; session policy: "session"; resource policy: none.');
  });

  it('lists statements whose conditions were not met', () => {
    const topic = `arn:aws:sns:us-east-1:${OTHER}:orders`;
    const queue = resourcePolicy('orders-policy', doc({ ...send, Sid: 'FromTopic', Principal: { Service: 'sns.amazonaws.com' }, Condition: { ArnEquals: { 'aws:SourceArn': topic } } }));
    const lines = explain(evaluate(requestBy(serviceNamed('sns.amazonaws.com')), { identityPolicies: [], resourcePolicy: queue }));
    expect(lines[0]).toBe(`Denied: no statement allows sqs:SendMessage on ${QUEUE} for sns.amazonaws.com.`);
    expect(lines.at(-1)).toBe('  resource policy "orders-policy" statement 0 (Sid "FromTopic") would apply, but its condition ArnEquals aws:SourceArn was not met.');
  });

  it('explains a key policy that does not delegate to IAM', () => {
    const key = `arn:aws:kms:us-east-1:${ACCOUNT}:key/k1`;
    const keyPolicy = resourcePolicy('default', doc({ Effect: 'Allow', Principal: { AWS: bob.arn }, Action: 'kms:*', Resource: '*' }));
    const iam = identityPolicy('KmsUser', doc({ Effect: 'Allow', Action: 'kms:*', Resource: '*' }));
    const lines = explain(evaluateKeyPolicy(requestBy(alice, { action: 'kms:Decrypt', resource: key }), { keyPolicy, identityPolicies: [iam] }));
    expect(lines).toContain('IAM policies are ineffective for this key: its key policy does not allow the account (arn:aws:iam::<account>:root).');
    expect(lines).toContain('Key policy: "default"; identity policies checked: "KmsUser".');
  });
});
