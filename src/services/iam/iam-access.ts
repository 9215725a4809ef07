import type { Authorizer } from '../authz/authorizer.js';
import type { Principal } from './entities.js';
import { iamErrors } from './errors.js';
import type { IdentityDirectory } from './identity-directory.js';

/** AWS: these act on the calling IAM user when UserName is left out. */
const SELF_USER_ACTIONS = new Set(['GetUser', 'CreateAccessKey', 'ListAccessKeys', 'UpdateAccessKey', 'DeleteAccessKey']);

/**
 * The resource an IAM action acts on, named the way IAM policies name it: an existing entity by its
 * ARN (which includes its path), a new one by the path it is being created with.
 */
function resourceOf(principal: Principal, action: string, input: Record<string, unknown>, dir?: IdentityDirectory): string {
  const accountId = principal.accountId;
  const path = typeof input.path === 'string' ? input.path : '/';
  if (typeof input.policyArn === 'string') return input.policyArn;
  if (typeof input.roleName === 'string') return dir?.role(accountId, input.roleName)?.arn ?? `arn:aws:iam::${accountId}:role${path}${input.roleName}`;
  if (typeof input.groupName === 'string') return dir?.group(accountId, input.groupName)?.arn ?? `arn:aws:iam::${accountId}:group${path}${input.groupName}`;
  if (typeof input.userName === 'string') return dir?.user(accountId, input.userName)?.arn ?? `arn:aws:iam::${accountId}:user${path}${input.userName}`;
  if (principal.type === 'User' && SELF_USER_ACTIONS.has(action)) return principal.arn;
  if (typeof input.policyName === 'string') return `arn:aws:iam::${accountId}:policy${path}${input.policyName}`;
  return '*';
}

/** Administering IAM is itself authorized: `iam:<Action>` on the entity it touches. */
export function authorizeIam(
  authorizer: Authorizer,
  ctx: { principal: Principal; secure: boolean; sourceIp?: string },
  action: string,
  input: Record<string, unknown>,
  /** Where existing entities' ARNs (with their paths) are looked up. */
  directory?: IdentityDirectory,
): void {
  const resource = resourceOf(ctx.principal, action, input, directory);
  const decision = authorizer.authorize({
    principal: ctx.principal,
    action: `iam:${action}`,
    resource,
    resourceAccountId: ctx.principal.accountId,
    secure: ctx.secure,
    sourceIp: ctx.sourceIp,
  });
  if (decision.decision !== 'Allow') {
    const error = iamErrors.accessDenied(
      `User: ${ctx.principal.arn} is not authorized to perform: iam:${action} on resource: ${resource}` +
        (decision.decision === 'ExplicitDeny' ? ' with an explicit deny' : ' because no identity-based policy allows the iam:' + action + ' action'),
    );
    error.trace = decision.explanation;
    throw error;
  }
}
