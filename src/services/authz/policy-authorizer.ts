import { evaluate, explain, type RequestContext } from '../../policy/index.js';
import { PolicyCache, requestPrincipal } from './policy-inputs.js';
import type { Clock } from '../../shared/clock.js';
import type { IdentityDirectory } from '../iam/identity-directory.js';
import type { AuthorizationDecision, AuthorizationRequest, Authorizer } from './authorizer.js';

/**
 * Answers authorization questions with the policy engine: the principal's identity policies from
 * the directory, the resource's policy from the caller, the session policy of a role session.
 */
export class PolicyAuthorizer implements Authorizer {
  private readonly policies = new PolicyCache();

  constructor(
    private readonly directory: IdentityDirectory,
    private readonly clock: Clock,
  ) {}

  authorize(request: AuthorizationRequest): AuthorizationDecision {
    const p = request.principal;
    // AWS: the root user may do anything in its own account; only a policy could deny it, and
    // without a resource or session policy there is none to consult.
    if (p.type === 'Account' && p.accountId === request.resourceAccountId && !request.resourcePolicy && !p.sessionPolicy) {
      return { decision: 'Allow', explanation: [`Allowed: ${p.arn} is the root user of the resource's account.`] };
    }
    const now = this.clock.now();
    const context: RequestContext = {
      principal: requestPrincipal(p),
      action: request.action,
      resource: request.resource,
      resourceAccountId: request.resourceAccountId,
      conditionKeys: {
        'aws:SecureTransport': request.secure ? 'true' : 'false',
        'aws:SourceIp': request.sourceIp,
        'aws:SourceArn': p.sourceArn,
        'aws:SourceAccount': p.sourceAccount,
        ...request.context,
      },
      time: new Date(now),
    };
    const identityPolicies = this.policies.named(this.directory.identityPolicies(p), 'identity');
    const resourcePolicy = request.resourcePolicy ? this.policies.named([request.resourcePolicy], 'resource')[0] : undefined;
    const sessionPolicies = p.sessionPolicy ? this.policies.named([{ name: 'session policy', document: p.sessionPolicy }], 'identity') : undefined;
    const decision = evaluate(context, { identityPolicies, resourcePolicy, sessionPolicies });
    return {
      decision: decision.decision,
      explanation: explain(decision),
      reason: decision.reason,
      resourcePolicyAllowed: decision.decision === 'Allow' && decision.matched.some((m) => m.kind === 'resource' && m.effect === 'Allow'),
    };
  }
}
