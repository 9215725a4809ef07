import { sqsErrors } from './errors.js';
import { sqsLimits } from './limits.js';
import { sqsActions } from './actions.js';
import type { Queue } from './queues.js';

interface Statement {
  Sid?: string;
  Effect: string;
  Principal: { AWS: string | string[] };
  Action: string | string[];
  Resource: string;
}

const LABEL = /^[A-Za-z0-9_-]+$/;
const ACCOUNT = /^\d{12}$/;
const one = <T,>(list: T[]): T | T[] => (list.length === 1 ? list[0] : list);

/**
 * AddPermission writes a statement into the queue policy the way SQS does: Sid = label, the
 * accounts' root ARNs as principals, `SQS:`-prefixed actions (a single value stays a string).
 */
export function addPermission(queue: Queue, label: string, accounts: string[], actions: string[]): string {
  if (typeof label !== 'string' || label === '') throw sqsErrors.missingParameter('Label');
  if (!accounts || accounts.length === 0) throw sqsErrors.missingParameter('AWSAccountIds');
  if (!actions || actions.length === 0) throw sqsErrors.missingParameter('Actions');
  if (label.length > sqsLimits.addPermissionLabelMaxLength || !LABEL.test(label)) {
    throw sqsErrors.invalidValue(label, 'Label', 'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length.');
  }
  if (actions.length > sqsLimits.addPermissionMaxActions) {
    throw sqsErrors.overLimit(`${actions.length} Actions were found, maximum allowed is ${sqsLimits.addPermissionMaxActions}.`);
  }
  for (const action of actions) {
    if (action !== '*' && !(sqsActions as readonly string[]).includes(action)) {
      throw sqsErrors.invalidValue(
        `SQS:${action}`,
        'ActionName',
        'Please refer to the appropriate WSDL for a list of valid actions. ',
      );
    }
  }
  for (const account of accounts) {
    if (!ACCOUNT.test(account)) throw sqsErrors.invalidValue(account, 'AWSAccountId', 'Must be a 12-digit AWS account id.');
  }
  const policy = currentPolicy(queue);
  const statements = policy.Statement as Statement[];
  if (statements.some((s) => s.Sid === label)) {
    throw sqsErrors.invalidValue(label, 'Label', 'Already exists.');
  }
  statements.push({
    Sid: label,
    Effect: 'Allow',
    Principal: { AWS: one(accounts.map((a) => `arn:aws:iam::${a}:root`)) },
    Action: one(actions.map((a) => `SQS:${a}`)),
    Resource: queue.arn,
  });
  return JSON.stringify(policy);
}

/** Removes the labelled statement; returns null when the policy is left empty. */
export function removePermission(queue: Queue, label: string): string | null {
  if (typeof label !== 'string' || label === '') throw sqsErrors.missingParameter('Label');
  const policy = currentPolicy(queue);
  const statements = policy.Statement as Statement[];
  const index = statements.findIndex((s) => s.Sid === label);
  if (index < 0) throw sqsErrors.invalidValue(label, 'Label', "can't find label.");
  statements.splice(index, 1);
  return statements.length === 0 ? null : JSON.stringify(policy);
}

function currentPolicy(queue: Queue): Record<string, unknown> {
  const text = queue.record.attributes.Policy;
  if (!text) return { Version: '2008-10-17', Id: `${queue.arn}/SQSDefaultPolicy`, Statement: [] };
  const policy = JSON.parse(text) as Record<string, unknown>;
  const st = policy.Statement;
  policy.Statement = Array.isArray(st) ? st : st ? [st] : [];
  return policy;
}
