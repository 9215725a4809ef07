import { admin, kms, sqs, type Session } from '../api.js';
import { errorBox, field, h, mount } from '../dom.js';

export interface QueueRow {
  url: string;
  name: string;
  account: string;
  attributes: Record<string, string>;
  /** When the oldest message was sent, if there is one and the caller may browse the queue. */
  oldestSentAt?: number;
  error?: unknown;
}

/** `42 s`, `5 min`, `3 h`, `2 d`: an age at a glance. */
export function formatAge(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)} h`;
  return `${Math.floor(seconds / 86_400)} d`;
}

/** SSE-SQS, SSE-KMS with its key, or none, as the queue's attributes say. */
export function sseOf(attributes: Record<string, string>): string {
  if (attributes.KmsMasterKeyId) return `SSE-KMS ${attributes.KmsMasterKeyId}`;
  if (attributes.SqsManagedSseEnabled === 'true') return 'SSE-SQS';
  return 'none';
}

/** The queue route of a queue ARN or URL. */
export function routeOf(account: string, name: string): string {
  return `/queue/${account}/${name}`;
}

export async function loadQueues(session: Session): Promise<QueueRow[]> {
  const { QueueUrls = [] } = await sqs<{ QueueUrls?: string[] }>(session, 'ListQueues', { MaxResults: 1000 });
  return Promise.all(
    QueueUrls.map(async (url) => {
      const [account, name] = new URL(url).pathname.split('/').filter(Boolean);
      try {
        const { Attributes = {} } = await sqs<{ Attributes?: Record<string, string> }>(session, 'GetQueueAttributes', { QueueUrl: url, AttributeNames: ['All'] });
        // The oldest message's age: a peek at the first message, without its body (no KMS call).
        const oldest = await admin<{ messages: Array<{ sentTimestamp: number }> }>(session, '/_sealq/peek', { queueUrl: url, max: 1, bodies: false }).catch(() => undefined);
        return { url, name, account, attributes: Attributes, oldestSentAt: oldest?.messages[0]?.sentTimestamp };
      } catch (error) {
        return { url, name, account, attributes: {}, error };
      }
    }),
  );
}

function dlqCell(attributes: Record<string, string>): Node | string {
  if (!attributes.RedrivePolicy) return '';
  try {
    const policy = JSON.parse(attributes.RedrivePolicy) as { deadLetterTargetArn: string; maxReceiveCount: number | string };
    const [, , , , account, name] = policy.deadLetterTargetArn.split(':');
    return h('span', {}, h('a', { href: `#${routeOf(account, name)}` }, name), h('span', { class: 'muted' }, ` after ${policy.maxReceiveCount} receives`));
  } catch {
    return attributes.RedrivePolicy;
  }
}

/** The queues the caller may list, with their depth, encryption and dead-letter queue; create, purge, delete. */
export async function queuesView(session: Session, go: (route: string) => void): Promise<HTMLElement> {
  const status = h('div', { 'aria-live': 'polite', 'data-testid': 'queues-status' });
  const table = h('div');
  const refresh = async () => {
    try {
      const rows = await loadQueues(session);
      mount(table, queueTable(session, rows, status, refresh));
    } catch (error) {
      mount(table, errorBox(error));
    }
  };
  await refresh();
  return h(
    'section',
    {},
    h('h1', {}, 'Queues'),
    h('button', { type: 'button', onclick: () => void refresh() }, 'Refresh'),
    status,
    table,
    createForm(session, status, (account, name) => go(routeOf(account, name))),
  );
}

function queueTable(session: Session, rows: QueueRow[], status: HTMLElement, refresh: () => Promise<void>): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'muted' }, 'No queues yet.');
  const act = (label: string, run: () => Promise<unknown>, done: string, danger = false) =>
    h('button', {
      type: 'button',
      class: danger ? 'danger' : '',
      onclick: () => {
        run().then(
          async () => {
            mount(status, h('div', { class: 'ok' }, done));
            await refresh();
          },
          (error: unknown) => mount(status, errorBox(error)),
        );
      },
    }, label);
  return h(
    'table',
    { 'data-testid': 'queues' },
    h('thead', {}, h('tr', {}, ...['Name', 'Visible', 'In flight', 'Delayed', 'Encryption', 'Dead-letter queue', 'Oldest message', ''].map((t) => h('th', {}, t)))),
    h(
      'tbody',
      {},
      ...rows.map((q) =>
        h(
          'tr',
          { 'data-queue': q.name },
          h('td', {}, h('a', { href: `#${routeOf(q.account, q.name)}` }, q.name), q.error ? h('div', { class: 'muted' }, 'attributes not readable') : null),
          h('td', { class: 'num' }, q.attributes.ApproximateNumberOfMessages ?? ''),
          h('td', { class: 'num' }, q.attributes.ApproximateNumberOfMessagesNotVisible ?? ''),
          h('td', { class: 'num' }, q.attributes.ApproximateNumberOfMessagesDelayed ?? ''),
          h('td', { class: 'mono' }, q.error ? '' : sseOf(q.attributes)),
          h('td', {}, dlqCell(q.attributes)),
          h('td', { class: 'num', 'data-testid': 'oldest' }, q.oldestSentAt === undefined ? '' : formatAge(Date.now() - q.oldestSentAt)),
          h(
            'td',
            {},
            act('Purge', () => sqs(session, 'PurgeQueue', { QueueUrl: q.url }), `Purged ${q.name}.`),
            ' ',
            act('Delete', () => sqs(session, 'DeleteQueue', { QueueUrl: q.url }), `Deleted ${q.name}.`, true),
          ),
        ),
      ),
    ),
  );
}

function createForm(session: Session, status: HTMLElement, opened: (account: string, name: string) => void): HTMLElement {
  const keys = h('datalist', { id: 'kms-keys' });
  // Offer the keys the caller may list; a caller who may not can still type a key id or alias.
  Promise.all([
    kms<{ Keys?: Array<{ KeyArn: string }> }>(session, 'ListKeys', {}),
    kms<{ Aliases?: Array<{ AliasName: string; TargetKeyId?: string }> }>(session, 'ListAliases', {}).catch(() => ({ Aliases: [] })),
  ]).then(
    ([k, a]) => mount(keys, ...(k.Keys ?? []).map((key) => h('option', { value: key.KeyArn })), ...(a.Aliases ?? []).map((x) => h('option', { value: x.AliasName }))),
    () => undefined,
  );
  const keyLabel = h('label', { hidden: true }, h('span', {}, 'KMS key (id, ARN or alias)'), h('input', { type: 'text', name: 'kmsKey', list: 'kms-keys' }), keys);
  const form = h(
    'form',
    { class: 'card', 'data-testid': 'create-queue' },
    h('h2', {}, 'Create a queue'),
    h('label', {}, h('span', {}, 'Name'), h('input', { type: 'text', name: 'name', required: true })),
    h('label', {}, h('span', {}, 'FIFO'), h('input', { type: 'checkbox', name: 'fifo' }), h('span', { class: 'muted' }, ' (the name must end in .fifo)')),
    h(
      'label',
      {},
      h('span', {}, 'Encryption'),
      h(
        'select',
        {
          name: 'sse',
          onchange: (event: Event) => {
            keyLabel.hidden = (event.target as HTMLSelectElement).value !== 'kms';
          },
        },
        h('option', { value: 'sqs' }, 'SSE-SQS (sealq-owned key)'),
        h('option', { value: 'kms' }, 'SSE-KMS (a KMS key of yours)'),
        h('option', { value: 'none' }, 'None'),
      ),
    ),
    keyLabel,
    h('label', {}, h('span', {}, 'Visibility timeout (s)'), h('input', { type: 'text', name: 'visibility', placeholder: '30' })),
    h('button', { type: 'submit' }, 'Create queue'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const name = field(form, 'name').trim();
    const attributes: Record<string, string> = {};
    if (field(form, 'fifo')) attributes.FifoQueue = 'true';
    const sse = field(form, 'sse');
    if (sse === 'none') attributes.SqsManagedSseEnabled = 'false';
    if (sse === 'kms') attributes.KmsMasterKeyId = field(form, 'kmsKey').trim();
    const visibility = field(form, 'visibility').trim();
    if (visibility !== '') attributes.VisibilityTimeout = visibility;
    sqs<{ QueueUrl: string }>(session, 'CreateQueue', { QueueName: name, Attributes: attributes }).then(
      ({ QueueUrl }) => {
        const [account, queueName] = new URL(QueueUrl).pathname.split('/').filter(Boolean);
        opened(account, queueName);
      },
      (error: unknown) => mount(status, errorBox(error)),
    );
  });
  return form;
}
