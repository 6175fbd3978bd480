//! Queue configuration: what the operator decides per queue (strategy,
//! timers, overflow targets, escalation). Plain data; the ACD reads it and
//! never changes it. Checking it (`AcdConfig::check`) is up to the caller,
//! because the ACD itself must keep running on whatever it is given.

use std::collections::HashSet;
use std::time::Duration;

use hotline_types::QueueId;
use serde::{Deserialize, Serialize};

use crate::AcdError;

/// All queues of the hotline.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AcdConfig {
    /// In display order (wallboard, snapshots).
    pub queues: Vec<QueueConfig>,
}

impl AcdConfig {
    /// Lists the mistakes that the ACD would otherwise paper over at run
    /// time: a queue named twice (the first one wins), an overflow target
    /// that is not a configured queue or is the queue itself (the call goes
    /// to the IVR's fallback instead), a zero ring timeout (every offer would
    /// time out at once), a zero announcement interval, escalation levels
    /// outside 1..=10.
    pub fn check(&self) -> Result<(), Vec<AcdError>> {
        let ids: HashSet<&QueueId> = self.queues.iter().map(|q| &q.id).collect();
        let mut seen = HashSet::new();
        let mut problems = Vec::new();
        let mut problem = |queue: &QueueId, text: String| {
            problems.push(AcdError::InvalidConfig {
                queue: queue.clone(),
                problem: text,
            })
        };
        for q in &self.queues {
            if !seen.insert(&q.id) {
                problem(&q.id, "the queue is configured twice".into());
            }
            for (field, target) in [("overflow", &q.overflow), ("no_agents", &q.no_agents)] {
                if let Overflow::Queue(to) = target {
                    if to == &q.id {
                        problem(
                            &q.id,
                            format!("{field} sends callers back to the same queue"),
                        );
                    } else if !ids.contains(to) {
                        problem(&q.id, format!("{field} names the unknown queue \"{to}\""));
                    }
                }
            }
            if q.ring_timeout.is_zero() {
                problem(
                    &q.id,
                    "ring_timeout is zero: every offer would time out at once".into(),
                );
            }
            if q.announce_every.is_some_and(|d| d.is_zero()) {
                problem(
                    &q.id,
                    "announce_every is zero: use None for no announcements".into(),
                );
            }
            for step in &q.escalation {
                if let Some(level) = step.min_level {
                    if !(1..=10).contains(&level) {
                        problem(
                            &q.id,
                            format!("escalation min_level {level} is outside 1..=10"),
                        );
                    }
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

/// One queue, usually one per department.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueConfig {
    pub id: QueueId,
    /// The department it serves (wallboard label).
    pub department: String,
    /// How an agent is chosen among those available.
    pub strategy: Strategy,
    /// How long an agent's phone rings before the offer is withdrawn.
    pub ring_timeout: Duration,
    /// How long wrap-up lasts unless the agent finishes it earlier.
    pub wrap_up: Duration,
    /// A caller waiting longer than this goes to `overflow`.
    pub max_wait: Option<Duration>,
    /// A new caller arriving when this many calls wait goes to `overflow` at once.
    pub max_waiting: Option<usize>,
    /// Where `max_wait` and `max_waiting` send callers.
    pub overflow: Overflow,
    /// Where callers go when no agent is logged in to the queue (at once).
    pub no_agents: Overflow,
    /// Applied as a caller's wait grows; sorted by `after` when loaded.
    pub escalation: Vec<EscalationStep>,
    /// How often a waiting caller hears their position and estimated wait.
    pub announce_every: Option<Duration>,
    /// After a ring-no-answer the agent goes on break (`"ring_no_answer"`)
    /// instead of straight back to available.
    pub rna_not_ready: bool,
}

impl QueueConfig {
    /// A queue with the defaults: longest-idle routing, 20 s ring timeout,
    /// 30 s wrap-up, no wait or length limit, the IVR's fallback branch for
    /// overflow and for no agents, no escalation, announcements every 30 s,
    /// ring-no-answer puts the agent on break.
    pub fn new(id: QueueId, department: impl Into<String>) -> Self {
        Self {
            id,
            department: department.into(),
            strategy: Strategy::LongestIdle,
            ring_timeout: Duration::from_secs(20),
            wrap_up: Duration::from_secs(30),
            max_wait: None,
            max_waiting: None,
            overflow: Overflow::Fallback,
            no_agents: Overflow::Fallback,
            escalation: Vec::new(),
            announce_every: Some(Duration::from_secs(30)),
            rna_not_ready: true,
        }
    }
}

/// How a queue picks among the available agents who qualify for a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// The agent who has been available longest since their last call or login.
    #[default]
    LongestIdle,
    /// The next agent after the last one offered, in login order.
    RoundRobin,
    /// The agent with the fewest calls answered since login (tie: longest idle).
    FewestCalls,
    /// Every qualifying available agent at once; the first to answer wins.
    /// (A callback entry rings the longest idle of them only.)
    RingAll,
    /// The agent with the highest sum of levels in the call's required skills
    /// (tie: longest idle).
    Skills,
}

impl Strategy {
    /// The snake-case name, as in the configuration.
    pub fn name(&self) -> &'static str {
        match self {
            Strategy::LongestIdle => "longest_idle",
            Strategy::RoundRobin => "round_robin",
            Strategy::FewestCalls => "fewest_calls",
            Strategy::RingAll => "ring_all",
            Strategy::Skills => "skills",
        }
    }
}

/// Where a call goes when a queue rule moves it on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Overflow {
    /// Another queue: handled inside the ACD (the call is queued there).
    Queue(QueueId),
    /// The IVR records a voice message.
    Voicemail,
    /// The IVR offers a callback.
    Callback,
    /// The IVR script's own overflow branch.
    Fallback,
}

impl Overflow {
    /// The label recorded in `CallEvent::Overflowed::to`: the queue's name,
    /// or `voicemail`, `callback`, `fallback`.
    pub fn label(&self) -> String {
        match self {
            Overflow::Queue(q) => q.to_string(),
            Overflow::Voicemail => "voicemail".into(),
            Overflow::Callback => "callback".into(),
            Overflow::Fallback => "fallback".into(),
        }
    }
}

/// A change to a waiting call's routing once it has waited `after`
/// (in its current queue). A step with `after` zero applies on entry, which
/// is how a queue starts strict (`min_level: Some(7)`) and relaxes later.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EscalationStep {
    pub after: Duration,
    /// From now on an agent qualifies with this level (1..=10) in each required skill.
    pub min_level: Option<u8>,
    /// From now on the call's required skills are ignored.
    pub drop_skills: bool,
    /// Added to the call's priority (saturating at 255).
    pub raise_priority: u8,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategies_read_their_snake_case_names() {
        for strategy in [
            Strategy::LongestIdle,
            Strategy::RoundRobin,
            Strategy::FewestCalls,
            Strategy::RingAll,
            Strategy::Skills,
        ] {
            let json = format!("\"{}\"", strategy.name());
            assert_eq!(serde_json::from_str::<Strategy>(&json).ok(), Some(strategy));
        }
        assert!(serde_json::from_str::<Strategy>("\"LongestIdle\"").is_err());
    }
}
