// The work orders page: a department's inbox with its counts, the lists
// the hotline works (waiting for dispatch, overdue everywhere, follow-ups
// due), and one order with its history. The buttons of an order are the
// commands the server says this user may give it now (`may`, decided by the
// orders core); each sends POST /api/orders/{reference}/commands and shows
// the order as it then is. Lists refresh every 15 s and after each change.
import { $, api, currentLang, el, localTime, notify, onLanguage, setText, show, startPage, t, upload, ApiError } from '/ui/common.js';

const ui = { tz: 480, me: null, catalogue: null, lists: null, order: null, timer: null };

startPage({ page: 'orders', enter, leave });
onLanguage(() => { if (ui.lists) render(); if (ui.order) renderOrder(ui.order); fillDepartments(); });
$('refresh').addEventListener('click', () => load());
$('department').addEventListener('change', () => load());
$('class').addEventListener('change', () => load());

const HOTLINE_ROLES = ['agent', 'dispatcher', 'supervisor', 'admin'];
// What each command needs besides its name.
const NEEDS = {
  resolve_on_call: 'text', add_note: 'text', request_extension: 'days', return: 'text',
  urge: 'text', reply: 'text', redispatch: 'department', record_follow_up: 'score', merge: 'into',
};
const TEXT_FIELD = { resolve_on_call: 'reply', add_note: 'text', return: 'reason', urge: 'note', reply: 'text' };

async function enter(me, config) {
  ui.me = me;
  ui.tz = config.utc_offset_minutes;
  try {
    ui.catalogue = await api('GET', '/api/orders/catalogue');
  } catch (e) {
    setText($('status'), e.message);
    return;
  }
  fillDepartments();
  const own = (me.department || '').split(',').map((d) => d.trim()).find((d) => d);
  if (own && ui.catalogue.departments.some((d) => d.code === own)) $('department').value = own;
  show($('hotline-lists'), HOTLINE_ROLES.includes(me.role));
  await load();
  const asked = new URLSearchParams(window.location.search).get('order');
  if (asked) await openOrder(asked);
  ui.timer = setInterval(load, 15000);
}

function leave() {
  clearInterval(ui.timer);
  ui.timer = null;
  ui.order = null;
  show($('detail'), false);
}

const named = (item) => (item ? (currentLang() === 'zh' ? item.name_zh : item.name_en) : '');
const departmentName = (code) => named(ui.catalogue?.departments.find((d) => d.code === code)) || code || '—';
const categoryName = (code) => named(ui.catalogue?.categories.find((c) => c.code === code)) || code;
const when = (ms) => (ms ? localTime(ms, ui.tz, true) : '—');

function fillDepartments() {
  if (!ui.catalogue) return;
  for (const select of [$('department'), $('d-department')]) {
    const value = select.value;
    select.replaceChildren(...ui.catalogue.departments.map((d) => el('option', { value: d.code, text: named(d) })));
    if (value) select.value = value;
  }
}

async function load() {
  if (!ui.catalogue) return;
  const department = encodeURIComponent($('department').value);
  const cls = $('class').value;
  try {
    const hotline = HOTLINE_ROLES.includes(ui.me.role);
    const [inbox, counts, awaiting, overdue, followUps] = await Promise.all([
      api('GET', `/api/orders/inbox?department=${department}${cls ? `&class=${cls}` : ''}`),
      api('GET', `/api/orders/counts?department=${department}`),
      hotline ? api('GET', '/api/orders/awaiting_dispatch') : [],
      hotline ? api('GET', '/api/orders/overdue?limit=100') : [],
      hotline ? api('GET', '/api/orders/follow_ups?limit=100') : { for_agents: [], due: [] },
    ]);
    ui.lists = { inbox: inbox.orders, counts, awaiting, overdue, followUps };
    render();
    setText($('status'), '');
  } catch (e) {
    setText($('status'), e instanceof ApiError && e.status === 403 ? t('forbidden') : e.message);
  }
}

function render() {
  const { inbox, counts, awaiting, overdue, followUps } = ui.lists;
  $('counts').replaceChildren(...['new', 'in_progress', 'due_soon', 'overdue'].map((c) => el('div',
    { class: `kpi ${c === 'overdue' && counts[c] ? 'bad' : ''}`, dataset: { testid: `orders-count-${c}` } },
    el('span', { class: 'value', text: String(counts[c]) }), el('span', { class: 'label', text: t(`class_${c}`) }))));
  table($('table-inbox'), inbox);
  table($('table-awaiting'), awaiting);
  table($('table-overdue'), overdue);
  // The agents' list first (the hotline calls them no more), then the
  // calls due now.
  const lines = [...followUps.for_agents.map((f) => ({ ...f, who: 'agent' })), ...followUps.due.map((f) => ({ ...f, who: 'due' }))];
  const head = el('tr', {}, ...['reference', 'category', 'department', 'follow_up_due', 'reporters'].map((k) => el('th', { text: t(k) })));
  $('table-follow-ups').replaceChildren(head, ...(lines.length ? lines.map((f) => el('tr',
    { dataset: { testid: 'follow-up-row', reference: f.order, who: f.who } },
    refCell(f.order), el('td', { text: categoryName(f.category) }), el('td', { text: departmentName(f.department) }),
    el('td', { text: when(f.next_call_at || f.due_at) }),
    el('td', { text: `${grouped(f.reporter)} · ${t(`who_${f.who}`)}${f.attempts ? ` · ${f.attempts}` : ''}` }))) : [empty(5)]));
}

const grouped = (digits) => digits.replace(/^(\d{6})(\d{5})(\d)$/, '$1-$2-$3');
const empty = (span) => el('tr', {}, el('td', { colspan: String(span), class: 'muted', text: t('none_here') }));

function refCell(reference) {
  return el('td', {}, el('button', {
    type: 'button', class: 'link', text: grouped(reference), dataset: { testid: 'order-open' },
    onclick: () => openOrder(reference),
  }));
}

function table(node, lines) {
  const keys = ['reference', 'category', 'district', 'phase', 'class', 'deadline', 'handler', 'flags'];
  const head = el('tr', {}, ...keys.map((k) => el('th', { text: t(k) })));
  const rows = lines.map((o) => {
    const flags = [
      o.extension_pending ? t('flag_extension') : '', o.returns ? `${t('flag_returns')} ${o.returns}` : '',
      o.urges ? `${t('flag_urges')} ${o.urges}` : '', o.reopens ? `${t('flag_reopens')} ${o.reopens}` : '',
      o.reminded ? t('flag_reminded') : '',
    ].filter(Boolean).join(' · ');
    return el('tr', { dataset: { testid: 'order-row', reference: o.reference, phase: o.phase, class: o.class || '' } },
      refCell(o.reference), el('td', { text: categoryName(o.category) }),
      el('td', { text: [o.district, o.street].filter(Boolean).join(' ') || '—' }),
      el('td', { text: t(`phase_${o.phase}`) }), el('td', { text: o.class ? t(`class_${o.class}`) : '—' }),
      el('td', { text: when(o.deadline) }), el('td', { text: o.handler || '—' }), el('td', { text: flags || '—' }));
  });
  node.replaceChildren(head, ...(rows.length ? rows : [empty(keys.length)]));
}

async function openOrder(reference) {
  try {
    ui.order = await api('GET', `/api/orders/${encodeURIComponent(reference)}`);
    renderOrder(ui.order);
    show($('detail'), true);
    $('detail').scrollIntoView({ block: 'nearest' });
  } catch (e) {
    notify(e.message);
  }
}

function renderOrder(answer) {
  const o = answer.order;
  setText($('d-ref'), answer.reference_display);
  $('detail').dataset.phase = o.phase;
  const location = [o.location.district, o.location.street, o.location.address].filter(Boolean).join(' ');
  const fields = [
    ['phase', t(`phase_${o.phase}`), 'order-phase'],
    ['category', categoryName(o.category)],
    ['department', departmentName(o.department), 'order-department'],
    ['channel', t(`channel_${o.channel}`)],
    ['location', location || t('location_unknown')],
    ['summary', o.summary],
    ['citizen', answer.personal_masked ? t('masked') : (o.citizen == null ? t('anonymous') : `#${o.citizen}`), 'order-citizen'],
    ['deadline', when(o.deadline)],
    ['handler', o.handler || '—'],
    ['reply', o.reply || '—', 'order-reply'],
  ];
  if (o.merged_into) fields.push(['merged_into', grouped(o.merged_into), 'order-merged-into']);
  if (o.pending_extension) fields.push(['extension', `${o.pending_extension.working_days} · ${o.pending_extension.reason}`]);
  $('d-fields').replaceChildren(...fields.flatMap(([key, value, testid]) => [
    el('dt', { text: t(key) }), el('dd', { text: value, dataset: testid ? { testid } : undefined })]));
  const history = answer.history || [];
  $('d-history').replaceChildren(...history.map((e) => el('li', { dataset: { testid: 'history-item', kind: e.kind } },
    el('b', { text: t(`event_${e.kind}`) }), ` · ${when(e.at)} · ${e.by}`,
    eventText(e) ? el('div', { class: 'muted', text: eventText(e) }) : null)));
  const may = answer.may;
  const need = (kind) => may.some((m) => NEEDS[m] === kind);
  show($('d-text-label'), need('text') || need('days'));
  show($('d-days-label'), need('days'));
  show($('d-department-label'), need('department'));
  show($('d-score-label'), need('score'));
  show($('d-into-label'), need('into'));
  show($('d-file-label'), may.includes('add_attachment'));
  const files = o.attachments || [];
  $('d-attachments').replaceChildren(...(files.length ? files.map((f) => el('li', { dataset: { testid: 'attachment', id: String(f.id) } },
    answer.personal_masked
      ? el('span', { class: 'muted', text: t('name_hidden') })
      : el('a', { href: `/api/orders/${o.reference}/attachments/${f.id}`, text: f.name, dataset: { testid: 'attachment-link' } }),
    ` · ${f.content_type} · ${Math.max(1, Math.round(f.bytes / 1024))} KiB · ${when(f.at)} · ${f.by}`))
    : [el('li', { class: 'muted', text: t('no_attachments') })]));
  const buttons = may.flatMap((name) => {
    if (name === 'decide_extension') {
      return [button('approve_extension', { command: name, approve: true }), button('refuse_extension', { command: name, approve: false })];
    }
    if (name === 'add_attachment') {
      return [el('button', { type: 'button', text: t('do_add_attachment'), dataset: { testid: 'order-do-add_attachment' }, onclick: () => attach() })];
    }
    return [button(name, { command: name })];
  });
  $('d-buttons').replaceChildren(...(buttons.length ? buttons : [el('span', { class: 'muted', text: t('nothing_to_do') })]));
}

function eventText(e) {
  return e.text || e.reason || e.note || e.reply || e.summary || (e.department ? departmentName(e.department) : '')
    || (e.score ? `${e.score}/5` : '');
}

function button(label, command) {
  return el('button', {
    type: 'button', text: t(`do_${label}`), dataset: { testid: `order-do-${label}` },
    onclick: () => give(command),
  });
}

/// Uploads the chosen file: the body is the file itself, its type the
/// browser's (the server refuses types it does not keep).
async function attach() {
  const order = ui.order.order;
  const file = $('d-file').files[0];
  if (!file) { notify(t('choose_a_file')); return; }
  try {
    await upload(`/api/orders/${order.reference}/attachments?name=${encodeURIComponent(file.name)}`, file);
    $('d-file').value = '';
    notify(t('done_ok'), false);
  } catch (e) {
    notify(e.message);
  }
  await openOrder(order.reference);
}

async function give(command) {
  const order = ui.order.order;
  const body = { ...command };
  const text = $('d-text').value.trim();
  if (TEXT_FIELD[command.command]) body[TEXT_FIELD[command.command]] = text;
  if (command.command === 'request_extension') { body.working_days = Number($('d-days').value); body.reason = text; }
  if (command.command === 'redispatch') body.department = $('d-department').value;
  if (command.command === 'record_follow_up') {
    body.reporter = order.awaiting_follow_up[0].reporter.order;
    body.score = Number($('d-score').value);
  }
  try {
    if (command.command === 'merge') {
      // 并单: this order is a duplicate of the one named (grouped or not).
      await api('POST', `/api/orders/${order.reference}/merge`, { into: $('d-into').value.replace(/\D/g, '') });
      $('d-into').value = '';
    } else {
      await api('POST', `/api/orders/${order.reference}/commands`, body);
    }
    $('d-text').value = '';
    notify(t('done_ok'), false);
  } catch (e) {
    notify(e.message);
  }
  await openOrder(order.reference);
  await load();
}
