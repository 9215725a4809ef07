import { signIn, type Session } from '../api.js';
import { errorBox, field, h } from '../dom.js';

/** Sign-in with an access key pair: checked by STS GetCallerIdentity, kept in sessionStorage. */
export function signInView(onSignedIn: (session: Session) => void): HTMLElement {
  const status = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'card', 'data-testid': 'sign-in' },
    h('h1', {}, 'Sign in to sealq'),
    h('p', { class: 'muted' }, 'Use an access key pair of the account root, an IAM user or a role session. The keys stay in this tab (sessionStorage) and sign each request; every action is authorized as that principal.'),
    h('label', {}, h('span', {}, 'Access key ID'), h('input', { type: 'text', name: 'accessKeyId', required: true, autocomplete: 'username' })),
    h('label', {}, h('span', {}, 'Secret access key'), h('input', { type: 'password', name: 'secretAccessKey', required: true, autocomplete: 'current-password' })),
    h('label', {}, h('span', {}, 'Session token (optional)'), h('input', { type: 'text', name: 'sessionToken' })),
    h('label', {}, h('span', {}, 'Region'), h('input', { type: 'text', name: 'region', value: 'us-east-1', required: true })),
    h('button', { type: 'submit' }, 'Sign in'),
    status,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    status.replaceChildren(h('span', { class: 'muted' }, 'Checking…'));
    const sessionToken = field(form, 'sessionToken').trim();
    signIn({
      accessKeyId: field(form, 'accessKeyId').trim(),
      secretAccessKey: field(form, 'secretAccessKey'),
      sessionToken: sessionToken || undefined,
      region: field(form, 'region').trim() || 'us-east-1',
    }).then(onSignedIn, (error: unknown) => status.replaceChildren(errorBox(error)));
  });
  return form;
}
