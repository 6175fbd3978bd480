//! Wrap-up: after the conversation the agent records a disposition; the
//! queue's wrap-up time ends it with disposition "timeout" unless the agent
//! finishes earlier or extends it.

mod support;

use hotline_acd::{AcdError, AgentState, QueueConfig};
use hotline_types::CallEvent;
use support::*;

fn talking() -> Sim {
    let mut config = QueueConfig::new(queue("housing"), "Housing");
    config.wrap_up = secs(30);
    let mut sim = Sim::new(vec![config]);
    sim.login("alice", &["housing"]);
    sim.enqueue(1, "housing");
    sim.answer(1, "alice");
    sim.advance_secs(100);
    assert_eq!(
        sim.talk_ended(1),
        vec![changed("alice", AgentState::WrapUp { call: call(1) })]
    );
    sim
}

fn wrap_up_done(disposition: &str, wrap_ms: u64) -> hotline_acd::Action {
    event(
        1,
        CallEvent::WrapUpDone {
            agent: agent("alice"),
            disposition: disposition.into(),
            wrap_ms,
        },
    )
}

#[test]
fn wrap_up_runs_out_with_disposition_timeout() {
    let mut sim = talking();
    assert_eq!(sim.advance_secs(29), vec![]);
    assert_eq!(
        sim.advance_secs(1),
        vec![
            wrap_up_done("timeout", 30_000),
            changed("alice", AgentState::Available),
        ]
    );
}

#[test]
fn extending_wrap_up_moves_its_end() {
    let mut sim = talking();
    sim.advance_secs(10);
    sim.acd
        .extend_wrap_up(sim.now, &agent("alice"), secs(60))
        .unwrap();
    assert_eq!(sim.drain(), vec![]);
    assert_eq!(sim.advance_secs(79), vec![]);
    assert_eq!(
        sim.advance_secs(1),
        vec![
            wrap_up_done("timeout", 90_000),
            changed("alice", AgentState::Available),
        ]
    );
}

#[test]
fn finishing_early_records_the_disposition_and_takes_the_next_caller() {
    let mut sim = talking();
    sim.enqueue(2, "housing");
    sim.advance_secs(12);
    assert_eq!(
        sim.wrap_up_done("alice", "case_opened"),
        seq(vec![
            vec![
                wrap_up_done("case_opened", 12_000),
                changed("alice", AgentState::Available),
            ],
            offered(2, "alice", "housing"),
        ])
    );
    // The timer of the finished wrap-up is gone: only call 2's ring timeout.
    assert_eq!(sim.acd.poll_timeout(), Some(sim.now + secs(20)));
}

#[test]
fn available_is_refused_during_wrap_up() {
    let mut sim = talking();
    assert_eq!(
        sim.acd.set_available(sim.now, &agent("alice")),
        Err(AcdError::InvalidState {
            agent: agent("alice"),
            state: "wrap_up",
            wanted: "break",
        })
    );
    assert_eq!(
        sim.acd.wrap_up_done(sim.now, &agent("nobody"), "x"),
        Err(AcdError::UnknownAgent(agent("nobody")))
    );
    sim.wrap_up_done("alice", "resolved");
    assert_eq!(
        sim.acd.wrap_up_done(sim.now, &agent("alice"), "again"),
        Err(AcdError::InvalidState {
            agent: agent("alice"),
            state: "available",
            wanted: "wrap_up",
        })
    );
}
