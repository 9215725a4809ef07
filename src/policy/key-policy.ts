/** KMS authorization: the key policy is authoritative; IAM policies count only when it delegates. */
import { contextLookup, roleArnOf } from './context.js';
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
import { isDirect, scanIdentitySide, scanPolicy } from './statements.js';
import type { Decision, NamedPolicy, RequestContext, StatementRef } from './types.js';

/** A KMS grant: it only allows, for the grantee, the listed operations, under its constraints. */
export interface KeyGrant {
  grantId: string;
  /** A principal ARN (a role ARN covers that role's sessions) or a service principal name. */
  granteePrincipal: string;
  /** Operation names without the `kms:` prefix, e.g. 'Decrypt'. */
  operations: string[];
  constraints?: {
    encryptionContextEquals?: Record<string, string>;
    encryptionContextSubset?: Record<string, string>;
  };
}

export interface KeyPolicySet {
  keyPolicy: NamedPolicy;
  /** The caller's IAM policies; they count only where the key policy allows the account. */
  identityPolicies: NamedPolicy[];
  grants?: KeyGrant[];
  sessionPolicies?: NamedPolicy[];
  permissionsBoundary?: NamedPolicy;
}

function granteeMatches(grant: KeyGrant, request: RequestContext): boolean {
  const p = request.principal;
  if (p.type === 'Service') return grant.granteePrincipal === p.serviceName;
  return grant.granteePrincipal === p.arn || grant.granteePrincipal === roleArnOf(p);
}

function constraintsHold(grant: KeyGrant, context: Record<string, string>): boolean {
  const { encryptionContextEquals: equals, encryptionContextSubset: subset } = grant.constraints ?? {};
  const includes = (pairs: Record<string, string>): boolean =>
    Object.entries(pairs).every(([k, v]) => Object.hasOwn(context, k) && context[k] === v);
  if (equals && !(includes(equals) && Object.keys(context).length === Object.keys(equals).length)) return false;
  return !subset || includes(subset);
}

function matchingGrants(grants: KeyGrant[] | undefined, request: RequestContext): StatementRef[] {
  const [prefix, operation] = request.action.split(':');
  if (prefix?.toLowerCase() !== 'kms' || !operation) return [];
  const refs: StatementRef[] = [];
  (grants ?? []).forEach((grant, index) => {
    if (!grant.operations.includes(operation) || !granteeMatches(grant, request)) return;
    if (!constraintsHold(grant, request.encryptionContext ?? {})) return;
    refs.push({ policy: grant.grantId, kind: 'grant', index, effect: 'Allow' });
  });
  return refs;
}

/**
 * AWS: "Unlike other AWS resource policies, an AWS KMS key policy does not automatically give
 * permission to the account or any of its users." A key policy statement naming the account root
 * delegates to IAM: the caller's identity policies must then allow too. Without such a statement IAM
 * allows are ineffective, while IAM denies (and boundaries, session policies) still apply.
 */
export function evaluateKeyPolicy(request: RequestContext, policies: KeyPolicySet): Decision {
  const lookup = contextLookup(request);
  const withIdentity = usesIdentityPolicies(request);
  const { identity, session, boundary } = scanIdentitySide(policies, withIdentity, request, lookup);
  const key = scanPolicy(policies.keyPolicy, 'key', request, lookup);
  const checked = checkedList([
    ['key', policies.keyPolicy],
    ['identity', withIdentity ? policies.identityPolicies : undefined],
    ['boundary', boundary && policies.permissionsBoundary],
    ['session', session && policies.sessionPolicies],
    ['grant', (policies.grants ?? []).map((g) => ({ name: g.grantId }))],
  ]);
  const scans = [key, identity, boundary, session].filter((s) => s !== undefined);
  const base = decisionBase(request, checked, scans);

  const denies = scans.flatMap((s) => s.denies);
  if (denies.length > 0) return explicitDeny(base, denies);

  const grants = matchingGrants(policies.grants, request);
  const side = identitySide(request, identity, session, boundary);
  const direct = key.allows.filter(isDirect);
  const viaRole = key.allows.filter((r) => r.principalMatch === 'role');
  const viaAccount = key.allows.filter((r) => r.principalMatch === 'account');

  if (!withIdentity) {
    if (direct.length > 0) return allow(base, direct, 'key-policy-allow');
    return grants.length > 0 ? allow(base, grants, 'grant-allow') : implicitDeny(base, 'key-policy-no-allow');
  }

  if (isCrossAccount(request)) {
    if (grants.length > 0) return allow(base, grants, 'grant-allow');
    if (key.allows.length === 0) return implicitDeny(base, 'key-policy-no-allow');
    if (!side.allowed) return implicitDeny(base, side.limitedBy ?? 'cross-account-needs-identity-allow');
    return allow(base, [...key.allows, ...side.matched], 'identity-and-resource-allow');
  }

  if (direct.length > 0) return allow(base, direct, 'key-policy-allow');
  if (viaRole.length > 0 && side.limitsAllow) {
    return allow(base, [...viaRole, ...(boundary?.allows ?? []), ...(session?.allows ?? [])], 'key-policy-allow');
  }
  if (viaAccount.length > 0 && side.allowed) {
    return allow(base, [...viaAccount, ...side.matched], 'key-policy-delegated-allow');
  }
  if (grants.length > 0) return allow(base, grants, 'grant-allow');
  if (viaRole.length > 0 || (viaAccount.length > 0 && identity.allows.length > 0)) {
    return implicitDeny(base, side.limitedBy ?? 'no-allow');
  }
  if (viaAccount.length === 0 && (side.root || identity.allows.length > 0)) {
    return implicitDeny(base, 'key-policy-no-delegation');
  }
  return implicitDeny(base, viaAccount.length > 0 ? 'account-grant-needs-identity-allow' : 'key-policy-no-allow');
}
