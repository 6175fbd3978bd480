// Shared by every page (the agent console, the wallboard, the reports,
// the department view and the callback list): language, API calls with the session's CSRF
// token, the page frame (header, sign-in, notices; its HTML is
// ui/frame.html) and formatting. The words themselves are in
// ui/texts.js. Plain modern JS (an ES module), no build step. Data from
// the server only ever goes into the page as textContent.
'use strict';

import { TEXTS } from './texts.js';

let texts = TEXTS.common;
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
  for (const node of document.querySelectorAll('[data-i18n-placeholder]')) node.placeholder = t(node.dataset.i18nPlaceholder);
  const button = $('btn-lang');
  if (button) button.textContent = lang === 'zh' ? 'English' : '中文';
  for (const listener of languageListeners) listener();
}

export function onLanguage(listener) { languageListeners.push(listener); }

// ---- server ---------------------------------------------------------------

export class ApiError extends Error {
  constructor(status, message, field, code) {
    super(message); this.status = status; this.field = field; this.code = code;
  }
}

/// The words for a refusal of the call centre (`{"code": ..., fields}`,
/// see `Refused` in src/api.rs): the `refused_<code>` text with its
/// `{field}`s filled in (agent states in the user's language), or null
/// when the page has no words for the code (then the English `error`).
function refusalText(data) {
  if (!data || typeof data.code !== 'string') return null;
  const key = `refused_${data.code}`;
  if (!texts.en[key]) return null;
  return t(key).replace(/\{(\w+)\}/g, (_, field) => {
    const value = String(data[field] ?? '');
    const state = `state_${value.replace(/\W+/g, '_')}`;
    return texts.en[state] ? t(state) : value;
  });
}

export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') headers['X-CSRF-Token'] = csrf || '';
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return answered(path, response);
}

/// POSTs a file as the request's body (its type as Content-Type); the
/// answer as `api` gives it.
export async function upload(path, file) {
  const response = await fetch(path, {
    method: 'POST', credentials: 'same-origin', body: file,
    headers: { Accept: 'application/json', 'X-CSRF-Token': csrf || '', 'Content-Type': file.type || 'application/octet-stream' },
  });
  return answered(path, response);
}

async function answered(path, response) {
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!response.ok) {
    if (response.status === 401 && path !== '/api/login') sessionOver();
    const message = refusalText(data) || (data && data.error) || response.statusText;
    throw new ApiError(response.status, message, data && data.field, data && data.code);
  }
  return data;
}

let onSessionOver = () => {};
function sessionOver() { onSessionOver(); }

/// Shows `message` in the notice bar: an error for 8 s, or with `isError`
/// false a confirmation for 3 s.
export function notify(message, isError = true) {
  const n = $('notice');
  if (!n) return;
  n.textContent = message;
  n.className = isError ? 'error' : '';
  show(n, true);
  clearTimeout(notify.timer);
  notify.timer = setTimeout(() => show(n, false), isError ? 8000 : 3000);
}

// ---- the page frame -------------------------------------------------------

/// Starts a page: language, header links, sign-in. `page` names the
/// page's own words in ui/texts.js; `enter(me, config, agent)` runs once
/// signed in (and again after a new sign-in), with the user, /api/config
/// and the agent's state (none for admins); `leave()` when the session
/// ends or the user signs out.
export function startPage({ page, enter, leave }) {
  const own = TEXTS[page];
  texts = { en: { ...TEXTS.common.en, ...own.en }, zh: { ...TEXTS.common.zh, ...own.zh } };
  let me = null;
  const loginView = $('login-view');
  const content = $('content');

  const passwordView = $('password-view');
  const signedOut = () => {
    me = null; csrf = null; entered = false;
    if (leave) leave();
    show(content, false); show(loginView, true); show(passwordView, false);
    show($('btn-signout'), false); show($('btn-password'), false);
    for (const link of document.querySelectorAll('[data-role-link]')) show(link, false);
    setText($('who'), '');
    $('login-user').focus();
  };
  // The server ended the session (a 401): say so, unlike a sign-out.
  onSessionOver = () => {
    if (me) notify(t('session_over'));
    signedOut();
  };

  // The password form: required before anything else when an
  // administrator set the password (the server refuses everything else
  // until then), or asked for from the header.
  const askPassword = (required) => {
    show(loginView, false); show(content, false); show(passwordView, true);
    show($('password-why'), required); show($('password-cancel'), !required);
    show($('password-error'), false);
    $('password-current').focus();
  };
  let entered = false;
  const signedIn = async () => {
    const answer = await api('GET', '/api/me');
    me = answer.user; csrf = answer.csrf_token;
    setText($('who'), me.display_name);
    show($('btn-signout'), true);
    if (me.must_change_password) { askPassword(true); return; }
    const config = await api('GET', '/api/config');
    show(loginView, false); show(passwordView, false); show(content, true);
    show($('btn-password'), true);
    // Supervisors and admins get every link (the accounts page admins
    // only); agents the links for
    // everyone and the work orders; dispatchers and handlers (who take no
    // calls) the work orders; everyone the page they are on.
    // The privacy officer gets the data-protection page only (admins
    // too).
    const overseer = me.role === 'supervisor' || me.role === 'admin';
    const orderStaff = me.role === 'dispatcher' || me.role === 'handler';
    const officer = me.role === 'privacy';
    for (const link of document.querySelectorAll('[data-role-link]')) {
      const kind = link.dataset.roleLink;
      const allowed = kind === 'admin' ? me.role === 'admin'
        : kind === 'privacy' ? officer || me.role === 'admin'
        : officer ? false
        : overseer || kind === 'orders' || (kind === 'all' && !orderStaff);
      show(link, allowed || link.getAttribute('aria-current') === 'page');
    }
    entered = true;
    await enter(me, config, answer.agent);
  };

  $('btn-password').addEventListener('click', () => askPassword(false));
  $('password-cancel').addEventListener('click', () => {
    show(passwordView, false); show(content, true);
  });
  $('password-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const error = $('password-error');
    show(error, false);
    if ($('password-new').value !== $('password-again').value) {
      error.textContent = t('password_mismatch'); show(error, true); return;
    }
    try {
      await api('POST', '/api/me/password', {
        current: $('password-current').value, new: $('password-new').value,
      });
      for (const id of ['password-current', 'password-new', 'password-again']) $(id).value = '';
      notify(t('password_changed'), false);
      if (entered) { show(passwordView, false); show(content, true); } else await signedIn();
    } catch (e) {
      error.textContent = e.message; show(error, true);
    }
  });
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
