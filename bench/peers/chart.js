// The README's chart: every peer's figure relative to recur's, one group of bars per workload,
// on a log scale around 1× (recur). Right of the line: slower (or larger) than recur.
//
//   node bench/peers/chart.js      redraws bench/peers/chart.svg from bench/peers/results.json

import { readFileSync, writeFileSync } from 'node:fs';

const COLORS = {
  'ort-web': '#1f6fb4', 'ort-node': '#7fb2dd', 'tfjs-wasm': '#e8740c', 'tfjs-cpu': '#f6b26b',
  'brain': '#2f9e44', 'naive': '#868e96', 'recur-relaxed': '#c92a2a',
};
const FALLBACK = ['#9c36b5', '#c2255c', '#0b7285'];

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const ratioText = (r) => `${r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;

/** results: the object compare.js writes under "peers". Returns the SVG text. */
export function chartSvg(results) {
  const peers = results.libraries.filter((p) => p.id !== 'recur');
  const rows = results.rows;
  const ratios = rows.flatMap((r) => peers.map((p) => r.cells[p.id]?.ratio)).filter((r) => Number.isFinite(r) && r > 0);
  const lo = Math.min(0.1, 10 ** Math.floor(Math.log10(Math.min(1, ...ratios))));
  const hi = Math.max(10, 10 ** Math.ceil(Math.log10(Math.max(1, ...ratios))));

  const W = 980, left = 250, right = 60, top = 92, bar = 7, gap = 1, pad = 12;
  const plotW = W - left - right;
  const x = (r) => left + ((Math.log10(r) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotW;
  const groupH = peers.length * (bar + gap) + pad;
  const H = top + rows.length * groupH + 70;
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif" font-size="11">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="12" y="20" font-size="14" font-weight="600">Time (and download size) relative to recur — log scale, single thread</text>`);
  out.push(`<text x="12" y="37" fill="#555">Right of the 1× line: slower (larger) than recur. Median of ${results.settings.rounds} interleaved rounds, ${esc(results.machine.cpu)}, Node ${esc(results.node)}${results.quick ? ' (--quick)' : ''}.</text>`);
  // legend
  let lx = 12;
  for (const [i, p] of peers.entries()) {
    const color = COLORS[p.id] ?? FALLBACK[i % FALLBACK.length];
    out.push(`<rect x="${lx}" y="50" width="12" height="10" fill="${color}"/><text x="${lx + 16}" y="59">${esc(p.name)}</text>`);
    lx += 22 + p.name.length * 6.5;
  }
  // grid: powers of ten, and 3× between them
  for (let e = Math.round(Math.log10(lo)); e <= Math.round(Math.log10(hi)); e++) {
    for (const m of [1, 3]) {
      const r = m * 10 ** e;
      if (r < lo || r > hi) continue;
      const gx = x(r).toFixed(1);
      out.push(`<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${H - 60}" stroke="${r === 1 ? '#222' : m === 1 ? '#ccc' : '#eee'}" stroke-width="${r === 1 ? 1.5 : 1}"/>`);
      if (m === 1 || hi / lo <= 1e4) out.push(`<text x="${gx}" y="${H - 46}" text-anchor="middle" fill="${m === 1 ? '#333' : '#999'}">${r >= 1 ? r : r.toPrecision(1)}×</text>`);
    }
  }
  out.push(`<text x="${x(1).toFixed(1)}" y="${top - 10}" text-anchor="middle" font-weight="600">recur</text>`);
  rows.forEach((row, i) => {
    const y0 = top + i * groupH;
    if (i > 0 && rows[i - 1].group !== row.group) out.push(`<line x1="12" y1="${y0 - pad / 2}" x2="${W - 12}" y2="${y0 - pad / 2}" stroke="#bbb" stroke-dasharray="2 3"/>`);
    const recur = row.cells.recur;
    const abs = recur && !recur.na ? ` (recur ${recur.value >= 100 ? recur.value.toFixed(0) : recur.value.toPrecision(3)} ${row.unit})` : '';
    out.push(`<text x="12" y="${y0 + (peers.length * (bar + gap)) / 2 + 2}" font-weight="600">${esc(row.label)}</text>`);
    out.push(`<text x="12" y="${y0 + (peers.length * (bar + gap)) / 2 + 14}" fill="#666" font-size="10">${esc(abs)}</text>`);
    peers.forEach((p, k) => {
      const c = row.cells[p.id];
      const y = y0 + k * (bar + gap);
      const color = COLORS[p.id] ?? FALLBACK[k % FALLBACK.length];
      if (!c || c.na || !Number.isFinite(c.ratio)) {
        out.push(`<text x="${(x(1) + 4).toFixed(1)}" y="${y + bar}" fill="#aaa" font-size="8">${esc(p.name)}: n/a</text>`);
        return;
      }
      const a = x(Math.min(1, c.ratio)), b = x(Math.max(1, c.ratio));
      out.push(`<rect x="${a.toFixed(1)}" y="${y}" width="${Math.max(1, b - a).toFixed(1)}" height="${bar}" fill="${color}"><title>${esc(`${p.name}: ${ratioText(c.ratio)} recur`)}</title></rect>`);
      const tx = c.ratio >= 1 ? b + 3 : a - 3;
      const star = c.check === null || typeof c.check === 'string' ? '*' : '';
      out.push(`<text x="${tx.toFixed(1)}" y="${y + bar - 0.5}" font-size="8" fill="#333" text-anchor="${c.ratio >= 1 ? 'start' : 'end'}">${ratioText(c.ratio)}${star}</text>`);
    });
  });
  out.push(`<text x="12" y="${H - 24}" fill="#555" font-size="10">* not the same computation, timed only: brain.js (its own cells and weights); TF.js GRU (no resetAfter: true, PyTorch's variant);</text>`);
  out.push(`<text x="12" y="${H - 10}" fill="#555" font-size="10">the peers' f32 against recur's int8 in the int8 rows. Everything else is checked against recur to 1e-4 first.</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { peers } = JSON.parse(readFileSync(new URL('./results.json', import.meta.url), 'utf8'));
  writeFileSync(new URL('./chart.svg', import.meta.url), chartSvg(peers));
  console.log('wrote bench/peers/chart.svg');
}
