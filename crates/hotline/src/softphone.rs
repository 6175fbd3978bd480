//! Browser audio: the agent's console page as the agent's phone.
//!
//! An agent who chose browser audio has a *line*: the console socket that
//! said `hello` with `audio: browser`. While the line is open the agent is
//! reachable as if a phone were registered: [`Phones::binding`] gives the
//! ACD a binding whose contact is `webrtc:<agent>`, so the ACD, the call
//! core and the callbacks ring the agent exactly as they ring a SIP phone.
//!
//! The call driver places such a leg here instead of through the SIP
//! layer ([`Softphone::ring`]): the leg's media is an ordinary engine leg
//! with a WebRTC transport attached (`hotline-webrtc`: ICE-lite,
//! DTLS-SRTP, PCMU passed through or Opus transcoded), so the bridge,
//! recording and monitoring do not know it is a browser. What the call
//! core expects of a placed leg's dialog comes back as the SIP layer's
//! own events on the call's route (ringing, answered, failed, ended),
//! and its commands to that dialog ([`Softphone::command`]: hang up) are
//! carried out here. The handles of browser legs are numbered apart from
//! the SIP layer's ([`BROWSER_HANDLES`]).
//!
//! Signalling is the console's own authenticated WebSocket: our SDP offer
//! goes out with the ring (the page answers at once, so the audio is up
//! by the time the agent picks up), the agent's pick-up is `accept`. A
//! page that comes back (refresh) says `hello` again and each live leg of
//! the agent is offered to it anew on the same engine leg (a fresh peer
//! connection behind the same media stream: the citizen stays bridged); a
//! network change on the page is its own ICE restart (`offer` on a live
//! leg, answered on the same peer connection).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use hotline_media::{Leg, TRANSPORT_PEER};
use hotline_screenpop::{
    AudioMode, Console, ConsoleEvent, SoftphoneEvent, SoftphoneMessage, SoftphoneSignal,
};
use hotline_sip::registrar::Binding;
use hotline_sip::sdp::{Direction, NegotiatedMedia, TransportProfile};
use hotline_sip::transport::{Command, SipHandle, TransportError};
use hotline_sip::{CallHandle, EndedBy, Event};
use hotline_types::{AgentId, CallId};
use hotline_webrtc::{SharedWebRtcLeg, WebRtcConfig, WebRtcLeg};
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

use crate::call::CallInput;

/// Browser legs' handles start here; the SIP layer numbers its dialogs
/// from 1 and never gets near.
pub const BROWSER_HANDLES: u64 = 1 << 48;
/// The payload type of RFC 4733 events the leg's core sees (the WebRTC
/// transport maps the browser's onto it).
const TELEPHONE_EVENT_PT: u8 = 101;
/// The contact of an agent's browser line, as the binding carries it.
const CONTACT_SCHEME: &str = "webrtc:";

/// Whether a placed leg's target is an agent's browser; the agent.
pub fn browser_agent(target: &str) -> Option<AgentId> {
    target.strip_prefix(CONTACT_SCHEME).map(AgentId::from)
}

/// Browser audio of this node. Cheap to clone.
#[derive(Clone)]
pub struct Softphone {
    inner: Arc<Inner>,
}

struct Inner {
    console: Console,
    /// `webrtc.enabled`: off, no page becomes a line.
    enabled: bool,
    config: WebRtcConfig,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Each agent's line: the socket calls ring on.
    lines: HashMap<AgentId, u64>,
    /// Ringing and live browser legs, by their number (= handle).
    legs: HashMap<u64, BrowserLeg>,
    next: u64,
}

struct BrowserLeg {
    agent: AgentId,
    call: CallId,
    caller: String,
    transport: SharedWebRtcLeg,
    /// The call task's inputs: the dialog's events go there.
    route: mpsc::UnboundedSender<CallInput>,
    answered: bool,
}

impl BrowserLeg {
    fn tell(&self, number: u64, event: Event) {
        let _ = self.route.send(CallInput::Sip(event));
        debug!(call = %self.call, leg = number, "browser leg event");
    }
}

impl std::fmt::Debug for Softphone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state();
        f.debug_struct("Softphone")
            .field("lines", &state.lines.len())
            .field("legs", &state.legs.len())
            .finish()
    }
}

impl Softphone {
    pub fn new(console: Console, enabled: bool, config: WebRtcConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                console,
                enabled,
                config,
                state: Mutex::new(State {
                    next: BROWSER_HANDLES,
                    ..State::default()
                }),
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // Every critical section is a few map operations.
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn push(&self, agent: &AgentId, socket: u64, event: SoftphoneEvent) -> bool {
        self.inner
            .console
            .push_socket(agent, socket, ConsoleEvent::Softphone(event))
    }

    /// The agent's browser line as a binding, if their console page is
    /// open with browser audio.
    pub fn binding(&self, agent: &str) -> Option<Binding> {
        let state = self.state();
        state.lines.get(&AgentId::from(agent))?;
        Some(Binding {
            user: agent.to_owned(),
            contact: format!("{CONTACT_SCHEME}{agent}"),
            // Nothing is sent to it: the leg's ICE finds the browser.
            source: SocketAddr::from(([0, 0, 0, 0], 0)),
            transport: hotline_sip::Transport::Udp,
            expires_at: Instant::now() + Duration::from_secs(86_400),
            digest: None,
        })
    }

    /// Open browser lines and the browser legs ringing or live (for
    /// `/metrics`).
    pub fn counts(&self) -> (usize, usize) {
        let state = self.state();
        (state.lines.len(), state.legs.len())
    }

    /// Rings the agent's browser for `call`: a WebRTC transport on
    /// `media` and our offer to their line. The dialog's events go to
    /// `route` from now on, `OutgoingProgress(180)` first.
    pub fn ring(
        &self,
        agent: &AgentId,
        call: CallId,
        caller: &str,
        media: &Leg,
        route: mpsc::UnboundedSender<CallInput>,
    ) -> Result<CallHandle, String> {
        let mut state = self.state();
        state.legs.retain(|_, leg| !leg.route.is_closed());
        let socket = *state
            .lines
            .get(agent)
            .ok_or("the agent's console is not open with browser audio")?;
        let (transport, offer) = WebRtcLeg::offer(
            self.inner.config.clone(),
            media.local_addr(),
            Instant::now(),
        )
        .map_err(|e| format!("no WebRTC offer: {e}"))?;
        let transport = SharedWebRtcLeg::new(transport);
        media
            .attach_transport(Box::new(transport.clone()))
            .map_err(|e| format!("the media leg is gone: {e}"))?;
        state.next += 1;
        let number = state.next;
        let leg = BrowserLeg {
            agent: agent.clone(),
            call,
            caller: caller.to_owned(),
            transport,
            route,
            answered: false,
        };
        let rang = self.push(
            agent,
            socket,
            SoftphoneEvent::Ring {
                leg: number,
                call,
                caller: caller.to_owned(),
                offer,
            },
        );
        if !rang {
            state.lines.remove(agent);
            return Err("the agent's console socket is gone".into());
        }
        let handle = CallHandle(number);
        leg.tell(
            number,
            Event::OutgoingProgress {
                call: handle,
                status: 180,
            },
        );
        state.legs.insert(number, leg);
        info!(%call, %agent, leg = number, "ringing the agent's browser");
        Ok(handle)
    }

    /// Carries out a call core's command if it is for a browser leg's
    /// dialog; false if it is the SIP layer's.
    pub fn command(&self, command: &Command) -> bool {
        let handle = match command {
            Command::Hangup(h)
            | Command::Ring(h)
            | Command::Reject(h, _)
            | Command::NotifyRefer(h, ..)
            | Command::Answer(h, _) => *h,
            _ => return false,
        };
        if handle.0 < BROWSER_HANDLES {
            return false;
        }
        if let Command::Hangup(_) = command {
            let leg = self.state().legs.remove(&handle.0);
            if let Some(leg) = leg {
                self.ended(handle.0, &leg);
                leg.tell(
                    handle.0,
                    Event::CallEnded {
                        call: handle,
                        by: EndedBy::Local,
                        reason: if leg.answered { "bye" } else { "cancel" },
                    },
                );
            }
        }
        // A browser does not REFER, and its legs are never incoming.
        true
    }

    fn ended(&self, number: u64, leg: &BrowserLeg) {
        let socket = self.state().lines.get(&leg.agent).copied();
        if let Some(socket) = socket {
            self.push(&leg.agent, socket, SoftphoneEvent::Ended { leg: number });
        }
    }

    /// What a console page said, or that its socket closed.
    pub fn signal(&self, signal: SoftphoneSignal) {
        match signal {
            SoftphoneSignal::Closed { agent, socket } => {
                let mut state = self.state();
                if state.lines.get(&agent) == Some(&socket) {
                    state.lines.remove(&agent);
                    info!(%agent, "the agent's browser line closed (its live calls wait for it)");
                }
            }
            SoftphoneSignal::Message {
                agent,
                socket,
                message,
            } => {
                if let Err(e) = self.message(&agent, socket, message) {
                    debug!(%agent, leg = ?e.0, error = e.1, "softphone message refused");
                    self.push(
                        &agent,
                        socket,
                        SoftphoneEvent::Error {
                            leg: e.0,
                            message: e.1,
                        },
                    );
                }
            }
        }
    }

    fn message(
        &self,
        agent: &AgentId,
        socket: u64,
        message: SoftphoneMessage,
    ) -> Result<(), (Option<u64>, String)> {
        let now = Instant::now();
        match message {
            SoftphoneMessage::Hello {
                audio: AudioMode::Phone,
            } => {
                let mut state = self.state();
                if state.lines.get(agent) == Some(&socket) {
                    state.lines.remove(agent);
                }
                Ok(())
            }
            SoftphoneMessage::Hello {
                audio: AudioMode::Browser,
            } => {
                if !self.inner.enabled {
                    return Err((
                        None,
                        "browser audio is off on this hotline (webrtc.enabled)".into(),
                    ));
                }
                let reoffers = {
                    let mut state = self.state();
                    state.legs.retain(|_, leg| !leg.route.is_closed());
                    state.lines.insert(agent.clone(), socket);
                    // The page came back: its live legs get a fresh peer
                    // connection behind the same media stream.
                    let mut reoffers = Vec::new();
                    for (number, leg) in state.legs.iter().filter(|(_, l)| &l.agent == agent) {
                        match leg.transport.reconnect(now) {
                            Ok(offer) => reoffers.push((
                                *number,
                                leg.call,
                                leg.caller.clone(),
                                leg.answered,
                                offer,
                            )),
                            Err(e) => {
                                warn!(call = %leg.call, error = %e, "a browser leg could not be offered again")
                            }
                        }
                    }
                    reoffers
                };
                self.push(agent, socket, SoftphoneEvent::Line);
                for (leg, call, caller, answered, offer) in reoffers {
                    info!(%call, %agent, leg, "offering the live call to the returning page");
                    let event = if answered {
                        SoftphoneEvent::Reoffer { leg, call, offer }
                    } else {
                        SoftphoneEvent::Ring {
                            leg,
                            call,
                            caller,
                            offer,
                        }
                    };
                    self.push(agent, socket, event);
                }
                Ok(())
            }
            SoftphoneMessage::Answer { leg, sdp } => {
                let transport = self.transport_of(agent, leg)?;
                transport
                    .accept_answer(now, &sdp)
                    .map_err(|e| (Some(leg), format!("the answer cannot be used: {e}")))
            }
            SoftphoneMessage::Offer { leg, sdp } => {
                let transport = self.transport_of(agent, leg)?;
                let answer = transport
                    .renegotiate(now, &sdp)
                    .map_err(|e| (Some(leg), format!("the offer cannot be answered: {e}")))?;
                self.push(agent, socket, SoftphoneEvent::Answer { leg, sdp: answer });
                Ok(())
            }
            SoftphoneMessage::Accept { leg } => {
                let mut state = self.state();
                let browser = state
                    .legs
                    .get_mut(&leg)
                    .filter(|l| &l.agent == agent)
                    .ok_or((Some(leg), "no such call is ringing".to_owned()))?;
                if !browser.answered {
                    browser.answered = true;
                    info!(call = %browser.call, %agent, leg, "the agent picked up in the browser");
                    browser.tell(
                        leg,
                        Event::OutgoingAnswered {
                            call: CallHandle(leg),
                            remote_media: Some(negotiated()),
                        },
                    );
                }
                Ok(())
            }
            SoftphoneMessage::Decline { leg } => {
                let mut state = self.state();
                let ringing = state
                    .legs
                    .get(&leg)
                    .is_some_and(|l| &l.agent == agent && !l.answered);
                if !ringing {
                    return Err((Some(leg), "no such call is ringing".into()));
                }
                if let Some(browser) = state.legs.remove(&leg) {
                    info!(call = %browser.call, %agent, leg, "the agent turned the call down");
                    browser.tell(
                        leg,
                        Event::OutgoingFailed {
                            call: CallHandle(leg),
                            status: 486,
                        },
                    );
                }
                Ok(())
            }
        }
    }

    fn transport_of(
        &self,
        agent: &AgentId,
        leg: u64,
    ) -> Result<SharedWebRtcLeg, (Option<u64>, String)> {
        self.state()
            .legs
            .get(&leg)
            .filter(|l| &l.agent == agent)
            .map(|l| l.transport.clone())
            .ok_or((Some(leg), "no such browser leg".into()))
    }
}

/// What a browser leg's core is started with: the transport is the peer,
/// and it hands the core PCMU and RFC 4733 events whatever the browser
/// negotiated.
fn negotiated() -> NegotiatedMedia {
    NegotiatedMedia {
        remote_rtp: TRANSPORT_PEER,
        codec: hotline_sip::sdp::Codec::Pcmu,
        telephone_event_pt: Some(TELEPHONE_EVENT_PT),
        ptime_ms: 20,
        remote_direction: Direction::SendRecv,
        profile: TransportProfile::RtpAvp,
        crypto: None,
    }
}

/// The agents' phones: a browser line where the agent has one, else the
/// SIP phone registered under their login, with this node's registrar or,
/// in a centre of several nodes, another's.
#[derive(Clone, Debug)]
pub struct Phones {
    pub sip: SipHandle,
    pub softphone: Softphone,
    pub shared: Option<crate::centre::SharedPhones>,
}

impl Phones {
    /// Where `user`'s calls ring. In a centre of several nodes (`shared`)
    /// a call may be on another node than the agent's browser line, so
    /// only their SIP phone counts there, for the login as for an offer.
    pub async fn binding(&self, user: &str) -> Result<Option<Binding>, TransportError> {
        if self.shared.is_none() {
            if let Some(line) = self.softphone.binding(user) {
                return Ok(Some(line));
            }
        }
        self.sip_binding(user).await
    }

    /// The SIP phone only (what another node's call can ring).
    pub async fn sip_binding(&self, user: &str) -> Result<Option<Binding>, TransportError> {
        match self.sip.binding(user).await? {
            Some(binding) => Ok(Some(binding)),
            None => match &self.shared {
                Some(shared) => Ok(shared.binding(user).await),
                None => Ok(None),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hotline_media::{EngineConfig, MediaEngine};
    use hotline_screenpop::ConsoleConfig;
    use hotline_store::Store;

    struct Rig {
        softphone: Softphone,
        media: MediaEngine,
        _dir: tempfile::TempDir,
    }

    async fn rig() -> Rig {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("hotline.db").display());
        let store = Store::connect_with(
            &url,
            hotline_store::StoreOptions::new(*b"softphone-test-key-0123456789ab!"),
        )
        .await
        .unwrap();
        let (requests, _) = mpsc::unbounded_channel();
        let console = Console::new(store, ConsoleConfig::default(), requests);
        Rig {
            softphone: Softphone::new(console, true, WebRtcConfig::default()),
            media: MediaEngine::start(EngineConfig {
                shards: 1,
                ..EngineConfig::default()
            })
            .unwrap(),
            _dir: dir,
        }
    }

    fn said(agent: &str, socket: u64, message: SoftphoneMessage) -> SoftphoneSignal {
        SoftphoneSignal::Message {
            agent: agent.into(),
            socket,
            message,
        }
    }

    fn hello(agent: &str, socket: u64, audio: AudioMode) -> SoftphoneSignal {
        said(agent, socket, SoftphoneMessage::Hello { audio })
    }

    /// A ringing leg of `agent`, put in place as `ring` leaves it (the
    /// console socket it would ring on is not open in these tests); the
    /// call's route.
    fn ringing_leg(rig: &Rig, number: u64, agent: &str) -> mpsc::UnboundedReceiver<CallInput> {
        let leg = rig.media.allocate_leg().unwrap();
        let (transport, _offer) =
            WebRtcLeg::offer(WebRtcConfig::default(), leg.local_addr(), Instant::now()).unwrap();
        let (route, events) = mpsc::unbounded_channel();
        rig.softphone.state().legs.insert(
            number,
            BrowserLeg {
                agent: agent.into(),
                call: CallId::new(),
                caller: "13800138000".into(),
                transport: SharedWebRtcLeg::new(transport),
                route,
                answered: false,
            },
        );
        events
    }

    fn next_event(events: &mut mpsc::UnboundedReceiver<CallInput>) -> Event {
        match events.try_recv() {
            Ok(CallInput::Sip(event)) => event,
            other => panic!("a SIP-layer event, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_line_is_a_binding_until_the_page_gives_it_up_or_goes() {
        let rig = rig().await;
        let phone = &rig.softphone;
        assert!(phone.binding("agent1").is_none(), "no page, no line");
        phone.signal(hello("agent1", 7, AudioMode::Browser));
        let line = phone.binding("agent1").expect("the page is the phone");
        assert_eq!(line.contact, "webrtc:agent1");
        assert_eq!(browser_agent(&line.contact), Some(AgentId::from("agent1")));
        // Another socket of the agent closing leaves the line alone.
        phone.signal(SoftphoneSignal::Closed {
            agent: "agent1".into(),
            socket: 8,
        });
        assert!(phone.binding("agent1").is_some());
        phone.signal(hello("agent1", 7, AudioMode::Phone));
        assert!(phone.binding("agent1").is_none(), "back to the SIP phone");
        phone.signal(hello("agent1", 9, AudioMode::Browser));
        phone.signal(SoftphoneSignal::Closed {
            agent: "agent1".into(),
            socket: 9,
        });
        assert!(phone.binding("agent1").is_none(), "the page went");
    }

    #[tokio::test]
    async fn browser_audio_off_makes_no_line() {
        let mut rig = rig().await;
        rig.softphone = Softphone::new(
            rig.softphone.inner.console.clone(),
            false,
            WebRtcConfig::default(),
        );
        rig.softphone.signal(hello("agent1", 7, AudioMode::Browser));
        assert!(rig.softphone.binding("agent1").is_none());
    }

    #[tokio::test]
    async fn a_ring_without_an_open_socket_fails_and_drops_the_line() {
        let rig = rig().await;
        let phone = &rig.softphone;
        let call = CallId::new();
        let leg = rig.media.allocate_leg().unwrap();
        let (route, mut events) = mpsc::unbounded_channel();
        let agent = AgentId::from("agent1");
        assert!(
            phone
                .ring(&agent, call, "13800138000", &leg, route.clone())
                .is_err(),
            "no line: nothing rings"
        );
        phone.signal(hello("agent1", 7, AudioMode::Browser));
        // No socket 7 is open on the console: the ring cannot be delivered
        // and the line is dropped.
        assert!(phone
            .ring(&agent, call, "13800138000", &leg, route.clone())
            .is_err());
        assert!(phone.binding("agent1").is_none());
        assert!(events.try_recv().is_err());
        assert_eq!(phone.counts(), (0, 0));
    }

    #[tokio::test]
    async fn commands_for_sip_dialogs_are_not_the_softphones() {
        let rig = rig().await;
        assert!(!rig.softphone.command(&Command::Hangup(CallHandle(5))));
        assert!(rig
            .softphone
            .command(&Command::Hangup(CallHandle(BROWSER_HANDLES + 1))));
        assert!(!rig.softphone.command(&Command::SetAccepting(true)));
    }

    #[tokio::test]
    async fn another_agent_cannot_pick_up_or_answer_a_leg() {
        let rig = rig().await;
        let phone = &rig.softphone;
        let number = BROWSER_HANDLES + 1;
        let mut events = ringing_leg(&rig, number, "agent1");
        phone.signal(said("agent2", 3, SoftphoneMessage::Accept { leg: number }));
        phone.signal(said("agent2", 3, SoftphoneMessage::Decline { leg: number }));
        phone.signal(said(
            "agent2",
            3,
            SoftphoneMessage::Answer {
                leg: number,
                sdp: "v=0".into(),
            },
        ));
        assert!(events.try_recv().is_err(), "nothing reached the call");
        // Its own agent picks up: the call hears the dialog answered, with
        // the transport as the peer, once.
        phone.signal(said("agent1", 3, SoftphoneMessage::Accept { leg: number }));
        phone.signal(said("agent1", 3, SoftphoneMessage::Accept { leg: number }));
        match next_event(&mut events) {
            Event::OutgoingAnswered {
                call,
                remote_media: Some(media),
            } => {
                assert_eq!(call, CallHandle(number));
                assert_eq!(media.remote_rtp, TRANSPORT_PEER);
                assert_eq!(media.telephone_event_pt, Some(TELEPHONE_EVENT_PT));
            }
            other => panic!("answered, got {other:?}"),
        }
        assert!(events.try_recv().is_err(), "answered once");
        // An answered leg cannot be declined; the call core hangs it up.
        phone.signal(said("agent1", 3, SoftphoneMessage::Decline { leg: number }));
        assert!(events.try_recv().is_err());
        assert!(phone.command(&Command::Hangup(CallHandle(number))));
        assert_eq!(
            next_event(&mut events),
            Event::CallEnded {
                call: CallHandle(number),
                by: EndedBy::Local,
                reason: "bye",
            }
        );
        assert_eq!(phone.counts().1, 0);
    }

    #[tokio::test]
    async fn a_declined_ring_fails_the_dialog_486() {
        let rig = rig().await;
        let phone = &rig.softphone;
        let number = BROWSER_HANDLES + 2;
        let mut events = ringing_leg(&rig, number, "agent1");
        phone.signal(said("agent1", 3, SoftphoneMessage::Decline { leg: number }));
        assert_eq!(
            next_event(&mut events),
            Event::OutgoingFailed {
                call: CallHandle(number),
                status: 486
            }
        );
        assert_eq!(phone.counts().1, 0);
    }
}
