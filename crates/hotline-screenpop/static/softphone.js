// Browser audio: the console page as the agent's phone (WebRTC). The
// hotline rings it on the console's own WebSocket ({type: 'softphone',
// kind: 'ring', offer}); the page answers the SDP at once (muted), so the
// audio is up when the agent picks up, and says `accept` when they do.
// The hotline is ICE-lite with a host candidate in its offer: the page
// needs to send none of its own. Hold and hang-up are the console's call
// controls (REST); mute and the key pad are the page's own (the track,
// RFC 4733 through RTCDTMFSender). A refreshed page says `hello` again and
// the hotline offers it the live call anew; a network change is the page's
// own ICE restart (`offer` on the live leg).
import { $, api, el, notify, show, t } from '/ui/common.js';

const AUDIO_KEY = 'hotline.audio';
const MIC_KEY = 'hotline.mic';
const SPEAKER_KEY = 'hotline.speaker';
const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];

const phone = {
  mode: localStorage.getItem(AUDIO_KEY) === 'browser' ? 'browser' : 'phone',
  send: null,          // sends a message on the console socket
  line: false,         // the hotline took this page as the agent's phone
  mic: null,           // the microphone's MediaStream, kept between calls
  micError: null,
  legs: new Map(),     // leg number → { pc, call, ringing, muted, remote }
  ring: null,          // the ringtone's oscillators
  meter: null,
};

export function audioMode() { return phone.mode; }

/// The console socket opened (again): say which audio this page is.
export function attach(send) {
  phone.send = send;
  phone.line = false;
  hello();
  render();
}

/// The console socket closed: the hotline keeps the calls; the legs'
/// peer connections go with the page only if it goes.
export function detach() {
  phone.send = null;
  phone.line = false;
  render();
}

function hello() {
  if (phone.send) phone.send({ type: 'hello', audio: phone.mode });
}

export async function setMode(mode) {
  phone.mode = mode === 'browser' ? 'browser' : 'phone';
  localStorage.setItem(AUDIO_KEY, phone.mode);
  if (phone.mode === 'browser') await openMic();
  hello();
  render();
}

// ---- microphone, speaker, level ------------------------------------------

async function openMic() {
  const wanted = localStorage.getItem(MIC_KEY);
  try {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: {
        deviceId: wanted ? { ideal: wanted } : undefined,
        echoCancellation: true, noiseSuppression: true, autoGainControl: true,
      },
    });
    const old = phone.mic;
    phone.mic = stream;
    phone.micError = null;
    // A live call takes the new microphone at once.
    for (const leg of phone.legs.values()) {
      const sender = leg.pc.getSenders().find((s) => s.track === null || s.track.kind === 'audio');
      if (sender) await sender.replaceTrack(micTrack(leg.muted || leg.ringing));
    }
    if (old && old !== stream) old.getTracks().forEach((tr) => tr.stop());
    startMeter(stream);
    await listDevices();
  } catch (e) {
    const name = e && e.name;
    phone.micError = name === 'NotAllowedError' ? t('mic_refused')
      : name === 'NotFoundError' ? t('mic_missing') : `${t('mic_failed')} (${name})`;
    notify(phone.micError, true);
  }
  render();
}

/// A track of the microphone for one leg; disabled (silence) while muted
/// or ringing, so nothing the agent says leaves before they pick up.
function micTrack(silent) {
  if (!phone.mic) return null;
  const track = phone.mic.getAudioTracks()[0].clone();
  track.enabled = !silent;
  return track;
}

async function listDevices() {
  const devices = await navigator.mediaDevices.enumerateDevices();
  const fill = (select, kind, key) => {
    const current = localStorage.getItem(key) || '';
    select.replaceChildren(...devices.filter((d) => d.kind === kind)
      .map((d, i) => el('option', { value: d.deviceId, text: d.label || `${kind} ${i + 1}` })));
    if (current) select.value = current;
  };
  fill($('sp-mic'), 'audioinput', MIC_KEY);
  fill($('sp-speaker'), 'audiooutput', SPEAKER_KEY);
  show($('sp-speaker-label'), typeof HTMLMediaElement.prototype.setSinkId === 'function');
}

function startMeter(stream) {
  if (phone.meter) phone.meter.ctx.close();
  const ctx = new AudioContext();
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 512;
  ctx.createMediaStreamSource(stream).connect(analyser);
  const data = new Float32Array(analyser.fftSize);
  const tick = () => {
    if (!phone.meter || phone.meter.ctx !== ctx) return;
    analyser.getFloatTimeDomainData(data);
    let sum = 0;
    for (const v of data) sum += v * v;
    $('sp-level').value = Math.min(1, Math.sqrt(sum / data.length) * 4);
    setTimeout(tick, 100);
  };
  phone.meter = { ctx };
  tick();
}

// ---- ringtone -------------------------------------------------------------

function startRingtone() {
  if (phone.ring) return;
  const ctx = new AudioContext();
  const gain = ctx.createGain();
  gain.gain.value = 0;
  gain.connect(ctx.destination);
  for (const f of [440, 480]) {
    const osc = ctx.createOscillator();
    osc.frequency.value = f;
    osc.connect(gain);
    osc.start();
  }
  // 2 s on, 4 s off, as a phone rings.
  const now = ctx.currentTime;
  for (let i = 0; i < 20; i++) {
    gain.gain.setValueAtTime(0.1, now + i * 6);
    gain.gain.setValueAtTime(0, now + i * 6 + 2);
  }
  phone.ring = ctx;
}

function stopRingtone() {
  if (phone.ring) { phone.ring.close(); phone.ring = null; }
}

// ---- the hotline's messages ------------------------------------------------

export async function handle(event) {
  switch (event.kind) {
    case 'line': phone.line = true; break;
    case 'ring': await offered(event, true); break;
    case 'reoffer': await offered(event, false); break;
    case 'answer': {
      const leg = phone.legs.get(event.leg);
      if (leg) await leg.pc.setRemoteDescription({ type: 'answer', sdp: event.sdp });
      break;
    }
    case 'ended': end(event.leg); break;
    case 'error': notify(event.message, true); break;
    default: break;
  }
  render();
}

/// An offer from the hotline: a new call ringing, or (after a refresh) the
/// call this agent is on.
async function offered(event, ringing) {
  if (!phone.mic) await openMic();
  const old = phone.legs.get(event.leg);
  if (old) old.pc.close();
  const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
  const leg = {
    pc, call: event.call, caller: event.caller || (old && old.caller) || '', ringing,
    muted: old ? old.muted : false, held: old ? old.held : false, remote: null,
  };
  phone.legs.set(event.leg, leg);
  pc.ontrack = (e) => {
    leg.remote = e.streams[0] || new MediaStream([e.track]);
    const audio = $('sp-audio');
    audio.srcObject = leg.remote;
    const speaker = localStorage.getItem(SPEAKER_KEY);
    if (speaker && audio.setSinkId) audio.setSinkId(speaker).catch(() => {});
    audio.play().catch(() => {});
  };
  // A network change: restart ICE on this connection and offer it.
  pc.oniceconnectionstatechange = () => {
    if (pc.iceConnectionState === 'failed' || pc.iceConnectionState === 'disconnected') {
      if (phone.legs.get(event.leg) === leg && !leg.restarting) {
        leg.restarting = true;
        setTimeout(() => restartIce(event.leg, leg), pc.iceConnectionState === 'failed' ? 0 : 2000);
      }
    }
    render();
  };
  pc.onconnectionstatechange = () => render();
  await pc.setRemoteDescription({ type: 'offer', sdp: event.offer });
  const track = micTrack(leg.muted || ringing);
  if (track) pc.addTrack(track, phone.mic);
  const answer = await pc.createAnswer();
  await pc.setLocalDescription(answer);
  phone.send({ type: 'answer', leg: event.leg, sdp: pc.localDescription.sdp });
  if (ringing) {
    startRingtone();
    $('sp-answer').focus();
  }
}

async function restartIce(number, leg, force = false) {
  if (phone.legs.get(number) !== leg || !phone.send) { leg.restarting = false; return; }
  if (!force && (leg.pc.iceConnectionState === 'connected' || leg.pc.iceConnectionState === 'completed')) {
    leg.restarting = false;
    return;
  }
  const offer = await leg.pc.createOffer({ iceRestart: true });
  await leg.pc.setLocalDescription(offer);
  phone.send({ type: 'offer', leg: number, sdp: leg.pc.localDescription.sdp });
  leg.restarting = false;
}

function end(number) {
  const leg = phone.legs.get(number);
  if (!leg) return;
  leg.pc.getSenders().forEach((s) => s.track && s.track.stop());
  leg.pc.close();
  phone.legs.delete(number);
  if (![...phone.legs.values()].some((l) => l.ringing)) stopRingtone();
}

function ringingLeg() {
  for (const [number, leg] of phone.legs) if (leg.ringing) return [number, leg];
  return [null, null];
}

function liveLeg() {
  for (const [number, leg] of phone.legs) if (!leg.ringing) return [number, leg];
  return [null, null];
}

function setTrackEnabled(leg, on) {
  leg.pc.getSenders().forEach((s) => { if (s.track) s.track.enabled = on; });
}

export function accept() {
  const [number, leg] = ringingLeg();
  if (!leg) return;
  leg.ringing = false;
  stopRingtone();
  setTrackEnabled(leg, !leg.muted);
  phone.send({ type: 'accept', leg: number });
  render();
}

function decline() {
  const [number, leg] = ringingLeg();
  if (!leg) return;
  phone.send({ type: 'decline', leg: number });
  end(number);
  render();
}

function toggleMute() {
  const [, leg] = liveLeg();
  if (!leg) return;
  leg.muted = !leg.muted;
  setTrackEnabled(leg, !leg.muted);
  render();
}

// Hold and hang-up are the call's (the console's REST calls), here too so
// that a reloaded page, which has no screen-pop, still has them.
async function toggleHold() {
  const [, leg] = liveLeg();
  if (!leg) return;
  try {
    await api('POST', `/api/calls/${leg.call}/hold`, { on: !leg.held });
    leg.held = !leg.held;
  } catch (e) { notify(e.message, true); }
  render();
}

async function hangUp() {
  const [, leg] = liveLeg();
  if (!leg) return;
  try { await api('POST', `/api/calls/${leg.call}/hangup`); } catch (e) { notify(e.message, true); }
}

/// The console's own hold button was used (or a push said so).
export function held(call, on) {
  for (const leg of phone.legs.values()) if (leg.call === call) leg.held = on;
  render();
}

function pressKey(key) {
  const [, leg] = liveLeg();
  if (!leg) return;
  const sender = leg.pc.getSenders().find((s) => s.dtmf);
  if (sender && sender.dtmf.canInsertDTMF) sender.dtmf.insertDTMF(key, 160, 70);
}

// ---- the panel --------------------------------------------------------------

function render() {
  const browser = phone.mode === 'browser';
  $('audio-mode').value = phone.mode;
  show($('softphone'), browser);
  if (!browser) return;
  const [, ringing] = ringingLeg();
  const [, live] = liveLeg();
  let status;
  if (phone.micError) status = phone.micError;
  else if (!phone.line) status = t('sp_connecting');
  else if (ringing) status = `${t('sp_ringing')} ${ringing.caller}`;
  else if (live) status = live.pc.iceConnectionState === 'connected' || live.pc.iceConnectionState === 'completed'
    ? (live.held ? t('call_on_hold') : live.muted ? t('sp_muted') : t('sp_talking')) : t('sp_reconnecting');
  else status = t('sp_ready');
  const line = $('sp-status');
  line.textContent = status;
  line.dataset.state = phone.micError ? 'mic_refused' : ringing ? 'ringing' : live ? 'talking' : phone.line ? 'ready' : 'connecting';
  line.classList.toggle('error', !!phone.micError);
  show($('sp-answer'), !!ringing);
  show($('sp-decline'), !!ringing);
  show($('sp-mute'), !!live);
  $('sp-mute').textContent = live && live.muted ? t('sp_unmute') : t('sp_mute');
  show($('sp-hold'), !!live);
  $('sp-hold').textContent = live && live.held ? t('resume') : t('hold');
  show($('sp-hangup'), !!live);
  show($('sp-keypad'), !!live);
  show($('sp-retry-mic'), !!phone.micError);
}

/// Builds the panel's controls (once, when the page starts).
export function setup() {
  $('audio-mode').addEventListener('change', (e) => setMode(e.target.value));
  $('sp-answer').addEventListener('click', accept);
  $('sp-decline').addEventListener('click', decline);
  $('sp-mute').addEventListener('click', toggleMute);
  $('sp-hold').addEventListener('click', toggleHold);
  $('sp-hangup').addEventListener('click', hangUp);
  $('sp-retry-mic').addEventListener('click', openMic);
  $('sp-keypad').replaceChildren(...KEYS.map((key) => {
    const b = el('button', { type: 'button', text: key, 'data-testid': `sp-key-${key}` });
    b.addEventListener('click', () => pressKey(key));
    return b;
  }));
  $('sp-mic').addEventListener('change', (e) => { localStorage.setItem(MIC_KEY, e.target.value); openMic(); });
  $('sp-speaker').addEventListener('change', (e) => {
    localStorage.setItem(SPEAKER_KEY, e.target.value);
    const audio = $('sp-audio');
    if (audio.setSinkId) audio.setSinkId(e.target.value).catch((err) => notify(err.message, true));
  });
  // Alt+A picks up from anywhere on the page (the answer button has the
  // focus while it rings, so Enter and Space do too).
  document.addEventListener('keydown', (e) => {
    if (e.altKey && (e.key === 'a' || e.key === 'A')) { e.preventDefault(); accept(); }
  });
  if (phone.mode === 'browser') openMic();
  render();
}

/// For tests and diagnostics: the strongest frequency the agent hears now
/// (a WebAudio analyser on the call's audio), in Hz; 0 with no call.
window.hotlineSoftphone = {
  async peakFrequency() {
    const [, leg] = liveLeg();
    if (!leg || !leg.remote) return 0;
    const ctx = new AudioContext();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 8192;
    ctx.createMediaStreamSource(leg.remote).connect(analyser);
    await new Promise((r) => setTimeout(r, 700));
    const bins = new Float32Array(analyser.frequencyBinCount);
    analyser.getFloatFrequencyData(bins);
    let best = 0;
    for (let i = 1; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
    const hz = (best * ctx.sampleRate) / analyser.fftSize;
    ctx.close();
    return hz;
  },
  /// What a network change makes the page do: an ICE restart of the live
  /// call's connection, offered to the hotline.
  async restartIce() {
    const [number, leg] = liveLeg();
    if (leg) await restartIce(number, leg, true);
  },
  state() {
    const [, live] = liveLeg();
    const codec = live && live.pc.getTransceivers()[0]?.sender.getParameters().codecs?.[0]?.mimeType;
    return {
      line: phone.line, legs: phone.legs.size, ice: live ? live.pc.iceConnectionState : null,
      codec: codec || null, ufrag: live ? (live.pc.remoteDescription?.sdp.match(/a=ice-ufrag:(\S+)/) || [])[1] : null,
    };
  },
};
