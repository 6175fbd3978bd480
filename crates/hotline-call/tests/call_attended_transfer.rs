//! Attended transfer: on the ACD's `Consult` order the citizen holds
//! (music, `hold_started`) while the consulted phone rings; when it answers
//! agent and colleague are bridged. `ConsultEnded(Completed)` hangs the
//! first agent up and bridges the citizen with the colleague; any other
//! end hangs the colleague up and gives the citizen back to the agent. The
//! agent hanging up after the colleague answered asks the ACD to complete.

mod support;

use std::net::SocketAddr;

use hotline_acd::ConsultOutcome;
use hotline_call::call::{
    BridgeOp, ConsultParty, Destination, Input, LegRef, MediaInput, MediaOp, Order, Output, Phase,
    Refusal, ToAcd,
};
use hotline_sip::EndedBy;
use support::calls::*;

fn bridges(out: &[Output]) -> Vec<BridgeOp> {
    out.iter()
        .filter_map(|o| match o {
            Output::Bridge(op) => Some(*op),
            _ => None,
        })
        .collect()
}

fn leg(sim: &CallSim, name: &str) -> LegRef {
    LegRef::Placed(sim.legs[name])
}

/// alice talks with the citizen and consults bob, who answers.
fn consulting_bob() -> CallSim {
    let mut sim = CallSim::talking("alice");
    sim.consult("bob", 6002);
    sim.phone_answers("bob");
    sim
}

#[test]
fn the_citizen_holds_while_the_colleague_rings_then_agent_and_colleague_talk() {
    let mut sim = CallSim::talking("alice");
    let out = sim.consult("bob", 6002);
    assert_eq!(sim.call.phase(), Phase::Consulting);
    assert_eq!(bridges(&out), [BridgeOp::End]);
    assert!(media_ops(&out, LegRef::Caller)
        .iter()
        .any(|op| matches!(op, MediaOp::StartMusic)));
    assert_eq!(events(&out), ["hold_started"]);
    assert!(placed_leg(&out).is_some(), "bob's phone rings");
    assert_eq!(sim.call.hold(false), Err(Refusal::NotConnected));

    let out = sim.phone_answers("bob");
    assert_eq!(acd(&out), [ToAcd::ConsultAnswered]);
    assert_eq!(
        bridges(&out),
        [BridgeOp::Connect(leg(&sim, "alice"), leg(&sim, "bob"))]
    );
}

#[test]
fn completing_puts_the_citizen_through_and_releases_the_agent() {
    let mut sim = consulting_bob();
    let out = sim.order(Order::ConsultEnded(ConsultOutcome::Completed));
    assert_eq!(hangups(&out), [sim.handles["alice"]]);
    assert_eq!(
        bridges(&out),
        [
            BridgeOp::End,
            BridgeOp::Connect(LegRef::Caller, leg(&sim, "bob"))
        ]
    );
    assert!(media_ops(&out, LegRef::Caller)
        .iter()
        .any(|op| matches!(op, MediaOp::StopMusic)));
    assert_eq!(events(&out), ["hold_ended"]);
    assert_eq!(sim.call.phase(), Phase::Talking { held: false });

    // bob is the call's agent now: his hang-up ends the conversation.
    let out = sim.phone_ends("bob", EndedBy::Remote);
    assert_eq!(acd(&out), [ToAcd::TalkEnded]);
}

#[test]
fn returning_hangs_the_colleague_up_and_the_agent_has_the_citizen_back() {
    let mut sim = consulting_bob();
    let out = sim.order(Order::ConsultEnded(ConsultOutcome::Returned));
    assert_eq!(hangups(&out), [sim.handles["bob"]]);
    assert_eq!(
        bridges(&out).last(),
        Some(&BridgeOp::Connect(LegRef::Caller, leg(&sim, "alice")))
    );
    assert_eq!(events(&out), ["hold_ended"]);
    assert_eq!(sim.call.phase(), Phase::Talking { held: false });
    assert_eq!(sim.call.hold(true), Ok(()), "a conversation again");
}

#[test]
fn a_colleague_who_does_not_answer_is_cancelled() {
    let mut sim = CallSim::talking("alice");
    sim.consult("bob", 6002);
    let out = sim.order(Order::CancelOffer {
        agent: agent("bob"),
    });
    assert_eq!(hangups(&out), [sim.handles["bob"]]);
    assert_eq!(
        bridges(&out),
        [BridgeOp::Connect(LegRef::Caller, leg(&sim, "alice"))]
    );
    // The ACD's ConsultEnded that follows the cancel changes nothing.
    let out = sim.order(Order::ConsultEnded(ConsultOutcome::NoAnswer));
    assert!(out.is_empty(), "{out:?}");
}

#[test]
fn a_colleague_who_hangs_up_gives_the_citizen_back() {
    let mut sim = consulting_bob();
    let out = sim.phone_ends("bob", EndedBy::Remote);
    assert_eq!(acd(&out), [ToAcd::ConsultGone]);
    assert_eq!(
        bridges(&out).last(),
        Some(&BridgeOp::Connect(LegRef::Caller, leg(&sim, "alice")))
    );
    assert_eq!(sim.call.phase(), Phase::Talking { held: false });
}

#[test]
fn a_colleague_gone_silent_gives_the_citizen_back() {
    let mut sim = consulting_bob();
    let bob = sim.legs["bob"];
    let out = sim.step(Input::Media(
        LegRef::Placed(bob),
        MediaInput::DeadMedia {
            silent_for: std::time::Duration::from_secs(30),
        },
    ));
    assert_eq!(acd(&out), [ToAcd::ConsultGone]);
    assert_eq!(hangups(&out), [sim.handles["bob"]]);
    assert_eq!(sim.call.phase(), Phase::Talking { held: false });
}

#[test]
fn the_agent_hanging_up_after_the_colleague_answered_completes_the_transfer() {
    let mut sim = consulting_bob();
    let out = sim.phone_ends("alice", EndedBy::Remote);
    assert_eq!(acd(&out), [ToAcd::CompleteConsult]);
    let out = sim.order(Order::ConsultEnded(ConsultOutcome::Completed));
    assert!(hangups(&out).is_empty(), "alice is gone already");
    assert_eq!(
        bridges(&out).last(),
        Some(&BridgeOp::Connect(LegRef::Caller, leg(&sim, "bob")))
    );
    assert_eq!(sim.call.phase(), Phase::Talking { held: false });
}

#[test]
fn the_agent_hanging_up_before_the_colleague_answers_ends_both() {
    let mut sim = CallSim::talking("alice");
    sim.consult("bob", 6002);
    let out = sim.phone_ends("alice", EndedBy::Remote);
    assert_eq!(hangups(&out), [sim.handles["bob"]]);
    assert_eq!(acd(&out), [ToAcd::TalkEnded]);
    assert_eq!(sim.call.phase(), Phase::Ivr, "the survey follows");
}

#[test]
fn the_citizen_hanging_up_ends_the_consultation() {
    let mut sim = consulting_bob();
    let out = sim.caller_hangs_up();
    let mut hung_up = hangups(&out);
    hung_up.sort();
    assert_eq!(hung_up, [sim.handles["alice"], sim.handles["bob"]]);
    assert!(acd(&out).contains(&ToAcd::TalkEnded));
    assert!(is_done(&out));
}

#[test]
fn a_consultation_needs_a_conversation() {
    let mut sim = CallSim::queued();
    let out = sim.consult("bob", 6002);
    assert_eq!(acd(&out), [ToAcd::ConsultGone]);
    assert!(placed_leg(&out).is_none());

    let mut sim = consulting_bob();
    let out = sim.order(Order::Consult(ConsultParty::Destination("police".into())));
    assert_eq!(acd(&out), [ToAcd::ConsultGone], "one at a time");
}

#[test]
fn a_consulted_destination_takes_the_citizen_and_the_call_leaves_the_agents() {
    let mut config = config();
    config.destinations.insert(
        "police".into(),
        Destination {
            uri: "sip:110@127.0.0.1:5099".into(),
            addr: SocketAddr::from(([127, 0, 0, 1], 5099)),
            tcp: false,
        },
    );
    let mut sim = CallSim::queued_with(config);
    sim.ring("alice", 6000);
    sim.phone_answers("alice");
    sim.order(Order::Connect {
        agent: agent("alice"),
    });
    sim.placing(
        "police",
        Order::Consult(ConsultParty::Destination("police".into())),
    );
    let out = sim.phone_answers("police");
    assert_eq!(acd(&out), [ToAcd::ConsultAnswered]);
    let out = sim.order(Order::ConsultEnded(ConsultOutcome::Completed));
    assert_eq!(hangups(&out), [sim.handles["alice"]]);
    assert_eq!(sim.call.phase(), Phase::Transferred);
    // The destination hanging up ends the call.
    let out = sim.phone_ends("police", EndedBy::Remote);
    assert_eq!(hangups(&out), [CALLER]);
}

#[test]
fn the_agent_may_consult_again_after_taking_the_citizen_back() {
    let mut sim = consulting_bob();
    sim.order(Order::ConsultEnded(ConsultOutcome::Returned));
    let first = sim.handles["bob"];
    let out = sim.consult("bob", 6002);
    assert!(placed_leg(&out).is_some(), "bob's phone rings again");
    assert_ne!(sim.handles["bob"], first);
    // The first leg's BYE completes only now: it changes nothing.
    let out = sim.step(Input::Sip(hotline_sip::Event::CallEnded {
        call: first,
        by: EndedBy::Local,
        reason: "bye",
    }));
    assert!(acd(&out).is_empty(), "{out:?}");
    let out = sim.phone_answers("bob");
    assert_eq!(acd(&out), [ToAcd::ConsultAnswered]);
    assert_eq!(sim.call.phase(), Phase::Consulting);
}
