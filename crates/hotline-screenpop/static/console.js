// The Hotline agent console: login, agent state, the screen-pop, call
// controls, cases, wrap-up and the audited citizen search. Plain modern JS,
// no build step. Data from the server is only ever put in the page with
// textContent, never as HTML.
'use strict';

const TEXT = {
  en: {
    brand: 'Hotline', login_title: 'Agent console', login_user: 'Login', login_password: 'Password',
    login_submit: 'Log in', login_failed: 'Wrong login or password.',
    available: 'Available', break: 'Break', stop_calls: 'Log out', sign_out: 'Sign out',
    st_logged_out: 'Logged out', st_available: 'Available', st_offered: 'Ringing', st_on_call: 'On call',
    st_wrap_up: 'Wrap-up', st_break: 'On break',
    br_lunch: 'Lunch', br_rest: 'Rest', br_training: 'Training', br_meeting: 'Meeting', br_personal: 'Personal',
    waiting: 'No call at the moment.', incoming: 'Incoming call', queue: 'Queue', waited: 'Waited',
    callback: 'Callback', unknown_caller: 'Unknown caller', lookup_failed: 'The citizen record could not be read in time.',
    unknown_form: 'New caller', full_name: 'Full name', phone: 'Phone', save: 'Save',
    open_cases: 'Open cases', recent_calls: 'Recent calls', none: 'None', ivr: 'Self-service (IVR)',
    hold: 'Hold', resume: 'Resume', transfer: 'Transfer', hangup: 'Hang up',
    call_ringing: 'Ringing…', call_answered: 'Connected', call_on_hold: 'On hold', call_ended: 'Call ended',
    case_title: 'Case', category: 'Category', department: 'Department', summary: 'Summary', notes: 'Notes',
    case_submit: 'Save case', case_ref_label: 'Case reference — read it to the citizen',
    wrapup_title: 'Wrap-up', wrapup_submit: 'Finish', extend: '+60 s', wrapup_until: 'Wrap-up ends at',
    search_title: 'Find a citizen', search_hint: 'Phone, national ID or name', search_reason: 'Reason (required)',
    search: 'Search', no_results: 'Nobody found.', use_for_case: 'Use for the case',
    national_id: 'National ID', language: 'Language', phones: 'Phones', tags: 'Tags', since: 'Since',
    abandoned: 'abandoned', ended_by: 'Ended by', disconnected: 'Connection lost; reconnecting…',
    session_over: 'Your session ended. Please log in again.', saved: 'Saved.',
    nav_wallboard: 'Wallboard', nav_reports: 'Reports', nav_departments: 'Departments',
  },
  zh: {
    brand: '热线', login_title: '坐席工作台', login_user: '工号', login_password: '密码',
    login_submit: '登录', login_failed: '工号或密码错误。',
    available: '示闲', break: '小休', stop_calls: '签出', sign_out: '退出',
    st_logged_out: '未签入', st_available: '空闲', st_offered: '振铃', st_on_call: '通话中',
    st_wrap_up: '话后处理', st_break: '小休',
    br_lunch: '用餐', br_rest: '休息', br_training: '培训', br_meeting: '会议', br_personal: '私事',
    waiting: '当前没有来电。', incoming: '来电', queue: '队列', waited: '等待',
    callback: '回拨', unknown_caller: '未知来电', lookup_failed: '未能及时读取市民档案。',
    unknown_form: '新来电人', full_name: '姓名', phone: '电话', save: '保存',
    open_cases: '未结工单', recent_calls: '近期来电', none: '无', ivr: '自助语音 (IVR)',
    hold: '保持', resume: '恢复', transfer: '转接', hangup: '挂断',
    call_ringing: '振铃中…', call_answered: '已接通', call_on_hold: '保持中', call_ended: '通话已结束',
    case_title: '工单', category: '类别', department: '承办部门', summary: '摘要', notes: '备注',
    case_submit: '保存工单', case_ref_label: '工单编号 — 请告知市民',
    wrapup_title: '话后处理', wrapup_submit: '完成', extend: '延长 60 秒', wrapup_until: '话后处理截止',
    search_title: '查找市民', search_hint: '电话、身份证号或姓名', search_reason: '查询事由（必填）',
    search: '查询', no_results: '未找到。', use_for_case: '用于工单',
    national_id: '身份证号', language: '语言', phones: '电话', tags: '标签', since: '登记于',
    abandoned: '放弃', ended_by: '挂断方', disconnected: '连接中断，正在重连…',
    session_over: '会话已结束，请重新登录。', saved: '已保存。',
    nav_wallboard: '实时监控', nav_reports: '统计报表', nav_departments: '部门办理情况',
  },
};

const $ = (id) => document.getElementById(id);

const ui = {
  lang: 'en',
  csrf: null,
  user: null,
  config: { queues: [], departments: [], dispositions: [], case_categories: [], break_reasons: [] },
  status: { state: 'logged_out', reason: null, call: null, since_ms: 0 },
  pop: null,           // the current ScreenPop
  citizen: null,       // the citizen the case will be about
  onHold: false,
  socket: null,
  retry: 0,
  record: null,        // the record shown on the right
};
ui.lang = localStorage.getItem('hotline.lang') ||
  ((navigator.language || '').toLowerCase().startsWith('zh') ? 'zh' : 'en');

function t(key) {
  return (TEXT[ui.lang] && TEXT[ui.lang][key]) || TEXT.en[key] || key;
}

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === 'text') node.textContent = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c != null) node.append(c);
  return node;
}

function show(node, visible) { node.hidden = !visible; }

// ---- language -------------------------------------------------------------

function applyLanguage() {
  document.documentElement.lang = ui.lang === 'zh' ? 'zh-CN' : 'en';
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll('[data-i18n-placeholder]')) node.placeholder = t(node.dataset.i18nPlaceholder);
  $('btn-lang').textContent = ui.lang === 'zh' ? 'English' : '中文';
  fillBreakReasons();
  renderState();
  if (ui.pop) renderPop();
  if (ui.record) renderRecord(ui.record);
}

$('btn-lang').addEventListener('click', () => {
  ui.lang = ui.lang === 'zh' ? 'en' : 'zh';
  localStorage.setItem('hotline.lang', ui.lang);
  applyLanguage();
});

// ---- server ---------------------------------------------------------------

class ApiError extends Error {
  constructor(status, message, field) { super(message); this.status = status; this.field = field; }
}

async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') headers['X-CSRF-Token'] = ui.csrf || '';
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!response.ok) {
    if (response.status === 401 && path !== '/api/login') sessionOver();
    throw new ApiError(response.status, (data && data.error) || response.statusText, data && data.field);
  }
  return data;
}

function notify(message, isError) {
  const n = $('notice');
  n.textContent = message;
  n.className = isError ? 'error' : '';
  show(n, true);
  clearTimeout(notify.timer);
  notify.timer = setTimeout(() => show(n, false), isError ? 8000 : 3000);
}

async function attempt(fn) {
  try { return await fn(); } catch (e) { notify(e.message, true); return null; }
}

// ---- session --------------------------------------------------------------

$('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  show($('login-error'), false);
  try {
    const answer = await api('POST', '/api/login', {
      login: $('login-user').value.trim(), password: $('login-password').value,
    });
    $('login-password').value = '';
    ui.csrf = answer.csrf_token;
    await enterDesk();
  } catch (e) {
    $('login-error').textContent = e.status === 401 ? t('login_failed') : e.message;
    show($('login-error'), true);
  }
});

$('btn-signout').addEventListener('click', async () => {
  await attempt(() => api('POST', '/api/logout'));
  leaveDesk();
});

function sessionOver() {
  if (ui.user) notify(t('session_over'), true);
  leaveDesk();
}

function leaveDesk() {
  ui.user = null; ui.csrf = null; ui.pop = null;
  if (ui.socket) { ui.socket.onclose = null; ui.socket.close(); ui.socket = null; }
  show($('desk'), false); show($('state-controls'), false); show($('btn-signout'), false);
  show($('page-links'), false);
  $('who').textContent = '';
  show($('login-view'), true);
  $('login-user').focus();
}

async function enterDesk() {
  const me = await api('GET', '/api/me');
  ui.user = me.user; ui.csrf = me.csrf_token;
  if (me.agent) setStatus(me.agent);
  ui.config = await api('GET', '/api/config');
  $('who').textContent = me.user.display_name;
  show($('login-view'), false); show($('desk'), true); show($('btn-signout'), true);
  show($('state-controls'), me.user.role !== 'admin');
  // Supervisors and admins get the wallboard and the department view;
  // everyone the reports (agents see their own figures there).
  const oversees = me.user.role === 'supervisor' || me.user.role === 'admin';
  for (const link of document.querySelectorAll('#page-links [data-oversee]')) show(link, oversees);
  show($('page-links'), true);
  fillSelects();
  fillBreakReasons();
  renderState();
  if (me.user.role !== 'admin') connect();
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
  socket.onopen = () => { ui.retry = 0; };
  socket.onmessage = (ev) => {
    let event;
    try { event = JSON.parse(ev.data); } catch { return; }
    handleEvent(event);
  };
  socket.onclose = () => {
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
    case 'answered': if (isCurrent(event.call)) { ui.pop.phase = 'answered'; renderCallStatus(); } break;
    case 'hold': if (isCurrent(event.call)) { ui.onHold = event.on; ui.pop.phase = event.on ? 'on_hold' : 'answered'; renderCallStatus(); } break;
    case 'ended':
      if (isCurrent(event.call)) { ui.pop.phase = 'ended'; ui.pop.ended = true; ui.pop.endedBy = event.by; renderCallStatus(); renderState(); }
      break;
    case 'wrap_up':
      if (isCurrent(event.call)) {
        ui.pop.ended = true;
        $('wrapup-until').textContent = `${t('wrapup_until')} ${new Date(event.until_ms).toLocaleTimeString(ui.lang)}`;
        renderState();
      }
      break;
    case 'notice': notify(event.message, false); break;
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
  return ms ? new Date(ms).toLocaleString(ui.lang === 'zh' ? 'zh-CN' : 'en-GB') : '';
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

function detailRows(dl, citizen) {
  const rows = [
    [t('national_id'), citizen.national_id_masked],
    [t('language'), citizen.preferred_language],
    [t('phones'), citizen.phones.join(', ')],
    [t('tags'), citizen.tags.join(', ')],
    [t('since'), formatTime(citizen.created_at_ms)],
  ].filter(([, v]) => v);
  dl.replaceChildren(...rows.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]));
}

function renderPop() {
  const pop = ui.pop;
  show($('idle'), !pop);
  show($('pop'), !!pop);
  show($('case-card'), !!pop);
  if (!pop) return;
  $('pop-caller').textContent = pop.caller;
  $('pop-queue').textContent = pop.department ? `${pop.queue} · ${pop.department}` : pop.queue;
  $('pop-waited').textContent = formatWait(pop.waited_ms);
  show($('pop-callback'), pop.callback);
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
  show($('quick-form'), !record && !pop.lookup_failed);
  if (!record && !$('quick-phone').value) $('quick-phone').value = /^\+?[0-9]{3,20}$/.test(pop.caller) ? pop.caller : '';

  fillList($('pop-cases'), record ? record.open_cases : [], caseItem);
  fillList($('pop-calls'), record ? record.recent_calls : [], callItem);
  $('pop-ivr-path').textContent = pop.ivr_path.join(' › ');
  $('pop-ivr-vars').replaceChildren(...pop.ivr_vars.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]));
  renderCallStatus();
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
  for (const id of ['btn-hold', 'btn-transfer', 'btn-hangup', 'transfer-queue']) $(id).disabled = pop.ended;
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
  ui.onHold = on; ui.pop.phase = on ? 'on_hold' : 'answered';
  renderCallStatus();
}));

$('btn-transfer').addEventListener('click', () => attempt(async () => {
  await api('POST', `/api/calls/${ui.pop.call}/transfer`, { queue: $('transfer-queue').value });
  notify(`${t('transfer')} → ${$('transfer-queue').value}`, false);
}));

$('btn-hangup').addEventListener('click', () => attempt(async () => {
  await api('POST', `/api/calls/${ui.pop.call}/hangup`);
}));

// ---- case -----------------------------------------------------------------

function fillSelects() {
  const cfg = ui.config;
  $('transfer-queue').replaceChildren(...cfg.queues.map((q) => el('option', { value: q.name, text: `${q.name} · ${q.department}` })));
  $('case-category').replaceChildren(...cfg.case_categories.map((c) => el('option', { value: c, text: c })));
  $('case-department').replaceChildren(...cfg.departments.map((d) => el('option', { value: d, text: d })));
  if (ui.pop && cfg.departments.includes(ui.pop.department)) $('case-department').value = ui.pop.department;
  $('wrapup-disposition').replaceChildren(...cfg.dispositions.map((d) => el('option', { value: d, text: d })));
}

$('case-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  attempt(async () => {
    $('case-submit').disabled = true;
    try {
      const created = await api('POST', '/api/cases', {
        call: ui.pop ? ui.pop.call : undefined,
        citizen: ui.citizen ? ui.citizen.citizen.id : undefined,
        category: $('case-category').value,
        department: $('case-department').value,
        summary: $('case-summary').value,
      });
      const notes = $('case-notes').value.trim();
      if (notes) await api('POST', `/api/cases/${created.case_ref}/notes`, { text: notes });
      $('case-ref').textContent = created.case_ref_display;
      show($('case-result'), true);
      if (ui.citizen) ui.citizen.open_cases.push(created);
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

applyLanguage();
enterDesk().catch(() => leaveDesk());
