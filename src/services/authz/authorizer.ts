import type { DecisionReason } from '../../policy/index.js';
import type { Principal } from '../iam/entities.js';

/** One authorization question: may this principal do this action on this resource? */
export interface AuthorizationRequest {
  principal: Principal;
  /** e.g. `sqs:SendMessage`. */
  action: string;
  /** The resource ARN. */
  resource: string;
  resourceAccountId: string;
  /** The resource-based policy (queue policy, trust policy, key policy), if the resource has one. */
  resourcePolicy?: { name: string; document: string };
  /** Service-specific and extra condition keys. */
  context?: Record<string, string | string[] | undefined>;
  secure: boolean;
  sourceIp?: string;
}

export interface AuthorizationDecision {
  decision: 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';
  /** Human-readable lines saying which statements decided, for logs and `sealq explain`. */
  explanation: string[];
  /**
   * Whether a statement of the resource policy itself allowed (for an Allow decision). AWS: role
   * trust policies and KMS key policies must allow explicitly; an identity allow alone is not enough.
   */
  resourcePolicyAllowed?: boolean;
  /** The evaluator's reason (e.g. `cross-account-needs-identity-allow`), for error messages. */
  reason?: DecisionReason;
}

export interface Authorizer {
  authorize(request: AuthorizationRequest): AuthorizationDecision;
}
