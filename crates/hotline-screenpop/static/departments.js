// The department view: the public-service report of a 12345 centre.
// Cases opened in the period by category and department, done on time or
// late against their deadlines, open and overdue now, and citizens'
// satisfaction, per department. Department supervisors see their own.
import {
  $, api, dateRanges, el, fmtInt, fmtNum, fmtPct, onLanguage, setText, startPage, t, ApiError,
} from '/ui/common.js';
import { barChart } from '/ui/charts.js';

const ui = { tz: 480, data: null };

startPage({ page: 'departments', enter });
onLanguage(() => { if (ui.data) render(ui.data); });

async function enter(me, config) {
  ui.tz = config.utc_offset_minutes;
  const [from, to] = dateRanges(ui.tz).this_month;
  $('from').value = from; $('to').value = to;
  await run();
}

$('filters').addEventListener('submit', (ev) => { ev.preventDefault(); run(); });
for (const button of document.querySelectorAll('[data-range]')) {
  button.addEventListener('click', () => {
    const [from, to] = dateRanges(ui.tz)[button.dataset.range];
    $('from').value = from; $('to').value = to;
    run();
  });
}

function query(extra) {
  return new URLSearchParams({ from: $('from').value, to: $('to').value, tz: String(ui.tz), ...extra });
}

async function run() {
  setText($('status'), t('loading'));
  try {
    const [departments, categories, detail] = await Promise.all([
      api('GET', `/api/reports/cases?${query({ group: 'department' })}`),
      api('GET', `/api/reports/cases?${query({ group: 'category' })}`),
      api('GET', `/api/reports/cases?${query({ group: 'category_department' })}`),
    ]);
    ui.data = { departments, categories, detail };
    render(ui.data);
    setText($('status'), '');
  } catch (e) {
    setText($('status'), e instanceof ApiError && e.status === 403 ? t('forbidden') : e.message);
  }
}

const pct = (x) => fmtPct(x, 1);

function fill(tableId, columns, rows) {
  $(tableId).replaceChildren(
    el('thead', {}, el('tr', {}, ...columns.map(([name]) => el('th', { text: t(name) })))),
    el('tbody', {}, ...rows.map((row) => el('tr', { dataset: { testid: 'dept-row' } },
      ...columns.map(([, value, alert]) => el('td', { text: value(row), class: alert && alert(row) ? 'alert' : null }))))),
  );
}

function render({ departments, categories, detail }) {
  const rows = departments.rows;
  const sum = (fn) => rows.reduce((n, r) => n + fn(r), 0);
  const onTime = sum((r) => r.on_time);
  const late = sum((r) => r.late);
  const scores = [0, 1, 2, 3, 4].map((i) => sum((r) => r.satisfaction.distribution[i]));
  const responses = scores.reduce((a, b) => a + b, 0);
  const points = scores.reduce((a, n, i) => a + n * (i + 1), 0);
  $('kpis').replaceChildren(...[
    ['opened', fmtInt(sum((r) => r.opened))],
    ['on_time_rate', onTime + late ? pct(onTime / (onTime + late)) : '—'],
    ['open_now', fmtInt(sum((r) => r.open_now))],
    ['overdue_now', fmtInt(sum((r) => r.overdue_now))],
    ['satisfaction', responses ? fmtNum(points / responses, 2) : '—'],
  ].map(([name, value]) => el('div', { class: 'kpi' },
    el('div', { class: 'value', text: value, dataset: { testid: `kpi-${name}` } }),
    el('div', { class: 'name', text: t(name) }))));

  const labels = rows.map((r) => r.department);
  barChart($('chart-open'), {
    labels, stacked: true, emptyText: t('none'),
    series: [
      { name: t('open_in_time'), values: rows.map((r) => r.open_now - r.overdue_now), cls: 's0' },
      { name: t('overdue_now'), values: rows.map((r) => r.overdue_now), cls: 's2' },
    ],
  });
  barChart($('chart-ontime'), {
    labels, yFormat: (v) => fmtPct(v), emptyText: t('none'),
    series: [{ name: t('on_time_rate'), values: rows.map((r) => r.on_time_rate), cls: 's1' }],
  });
  barChart($('chart-satisfaction'), {
    labels, yFormat: (v) => fmtNum(v, 1), emptyText: t('none'),
    series: [{ name: t('satisfaction'), values: rows.map((r) => r.satisfaction.mean), cls: 's3' }],
  });
  barChart($('chart-categories'), {
    labels: categories.rows.map((r) => r.category), emptyText: t('none'),
    series: [
      { name: t('opened'), values: categories.rows.map((r) => r.opened), cls: 's0' },
      { name: t('late'), values: categories.rows.map((r) => r.late), cls: 's2' },
    ],
  });

  const columns = (first) => [
    ...first,
    ['opened', (r) => fmtInt(r.opened)], ['with_deadline', (r) => fmtInt(r.with_deadline)],
    ['on_time', (r) => fmtInt(r.on_time)], ['late', (r) => fmtInt(r.late), (r) => r.late > 0],
    ['pending', (r) => fmtInt(r.pending)], ['on_time_rate', (r) => pct(r.on_time_rate)],
    ['open_now', (r) => fmtInt(r.open_now)], ['overdue_now', (r) => fmtInt(r.overdue_now), (r) => r.overdue_now > 0],
    ['satisfaction', (r) => fmtNum(r.satisfaction.mean, 2)], ['responses', (r) => fmtInt(r.satisfaction.count)],
  ];
  fill('table-departments', columns([['department', (r) => r.department]]), rows);
  fill('table-categories', columns([['category', (r) => r.category], ['department', (r) => r.department]]), detail.rows);
  const link = (label, extra, testid) => el('a', {
    href: `/api/reports/cases?${query(extra)}`, download: '', text: label, dataset: { testid },
  });
  $('exports').replaceChildren(
    link(`${t('t_departments')} ${t('export_csv')}`, { group: 'department', format: 'csv' }, 'export-departments-csv'),
    link(`${t('t_categories')} ${t('export_csv')}`, { group: 'category_department', format: 'csv' }, 'export-csv'),
    link(t('export_json'), { group: 'category_department' }, 'export-json'),
  );
}
