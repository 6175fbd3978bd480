//! The ACD desk on simulated time: a monotonic clock and a wall clock that
//! move together, agents logged in to the test's queues, and the outputs of
//! each step.

use std::time::{Duration, Instant};

use hotline_acd::{AcdConfig, AgentProfile, EnqueueRequest, QueueConfig, Strategy};
use hotline_call::call::WaitingCall;
use hotline_call::desk::{Desk, Input, Output, Pop, Wanted};
use hotline_types::{AgentId, CallId, QueueId, Timestamp};
use uuid::Uuid;

use super::calls::binding;

/// Where the wall clock starts (the desk only adds to it).
pub const WALL_START: i64 = 1_795_395_600_000;

pub struct DeskSim {
    pub desk: Desk,
    pub start: Instant,
    pub now: Instant,
}

pub fn call(n: u128) -> CallId {
    CallId(Uuid::from_u128(n))
}

pub fn agent(name: &str) -> AgentId {
    AgentId::from(name)
}

/// The housing queue, with this strategy and wrap-up.
pub fn housing(strategy: Strategy, wrap_up: Duration) -> QueueConfig {
    let mut q = QueueConfig::new(QueueId::from("housing"), "Housing");
    q.strategy = strategy;
    q.wrap_up = wrap_up;
    q
}

impl DeskSim {
    pub fn new(queues: Vec<QueueConfig>, can_call_back: bool) -> Self {
        let start = Instant::now();
        DeskSim {
            desk: Desk::new(AcdConfig { queues }, can_call_back),
            start,
            now: start,
        }
    }

    pub fn wall(&self) -> Timestamp {
        let elapsed = i64::try_from((self.now - self.start).as_millis()).unwrap();
        Timestamp(WALL_START + elapsed)
    }

    pub fn outputs(&mut self) -> Vec<Output> {
        std::iter::from_fn(|| self.desk.poll_output()).collect()
    }

    pub fn input(&mut self, input: Input) -> Vec<Output> {
        let (now, wall) = (self.now, self.wall());
        self.desk.handle(now, wall, input);
        self.outputs()
    }

    /// Moves both clocks on by `by`, running every deadline on the way.
    pub fn advance(&mut self, by: Duration) -> Vec<Output> {
        let target = self.now + by;
        let mut outputs = Vec::new();
        while let Some(at) = self.desk.poll_timeout().filter(|at| *at <= target) {
            self.now = self.now.max(at);
            let (now, wall) = (self.now, self.wall());
            self.desk.handle_timeout(now, wall);
            outputs.extend(self.outputs());
        }
        self.now = target;
        outputs
    }

    /// An agent of the housing queue logs in and becomes available.
    pub fn agent_ready(&mut self, name: &str) -> Vec<Output> {
        let (now, wall) = (self.now, self.wall());
        let profile = AgentProfile {
            queues: vec![QueueId::from("housing")],
            skills: Vec::new(),
        };
        self.desk.login(now, wall, agent(name), profile).unwrap();
        self.set_state(name, Wanted::Available)
    }

    /// The agent asks the console for `wanted` and gets it.
    pub fn set_state(&mut self, name: &str, wanted: Wanted) -> Vec<Output> {
        let (now, wall) = (self.now, self.wall());
        self.desk
            .set_state(now, wall, &agent(name), wanted)
            .unwrap();
        self.outputs()
    }

    /// The IVR queues call `n` from `caller` for housing.
    pub fn enqueue(&mut self, n: u128, caller: &str) -> Vec<Output> {
        self.input(Input::Enqueue {
            call: call(n),
            request: EnqueueRequest {
                queue: QueueId::from("housing"),
                priority: 0,
                skills: Vec::new(),
            },
            info: WaitingCall {
                caller: caller.to_owned(),
                ivr_path: vec!["welcome".into(), "department".into()],
                ivr_vars: vec![("language".into(), "zh".into())],
                citizen_hint: None,
            },
        })
    }

    /// The driver's answer to a pop: the agent's phone may ring.
    pub fn ring_ready(&mut self, seq: u64, pop: &Pop) -> Vec<Output> {
        self.input(Input::RingReady {
            call: pop.call,
            agent: pop.agent.clone(),
            seq,
            binding: binding(pop.agent.as_str(), 5070),
            consult: pop.consulted_by.is_some(),
        })
    }
}

/// The pops among these outputs, with their offer numbers.
pub fn pops(outputs: &[Output]) -> Vec<(u64, Pop)> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Pop { seq, pop } => Some((*seq, pop.clone())),
            _ => None,
        })
        .collect()
}

/// The orders among these outputs, as (call, order's debug name).
pub fn orders(outputs: &[Output]) -> Vec<(CallId, String)> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Order { call, order } => {
                let name = format!("{order:?}");
                let name = name.split([' ', '(', '{']).next().unwrap_or("").to_owned();
                Some((*call, name))
            }
            _ => None,
        })
        .collect()
}
