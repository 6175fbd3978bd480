//! Any sequence of inputs, valid or not, in any order and at any time:
//! the ACD never panics, its indexes agree with its states after every
//! input (`check_invariants`, which includes "no caller waits while a
//! qualifying agent of their queue is free"), an agent never rings for two
//! calls at once, every cancelled offer was live, and a call that left to
//! the IVR is gone.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use hotline_acd::{
    AcdConfig, Action, AgentProfile, AgentState, ConsultTarget, Consultee, EnqueueRequest,
    EscalationStep, Overflow, QueueConfig, Strategy as Routing,
};
use hotline_types::{AgentId, CallId};
use proptest::prelude::*;
use support::*;

const AGENTS: [&str; 5] = ["alice", "bob", "carol", "dave", "erin"];
const QUEUES: [&str; 3] = ["housing", "water", "foreign"];

fn queues(variant: u8) -> Vec<QueueConfig> {
    let mut housing = QueueConfig::new(queue("housing"), "Housing");
    housing.no_agents = Overflow::Queue(queue("water"));
    housing.ring_timeout = secs(5);
    housing.wrap_up = secs(10);
    housing.announce_every = Some(secs(7));
    let mut water = QueueConfig::new(queue("water"), "Water");
    water.strategy = Routing::RingAll;
    water.rna_not_ready = false;
    water.max_waiting = Some(3);
    water.overflow = Overflow::Queue(queue("foreign"));
    water.no_agents = Overflow::Queue(queue("housing"));
    water.ring_timeout = secs(4);
    let mut foreign = QueueConfig::new(queue("foreign"), "Foreign residents");
    foreign.strategy = Routing::Skills;
    foreign.max_wait = Some(secs(40));
    foreign.overflow = Overflow::Voicemail;
    foreign.escalation = vec![
        EscalationStep {
            after: secs(0),
            min_level: Some(5),
            ..Default::default()
        },
        EscalationStep {
            after: secs(20),
            drop_skills: true,
            raise_priority: 2,
            ..Default::default()
        },
    ];
    match variant % 4 {
        0 => vec![housing, water, foreign],
        1 => {
            housing.strategy = Routing::RoundRobin;
            foreign.strategy = Routing::FewestCalls;
            vec![housing, water, foreign]
        }
        2 => vec![housing, water],
        _ => {
            water.strategy = Routing::LongestIdle;
            vec![foreign, water, housing]
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    Login {
        agent: usize,
        queues: u8,
        level: u8,
    },
    Available(usize),
    Break(usize),
    Logout(usize),
    WrapUpDone(usize),
    ExtendWrapUp(usize, u8),
    Enqueue {
        call: u8,
        queue: usize,
        priority: u8,
        skilled: bool,
    },
    Answer(u8, usize),
    Fail(u8, usize),
    Abandon(u8),
    Leave(u8),
    TalkEnded(u8),
    Transfer(u8, usize),
    Callback(u8),
    /// Answer / reject / hang up / transfer whatever this agent rings for
    /// or talks on (random ids rarely hit a live offer).
    AnswerRinging(usize),
    FailRinging(usize),
    EndTalk(usize),
    TransferTalk(usize, usize),
    /// Attended transfer by the agent talking: consult an agent, a queue
    /// or a destination (by index over all three), then the consulted
    /// leg's answer or end, completion or return, on call `n`.
    Consult(usize, usize),
    ConsultAnswered(u8),
    ConsultGone(u8),
    CompleteConsult(u8),
    ReturnFromConsult(u8),
    Advance(u8),
    Reconfigure(u8),
}

fn op() -> impl Strategy<Value = Op> {
    let agent = 0..AGENTS.len();
    let call = 0u8..8;
    let q = 0..QUEUES.len();
    prop_oneof![
        (agent.clone(), 1u8..8, 0u8..=10).prop_map(|(agent, queues, level)| Op::Login {
            agent,
            queues,
            level
        }),
        agent.clone().prop_map(Op::Available),
        agent.clone().prop_map(Op::Break),
        agent.clone().prop_map(Op::Logout),
        agent.clone().prop_map(Op::WrapUpDone),
        (agent.clone(), 0u8..30).prop_map(|(a, s)| Op::ExtendWrapUp(a, s)),
        (call.clone(), q.clone(), 0u8..4, any::<bool>()).prop_map(
            |(call, queue, priority, skilled)| Op::Enqueue {
                call,
                queue,
                priority,
                skilled
            }
        ),
        (call.clone(), agent.clone()).prop_map(|(c, a)| Op::Answer(c, a)),
        (call.clone(), agent.clone()).prop_map(|(c, a)| Op::Fail(c, a)),
        call.clone().prop_map(Op::Abandon),
        call.clone().prop_map(Op::Leave),
        call.clone().prop_map(Op::TalkEnded),
        (call.clone(), q).prop_map(|(c, q)| Op::Transfer(c, q)),
        call.clone().prop_map(Op::Callback),
        agent.clone().prop_map(Op::AnswerRinging),
        agent.clone().prop_map(Op::AnswerRinging),
        agent.clone().prop_map(Op::FailRinging),
        agent.clone().prop_map(Op::EndTalk),
        (agent.clone(), 0..QUEUES.len()).prop_map(|(a, q)| Op::TransferTalk(a, q)),
        (agent.clone(), 0..AGENTS.len() + QUEUES.len() + 1).prop_map(|(a, t)| Op::Consult(a, t)),
        call.clone().prop_map(Op::ConsultAnswered),
        call.clone().prop_map(Op::ConsultGone),
        call.clone().prop_map(Op::CompleteConsult),
        call.clone().prop_map(Op::ReturnFromConsult),
        (0u8..15).prop_map(Op::Advance),
        (0u8..4).prop_map(Op::Reconfigure),
    ]
}

/// What the actions say is ringing, checked against the ACD.
#[derive(Default)]
struct Ringing {
    by_agent: HashMap<AgentId, CallId>,
}

impl Ringing {
    fn follow(&mut self, sim: &Sim, actions: &[Action]) -> Result<(), TestCaseError> {
        for action in actions {
            match action {
                Action::Offer { call, agent, .. }
                | Action::Consult {
                    call,
                    consultee: Consultee::Agent { agent, .. },
                    ..
                } => {
                    let before = self.by_agent.insert(agent.clone(), *call);
                    prop_assert_eq!(before, None, "{} rings for two calls", agent);
                }
                Action::CancelOffer { call, agent, .. } => {
                    let live = self.by_agent.remove(agent);
                    prop_assert_eq!(live, Some(*call), "cancelled an offer that was not live");
                }
                Action::AgentChanged { agent, state }
                    if !matches!(state, AgentState::Offered { .. }) =>
                {
                    self.by_agent.remove(agent);
                }
                Action::Overflow { call, .. } => {
                    prop_assert_eq!(sim.acd.position(sim.now, *call), None);
                }
                _ => {}
            }
        }
        for name in AGENTS {
            let state = sim.acd.agent_state(&agent(name));
            let ringing = self.by_agent.get(&agent(name)).copied();
            let offered = match state {
                Some(AgentState::Offered { call }) => Some(call),
                _ => None,
            };
            prop_assert_eq!(ringing, offered, "{}'s ring and state disagree", name);
        }
        Ok(())
    }
}

fn apply(sim: &mut Sim, op: &Op) {
    let now = sim.now;
    let c = |n: &u8| call(u128::from(*n) + 1);
    let a = |i: &usize| agent(AGENTS[*i]);
    // Refusals are expected here; what matters is what follows them.
    let _ = match op {
        Op::Login {
            agent: i,
            queues,
            level,
        } => {
            let profile = AgentProfile {
                queues: (0..QUEUES.len())
                    .filter(|q| queues & (1 << q) != 0)
                    .map(|q| queue(QUEUES[q]))
                    .collect(),
                skills: if *level == 0 {
                    vec![]
                } else {
                    vec![("mandarin".into(), *level)]
                },
            };
            sim.acd.login(now, a(i), profile)
        }
        Op::Available(i) => sim.acd.set_available(now, &a(i)),
        Op::Break(i) => sim.acd.set_break(now, &a(i), "coffee"),
        Op::Logout(i) => sim.acd.logout(now, &a(i)),
        Op::WrapUpDone(i) => sim.acd.wrap_up_done(now, &a(i), "resolved"),
        Op::ExtendWrapUp(i, s) => sim.acd.extend_wrap_up(now, &a(i), secs(u64::from(*s))),
        Op::Enqueue {
            call: n,
            queue: q,
            priority,
            skilled,
        } => sim.acd.enqueue(
            now,
            c(n),
            EnqueueRequest {
                queue: queue(QUEUES[*q]),
                priority: *priority,
                skills: if *skilled {
                    vec!["mandarin".into()]
                } else {
                    vec![]
                },
            },
        ),
        Op::Answer(n, i) => sim.acd.offer_answered(now, c(n), &a(i)),
        Op::Fail(n, i) => sim.acd.offer_failed(now, c(n), &a(i)),
        Op::Abandon(n) => sim.acd.abandon(now, c(n)),
        Op::Leave(n) => sim
            .acd
            .leave(now, c(n), hotline_acd::Overflow::Voicemail, "caller_choice"),
        Op::TalkEnded(n) => sim.acd.talk_ended(now, c(n)),
        Op::Transfer(n, q) => sim.acd.transfer(now, c(n), queue(QUEUES[*q]), None),
        Op::Callback(n) => sim.acd.request_callback(now, c(n), "13800000000".into()),
        Op::AnswerRinging(i) => match sim.acd.agent_state(&a(i)) {
            Some(AgentState::Offered { call }) => sim.acd.offer_answered(now, call, &a(i)),
            _ => Ok(()),
        },
        Op::FailRinging(i) => match sim.acd.agent_state(&a(i)) {
            Some(AgentState::Offered { call }) => sim.acd.offer_failed(now, call, &a(i)),
            _ => Ok(()),
        },
        Op::EndTalk(i) => match sim.acd.agent_state(&a(i)) {
            Some(AgentState::OnCall { call }) => sim.acd.talk_ended(now, call),
            _ => Ok(()),
        },
        Op::TransferTalk(i, q) => match sim.acd.agent_state(&a(i)) {
            Some(AgentState::OnCall { call }) => {
                sim.acd.transfer(now, call, queue(QUEUES[*q]), Some(a(i)))
            }
            _ => Ok(()),
        },
        Op::Consult(i, t) => match sim.acd.agent_state(&a(i)) {
            Some(AgentState::OnCall { call }) => {
                let target = if *t < AGENTS.len() {
                    ConsultTarget::Agent(a(t))
                } else if *t < AGENTS.len() + QUEUES.len() {
                    ConsultTarget::Queue(queue(QUEUES[*t - AGENTS.len()]))
                } else {
                    ConsultTarget::Destination("police".into())
                };
                sim.acd.consult(now, call, target).map(|_| ())
            }
            _ => Ok(()),
        },
        Op::ConsultAnswered(n) => sim.acd.consult_answered(now, c(n)),
        Op::ConsultGone(n) => sim.acd.consult_gone(now, c(n)),
        Op::CompleteConsult(n) => sim.acd.complete_consult(now, c(n)),
        Op::ReturnFromConsult(n) => sim.acd.return_from_consult(now, c(n)),
        Op::Advance(_) | Op::Reconfigure(_) => Ok(()),
    };
    if let Op::Reconfigure(variant) = op {
        sim.acd.configure(
            now,
            AcdConfig {
                queues: queues(*variant),
            },
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_sequence_keeps_the_acd_consistent(ops in proptest::collection::vec(op(), 1..80)) {
        let mut sim = Sim::new(queues(0));
        let mut ringing = Ringing::default();
        for op in &ops {
            apply(&mut sim, op);
            // `drain` and `advance` check the invariants after every step.
            let mut actions = sim.drain();
            if let Op::Advance(s) = op {
                actions.extend(sim.advance(Duration::from_secs(u64::from(*s))));
            }
            ringing.follow(&sim, &actions)?;
            for (id, event) in events(&actions) {
                prop_assert!((1..=8).map(call).any(|c| c == id), "{:?} for a call never seen", event);
            }
        }
        // However it ended, time alone settles what must settle: wrap-ups
        // end, and a phone still ringing an hour later (ring-all without
        // not-ready rings the same agents again) is within a ring timeout of
        // its end.
        let actions = sim.advance(secs(3600));
        ringing.follow(&sim, &actions)?;
        for name in AGENTS {
            match sim.acd.agent_state(&agent(name)) {
                Some(AgentState::WrapUp { .. }) => {
                    prop_assert!(false, "{} is still in wrap-up an hour later", name)
                }
                Some(AgentState::Offered { .. }) => prop_assert!(
                    sim.acd.poll_timeout().is_some_and(|at| at <= sim.now + secs(5)),
                    "{} rings with no ring timeout ahead", name
                ),
                _ => {}
            }
        }
    }
}
