import type { DecisionReason } from '../../policy/index.js';
import type { Authorizer } from '../authz/authorizer.js';
import { sqsErrors } from './errors.js';
import type { Queue } from './queues.js';
import type { RequestContext } from './types.js';

/**
 * AWS: cross-account grants in a queue policy do not apply to these actions; only the queue's
 * own account may call them.
 */
const OWNER_ONLY = new Set([
  'AddPermission',
  'CreateQueue',
  'DeleteQueue',
  'ListQueues',
  'ListQueueTags',
  'RemovePermission',
  'SetQueueAttributes',
  'TagQueue',
  'UntagQueue',
  'StartMessageMoveTask',
  'CancelMessageMoveTask',
  'ListMessageMoveTasks',
]);

/** AWS names the kind of policy that lacked an Allow: across accounts that can be either side. */
function missingAllow(reason: DecisionReason | undefined): string {
  switch (reason) {
    case 'cross-account-needs-resource-allow':
      return 'no resource-based policy';
    case 'session-policy-implicit-deny':
      return 'no session policy';
    case 'boundary-implicit-deny':
      return 'no permissions boundary';
    default:
      return 'no identity-based policy';
  }
}

/** Authorizes SQS actions: the caller's identity policies and the queue's Policy attribute. */
export class QueueAccess {
  constructor(private readonly authorizer: Authorizer | undefined) {}

  /**
   * Throws AccessDenied unless the caller may perform `action` on the queue (or, for actions
   * without a queue yet, on `resourceArn` in the caller's own account).
   */
  check(ctx: RequestContext, action: string, queue: Queue | undefined, resourceArn?: string): void {
    if (!this.authorizer || !ctx.principal) return;
    const resource = queue?.arn ?? resourceArn ?? '*';
    const resourceAccountId = queue?.record.accountId ?? ctx.principal.accountId;
    const denied = (reason: string, trace: string[]) =>
      sqsErrors.accessDenied(
        `User: ${ctx.principal!.arn} is not authorized to perform: sqs:${action} on resource: ${resource} ${reason}`,
        trace,
      );
    if (resourceAccountId !== ctx.principal.accountId && OWNER_ONLY.has(action)) {
      throw denied('because cross-account access is not allowed for this action', [
        `sqs:${action} may only be called by the queue's own account (${resourceAccountId}).`,
      ]);
    }
    const policy = queue?.record.attributes.Policy;
    const decision = this.authorizer.authorize({
      principal: ctx.principal,
      action: `sqs:${action}`,
      resource,
      resourceAccountId,
      resourcePolicy: policy ? { name: `queue policy of ${resource}`, document: policy } : undefined,
      secure: ctx.secure ?? false,
      sourceIp: ctx.sourceIp,
    });
    if (decision.decision === 'Allow') return;
    const reason =
      decision.decision === 'ExplicitDeny' ? 'with an explicit deny' : `because ${missingAllow(decision.reason)} allows the sqs:${action} action`;
    throw denied(reason, decision.explanation);
  }
}
