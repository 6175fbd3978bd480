// The callback list: the hotline's promises to call citizens back. Open
// ones (pending, or being placed) in the order the scheduler works them,
// with a supervisor's priority and cancel; closed ones of the last week
// with how they ended. Refreshed every 10 s and after each change.
import { $, api, el, localTime, notify, onLanguage, setText, startPage, t, ApiError } from '/ui/common.js';

const ui = { tz: 480, list: null, timer: null };

startPage({ page: 'callbacks', enter, leave });
onLanguage(() => { if (ui.list) render(ui.list); });
$('refresh').addEventListener('click', () => load());

async function enter(me, config) {
  ui.tz = config.utc_offset_minutes;
  await load();
  ui.timer = setInterval(load, 10000);
}

function leave() {
  clearInterval(ui.timer);
  ui.timer = null;
}

async function load() {
  try {
    ui.list = await api('GET', '/api/callbacks');
    render(ui.list);
    setText($('status'), '');
  } catch (e) {
    setText($('status'), e instanceof ApiError && e.status === 403 ? t('forbidden') : e.message);
  }
}

async function change(callback, what, body) {
  try {
    await api('POST', `/api/callbacks/${callback.id}/${what}`, body);
    notify(t(what === 'cancel' ? 'cancelled_ok' : 'priority_ok'), false);
  } catch (e) {
    notify(e.message);
  }
  await load();
}

const when = (ms) => (ms ? localTime(ms, ui.tz, true) : '—');
const isOpen = (c) => c.status === 'pending' || c.status === 'placing';

function actions(callback) {
  if (!isOpen(callback)) return el('td', { text: '' });
  const priority = el('input', {
    type: 'number', min: '0', max: '9', value: String(callback.priority),
    class: 'narrow', dataset: { testid: 'cb-priority-input' }, 'aria-label': t('priority'),
  });
  return el('td', {},
    priority,
    el('button', {
      type: 'button', class: 'ghost', text: t('set_priority'), dataset: { testid: 'cb-set-priority' },
      onclick: () => change(callback, 'priority', { priority: Number(priority.value) }),
    }),
    el('button', {
      type: 'button', class: 'ghost', text: t('cancel'), dataset: { testid: 'cb-cancel' },
      onclick: () => { if (window.confirm(t('confirm_cancel'))) change(callback, 'cancel'); },
    }));
}

function row(callback, withActions) {
  const cells = [
    when(callback.requested_at),
    callback.number,
    callback.queue,
    t(`kind_${callback.kind}`),
    t(`status_${callback.status}`),
    String(callback.priority),
    String(callback.attempts),
    callback.outcome ? t(`outcome_${callback.outcome}`) : '—',
    isOpen(callback) ? when(callback.not_before) : when(callback.updated_at),
    callback.updated_by || '—',
  ].map((text, i) => el('td', { text, dataset: { testid: `cb-cell-${i}` } }));
  return el('tr', { dataset: { testid: 'cb-row', id: callback.id, status: callback.status } },
    ...cells, ...(withActions ? [actions(callback)] : []));
}

function table(id, rows, withActions) {
  const names = ['requested_at', 'number', 'queue', 'kind', 'status', 'priority', 'attempts', 'outcome',
    withActions ? 'not_before' : 'updated_at', 'updated_by', ...(withActions ? ['actions'] : [])];
  $(id).replaceChildren(
    el('thead', {}, el('tr', {}, ...names.map((n) => el('th', { text: t(n) })))),
    el('tbody', {}, ...(rows.length
      ? rows.map((c) => row(c, withActions))
      : [el('tr', {}, el('td', { text: t('none_here'), colspan: String(names.length) }))])),
  );
}

function render(list) {
  table('table-open', list.filter(isOpen), true);
  table('table-closed', list.filter((c) => !isOpen(c)), false);
}
