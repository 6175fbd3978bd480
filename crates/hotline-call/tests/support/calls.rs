//! One incoming call on simulated time: the test's menu (`tests/ivr/
//! agent_path.toml`: key 1 queues for housing, after the agent the survey),
//! agents' phones as SIP handles, and the outputs of each step.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_call::call::{
    Call, Config, ConsultParty, Incoming, Input, LegRef, MediaInput, MediaOp, Order, Output,
    PlaceRequest, PlacedLeg, Placement, Refusal, Setup, ToAcd,
};
use hotline_call::media::{local_media, LatchRule};
use hotline_ivr::{compile_script, CompileContext, Environment, PromptCatalog};
use hotline_media::MonitorMode;
use hotline_sip::registrar::Binding;
use hotline_sip::sdp::TransportProfile;
use hotline_sip::transport::Command;
use hotline_sip::{CallHandle, Codec, Direction, EndedBy, Event, NegotiatedMedia, Peer, Transport};
use hotline_types::{AgentId, CallEvent, CallId};
use uuid::Uuid;

/// The citizen's dialog.
pub const CALLER: CallHandle = CallHandle(1);

pub fn agent(name: &str) -> AgentId {
    AgentId::from(name)
}

/// Media as a phone or the citizen offers it.
pub fn media(port: u16) -> NegotiatedMedia {
    NegotiatedMedia {
        remote_rtp: SocketAddr::from(([127, 0, 0, 1], port)),
        codec: Codec::Pcmu,
        telephone_event_pt: Some(101),
        ptime_ms: 20,
        remote_direction: Direction::SendRecv,
        profile: TransportProfile::RtpAvp,
        crypto: None,
    }
}

/// An agent's phone registered from 127.0.0.1.
pub fn binding(name: &str, port: u16) -> Binding {
    Binding {
        user: name.into(),
        contact: format!("sip:{name}@127.0.0.1:{port}"),
        source: SocketAddr::from(([127, 0, 0, 1], port)),
        transport: Transport::Udp,
        expires_at: Instant::now() + Duration::from_secs(300),
        digest: None,
    }
}

pub fn config() -> Config {
    Config {
        max_call: Duration::from_secs(3600),
        answer_after: Duration::ZERO,
        dead_media_after: Duration::from_secs(30),
        latch: LatchRule::SignallingSource,
        trusted_sources: Vec::<IpAddr>::new(),
        prompts_root: PathBuf::from("prompts"),
        recordings_dir: PathBuf::from("recordings"),
        music_on_hold: true,
        callbacks: true,
        record_calls: None,
        queue_names: vec!["housing".into(), "transport".into()],
        callback_abandoned: Vec::new(),
        destinations: HashMap::new(),
        dial_plan: Arc::new(|n: &str| {
            if n.starts_with("1") && n.len() == 11 {
                Ok(())
            } else {
                Err("outside_dial_plan")
            }
        }),
        node: None,
    }
}

/// A call and its simulated clock.
pub struct CallSim {
    pub call: Call,
    pub now: Instant,
    /// Agent name → the leg the core asked to place for them.
    pub legs: HashMap<String, PlacedLeg>,
    /// Agent name → the SIP handle their leg got.
    pub handles: HashMap<String, CallHandle>,
    next_handle: u64,
}

impl CallSim {
    /// A call from 13800138000 as it arrives, with `config`.
    pub fn arriving(config: Config) -> (Self, Vec<Output>) {
        Self::arriving_from("13800138000", config)
    }

    /// A call from `caller` as it arrives, with `config`.
    pub fn arriving_from(caller: &str, config: Config) -> (Self, Vec<Output>) {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let text =
            std::fs::read_to_string(root.join("tests/ivr/agent_path.toml")).expect("the test menu");
        Self::arriving_on(&text, caller, config)
    }

    /// Answered and ACKed on the script `text` (its queues: housing,
    /// transport), from 13800138000: the script's first node runs.
    pub fn answered_on(text: &str, config: Config) -> (Self, Vec<Output>) {
        let (mut sim, _) = Self::arriving_on(text, "13800138000", config);
        let out = sim.step(Input::Sip(Event::CallConfirmed {
            call: CALLER,
            remote_media: None,
        }));
        (sim, out)
    }

    /// A call from `caller` on the script `text` as it arrives.
    pub fn arriving_on(text: &str, caller: &str, config: Config) -> (Self, Vec<Output>) {
        let ctx = CompileContext {
            environment: Environment::new(["housing", "transport"], Vec::<String>::new())
                .with_categories(["water_outage"]),
            prompts: PromptCatalog::unchecked("prompts"),
            base_dir: None,
            version: 1,
        };
        let (script, problems) = compile_script(Path::new("test_script.toml"), text, &ctx);
        let script = Arc::new(script.unwrap_or_else(|| panic!("{problems:?}")));
        let incoming = Incoming {
            handle: CALLER,
            caller: caller.into(),
            caller_display: None,
            called: "12345".into(),
            sip_call_id: "c1@127.0.0.1".into(),
            source: Peer {
                transport: Transport::Udp,
                addr: SocketAddr::from(([127, 0, 0, 1], 5070)),
                connection: None,
            },
            remote_media: Some(media(40_000)),
        };
        let local = local_media(
            SocketAddr::from(([127, 0, 0, 1], 30_000)),
            incoming.remote_media.as_ref(),
            1,
        );
        let now = Instant::now();
        let call = Call::new(
            Arc::new(config),
            CallId(Uuid::from_u128(1)),
            incoming,
            Setup::Ready { script, local },
            now,
        );
        let mut sim = CallSim {
            call,
            now,
            legs: HashMap::new(),
            handles: HashMap::new(),
            next_handle: 100,
        };
        let out = sim.drain();
        (sim, out)
    }

    /// Answered and ACKed: the IVR's menu plays.
    pub fn answered() -> (Self, Vec<Output>) {
        Self::answered_from("13800138000", config())
    }

    fn answered_from(caller: &str, config: Config) -> (Self, Vec<Output>) {
        let (mut sim, _) = Self::arriving_from(caller, config);
        let out = sim.step(Input::Sip(Event::CallConfirmed {
            call: CALLER,
            remote_media: None,
        }));
        (sim, out)
    }

    /// Pressed 1 in the menu: queued for housing, music playing.
    pub fn queued() -> Self {
        Self::queued_with(config())
    }

    /// Queued, with `config`.
    pub fn queued_with(config: Config) -> Self {
        Self::queued_from("13800138000", config)
    }

    /// Queued from `caller`, with `config`.
    pub fn queued_from(caller: &str, config: Config) -> Self {
        let (mut sim, _) = Self::answered_from(caller, config);
        let out = sim.step(Input::Media(LegRef::Caller, MediaInput::Dtmf('1')));
        assert!(
            out.iter()
                .any(|o| matches!(o, Output::Acd(ToAcd::Enqueue { .. }))),
            "key 1 queues the caller: {out:?}"
        );
        sim
    }

    pub fn drain(&mut self) -> Vec<Output> {
        std::iter::from_fn(|| self.call.poll_output()).collect()
    }

    pub fn step(&mut self, input: Input) -> Vec<Output> {
        self.call.handle(self.now, input);
        self.drain()
    }

    pub fn advance(&mut self, by: Duration) -> Vec<Output> {
        self.now += by;
        let mut out = Vec::new();
        while let Some(at) = self.call.poll_timeout() {
            if at > self.now {
                break;
            }
            self.call.handle_timeout(self.now);
            out.extend(self.drain());
        }
        out
    }

    pub fn order(&mut self, order: Order) -> Vec<Output> {
        self.step(Input::Acd(order))
    }

    /// The ACD orders `name`'s phone rung; the driver places the leg.
    pub fn ring(&mut self, name: &str, port: u16) -> Vec<Output> {
        let order = Order::RingAgent {
            agent: agent(name),
            binding: binding(name, port),
        };
        self.placing(name, order)
    }

    /// The ACD's order to consult colleague `name` (their phone at `port`).
    pub fn consult(&mut self, name: &str, port: u16) -> Vec<Output> {
        let order = Order::Consult(ConsultParty::Agent {
            agent: agent(name),
            binding: binding(name, port),
        });
        self.placing(name, order)
    }

    /// Gives `order`; the leg it asks to place (if any) is `name`'s and
    /// gets a SIP handle at once.
    pub fn placing(&mut self, name: &str, order: Order) -> Vec<Output> {
        let out = self.order(order);
        self.place(name, out)
    }

    /// Supervisor `name` asks to join the conversation from the console;
    /// their phone's leg gets a SIP handle at once.
    pub fn monitor(
        &mut self,
        name: &str,
        port: u16,
        mode: MonitorMode,
    ) -> Result<Vec<Output>, Refusal> {
        self.call.monitor(name, &binding(name, port), mode)?;
        let out = self.drain();
        Ok(self.place(name, out))
    }

    /// The leg `out` asks to place (if any) is `name`'s and is placed.
    fn place(&mut self, name: &str, mut out: Vec<Output>) -> Vec<Output> {
        let Some(leg) = placed_leg(&out) else {
            return out;
        };
        self.legs.insert(name.into(), leg);
        self.next_handle += 1;
        let handle = CallHandle(self.next_handle);
        self.handles.insert(name.into(), handle);
        out.extend(self.step(Input::Placed {
            leg,
            placed: Some(Placement {
                handle,
                offered: None,
            }),
        }));
        out
    }

    /// `name`'s phone answers.
    pub fn phone_answers(&mut self, name: &str) -> Vec<Output> {
        let call = self.handles[name];
        self.step(Input::Sip(Event::OutgoingAnswered {
            call,
            remote_media: Some(media(50_000)),
        }))
    }

    /// `name`'s phone's dialog ends (the phone hung up, or our CANCEL/BYE completed).
    pub fn phone_ends(&mut self, name: &str, by: EndedBy) -> Vec<Output> {
        let call = self.handles[name];
        self.step(Input::Sip(Event::CallEnded {
            call,
            by,
            reason: "bye",
        }))
    }

    /// Queued, `name` rang, answered and was connected.
    pub fn talking(name: &str) -> Self {
        let mut sim = Self::queued();
        sim.ring(name, 6000);
        sim.phone_answers(name);
        let out = sim.order(Order::Connect { agent: agent(name) });
        assert!(
            out.iter().any(|o| matches!(o, Output::Bridge(_))),
            "connected: {out:?}"
        );
        sim
    }

    pub fn caller_hangs_up(&mut self) -> Vec<Output> {
        self.step(Input::Sip(Event::CallEnded {
            call: CALLER,
            by: EndedBy::Remote,
            reason: "bye",
        }))
    }
}

/// The leg a step asked to place, if any.
pub fn placed_leg(out: &[Output]) -> Option<PlacedLeg> {
    out.iter().find_map(|o| match o {
        Output::Place(PlaceRequest { leg, .. }) => Some(*leg),
        _ => None,
    })
}

/// What a step asked of the ACD.
pub fn acd(out: &[Output]) -> Vec<ToAcd> {
    out.iter()
        .filter_map(|o| match o {
            Output::Acd(a) => Some(a.clone()),
            _ => None,
        })
        .collect()
}

/// The SIP handles a step hung up (BYE or CANCEL).
pub fn hangups(out: &[Output]) -> Vec<CallHandle> {
    out.iter()
        .filter_map(|o| match o {
            Output::Sip(Command::Hangup(h)) => Some(*h),
            _ => None,
        })
        .collect()
}

/// The kinds of the events a step recorded.
pub fn events(out: &[Output]) -> Vec<&'static str> {
    out.iter()
        .filter_map(|o| match o {
            Output::Event(e) => Some(e.kind()),
            _ => None,
        })
        .collect()
}

/// The events themselves.
pub fn call_events(out: &[Output]) -> Vec<CallEvent> {
    out.iter()
        .filter_map(|o| match o {
            Output::Event(e) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

/// The media orders a step gave to `leg`.
pub fn media_ops(out: &[Output], leg: LegRef) -> Vec<MediaOp> {
    out.iter()
        .filter_map(|o| match o {
            Output::Media(l, op) if *l == leg => Some(op.clone()),
            _ => None,
        })
        .collect()
}

pub fn is_done(out: &[Output]) -> bool {
    out.iter().any(|o| matches!(o, Output::Done))
}
