import { admin, type Session } from '../api.js';
import { errorBox, field, h, mount, s } from '../dom.js';

interface Bucket {
  start: number;
  total: number;
  byKey: Record<string, number>;
  byQueue: Record<string, number>;
  byPrincipal: Record<string, number>;
}

interface UsageAnswer {
  from: number;
  to: number;
  summary: { total: number; byOperation: Record<string, number>; byKey: Record<string, number>; byQueue: Record<string, number>; byPrincipal: Record<string, number>; errors: Record<string, number> };
  report: Array<{ queueArn: string; metered: number; predicted: number; producers: number; consumers: number; reusePeriodSeconds: number }>;
  series: { bucketMs: number; buckets: Bucket[] };
}

type Dimension = 'byKey' | 'byQueue' | 'byPrincipal';

const PERIODS: Array<[string, number]> = [
  ['last 15 minutes', 15 * 60_000],
  ['last hour', 3_600_000],
  ['last 24 hours', 86_400_000],
  ['last 30 days', 30 * 86_400_000],
];
const MONTH_MS = 30 * 86_400_000;
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];

/** Monthly cost of `calls` made over `periodMs`, at `pricePer10k` per 10,000 requests. */
export function monthlyCost(calls: number, periodMs: number, pricePer10k: number): number {
  return periodMs > 0 ? ((calls * MONTH_MS) / periodMs / 10_000) * pricePer10k : 0;
}

const money = (n: number) => `$${n.toFixed(n < 1 ? 4 : 2)}`;
const round = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));

/**
 * KMS usage over POST /_sealq/kms-usage (the account root's view): calls over time per key, queue
 * or principal, and per queue the seed formula's prediction R = B / D × (2P + C) beside the metered
 * count, with the monthly cost at a configurable price.
 */
export async function usageView(session: Session): Promise<HTMLElement> {
  const out = h('div', { 'data-testid': 'usage' });
  const form = h(
    'form',
    { class: 'card', 'data-testid': 'usage-form' },
    h('h1', {}, 'KMS usage'),
    h('label', {}, h('span', {}, 'Period'), h('select', { name: 'period' }, ...PERIODS.map(([label, ms], i) => h('option', { value: ms, selected: i === 1 }, label)))),
    h('label', {}, h('span', {}, 'Chart by'), h('select', { name: 'dimension' }, h('option', { value: 'byKey' }, 'key'), h('option', { value: 'byQueue' }, 'queue'), h('option', { value: 'byPrincipal' }, 'principal'))),
    h('label', {}, h('span', {}, 'Price per 10,000 requests ($)'), h('input', { type: 'number', name: 'price', value: '0.03', step: '0.001', min: '0' })),
    h('button', { type: 'submit' }, 'Show'),
  );
  const show = async () => {
    const periodMs = Number(field(form, 'period'));
    const to = Date.now() + 1;
    try {
      const answer = await admin<UsageAnswer>(session, '/_sealq/kms-usage', { from: to - periodMs, to });
      mount(out, ...usageReport(answer, field(form, 'dimension') as Dimension, Number(field(form, 'price')) || 0));
    } catch (error) {
      mount(out, errorBox(error));
    }
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void show();
  });
  await show();
  return h('section', {}, form, out);
}

function usageReport(answer: UsageAnswer, dimension: Dimension, price: number): Node[] {
  const periodMs = answer.to - answer.from;
  const predictedTotal = answer.report.reduce((sum, r) => sum + r.predicted, 0);
  return [
    h(
      'section',
      { class: 'card' },
      h('h2', {}, `KMS calls: ${answer.summary.total}`),
      chart(answer.series, dimension),
    ),
    h(
      'section',
      { class: 'card' },
      h('h2', {}, 'Predicted and metered, per queue'),
      h('p', { class: 'muted' }, 'R = B / D × (2P + C): B the period in seconds, D the data key reuse period, P the principals that produced (asked for data keys), C those that only consumed. Costs are scaled to a 30-day month.'),
      answer.report.length === 0
        ? h('p', { class: 'muted' }, 'No SQS-driven KMS calls in this period.')
        : h(
            'table',
            { 'data-testid': 'cost-report' },
            h('thead', {}, h('tr', {}, ...['Queue', 'P', 'C', 'D (s)', 'Predicted R', 'Metered', 'Predicted monthly cost', 'Metered monthly cost'].map((t) => h('th', {}, t)))),
            h(
              'tbody',
              {},
              ...answer.report.map((r) =>
                h(
                  'tr',
                  { 'data-queue-arn': r.queueArn },
                  h('td', { class: 'mono' }, r.queueArn),
                  h('td', { class: 'num' }, r.producers),
                  h('td', { class: 'num' }, r.consumers),
                  h('td', { class: 'num' }, r.reusePeriodSeconds),
                  h('td', { class: 'num', 'data-testid': 'predicted' }, round(r.predicted)),
                  h('td', { class: 'num', 'data-testid': 'metered' }, r.metered),
                  h('td', { class: 'num' }, money(monthlyCost(r.predicted, periodMs, price))),
                  h('td', { class: 'num' }, money(monthlyCost(r.metered, periodMs, price))),
                ),
              ),
            ),
          ),
      h(
        'p',
        { 'data-testid': 'monthly-cost' },
        `Estimated monthly cost of all KMS calls at $${price} per 10,000 requests: ${money(monthlyCost(answer.summary.total, periodMs, price))} metered, ${money(monthlyCost(predictedTotal, periodMs, price))} predicted for the queues above.`,
      ),
    ),
  ];
}

/** Calls per bucket, one line per key, queue or principal (the eight busiest). */
function chart(series: UsageAnswer['series'], dimension: Dimension): Node {
  const totals = new Map<string, number>();
  for (const b of series.buckets) for (const [name, n] of Object.entries(b[dimension])) totals.set(name, (totals.get(name) ?? 0) + n);
  const names = [...totals.entries()].sort((a, b) => b[1] - a[1]).slice(0, COLOURS.length).map(([name]) => name);
  const width = 720;
  const height = 240;
  const pad = { left: 40, right: 10, top: 10, bottom: 30 };
  const max = Math.max(1, ...series.buckets.flatMap((b) => names.map((n) => b[dimension][n] ?? 0)));
  const n = series.buckets.length;
  const x = (i: number) => pad.left + (n <= 1 ? 0 : (i * (width - pad.left - pad.right)) / (n - 1));
  const y = (v: number) => height - pad.bottom - (v * (height - pad.top - pad.bottom)) / max;
  const svg = s(
    'svg',
    { class: 'chart', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `KMS calls over time ${dimension.replace('by', 'by ').toLowerCase()}`, 'data-testid': 'usage-chart' },
    s('line', { x1: pad.left, y1: y(0), x2: width - pad.right, y2: y(0), stroke: '#999' }),
    s('line', { x1: pad.left, y1: pad.top, x2: pad.left, y2: y(0), stroke: '#999' }),
    s('text', { x: 4, y: y(max) + 4 }, max),
    s('text', { x: 4, y: y(0) }, 0),
  );
  if (n > 0) {
    svg.append(
      s('text', { x: pad.left, y: height - 8 }, new Date(series.buckets[0].start).toLocaleTimeString()),
      s('text', { x: width - pad.right - 60, y: height - 8 }, new Date(series.buckets[n - 1].start + series.bucketMs).toLocaleTimeString()),
    );
  }
  names.forEach((name, k) => {
    const colour = COLOURS[k];
    const points = series.buckets.map((b, i) => [x(i), y(b[dimension][name] ?? 0), b[dimension][name] ?? 0] as const);
    svg.append(s('polyline', { points: points.map(([px, py]) => `${px},${py}`).join(' '), fill: 'none', stroke: colour, 'stroke-width': 2 }));
    for (const [px, py, count] of points) {
      if (count > 0) svg.append(s('circle', { cx: px, cy: py, r: 3, fill: colour, class: 'point', 'data-count': count }, s('title', {}, `${name}: ${count}`)));
    }
  });
  const legend = h(
    'div',
    { class: 'legend' },
    ...names.map((name, k) =>
      h('span', {}, s('svg', { width: 12, height: 12 }, s('rect', { width: 12, height: 12, fill: COLOURS[k] })), ` ${name} (${totals.get(name)})`),
    ),
  );
  return h('div', {}, names.length === 0 ? h('p', { class: 'muted' }, 'No KMS calls in this period.') : null, svg, legend);
}
