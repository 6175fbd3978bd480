//! Call-core throughput: whole calls through `hotline_call::call::Call` on
//! simulated time, and, as the reference measured in the same run, the IVR
//! engine alone driven through the same menu.
//!
//! A **step** is one `Call::handle` (or `handle_timeout`) plus draining
//! every output it produced. Each call: arrival, ACK, the menu's prompt
//! played, key 1 (queued for housing), an announcement, two agents' phones
//! rung (ring-all), the first answers, the other is cancelled, connect,
//! hold and resume, the agent hangs up, the survey's prompt, a score, the
//! goodbye prompt, the hotline's hang-up confirmed. The run asserts that
//! every call ended with the survey answered.
//!
//! `cargo run --release -p hotline-call --example call_bench [CALLS]`

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_call::call::{
    Call, Config, Incoming, Input, LegRef, MediaInput, MediaOp, Order, Output, Placement, Setup,
};
use hotline_call::media::{local_media, LatchRule};
use hotline_ivr::{compile_script, CompileContext, Environment, Ivr, PromptCatalog};
use hotline_sip::registrar::Binding;
use hotline_sip::sdp::TransportProfile;
use hotline_sip::{CallHandle, Codec, Direction, EndedBy, Event, NegotiatedMedia, Peer, Transport};
use hotline_types::{AgentId, CallId};

fn media(port: u16) -> NegotiatedMedia {
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

fn binding(name: &str, port: u16) -> Binding {
    Binding {
        user: name.into(),
        contact: format!("sip:{name}@127.0.0.1:{port}"),
        source: SocketAddr::from(([127, 0, 0, 1], port)),
        transport: Transport::Udp,
        expires_at: Instant::now() + Duration::from_secs(3600),
        digest: None,
    }
}

fn config() -> Config {
    Config {
        max_call: Duration::from_secs(3600),
        answer_after: Duration::ZERO,
        dead_media_after: Duration::from_secs(30),
        latch: LatchRule::SignallingSource,
        trusted_sources: Vec::new(),
        prompts_root: PathBuf::from("prompts"),
        recordings_dir: PathBuf::from("recordings"),
        music_on_hold: true,
        callbacks: true,
        record_calls: None,
        queue_names: vec!["housing".into(), "transport".into()],
        callback_abandoned: Vec::new(),
        destinations: HashMap::new(),
        dial_plan: Arc::new(|n: &str| {
            if n.len() == 11 {
                Ok(())
            } else {
                Err("outside_dial_plan")
            }
        }),
        node: None,
    }
}

/// One simulated call; returns (steps, whether the survey was answered).
struct Run {
    call: Call,
    now: Instant,
    steps: u64,
    /// The last playback the core started on the caller's leg.
    playing: Option<hotline_call::call::PlayTag>,
    placed: Vec<hotline_call::call::PlacedLeg>,
    survey_answered: bool,
    done: bool,
}

impl Run {
    fn drain(&mut self) {
        while let Some(output) = self.call.poll_output() {
            match output {
                Output::Media(LegRef::Caller, MediaOp::Play { tag, .. }) => {
                    self.playing = Some(tag)
                }
                Output::Place(request) => self.placed.push(request.leg),
                Output::Event(hotline_types::CallEvent::SurveyAnswered { .. }) => {
                    self.survey_answered = true
                }
                Output::Done => self.done = true,
                _ => {}
            }
        }
    }

    fn step(&mut self, input: Input) {
        self.steps += 1;
        self.call.handle(self.now, input);
        self.drain();
    }

    fn prompt_ends(&mut self) {
        if let Some(tag) = self.playing.take() {
            self.now += Duration::from_secs(3);
            self.step(Input::Media(
                LegRef::Caller,
                MediaInput::PlaybackFinished(tag),
            ));
        }
    }
}

fn one_call(config: &Arc<Config>, script: &Arc<hotline_ivr::CompiledScript>, n: u64) -> Run {
    let handle = CallHandle(1);
    let remote = media(40_000);
    let local = local_media(SocketAddr::from(([127, 0, 0, 1], 30_000)), Some(&remote), n);
    let incoming = Incoming {
        handle,
        caller: "13800138000".into(),
        caller_display: None,
        called: "12345".into(),
        sip_call_id: format!("{n}@bench"),
        source: Peer {
            transport: Transport::Udp,
            addr: SocketAddr::from(([127, 0, 0, 1], 5070)),
            connection: None,
        },
        remote_media: Some(remote),
    };
    let now = Instant::now();
    let call = Call::new(
        config.clone(),
        CallId::new(),
        incoming,
        Setup::Ready {
            script: script.clone(),
            local,
        },
        now,
    );
    let mut run = Run {
        call,
        now,
        steps: 1,
        playing: None,
        placed: Vec::new(),
        survey_answered: false,
        done: false,
    };
    run.drain();
    run.step(Input::Sip(Event::CallConfirmed {
        call: handle,
        remote_media: None,
    }));
    run.prompt_ends();
    run.step(Input::Media(LegRef::Caller, MediaInput::Dtmf('1')));
    run.step(Input::Acd(Order::Announce {
        position: 1,
        estimated_wait: Some(Duration::from_secs(40)),
    }));
    run.prompt_ends();
    for (name, port) in [("alice", 6001), ("bob", 6002)] {
        run.step(Input::Acd(Order::RingAgent {
            agent: AgentId::from(name),
            binding: binding(name, port),
        }));
    }
    for (i, leg) in run.placed.clone().into_iter().enumerate() {
        run.step(Input::Placed {
            leg,
            placed: Some(Placement {
                handle: CallHandle(10 + i as u64),
                offered: None,
            }),
        });
    }
    run.now += Duration::from_secs(2);
    run.step(Input::Sip(Event::OutgoingAnswered {
        call: CallHandle(10),
        remote_media: Some(media(50_000)),
    }));
    run.step(Input::Acd(Order::CancelOffer {
        agent: AgentId::from("bob"),
    }));
    run.step(Input::Sip(Event::CallEnded {
        call: CallHandle(11),
        by: EndedBy::Local,
        reason: "cancel",
    }));
    run.step(Input::Acd(Order::Connect {
        agent: AgentId::from("alice"),
    }));
    run.steps += 2;
    let _ = run.call.hold(true);
    run.drain();
    let _ = run.call.hold(false);
    run.drain();
    run.now += Duration::from_secs(60);
    run.step(Input::Sip(Event::CallEnded {
        call: CallHandle(10),
        by: EndedBy::Remote,
        reason: "bye",
    }));
    run.prompt_ends();
    run.step(Input::Media(LegRef::Caller, MediaInput::Dtmf('5')));
    run.prompt_ends();
    run.step(Input::Sip(Event::CallEnded {
        call: handle,
        by: EndedBy::Local,
        reason: "bye",
    }));
    run
}

fn main() {
    let calls: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let text = std::fs::read_to_string(root.join("tests/ivr/agent_path.toml"))
        .expect("tests/ivr/agent_path.toml");
    let ctx = CompileContext {
        environment: Environment::new(["housing", "transport"], Vec::<String>::new())
            .with_categories(["water_outage"]),
        prompts: PromptCatalog::unchecked("prompts"),
        base_dir: None,
        version: 1,
    };
    let (script, problems) = compile_script(Path::new("agent_path.toml"), &text, &ctx);
    let script = Arc::new(script.unwrap_or_else(|| panic!("{problems:?}")));
    let config = Arc::new(config());

    // The call core.
    let started = Instant::now();
    let mut steps = 0;
    for n in 0..calls {
        let run = one_call(&config, &script, n);
        assert!(
            run.done && run.survey_answered,
            "call {n} did not end with the survey"
        );
        steps += run.steps;
    }
    let core = started.elapsed();

    // The reference: the IVR engine alone through the same journey.
    let started = Instant::now();
    let mut ivr_steps = 0u64;
    for _ in 0..calls {
        let info = hotline_ivr::CallInfo {
            caller: "13800138000".into(),
            called: "12345".into(),
            answered_at: hotline_types::Timestamp(0),
        };
        let mut ivr = Ivr::new(script.clone(), info);
        let mut now = Instant::now();
        let mut last_play = None;
        let feed = |ivr: &mut Ivr, now: Instant, input, last_play: &mut Option<_>| {
            ivr.handle_input(now, input);
            while let Some(action) = ivr.poll_action() {
                if let hotline_ivr::Action::Play { id, .. } = action {
                    *last_play = Some(id);
                }
            }
        };
        let inputs = [
            hotline_ivr::Input::Start,
            hotline_ivr::Input::Digit('1'),
            hotline_ivr::Input::QueueResult(hotline_ivr::QueueOutcome::AgentFinished),
        ];
        for input in inputs {
            feed(&mut ivr, now, input, &mut last_play);
            ivr_steps += 1;
            if let Some(id) = last_play.take() {
                now += Duration::from_secs(3);
                feed(
                    &mut ivr,
                    now,
                    hotline_ivr::Input::PromptFinished(id),
                    &mut last_play,
                );
                ivr_steps += 1;
            }
        }
        feed(
            &mut ivr,
            now,
            hotline_ivr::Input::Digit('5'),
            &mut last_play,
        );
        ivr_steps += 1;
    }
    let ivr = started.elapsed();

    let per = |steps: u64, took: Duration| steps as f64 / took.as_secs_f64();
    let (core_rate, ivr_rate) = (per(steps, core), per(ivr_steps, ivr));
    println!(
        "call core: {calls} calls, {steps} steps in {:.2} s: {:.2} M steps/s, {:.0} ns/step, {:.1} µs/call",
        core.as_secs_f64(),
        core_rate / 1e6,
        1e9 / core_rate,
        core.as_secs_f64() * 1e6 / calls as f64
    );
    println!(
        "reference (IVR engine alone, same journey): {ivr_steps} steps in {:.2} s: {:.2} M steps/s, {:.0} ns/step",
        ivr.as_secs_f64(),
        ivr_rate / 1e6,
        1e9 / ivr_rate
    );
    println!(
        "ratio: one call-core step costs {:.2} IVR-engine steps",
        ivr_rate / core_rate
    );
}
