//! Property: whatever the SIP layer, the media engine, the ACD and the
//! console do to a call, in any order, the call core never panics, and
//! once the caller's dialog has ended it has closed every media leg it
//! asked for exactly once, hung up no dialog twice, told the ACD the call
//! is gone exactly once (its last word), recorded `ended` exactly once (its
//! last event), and says nothing more. A supervisor who joined leaves
//! (`monitor_ended`) at most once per time they joined, before `ended`.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use hotline_acd::ConsultOutcome;
use hotline_call::call::{
    ConsultParty, Input, LegRef, MediaInput, MediaOp, Order, Output, PlacedLeg, Placement, PlayTag,
    ToAcd,
};
use hotline_media::MonitorMode;
use hotline_sip::transport::Command;
use hotline_sip::{CallHandle, EndedBy, Event};
use proptest::prelude::*;
use support::calls::*;

const AGENTS: [&str; 3] = ["alice", "bob", "carol"];
/// The supervisor's phone, indexed beside the agents' in the ops.
const SUP: usize = AGENTS.len();
const MODES: [MonitorMode; 3] = [
    MonitorMode::Listen,
    MonitorMode::Whisper,
    MonitorMode::Barge,
];

#[derive(Debug, Clone)]
enum Op {
    Ring(usize),
    /// The ACD's order to consult this agent (attended transfer).
    Consult(usize),
    ConsultEnded(usize),
    Place(usize, bool),
    Answer(usize),
    PhoneEnds(usize),
    Cancel(usize),
    Connect(usize),
    Drop(usize),
    Overflow,
    Announce,
    Requeued,
    TransferRefused,
    Refer(bool),
    Hold(bool),
    HangUpAgent,
    Key(char),
    PlaybackDone(u64),
    CallerSilent,
    AgentSilent(usize),
    Wait(u64),
    Terminate,
    /// The supervisor asks to join in this mode (or to change to it).
    Monitor(usize),
    EndMonitor,
}

const OUTCOMES: [ConsultOutcome; 3] = [
    ConsultOutcome::Completed,
    ConsultOutcome::Returned,
    ConsultOutcome::NoAnswer,
];

fn op() -> impl Strategy<Value = Op> {
    let a = 0..AGENTS.len();
    // Phones: the agents' and the supervisor's.
    let p = 0..=SUP;
    prop_oneof![
        a.clone().prop_map(Op::Ring),
        a.clone().prop_map(Op::Consult),
        (0..OUTCOMES.len()).prop_map(Op::ConsultEnded),
        (p.clone(), any::<bool>()).prop_map(|(i, ok)| Op::Place(i, ok)),
        p.clone().prop_map(Op::Answer),
        p.clone().prop_map(Op::PhoneEnds),
        a.clone().prop_map(Op::Cancel),
        a.clone().prop_map(Op::Connect),
        a.clone().prop_map(Op::Drop),
        Just(Op::Overflow),
        Just(Op::Announce),
        Just(Op::Requeued),
        Just(Op::TransferRefused),
        any::<bool>().prop_map(Op::Refer),
        any::<bool>().prop_map(Op::Hold),
        Just(Op::HangUpAgent),
        prop::sample::select(vec!['1', '2', '3', '#', '9']).prop_map(Op::Key),
        (0u64..40).prop_map(Op::PlaybackDone),
        Just(Op::CallerSilent),
        p.prop_map(Op::AgentSilent),
        (0u64..20_000).prop_map(Op::Wait),
        Just(Op::Terminate),
        (0..MODES.len()).prop_map(Op::Monitor),
        Just(Op::EndMonitor),
    ]
}

/// What the simulated driver has seen.
#[derive(Default)]
struct Seen {
    placing: HashMap<usize, PlacedLeg>,
    leg_of: HashMap<PlacedLeg, usize>,
    handles: HashMap<usize, CallHandle>,
    placed_legs: Vec<PlacedLeg>,
    closed: HashMap<LegRef, usize>,
    hung_up: HashMap<CallHandle, usize>,
    acd: Vec<ToAcd>,
    events: Vec<&'static str>,
    done: usize,
    after_done: usize,
    next_handle: u64,
}

impl Seen {
    fn take(&mut self, out: Vec<Output>) {
        for o in out {
            if self.done > 0 {
                self.after_done += 1;
            }
            match o {
                Output::Place(request) => self.placed_legs.push(request.leg),
                Output::Media(leg, MediaOp::Close { .. }) => {
                    *self.closed.entry(leg).or_default() += 1
                }
                Output::Sip(Command::Hangup(h)) => *self.hung_up.entry(h).or_default() += 1,
                Output::Acd(a) => self.acd.push(a),
                Output::Event(e) => self.events.push(e.kind()),
                Output::Done => self.done += 1,
                _ => {}
            }
        }
    }
}

fn run(ops: Vec<Op>) {
    let mut sim = CallSim::queued();
    let mut seen = Seen {
        next_handle: 100,
        ..Seen::default()
    };
    for op in ops {
        let out = match op {
            Op::Ring(i) | Op::Consult(i) => {
                let (agent, binding) = (agent(AGENTS[i]), binding(AGENTS[i], 6000 + i as u16));
                let out = sim.order(match op {
                    Op::Ring(_) => Order::RingAgent { agent, binding },
                    _ => Order::Consult(ConsultParty::Agent { agent, binding }),
                });
                if let Some(leg) = placed_leg(&out) {
                    seen.placing.insert(i, leg);
                    seen.leg_of.insert(leg, i);
                }
                out
            }
            Op::ConsultEnded(o) => sim.order(Order::ConsultEnded(OUTCOMES[o])),
            Op::Place(i, ok) => match seen.placing.remove(&i) {
                Some(leg) => {
                    let placed = ok.then(|| {
                        seen.next_handle += 1;
                        let handle = CallHandle(seen.next_handle);
                        seen.handles.insert(i, handle);
                        Placement {
                            handle,
                            offered: None,
                        }
                    });
                    sim.step(Input::Placed { leg, placed })
                }
                None => Vec::new(),
            },
            Op::Answer(i) => match seen.handles.get(&i) {
                Some(&call) => sim.step(Input::Sip(Event::OutgoingAnswered {
                    call,
                    remote_media: Some(media(50_000)),
                })),
                None => Vec::new(),
            },
            Op::PhoneEnds(i) => match seen.handles.remove(&i) {
                Some(call) => sim.step(Input::Sip(Event::CallEnded {
                    call,
                    by: EndedBy::Remote,
                    reason: "bye",
                })),
                None => Vec::new(),
            },
            Op::Cancel(i) => sim.order(Order::CancelOffer {
                agent: agent(AGENTS[i]),
            }),
            Op::Connect(i) => sim.order(Order::Connect {
                agent: agent(AGENTS[i]),
            }),
            Op::Drop(i) => sim.order(Order::DropAgent {
                agent: agent(AGENTS[i]),
            }),
            Op::Overflow => sim.order(Order::Overflow {
                to: hotline_acd::Overflow::Voicemail,
                reason: "timeout".into(),
            }),
            Op::Announce => sim.order(Order::Announce {
                position: 2,
                estimated_wait: Some(Duration::from_secs(90)),
            }),
            Op::Requeued => sim.order(Order::Requeued),
            Op::TransferRefused => sim.order(Order::TransferRefused),
            Op::Refer(queue) => {
                let to = if queue { "transport" } else { "0090123" };
                let handles: Vec<_> = seen.handles.values().copied().collect();
                let mut out = Vec::new();
                for call in handles {
                    out.extend(sim.step(Input::Sip(Event::ReferReceived {
                        call,
                        refer_to: format!("<sip:{to}@127.0.0.1>"),
                    })));
                }
                out
            }
            Op::Hold(on) => {
                let _ = sim.call.hold(on);
                sim.drain()
            }
            Op::HangUpAgent => {
                let now = sim.now;
                let _ = sim.call.hang_up_agent(now);
                sim.drain()
            }
            Op::Key(key) => sim.step(Input::Media(LegRef::Caller, MediaInput::Dtmf(key))),
            Op::PlaybackDone(tag) => sim.step(Input::Media(
                LegRef::Caller,
                MediaInput::PlaybackFinished(PlayTag(tag)),
            )),
            Op::CallerSilent => sim.step(Input::Media(
                LegRef::Caller,
                MediaInput::DeadMedia {
                    silent_for: Duration::from_secs(30),
                },
            )),
            Op::AgentSilent(i) => match seen
                .handles
                .get(&i)
                .and(seen.leg_of.iter().find(|(_, a)| **a == i))
            {
                Some((&leg, _)) => sim.step(Input::Media(
                    LegRef::Placed(leg),
                    MediaInput::DeadMedia {
                        silent_for: Duration::from_secs(30),
                    },
                )),
                None => Vec::new(),
            },
            Op::Wait(ms) => sim.advance(Duration::from_millis(ms)),
            Op::Terminate => sim.step(Input::Terminate),
            Op::Monitor(m) => {
                let _ = sim.call.monitor("sup", &binding("sup", 7000), MODES[m]);
                let out = sim.drain();
                if let Some(leg) = placed_leg(&out) {
                    seen.placing.insert(SUP, leg);
                    seen.leg_of.insert(leg, SUP);
                }
                out
            }
            Op::EndMonitor => {
                let _ = sim.call.end_monitor("sup");
                sim.drain()
            }
        };
        seen.take(out);
    }
    // The SIP layer ends whatever is left: the phones' dialogs, legs still
    // being placed (placed now), then the caller's.
    for (i, leg) in std::mem::take(&mut seen.placing) {
        seen.next_handle += 1;
        let handle = CallHandle(seen.next_handle);
        seen.handles.insert(i, handle);
        let out = sim.step(Input::Placed {
            leg,
            placed: Some(Placement {
                handle,
                offered: None,
            }),
        });
        seen.take(out);
    }
    let out = sim.caller_hangs_up();
    seen.take(out);
    for (_, call) in std::mem::take(&mut seen.handles) {
        let out = sim.step(Input::Sip(Event::CallEnded {
            call,
            by: EndedBy::Local,
            reason: "cancel",
        }));
        seen.take(out);
    }

    assert_eq!(seen.done, 1, "the call ends once");
    assert_eq!(seen.after_done, 0, "nothing after the end");
    assert_eq!(seen.acd.last(), Some(&ToAcd::CallGone));
    assert_eq!(
        seen.acd.iter().filter(|a| **a == ToAcd::CallGone).count(),
        1
    );
    assert_eq!(seen.events.last(), Some(&"ended"));
    assert_eq!(seen.events.iter().filter(|e| **e == "ended").count(), 1);
    assert_eq!(seen.closed.get(&LegRef::Caller), Some(&1));
    for leg in &seen.placed_legs {
        assert_eq!(
            seen.closed.get(&LegRef::Placed(*leg)),
            Some(&1),
            "placed leg {leg:?} closed once"
        );
    }
    for (handle, times) in &seen.hung_up {
        assert_eq!(*times, 1, "{handle:?} hung up once");
    }
    let count = |kind: &str| seen.events.iter().filter(|e| **e == kind).count();
    assert!(count("monitor_ended") <= count("monitor_started"));
    let mut on = false;
    for event in &seen.events {
        match *event {
            "monitor_started" => on = true,
            "monitor_ended" => {
                assert!(
                    on,
                    "monitor_ended without monitor_started: {:?}",
                    seen.events
                );
                on = false;
            }
            _ => {}
        }
    }
    assert!(!on, "the supervisor left before the end: {:?}", seen.events);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn any_sequence_ends_cleanly(ops in prop::collection::vec(op(), 0..60)) {
        run(ops);
    }
}
