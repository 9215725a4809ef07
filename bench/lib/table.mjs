// Plain-text aligned tables with optional column groups.

/**
 * @param {{title: string, group?: string, align?: 'left'|'right'}[]} columns
 * @param {string[][]} rows cells as strings ('' for blank)
 * @returns {string}
 */
export function renderTable(columns, rows) {
  const widths = columns.map((c, i) => Math.max(c.title.length, ...rows.map((r) => (r[i] ?? '').length)));
  // a '|' separates column groups
  const sepBefore = columns.map((c, i) => (i === 0 ? '' : c.group !== columns[i - 1].group ? ' | ' : '  '));
  // widen groups whose label is longer than their columns
  const spans = [];
  for (let i = 0; i < columns.length; ) {
    let j = i;
    while (j + 1 < columns.length && columns[j + 1].group === columns[i].group) j++;
    spans.push({ from: i, to: j, label: columns[i].group ?? '' });
    i = j + 1;
  }
  for (const s of spans) {
    let w = 0;
    for (let k = s.from; k <= s.to; k++) w += widths[k] + (k > s.from ? sepBefore[k].length : 0);
    if (s.label.length + 2 > w) widths[s.to] += s.label.length + 2 - w;
  }
  const pad = (text, i) => {
    const t = text ?? '';
    return columns[i].align === 'left' ? t.padEnd(widths[i]) : t.padStart(widths[i]);
  };
  const line = (cells) => cells.map((t, i) => sepBefore[i] + pad(t, i)).join('').trimEnd();
  const out = [];
  if (spans.some((s) => s.label)) {
    let g = '';
    for (const s of spans) {
      let w = 0;
      for (let k = s.from; k <= s.to; k++) w += widths[k] + (k > s.from ? sepBefore[k].length : 0);
      const label = s.label ? ` ${s.label} ` : '';
      const left = Math.floor((w - label.length) / 2);
      const fill = s.label ? '-' : ' ';
      g += sepBefore[s.from] + fill.repeat(left) + label + fill.repeat(w - left - label.length);
    }
    out.push(g.trimEnd());
  }
  out.push(line(columns.map((c) => c.title)));
  out.push(line(columns.map((_, i) => '-'.repeat(widths[i]))));
  for (const r of rows) out.push(line(r));
  return out.join('\n');
}

const intFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export const fmt = {
  int: (v) => (v == null || !Number.isFinite(v) ? '-' : intFmt.format(Math.round(v))),
  ms: (v) => (v == null || !Number.isFinite(v) ? '-' : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)),
  us: (v) => (v == null || !Number.isFinite(v) ? '-' : v < 100 ? v.toFixed(1) : v.toFixed(0)),
  pct: (v) => (v == null || !Number.isFinite(v) ? '-' : v.toFixed(0) + '%'),
  ratio: (a, b) => (a == null || b == null || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 ? '-' : (a / b).toFixed(2)),
  bytes: (v) => (v == null ? '-' : v >= 1 << 20 ? (v / (1 << 20)).toFixed(1) + ' MiB' : (v / 1024).toFixed(0) + ' KiB'),
  /** round trips per message or call: two decimals below 10 */
  rt: (v) => (v == null || !Number.isFinite(v) ? '-' : v < 10 ? v.toFixed(2) : v.toFixed(1)),
  size: (n) => (n % 1024 === 0 ? `${n / 1024}KiB` : `${n}B`),
};
