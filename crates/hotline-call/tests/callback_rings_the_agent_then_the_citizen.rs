//! A callback rings the agent first; only once the ACD has connected the
//! agent does the trunk dial the citizen; answered, the two are bridged,
//! and the promise is kept (`talked`). `callback_placed` is recorded on
//! the call the citizen asked on, the callback's own events on its call
//! (`dialled` when the citizen's number is dialled).

mod support;

use hotline_call::call::{BridgeOp, Output, ToAcd};
use hotline_call::callbacks::Outcome;
use hotline_call::outbound::CallbackPhase;
use support::callbacks_sim::*;
use support::calls::{acd, agent, events, hangups, is_done, placed_leg};

#[test]
fn the_agent_first_then_the_citizen_then_the_bridge() {
    let (_, out) = CallbackSim::new("13900139000");
    assert!(
        matches!(&out[0], Output::EventOn(call, e) if *call == ORIGINAL && e.kind() == "callback_placed"),
        "{out:?}"
    );
    assert_eq!(events(&out), ["call_started"]);

    let (mut sim, out) = CallbackSim::agent_on_the_line("13900139000");
    let Some(Output::Place(request)) = out.iter().find(|o| matches!(o, Output::Place(_))) else {
        panic!("the citizen is dialled once the agent is connected: {out:?}");
    };
    assert_eq!(request.target, "sip:13900139000@127.0.0.1:5090");
    assert_eq!(request.from_user, "12345");
    assert_eq!(sim.callback.phase(), CallbackPhase::DiallingCitizen);
    // What the daily limit counts, also after a restart.
    assert_eq!(events(&out), ["dialled"]);

    let out = sim.step(hotline_call::call::Input::Sip(
        hotline_sip::Event::OutgoingAnswered {
            call: CITIZEN_LINE,
            remote_media: Some(support::calls::media(40_000)),
        },
    ));
    assert_eq!(events(&out), ["answered"]);
    assert!(out
        .iter()
        .any(|o| matches!(o, Output::Bridge(BridgeOp::Connect(..)))));
    assert_eq!(sim.callback.phase(), CallbackPhase::Talking { held: false });

    let out = sim.citizen_line_ends();
    assert_eq!(hangups(&out), [AGENT_PHONE]);
    assert_eq!(acd(&out), [ToAcd::TalkEnded, ToAcd::CallGone]);
    assert_eq!(outcome(&out), Some(Outcome::Talked));
    assert_eq!(events(&out), ["ended"]);
    assert!(is_done(&out));
}

#[test]
fn a_citizen_who_does_not_answer_is_tried_again_later() {
    let (mut sim, _) = CallbackSim::agent_on_the_line("13900139000");
    let out = sim.citizen_line_ends();
    assert_eq!(outcome(&out), Some(Outcome::NoAnswer));
    assert_eq!(acd(&out), [ToAcd::TalkEnded, ToAcd::CallGone]);
}

#[test]
fn a_number_outside_the_dial_plan_is_refused_and_never_dialled() {
    let (sim, out) = CallbackSim::agent_on_the_line("0090123456789");
    assert!(placed_leg(&out).is_none(), "nothing dialled: {out:?}");
    assert_eq!(events(&out), ["dial_refused", "ended"]);
    assert_eq!(outcome(&out), Some(Outcome::Refused));
    assert_eq!(hangups(&out), [AGENT_PHONE]);
    assert!(sim.citizen_leg.is_none());
}

#[test]
fn a_second_agent_is_not_rung_while_the_first_rings() {
    let (mut sim, _) = CallbackSim::new("13900139000");
    sim.step(hotline_call::call::Input::Acd(
        hotline_call::call::Order::RingAgent {
            agent: agent("alice"),
            binding: support::calls::binding("alice", 6001),
        },
    ));
    let out = sim.step(hotline_call::call::Input::Acd(
        hotline_call::call::Order::RingAgent {
            agent: agent("bob"),
            binding: support::calls::binding("bob", 6002),
        },
    ));
    assert_eq!(
        acd(&out),
        [ToAcd::OfferFailed {
            agent: agent("bob")
        }]
    );
}
