import { evaluate, explain, parsePolicy, type NamedPolicy, type PolicyDocument, type RequestContext } from '../../policy/index.js';
import type { Clock } from '../../shared/clock.js';
import type { IdentityDirectory } from '../iam/identity-directory.js';
import type { AuthorizationDecision, AuthorizationRequest, Authorizer } from './authorizer.js';

/**
 * Answers authorization questions with the policy engine: the principal's identity policies from
 * the directory, the resource's policy from the caller, the session policy of a role session.
 * Parsed documents are cached by their text, since the same few policies decide every request.
 */
export class PolicyAuthorizer implements Authorizer {
  private readonly parsed = new Map<string, PolicyDocument>();

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
      principal:
        p.type === 'Service'
          ? { type: 'Service', arn: '', accountId: '', serviceName: p.serviceName }
          : {
              type: p.type,
              arn: p.arn,
              accountId: p.accountId,
              userId: p.userId,
              roleArn: p.type === 'AssumedRole' ? p.principalArn : undefined,
            },
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
    const identityPolicies = this.named(this.directory.identityPolicies(p), 'identity');
    const resourcePolicy = request.resourcePolicy ? this.named([request.resourcePolicy], 'resource')[0] : undefined;
    const sessionPolicies = p.sessionPolicy ? this.named([{ name: 'session policy', document: p.sessionPolicy }], 'identity') : undefined;
    const decision = evaluate(context, { identityPolicies, resourcePolicy, sessionPolicies });
    return {
      decision: decision.decision,
      explanation: explain(decision),
      reason: decision.reason,
      resourcePolicyAllowed: decision.decision === 'Allow' && decision.matched.some((m) => m.kind === 'resource' && m.effect === 'Allow'),
    };
  }

  private named(policies: Array<{ name: string; document: string }>, kind: 'identity' | 'resource'): NamedPolicy[] {
    const out: NamedPolicy[] = [];
    for (const { name, document } of policies) {
      const key = `${kind}\u0000${document}`;
      let doc = this.parsed.get(key);
      if (!doc) {
        try {
          doc = parsePolicy(document, { kind });
        } catch {
          // A stored document that no longer parses grants nothing.
          continue;
        }
        if (this.parsed.size > 10_000) this.parsed.clear();
        this.parsed.set(key, doc);
      }
      out.push({ name, document: doc });
    }
    return out;
  }
}
