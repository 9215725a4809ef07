import { admin, events, query, s3Get, type Session } from '../api.js';
import { errorBox, h, mount } from '../dom.js';

interface Failure {
  time: number;
  source: string;
  sourceArn: string;
  destination: string;
  outcome: string;
  errorCode?: string;
}

const texts = (el: Element | Document, tag: string): string[] => Array.from(el.getElementsByTagName(tag), (e) => e.textContent ?? '');
const text = (el: Element | Document, tag: string): string => el.getElementsByTagName(tag)[0]?.textContent ?? '';

function table(testid: string, heads: string[], rows: Array<Array<Node | string>>, empty: string): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'muted', 'data-testid': testid }, empty);
  return h(
    'table',
    { 'data-testid': testid },
    h('thead', {}, h('tr', {}, ...heads.map((t) => h('th', {}, t)))),
    h('tbody', {}, ...rows.map((cells) => h('tr', {}, ...cells.map((c) => h('td', { class: 'mono' }, c))))),
  );
}

/** Runs one section's loader; its failure (e.g. AccessDenied) is shown in the section only. */
async function section(title: string, load: () => Promise<HTMLElement>): Promise<HTMLElement> {
  let content: HTMLElement;
  try {
    content = await load();
  } catch (error) {
    content = errorBox(error);
  }
  return h('section', { class: 'card' }, h('h2', {}, title), content);
}

/** Every page of an SNS list call (NextToken). */
async function snsPages(session: Session, action: string): Promise<Document[]> {
  const docs: Document[] = [];
  let token = '';
  do {
    const doc = await query(session, 'sns', action, token ? { NextToken: token } : {});
    docs.push(doc);
    token = text(doc, 'NextToken');
  } while (token && docs.length < 50);
  return docs;
}

async function topics(session: Session): Promise<HTMLElement> {
  const [t, s] = await Promise.all([snsPages(session, 'ListTopics'), snsPages(session, 'ListSubscriptions')]);
  const subs = s.flatMap((doc) => Array.from(doc.getElementsByTagName('Subscriptions')[0]?.children ?? []).filter((m) => m.tagName === 'member'));
  return h(
    'div',
    {},
    table('topics', ['Topic'], t.flatMap((doc) => texts(doc, 'TopicArn')).map((arn) => [arn]), 'No topics.'),
    h('h3', {}, 'Subscriptions'),
    table(
      'subscriptions',
      ['Subscription', 'Topic', 'Protocol', 'Endpoint'],
      subs.map((m) => [text(m, 'SubscriptionArn'), text(m, 'TopicArn'), text(m, 'Protocol'), text(m, 'Endpoint')]),
      'No subscriptions.',
    ),
  );
}

async function rules(session: Session): Promise<HTMLElement> {
  type Rule = { Name: string; Arn: string; State?: string; EventPattern?: string; ScheduleExpression?: string; EventBusName?: string };
  const Rules: Rule[] = [];
  let token: string | undefined;
  do {
    const page = await events<{ Rules?: Rule[]; NextToken?: string }>(session, 'ListRules', token ? { NextToken: token } : {});
    Rules.push(...(page.Rules ?? []));
    token = page.NextToken;
  } while (token);
  const rows = await Promise.all(
    Rules.map(async (r) => {
      const { Targets = [] } = await events<{ Targets?: Array<{ Id: string; Arn: string }> }>(session, 'ListTargetsByRule', { Rule: r.Name, EventBusName: r.EventBusName });
      return [r.Arn, r.State ?? '', r.EventPattern ?? r.ScheduleExpression ?? '', Targets.map((t) => `${t.Id}: ${t.Arn}`).join('\n')];
    }),
  );
  return table('rules', ['Rule', 'State', 'Pattern or schedule', 'Targets'], rows, 'No rules.');
}

async function buckets(session: Session): Promise<HTMLElement> {
  const names = texts(await s3Get(session, '/'), 'Name');
  const rows = await Promise.all(
    names.map(async (name) => {
      const doc = await s3Get(session, `/${encodeURIComponent(name)}`, 'notification=');
      const configs = Array.from(doc.getElementsByTagName('QueueConfiguration'), (c) => `${text(c, 'Id')}: ${texts(c, 'Event').join(', ')} → ${text(c, 'Queue')}`);
      return [name, configs.join('\n')];
    }),
  );
  return table('buckets', ['Bucket', 'Notifications'], rows, 'No buckets.');
}

async function failures(session: Session): Promise<HTMLElement> {
  const { deliveries } = await admin<{ deliveries: Failure[] }>(session, '/_sealq/deliveries', { max: 100 });
  return table(
    'delivery-failures',
    ['Time', 'Source', 'From', 'To', 'Outcome', 'Error code'],
    deliveries.map((d) => [new Date(d.time).toISOString(), d.source, d.sourceArn, d.destination, d.outcome, d.errorCode ?? '']),
    'No failed deliveries.',
  );
}

/**
 * Event sources as the signed-in principal: SNS topics and subscriptions, EventBridge rules and
 * targets, S3 buckets with their notification configurations, and the recent failed deliveries
 * (POST /_sealq/deliveries, the account root's only).
 */
export async function sourcesView(session: Session): Promise<HTMLElement> {
  const out = h('section', { 'data-testid': 'sources' }, h('h1', {}, 'Event sources'));
  const parts = await Promise.all([
    section('SNS topics', () => topics(session)),
    section('EventBridge rules', () => rules(session)),
    section('S3 buckets', () => buckets(session)),
    section('Recent delivery failures', () => failures(session)),
  ]);
  mount(out, h('h1', {}, 'Event sources'), ...parts);
  return out;
}
