//! One simulated agent: a SIP phone registered with the hotline (digest),
//! a console session with the agent WebSocket, and the habits of a person
//! at work: answer an offered call after a random ring, talk a random time
//! with real audio, hang up or let the citizen do it, then set a
//! disposition after a random wrap-up.
//!
//! One task owns one agent; the SIP dispatcher, the WebSocket reader and the
//! media leg feed it through channels.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail};
use hotline_media::{Leg, LegParams, MediaEvent};
use hotline_sip::transport::Command;
use hotline_sip::{CallHandle, Direction, Event, LocalMedia, NegotiatedMedia, Registration};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tracing::{debug, warn};

use super::console::Console;
use super::report::Tally;
use super::{media_codec, Note, Shared, DEAD_MEDIA_AFTER};

/// How long registration may take at the start.
const SETUP_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a console login may wait out the hotline's login rate limit
/// (10 a minute per address by default: 30 agents take 3 minutes).
const LOGIN_PATIENCE: Duration = Duration::from_secs(600);
/// The agent presses this key a moment after answering: the caller checks
/// that it came through the hotline's bridge (the media path end to end).
pub const MARKER_KEY: char = '#';
const MARKER_AFTER: Duration = Duration::from_millis(1000);

/// The call an agent's phone is on (ringing or talking).
struct PhoneCall {
    handle: CallHandle,
    caller: String,
    leg: Leg,
    remote: Option<NegotiatedMedia>,
    confirmed: bool,
    answer_at: Option<Instant>,
    marker_at: Option<Instant>,
    hangup_at: Option<Instant>,
}

/// A registered, logged-in agent, ready to take calls.
pub struct Agent {
    login: String,
    shared: Arc<Shared>,
    console: Console,
    sip_events: mpsc::UnboundedReceiver<Event>,
    socket: mpsc::UnboundedReceiver<Value>,
    registration: hotline_sip::RegistrationId,
    rng: StdRng,
    state: Option<String>,
    /// The hotline's id of the call offered or taken last (from the socket).
    last_call: Option<String>,
    call: Option<PhoneCall>,
    wrap_up_at: Option<Instant>,
    available_at: Option<Instant>,
    dispositions: Vec<String>,
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent")
            .field("login", &self.login)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl Agent {
    /// Registers agent `n`'s phone (`agentN` / `agentN-sip-pass`), logs in to
    /// the console (`agentN-demo-pass`), opens the WebSocket and starts
    /// taking calls.
    pub async fn start(n: u32, shared: Arc<Shared>, seed: u64) -> anyhow::Result<Self> {
        let login = format!("agent{n}");
        let (events_tx, mut sip_events) = mpsc::unbounded_channel();
        shared.sip.phone(&login, events_tx.clone());
        let registration = Registration {
            retry_after_failure: Some(Duration::from_secs(30)),
            ..Registration::new(shared.sip.hotline, &login, format!("{login}-sip-pass"))
        };
        let id = shared
            .sip
            .register(registration, events_tx)
            .await
            .ok_or_else(|| anyhow!("{login}: the SIP side has stopped"))?;
        let registered = tokio::time::timeout(SETUP_TIMEOUT, async {
            while let Some(event) = sip_events.recv().await {
                match event {
                    Event::ClientRegistered { .. } => return Ok(()),
                    Event::ClientRegistrationFailed { status, reason, .. } => {
                        bail!("{login}: the hotline refused the phone's registration ({status}, {reason})")
                    }
                    _ => {}
                }
            }
            bail!("{login}: the SIP side has stopped")
        })
        .await
        .map_err(|_| anyhow!("{login}: no answer to the phone's REGISTER"))?;
        registered?;

        let password = format!("{login}-demo-pass");
        let console = Console::login(shared.http, &login, &password, LOGIN_PATIENCE).await?;
        // The disposition codes this hotline accepts.
        let dispositions: Vec<String> = console
            .get("/api/config")
            .await
            .ok()
            .and_then(|reply| serde_json::from_value(reply.body["dispositions"].clone()).ok())
            .filter(|codes: &Vec<String>| !codes.is_empty())
            .unwrap_or_else(|| vec!["resolved_on_call".to_owned()]);
        let socket = console.open_socket().await?;
        let reply = console.post("/api/agent/login", json!({})).await?;
        if reply.status != 200 {
            bail!(
                "{login}: the console refused to start taking calls ({}): {}",
                reply.status,
                reply.message()
            );
        }
        let mut agent = Self {
            login,
            shared,
            console,
            sip_events,
            socket,
            registration: id,
            rng: StdRng::seed_from_u64(seed),
            state: None,
            last_call: None,
            call: None,
            wrap_up_at: None,
            available_at: None,
            dispositions,
        };
        let state = reply.body["state"]
            .as_str()
            .unwrap_or("logged_out")
            .to_owned();
        agent.set_state(&state);
        if state != "available" {
            agent.request_state("available").await;
        }
        Ok(agent)
    }

    fn set_state(&mut self, state: &str) {
        if self.state.as_deref() != Some(state) {
            self.shared.tally.agent_state(self.state.as_deref(), state);
            self.state = Some(state.to_owned());
        }
    }

    async fn request_state(&mut self, state: &str) {
        match self
            .console
            .post("/api/agent/state", json!({ "state": state }))
            .await
        {
            Ok(reply) if reply.status == 200 => {
                if let Some(now) = reply.body["state"].as_str() {
                    let now = now.to_owned();
                    self.set_state(&now);
                }
            }
            Ok(reply) if reply.status >= 500 => self.shared.tally.fail(format!(
                "console answered {} to a state change",
                reply.status
            )),
            Ok(reply) => {
                debug!(
                    agent = self.login,
                    state,
                    status = reply.status,
                    message = reply.message(),
                    "state change refused"
                )
            }
            Err(e) => self
                .shared
                .tally
                .fail(format!("console request failed: {e}")),
        }
    }

    /// Works until `stop` turns true, then logs out and unregisters.
    pub async fn run(mut self, mut stop: watch::Receiver<bool>) {
        loop {
            let next = [
                self.call.as_ref().and_then(|c| c.answer_at),
                self.call.as_ref().and_then(|c| c.marker_at),
                self.call.as_ref().and_then(|c| c.hangup_at),
                self.wrap_up_at,
                self.available_at,
            ]
            .into_iter()
            .flatten()
            .min();
            let timer = async {
                match next {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            let media = async {
                match self.call.as_mut() {
                    Some(call) => call.leg.next_event().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                changed = stop.changed() => {
                    if changed.is_err() || *stop.borrow() {
                        break;
                    }
                }
                event = self.sip_events.recv() => match event {
                    Some(event) => self.on_sip(event),
                    None => break,
                },
                message = self.socket.recv() => match message {
                    Some(message) => self.on_socket(&message),
                    None => {
                        self.shared.tally.fail("the agent WebSocket closed");
                        break;
                    }
                },
                Some(event) = media => self.on_media(event),
                _ = timer => self.on_timer().await,
            }
        }
        self.finish().await;
    }

    fn on_sip(&mut self, event: Event) {
        match event {
            Event::IncomingCall {
                call,
                caller,
                remote_media,
                ..
            } => {
                if self.call.is_some() {
                    self.shared
                        .tally
                        .fail("a call was offered to an agent already on a call");
                    self.shared.sip.send(Command::Reject(call, 486));
                    return;
                }
                let leg = match self.shared.media.allocate_leg() {
                    Ok(leg) => leg,
                    Err(e) => {
                        warn!(agent = self.login, error = %e, "no local RTP port for the agent's phone");
                        self.shared.sip.send(Command::Reject(call, 503));
                        return;
                    }
                };
                self.shared.sip.send(Command::Ring(call));
                let ring = self.shared.plan.ring.sample(&mut self.rng);
                self.call = Some(PhoneCall {
                    handle: call,
                    caller,
                    leg,
                    remote: remote_media,
                    confirmed: false,
                    answer_at: Some(Instant::now() + ring),
                    marker_at: None,
                    hangup_at: None,
                });
            }
            Event::CallConfirmed { call, .. } => {
                let plan = &self.shared.plan;
                let agent_hangs_up = self.rng.gen_bool(plan.agent_hangs_up);
                let talk = plan.talk.sample(&mut self.rng);
                let Some(phone) = self.call.as_mut().filter(|c| c.handle == call) else {
                    return;
                };
                phone.confirmed = true;
                let _ = phone.leg.start_music(self.shared.agent_voice.clone());
                let now = Instant::now();
                phone.marker_at = Some(now + MARKER_AFTER);
                Tally::add(&self.shared.tally.agent_answers);
                self.shared
                    .tally
                    .talking
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if agent_hangs_up {
                    phone.hangup_at = Some(now + talk);
                }
                let note = Note::Connected {
                    caller_hangs_up_after: (!agent_hangs_up).then_some(talk),
                };
                self.shared.notify(&phone.caller, note);
            }
            Event::CallEnded { call, .. } => {
                let Some(phone) = self.call.take_if(|c| c.handle == call) else {
                    return;
                };
                if phone.confirmed {
                    self.shared
                        .tally
                        .talking
                        .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
                    let wrap = self.shared.plan.wrap_up.sample(&mut self.rng);
                    self.wrap_up_at = Some(Instant::now() + wrap);
                }
            }
            _ => {}
        }
    }

    fn on_socket(&mut self, message: &Value) {
        if let Some(call) = message["call"].as_str() {
            self.last_call = Some(call.to_owned());
        }
        match message["type"].as_str() {
            Some("pop") => Tally::add(&self.shared.tally.pops),
            Some("state") => {
                let state = message["state"].as_str().unwrap_or_default().to_owned();
                self.set_state(&state);
                match state.as_str() {
                    "break" if message["reason"] == "ring_no_answer" => {
                        Tally::add(&self.shared.tally.ring_no_answer);
                        self.available_at = Some(Instant::now() + Duration::from_secs(1));
                    }
                    // The queue's wrap-up timer ended before our disposition.
                    "available" if self.wrap_up_at.is_some() && self.call.is_none() => {
                        self.wrap_up_at = None;
                        Tally::add(&self.shared.tally.wrap_ups_late);
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }

    fn on_media(&mut self, event: MediaEvent) {
        if let MediaEvent::DeadMedia { silent_for } = event {
            let Some(phone) = self.call.as_mut() else {
                return;
            };
            self.shared.tally.fail(format!(
                "no RTP from the hotline on an agent's phone for {} s",
                silent_for.as_secs()
            ));
            phone.hangup_at = Some(Instant::now());
        }
    }

    async fn on_timer(&mut self) {
        let now = Instant::now();
        if let Some(phone) = self.call.as_mut() {
            if phone.answer_at.is_some_and(|at| at <= now) {
                phone.answer_at = None;
                answer(&self.shared, phone);
            }
            if phone.marker_at.is_some_and(|at| at <= now) {
                phone.marker_at = None;
                let _ = phone
                    .leg
                    .send_dtmf(&MARKER_KEY.to_string(), Duration::from_millis(120));
            }
            if phone.hangup_at.is_some_and(|at| at <= now) {
                phone.hangup_at = None;
                Tally::add(&self.shared.tally.agent_hangups);
                self.shared.notify(&phone.caller, Note::AgentHungUp);
                self.shared.sip.send(Command::Hangup(phone.handle));
            }
        }
        if self.available_at.is_some_and(|at| at <= now) {
            self.available_at = None;
            self.request_state("available").await;
        }
        if self.wrap_up_at.is_some_and(|at| at <= now) {
            self.wrap_up_at = None;
            self.wrap_up().await;
        }
    }

    async fn wrap_up(&mut self) {
        let Some(call) = self.last_call.clone() else {
            return;
        };
        let pick = self.rng.gen_range(0..self.dispositions.len().max(1));
        let disposition = self
            .dispositions
            .get(pick)
            .cloned()
            .unwrap_or_else(|| "resolved_on_call".to_owned());
        let path = format!("/api/calls/{call}/wrap_up");
        match self
            .console
            .post(&path, json!({ "disposition": disposition }))
            .await
        {
            Ok(reply) if reply.status == 200 => {
                Tally::add(&self.shared.tally.wrap_ups);
                if let Some(state) = reply.body["state"].as_str() {
                    let state = state.to_owned();
                    self.set_state(&state);
                }
            }
            Ok(reply) if reply.status >= 500 => self
                .shared
                .tally
                .fail(format!("console answered {} to a wrap-up", reply.status)),
            // Refused: the wrap-up timer ended first (counted from the socket).
            Ok(reply) => {
                debug!(
                    agent = self.login,
                    status = reply.status,
                    message = reply.message(),
                    "wrap-up refused"
                )
            }
            Err(e) => self
                .shared
                .tally
                .fail(format!("console request failed: {e}")),
        }
    }

    /// Hangs up a call still going, logs out, unregisters the phone.
    async fn finish(mut self) {
        if let Some(phone) = self.call.take() {
            self.shared.sip.send(Command::Hangup(phone.handle));
        }
        self.request_state("logged_out").await;
        self.shared.sip.send(Command::Unregister(self.registration));
        let _ = tokio::time::timeout(Duration::from_secs(5), async {
            while let Some(event) = self.sip_events.recv().await {
                if matches!(
                    event,
                    Event::ClientUnregistered { .. } | Event::ClientRegistrationFailed { .. }
                ) {
                    break;
                }
            }
        })
        .await;
    }
}

/// Answers the ringing call with the phone's media and starts its RTP.
fn answer(shared: &Shared, phone: &mut PhoneCall) {
    let Some(remote) = phone.remote.clone() else {
        // Offerless INVITEs do not come from the hotline; refuse rather than guess.
        shared.sip.send(Command::Reject(phone.handle, 488));
        return;
    };
    let local = LocalMedia {
        rtp: phone.leg.local_addr(),
        codecs: vec![remote.codec],
        telephone_event_pt: remote.telephone_event_pt,
        direction: Direction::SendRecv,
        session_id: rand::random::<u32>().into(),
        version: 1,
        crypto: None,
    };
    let mut params = LegParams::new(
        remote.remote_rtp,
        media_codec(remote.codec),
        remote.telephone_event_pt,
    );
    params.dead_media_after = Some(DEAD_MEDIA_AFTER);
    if let Err(e) = phone.leg.start(params) {
        warn!(error = %e, "the agent phone's media did not start");
    }
    shared.sip.send(Command::Answer(phone.handle, local));
}
