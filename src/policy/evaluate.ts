/** AWS policy evaluation logic for identity, resource, session and boundary policies. */
import { contextLookup } from './context.js';
import {
  allow,
  checkedList,
  decisionBase,
  explicitDeny,
  identitySide,
  implicitDeny,
  isCrossAccount,
  usesIdentityPolicies,
} from './decision.js';
import { emptyScan, isDirect, scanIdentitySide, scanPolicy } from './statements.js';
import type { Decision, DecisionReason, NamedPolicy, RequestContext } from './types.js';

export { evaluateKeyPolicy, type KeyGrant, type KeyPolicySet } from './key-policy.js';

export interface PolicySet {
  /** The user's or role's policies (inline, attached, and its groups'). */
  identityPolicies: NamedPolicy[];
  /** The policy attached to the resource, e.g. a queue's Policy attribute. */
  resourcePolicy?: NamedPolicy;
  /** AssumeRole's session `Policy` (and managed session policies): they intersect with the role's. */
  sessionPolicies?: NamedPolicy[];
  permissionsBoundary?: NamedPolicy;
}

/**
 * Decides a request. Explicit Deny anywhere wins. Within one account an Allow in identity policies or
 * in the resource policy suffices; across accounts both must allow. Service principals and anonymous
 * callers are judged by the resource policy alone.
 */
export function evaluate(request: RequestContext, policies: PolicySet): Decision {
  const lookup = contextLookup(request);
  const withIdentity = usesIdentityPolicies(request);
  const { identity, session, boundary } = scanIdentitySide(policies, withIdentity, request, lookup);
  const resource = policies.resourcePolicy
    ? scanPolicy(policies.resourcePolicy, 'resource', request, lookup)
    : emptyScan();

  const checked = checkedList([
    ['identity', withIdentity ? policies.identityPolicies : undefined],
    ['boundary', boundary && policies.permissionsBoundary],
    ['session', session && policies.sessionPolicies],
    ['resource', policies.resourcePolicy],
  ]);
  const scans = [identity, boundary, session, resource].filter((s) => s !== undefined);
  const base = decisionBase(request, checked, scans);

  const denies = scans.flatMap((s) => s.denies);
  if (denies.length > 0) return explicitDeny(base, denies);

  const side = identitySide(request, identity, session, boundary);
  const direct = resource.allows.filter(isDirect);
  if (!withIdentity) return direct.length > 0 ? allow(base, direct, 'resource-allow') : implicitDeny(base, 'no-allow');

  if (isCrossAccount(request)) {
    // AWS: across accounts the requester's own policies and the resource policy must both allow.
    if (resource.allows.length === 0) return implicitDeny(base, 'cross-account-needs-resource-allow');
    if (!side.allowed) return implicitDeny(base, side.limitedBy ?? 'cross-account-needs-identity-allow');
    return allow(base, [...side.matched, ...resource.allows], 'identity-and-resource-allow');
  }

  if (side.allowed) {
    const reason: DecisionReason = side.root ? 'root-user' : resource.allows.length > 0 ? 'identity-and-resource-allow' : 'identity-allow';
    return allow(base, [...side.matched, ...resource.allows], reason);
  }
  // AWS: a grant naming the user or the role session itself is not limited by identity policies,
  // boundaries or session policies; one naming the role is limited by the boundary and session policies.
  if (direct.length > 0) return allow(base, direct, 'resource-allow');
  const viaRole = resource.allows.filter((r) => r.principalMatch === 'role');
  if (viaRole.length > 0 && side.limitsAllow) {
    return allow(base, [...viaRole, ...(boundary?.allows ?? []), ...(session?.allows ?? [])], 'resource-allow');
  }
  if (viaRole.length > 0 || identity.allows.length > 0) return implicitDeny(base, side.limitedBy ?? 'no-allow');
  // AWS: naming the account delegates to its identity policies; it grants nothing by itself.
  if (resource.allows.some((r) => r.principalMatch === 'account')) {
    return implicitDeny(base, 'account-grant-needs-identity-allow');
  }
  return implicitDeny(base, 'no-allow');
}
