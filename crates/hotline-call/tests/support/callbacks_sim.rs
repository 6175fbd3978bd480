//! One callback on simulated time: the agent's phone and the citizen's
//! line through the trunk as SIP handles, and the outputs of each step.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_call::call::{CallCore, Input, LegRef, Order, Output, PlacedLeg, Placement};
use hotline_call::callbacks::Outcome;
use hotline_call::outbound::{Callback, Trunk};
use hotline_ivr::{compile_script, CompileContext, Environment, PromptCatalog};
use hotline_sip::{CallHandle, EndedBy, Event, Peer, Transport};
use hotline_types::CallId;
use uuid::Uuid;

use super::calls::{agent, binding, config, media, placed_leg};

pub const ORIGINAL: CallId = CallId(Uuid::from_u128(7));
pub const AGENT_PHONE: CallHandle = CallHandle(201);
pub const CITIZEN_LINE: CallHandle = CallHandle(202);

/// A trunk that dials 11-digit mainland numbers only.
pub fn trunk() -> Trunk {
    Trunk {
        peer: Peer {
            transport: Transport::Udp,
            addr: SocketAddr::from(([127, 0, 0, 1], 5090)),
            connection: None,
        },
        target: Arc::new(|n: &str| Some(format!("sip:{n}@127.0.0.1:5090"))),
        permit: Arc::new(|n: &str| {
            if n.starts_with('1') && n.len() == 11 {
                Ok(())
            } else {
                Err("outside_dial_plan")
            }
        }),
        from: "12345".into(),
    }
}

pub struct CallbackSim {
    pub callback: Callback,
    pub now: Instant,
    pub agent_leg: Option<PlacedLeg>,
    pub citizen_leg: Option<PlacedLeg>,
}

impl CallbackSim {
    pub fn new(number: &str) -> (Self, Vec<Output>) {
        let now = Instant::now();
        let callback = Callback::new(
            Arc::new(config()),
            Arc::new(trunk()),
            ORIGINAL,
            CallId(Uuid::from_u128(8)),
            number.into(),
            now,
        );
        let mut sim = CallbackSim {
            callback,
            now,
            agent_leg: None,
            citizen_leg: None,
        };
        let out = sim.drain();
        (sim, out)
    }

    /// The same, with the shipped callback script (`ivr_scripts/
    /// callback.toml`) in `language` for the citizen.
    pub fn scripted(number: &str, language: Option<&str>) -> (Self, Vec<Output>) {
        let (mut sim, out) = Self::new(number);
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let text = std::fs::read_to_string(root.join("ivr_scripts/callback.toml"))
            .expect("the shipped callback script");
        let ctx = CompileContext {
            environment: Environment::new(["general"], Vec::<String>::new()),
            prompts: PromptCatalog::unchecked("prompts"),
            base_dir: None,
            version: 1,
        };
        let (script, problems) = compile_script(Path::new("callback.toml"), &text, &ctx);
        let script = Arc::new(script.unwrap_or_else(|| panic!("{problems:?}")));
        let callback = std::mem::replace(
            &mut sim.callback,
            Callback::new(
                Arc::new(config()),
                Arc::new(trunk()),
                ORIGINAL,
                CallId(Uuid::from_u128(9)),
                number.into(),
                sim.now,
            ),
        );
        sim.callback = callback.with_script(script, language.map(str::to_owned));
        (sim, out)
    }

    pub fn drain(&mut self) -> Vec<Output> {
        std::iter::from_fn(|| self.callback.poll_output()).collect()
    }

    pub fn step(&mut self, input: Input) -> Vec<Output> {
        self.callback.handle(self.now, input);
        self.drain()
    }

    pub fn advance(&mut self, by: Duration) -> Vec<Output> {
        self.now += by;
        if self
            .callback
            .poll_timeout()
            .is_some_and(|at| at <= self.now)
        {
            self.callback.handle_timeout(self.now);
        }
        self.drain()
    }

    /// The ACD rings alice; her phone answers; the ACD connects her: the
    /// citizen's line is being placed.
    pub fn agent_on_the_line(number: &str) -> (Self, Vec<Output>) {
        Self::new(number).0.agent_connected()
    }

    /// [`Self::agent_on_the_line`] from this sim.
    pub fn agent_connected(self) -> (Self, Vec<Output>) {
        let mut sim = self;
        let out = sim.step(Input::Acd(Order::RingAgent {
            agent: agent("alice"),
            binding: binding("alice", 6001),
        }));
        let leg = placed_leg(&out).expect("alice's phone is rung first");
        sim.agent_leg = Some(leg);
        sim.step(Input::Placed {
            leg,
            placed: Some(Placement {
                handle: AGENT_PHONE,
                offered: None,
            }),
        });
        sim.step(Input::Sip(Event::OutgoingAnswered {
            call: AGENT_PHONE,
            remote_media: Some(media(50_000)),
        }));
        let out = sim.step(Input::Acd(Order::Connect {
            agent: agent("alice"),
        }));
        sim.citizen_leg = placed_leg(&out);
        if let Some(leg) = sim.citizen_leg {
            sim.step(Input::Placed {
                leg,
                placed: Some(Placement {
                    handle: CITIZEN_LINE,
                    offered: None,
                }),
            });
        }
        (sim, out)
    }

    /// The citizen picked up: agent and citizen talk.
    pub fn talking(number: &str) -> (Self, Vec<Output>) {
        let (mut sim, _) = Self::agent_on_the_line(number);
        let out = sim.step(Input::Sip(Event::OutgoingAnswered {
            call: CITIZEN_LINE,
            remote_media: Some(media(40_000)),
        }));
        (sim, out)
    }

    pub fn citizen_line_ends(&mut self) -> Vec<Output> {
        self.step(Input::Sip(Event::CallEnded {
            call: CITIZEN_LINE,
            by: EndedBy::Remote,
            reason: "bye",
        }))
    }

    pub fn citizen(&self) -> LegRef {
        LegRef::Placed(self.citizen_leg.expect("the citizen's line was placed"))
    }
}

/// The outcome a step reported to the callback list.
pub fn outcome(out: &[Output]) -> Option<Outcome> {
    out.iter().find_map(|o| match o {
        Output::CallbackOutcome(outcome) => Some(*outcome),
        _ => None,
    })
}
