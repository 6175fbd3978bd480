//! A reporter whose number is outside the dial plan is never dialled: the
//! follow-up call records `dial_refused` and is over at once, refused (the
//! reporter goes to the agents' follow-up list, not to another attempt).

mod support;

use hotline_call::call::Output;
use hotline_call::follow_up::{FollowUpPhase, Outcome};
use hotline_types::CallEvent;
use support::calls::{call_events, hangups, is_done};
use support::follow_up_sim::*;

#[test]
fn a_number_outside_the_dial_plan_is_refused_and_never_dialled() {
    let (sim, out) = FollowUpSim::dial("0085212345678", Some("zh"));
    assert!(
        !out.iter().any(|o| matches!(o, Output::Place(_))),
        "never dialled: {out:?}"
    );
    assert!(
        call_events(&out).iter().any(|e| matches!(e,
            CallEvent::DialRefused { number, purpose, reason }
                if number == "0085212345678" && purpose == "follow_up" && reason == "outside_dial_plan")),
        "{out:?}"
    );
    assert!(!call_events(&out)
        .iter()
        .any(|e| matches!(e, CallEvent::Dialled { .. })));
    assert!(hangups(&out).is_empty());
    assert!(is_done(&out));
    assert_eq!(sim.call.phase(), FollowUpPhase::Over);
    assert_eq!(sim.call.outcome(), Some(Outcome::Refused));
}
