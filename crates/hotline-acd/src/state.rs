//! The ACD's internal records and the orderings that make routing fast:
//! per queue, the waiting calls ordered by (priority, entry) and the
//! available agents ordered by what the queue's strategy prefers. Owned by
//! [`Acd`](crate::Acd); nothing here is visible outside the crate.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use hotline_types::{AgentId, CallId, QueueId};

use crate::{AgentState, PendingChange, QueueConfig, Strategy};

/// Index of a queue in `Acd::queues`; stable for the life of the ACD
/// (a queue removed by a reload is kept, inactive, and revived by name).
pub(crate) type QueueIdx = usize;
/// Index of an agent in `Acd::agents`; stable (logged-out agents are kept).
pub(crate) type AgentIdx = usize;

/// How many recent handle times feed the wait estimate.
pub(crate) const HANDLE_SAMPLES: usize = 20;

/// A call's place in its queue: higher priority first, then earlier entry.
/// `seq` is given once per queue entry (monotonic), so a call returned after
/// a withdrawn offer keeps its key and with it its place at the head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct WaitKey {
    pub priority: Reverse<u8>,
    pub seq: u64,
}

impl WaitKey {
    pub fn priority(&self) -> u8 {
        self.priority.0
    }
}

/// An available agent's place in a queue's preference order (smallest
/// first): `(primary, idle_seq, agent)`. See [`avail_key`].
pub(crate) type AvailKey = (u64, u64, AgentIdx);

/// The key under which an available agent sits in a queue of this strategy.
/// Its inputs (`idle_seq`, `calls_answered`) never change while the agent is
/// available, so the key can be recomputed to remove it.
pub(crate) fn avail_key(strategy: Strategy, agent: &AgentSlot, a: AgentIdx) -> AvailKey {
    match strategy {
        // Ring order is login order (the slot index).
        Strategy::RoundRobin => (a as u64, 0, a),
        Strategy::FewestCalls => (u64::from(agent.calls_answered), agent.idle_seq, a),
        Strategy::LongestIdle | Strategy::RingAll | Strategy::Skills => (0, agent.idle_seq, a),
    }
}

#[derive(Debug)]
pub(crate) struct QueueState {
    pub config: QueueConfig,
    /// False once a reload dropped the queue.
    pub active: bool,
    /// Calls waiting for an agent (callback entries included).
    pub waiting: BTreeMap<WaitKey, CallId>,
    /// Calls ringing one or more agents; they keep their key.
    pub offered: BTreeMap<WaitKey, CallId>,
    /// Available agents serving this queue, best first for the strategy.
    pub available: BTreeSet<AvailKey>,
    /// Logged-in agents serving this queue (any state but logged out).
    pub members: BTreeSet<AgentIdx>,
    /// Round robin: the agent last offered a call of this queue.
    pub rr_last: Option<AgentIdx>,
    /// The last [`HANDLE_SAMPLES`] handle times (answer to end of wrap-up).
    pub handle_times: VecDeque<Duration>,
}

impl QueueState {
    pub fn new(config: QueueConfig) -> Self {
        Self {
            config,
            active: true,
            waiting: BTreeMap::new(),
            offered: BTreeMap::new(),
            available: BTreeSet::new(),
            members: BTreeSet::new(),
            rr_last: None,
            handle_times: VecDeque::new(),
        }
    }

    pub fn id(&self) -> &QueueId {
        &self.config.id
    }

    /// `announce_every`, with zero meaning none.
    pub fn announce_every(&self) -> Option<Duration> {
        self.config.announce_every.filter(|d| !d.is_zero())
    }
}

#[derive(Debug)]
pub(crate) struct AgentSlot {
    pub id: AgentId,
    pub state: AgentState,
    /// When `state` was entered.
    pub since: Instant,
    pub queue_ids: Vec<QueueId>,
    pub queues: Vec<QueueIdx>,
    pub skills: Vec<(String, u8)>,
    /// Order in which agents became idle; smaller = idle longer. Kept when
    /// an offer is withdrawn through no fault of the agent.
    pub idle_seq: u64,
    pub calls_answered: u32,
    pub pending: Option<PendingChange>,
    /// Ring timeout while offered, end of wrap-up while in wrap-up.
    pub deadline: Option<Instant>,
    pub offered_at: Instant,
    pub wrap_started: Instant,
    /// The queue and answer time of the call being handled (talk + wrap-up).
    pub handling: Option<(QueueIdx, Instant)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CallStatus {
    Waiting,
    Offered { agents: Vec<AgentIdx> },
    Talking { agent: AgentIdx },
}

impl CallStatus {
    pub fn name(&self) -> &'static str {
        match self {
            CallStatus::Waiting => "waiting",
            CallStatus::Offered { .. } => "offered",
            CallStatus::Talking { .. } => "talking",
        }
    }
}

/// A call the ACD holds: from enqueue until talk ends, it overflows out, or
/// the caller abandons.
#[derive(Debug)]
pub(crate) struct CallEntry {
    pub queue: QueueIdx,
    /// As requested by the IVR; a transfer or overflow starts from it again.
    pub base_priority: u8,
    pub skills: Vec<String>,
    /// Current priority (after escalation) and entry order.
    pub key: WaitKey,
    /// Entry into the current queue (not reset by a withdrawn offer).
    pub entered_at: Instant,
    pub min_level: u8,
    pub skills_dropped: bool,
    /// The next escalation step to apply.
    pub next_step: usize,
    pub status: CallStatus,
    /// Set once the caller asked to be called back (and hung up).
    pub callback: Option<String>,
    pub next_announce: Option<Instant>,
    /// The earliest of max-wait, next escalation and next announcement.
    pub deadline: Option<Instant>,
    /// Queues this call overflowed out of since the IVR queued it (loop guard).
    pub overflow_path: Vec<QueueIdx>,
    /// A talking call's attended transfer in progress.
    pub consult: Option<Consult>,
}

/// Whom a talking call's agent consults, and whether they answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Consult {
    pub party: Party,
    pub answered: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Party {
    /// Offered (ringing) until answered, then on call with the call.
    Agent(AgentIdx),
    Destination(String),
}

/// What a deadline in `Acd::timers` belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Timer {
    Agent(AgentIdx),
    Call(CallId),
}

/// Does the agent have what the call currently requires?
pub(crate) fn qualifies(agent: &AgentSlot, call: &CallEntry) -> bool {
    call.skills_dropped
        || call.skills.iter().all(|needed| {
            agent
                .skills
                .iter()
                .any(|(name, level)| name == needed && *level >= call.min_level)
        })
}

/// The sum of the agent's levels in the call's required skills.
pub(crate) fn skill_score(agent: &AgentSlot, call: &CallEntry) -> u32 {
    if call.skills_dropped {
        return 0;
    }
    call.skills
        .iter()
        .filter_map(|needed| {
            agent
                .skills
                .iter()
                .find(|(name, _)| name == needed)
                .map(|(_, level)| u32::from(*level))
        })
        .sum()
}
