import { admin, sqs, type Session } from '../api.js';
import { errorBox, field, h, mount } from '../dom.js';
import { sseOf } from './queues.js';

/** What POST /_sealq/peek returns per message. */
interface Peeked {
  messageId: string;
  sentTimestamp: number;
  state: string;
  approximateReceiveCount: number;
  messageGroupId?: string;
  messageDeduplicationId?: string;
  messageAttributes?: Record<string, { dataType: string; stringValue?: string; binaryValue?: string }>;
  encryptedWith?: string;
  body?: string;
  denied?: { keyArn: string; permission: string; reason: string };
  unavailable?: { keyArn: string; code: string; reason: string };
}

const EDITABLE = ['VisibilityTimeout', 'DelaySeconds', 'MessageRetentionPeriod', 'MaximumMessageSize', 'ReceiveMessageWaitTimeSeconds', 'KmsDataKeyReusePeriodSeconds', 'RedrivePolicy'];

/** One queue: its attributes (editable), sending a message, and browsing without changing visibility. */
export async function queueView(session: Session, path: string): Promise<HTMLElement> {
  const [account, name] = path.split('/');
  const url = `${location.origin}/${account}/${name}`;
  const fifo = name.endsWith('.fifo');
  const status = h('div', { 'aria-live': 'polite', 'data-testid': 'queue-status' });
  const attributesBox = h('div');
  const showAttributes = async () => {
    try {
      const { Attributes = {} } = await sqs<{ Attributes?: Record<string, string> }>(session, 'GetQueueAttributes', { QueueUrl: url, AttributeNames: ['All'] });
      mount(
        attributesBox,
        h('p', {}, 'Encryption: ', h('span', { class: 'mono', 'data-testid': 'queue-sse' }, sseOf(Attributes))),
        h('table', {}, h('tbody', {}, ...Object.entries(Attributes).sort().map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', { class: 'mono' }, v))))),
      );
    } catch (error) {
      mount(attributesBox, errorBox(error));
    }
  };
  await showAttributes();
  const redrive = await redriveCard(session, url, status, showAttributes);
  const messages = h('div', { 'data-testid': 'messages' });
  const browse = async () => {
    try {
      const answer = await admin<{ messages: Peeked[] }>(session, '/_sealq/peek', { queueUrl: url, max: 50 });
      mount(messages, messageTable(answer.messages));
    } catch (error) {
      mount(messages, errorBox(error));
    }
  };
  return h(
    'section',
    {},
    h('p', {}, h('a', { href: '#/queues' }, '← Queues')),
    h('h1', {}, name),
    h('p', { class: 'mono muted' }, url),
    status,
    attributesBox,
    redrive,
    editForm(session, url, status, showAttributes),
    sendForm(session, url, fifo, status, async () => {
      await showAttributes();
      await browse();
    }),
    h(
      'section',
      { class: 'card' },
      h('h2', {}, 'Messages'),
      h('p', { class: 'muted' }, 'Browsing shows messages without receiving them: visibility and receive counts do not change. A body encrypted under a KMS key is shown only if you hold kms:Decrypt on that key.'),
      h('button', { type: 'button', onclick: () => void browse() }, 'Browse messages'),
      messages,
    ),
  );
}

function messageTable(list: Peeked[]): HTMLElement {
  if (list.length === 0) return h('p', { class: 'muted' }, 'The queue is empty.');
  return h(
    'table',
    {},
    h('thead', {}, h('tr', {}, ...['Message', 'Sent', 'State', 'Receives', 'Attributes', 'Body'].map((t) => h('th', {}, t)))),
    h(
      'tbody',
      {},
      ...list.map((m) =>
        h(
          'tr',
          { 'data-message-id': m.messageId },
          h('td', { class: 'mono' }, m.messageId, m.messageGroupId ? h('div', { class: 'muted' }, `group ${m.messageGroupId}`) : null),
          h('td', {}, new Date(m.sentTimestamp).toISOString()),
          h('td', {}, m.state),
          h('td', { class: 'num' }, m.approximateReceiveCount),
          h('td', { class: 'mono' }, ...Object.entries(m.messageAttributes ?? {}).map(([k, a]) => h('div', {}, `${k} (${a.dataType}) = ${a.stringValue ?? a.binaryValue ?? ''}`))),
          h('td', {}, bodyCell(m)),
        ),
      ),
    ),
  );
}

function bodyCell(m: Peeked): Node {
  if (m.denied) {
    return h(
      'div',
      { class: 'refusal', 'data-testid': 'refusal' },
      `You need ${m.denied.permission} on ${m.denied.keyArn} to read this message.`,
      h('div', { class: 'muted' }, m.denied.reason),
    );
  }
  if (m.unavailable) return h('div', { class: 'refusal' }, `${m.unavailable.code} on ${m.unavailable.keyArn}: ${m.unavailable.reason}`);
  return h(
    'div',
    {},
    h('pre', { class: 'mono', 'data-testid': 'body' }, m.body ?? ''),
    m.encryptedWith ? h('div', { class: 'muted' }, m.encryptedWith === 'sqs-owned' ? 'decrypted (SSE-SQS)' : `decrypted with ${m.encryptedWith}`) : null,
  );
}

function editForm(session: Session, url: string, status: HTMLElement, done: () => Promise<void>): HTMLElement {
  const form = h(
    'form',
    { class: 'card', 'data-testid': 'edit-queue' },
    h('h2', {}, 'Edit an attribute'),
    h('label', {}, h('span', {}, 'Attribute'), h('select', { name: 'attribute' }, ...EDITABLE.map((a) => h('option', { value: a }, a)))),
    h('label', {}, h('span', {}, 'Value'), h('input', { type: 'text', name: 'value' })),
    h('button', { type: 'submit' }, 'Save'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const attribute = field(form, 'attribute');
    sqs(session, 'SetQueueAttributes', { QueueUrl: url, Attributes: { [attribute]: field(form, 'value') } }).then(
      async () => {
        mount(status, h('div', { class: 'ok' }, `${attribute} saved.`));
        await done();
      },
      (error: unknown) => mount(status, errorBox(error)),
    );
  });
  return form;
}

/**
 * One attribute line of the send form: `name=text` (String), or `name:Type=value` where Type is
 * String, Number or Binary, optionally with a custom suffix (`Number.float`); Binary values are
 * base64. The server validates names and values; this only splits the line.
 */
export function parseAttributeLine(
  line: string,
): { name: string; value: { DataType: string; StringValue?: string; BinaryValue?: string } } | string {
  const eq = line.indexOf('=');
  if (eq <= 0) return `Attribute lines take name=value or name:Type=value: '${line}'`;
  const left = line.slice(0, eq).trim();
  const raw = line.slice(eq + 1);
  const colon = left.indexOf(':');
  const name = colon < 0 ? left : left.slice(0, colon);
  const dataType = colon < 0 ? 'String' : left.slice(colon + 1);
  if (!/^(String|Number|Binary)(\..+)?$/.test(dataType)) return `Attribute type must be String, Number or Binary (with an optional .suffix): '${dataType}'`;
  return { name, value: dataType.startsWith('Binary') ? { DataType: dataType, BinaryValue: raw.trim() } : { DataType: dataType, StringValue: raw } };
}

function sendForm(session: Session, url: string, fifo: boolean, status: HTMLElement, sent: () => Promise<void>): HTMLElement {
  const form = h(
    'form',
    { class: 'card', 'data-testid': 'send-message' },
    h('h2', {}, 'Send a message'),
    h('label', {}, h('span', {}, 'Body'), h('textarea', { name: 'body', required: true })),
    h(
      'label',
      {},
      h('span', {}, 'Attributes'),
      h('textarea', { name: 'attributes', placeholder: 'one a line: name=text, name:Number=42, name:Binary=<base64>' }),
    ),
    fifo ? h('label', {}, h('span', {}, 'Message group id'), h('input', { type: 'text', name: 'groupId', required: true })) : null,
    fifo ? h('label', {}, h('span', {}, 'Deduplication id'), h('input', { type: 'text', name: 'dedupId' })) : null,
    h('button', { type: 'submit' }, 'Send'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const input: Record<string, unknown> = { QueueUrl: url, MessageBody: field(form, 'body') };
    const attributes: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }> = {};
    for (const line of field(form, 'attributes').split('\n')) {
      if (line.trim() === '') continue;
      const parsed = parseAttributeLine(line);
      if (typeof parsed === 'string') {
        mount(status, h('div', { class: 'error' }, parsed));
        return;
      }
      attributes[parsed.name] = parsed.value;
    }
    if (Object.keys(attributes).length > 0) input.MessageAttributes = attributes;
    if (fifo) {
      input.MessageGroupId = field(form, 'groupId');
      const dedup = field(form, 'dedupId').trim();
      if (dedup) input.MessageDeduplicationId = dedup;
    }
    sqs<{ MessageId: string }>(session, 'SendMessage', input).then(
      async ({ MessageId }) => {
        mount(status, h('div', { class: 'ok' }, `Sent message ${MessageId}.`));
        form.reset();
        await sent();
      },
      (error: unknown) => mount(status, errorBox(error)),
    );
  });
  return form;
}

interface MoveTask {
  Status: string;
  ApproximateNumberOfMessagesMoved?: number;
  ApproximateNumberOfMessagesToMove?: number;
  FailureReason?: string;
}

/**
 * On a dead-letter queue (one that ListDeadLetterSourceQueues names sources for): a redrive button
 * that starts a message move task back to the sources and polls ListMessageMoveTasks until the
 * task is no longer RUNNING.
 */
async function redriveCard(session: Session, url: string, status: HTMLElement, done: () => Promise<void>): Promise<HTMLElement | null> {
  let sources: string[];
  try {
    ({ queueUrls: sources = [] } = await sqs<{ queueUrls?: string[] }>(session, 'ListDeadLetterSourceQueues', { QueueUrl: url }));
  } catch {
    return null;
  }
  if (sources.length === 0) return null;
  const progress = h('div', { 'aria-live': 'polite', 'data-testid': 'redrive-progress' });
  const button = h('button', { type: 'button', 'data-testid': 'redrive' }, 'Redrive messages to their source queues');
  const show = (task: MoveTask) =>
    mount(
      progress,
      h('span', { 'data-testid': 'redrive-status' }, task.Status),
      ' ',
      h('span', { 'data-testid': 'redrive-count' }, `${task.ApproximateNumberOfMessagesMoved ?? 0} of ${task.ApproximateNumberOfMessagesToMove ?? '?'} moved`),
      task.FailureReason ? h('div', { class: 'error' }, task.FailureReason) : null,
    );
  button.addEventListener('click', () => {
    void (async () => {
      button.disabled = true;
      try {
        const { Attributes = {} } = await sqs<{ Attributes?: Record<string, string> }>(session, 'GetQueueAttributes', { QueueUrl: url, AttributeNames: ['QueueArn'] });
        const sourceArn = Attributes.QueueArn;
        await sqs(session, 'StartMessageMoveTask', { SourceArn: sourceArn });
        for (;;) {
          const { Results = [] } = await sqs<{ Results?: MoveTask[] }>(session, 'ListMessageMoveTasks', { SourceArn: sourceArn, MaxResults: 1 });
          const task = Results[0];
          if (!task) break;
          show(task);
          if (task.Status !== 'RUNNING' && task.Status !== 'CANCELLING') break;
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
        await done();
      } catch (error) {
        mount(status, errorBox(error));
      } finally {
        button.disabled = false;
      }
    })();
  });
  return h(
    'section',
    { class: 'card', 'data-testid': 'redrive-card' },
    h('h2', {}, 'Dead-letter queue'),
    h('p', {}, 'Source queues: ', ...sources.map((u, i) => [i > 0 ? ', ' : '', h('span', { class: 'mono' }, u.split('/').pop() ?? u)]).flat()),
    button,
    progress,
  );
}
