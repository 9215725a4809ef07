/** Human-readable explanations of decisions, for denial logs and `sealq explain`. */
import type { Decision, DecisionReason, PolicyKind, StatementRef } from './types.js';

const KIND_LABEL: Record<PolicyKind, string> = {
  identity: 'identity policy',
  resource: 'resource policy',
  session: 'session policy',
  boundary: 'permissions boundary',
  key: 'key policy',
  grant: 'grant',
};

const REASON: Record<DecisionReason, string> = {
  'explicit-deny': 'An explicit Deny overrides every Allow.',
  'root-user': 'The account root user has every permission in its own account.',
  'identity-allow': 'Allowed by the caller\'s identity policies.',
  'resource-allow': 'Allowed by the resource policy, which names the caller.',
  'identity-and-resource-allow': 'Allowed by both the caller\'s identity policies and the resource policy.',
  'key-policy-allow': 'Allowed by the key policy, which names the caller.',
  'key-policy-delegated-allow': 'The key policy allows the account, and the caller\'s IAM policies allow it.',
  'grant-allow': 'Allowed by a KMS grant.',
  'no-allow': 'No identity or resource policy statement allows it.',
  'account-grant-needs-identity-allow':
    'The resource policy names only the caller\'s account, which delegates to the account\'s identity policies; none of them allows it.',
  'boundary-implicit-deny': 'Identity policies allow it, but the permissions boundary does not.',
  'session-policy-implicit-deny': 'The role\'s policies allow it, but the session policy does not.',
  'cross-account-needs-identity-allow':
    'Cross-account request: the resource policy allows it, but the caller\'s identity policies must allow it too and do not.',
  'cross-account-needs-resource-allow':
    'Cross-account request: the resource policy must allow the caller (or its account) and does not.',
  'key-policy-no-allow': 'The key policy does not allow it, and no grant does.',
  'key-policy-no-delegation':
    'IAM policies are ineffective for this key: its key policy does not allow the account (arn:aws:iam::<account>:root).',
};

const MATCH_NOTE: Record<string, string> = {
  account: ' (names the account: the identity policies must allow too)',
  role: ' (names the role: limited by its boundary and session policy)',
  'not-principal': ' (NotPrincipal does not exclude the caller)',
  wildcard: ' (Principal "*")',
};

const NOTHING_ALLOWS = new Set<DecisionReason>(['no-allow', 'key-policy-no-allow', 'account-grant-needs-identity-allow']);

const CROSS_ACCOUNT_REASONS = new Set<DecisionReason>(['cross-account-needs-identity-allow', 'cross-account-needs-resource-allow']);

export function describeStatement(ref: StatementRef): string {
  if (ref.kind === 'grant') return `grant ${ref.policy}`;
  const sid = ref.sid ? ` (Sid "${ref.sid}")` : '';
  const note = ref.principalMatch ? (MATCH_NOTE[ref.principalMatch] ?? '') : '';
  return `${KIND_LABEL[ref.kind]} "${ref.policy}" statement ${ref.index}${sid}${note}`;
}

function headline(d: Decision): string {
  const { principal, action, resource } = d.request;
  if (d.decision === 'Allow') return `Allowed: ${principal} may perform ${action} on ${resource}.`;
  if (d.decision === 'ExplicitDeny') return `Denied explicitly: ${principal} may not perform ${action} on ${resource}.`;
  if (NOTHING_ALLOWS.has(d.reason)) return `Denied: no statement allows ${action} on ${resource} for ${principal}.`;
  return `Denied: ${principal} may not perform ${action} on ${resource}.`;
}

function checkedLine(d: Decision): string {
  const names = (kind: PolicyKind): string[] => d.checked.filter((c) => c.kind === kind).map((c) => `"${c.name}"`);
  const parts: string[] = [];
  const keyPolicy = names('key');
  if (keyPolicy.length > 0) parts.push(`key policy: ${keyPolicy.join(', ')}`);
  const identity = names('identity');
  parts.push(`identity policies checked: ${identity.length > 0 ? identity.join(', ') : 'none'}`);
  for (const kind of ['boundary', 'session', 'grant'] as const) {
    const list = names(kind);
    if (list.length > 0) parts.push(`${KIND_LABEL[kind]}${list.length > 1 ? 's' : ''}: ${list.join(', ')}`);
  }
  if (keyPolicy.length === 0) {
    const resource = names('resource');
    parts.push(`resource policy: ${resource.length > 0 ? resource.join(', ') : 'none'}`);
  }
  const line = `${parts.join('; ')}.`;
  return line[0].toUpperCase() + line.slice(1);
}

/** Lines explaining a decision: the verdict, the statements behind it, the rule, what was checked. */
export function explain(decision: Decision): string[] {
  const lines = [headline(decision)];
  const verb = decision.decision === 'Allow' ? 'Allowed' : 'Denied';
  for (const ref of decision.matched) lines.push(`  ${verb} by ${describeStatement(ref)}.`);
  lines.push(REASON[decision.reason]);
  if (decision.request.crossAccount && decision.decision !== 'ExplicitDeny' && !CROSS_ACCOUNT_REASONS.has(decision.reason)) {
    lines.push('This is a cross-account request: the resource policy and the caller\'s own policies must both allow it.');
  }
  lines.push(checkedLine(decision));
  if (decision.decision !== 'Allow') {
    for (const miss of decision.conditionMisses) {
      lines.push(`  ${describeStatement(miss.statement)} would apply, but its condition ${miss.operator} ${miss.key} was not met.`);
    }
  }
  return lines;
}
