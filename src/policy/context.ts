/** The request's condition keys: case-insensitive lookup, with the principal and time keys derived. */
import type { RequestContext, RequestPrincipal } from './types.js';

/** Values of a key, or undefined when the key is absent (an empty list counts as absent). */
export type KeyLookup = (key: string) => string[] | undefined;

const SESSION_ARN = /^arn:([^:]*):sts::(\d{12}):assumed-role\/([^/]+)\/(.+)$/;

export function partitionOf(principal: RequestPrincipal): string {
  return /^arn:([^:]+):/.exec(principal.arn)?.[1] ?? 'aws';
}

export function accountRootArn(principal: RequestPrincipal): string {
  return `arn:${partitionOf(principal)}:iam::${principal.accountId}:root`;
}

/** The role behind a role session (AWS: the session ARN drops the role's path; pass `roleArn` to keep it). */
export function roleArnOf(principal: RequestPrincipal): string | undefined {
  if (principal.type === 'Role') return principal.arn;
  if (principal.type !== 'AssumedRole') return undefined;
  if (principal.roleArn) return principal.roleArn;
  const m = SESSION_ARN.exec(principal.arn);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : undefined;
}

/** Global keys AWS puts in every request context for this kind of principal. */
export function principalKeys(principal: RequestPrincipal): Record<string, string> {
  const keys: Record<string, string> = {};
  const hasAccount = principal.accountId !== '';
  switch (principal.type) {
    case 'Account':
      keys['aws:PrincipalArn'] = principal.arn || accountRootArn(principal);
      keys['aws:PrincipalType'] = 'Account';
      keys['aws:userid'] = principal.userId ?? principal.accountId;
      break;
    case 'User':
      keys['aws:PrincipalArn'] = principal.arn;
      keys['aws:PrincipalType'] = 'User';
      keys['aws:username'] = principal.arn.slice(principal.arn.lastIndexOf('/') + 1);
      if (principal.userId) keys['aws:userid'] = principal.userId;
      break;
    case 'AssumedRole':
    case 'Role': {
      // AWS: for a role session aws:PrincipalArn is the role's ARN, not the assumed-role session ARN.
      const role = roleArnOf(principal);
      if (role) keys['aws:PrincipalArn'] = role;
      keys['aws:PrincipalType'] = 'AssumedRole';
      if (principal.userId) keys['aws:userid'] = principal.userId;
      break;
    }
    case 'Service':
      if (principal.serviceName) keys['aws:PrincipalServiceName'] = principal.serviceName;
      break;
    case 'Anonymous':
      keys['aws:PrincipalType'] = 'Anonymous';
      keys['aws:userid'] = 'anonymous';
      break;
  }
  if (hasAccount && principal.type !== 'Service' && principal.type !== 'Anonymous') {
    keys['aws:PrincipalAccount'] = principal.accountId;
  }
  return keys;
}

/** Builds the lookup: given keys win over derived ones; names compare case-insensitively. */
export function contextLookup(request: RequestContext): KeyLookup {
  const map = new Map<string, string[]>();
  const put = (key: string, value: string | string[] | undefined, override: boolean): void => {
    if (value === undefined) return;
    const name = key.toLowerCase();
    if (!override && map.has(name)) return;
    map.set(name, Array.isArray(value) ? value : [value]);
  };
  for (const [key, value] of Object.entries(request.conditionKeys)) put(key, value, true);
  for (const [key, value] of Object.entries(principalKeys(request.principal))) put(key, value, false);
  if (request.time) {
    put('aws:CurrentTime', request.time.toISOString().replace(/\.\d{3}Z$/, 'Z'), false);
    put('aws:EpochTime', String(Math.floor(request.time.getTime() / 1000)), false);
  }
  return (key) => {
    const values = map.get(key.toLowerCase());
    return values && values.length > 0 ? values : undefined;
  };
}
