// Shared by the supervisor pages (wallboard, reports, department view):
// language, API calls with the session's CSRF token, the login form, the
// page header, and formatting. Plain modern JS (an ES module), no build
// step. Data from the server only ever goes into the page as textContent.
'use strict';

const COMMON_TEXT = {
  en: {
    brand: 'Hotline', login_title: 'Sign in', login_user: 'Login', login_password: 'Password',
    login_submit: 'Log in', login_failed: 'Wrong login or password.', sign_out: 'Sign out',
    nav_console: 'Console', nav_wallboard: 'Wallboard', nav_reports: 'Reports', nav_departments: 'Departments',
    session_over: 'Your session ended. Please log in again.', loading: 'Loading…', none: 'No data for this period.',
    from: 'From', to: 'To', show: 'Show', today: 'Today', yesterday: 'Yesterday', last7: 'Last 7 days',
    this_month: 'This month', export_csv: 'CSV', export_json: 'JSON', exports: 'Export',
    forbidden: 'Your role may not see this.',
  },
  zh: {
    brand: '热线', login_title: '登录', login_user: '工号', login_password: '密码',
    login_submit: '登录', login_failed: '工号或密码错误。', sign_out: '退出',
    nav_console: '坐席工作台', nav_wallboard: '实时监控', nav_reports: '统计报表', nav_departments: '部门办理情况',
    session_over: '会话已结束，请重新登录。', loading: '加载中…', none: '该时段没有数据。',
    from: '开始', to: '结束', show: '查询', today: '今天', yesterday: '昨天', last7: '近7天',
    this_month: '本月', export_csv: 'CSV', export_json: 'JSON', exports: '导出',
    forbidden: '您的角色无权查看。',
  },
};

let texts = COMMON_TEXT;
let lang = localStorage.getItem('hotline.lang') ||
  ((navigator.language || '').toLowerCase().startsWith('zh') ? 'zh' : 'en');
const languageListeners = [];
let csrf = null;

export function t(key) {
  return (texts[lang] && texts[lang][key]) || texts.en[key] || key;
}

export function currentLang() { return lang; }

export function $(id) { return document.getElementById(id); }

export function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null) continue;
    if (k === 'text') node.textContent = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c != null) node.append(c);
  return node;
}

export function show(node, visible) { node.hidden = !visible; }

/// Sets textContent only when it changes (cheap repaints every second).
export function setText(node, text) {
  const value = String(text);
  if (node.textContent !== value) node.textContent = value;
}

export function setData(node, key, value) {
  const v = String(value);
  if (node.dataset[key] !== v) node.dataset[key] = v;
}

function applyLanguage() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  const button = $('btn-lang');
  if (button) button.textContent = lang === 'zh' ? 'English' : '中文';
  for (const listener of languageListeners) listener();
}

export function onLanguage(listener) { languageListeners.push(listener); }

// ---- server ---------------------------------------------------------------

export class ApiError extends Error {
  constructor(status, message, field) { super(message); this.status = status; this.field = field; }
}

export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') headers['X-CSRF-Token'] = csrf || '';
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

let onSessionOver = () => {};
function sessionOver() { onSessionOver(); }

export function notify(message) {
  const n = $('notice');
  if (!n) return;
  n.textContent = message;
  show(n, true);
  clearTimeout(notify.timer);
  notify.timer = setTimeout(() => show(n, false), 8000);
}

// ---- the page frame -------------------------------------------------------

/// Starts a page: language, header links, sign-in. `pageText` adds the
/// page's own words; `enter(me, config)` runs once signed in (and again
/// after a new sign-in); `leave()` when the session ends.
export function startPage({ pageText, enter, leave }) {
  texts = { en: { ...COMMON_TEXT.en, ...pageText.en }, zh: { ...COMMON_TEXT.zh, ...pageText.zh } };
  let me = null;
  const loginView = $('login-view');
  const content = $('content');

  const signedOut = () => {
    if (me) notify(t('session_over'));
    me = null; csrf = null;
    if (leave) leave();
    show(content, false); show(loginView, true);
    show($('btn-signout'), false);
    for (const link of document.querySelectorAll('[data-role-link]')) show(link, false);
    setText($('who'), '');
    $('login-user').focus();
  };
  onSessionOver = signedOut;

  const signedIn = async () => {
    const answer = await api('GET', '/api/me');
    me = answer.user; csrf = answer.csrf_token;
    const config = await api('GET', '/api/config');
    setText($('who'), me.display_name);
    show(loginView, false); show(content, true); show($('btn-signout'), true);
    const overseer = me.role === 'supervisor' || me.role === 'admin';
    for (const link of document.querySelectorAll('[data-role-link]')) {
      show(link, link.dataset.roleLink === 'all' || overseer);
    }
    await enter(me, config);
  };

  $('btn-lang').addEventListener('click', () => {
    lang = lang === 'zh' ? 'en' : 'zh';
    localStorage.setItem('hotline.lang', lang);
    applyLanguage();
  });
  $('login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    show($('login-error'), false);
    try {
      const answer = await api('POST', '/api/login', {
        login: $('login-user').value.trim(), password: $('login-password').value,
      });
      $('login-password').value = '';
      csrf = answer.csrf_token;
      await signedIn();
    } catch (e) {
      $('login-error').textContent = e.status === 401 ? t('login_failed') : e.message;
      show($('login-error'), true);
    }
  });
  $('btn-signout').addEventListener('click', async () => {
    try { await api('POST', '/api/logout'); } catch { /* signed out anyway */ }
    signedOut();
  });
  applyLanguage();
  signedIn().catch(() => signedOut());
}

// ---- formatting -----------------------------------------------------------

/// 75 000 ms → "1:15"; an hour or more → "1:02:03".
export function fmtDuration(ms) {
  if (ms == null || !Number.isFinite(ms)) return '—';
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/// A share 0..1 as a percentage; "—" when there is none.
export function fmtPct(x, digits = 0) {
  return x == null || !Number.isFinite(x) ? '—' : `${(x * 100).toFixed(digits)}%`;
}

export function fmtInt(n) {
  return n == null ? '—' : Number(n).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB');
}

export function fmtNum(x, digits = 1) {
  return x == null || !Number.isFinite(x) ? '—' : x.toFixed(digits);
}

const DAY_MS = 86400000;

/// The local calendar fields of `ms` at `tz` minutes east of UTC.
export function localParts(ms, tz) {
  const d = new Date(ms + tz * 60000);
  return {
    y: d.getUTCFullYear(), mo: d.getUTCMonth() + 1, d: d.getUTCDate(),
    h: d.getUTCHours(), mi: d.getUTCMinutes(), dow: (d.getUTCDay() + 6) % 7,
  };
}

const pad = (n) => String(n).padStart(2, '0');

/// "2026-11-22" for `ms` at `tz`.
export function localDate(ms, tz) {
  const p = localParts(ms, tz);
  return `${p.y}-${pad(p.mo)}-${pad(p.d)}`;
}

/// "16:05" or "11-22 16:05" for `ms` at `tz`.
export function localTime(ms, tz, withDate) {
  const p = localParts(ms, tz);
  const time = `${pad(p.h)}:${pad(p.mi)}`;
  return withDate ? `${pad(p.mo)}-${pad(p.d)} ${time}` : time;
}

/// Local date strings around now: today, n days before, first of month.
export function dateRanges(tz) {
  const now = Date.now();
  const today = localDate(now, tz);
  const p = localParts(now, tz);
  return {
    today: [today, today],
    yesterday: [localDate(now - DAY_MS, tz), localDate(now - DAY_MS, tz)],
    last7: [localDate(now - 6 * DAY_MS, tz), today],
    this_month: [`${p.y}-${pad(p.mo)}-01`, today],
  };
}
