/** Scanning one policy's statements against a request: which Allow and Deny statements apply. */
import { conditionsHold } from './conditions.js';
import type { KeyLookup } from './context.js';
import { statementActionMatches, statementPrincipalMatch, statementResourceMatches } from './match.js';
import type { ConditionMiss, NamedPolicy, PolicyKind, PrincipalMatch, RequestContext, StatementRef } from './types.js';

export interface PolicyScan {
  allows: StatementRef[];
  denies: StatementRef[];
  misses: ConditionMiss[];
}

export const emptyScan = (): PolicyScan => ({ allows: [], denies: [], misses: [] });

/** Resource and key policies name principals; the others apply to the identity they are attached to. */
const namesPrincipals = (kind: PolicyKind): boolean => kind === 'resource' || kind === 'key';

export function scanPolicy(policy: NamedPolicy, kind: PolicyKind, request: RequestContext, lookup: KeyLookup): PolicyScan {
  const scan = emptyScan();
  const variables = policy.document.version === '2012-10-17';
  policy.document.statements.forEach((statement, index) => {
    if (!statementActionMatches(statement, request.action)) return;
    if (!statementResourceMatches(statement, request.resource, lookup, variables)) return;
    let principalMatch: PrincipalMatch | undefined;
    if (namesPrincipals(kind)) {
      principalMatch = statementPrincipalMatch(statement, request.principal);
      if (!principalMatch) return;
    }
    const ref: StatementRef = { policy: policy.name, kind, index, effect: statement.effect };
    if (statement.sid !== undefined) ref.sid = statement.sid;
    if (principalMatch) ref.principalMatch = principalMatch;
    const result = conditionsHold(statement.conditions, lookup, variables);
    if (!result.ok) {
      scan.misses.push({ statement: ref, operator: result.failed.operator, key: result.failed.key });
    } else if (statement.effect === 'Allow') {
      scan.allows.push(ref);
    } else {
      scan.denies.push(ref);
    }
  });
  return scan;
}

export function scanAll(policies: NamedPolicy[] | undefined, kind: PolicyKind, request: RequestContext, lookup: KeyLookup): PolicyScan {
  const total = emptyScan();
  for (const policy of policies ?? []) {
    const scan = scanPolicy(policy, kind, request, lookup);
    total.allows.push(...scan.allows);
    total.denies.push(...scan.denies);
    total.misses.push(...scan.misses);
  }
  return total;
}

/** Grants that stand on their own: the requester's own ARN or service name, `*`, or NotPrincipal. */
export const isDirect = (ref: StatementRef): boolean =>
  ref.principalMatch === 'exact' || ref.principalMatch === 'wildcard' || ref.principalMatch === 'not-principal';

/** The caller's side of a request: its identity, session and boundary policies, each scanned. */
export interface IdentityScans {
  identity: PolicyScan;
  session: PolicyScan | undefined;
  boundary: PolicyScan | undefined;
}

/** Scans the caller's own policies; callers judged by the resource policy alone get none. */
export function scanIdentitySide(
  policies: { identityPolicies?: NamedPolicy[]; sessionPolicies?: NamedPolicy[]; permissionsBoundary?: NamedPolicy },
  withIdentity: boolean,
  request: RequestContext,
  lookup: KeyLookup,
): IdentityScans {
  if (!withIdentity) return { identity: emptyScan(), session: undefined, boundary: undefined };
  return {
    identity: scanAll(policies.identityPolicies, 'identity', request, lookup),
    session: policies.sessionPolicies?.length ? scanAll(policies.sessionPolicies, 'session', request, lookup) : undefined,
    boundary: policies.permissionsBoundary ? scanPolicy(policies.permissionsBoundary, 'boundary', request, lookup) : undefined,
  };
}
