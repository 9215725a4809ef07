/** KMS key policy authority, delegation to the account, IAM denies and grants. */
import { describe, expect, it } from 'vitest';
import { evaluateKeyPolicy, type KeyGrant, type KeyPolicySet } from './key-policy.js';
import {
  ACCOUNT,
  alice,
  bob,
  doc,
  identityPolicy,
  OTHER,
  requestBy,
  resourcePolicy,
  rootOf,
  serviceNamed,
  sessionOf,
  type Doc,
} from './test-support.js';
import type { Decision, RequestContext } from './types.js';

const KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const decrypt = (principal = alice, extra: Partial<RequestContext> = {}): RequestContext =>
  requestBy(principal, { action: 'kms:Decrypt', resource: KEY, ...extra });

const keyPolicy = (...statements: Doc[]) => resourcePolicy('key-policy', doc(...statements));
const keyStatement = (principal: unknown, extra: Doc = {}): Doc => ({ Effect: 'Allow', Principal: principal, Action: 'kms:*', Resource: '*', ...extra });
/** The default key policy: "Enable IAM User Permissions" for the key's account root. */
const defaultKeyPolicy = keyPolicy(keyStatement({ AWS: `arn:aws:iam::${ACCOUNT}:root` }, { Sid: 'Enable IAM User Permissions' }));
const iamAllow = identityPolicy('kms-user', doc({ Effect: 'Allow', Action: 'kms:Decrypt', Resource: KEY }));
const iamAllowAny = identityPolicy('kms-any', doc({ Effect: 'Allow', Action: 'kms:*', Resource: '*' }));
const iamDeny = identityPolicy('kms-deny', doc({ Effect: 'Deny', Action: 'kms:Decrypt', Resource: '*' }));
const sessionPolicy = (action: string) => identityPolicy('session', doc({ Effect: 'Allow', Action: action, Resource: '*' }));

const worker = sessionOf(ACCOUNT, 'worker', 'job-7');
const sqs = serviceNamed('sqs.amazonaws.com');
const sns = serviceNamed('sns.amazonaws.com');
const grant = (g: Partial<KeyGrant>): KeyGrant => ({ grantId: 'grant-1', granteePrincipal: alice.arn, operations: ['Decrypt'], ...g });

type Row = [string, RequestContext, KeyPolicySet, Decision['decision'], Decision['reason']];

const rows: Row[] = [
  // The key policy is authoritative
  ['key policy names the user: no IAM policy needed', decrypt(), { keyPolicy: keyPolicy(keyStatement({ AWS: alice.arn })), identityPolicies: [] }, 'Allow', 'key-policy-allow'],
  ['IAM allows but the key policy does not delegate', decrypt(), { keyPolicy: keyPolicy(keyStatement({ AWS: bob.arn })), identityPolicies: [iamAllow] }, 'ImplicitDeny', 'key-policy-no-delegation'],
  ['IAM allows "kms:*" on "*" but the key policy names someone else', decrypt(), { keyPolicy: keyPolicy(keyStatement({ AWS: `arn:aws:iam::${ACCOUNT}:user/admin` })), identityPolicies: [iamAllowAny] }, 'ImplicitDeny', 'key-policy-no-delegation'],
  ['default key policy delegates: IAM allow suffices', decrypt(), { keyPolicy: defaultKeyPolicy, identityPolicies: [iamAllow] }, 'Allow', 'key-policy-delegated-allow'],
  ['default key policy, no IAM allow', decrypt(), { keyPolicy: defaultKeyPolicy, identityPolicies: [] }, 'ImplicitDeny', 'account-grant-needs-identity-allow'],
  ['delegation by account id', decrypt(), { keyPolicy: keyPolicy(keyStatement({ AWS: ACCOUNT })), identityPolicies: [iamAllow] }, 'Allow', 'key-policy-delegated-allow'],
  ['delegation only for some actions', decrypt(), { keyPolicy: keyPolicy(keyStatement({ AWS: ACCOUNT }, { Action: 'kms:Describe*' })), identityPolicies: [iamAllowAny] }, 'ImplicitDeny', 'key-policy-no-delegation'],
  ['the root user is allowed by the default key policy', decrypt(rootOf(ACCOUNT)), { keyPolicy: defaultKeyPolicy, identityPolicies: [] }, 'Allow', 'key-policy-allow'],
  ['the root user is not allowed when the key policy omits the account', decrypt(rootOf(ACCOUNT)), { keyPolicy: keyPolicy(keyStatement({ AWS: alice.arn })), identityPolicies: [] }, 'ImplicitDeny', 'key-policy-no-delegation'],

  // IAM deny still applies
  ['IAM Deny beats a key policy naming the user', decrypt(), { keyPolicy: keyPolicy(keyStatement({ AWS: alice.arn })), identityPolicies: [iamDeny] }, 'ExplicitDeny', 'explicit-deny'],
  ['IAM Deny beats delegation plus IAM allow', decrypt(), { keyPolicy: defaultKeyPolicy, identityPolicies: [iamAllow, iamDeny] }, 'ExplicitDeny', 'explicit-deny'],
  ['key policy Deny beats everything', decrypt(), { keyPolicy: keyPolicy(keyStatement({ AWS: alice.arn }), { ...keyStatement('*'), Effect: 'Deny' }), identityPolicies: [iamAllow] }, 'ExplicitDeny', 'explicit-deny'],
  ['IAM Deny beats a grant', decrypt(), { keyPolicy: keyPolicy(keyStatement({ AWS: bob.arn })), identityPolicies: [iamDeny], grants: [grant({})] }, 'ExplicitDeny', 'explicit-deny'],

  // Role sessions and session policies
  ['a session with delegation and role policy', decrypt(worker), { keyPolicy: defaultKeyPolicy, identityPolicies: [iamAllow] }, 'Allow', 'key-policy-delegated-allow'],
  ['a session whose session policy does not allow', decrypt(worker), { keyPolicy: defaultKeyPolicy, identityPolicies: [iamAllow], sessionPolicies: [sessionPolicy('kms:Encrypt')] }, 'ImplicitDeny', 'session-policy-implicit-deny'],
  ['key policy names the role: allowed without IAM', decrypt(worker), { keyPolicy: keyPolicy(keyStatement({ AWS: `arn:aws:iam::${ACCOUNT}:role/worker` })), identityPolicies: [] }, 'Allow', 'key-policy-allow'],
  ['key policy names the role: limited by the session policy', decrypt(worker), { keyPolicy: keyPolicy(keyStatement({ AWS: `arn:aws:iam::${ACCOUNT}:role/worker` })), identityPolicies: [], sessionPolicies: [sessionPolicy('kms:Encrypt')] }, 'ImplicitDeny', 'session-policy-implicit-deny'],

  // Conditions in key policies
  ['kms:ViaService and kms:CallerAccount (alias/aws/sqs style)', decrypt(alice, { conditionKeys: { 'kms:ViaService': 'sqs.us-east-1.amazonaws.com', 'kms:CallerAccount': ACCOUNT } }), { keyPolicy: keyPolicy(keyStatement({ AWS: '*' }, { Condition: { StringEquals: { 'kms:ViaService': 'sqs.us-east-1.amazonaws.com', 'kms:CallerAccount': ACCOUNT } } })), identityPolicies: [] }, 'Allow', 'key-policy-allow'],
  ['kms:ViaService missing on a direct call', decrypt(alice, { conditionKeys: { 'kms:CallerAccount': ACCOUNT } }), { keyPolicy: keyPolicy(keyStatement({ AWS: '*' }, { Condition: { StringEquals: { 'kms:ViaService': 'sqs.us-east-1.amazonaws.com', 'kms:CallerAccount': ACCOUNT } } })), identityPolicies: [] }, 'ImplicitDeny', 'key-policy-no-allow'],
  ['encryption context condition keys are case-insensitive by name', decrypt(alice, { conditionKeys: { 'kms:EncryptionContext:aws:sqs:arn': 'arn:aws:sqs:us-east-1:1:q' } }), { keyPolicy: keyPolicy(keyStatement({ AWS: alice.arn }, { Condition: { StringEquals: { 'kms:encryptioncontext:AWS:SQS:ARN': 'arn:aws:sqs:us-east-1:1:q' } } })), identityPolicies: [] }, 'Allow', 'key-policy-allow'],

  // Service principals: only the key policy (IAM delegation cannot help)
  ['a service principal named by the key policy', decrypt(sns), { keyPolicy: keyPolicy(keyStatement({ Service: 'sns.amazonaws.com' }, { Action: ['kms:GenerateDataKey*', 'kms:Decrypt'] })), identityPolicies: [] }, 'Allow', 'key-policy-allow'],
  ['a service principal with only the default key policy', decrypt(sns), { keyPolicy: defaultKeyPolicy, identityPolicies: [iamAllowAny] }, 'ImplicitDeny', 'key-policy-no-allow'],

  // Across accounts: the key policy and the caller's IAM policy
  ['cross-account: key policy allows the account, IAM allows', decrypt(bob), { keyPolicy: keyPolicy(keyStatement({ AWS: OTHER })), identityPolicies: [iamAllow] }, 'Allow', 'identity-and-resource-allow'],
  ['cross-account: key policy allows the user, no IAM allow', decrypt(bob), { keyPolicy: keyPolicy(keyStatement({ AWS: bob.arn })), identityPolicies: [] }, 'ImplicitDeny', 'cross-account-needs-identity-allow'],
  ['cross-account: IAM allows, key policy does not', decrypt(bob), { keyPolicy: defaultKeyPolicy, identityPolicies: [iamAllow] }, 'ImplicitDeny', 'key-policy-no-allow'],

  // Grants
  ['a grant for the user and operation', decrypt(), { keyPolicy: keyPolicy(keyStatement({ AWS: bob.arn })), identityPolicies: [], grants: [grant({})] }, 'Allow', 'grant-allow'],
  ['a grant for another operation', decrypt(), { keyPolicy: keyPolicy(keyStatement({ AWS: bob.arn })), identityPolicies: [], grants: [grant({ operations: ['Encrypt'] })] }, 'ImplicitDeny', 'key-policy-no-allow'],
  ['a grant to a role covers its sessions', decrypt(worker), { keyPolicy: keyPolicy(keyStatement({ AWS: bob.arn })), identityPolicies: [], grants: [grant({ granteePrincipal: `arn:aws:iam::${ACCOUNT}:role/worker` })] }, 'Allow', 'grant-allow'],
  ['a grant to a service principal', decrypt(sqs), { keyPolicy: keyPolicy(keyStatement({ AWS: bob.arn })), identityPolicies: [], grants: [grant({ granteePrincipal: 'sqs.amazonaws.com' })] }, 'Allow', 'grant-allow'],
  ['a grant whose encryption context subset holds', decrypt(alice, { encryptionContext: { 'aws:sqs:arn': 'q', extra: '1' } }), { keyPolicy: keyPolicy(keyStatement({ AWS: bob.arn })), identityPolicies: [], grants: [grant({ constraints: { encryptionContextSubset: { 'aws:sqs:arn': 'q' } } })] }, 'Allow', 'grant-allow'],
  ['a grant whose encryption context must be equal', decrypt(alice, { encryptionContext: { 'aws:sqs:arn': 'q', extra: '1' } }), { keyPolicy: keyPolicy(keyStatement({ AWS: bob.arn })), identityPolicies: [], grants: [grant({ constraints: { encryptionContextEquals: { 'aws:sqs:arn': 'q' } } })] }, 'ImplicitDeny', 'key-policy-no-allow'],
  ['a grant with a case-different context value', decrypt(alice, { encryptionContext: { 'aws:sqs:arn': 'Q' } }), { keyPolicy: keyPolicy(keyStatement({ AWS: bob.arn })), identityPolicies: [], grants: [grant({ constraints: { encryptionContextEquals: { 'aws:sqs:arn': 'q' } } })] }, 'ImplicitDeny', 'key-policy-no-allow'],
];

describe('evaluateKeyPolicy', () => {
  it.each(rows)('%s', (_name, request, policies, decision, reason) => {
    const result = evaluateKeyPolicy(request, policies);
    expect({ decision: result.decision, reason: result.reason }).toEqual({ decision, reason });
  });

  it('traces the delegating statement and the IAM statement', () => {
    const result = evaluateKeyPolicy(decrypt(), { keyPolicy: defaultKeyPolicy, identityPolicies: [iamAllow] });
    expect(result.matched).toEqual([
      { policy: 'key-policy', kind: 'key', index: 0, sid: 'Enable IAM User Permissions', effect: 'Allow', principalMatch: 'account' },
      { policy: 'kms-user', kind: 'identity', index: 0, effect: 'Allow' },
    ]);
    expect(result.checked).toEqual([
      { kind: 'key', name: 'key-policy' },
      { kind: 'identity', name: 'kms-user' },
    ]);
  });

  it('traces grants by id', () => {
    const result = evaluateKeyPolicy(decrypt(), { keyPolicy: keyPolicy(keyStatement({ AWS: bob.arn })), identityPolicies: [], grants: [grant({ grantId: 'g-42' })] });
    expect(result.matched).toEqual([{ policy: 'g-42', kind: 'grant', index: 0, effect: 'Allow' }]);
  });
});
