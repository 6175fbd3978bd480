// The historical reports: a date range, a bucket and a view (queues,
// departments, agents, IVR paths); key figures, four SVG charts, a table,
// and CSV / JSON export links for exactly what is shown. Agents see their
// own figures only; department supervisors their departments'.
import {
  $, api, dateRanges, el, fmtDuration, fmtInt, fmtNum, fmtPct, localParts, localTime, onLanguage,
  setText, show, startPage, t, ApiError,
} from '/ui/common.js';
import { barChart, lineChart } from '/ui/charts.js';

const BUCKET_MS = { '15min': 900000, hour: 3600000, day: 86400000, week: 7 * 86400000 };
const ui = { me: null, config: null, tz: 480, ran: null };

startPage({ page: 'reports', enter });
onLanguage(() => { if (ui.me) { fillSelects(); if (ui.ran) render(ui.ran); } });

async function enter(me, config) {
  ui.me = me; ui.config = config; ui.tz = config.utc_offset_minutes;
  fillSelects();
  const [from, to] = dateRanges(ui.tz).today;
  $('from').value = from; $('to').value = to;
  $('bucket').value = 'hour';
  await run();
}

function views() {
  if (ui.me.role === 'agent') return ['agents'];
  const all = ['queues', 'departments', 'agents'];
  if (ui.me.role === 'admin' || !ui.me.department) all.push('ivr');
  return all;
}

function fillSelects() {
  const view = $('view');
  const current = view.value || views()[0];
  view.replaceChildren(...views().map((v) => el('option', { value: v, text: t(`v_${v}`) })));
  view.value = views().includes(current) ? current : views()[0];
  const bucket = $('bucket');
  const b = bucket.value || 'hour';
  bucket.replaceChildren(...Object.keys(BUCKET_MS).map((k) => el('option', { value: k, text: t(`b_${k}`) })));
  bucket.value = b;
  const queue = $('queue');
  const q = queue.value;
  queue.replaceChildren(el('option', { value: '', text: t('all_queues') }),
    ...myQueues().map((x) => el('option', { value: x.name, text: `${x.name} · ${x.department}` })));
  queue.value = q;
  show($('queue-field'), ['queues', 'departments'].includes(view.value));
}

/// The queues this user may report on: a department supervisor's are
/// those whose name or department their department names (as the server
/// decides; several departments are separated by commas).
function myQueues() {
  if (ui.me.role === 'admin' || !ui.me.department) return ui.config.queues;
  const mine = ui.me.department.split(',').map((d) => d.trim().toLowerCase()).filter(Boolean);
  return ui.config.queues.filter((q) => mine.includes(q.name.toLowerCase()) || mine.includes(q.department.toLowerCase()));
}

$('view').addEventListener('change', () => { fillSelects(); run(); });
$('filters').addEventListener('submit', (ev) => { ev.preventDefault(); run(); });
for (const button of document.querySelectorAll('[data-range]')) {
  button.addEventListener('click', () => {
    const [from, to] = dateRanges(ui.tz)[button.dataset.range];
    $('from').value = from; $('to').value = to;
    if (button.dataset.range !== 'today' && button.dataset.range !== 'yesterday' && $('bucket').value !== 'week') $('bucket').value = 'day';
    run();
  });
}

function query(extra) {
  const q = new URLSearchParams({ from: $('from').value, to: $('to').value, tz: String(ui.tz) });
  for (const [k, v] of Object.entries(extra)) if (v != null && v !== '') q.set(k, v);
  return q;
}

function get(path, extra) { return api('GET', `${path}?${query(extra)}`); }

function link(label, path, extra, testid) {
  return el('a', { href: `${path}?${query(extra)}`, download: '', text: label, dataset: { testid } });
}

async function run() {
  const view = $('view').value;
  setText($('status'), t('loading'));
  try {
    const data = await ({ queues: loadQueues, departments: loadQueues, agents: loadAgents, ivr: loadIvr })[view](view);
    ui.ran = { view, data };
    render(ui.ran);
    setText($('status'), '');
  } catch (e) {
    setText($('status'), e instanceof ApiError && e.status === 403 ? t('forbidden') : e.message);
  }
}

function render({ view, data }) {
  ({ queues: renderQueues, departments: renderQueues, agents: renderAgents, ivr: renderIvr })[view](data, view);
}

// ---- buckets --------------------------------------------------------------

/// Bucket starts over the answer's interval, aligned as the store aligns
/// them (local hours and days, weeks from Monday).
function bucketStarts(answer, bucket) {
  const len = BUCKET_MS[bucket];
  let start = answer.from_ms;
  if (bucket === 'week') start -= localParts(start, answer.tz).dow * 86400000;
  const out = [];
  for (let b = start; b < answer.to_ms && out.length < 3000; b += len) out.push(b);
  return out;
}

function bucketLabel(ms, bucket, answer) {
  if (bucket === 'day' || bucket === 'week') return localTime(ms, answer.tz, true).slice(0, 5);
  return localTime(ms, answer.tz, answer.to_ms - answer.from_ms > 86400000);
}

function byBucket(answer, bucket, value) {
  const starts = bucketStarts(answer, bucket);
  const rows = new Map(answer.rows.map((r) => [r.bucket_start_ms, r]));
  return {
    labels: starts.map((s) => bucketLabel(s, bucket, answer)),
    values: (fn, missing) => starts.map((s) => (rows.has(s) ? fn(rows.get(s)) : missing)),
  };
}

// ---- common pieces --------------------------------------------------------

function kpis(items) {
  $('kpis').replaceChildren(...items.map(([id, name, value]) => el('div', { class: 'kpi' },
    el('div', { class: 'value', text: value, dataset: { testid: `kpi-${id}` } }),
    el('div', { class: 'name', text: t(name) }))));
}

function figure(n, testid, caption) {
  const fig = $(`fig-${n}`);
  show(fig, !!testid);
  if (!testid) return null;
  setText($(`cap-${n}`), caption);
  const host = $(`chart-${n}`);
  host.dataset.testid = testid;
  return host;
}

function table(title, columns, rows) {
  setText($('table-title'), title);
  $('table').replaceChildren(
    el('thead', {}, el('tr', {}, ...columns.map(([name]) => el('th', { text: t(name) })))),
    el('tbody', {}, ...rows.map((row) => el('tr', { dataset: { testid: 'report-row' } },
      ...columns.map(([, value]) => el('td', { text: value(row) }))))),
  );
}

function exportsOf(links) { $('exports').replaceChildren(...links); }

const pct = (x) => fmtPct(x, 1);

/// Axis labels of durations: seconds with a decimal below 10 s, whole
/// seconds below a minute, then m:ss.
function durationTick(ms) {
  if (ms < 10000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 60000) return `${Math.round(ms / 1000)} s`;
  return fmtDuration(ms);
}

// ---- queues and departments -----------------------------------------------

async function loadQueues(view) {
  const queue = $('queue').value;
  const bucket = $('bucket').value;
  const scope = queue ? { group: 'queue', queue } : { group: 'total' };
  const group = view === 'departments' ? 'department' : 'queue';
  const [series, whole, rows, waits] = await Promise.all([
    get('/api/reports/queues', { ...scope, bucket }),
    get('/api/reports/queues', { ...scope, bucket: 'whole' }),
    get('/api/reports/queues', { group, queue, bucket: 'whole' }),
    get('/api/reports/waits', scope),
  ]);
  return { queue, bucket, group, series, whole, rows, waits };
}

function renderQueues(d, view) {
  const f = (d.whole.rows[0] || {}).figures || {};
  kpis([
    ['offered', 'offered', fmtInt(f.offered || 0)], ['answered', 'answered', fmtInt(f.answered || 0)],
    ['abandoned', 'abandoned', fmtInt(f.abandoned || 0)], ['sl', 'sl', pct(f.service_level)],
    ['sl-strict', 'sl_strict', pct(f.service_level_strict)], ['asa', 'asa', fmtDuration(f.asa_ms)],
    ['aht', 'aht', fmtDuration(f.aht_ms)], ['abandon-rate', 'abandon_rate', pct(f.abandonment_rate)],
  ]);
  const s = byBucket(d.series, d.bucket);
  barChart(figure(1, 'chart-calls', t('c_calls')), {
    labels: s.labels, emptyText: t('none'),
    series: [
      { name: t('offered'), values: s.values((r) => r.figures.offered, 0), cls: 's0' },
      { name: t('answered'), values: s.values((r) => r.figures.answered, 0), cls: 's1' },
      { name: t('abandoned'), values: s.values((r) => r.figures.abandoned, 0), cls: 's2' },
    ],
  });
  const target = d.queue ? ui.config.queue_targets.find((x) => x.queue === d.queue) : null;
  lineChart(figure(2, 'chart-sl', t('c_sl')), {
    labels: s.labels, yMax: 1, yFormat: (v) => fmtPct(v), emptyText: t('none'),
    target: target ? { value: target.service_level_target, label: `${t('target')} ${fmtPct(target.service_level_target)}` } : null,
    series: [
      { name: t('sl'), values: s.values((r) => r.figures.service_level, null), cls: 's0' },
      { name: t('sl_strict'), values: s.values((r) => r.figures.service_level_strict, null), cls: 's3' },
    ],
  });
  lineChart(figure(3, 'chart-asa', t('c_asa')), {
    labels: s.labels, yFormat: durationTick, emptyText: t('none'),
    series: [{ name: t('asa'), values: s.values((r) => r.figures.asa_ms, null), cls: 's0' }],
  });
  const bands = (d.waits.rows[0] || { bands: [] }).bands;
  barChart(figure(4, 'chart-waits', t('c_waits')), {
    labels: bands.map((b, i) => (b.up_to_secs == null
      ? `> ${bands[i - 1] ? bands[i - 1].up_to_secs : 0} s`
      : `≤ ${b.up_to_secs} s`)),
    emptyText: t('none'),
    series: [
      { name: t('answered'), values: bands.map((b) => b.answered), cls: 's1' },
      { name: t('abandoned'), values: bands.map((b) => b.abandoned), cls: 's2' },
    ],
  });
  table(t(view === 'departments' ? 't_departments' : 't_queues'), [
    ['key', (r) => r.key], ['offered', (r) => fmtInt(r.figures.offered)], ['answered', (r) => fmtInt(r.figures.answered)],
    ['abandoned', (r) => fmtInt(r.figures.abandoned)], ['short_abandoned', (r) => fmtInt(r.figures.short_abandoned)],
    ['sl', (r) => pct(r.figures.service_level)], ['sl_strict', (r) => pct(r.figures.service_level_strict)],
    ['asa', (r) => fmtDuration(r.figures.asa_ms)], ['aht', (r) => fmtDuration(r.figures.aht_ms)],
    ['abandon_rate', (r) => pct(r.figures.abandonment_rate)], ['max_wait', (r) => fmtDuration(r.figures.max_queued_ms)],
    ['overflowed', (r) => fmtInt(r.figures.overflowed)], ['callbacks', (r) => fmtInt(r.figures.callback_requests)],
  ], d.rows.rows);
  const rowsQuery = { group: d.group, queue: d.queue, bucket: d.bucket };
  exportsOf([
    link(t('export_csv'), '/api/reports/queues', { ...rowsQuery, format: 'csv' }, 'export-csv'),
    link(t('export_json'), '/api/reports/queues', rowsQuery, 'export-json'),
    link(t('waits_csv'), '/api/reports/waits', { group: d.group, queue: d.queue, format: 'csv' }, 'export-waits-csv'),
  ]);
}

// ---- agents ---------------------------------------------------------------

async function loadAgents() {
  const bucket = $('bucket').value;
  const mine = ui.me.role === 'agent' ? { agent: ui.me.login } : {};
  const [agents, series, occupancy] = await Promise.all([
    get('/api/reports/agents', { ...mine, bucket: 'whole' }),
    get('/api/reports/agents', { ...mine, bucket }),
    get('/api/reports/occupancy', { ...mine, bucket: 'whole' }),
  ]);
  return { bucket, mine, agents, series, occupancy };
}

function renderAgents(d) {
  const occupancy = new Map(d.occupancy.rows.map((r) => [r.agent, r]));
  const rows = d.agents.rows.map((r) => ({ ...r, occ: occupancy.get(r.agent) }));
  for (const o of d.occupancy.rows) if (!rows.some((r) => r.agent === o.agent)) rows.push({ agent: o.agent, figures: null, occ: o });
  const sum = (fn) => rows.reduce((n, r) => n + (fn(r) || 0), 0);
  const handled = sum((r) => r.figures && r.figures.handled);
  const handleMs = sum((r) => r.figures && r.figures.talk_ms + r.figures.hold_ms + r.figures.wrap_ms);
  const busy = sum((r) => r.occ && r.occ.on_call_ms + r.occ.wrap_up_ms);
  const idle = sum((r) => r.occ && r.occ.available_ms + r.occ.offered_ms);
  kpis([
    ['answered', 'answered', fmtInt(sum((r) => r.figures && r.figures.answered))],
    ['offers', 'offers', fmtInt(sum((r) => r.figures && r.figures.offers))],
    ['rna', 'rna', fmtInt(sum((r) => r.figures && r.figures.ring_no_answers))],
    ['aht', 'aht', handled ? fmtDuration(handleMs / handled) : '—'],
    ['occupancy', 'occupancy', busy + idle ? pct(busy / (busy + idle)) : '—'],
  ]);
  const top = [...rows].sort((a, b) => ((b.figures || {}).answered || 0) - ((a.figures || {}).answered || 0)).slice(0, 30);
  barChart(figure(1, 'chart-agent-answered', t('c_agent_answered')), {
    labels: top.map((r) => r.agent), emptyText: t('none'),
    series: [{ name: t('answered'), values: top.map((r) => (r.figures ? r.figures.answered : 0)), cls: 's1' }],
  });
  barChart(figure(2, 'chart-occupancy', t('c_occupancy')), {
    labels: top.map((r) => r.agent), yFormat: (v) => fmtPct(v), emptyText: t('none'),
    series: [{ name: t('occupancy'), values: top.map((r) => (r.occ ? r.occ.occupancy : null)), cls: 's0' }],
  });
  const totals = new Map();
  for (const r of d.series.rows) totals.set(r.bucket_start_ms, (totals.get(r.bucket_start_ms) || 0) + r.figures.answered);
  const s = byBucket({ ...d.series, rows: [...totals].map(([bucket_start_ms, answered]) => ({ bucket_start_ms, answered })) }, d.bucket);
  barChart(figure(3, 'chart-answered-time', t('c_answered_time')), {
    labels: s.labels, emptyText: t('none'),
    series: [{ name: t('answered'), values: s.values((r) => r.answered, 0), cls: 's1' }],
  });
  figure(4, null);
  table(t('t_agents'), [
    ['agent', (r) => r.agent], ['offers', (r) => fmtInt(r.figures && r.figures.offers)],
    ['answered', (r) => fmtInt(r.figures && r.figures.answered)], ['rna', (r) => fmtInt(r.figures && r.figures.ring_no_answers)],
    ['transferred', (r) => fmtInt(r.figures && r.figures.transferred_out)], ['handled', (r) => fmtInt(r.figures && r.figures.handled)],
    ['aht', (r) => fmtDuration(r.figures && r.figures.aht_ms)], ['talk', (r) => fmtDuration(r.figures && r.figures.talk_ms)],
    ['wrap', (r) => fmtDuration(r.figures && r.figures.wrap_ms)], ['occupancy', (r) => pct(r.occ && r.occ.occupancy)],
    ['survey', (r) => fmtNum(r.figures && r.figures.survey.mean)],
  ], rows);
  exportsOf([
    link(t('export_csv'), '/api/reports/agents', { ...d.mine, bucket: d.bucket, format: 'csv' }, 'export-csv'),
    link(t('export_json'), '/api/reports/agents', { ...d.mine, bucket: d.bucket }, 'export-json'),
    link(t('occupancy_csv'), '/api/reports/occupancy', { ...d.mine, bucket: d.bucket, format: 'csv' }, 'export-occupancy-csv'),
  ]);
}

// ---- IVR ------------------------------------------------------------------

async function loadIvr() {
  const bucket = $('bucket').value;
  const [paths, series] = await Promise.all([
    get('/api/reports/ivr', { group: 'path', bucket: 'whole' }),
    get('/api/reports/ivr', { group: 'total', bucket }),
  ]);
  return { bucket, paths, series };
}

function renderIvr(d) {
  const sum = (fn) => d.series.rows.reduce((n, r) => n + fn(r.figures), 0);
  const answered = sum((f) => f.answered);
  kpis([
    ['calls', 'calls', fmtInt(sum((f) => f.calls))], ['queued', 'queued', fmtInt(sum((f) => f.queued))],
    ['contained', 'contained', fmtInt(sum((f) => f.contained))],
    ['containment', 'containment', answered ? pct(sum((f) => f.contained) / answered) : '—'],
  ]);
  const top = [...d.paths.rows].sort((a, b) => b.figures.calls - a.figures.calls).slice(0, 12);
  barChart(figure(1, 'chart-ivr-outcomes', t('c_ivr_outcomes')), {
    labels: top.map((r) => r.key.split('>').slice(-2).join('›')), stacked: true, emptyText: t('none'),
    series: [
      { name: t('queued'), values: top.map((r) => r.figures.queued), cls: 's0' },
      { name: t('contained'), values: top.map((r) => r.figures.contained), cls: 's1' },
    ],
  });
  const s = byBucket(d.series, d.bucket);
  lineChart(figure(2, 'chart-containment', t('c_containment')), {
    labels: s.labels, yMax: 1, yFormat: (v) => fmtPct(v), emptyText: t('none'),
    series: [{ name: t('containment'), values: s.values((r) => r.figures.containment_rate, null), cls: 's1' }],
  });
  figure(3, null); figure(4, null);
  table(t('t_ivr'), [
    ['path', (r) => r.key.split('>').join(' › ')], ['calls', (r) => fmtInt(r.figures.calls)],
    ['queued', (r) => fmtInt(r.figures.queued)], ['agent_answered', (r) => fmtInt(r.figures.agent_answered)],
    ['abandoned', (r) => fmtInt(r.figures.abandoned)], ['contained', (r) => fmtInt(r.figures.contained)],
    ['self_service', (r) => fmtInt(r.figures.self_service)], ['voicemail', (r) => fmtInt(r.figures.voicemail)],
    ['callback_request', (r) => fmtInt(r.figures.callback_request)], ['hung_up', (r) => fmtInt(r.figures.caller_hung_up)],
    ['other', (r) => fmtInt(r.figures.other_ended)], ['containment', (r) => pct(r.figures.containment_rate)],
  ], d.paths.rows);
  exportsOf([
    link(t('export_csv'), '/api/reports/ivr', { group: 'path', bucket: d.bucket, format: 'csv' }, 'export-csv'),
    link(t('export_json'), '/api/reports/ivr', { group: 'path', bucket: d.bucket }, 'export-json'),
  ]);
}
