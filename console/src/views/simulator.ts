import { admin, type Session } from '../api.js';
import { errorBox, field, h, mount } from '../dom.js';

interface ExplainAnswer {
  decision: 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';
  principal: string;
  action: string;
  resource: string;
  explanation: string[];
}

/** The lines of an explanation that name a deciding statement, or state the decision. */
export const isDeciding = (line: string): boolean => /\bstatement \d+|^(Allowed|Denied)\b|\bgrant\b/.test(line);

/** Context keys as `key=value` lines; a key given twice has several values. */
export function parseContext(text: string): Record<string, string[]> {
  const context: Record<string, string[]> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`Context lines take key=value, got '${line}'.`);
    (context[line.slice(0, eq).trim()] ??= []).push(line.slice(eq + 1).trim());
  }
  return context;
}

/**
 * The permissions simulator over POST /_sealq/explain: the policy engine's decision and its reasons
 * for any principal, action and resource. Asking needs iam:SimulatePrincipalPolicy.
 */
export function simulatorView(session: Session): HTMLElement {
  const result = h('div', { 'data-testid': 'simulation' });
  const form = h(
    'form',
    { class: 'card', 'data-testid': 'simulator' },
    h('h1', {}, 'Permissions simulator'),
    h('p', { class: 'muted' }, 'Asks the same policy engine that authorizes every request, with the identity, session, boundary, queue and key policies in force.'),
    h('label', {}, h('span', {}, 'Principal ARN'), h('input', { type: 'text', name: 'principal', value: session.arn, required: true })),
    h('label', {}, h('span', {}, 'Action'), h('input', { type: 'text', name: 'action', placeholder: 'sqs:ReceiveMessage', required: true })),
    h('label', {}, h('span', {}, 'Resource ARN'), h('input', { type: 'text', name: 'resource', placeholder: `arn:aws:sqs:${session.region}:${session.account}:orders`, required: true })),
    h('label', {}, h('span', {}, 'Context keys'), h('textarea', { name: 'context', placeholder: 'aws:SourceIp=10.0.0.1, one key=value a line' })),
    h('label', {}, h('span', {}, 'Over TLS'), h('input', { type: 'checkbox', name: 'secure' })),
    h('button', { type: 'submit' }, 'Simulate'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    let context: Record<string, string[]>;
    try {
      context = parseContext(field(form, 'context'));
    } catch (error) {
      mount(result, errorBox(error));
      return;
    }
    const question = {
      principal: field(form, 'principal').trim(),
      action: field(form, 'action').trim(),
      resource: field(form, 'resource').trim(),
      context,
      secure: field(form, 'secure') === 'true',
    };
    admin<ExplainAnswer>(session, '/_sealq/explain', question).then(
      (answer) => mount(result, answerView(answer)),
      (error: unknown) => mount(result, errorBox(error)),
    );
  });
  return h('section', {}, form, result);
}

function answerView(answer: ExplainAnswer): HTMLElement {
  const allowed = answer.decision === 'Allow';
  return h(
    'section',
    { class: 'card' },
    h('div', { class: `decision ${allowed ? 'allow' : 'deny'}`, 'data-testid': 'decision' }, allowed ? 'Allow' : `Deny (${answer.decision})`),
    h('p', { class: 'mono' }, `${answer.principal} → ${answer.action} on ${answer.resource}`),
    h('ol', { class: 'explanation', 'data-testid': 'explanation' }, ...answer.explanation.map((line) => h('li', { class: isDeciding(line) ? 'deciding' : '' }, line))),
  );
}
