import { query, type Session } from '../api.js';
import { errorBox, h, mount } from '../dom.js';

/** The text of each `member` of the first `<list>` element. */
function members(doc: Document, list: string, child?: string): string[] {
  const el = doc.getElementsByTagName(list)[0];
  if (!el) return [];
  return Array.from(el.children)
    .filter((m) => m.tagName === 'member')
    .map((m) => (child ? m.getElementsByTagName(child)[0]?.textContent ?? '' : m.textContent ?? ''));
}

/** Names and ARNs from every page of ListUsers or ListRoles (Marker while IsTruncated). */
async function listAll(session: Session, action: string, list: string, nameTag: string): Promise<Array<{ name: string; arn: string }>> {
  const out: Array<{ name: string; arn: string }> = [];
  let marker = '';
  for (let pages = 0; pages < 50; pages++) {
    const doc = await query(session, 'iam', action, { MaxItems: '100', ...(marker ? { Marker: marker } : {}) });
    const arns = members(doc, list, 'Arn');
    out.push(...members(doc, list, nameTag).map((name, i) => ({ name, arn: arns[i] ?? '' })));
    marker = doc.getElementsByTagName('IsTruncated')[0]?.textContent === 'true' ? doc.getElementsByTagName('Marker')[0]?.textContent ?? '' : '';
    if (!marker) break;
  }
  return out;
}

interface Principal {
  kind: 'user' | 'role';
  name: string;
  arn: string;
  attached: string[];
  inline: string[];
}

async function describe(session: Session, kind: 'user' | 'role', name: string, arn: string): Promise<Principal> {
  const Kind = kind === 'user' ? 'User' : 'Role';
  const param = { [`${Kind}Name`]: name };
  const [attached, inline] = await Promise.all([
    query(session, 'iam', `ListAttached${Kind}Policies`, param).then((d) => members(d, 'AttachedPolicies', 'PolicyName'), () => ['(not allowed to list)']),
    query(session, 'iam', `List${Kind}Policies`, param).then((d) => members(d, 'PolicyNames'), () => ['(not allowed to list)']),
  ]);
  return { kind, name, arn, attached, inline };
}

/**
 * Principals over IAM's Query API as the signed-in principal: users and roles with their attached
 * and inline policy names, and a new access key for a user (its secret shown once).
 */
export async function principalsView(session: Session): Promise<HTMLElement> {
  const status = h('div', { 'aria-live': 'polite', 'data-testid': 'principals-status' });
  const body = h('div');
  try {
    const [userList, roleList] = await Promise.all([listAll(session, 'ListUsers', 'Users', 'UserName'), listAll(session, 'ListRoles', 'Roles', 'RoleName')]);
    const rows = await Promise.all([
      ...userList.map((u) => describe(session, 'user', u.name, u.arn)),
      ...roleList.map((r) => describe(session, 'role', r.name, r.arn)),
    ]);
    const createKey = (user: string) => {
      query(session, 'iam', 'CreateAccessKey', { UserName: user }).then(
        (doc) => {
          const text = (n: string) => doc.getElementsByTagName(n)[0]?.textContent ?? '';
          mount(
            status,
            h(
              'div',
              { class: 'ok', 'data-testid': 'new-access-key' },
              h('div', {}, `New access key for ${user}: `, h('span', { class: 'mono', 'data-testid': 'new-key-id' }, text('AccessKeyId'))),
              h('div', {}, 'Secret: ', h('span', { class: 'mono', 'data-testid': 'new-key-secret' }, text('SecretAccessKey'))),
              h('div', { class: 'muted' }, 'Copy the secret now: it is not shown again.'),
            ),
          );
        },
        (error: unknown) => mount(status, errorBox(error)),
      );
    };
    mount(
      body,
      h(
        'table',
        { 'data-testid': 'principals' },
        h('thead', {}, h('tr', {}, ...['Kind', 'Name', 'ARN', 'Attached policies', 'Inline policies', ''].map((t) => h('th', {}, t)))),
        h(
          'tbody',
          {},
          ...rows.map((p) =>
            h(
              'tr',
              { 'data-principal': `${p.kind}/${p.name}` },
              h('td', {}, p.kind),
              h('td', {}, p.name),
              h('td', { class: 'mono' }, p.arn),
              h('td', { class: 'mono', 'data-testid': 'attached' }, p.attached.join(', ')),
              h('td', { class: 'mono', 'data-testid': 'inline' }, p.inline.join(', ')),
              h('td', {}, p.kind === 'user' ? h('button', { type: 'button', onclick: () => createKey(p.name) }, 'Create access key') : null),
            ),
          ),
        ),
      ),
    );
  } catch (error) {
    mount(body, errorBox(error));
  }
  return h('section', {}, h('h1', {}, 'Principals'), status, body);
}
