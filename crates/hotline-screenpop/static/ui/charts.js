// SVG charts drawn by hand for the reports and the department view: bars
// (grouped or stacked) and lines over categories, with a value axis,
// gridlines, an optional target line, a legend and a tooltip per mark.
// Colours come from pages.css (classes s0..s5); text goes in as
// textContent.
'use strict';

const NS = 'http://www.w3.org/2000/svg';
const W = 760;
const H = 280;
const M = { left: 60, right: 14, top: 30, bottom: 46 };

function svg(tag, attrs, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  if (text != null) node.textContent = text;
  return node;
}

/// The smallest "round" number at or above `x` (1, 2, 2.5, 5 × 10^n).
function niceCeil(x) {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

function frame(host, { labels, yMax, yFormat, title }) {
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', class: 'chart' });
  if (title) root.append(svg('title', {}, title));
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const y = (v) => M.top + plotH - (v / yMax) * plotH;
  for (let i = 0; i <= 4; i += 1) {
    const v = (yMax * i) / 4;
    root.append(svg('line', { x1: M.left, x2: W - M.right, y1: y(v), y2: y(v), class: i ? 'grid' : 'axis' }));
    root.append(svg('text', { x: M.left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'tick' }, yFormat(v)));
  }
  const band = plotW / Math.max(labels.length, 1);
  const every = Math.ceil(labels.length / Math.max(1, Math.floor(plotW / 64)));
  // About 7 units per character at this size; long names are cut.
  const room = Math.max(4, Math.floor((band * every) / 7));
  labels.forEach((label, i) => {
    if (i % every !== 0) return;
    const text = label.length > room ? `${label.slice(0, room - 1)}…` : label;
    const node = svg('text', {
      x: M.left + band * (i + 0.5), y: H - M.bottom + 16, 'text-anchor': 'middle', class: 'tick',
    }, text);
    if (text !== label) node.append(svg('title', {}, label));
    root.append(node);
  });
  host.replaceChildren(root);
  return { root, y, band, plotH };
}

function legend(root, series) {
  let x = M.left;
  series.forEach((s, i) => {
    const cls = s.cls || `s${i}`;
    root.append(svg('rect', { x, y: 8, width: 12, height: 12, class: `key ${cls}` }));
    const label = svg('text', { x: x + 16, y: 18, class: 'legend' }, s.name);
    root.append(label);
    x += 28 + 8 * s.name.length + (/[^\x00-\x7f]/.test(s.name) ? 6 * s.name.length : 0);
  });
}

function empty(host, message) {
  host.dataset.rendered = 'true';
  host.dataset.points = '0';
  host.replaceChildren(svg('svg', { viewBox: `0 0 ${W} 60`, class: 'chart empty' }));
  host.firstChild.append(svg('text', { x: W / 2, y: 34, 'text-anchor': 'middle', class: 'tick' }, message));
}

function targetLine(root, y, target) {
  if (!target) return;
  const yy = y(target.value);
  root.append(svg('line', { x1: M.left, x2: W - M.right, y1: yy, y2: yy, class: 'target' }));
  root.append(svg('text', { x: W - M.right, y: yy - 4, 'text-anchor': 'end', class: 'target-label' }, target.label));
}

/// Bars per category: `series` [{name, values, cls?}], grouped or stacked.
export function barChart(host, { labels, series, stacked = false, yFormat = String, target, title, emptyText = '' }) {
  const points = series.reduce((n, s) => n + s.values.filter((v) => v != null && v !== 0).length, 0);
  if (!labels.length || !points) { empty(host, emptyText); return; }
  const totals = labels.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] || 0), 0));
  const highest = stacked ? Math.max(...totals) : Math.max(...series.flatMap((s) => s.values.map((v) => v || 0)));
  const yMax = niceCeil(Math.max(highest, target ? target.value : 0));
  const { root, y, band } = frame(host, { labels, yMax, yFormat, title });
  // Bars no wider than 56 units a category, however few categories.
  const inner = Math.min(band * 0.78, 56 * Math.max(1, stacked ? 1 : series.length / 2));
  labels.forEach((label, i) => {
    let base = 0;
    series.forEach((s, k) => {
      const v = s.values[i] || 0;
      if (!v) return;
      const width = stacked ? inner : inner / series.length;
      const x = M.left + band * i + (band - inner) / 2 + (stacked ? 0 : width * k);
      const top = y(base + v);
      const bar = svg('rect', {
        x, y: top, width: Math.max(width - 1, 1), height: Math.max(y(base) - top, 0.5),
        class: `bar ${s.cls || `s${k}`}`,
      });
      bar.append(svg('title', {}, `${label} · ${s.name}: ${yFormat(v)}`));
      root.append(bar);
      if (stacked) base += v;
    });
  });
  targetLine(root, y, target);
  legend(root, series);
  host.dataset.rendered = 'true';
  host.dataset.points = String(points);
}

/// Lines over categories; a null value leaves a gap.
export function lineChart(host, { labels, series, yFormat = String, yMax, target, title, emptyText = '' }) {
  const points = series.reduce((n, s) => n + s.values.filter((v) => v != null).length, 0);
  if (!labels.length || !points) { empty(host, emptyText); return; }
  const highest = Math.max(...series.flatMap((s) => s.values.filter((v) => v != null)), target ? target.value : 0);
  const top = yMax != null ? yMax : niceCeil(highest);
  const { root, y, band } = frame(host, { labels, yMax: top, yFormat, title });
  const x = (i) => M.left + band * (i + 0.5);
  series.forEach((s, k) => {
    const cls = s.cls || `s${k}`;
    let run = [];
    const flush = () => {
      if (run.length > 1) root.append(svg('polyline', { points: run.join(' '), class: `line ${cls}` }));
      run = [];
    };
    s.values.forEach((v, i) => {
      if (v == null) { flush(); return; }
      run.push(`${x(i).toFixed(1)},${y(v).toFixed(1)}`);
      const dot = svg('circle', { cx: x(i), cy: y(v), r: labels.length > 60 ? 1.5 : 3, class: `dot ${cls}` });
      dot.append(svg('title', {}, `${labels[i]} · ${s.name}: ${yFormat(v)}`));
      root.append(dot);
    });
    flush();
  });
  targetLine(root, y, target);
  legend(root, series);
  host.dataset.rendered = 'true';
  host.dataset.points = String(points);
}
