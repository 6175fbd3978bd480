// Data protection: a citizen's request carried out under its reference.
// The officer finds the citizen (an audited search), reads the record with
// who saw it, and exports (a tar archive, downloaded), corrects, restricts
// or erases; each answer is a receipt, shown in the receipt box and listed
// with the earlier ones.
import { $, api, el, localTime, notify, onLanguage, setText, show, startPage, t } from '/ui/common.js';

const ui = { tz: 480, found: [], view: null, receipts: [], receipt: null };

startPage({ page: 'privacy', enter, leave });
onLanguage(() => render());

async function enter(me, config) {
  ui.tz = config.utc_offset_minutes;
  await loadReceipts();
}

function leave() {
  ui.found = []; ui.view = null; ui.receipts = []; ui.receipt = null;
  render();
}

const request = () => $('pv-request').value.trim();
const when = (ms) => (ms ? localTime(ms, ui.tz, true) : '—');

async function loadReceipts() {
  try {
    ui.receipts = await api('GET', '/api/privacy/receipts');
  } catch (e) {
    notify(e.message);
  }
  render();
}

$('find-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  try {
    const q = new URLSearchParams({ q: $('pv-q').value.trim(), request: request() });
    ui.found = await api('GET', `/api/privacy/citizens?${q}`);
    if (!ui.found.length) notify(t('nobody'));
  } catch (e) {
    notify(e.message);
  }
  render();
});

async function open(id) {
  try {
    ui.view = await api('GET', `/api/privacy/citizens/${id}?${new URLSearchParams({ request: request() })}`);
  } catch (e) {
    notify(e.message);
  }
  render();
}

async function act(what, body) {
  const id = ui.view.record.citizen.id;
  try {
    ui.receipt = await api('POST', `/api/privacy/citizens/${id}/${what}`, { request: request(), ...body });
    notify(t(`done_${what}`), false);
  } catch (e) {
    notify(e.message);
    return;
  }
  if (what === 'erase') {
    ui.view = null; ui.found = [];
  } else {
    await open(id);
  }
  await loadReceipts();
}

$('pv-export').addEventListener('click', async () => {
  const id = ui.view.record.citizen.id;
  const path = `/api/privacy/citizens/${id}/export?${new URLSearchParams({ request: request() })}`;
  try {
    const response = await fetch(path, { credentials: 'same-origin' });
    if (!response.ok) throw new Error((await response.json()).error || response.statusText);
    const blob = await response.blob();
    const link = el('a', { href: URL.createObjectURL(blob), download: `citizen-${id}-${request()}.tar` });
    document.body.append(link); link.click(); link.remove();
    notify(t('done_export'), false);
  } catch (e) {
    notify(e.message);
  }
  await loadReceipts();
  const newest = ui.receipts[0];
  if (newest && newest.kind === 'access') { ui.receipt = newest; render(); }
});

$('pv-restrict').addEventListener('click', () => {
  act('restrict', { restricted: !ui.view.record.citizen.restricted_at_ms });
});

$('pv-erase').addEventListener('click', () => {
  if (window.confirm(t('confirm_erase'))) act('erase', {});
});

$('rectify-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const body = {};
  const name = $('rx-name').value.trim();
  const phones = $('rx-phones').value.split(',').map((p) => p.trim()).filter(Boolean);
  const language = $('rx-language').value.trim();
  const id = $('rx-id').value.trim();
  if (name) body.full_name = name;
  if (phones.length) body.phones = phones;
  if (language) body.preferred_language = language;
  if (id) body.national_id = id;
  act('rectify', body);
});

function fact(list, label, value, testid) {
  list.append(el('dt', { text: label }), el('dd', { text: value || '—', dataset: { testid } }));
}

function render() {
  $('pv-results').replaceChildren(...ui.found.map((r) => el('li', {
    text: `${r.citizen.full_name || '—'} · ${r.citizen.phones.join(', ')}`,
    dataset: { testid: 'pv-result', id: String(r.citizen.id) },
    onclick: () => open(r.citizen.id),
  })));
  const view = ui.view;
  show($('pv-citizen'), !!view);
  if (view) {
    const c = view.record.citizen;
    setText($('pv-name'), `${c.full_name || '—'} (#${c.id})`);
    const facts = $('pv-fields');
    facts.replaceChildren();
    fact(facts, t('phones'), c.phones.join(', '), 'pv-phones');
    fact(facts, t('national_id'), c.national_id_masked, 'pv-national-id');
    fact(facts, t('language'), c.preferred_language, 'pv-language');
    fact(facts, t('consents'), c.consents.map((k) => `${t(`purpose_${k.what}`) || k.what}: ${t(k.granted ? 'granted' : 'withdrawn')} (${k.channel}, ${when(k.at_ms)})`).join('; '), 'pv-consents');
    fact(facts, t('restricted'), c.restricted_at_ms ? when(c.restricted_at_ms) : t('no'), 'pv-restricted');
    fact(facts, t('open_cases'), view.record.open_cases.map((k) => k.case_ref).join(', '), 'pv-cases');
    setText($('pv-restrict'), t(c.restricted_at_ms ? 'lift_restriction' : 'restrict'));
    const head = el('tr', {}, ...['at', 'actor', 'action', 'via', 'reason'].map((k) => el('th', { text: t(k) })));
    $('pv-access').replaceChildren(head, ...view.access_log.map((e) => el('tr', { dataset: { testid: 'pv-access-row', action: e.action } },
      el('td', { text: when(e.at_ms) }), el('td', { text: e.actor }), el('td', { text: e.action }),
      el('td', { text: e.via_call ? `${t('call')} ${e.via_call}` : (e.via_search || '—') }),
      el('td', { text: e.reason }))));
  }
  const r = ui.receipt;
  show($('pv-receipt-box'), !!r);
  if (r) {
    const list = $('pv-receipt');
    list.replaceChildren();
    fact(list, t('kind'), t(`kind_${r.kind}`), 'pv-receipt-kind');
    fact(list, t('request_ref'), r.request_ref, 'pv-receipt-request');
    fact(list, t('officer'), r.officer, 'pv-receipt-officer');
    fact(list, t('at'), when(r.at_ms), 'pv-receipt-at');
    for (const [key, value] of Object.entries(r.details)) {
      fact(list, key, typeof value === 'object' ? JSON.stringify(value) : String(value), `pv-receipt-${key}`);
    }
  }
  const head = el('tr', {}, ...['at', 'kind', 'citizen', 'request_ref', 'officer'].map((k) => el('th', { text: t(k) })));
  $('pv-requests').replaceChildren(head, ...ui.receipts.map((x) => el('tr', {
    dataset: { testid: 'pv-request-row', kind: x.kind },
    onclick: () => { ui.receipt = x; render(); },
  }, el('td', { text: when(x.at_ms) }), el('td', { text: t(`kind_${x.kind}`) }), el('td', { text: `#${x.citizen}` }),
  el('td', { text: x.request_ref }), el('td', { text: x.officer }))));
}
