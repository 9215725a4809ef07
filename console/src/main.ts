/** The sealq operator console: a hash-routed page per task, each a client of the signed APIs. */
import { sessionStore, type Session } from './api.js';
import { h, mount } from './dom.js';
import { keysView } from './views/keys.js';
import { principalsView } from './views/principals.js';
import { queueView } from './views/queue.js';
import { queuesView } from './views/queues.js';
import { signInView } from './views/sign-in.js';
import { simulatorView } from './views/simulator.js';
import { sourcesView } from './views/sources.js';
import { usageView } from './views/usage.js';

const app = document.getElementById('app')!;
const bar = document.getElementById('bar')!;

export function go(route: string): void {
  if (location.hash === `#${route}`) void render();
  else location.hash = route;
}

const pages: Array<[string, string]> = [
  ['/queues', 'Queues'],
  ['/keys', 'Keys'],
  ['/principals', 'Principals'],
  ['/sources', 'Event sources'],
  ['/simulator', 'Permissions'],
  ['/usage', 'KMS usage'],
];

function renderBar(session: Session | undefined, route: string): void {
  mount(
    bar,
    h('strong', {}, 'sealq'),
    ...(session ? pages.map(([path, label]) => h('a', { href: `#${path}`, class: route.startsWith(path) ? 'active' : '' }, label)) : []),
    session
      ? h(
          'span',
          { class: 'who' },
          'Signed in as ',
          h('span', { 'data-testid': 'caller-arn' }, session.arn),
          ' ',
          h('button', { type: 'button', onclick: () => { sessionStore.clear(); go('/sign-in'); } }, 'Sign out'),
        )
      : null,
  );
}

async function render(): Promise<void> {
  const route = decodeURIComponent(location.hash.replace(/^#/, '')) || '/queues';
  const session = sessionStore.load();
  renderBar(session, route);
  if (!session || route === '/sign-in') {
    mount(app, signInView((s) => { sessionStore.save(s); go('/queues'); }));
    return;
  }
  const placeholder = h('p', { class: 'muted' }, 'Loading…');
  mount(app, placeholder);
  let view: HTMLElement;
  if (route.startsWith('/queue/')) view = await queueView(session, route.slice('/queue/'.length));
  else if (route === '/simulator') view = simulatorView(session);
  else if (route === '/keys') view = await keysView(session);
  else if (route === '/principals') view = await principalsView(session);
  else if (route === '/sources') view = await sourcesView(session);
  else if (route === '/usage') view = await usageView(session);
  else view = await queuesView(session, go);
  mount(app, view);
}

window.addEventListener('hashchange', () => void render());
void render();
