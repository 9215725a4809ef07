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
}

export interface Authorizer {
  authorize(request: AuthorizationRequest): AuthorizationDecision;
}
