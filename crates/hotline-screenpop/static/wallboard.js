// The live wallboard. Supervisors get a new picture on /api/supervisor/ws
// about every second; agents (who may see only themselves) poll
// /api/wallboard. Queue tiles and agent chips are kept by key and only
// their changed texts are touched, so a board of 50 queues and 2,000
// agents repaints cheaply.
import {
  $, api, el, fmtDuration, fmtInt, fmtPct, localTime, notify, onLanguage, setData, setText, show,
  startPage, t, currentLang,
} from '/ui/common.js';

const STATES = ['available', 'offered', 'on_call', 'wrap_up', 'break'];
const ORDER = { offered: 0, on_call: 1, wrap_up: 2, available: 3, break: 4, logged_out: 5 };
const STALE_MS = 5000;
const WORST = { ok: 0, warn: 1, alert: 2 };

const board = {
  view: null,
  receivedAt: 0,
  socket: null,
  retry: 0,
  timers: [],
  queueTiles: new Map(),
  agentChips: new Map(),
  signedIn: false,
  tz: 480,
  // Supervisors may join a conversation; which one they are on, and how.
  canMonitor: false,
  monitoring: null,   // { agent, mode }
};

const MONITOR_MODES = ['listen', 'whisper', 'barge', 'stop'];

startPage({ page: 'wallboard', enter, leave });
onLanguage(() => { fillLegend(); fillQueueFilter(); if (board.view) render(board.view); tick(); });

async function enter(me, config) {
  board.signedIn = true;
  board.tz = config.utc_offset_minutes;
  board.canMonitor = me.role === 'supervisor' || me.role === 'admin';
  board.monitoring = null;
  board.queueTiles.clear(); board.agentChips.clear();
  $('queues').replaceChildren(); $('agents').replaceChildren();
  fillLegend();
  render(await api('GET', '/api/wallboard'));
  if (me.role === 'agent') {
    board.timers.push(setInterval(() => api('GET', '/api/wallboard').then(render).catch(() => {}), 2000));
  } else {
    connect();
  }
  board.timers.push(setInterval(tick, 1000));
  tick();
}

function leave() {
  board.signedIn = false;
  for (const timer of board.timers) clearInterval(timer);
  board.timers = [];
  if (board.socket) { board.socket.onclose = null; board.socket.close(); board.socket = null; }
}

function connect() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const socket = new WebSocket(`${scheme}://${location.host}/api/supervisor/ws`);
  board.socket = socket;
  socket.onopen = () => { board.retry = 0; };
  socket.onmessage = (ev) => {
    let message;
    try { message = JSON.parse(ev.data); } catch { return; }
    if (message.type === 'wallboard') render(message);
  };
  socket.onclose = () => {
    if (!board.signedIn) return;
    board.retry = Math.min(board.retry + 1, 5);
    setTimeout(async () => {
      if (!board.signedIn) return;
      try { await api('GET', '/api/me'); } catch { return; }
      connect();
    }, 500 * 2 ** board.retry);
  };
}

function tick() {
  setText($('wb-clock'), new Date().toLocaleTimeString(currentLang() === 'zh' ? 'zh-CN' : 'en-GB'));
  const status = $('wb-status');
  let state = 'waiting';
  if (board.view && board.view.live) state = Date.now() - board.receivedAt < STALE_MS ? 'live' : 'stale';
  setData(status, 'state', state);
  setText(status, t({ live: 'live', stale: 'stale', waiting: 'waiting_status' }[state]));
  if (board.view && board.view.today_read_at_ms) status.title = `${t('figures_at')} ${localTime(board.view.today_read_at_ms, board.tz)}`;
}

function fillLegend() {
  $('legend').replaceChildren(...STATES.map((s) => el('span', { dataset: { state: s }, text: t(`st_${s}`) })));
}

function fillQueueFilter() {
  const select = $('agent-queue');
  const current = select.value;
  const queues = board.view ? board.view.queues.map((q) => q.queue) : [];
  select.replaceChildren(el('option', { value: '', text: t('all_queues') }), ...queues.map((q) => el('option', { value: q, text: q })));
  select.value = queues.includes(current) ? current : '';
}
$('agent-queue').addEventListener('change', () => { if (board.view) renderAgents(board.view); });

// ---- rendering ------------------------------------------------------------

function render(view) {
  const queuesChanged = !board.view || board.view.queues.map((q) => q.queue).join() !== view.queues.map((q) => q.queue).join();
  board.view = view;
  board.receivedAt = Date.now();
  board.tz = view.utc_offset_minutes;
  show($('no-data'), !view.live);
  renderTotals(view);
  renderQueues(view);
  if (queuesChanged) fillQueueFilter();
  renderAgents(view);
  show($('agents-section'), view.agents.length > 0 || view.queues.length > 0);
  tick();
}

function renderTotals(view) {
  let waiting = 0; let longest = 0; let answered = 0; let abandoned = 0; let within = 0;
  for (const q of view.queues) {
    waiting += q.waiting; longest = Math.max(longest, q.longest_wait_ms);
    answered += q.today.answered; abandoned += q.today.abandoned; within += q.today.answered_within_threshold;
  }
  if (!view.queues.length) for (const a of view.agents) answered += a.answered_today;
  const loggedIn = view.agents.filter((a) => a.state !== 'logged_out');
  setText($('total-waiting'), fmtInt(waiting));
  setText($('total-longest'), fmtDuration(longest));
  setText($('total-answered'), fmtInt(answered));
  setText($('total-abandoned'), fmtInt(abandoned));
  setText($('total-sl'), answered ? fmtPct(within / answered) : '—');
  setText($('total-agents'), `${loggedIn.filter((a) => a.state === 'available').length} / ${loggedIn.length}`);
}

function bigFigure(name, testid) {
  const value = el('div', { class: 'value', dataset: { testid, level: 'ok' } });
  return { node: el('div', {}, value, el('div', { class: 'name', text: t(name) })), value };
}

function queueTile(q) {
  const waiting = bigFigure('waiting', 'wb-waiting');
  const longest = bigFigure('longest', 'wb-longest');
  const sl = bigFigure('sl', 'wb-sl');
  const today = {
    offered: el('b', { dataset: { testid: 'wb-offered' } }),
    answered: el('b', { dataset: { testid: 'wb-answered' } }),
    abandoned: el('b', { dataset: { testid: 'wb-abandoned' } }),
    asa: el('b', { dataset: { testid: 'wb-asa' } }),
    strict: el('b', { dataset: { testid: 'wb-sl-strict' } }),
  };
  const labels = {};
  const item = (key, name) => { labels[key] = el('span', { text: t(name) }); return el('span', {}, labels[key], ' ', today[key]); };
  const states = Object.fromEntries(STATES.map((s) => [s, el('span', { dataset: { state: s, testid: `wb-state-${s}` } })]));
  const title = el('span', { text: q.queue });
  const department = el('small', { text: q.department });
  const target = el('div', { class: 'muted' });
  const node = el('article', { class: 'wb-queue', dataset: { testid: 'wb-queue', queue: q.queue, level: 'ok' } },
    el('h2', {}, title, department),
    el('div', { class: 'wb-big' }, waiting.node, longest.node, sl.node),
    el('div', { class: 'wb-today' }, item('offered', 'offered'), item('answered', 'answered'), item('abandoned', 'abandoned'),
      item('asa', 'asa'), item('strict', 'sl_strict')),
    el('div', { class: 'wb-states', dataset: { testid: 'wb-states' } }, ...STATES.map((s) => states[s])),
    target);
  return { node, waiting: waiting.value, longest: longest.value, sl: sl.value, today, states, target, department };
}

function renderQueues(view) {
  const container = $('queues');
  container.classList.toggle('dense', view.queues.length > 12);
  const nodes = view.queues.map((q) => {
    let tile = board.queueTiles.get(q.queue);
    if (!tile || tile.lang !== currentLang()) {
      tile = queueTile(q);
      tile.lang = currentLang();
      board.queueTiles.set(q.queue, tile);
    }
    const worst = Object.values(q.levels).reduce((w, l) => (WORST[l] > WORST[w] ? l : w), 'ok');
    setData(tile.node, 'level', worst);
    setText(tile.department, q.department);
    setText(tile.waiting, fmtInt(q.waiting)); setData(tile.waiting, 'level', q.levels.waiting);
    setText(tile.longest, fmtDuration(q.longest_wait_ms)); setData(tile.longest, 'level', q.levels.longest_wait);
    setText(tile.sl, fmtPct(q.today.service_level)); setData(tile.sl, 'level', q.levels.service_level);
    setText(tile.today.offered, fmtInt(q.today.offered));
    setText(tile.today.answered, fmtInt(q.today.answered));
    setText(tile.today.abandoned, fmtInt(q.today.abandoned));
    setText(tile.today.asa, fmtDuration(q.today.asa_ms));
    setText(tile.today.strict, fmtPct(q.today.service_level_strict));
    const counts = { available: q.available, offered: q.offered, on_call: q.on_call, wrap_up: q.wrap_up, break: q.on_break };
    for (const s of STATES) {
      const span = tile.states[s];
      setText(span, counts[s] ? String(counts[s]) : '');
      span.title = `${t(`st_${s}`)}: ${counts[s]}`;
      const grow = String(counts[s]);
      if (span.dataset.grow !== grow) { span.dataset.grow = grow; span.style.flexGrow = grow; }
    }
    setText(tile.target, `${t('target')} ${fmtPct(q.target.service_level_target)} ${q.target.service_level_secs}${currentLang() === 'zh' ? t('within') : ` s`} · ${t('waiting')} ≤ ${q.target.max_waiting} · ${t('longest')} ≤ ${fmtDuration(q.target.max_wait_secs * 1000)}`);
    return tile.node;
  });
  for (const key of board.queueTiles.keys()) if (!view.queues.some((q) => q.queue === key)) board.queueTiles.delete(key);
  replaceIfReordered(container, nodes);
}

function agentChip() {
  const name = el('span', { class: 'name' });
  const time = el('span', { class: 'time', dataset: { testid: 'wb-agent-time' } });
  const state = el('span', { class: 'state', dataset: { testid: 'wb-agent-state' } });
  const count = el('span', { class: 'count', dataset: { testid: 'wb-agent-answered' } });
  const node = el('div', { class: 'wb-agent', dataset: { testid: 'wb-agent' } }, name, time, state, count);
  const chip = { node, name, time, state, count, monitor: null, buttons: {} };
  if (board.canMonitor) {
    chip.monitor = el('div', { class: 'wb-monitor', hidden: true });
    for (const mode of MONITOR_MODES) {
      const button = el('button', {
        type: 'button', dataset: { testid: `wb-${mode}`, mode },
        onclick: () => monitor(node.dataset.agent, mode),
      });
      chip.buttons[mode] = button;
      chip.monitor.append(button);
    }
    node.append(chip.monitor);
  }
  return chip;
}

/// Joins (or changes, or leaves) the conversation of `agent` through the
/// supervisor's own phone.
async function monitor(agent, mode) {
  try {
    await api('POST', `/api/supervisor/agents/${encodeURIComponent(agent)}/monitor`, { mode });
    const joining = !board.monitoring || board.monitoring.agent !== agent;
    board.monitoring = mode === 'stop' ? null : { agent, mode };
    if (mode === 'stop') notify(t('mon_stopped'), false);
    else notify(joining ? t('mon_calling') : `${t('mon_changed')}: ${t(`mon_${mode}`)}`, false);
    if (board.view) renderAgents(board.view);
  } catch (e) {
    notify(e.message, true);
  }
}

function renderMonitor(chip, a) {
  if (!chip.monitor) return;
  const talking = a.state === 'on_call';
  if (!talking && board.monitoring && board.monitoring.agent === a.agent) board.monitoring = null;
  show(chip.monitor, talking);
  if (!talking) return;
  const mine = board.monitoring && board.monitoring.agent === a.agent ? board.monitoring.mode : null;
  chip.monitor.title = t('mon_hint');
  for (const mode of MONITOR_MODES) {
    const button = chip.buttons[mode];
    setText(button, t(`mon_${mode}`));
    button.classList.toggle('active', mode === mine);
    show(button, mode === 'stop' ? !!mine : true);
  }
}

function renderAgents(view) {
  const only = $('agent-queue').value;
  const visible = view.agents.filter((a) => a.state !== 'logged_out' && (!only || a.queues.includes(only)));
  visible.sort((a, b) => (ORDER[a.state] ?? 9) - (ORDER[b.state] ?? 9) || b.in_state_ms - a.in_state_ms || (a.agent < b.agent ? -1 : 1));
  const container = $('agents');
  container.classList.toggle('dense', visible.length > 120);
  const nodes = visible.map((a) => {
    let chip = board.agentChips.get(a.agent);
    if (!chip) { chip = agentChip(); board.agentChips.set(a.agent, chip); }
    setData(chip.node, 'agent', a.agent);
    setData(chip.node, 'state', a.state);
    setText(chip.name, a.agent);
    setText(chip.time, fmtDuration(a.in_state_ms));
    const reason = a.state === 'break' && a.reason ? ` · ${t(`br_${a.reason}`)}` : '';
    setText(chip.state, t(`st_${a.state}`) + reason);
    setText(chip.count, `✆ ${a.answered_today}`);
    chip.count.title = t('answered_today');
    renderMonitor(chip, a);
    return chip.node;
  });
  const loggedOut = view.agents.length - view.agents.filter((a) => a.state !== 'logged_out').length;
  setText($('logged-out'), loggedOut ? `${loggedOut} ${t('logged_out_n')}` : '');
  replaceIfReordered(container, nodes);
}

/// Puts `nodes` in `container` in this order, touching the DOM only when
/// the order or the set changed.
function replaceIfReordered(container, nodes) {
  const current = container.children;
  let same = current.length === nodes.length;
  for (let i = 0; same && i < nodes.length; i += 1) same = current[i] === nodes[i];
  if (!same) container.replaceChildren(...nodes);
}
