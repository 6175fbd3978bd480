// The Hotline agent console: agent state, the screen-pop, call controls,
// cases, wrap-up and the audited citizen search. The page frame (sign-in,
// language, header links, notices) and the API calls are ui/common.js's,
// the words are in ui/texts.js. Plain modern JS (an ES module), no build
// step. Data from the server is only ever put in the page with
// textContent, never as HTML.
import { $, api, currentLang, el, notify, onLanguage, show, startPage, t } from '/ui/common.js';
import * as softphone from '/console/softphone.js';

const ui = {
  user: null,
  config: { queues: [], departments: [], dispositions: [], case_categories: [], break_reasons: [] },
  status: { state: 'logged_out', reason: null, call: null, since_ms: 0 },
  pop: null,           // the current ScreenPop
  citizen: null,       // the citizen the case will be about
  onHold: false,
  consulting: null,    // whom the agent consults about the current call
  socket: null,
  retry: 0,
  record: null,        // the record shown on the right
  catalogue: null,     // the work orders' dispatch catalogue
};

async function attempt(fn) {
  try { return await fn(); } catch (e) { notify(e.message, true); return null; }
}

// ---- session --------------------------------------------------------------

/// Signed in (see startPage): the agent's state, the selects and, except
/// for admins, the push socket.
async function enter(me, config, agent) {
  ui.user = me;
  if (agent) setStatus(agent);
  ui.config = config;
  show($('state-controls'), me.role !== 'admin');
  ui.catalogue = await attempt(() => api('GET', '/api/orders/catalogue'));
  fillSelects();
  fillBreakReasons();
  fillSearchReasons();
  renderState();
  if (me.role !== 'admin') connect();
}

/// Signed out, or the session ended.
function leave() {
  ui.user = null; ui.pop = null;
  if (ui.socket) { ui.socket.onclose = null; ui.socket.close(); ui.socket = null; }
  show($('state-controls'), false);
}

// ---- agent state ----------------------------------------------------------

function setStatus(status) {
  // Replies and pushes may cross: keep the newest.
  if (status.since_ms < ui.status.since_ms) return;
  ui.status = status;
  renderState();
}

function renderState() {
  const s = ui.status;
  const badge = $('state');
  badge.dataset.state = s.state;
  badge.textContent = t('st_' + s.state) + (s.state === 'break' && s.reason ? ' · ' + t('br_' + s.reason) : '');
  $('btn-available').disabled = s.state === 'available' || s.state === 'on_call' || s.state === 'offered';
  $('btn-break').disabled = s.state === 'break' || s.state === 'logged_out';
  $('btn-logout').disabled = s.state === 'logged_out';
  show($('wrapup-card'), s.state === 'wrap_up' || (ui.pop && ui.pop.ended));
}

// The configured search reasons, as the city wrote them (a search needs one).
function fillSearchReasons() {
  const select = $('search-reason');
  const current = select.value;
  select.replaceChildren(...(ui.config.search_reasons || []).map((r) => el('option', { value: r, text: r })));
  if (current) select.value = current;
  $('search-q').minLength = ui.config.search_min_chars || 4;
}

function fillBreakReasons() {
  const select = $('break-reason');
  const current = select.value;
  select.replaceChildren(...ui.config.break_reasons.map((r) => el('option', { value: r, text: t('br_' + r) })));
  if (current) select.value = current;
}

$('btn-available').addEventListener('click', () => attempt(async () => {
  let status = ui.status;
  if (status.state === 'logged_out') status = await api('POST', '/api/agent/login');
  if (status.state !== 'available') status = await api('POST', '/api/agent/state', { state: 'available' });
  setStatus(status);
}));

$('btn-break').addEventListener('click', () => attempt(async () => {
  setStatus(await api('POST', '/api/agent/state', { state: 'break', reason: $('break-reason').value }));
}));

$('btn-logout').addEventListener('click', () => attempt(async () => {
  setStatus(await api('POST', '/api/agent/state', { state: 'logged_out' }));
}));

// ---- WebSocket ------------------------------------------------------------

function connect() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const socket = new WebSocket(`${scheme}://${location.host}/api/agent/ws`);
  ui.socket = socket;
  socket.onopen = () => {
    ui.retry = 0;
    softphone.attach((msg) => { if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(msg)); });
  };
  socket.onmessage = (ev) => {
    let event;
    try { event = JSON.parse(ev.data); } catch { return; }
    handleEvent(event);
  };
  socket.onclose = () => {
    softphone.detach();
    if (!ui.user) return;
    notify(t('disconnected'), true);
    ui.retry = Math.min(ui.retry + 1, 6);
    setTimeout(async () => {
      if (!ui.user) return;
      try { await api('GET', '/api/me'); connect(); } catch { /* sessionOver already ran on 401 */ if (ui.user) connect(); }
    }, 500 * 2 ** ui.retry);
  };
}

function handleEvent(event) {
  switch (event.type) {
    case 'state': setStatus(event); break;
    case 'pop': showPop(event); break;
    case 'answered':
      // A consulted agent hears "answered" again when the caller is put through to them.
      if (isCurrent(event.call)) { ui.pop.phase = 'answered'; ui.pop.consulted_by = null; renderPop(); }
      break;
    case 'consult_ended':
      if (isCurrent(event.call)) { ui.consulting = null; notify(t(`consult_${event.outcome}`), event.outcome !== 'returned'); renderCallStatus(); }
      break;
    case 'hold': softphone.held(event.call, event.on); if (isCurrent(event.call)) { ui.onHold = event.on; ui.pop.phase = event.on ? 'on_hold' : 'answered'; renderCallStatus(); } break;
    case 'ended':
      if (isCurrent(event.call)) { ui.pop.phase = 'ended'; ui.pop.ended = true; ui.pop.endedBy = event.by; renderCallStatus(); renderState(); }
      break;
    case 'wrap_up':
      if (isCurrent(event.call)) {
        ui.pop.ended = true;
        $('wrapup-until').textContent = `${t('wrapup_until')} ${new Date(event.until_ms).toLocaleTimeString(currentLang())}`;
        renderState();
      }
      break;
    case 'notice': notify(event.message, false); break;
    case 'softphone': softphone.handle(event); break;
    default: break;
  }
}

function isCurrent(call) { return ui.pop && ui.pop.call === call; }

// ---- the screen-pop -------------------------------------------------------

function showPop(pop) {
  ui.pop = Object.assign(pop, { phase: 'ringing', ended: false });
  ui.onHold = false;
  ui.citizen = pop.citizens.length ? pop.citizens[0] : null;
  $('case-form').reset();
  show($('case-result'), false);
  $('wrapup-until').textContent = '';
  fillSelects();
  renderPop();
  renderState();
  document.title = `☎ ${pop.caller} — Hotline`;
  $('pop').scrollIntoView({ block: 'start' });
}

function formatWait(ms) {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function formatTime(ms) {
  return ms ? new Date(ms).toLocaleString(currentLang() === 'zh' ? 'zh-CN' : 'en-GB') : '';
}

function caseItem(c) {
  return el('li', {}, el('b', { text: c.case_ref.replace(/^(\d{6})(\d{5})(\d)$/, '$1-$2-$3') }), ' ',
    el('span', { text: `${c.category} · ${c.department} · ${c.status}` }),
    c.summary ? el('div', { class: 'muted', text: c.summary }) : null);
}

function callItem(c) {
  const parts = [formatTime(c.started_at_ms), c.queue, c.agent, c.disposition].filter(Boolean);
  if (c.abandoned) parts.push(t('abandoned'));
  return el('li', { text: parts.join(' · ') });
}

function fillList(list, items, render) {
  list.replaceChildren(...(items.length ? items.map(render) : [el('li', { class: 'muted', text: t('none') })]));
}

const PURPOSES = ['recording', 'follow_up', 'sms', 'email'];

/// The latest consent per purpose, as "Follow-up calls: no (agent)".
function consentSummary(citizen) {
  return PURPOSES.map((p) => citizen.consents.find((c) => c.what === p))
    .filter(Boolean)
    .map((c) => `${t(`purpose_${c.what}`)}: ${t(c.granted ? 'consent_yes' : 'consent_no')} (${c.channel})`)
    .join('; ');
}

function detailRows(dl, citizen) {
  const rows = [
    [t('national_id'), citizen.national_id_masked],
    [t('language'), citizen.preferred_language],
    [t('phones'), citizen.phones.join(', ')],
    [t('tags'), citizen.tags.join(', ')],
    [t('consents'), consentSummary(citizen)],
    [t('restricted'), citizen.restricted_at_ms ? formatTime(citizen.restricted_at_ms) : ''],
    [t('since'), formatTime(citizen.created_at_ms)],
  ].filter(([, v]) => v);
  dl.replaceChildren(...rows.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]));
}

// ---- between calls ---------------------------------------------------------

/// The agent's own work between calls: how many callers wait in each queue
/// (the live wallboard as this agent may see it) and the work orders they
/// took down, with their phase and deadline. Refreshed every 20 s while
/// there is no call.
async function refreshIdle() {
  if (ui.pop || !ui.user || ui.user.role === 'admin') return;
  const [queues, mine] = await Promise.all([
    api('GET', '/api/queues/waiting').catch(() => []),
    api('GET', '/api/orders/mine?limit=10').catch(() => []),
  ]);
  $('idle-queues').replaceChildren(...(queues.length
    ? queues.map((q) => el('li', { dataset: { queue: q.queue } }, el('b', { text: q.queue }), ` · ${q.waiting} ${t('waiting_callers')}`))
    : [el('li', { class: 'muted', text: '—' })]));
  $('idle-orders').replaceChildren(...(mine.length
    ? mine.map((o) => el('li', { dataset: { testid: 'idle-order', reference: o.reference, phase: o.phase } },
      el('a', { href: `/orders/?order=${o.reference}`, text: o.reference.replace(/^(\d{6})(\d{5})(\d)$/, '$1-$2-$3') }),
      ` · ${o.category} · ${o.department || '—'} · ${t(`order_${o.phase}`)}`,
      o.class === 'overdue' ? el('b', { class: 'bad', text: ` · ${t('order_overdue')}` }) : null))
    : [el('li', { class: 'muted', text: '—' })]));
}
setInterval(() => { refreshIdle().catch(() => {}); }, 20000);

function renderPop() {
  const pop = ui.pop;
  show($('idle'), !pop);
  if (!pop) refreshIdle().catch(() => {});
  show($('pop'), !!pop);
  show($('case-card'), !!pop);
  if (!pop) return;
  $('pop-caller').textContent = pop.caller;
  $('pop-queue').textContent = pop.department ? `${pop.queue} · ${pop.department}` : pop.queue;
  $('pop-waited').textContent = formatWait(pop.waited_ms);
  show($('pop-callback'), pop.callback);
  show($('pop-consulted'), !!pop.consulted_by);
  $('pop-consulted').textContent = pop.consulted_by ? `${t('consulted_by')} ${pop.consulted_by}` : '';
  show($('pop-lookup-failed'), pop.lookup_failed);

  const record = ui.citizen;
  $('pop-citizen-name').textContent = record ? (record.citizen.full_name || '—') : t('unknown_caller');
  $('pop-citizen-name').classList.toggle('unknown', !record);
  const chooser = $('pop-citizens');
  show(chooser, pop.citizens.length > 1);
  chooser.replaceChildren(...pop.citizens.map((r) => el('button', {
    type: 'button', class: r === record ? 'chip active' : 'chip', text: r.citizen.full_name || '—',
    onclick: () => { ui.citizen = r; renderPop(); },
  })));
  if (record) detailRows($('pop-details'), record.citizen); else $('pop-details').replaceChildren();
  renderConsents(record);
  show($('quick-form'), !record && !pop.lookup_failed);
  if (!record && !$('quick-phone').value) $('quick-phone').value = /^\+?[0-9]{3,20}$/.test(pop.caller) ? pop.caller : '';

  fillList($('pop-cases'), record ? record.open_cases : [], caseItem);
  fillList($('pop-calls'), record ? record.recent_calls : [], callItem);
  $('pop-ivr-path').textContent = pop.ivr_path.join(' › ');
  $('pop-ivr-vars').replaceChildren(...pop.ivr_vars.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]));
  renderCallStatus();
}

/// What the citizen says on the call about each purpose, recorded with the
/// call (audited as this agent's, on this call).
function renderConsents(record) {
  const box = $('pop-consents');
  show(box, !!record);
  if (!record) { box.replaceChildren(); return; }
  const say = (purpose, granted) => attempt(async () => {
    await api('POST', `/api/citizens/${record.citizen.id}/consents`, { purpose, granted, call: ui.pop.call });
    record.citizen.consents.unshift({ what: purpose, granted: granted ? 1 : 0, channel: 'agent', at_ms: Date.now() });
    notify(t('consent_saved'), false);
    renderPop();
  });
  box.replaceChildren(...PURPOSES.map((p) => el('span', { class: 'chip', dataset: { testid: `consent-${p}` } },
    `${t(`purpose_${p}`)} `,
    el('button', { type: 'button', class: 'ghost', text: t('consent_yes'), dataset: { testid: `consent-${p}-yes` }, onclick: () => say(p, true) }),
    el('button', { type: 'button', class: 'ghost', text: t('consent_no'), dataset: { testid: `consent-${p}-no` }, onclick: () => say(p, false) }))));
}

function renderCallStatus() {
  const pop = ui.pop;
  if (!pop) return;
  const label = {
    ringing: t('call_ringing'), answered: t('call_answered'), on_hold: t('call_on_hold'),
    ended: `${t('call_ended')}${pop.endedBy ? ` (${t('ended_by')}: ${pop.endedBy})` : ''}`,
  }[pop.phase] || '';
  $('call-status').textContent = label;
  $('call-status').dataset.phase = pop.phase;
  $('btn-hold').textContent = ui.onHold ? t('resume') : t('hold');
  for (const id of ['btn-hold', 'btn-transfer', 'btn-consult', 'btn-hangup', 'transfer-queue']) $(id).disabled = pop.ended;
  // A colleague consulted about the call talks; the agent who consulted them puts it through.
  const consulting = !!ui.consulting && !pop.ended;
  for (const id of ['btn-hold', 'btn-transfer', 'btn-consult']) show($(id), !consulting && !pop.consulted_by);
  show($('btn-consult-complete'), consulting);
  show($('btn-consult-return'), consulting);
}

$('quick-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  attempt(async () => {
    const record = await api('POST', '/api/citizens', {
      full_name: $('quick-name').value.trim(),
      phone: $('quick-phone').value.trim() || undefined,
      preferred_language: $('quick-language').value,
      call: ui.pop.call,
    });
    ui.pop.citizens.push(record);
    ui.citizen = record;
    $('quick-form').reset();
    renderPop();
    notify(t('saved'), false);
  });
});

// ---- call controls --------------------------------------------------------

$('btn-hold').addEventListener('click', () => attempt(async () => {
  const on = !ui.onHold;
  await api('POST', `/api/calls/${ui.pop.call}/hold`, { on });
  softphone.held(ui.pop.call, on);
  ui.onHold = on; ui.pop.phase = on ? 'on_hold' : 'answered';
  renderCallStatus();
}));

/** The transfer list's choice: `{ queue }` or `{ destination }`. */
function transferTarget() {
  const [kind, name] = $('transfer-queue').value.split(':');
  return kind === 'destination' ? { destination: name } : { queue: name };
}

$('btn-transfer').addEventListener('click', () => attempt(async () => {
  const target = transferTarget();
  if (!target.queue) { notify(t('consult_first'), true); return; }
  await api('POST', `/api/calls/${ui.pop.call}/transfer`, target);
  notify(`${t('transfer')} → ${target.queue}`, false);
}));

$('btn-consult').addEventListener('click', () => attempt(async () => {
  const answer = await api('POST', `/api/calls/${ui.pop.call}/consult`, transferTarget());
  ui.consulting = answer.consulting;
  notify(`${t('consulting')} ${answer.consulting}`, false);
  renderCallStatus();
}));

for (const [id, end] of [['btn-consult-complete', 'complete'], ['btn-consult-return', 'return']]) {
  $(id).addEventListener('click', () => attempt(async () => {
    await api('POST', `/api/calls/${ui.pop.call}/consult/${end}`);
    ui.consulting = null;
    renderCallStatus();
  }));
}

$('btn-hangup').addEventListener('click', () => attempt(async () => {
  await api('POST', `/api/calls/${ui.pop.call}/hangup`);
}));

// ---- case -----------------------------------------------------------------

function fillSelects() {
  const cfg = ui.config;
  $('transfer-queue').replaceChildren(
    ...cfg.queues.map((q) => el('option', { value: `queue:${q.name}`, text: `${q.name} · ${q.department}` })),
    ...(cfg.destinations || []).map((d) => el('option', { value: `destination:${d}`, text: `☎ ${d}` })),
  );
  fillOrderForm();
  $('wrapup-disposition').replaceChildren(...cfg.dispositions.map((d) => el('option', { value: d, text: d })));
}

// The case is a work order: the catalogue's category names its department
// and deadline; the agent dispatches it or resolves it on the call.
const named = (item) => (currentLang() === 'zh' ? item.name_zh : item.name_en);

function fillOrderForm() {
  const cat = ui.catalogue;
  if (!cat) return;
  const keep = (select, options) => {
    const value = select.value;
    select.replaceChildren(...options);
    if (value && [...select.options].some((o) => o.value === value)) select.value = value;
  };
  keep($('case-category'), cat.categories.map((c) => el('option', { value: c.code, text: named(c) })));
  keep($('case-district'), cat.districts.map((d) => el('option', { value: d.name, text: d.name })));
  fillStreets();
  showDepartment();
}

function fillStreets() {
  const district = ui.catalogue?.districts.find((d) => d.name === $('case-district').value);
  const value = $('case-street').value;
  $('case-street').replaceChildren(...(district ? district.streets : []).map((s) => el('option', { value: s, text: s })));
  if (value && district?.streets.includes(value)) $('case-street').value = value;
}

function showDepartment() {
  const cat = ui.catalogue;
  const category = cat?.categories.find((c) => c.code === $('case-category').value);
  const department = category && cat.departments.find((d) => d.code === category.department);
  $('case-department').textContent = department
    ? `${named(department)} · ${category.deadline_working_days} ${t('working_days')}` : '';
}

$('case-category').addEventListener('change', showDepartment);
$('case-district').addEventListener('change', fillStreets);
$('case-then').addEventListener('change', () => show($('case-reply-label'), $('case-then').value === 'resolve'));

$('case-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  attempt(async () => {
    $('case-submit').disabled = true;
    try {
      const then = $('case-then').value;
      const created = await api('POST', '/api/orders', {
        call: ui.pop ? ui.pop.call : undefined,
        citizen: ui.citizen ? ui.citizen.citizen.id : undefined,
        category: $('case-category').value,
        district: $('case-district').value,
        street: $('case-street').value,
        address: $('case-address').value,
        summary: $('case-summary').value,
        then,
        reply: then === 'resolve' ? $('case-reply').value : undefined,
      });
      $('case-ref').textContent = created.reference_display;
      $('case-ref').dataset.phase = created.order.phase;
      show($('case-result'), true);
      if (ui.citizen) {
        ui.citizen.open_cases.push({
          case_ref: created.order.reference, category: created.order.category,
          department: created.order.department || '—', status: created.order.phase,
          summary: created.order.summary,
        });
      }
      renderPop();
    } finally {
      $('case-submit').disabled = false;
    }
  });
});

// ---- wrap-up --------------------------------------------------------------

$('wrapup-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  attempt(async () => {
    const call = ui.pop ? ui.pop.call : ui.status.call;
    const status = await api('POST', `/api/calls/${call}/wrap_up`, { disposition: $('wrapup-disposition').value });
    ui.pop = null; ui.citizen = null;
    document.title = 'Hotline';
    setStatus(status);
    renderPop();
    renderState();
  });
});

$('btn-extend').addEventListener('click', () => attempt(async () => {
  setStatus(await api('POST', '/api/agent/wrap_up/extend', { seconds: 60 }));
}));

// ---- search and records ---------------------------------------------------

$('search-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  attempt(async () => {
    const q = new URLSearchParams({ q: $('search-q').value.trim(), reason: $('search-reason').value.trim() });
    const found = await api('GET', `/api/citizens?${q}`);
    const list = $('search-results');
    if (!found.length) { list.replaceChildren(el('li', { class: 'muted', text: t('no_results') })); return; }
    list.replaceChildren(...found.map((r) => el('li', {
      tabindex: '0', dataset: { testid: 'search-result' },
      text: [r.citizen.full_name, r.citizen.national_id_masked, r.citizen.phones.join(', ')].filter(Boolean).join(' · '),
      onclick: () => renderRecord(r),
      onkeydown: (e) => { if (e.key === 'Enter') renderRecord(r); },
    })));
  });
});

function renderRecord(record) {
  ui.record = record;
  show($('record-card'), true);
  $('record-name').textContent = record.citizen.full_name || '—';
  detailRows($('record-details'), record.citizen);
  fillList($('record-cases'), record.open_cases, caseItem);
  fillList($('record-calls'), record.recent_calls, callItem);
}

$('record-use').addEventListener('click', () => {
  if (!ui.record) return;
  ui.citizen = ui.record;
  if (ui.pop && !ui.pop.citizens.some((r) => r.citizen.id === ui.record.citizen.id)) ui.pop.citizens.push(ui.record);
  renderPop();
});

// ---- start ----------------------------------------------------------------

// Before startPage, so that its first pass over the words (before sign-in)
// also labels the state badge and the break reasons.
onLanguage(() => {
  fillBreakReasons();
  fillOrderForm();
  renderState();
  if (ui.pop) renderPop();
  if (ui.record) renderRecord(ui.record);
});
softphone.setup();
startPage({ page: 'console', enter, leave });
