import type { Authorizer } from '../authz/authorizer.js';
import type { Principal } from './entities.js';
import { iamErrors } from './errors.js';

/** The resource an IAM action acts on, named the way IAM policies name it. */
function resourceOf(accountId: string, input: Record<string, unknown>): string {
  if (typeof input.policyArn === 'string') return input.policyArn;
  if (typeof input.roleName === 'string') return `arn:aws:iam::${accountId}:role/${input.roleName}`;
  if (typeof input.groupName === 'string') return `arn:aws:iam::${accountId}:group/${input.groupName}`;
  if (typeof input.userName === 'string') return `arn:aws:iam::${accountId}:user/${input.userName}`;
  if (typeof input.policyName === 'string') return `arn:aws:iam::${accountId}:policy/${input.policyName}`;
  return '*';
}

/** Administering IAM is itself authorized: `iam:<Action>` on the entity it touches. */
export function authorizeIam(
  authorizer: Authorizer,
  ctx: { principal: Principal; secure: boolean; sourceIp?: string },
  action: string,
  input: Record<string, unknown>,
): void {
  const resource = resourceOf(ctx.principal.accountId, input);
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
