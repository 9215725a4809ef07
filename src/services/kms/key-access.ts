import { evaluate, evaluateKeyPolicy, explain, type Decision, type DecisionReason } from '../../policy/index.js';
import { PolicyCache, requestPrincipal } from '../authz/policy-inputs.js';
import type { Clock } from '../../shared/clock.js';
import type { IdentityDirectory } from '../iam/identity-directory.js';
import { kmsError } from './errors.js';
import type { KmsContext } from './kms-service.js';
import type { KmsKey } from './keys.js';

/**
 * KMS authorization: the key policy is the authority; IAM policies count where it delegates to the
 * account; grants add operations. Condition keys: kms:CallerAccount, kms:ViaService,
 * kms:EncryptionContext:*, kms:EncryptionContextKeys, kms:RequestAlias, kms:ResourceAliases.
 */
export class KeyAuthorizer {
  private readonly policies = new PolicyCache();

  constructor(
    private readonly directory: IdentityDirectory,
    private readonly clock: Clock,
  ) {}

  authorizeKey(
    ctx: KmsContext,
    action: string,
    key: KmsKey,
    extra: { requestAlias?: string; resourceAliases: string[]; encryptionContext?: Record<string, string> },
  ): void {
    const p = ctx.principal;
    const keys: Record<string, string | string[] | undefined> = {
      'aws:SecureTransport': ctx.secure ? 'true' : 'false',
      'aws:SourceIp': ctx.sourceIp,
      // AWS: a service principal has no caller account; it names its source instead.
      'kms:CallerAccount': p.type === 'Service' ? undefined : p.accountId,
      'aws:SourceArn': p.sourceArn,
      'aws:SourceAccount': p.sourceAccount,
      'kms:ViaService': ctx.viaService,
      'kms:RequestAlias': extra.requestAlias,
      'kms:ResourceAliases': extra.resourceAliases.length ? extra.resourceAliases : undefined,
    };
    // AWS: encryption-context condition keys exist only for the cryptographic operations.
    if (extra.encryptionContext) {
      keys['kms:EncryptionContextKeys'] = Object.keys(extra.encryptionContext);
      for (const [k, v] of Object.entries(extra.encryptionContext)) keys[`kms:EncryptionContext:${k}`] = v;
    }
    const identityPolicies = this.policies.named(this.directory.identityPolicies(p), 'identity');
    const keyPolicy = this.policies.parse(key.policy, 'resource');
    const session = p.sessionPolicy ? this.policies.parse(p.sessionPolicy, 'identity') : undefined;
    const decision = evaluateKeyPolicy(
      {
        principal: requestPrincipal(p),
        action,
        resource: key.arn,
        resourceAccountId: key.accountId,
        conditionKeys: keys,
        time: new Date(this.clock.now()),
        encryptionContext: extra.encryptionContext,
      },
      {
        keyPolicy: { name: `key policy of ${key.arn}`, document: keyPolicy ?? { version: '2012-10-17', statements: [] } },
        identityPolicies,
        grants: key.grants,
        sessionPolicies: session ? [{ name: 'session policy', document: session }] : undefined,
      },
    );
    if (decision.decision === 'Allow') return;
    const error = kmsError(
      'AccessDeniedException',
      `User: ${p.arn} is not authorized to perform: ${action} on resource: ${key.arn} ` +
        (decision.decision === 'ExplicitDeny' ? 'with an explicit deny' : `because ${missingAllow(decision.reason)} allows the ${action} action`),
    );
    error.trace = explain(decision);
    throw error;
  }

  /**
   * The caller's IAM side alone (identity and session policies; the root user of an account may do
   * anything in it). AWS: CreateKey, ListKeys and ListAliases are "valid only in IAM policies", with
   * resource "*"; RetireGrant may be delegated to IAM principals of the grant's account (or denied).
   */
  identityDecision(ctx: KmsContext, action: string, resource = '*'): Decision {
    const p = ctx.principal;
    const identityPolicies = this.policies.named(this.directory.identityPolicies(p), 'identity');
    const session = p.sessionPolicy ? this.policies.parse(p.sessionPolicy, 'identity') : undefined;
    return evaluate(
      {
        principal: requestPrincipal(p),
        action,
        resource,
        resourceAccountId: p.accountId,
        conditionKeys: { 'aws:SecureTransport': ctx.secure ? 'true' : 'false', 'aws:SourceIp': ctx.sourceIp, 'kms:CallerAccount': p.accountId },
        time: new Date(this.clock.now()),
      },
      { identityPolicies, sessionPolicies: session ? [{ name: 'session policy', document: session }] : undefined },
    );
  }

  /** Throws AccessDeniedException unless the caller's IAM policies allow `action` (see identityDecision). */
  authorizeIdentity(ctx: KmsContext, action: string, resource = '*'): void {
    const decision = this.identityDecision(ctx, action, resource);
    if (decision.decision === 'Allow') return;
    const error = kmsError(
      'AccessDeniedException',
      `User: ${ctx.principal.arn} is not authorized to perform: ${action} on resource: ${resource} ` +
        (decision.decision === 'ExplicitDeny' ? 'with an explicit deny' : `because no identity-based policy allows the ${action} action`),
    );
    error.trace = explain(decision);
    throw error;
  }
}

/**
 * AWS names the kind of policy that lacked an Allow: the IAM side when the key policy delegates to
 * the account ("no identity-based policy allows the kms:Decrypt action"), the key policy otherwise.
 */
function missingAllow(reason: DecisionReason): string {
  switch (reason) {
    case 'account-grant-needs-identity-allow':
    case 'cross-account-needs-identity-allow':
    case 'no-allow':
      return 'no identity-based policy';
    case 'session-policy-implicit-deny':
      return 'no session policy';
    case 'boundary-implicit-deny':
      return 'no permissions boundary';
    default:
      return 'no resource-based policy';
  }
}
