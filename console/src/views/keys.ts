import { kms, type Session } from '../api.js';
import { errorBox, h, mount } from '../dom.js';

interface KeyMetadata {
  KeyId: string;
  Arn: string;
  KeyState: string;
  KeyManager: string;
  Description?: string;
  DeletionDate?: number | string;
  Enabled?: boolean;
}

const asDate = (d: number | string | undefined): string => (d === undefined ? '' : new Date(typeof d === 'number' ? d * 1000 : d).toISOString());

/**
 * Client-side checks of a key policy's basic grammar: JSON, Version, a Statement array, and per
 * statement Effect Allow/Deny, Principal, Action and Resource. Returns problems (empty when fine).
 * The server has the final word on Save.
 */
export function validatePolicy(text: string): string[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    return [`Not valid JSON: ${error instanceof Error ? error.message : String(error)}`];
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return ['The policy must be a JSON object.'];
  const policy = doc as Record<string, unknown>;
  const problems: string[] = [];
  if (policy.Version !== '2012-10-17' && policy.Version !== '2008-10-17') problems.push('Version must be "2012-10-17" (or "2008-10-17").');
  const statements = Array.isArray(policy.Statement) ? policy.Statement : policy.Statement && typeof policy.Statement === 'object' ? [policy.Statement] : undefined;
  if (!statements || statements.length === 0) {
    problems.push('Statement must be a non-empty array of statements.');
    return problems;
  }
  statements.forEach((raw: unknown, i) => {
    const where = `Statement ${i + 1}`;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
      problems.push(`${where} must be an object.`);
      return;
    }
    const st = raw as Record<string, unknown>;
    if (st.Effect !== 'Allow' && st.Effect !== 'Deny') problems.push(`${where}: Effect must be "Allow" or "Deny".`);
    if (st.Principal === undefined && st.NotPrincipal === undefined) problems.push(`${where}: a key policy statement needs a Principal.`);
    if (st.Action === undefined && st.NotAction === undefined) problems.push(`${where}: Action is missing.`);
    if (st.Resource === undefined && st.NotResource === undefined) problems.push(`${where}: Resource is missing.`);
    for (const name of ['Action', 'NotAction', 'Resource', 'NotResource']) {
      const v = st[name];
      if (v !== undefined && typeof v !== 'string' && !(Array.isArray(v) && v.every((x) => typeof x === 'string'))) {
        problems.push(`${where}: ${name} must be a string or an array of strings.`);
      }
    }
  });
  return problems;
}

/** Every page of a KMS list call (Marker/NextMarker while Truncated). */
async function allPages<T>(session: Session, action: string, field: string): Promise<T[]> {
  const all: T[] = [];
  let marker: string | undefined;
  do {
    const page = await kms<Record<string, unknown>>(session, action, { Limit: 100, ...(marker ? { Marker: marker } : {}) });
    all.push(...((page[field] as T[] | undefined) ?? []));
    marker = page.Truncated ? (page.NextMarker as string | undefined) : undefined;
  } while (marker);
  return all;
}

/** Keys: state, manager, aliases, rotation, deletion schedule; per key, the key policy editor. */
export async function keysView(session: Session): Promise<HTMLElement> {
  const status = h('div', { 'aria-live': 'polite', 'data-testid': 'keys-status' });
  const table = h('div');
  const editor = h('div', { 'data-testid': 'key-detail' });
  const act = (what: string, run: () => Promise<unknown>) => {
    run().then(
      async () => {
        mount(status, h('div', { class: 'ok' }, what));
        await list();
      },
      (error: unknown) => mount(status, errorBox(error)),
    );
  };
  const list = async () => {
    try {
      const [Keys, Aliases] = await Promise.all([
        allPages<{ KeyId: string; KeyArn: string }>(session, 'ListKeys', 'Keys'),
        allPages<{ AliasName: string; TargetKeyId?: string }>(session, 'ListAliases', 'Aliases'),
      ]);
      const rows = await Promise.all(
        Keys.map(async (k) => {
          let meta: KeyMetadata;
          try {
            ({ KeyMetadata: meta } = await kms<{ KeyMetadata: KeyMetadata }>(session, 'DescribeKey', { KeyId: k.KeyId }));
          } catch (error) {
            // A key the caller may list but not describe: its row says why.
            const reason = error && typeof error === 'object' && 'code' in error ? String((error as { code: string }).code) : 'unknown';
            meta = { KeyId: k.KeyId, Arn: k.KeyArn, KeyState: `(${reason})`, KeyManager: '' };
          }
          let rotation = '';
          if (meta.KeyManager === 'CUSTOMER' && meta.KeyState === 'Enabled') {
            try {
              const r = await kms<{ KeyRotationEnabled: boolean }>(session, 'GetKeyRotationStatus', { KeyId: k.KeyId });
              rotation = r.KeyRotationEnabled ? 'on' : 'off';
            } catch (error) {
              rotation = error && typeof error === 'object' && 'code' in error ? String((error as { code: string }).code) : 'unknown';
            }
          }
          const aliases = Aliases.filter((a) => a.TargetKeyId === k.KeyId).map((a) => a.AliasName);
          return { meta, rotation, aliases };
        }),
      );
      mount(
        table,
        h(
          'table',
          { 'data-testid': 'keys' },
          h('thead', {}, h('tr', {}, ...['Key', 'Aliases', 'State', 'Manager', 'Rotation', 'Deletion date', ''].map((t) => h('th', {}, t)))),
          h(
            'tbody',
            {},
            ...rows.map(({ meta, rotation, aliases }) =>
              h(
                'tr',
                { 'data-key-id': meta.KeyId },
                h('td', { class: 'mono' }, meta.KeyId, meta.Description ? h('div', { class: 'muted' }, meta.Description) : null),
                h('td', { class: 'mono', 'data-testid': 'aliases' }, aliases.join(', ')),
                h('td', { 'data-testid': 'state' }, meta.KeyState),
                h('td', {}, meta.KeyManager),
                h('td', { 'data-testid': 'rotation' }, rotation),
                h('td', { 'data-testid': 'deletion' }, asDate(meta.DeletionDate)),
                h(
                  'td',
                  {},
                  h('button', { type: 'button', onclick: () => void showPolicy(meta) }, 'Policy'),
                  meta.KeyManager === 'CUSTOMER' && meta.KeyState === 'Enabled'
                    ? h(
                        'button',
                        { type: 'button', onclick: () => act(`Rotation ${rotation === 'on' ? 'disabled' : 'enabled'} for ${meta.KeyId}.`, () => kms(session, rotation === 'on' ? 'DisableKeyRotation' : 'EnableKeyRotation', { KeyId: meta.KeyId })) },
                        rotation === 'on' ? 'Disable rotation' : 'Enable rotation',
                      )
                    : null,
                  meta.KeyManager === 'CUSTOMER' && meta.KeyState === 'PendingDeletion'
                    ? h('button', { type: 'button', onclick: () => act(`Deletion of ${meta.KeyId} cancelled (the key is disabled).`, () => kms(session, 'CancelKeyDeletion', { KeyId: meta.KeyId })) }, 'Cancel deletion')
                    : meta.KeyManager === 'CUSTOMER'
                      ? h(
                          'button',
                          { type: 'button', class: 'danger', onclick: () => act(`Deletion of ${meta.KeyId} scheduled in 30 days.`, () => kms(session, 'ScheduleKeyDeletion', { KeyId: meta.KeyId, PendingWindowInDays: 30 })) },
                          'Schedule deletion',
                        )
                      : null,
                ),
              ),
            ),
          ),
        ),
      );
    } catch (error) {
      mount(table, errorBox(error));
    }
  };
  const showPolicy = async (meta: KeyMetadata) => {
    let text: string;
    try {
      ({ Policy: text } = await kms<{ Policy: string }>(session, 'GetKeyPolicy', { KeyId: meta.KeyId, PolicyName: 'default' }));
    } catch (error) {
      mount(editor, errorBox(error));
      return;
    }
    const pretty = (() => {
      try {
        return JSON.stringify(JSON.parse(text), null, 2);
      } catch {
        return text;
      }
    })();
    const area = h('textarea', { name: 'policy', rows: 20, spellcheck: 'false', class: 'mono' });
    area.value = pretty;
    const messages = h('div', { 'aria-live': 'polite', 'data-testid': 'policy-messages' });
    const validate = (): boolean => {
      const problems = validatePolicy(area.value);
      if (problems.length === 0) mount(messages, h('div', { class: 'ok' }, 'The policy is well formed.'));
      else mount(messages, h('div', { class: 'error', role: 'alert' }, h('ul', {}, ...problems.map((p) => h('li', {}, p)))));
      return problems.length === 0;
    };
    const save = () => {
      if (!validate()) return;
      kms(session, 'PutKeyPolicy', { KeyId: meta.KeyId, PolicyName: 'default', Policy: area.value }).then(
        () => mount(messages, h('div', { class: 'ok' }, 'Key policy saved.')),
        (error: unknown) => mount(messages, errorBox(error)),
      );
    };
    mount(
      editor,
      h(
        'section',
        { class: 'card', 'data-testid': 'policy-editor', 'data-key-id': meta.KeyId },
        h('h2', {}, `Key policy of ${meta.KeyId}`),
        h('p', { class: 'muted' }, 'Validate checks the JSON and the basic grammar here; the server checks the rest on Save and may refuse (for example a policy that would lock you out of the key).'),
        area,
        h('div', {}, h('button', { type: 'button', onclick: () => void validate() }, 'Validate'), ' ', h('button', { type: 'button', onclick: save }, 'Save')),
        messages,
      ),
    );
  };
  await list();
  return h('section', {}, h('h1', {}, 'Keys'), status, table, editor);
}
