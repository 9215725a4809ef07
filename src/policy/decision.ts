/** Pieces shared by resource-policy and key-policy evaluation: the identity side, accounts, decisions. */
import { parseArn } from '../shared/arn.js';
import type { PolicyScan } from './statements.js';
import type { Decision, DecisionReason, PolicyKind, RequestContext, StatementRef } from './types.js';

export interface DecisionBase {
  request: Decision['request'];
  checked: Decision['checked'];
  conditionMisses: Decision['conditionMisses'];
}

export function resourceAccountOf(request: RequestContext): string | undefined {
  return request.resourceAccountId || parseArn(request.resource)?.accountId || undefined;
}

/** Services and anonymous callers have no account of their own, so nothing they do is cross-account. */
export function isCrossAccount(request: RequestContext): boolean {
  const { principal } = request;
  if (principal.type === 'Service' || principal.type === 'Anonymous' || principal.accountId === '') return false;
  const account = resourceAccountOf(request);
  return account !== undefined && account !== principal.accountId;
}

export function usesIdentityPolicies(request: RequestContext): boolean {
  return request.principal.type !== 'Service' && request.principal.type !== 'Anonymous';
}

export function describePrincipal(request: RequestContext): string {
  const p = request.principal;
  if (p.type === 'Service') return p.serviceName ?? 'a service principal';
  if (p.type === 'Anonymous') return 'an anonymous caller';
  return p.arn || `arn:aws:iam::${p.accountId}:root`;
}

export function decisionBase(request: RequestContext, checked: DecisionBase['checked'], scans: PolicyScan[]): DecisionBase {
  return {
    request: {
      principal: describePrincipal(request),
      action: request.action,
      resource: request.resource,
      crossAccount: isCrossAccount(request),
    },
    checked,
    conditionMisses: scans.flatMap((s) => s.misses),
  };
}

export const allow = (base: DecisionBase, matched: StatementRef[], reason: DecisionReason): Decision => ({
  decision: 'Allow',
  matched,
  reason,
  ...base,
});

export const implicitDeny = (base: DecisionBase, reason: DecisionReason): Decision => ({
  decision: 'ImplicitDeny',
  matched: [],
  reason,
  ...base,
});

export const explicitDeny = (base: DecisionBase, matched: StatementRef[]): Decision => ({
  decision: 'ExplicitDeny',
  matched,
  reason: 'explicit-deny',
  ...base,
});

export interface IdentitySide {
  /** Identity policies allow, and the permissions boundary and session policies (if any) do too. */
  allowed: boolean;
  /** The boundary and session policies (if any) allow: what grants naming the role still need. */
  limitsAllow: boolean;
  matched: StatementRef[];
  /** Why the identity side does not allow, when identity policies alone would have. */
  limitedBy?: DecisionReason;
  root: boolean;
}

/**
 * The principal's own permissions: identity policies intersected with the permissions boundary and the
 * session policies. AWS: the account root user has every permission in its own account.
 */
export function identitySide(
  request: RequestContext,
  identity: PolicyScan,
  session: PolicyScan | undefined,
  boundary: PolicyScan | undefined,
): IdentitySide {
  const root = request.principal.type === 'Account';
  if (root) return { allowed: true, limitsAllow: true, matched: [], root };
  if (!usesIdentityPolicies(request)) return { allowed: false, limitsAllow: false, matched: [], root };
  const boundaryAllows = !boundary || boundary.allows.length > 0;
  // Session policies passed together (inline and managed) are one set: any of them may allow.
  const sessionAllows = !session || session.allows.length > 0;
  const limitsAllow = boundaryAllows && sessionAllows;
  const idAllows = identity.allows.length > 0;
  const matched = [...identity.allows, ...(boundary?.allows ?? []), ...(session?.allows ?? [])];
  let limitedBy: DecisionReason | undefined;
  if (!boundaryAllows) limitedBy = 'boundary-implicit-deny';
  else if (!sessionAllows) limitedBy = 'session-policy-implicit-deny';
  return { allowed: idAllows && limitsAllow, limitsAllow, matched: idAllows && limitsAllow ? matched : [], limitedBy, root };
}

export function checkedList(entries: [PolicyKind, { name: string }[] | { name: string } | undefined][]): DecisionBase['checked'] {
  const out: DecisionBase['checked'] = [];
  for (const [kind, value] of entries) {
    const list = value === undefined ? [] : Array.isArray(value) ? value : [value];
    for (const p of list) out.push({ kind, name: p.name });
  }
  return out;
}
