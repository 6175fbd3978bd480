//! Missed calls called back (a queue's `callback_abandoned`, off by
//! default): a caller who hangs up while waiting goes on the callback list
//! as `abandoned`, if the dial plan allows their number; one who reached
//! an agent, or waited in another queue, does not.

mod support;

use hotline_call::call::{Output, ToAcd};
use hotline_store::CallbackKind;
use support::calls::*;

fn callbacks(out: &[Output]) -> Vec<(String, String, CallbackKind)> {
    out.iter()
        .filter_map(|o| match o {
            Output::Callback {
                number,
                queue,
                kind,
                ..
            } => Some((number.clone(), queue.as_str().to_owned(), *kind)),
            _ => None,
        })
        .collect()
}

fn housing_calls_back() -> hotline_call::call::Config {
    let mut config = config();
    config.callback_abandoned = vec!["housing".into()];
    config
}

#[test]
fn a_caller_who_gives_up_waiting_is_called_back() {
    let mut sim = CallSim::queued_with(housing_calls_back());
    let out = sim.caller_hangs_up();
    assert_eq!(acd(&out), [ToAcd::Abandon, ToAcd::CallGone]);
    assert_eq!(
        callbacks(&out),
        [(
            "13800138000".to_owned(),
            "housing".to_owned(),
            CallbackKind::Abandoned
        )]
    );
}

#[test]
fn off_by_default() {
    let mut sim = CallSim::queued();
    assert!(callbacks(&sim.caller_hangs_up()).is_empty());
}

#[test]
fn a_caller_who_talked_to_an_agent_is_not_called_back() {
    let mut sim = CallSim::queued_with(housing_calls_back());
    sim.ring("alice", 6001);
    sim.phone_answers("alice");
    sim.order(hotline_call::call::Order::Connect {
        agent: agent("alice"),
    });
    assert!(callbacks(&sim.caller_hangs_up()).is_empty());
}

#[test]
fn a_number_outside_the_dial_plan_is_recorded_not_called() {
    let mut sim = CallSim::queued_from("0090123456789", housing_calls_back());
    let out = sim.caller_hangs_up();
    assert!(callbacks(&out).is_empty());
    assert!(events(&out).contains(&"dial_refused"), "{:?}", events(&out));
}
