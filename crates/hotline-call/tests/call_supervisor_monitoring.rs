//! A supervisor joins a conversation: the console's request calls their
//! phone; once it answers the bridge mixes them in (listen, whisper or
//! barge, `monitor_started`), a new mode changes the mix, and stopping,
//! their hang-up, silence from their phone, a consultation or the end of
//! the call takes them out (`monitor_ended`) and leaves the citizen and
//! the agent as they were.

mod support;

use std::time::Duration;

use hotline_call::call::{BridgeOp, Input, LegRef, MediaInput, MediaOp, Output, Refusal};
use hotline_media::MonitorMode;
use hotline_sip::EndedBy;
use hotline_types::CallEvent;
use support::calls::*;

fn bridges(out: &[Output]) -> Vec<BridgeOp> {
    out.iter()
        .filter_map(|o| match o {
            Output::Bridge(op) => Some(*op),
            _ => None,
        })
        .collect()
}

fn supervisor_leg(sim: &CallSim) -> LegRef {
    LegRef::Placed(sim.legs["sup"])
}

/// alice talks with the citizen; the supervisor listens in.
fn listened_in() -> CallSim {
    let mut sim = CallSim::talking("alice");
    sim.monitor("sup", 7000, MonitorMode::Listen)
        .expect("a conversation can be joined");
    sim.phone_answers("sup");
    sim
}

#[test]
fn the_supervisors_phone_rings_then_they_are_mixed_in() {
    let mut sim = CallSim::talking("alice");
    let out = sim.monitor("sup", 7000, MonitorMode::Listen).unwrap();
    assert!(placed_leg(&out).is_some(), "the supervisor's phone rings");
    assert!(
        bridges(&out).is_empty(),
        "nobody is mixed in before answering"
    );
    assert!(events(&out).is_empty());

    let out = sim.phone_answers("sup");
    assert!(media_ops(&out, supervisor_leg(&sim))
        .iter()
        .any(|op| matches!(op, MediaOp::Start(_))));
    assert_eq!(
        bridges(&out),
        [BridgeOp::Monitor {
            supervisor: supervisor_leg(&sim),
            mode: MonitorMode::Listen
        }]
    );
    assert_eq!(
        call_events(&out),
        [CallEvent::MonitorStarted {
            supervisor: "sup".into(),
            mode: "listen".into()
        }]
    );
    assert_eq!(sim.call.monitored_by(), Some(("sup", MonitorMode::Listen)));
}

#[test]
fn a_new_mode_changes_the_mix_and_is_recorded() {
    let mut sim = listened_in();
    sim.call
        .monitor("sup", &binding("sup", 7000), MonitorMode::Whisper)
        .unwrap();
    let out = sim.drain();
    assert!(placed_leg(&out).is_none(), "the same phone stays on");
    assert_eq!(bridges(&out), [BridgeOp::MonitorMode(MonitorMode::Whisper)]);
    assert_eq!(
        call_events(&out),
        [CallEvent::MonitorStarted {
            supervisor: "sup".into(),
            mode: "whisper".into()
        }]
    );
    // The same mode again changes nothing.
    sim.call
        .monitor("sup", &binding("sup", 7000), MonitorMode::Whisper)
        .unwrap();
    assert!(sim.drain().is_empty());
}

#[test]
fn a_mode_chosen_while_the_phone_rings_is_the_one_mixed_in() {
    let mut sim = CallSim::talking("alice");
    sim.monitor("sup", 7000, MonitorMode::Listen).unwrap();
    sim.call
        .monitor("sup", &binding("sup", 7000), MonitorMode::Barge)
        .unwrap();
    assert!(sim.drain().is_empty());
    let out = sim.phone_answers("sup");
    assert_eq!(
        bridges(&out),
        [BridgeOp::Monitor {
            supervisor: supervisor_leg(&sim),
            mode: MonitorMode::Barge
        }]
    );
}

#[test]
fn stopping_takes_the_supervisor_out_and_hangs_their_phone_up() {
    let mut sim = listened_in();
    sim.call.end_monitor("sup").unwrap();
    let out = sim.drain();
    assert_eq!(bridges(&out), [BridgeOp::MonitorEnd]);
    assert_eq!(hangups(&out), [sim.handles["sup"]]);
    assert_eq!(events(&out), ["monitor_ended"]);
    assert_eq!(sim.call.end_monitor("sup"), Err(Refusal::NotMonitored));
    assert_eq!(sim.call.monitored_by(), None);
    // Citizen and agent still talk: hold works.
    assert_eq!(sim.call.hold(true), Ok(()));
    sim.drain();
    // The hung-up phone's end is no news.
    let out = sim.phone_ends("sup", EndedBy::Local);
    assert!(out.is_empty(), "{out:?}");
}

#[test]
fn the_supervisor_hanging_up_leaves_the_conversation_as_it_was() {
    let mut sim = listened_in();
    let out = sim.phone_ends("sup", EndedBy::Remote);
    assert_eq!(bridges(&out), [BridgeOp::MonitorEnd]);
    assert!(hangups(&out).is_empty());
    assert_eq!(events(&out), ["monitor_ended"]);
    assert!(acd(&out).is_empty(), "the ACD hears nothing: {out:?}");
    // Another supervisor may join now.
    assert!(sim.monitor("sup2", 7002, MonitorMode::Barge).is_ok());
}

#[test]
fn a_silent_supervisor_phone_is_hung_up() {
    let mut sim = listened_in();
    let leg = supervisor_leg(&sim);
    let out = sim.step(Input::Media(
        leg,
        MediaInput::DeadMedia {
            silent_for: Duration::from_secs(30),
        },
    ));
    assert_eq!(hangups(&out), [sim.handles["sup"]]);
    assert_eq!(events(&out), ["monitor_ended"]);
}

#[test]
fn only_a_conversation_can_be_joined_and_by_one_supervisor_at_a_time() {
    let mut waiting = CallSim::queued();
    assert_eq!(
        waiting
            .monitor("sup", 7000, MonitorMode::Listen)
            .map(|_| ()),
        Err(Refusal::NotConnected)
    );
    let mut sim = listened_in();
    assert_eq!(
        sim.monitor("sup2", 7002, MonitorMode::Listen).map(|_| ()),
        Err(Refusal::AlreadyMonitored)
    );
    assert_eq!(sim.call.end_monitor("sup2"), Err(Refusal::NotMonitored));
}

#[test]
fn holding_the_citizen_keeps_the_supervisor_on() {
    let mut sim = listened_in();
    sim.call.hold(true).unwrap();
    let out = sim.drain();
    assert!(!bridges(&out).contains(&BridgeOp::MonitorEnd), "{out:?}");
    assert_eq!(sim.call.monitored_by(), Some(("sup", MonitorMode::Listen)));
}

#[test]
fn a_consultation_ends_the_monitoring_before_the_bridge_changes() {
    let mut sim = listened_in();
    let out = sim.consult("bob", 6002);
    let ops = bridges(&out);
    assert_eq!(ops[..2], [BridgeOp::MonitorEnd, BridgeOp::End], "{ops:?}");
    assert!(hangups(&out).contains(&sim.handles["sup"]));
    assert!(events(&out).contains(&"monitor_ended"));
}

#[test]
fn a_phone_still_ringing_when_the_conversation_changes_is_hung_up() {
    let mut sim = CallSim::talking("alice");
    sim.monitor("sup", 7000, MonitorMode::Listen).unwrap();
    let out = sim.consult("bob", 6002);
    assert!(hangups(&out).contains(&sim.handles["sup"]));
    assert!(
        !events(&out).contains(&"monitor_ended"),
        "it never started: {out:?}"
    );
    assert!(!bridges(&out).contains(&BridgeOp::MonitorEnd));
}

#[test]
fn the_citizen_hanging_up_hangs_the_supervisor_up() {
    let mut sim = listened_in();
    let out = sim.caller_hangs_up();
    assert!(hangups(&out).contains(&sim.handles["sup"]));
    let kinds = events(&out);
    let ended = kinds.iter().position(|k| *k == "monitor_ended");
    let call_ended = kinds.iter().position(|k| *k == "ended");
    assert!(ended.is_some() && ended < call_ended, "{kinds:?}");
    assert!(is_done(&out));
}
