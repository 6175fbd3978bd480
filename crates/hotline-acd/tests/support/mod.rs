//! Simulated time for ACD scenarios: a clock that starts at an `Instant`,
//! jumps from one `poll_timeout` to the next, and collects the actions.
//! Every step also checks the ACD's internal invariants.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use hotline_acd::{
    Acd, AcdConfig, Action, AgentProfile, AgentState, CancelReason, EnqueueRequest, QueueConfig,
};
use hotline_types::{AgentId, CallEvent, CallId, QueueId};

/// The ACD and the simulated clock.
pub struct Sim {
    pub acd: Acd,
    pub start: Instant,
    pub now: Instant,
}

impl Sim {
    pub fn new(queues: Vec<QueueConfig>) -> Self {
        let start = Instant::now();
        Self {
            acd: Acd::new(AcdConfig { queues }),
            start,
            now: start,
        }
    }

    /// Time since the start of the scenario.
    pub fn elapsed(&self) -> Duration {
        self.now - self.start
    }

    /// Moves the clock forward by `by`, running every deadline on the way at
    /// its own instant, and returns what the ACD did.
    pub fn advance(&mut self, by: Duration) -> Vec<Action> {
        let target = self.now + by;
        let mut actions = Vec::new();
        for _ in 0..100_000 {
            match self.acd.poll_timeout() {
                Some(at) if at <= target => {
                    self.now = self.now.max(at);
                    self.acd.handle_timeout(self.now);
                    actions.extend(self.drain());
                }
                _ => {
                    self.now = target;
                    return actions;
                }
            }
        }
        panic!("the ACD keeps asking for timeouts before {target:?}");
    }

    pub fn advance_secs(&mut self, secs: u64) -> Vec<Action> {
        self.advance(Duration::from_secs(secs))
    }

    /// The actions of the last input, after checking the invariants.
    pub fn drain(&mut self) -> Vec<Action> {
        if let Err(e) = self.acd.check_invariants() {
            panic!("invariant broken at {:?}: {e}", self.elapsed());
        }
        std::iter::from_fn(|| self.acd.poll_action()).collect()
    }

    pub fn login(&mut self, name: &str, queues: &[&str]) -> Vec<Action> {
        self.login_skilled(name, queues, &[])
    }

    pub fn login_skilled(
        &mut self,
        name: &str,
        queues: &[&str],
        skills: &[(&str, u8)],
    ) -> Vec<Action> {
        let profile = AgentProfile {
            queues: queues.iter().map(|q| queue(q)).collect(),
            skills: skills.iter().map(|(s, l)| ((*s).to_owned(), *l)).collect(),
        };
        self.acd
            .login(self.now, agent(name), profile)
            .expect("login");
        self.drain()
    }

    pub fn enqueue(&mut self, n: u128, queue_name: &str) -> Vec<Action> {
        self.enqueue_with(n, queue_name, 0, &[])
    }

    pub fn enqueue_with(
        &mut self,
        n: u128,
        queue_name: &str,
        priority: u8,
        skills: &[&str],
    ) -> Vec<Action> {
        let request = EnqueueRequest {
            queue: queue(queue_name),
            priority,
            skills: skills.iter().map(|s| (*s).to_owned()).collect(),
        };
        self.acd
            .enqueue(self.now, call(n), request)
            .expect("enqueue");
        self.drain()
    }

    pub fn answer(&mut self, n: u128, name: &str) -> Vec<Action> {
        self.acd
            .offer_answered(self.now, call(n), &agent(name))
            .expect("answer");
        self.drain()
    }

    pub fn talk_ended(&mut self, n: u128) -> Vec<Action> {
        self.acd.talk_ended(self.now, call(n)).expect("talk ended");
        self.drain()
    }

    pub fn wrap_up_done(&mut self, name: &str, disposition: &str) -> Vec<Action> {
        self.acd
            .wrap_up_done(self.now, &agent(name), disposition)
            .expect("wrap-up done");
        self.drain()
    }

    /// Answer, talk for `talk_secs`, finish wrap-up at once: the agent is
    /// available again (unless something was pending).
    pub fn handle_call(&mut self, n: u128, name: &str, talk_secs: u64) -> Vec<Action> {
        let mut actions = self.answer(n, name);
        actions.extend(self.advance_secs(talk_secs));
        actions.extend(self.talk_ended(n));
        actions.extend(self.wrap_up_done(name, "resolved"));
        actions
    }

    pub fn state(&self, name: &str) -> Option<AgentState> {
        self.acd.agent_state(&agent(name))
    }
}

pub fn call(n: u128) -> CallId {
    CallId(uuid::Uuid::from_u128(n))
}

pub fn agent(name: &str) -> AgentId {
    AgentId::from(name)
}

pub fn queue(name: &str) -> QueueId {
    QueueId::from(name)
}

pub fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

// --- expected actions, spelled out ---

pub fn event(n: u128, event: CallEvent) -> Action {
    Action::Event {
        call: call(n),
        event,
    }
}

pub fn queued(n: u128, queue_name: &str) -> Action {
    queued_with(n, queue_name, 0, &[])
}

pub fn queued_with(n: u128, queue_name: &str, priority: u8, skills: &[&str]) -> Action {
    event(
        n,
        CallEvent::Queued {
            queue: queue(queue_name),
            priority,
            skills: skills.iter().map(|s| (*s).to_owned()).collect(),
        },
    )
}

/// The three actions of one offer: the event, the agent's state, the ring.
pub fn offered(n: u128, name: &str, queue_name: &str) -> Vec<Action> {
    vec![
        event(
            n,
            CallEvent::Offered {
                queue: queue(queue_name),
                agent: agent(name),
            },
        ),
        changed(name, AgentState::Offered { call: call(n) }),
        Action::Offer {
            call: call(n),
            agent: agent(name),
            queue: queue(queue_name),
            callback: None,
        },
    ]
}

pub fn changed(name: &str, state: AgentState) -> Action {
    Action::AgentChanged {
        agent: agent(name),
        state,
    }
}

pub fn on_break(name: &str, reason: &str) -> Action {
    changed(
        name,
        AgentState::Break {
            reason: reason.to_owned(),
        },
    )
}

pub fn cancel(n: u128, name: &str, reason: CancelReason) -> Action {
    Action::CancelOffer {
        call: call(n),
        agent: agent(name),
        reason,
    }
}

pub fn answered(n: u128, name: &str, queue_name: &str, wait_ms: u64) -> Vec<Action> {
    vec![
        event(
            n,
            CallEvent::AgentAnswered {
                queue: queue(queue_name),
                agent: agent(name),
                wait_ms,
            },
        ),
        changed(name, AgentState::OnCall { call: call(n) }),
    ]
}

/// Which agent each `Offer` in `actions` rings, in order.
pub fn offers(actions: &[Action]) -> Vec<(CallId, AgentId)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Offer { call, agent, .. } => Some((*call, agent.clone())),
            _ => None,
        })
        .collect()
}

/// The call events in `actions`, in order.
pub fn events(actions: &[Action]) -> Vec<(CallId, CallEvent)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Event { call, event } => Some((*call, event.clone())),
            _ => None,
        })
        .collect()
}

/// `offered(..)` pieces and single actions, flattened.
pub fn seq(parts: Vec<Vec<Action>>) -> Vec<Action> {
    parts.into_iter().flatten().collect()
}
