import { parseArn } from '../shared/arn.js';
import type { Principal } from './iam/entities.js';
import { rootPrincipal, userPrincipal, type IdentityDirectory } from './iam/identity-directory.js';
import type { Authorizer } from './authz/authorizer.js';
import type { SqsService } from './sqs/sqs-service.js';

export interface ExplainQuestion {
  /** The principal's ARN: an account root, a user, a role, or an assumed-role session. */
  principal: string;
  action: string;
  resource: string;
  context?: Record<string, string | string[]>;
  /** Evaluate as if the request came over TLS (aws:SecureTransport). */
  secure?: boolean;
}

export interface ExplainAnswer {
  decision: 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';
  principal: string;
  action: string;
  resource: string;
  explanation: string[];
}

/**
 * "Could principal P do action A on resource R, and why not?" The same authorizer every request
 * goes through, with the resource's own policy looked up (queue policies today).
 */
export function explainDecision(
  question: ExplainQuestion,
  deps: { directory: IdentityDirectory; authorizer: Authorizer; sqs: SqsService },
): ExplainAnswer {
  const principal = principalOf(question.principal, deps.directory);
  if (!principal) throw new Error(`unknown principal ${question.principal}`);
  const queue = deps.sqs.queues.byArn(question.resource);
  const resourceAccountId = queue?.record.accountId ?? parseArn(question.resource)?.accountId ?? principal.accountId;
  const policy = queue?.record.attributes.Policy;
  const decision = deps.authorizer.authorize({
    principal,
    action: question.action,
    resource: question.resource,
    resourceAccountId: resourceAccountId || principal.accountId,
    resourcePolicy: policy ? { name: `queue policy of ${question.resource}`, document: policy } : undefined,
    context: question.context,
    secure: question.secure ?? false,
  });
  return {
    decision: decision.decision,
    principal: principal.arn,
    action: question.action,
    resource: question.resource,
    explanation: decision.explanation,
  };
}

function principalOf(arn: string, directory: IdentityDirectory): Principal | undefined {
  const parsed = parseArn(arn);
  if (!parsed) return /^\d{12}$/.test(arn) ? rootPrincipal(arn) : undefined;
  const { accountId, resource } = parsed;
  if (parsed.service === 'iam' && resource === 'root') return rootPrincipal(accountId);
  if (parsed.service === 'iam' && resource.startsWith('user/')) {
    const user = directory.user(accountId, resource.split('/').pop()!);
    return user && userPrincipal(user);
  }
  const roleName =
    parsed.service === 'iam' && resource.startsWith('role/')
      ? resource.split('/').pop()
      : parsed.service === 'sts' && resource.startsWith('assumed-role/')
        ? resource.split('/')[1]
        : undefined;
  const role = roleName ? directory.role(accountId, roleName) : undefined;
  if (!role) return undefined;
  const session = parsed.service === 'sts' ? resource.split('/')[2] : 'explain';
  return {
    type: 'AssumedRole',
    accountId,
    arn: `arn:aws:sts::${accountId}:assumed-role/${role.name}/${session}`,
    principalArn: role.arn,
    userId: `${role.roleId}:${session}`,
    roleName: role.name,
    sessionName: session,
    requesterId: `role:${role.roleId}#`,
  };
}
