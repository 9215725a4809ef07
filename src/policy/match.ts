/** Matching a statement's Action, Resource and Principal elements against a request. */
import { resourceArnMatches } from './arn.js';
import { accountRootArn, roleArnOf, type KeyLookup } from './context.js';
import { wildcardMatch } from './glob.js';
import type { PrincipalMatch, PrincipalSet, RequestPrincipal, Statement } from './types.js';

/** AWS: service prefix and action name compare case-insensitively; `*` and `?` are wildcards. */
export function actionMatches(patterns: string[], action: string): boolean {
  return patterns.some((p) => wildcardMatch(p, action, true));
}

export function statementActionMatches(statement: Statement, action: string): boolean {
  if (statement.action) return actionMatches(statement.action, action);
  if (statement.notAction) return !actionMatches(statement.notAction, action);
  return false;
}

/**
 * `*` matches every resource; otherwise each of the six ARN parts is matched on its own. AWS: policy
 * variables are substituted only in the resource part (after the fifth colon).
 */
export function resourceMatches(pattern: string, resource: string, lookup: KeyLookup, variables: boolean): boolean {
  return resourceArnMatches(pattern, resource, lookup, variables);
}

/** Statements in resource and key policies without Resource apply to the resource they are attached to. */
export function statementResourceMatches(
  statement: Statement,
  resource: string,
  lookup: KeyLookup,
  variables: boolean,
): boolean {
  const any = (patterns: string[]): boolean => patterns.some((p) => resourceMatches(p, resource, lookup, variables));
  if (statement.resource) return any(statement.resource);
  if (statement.notResource) return !any(statement.notResource);
  return true;
}

interface Identity {
  value: string;
  /** The same identity's unique id (AIDA…, AROA…), as policies show it once the named entity is gone. */
  alias?: string;
  match: Exclude<PrincipalMatch, 'wildcard' | 'not-principal'>;
}

/**
 * The names a principal answers to, strongest first: its own ARN, then for a role session its role,
 * then its account. Services and anonymous callers answer to no ARN.
 */
function identities(principal: RequestPrincipal): Identity[] {
  const root: Identity = { value: accountRootArn(principal), match: 'account' };
  const uniqueId = principal.userId?.split(':')[0];
  switch (principal.type) {
    case 'Account':
      return [{ value: principal.arn || root.value, match: 'exact' }];
    case 'User':
      return [{ value: principal.arn, alias: uniqueId, match: 'exact' }, root];
    case 'AssumedRole':
    case 'Role': {
      const list: Identity[] = principal.type === 'AssumedRole' ? [{ value: principal.arn, match: 'exact' }] : [];
      const role = roleArnOf(principal);
      if (role) list.push({ value: role, alias: uniqueId, match: 'role' });
      return [...list, root];
    }
    default:
      return [];
  }
}

const listed = (set: PrincipalSet, id: Identity): boolean =>
  set.aws.includes(id.value) || (id.alias !== undefined && set.aws.includes(id.alias));

function serviceListed(set: PrincipalSet, principal: RequestPrincipal): boolean {
  const name = principal.serviceName?.toLowerCase();
  return principal.type === 'Service' && name !== undefined && set.service.some((s) => s.toLowerCase() === name);
}

/**
 * How a Principal element names the requester, or undefined when it does not. `Federated` and
 * `CanonicalUser` principals never match: sealq has no federation.
 */
export function principalSetMatch(set: PrincipalSet, principal: RequestPrincipal): PrincipalMatch | undefined {
  if (serviceListed(set, principal)) return 'exact';
  const found = identities(principal).find((id) => listed(set, id));
  if (found?.match === 'exact') return 'exact';
  if (set.any) return 'wildcard';
  return found?.match;
}

/**
 * NotPrincipal: the statement applies unless the requester is excluded. AWS may check the account, then
 * the role, then the session, so a requester is excluded only when every name it answers to is listed
 * (user ARN and account root; or session ARN, role ARN and account root).
 */
export function notPrincipalApplies(set: PrincipalSet, principal: RequestPrincipal): boolean {
  if (set.any) return false;
  if (principal.type === 'Service') return !serviceListed(set, principal);
  const names = identities(principal);
  return names.length === 0 || !names.every((id) => listed(set, id));
}

/** Principal/NotPrincipal of a resource or key policy statement against the requester. */
export function statementPrincipalMatch(statement: Statement, principal: RequestPrincipal): PrincipalMatch | undefined {
  if (statement.principal) return principalSetMatch(statement.principal, principal);
  if (statement.notPrincipal) return notPrincipalApplies(statement.notPrincipal, principal) ? 'not-principal' : undefined;
  return undefined;
}
