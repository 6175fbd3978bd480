//! The callback list's scheduler: which promise to call back is handed to
//! the ACD when, and what each attempt's outcome makes of it.
//!
//! A callback is placed only while the office is open (the hotline
//! script's first `[[schedule]]`), at most `max_in_acd` at a time; in the
//! ACD it waits, in priority order with live callers, for a free agent,
//! whose phone rings first (no citizen is called without a person on the
//! line). An attempt that reaches nobody is retried after `retry_after`, up
//! to `max_attempts`; a callback not kept by its `expires_at` expires.
//! Every decision is an [`Output::Persist`] of the new state, written to
//! the store's callback list by the driver, so a restart resumes here.
//!
//! Time is wall-clock ([`Timestamp`]): callbacks span nights and restarts.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Duration;

use hotline_ivr::{Schedule, ScheduleState};
use hotline_store::{Callback, CallbackStatus, CallbackUpdate};
use hotline_types::{CallId, CallbackId, QueueId, Timestamp};

/// How callbacks are worked.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Wait before trying again after an attempt that reached nobody.
    pub retry_after: Duration,
    /// Attempts before giving up (`failed`).
    pub max_attempts: u32,
    /// Callbacks in the ACD at once (each waits for a free agent there).
    pub max_in_acd: usize,
    /// While the office is closed, how often to look again.
    pub closed_recheck: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            retry_after: Duration::from_secs(15 * 60),
            max_attempts: 3,
            max_in_acd: 10,
            closed_recheck: Duration::from_secs(60),
        }
    }
}

/// What one attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The citizen answered and talked with the agent: the promise is kept.
    Talked,
    /// The citizen's phone rang out, was busy or refused the call.
    NoAnswer,
    /// The trunk or the media failed.
    Failed,
    /// The dial plan refused the number (toll-fraud protection): never retried.
    Refused,
    /// The hotline stopped before the attempt ended: tried again, not counted.
    Interrupted,
}

impl Outcome {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Talked => "talked",
            Self::NoAnswer => "no_answer",
            Self::Failed => "failed",
            Self::Refused => "refused",
            Self::Interrupted => "interrupted",
        }
    }
}

/// Inputs of the scheduler.
#[derive(Debug, Clone)]
pub enum Input {
    /// The open list as the store holds it at start. A callback that was
    /// being placed when the hotline stopped is pending again.
    Loaded(Vec<Callback>),
    /// A new promise, as the store recorded it (after hours or abandoned).
    Added(Callback),
    /// A promise made while queued: the caller's entry is in the ACD
    /// already, under its own call id, keeping its place.
    AddedInAcd(Callback),
    /// The attempt on the ACD entry `call` ended.
    Outcome { call: CallId, outcome: Outcome },
    /// A supervisor cancels a callback.
    Cancel { id: CallbackId, by: String },
    /// A supervisor changes a callback's priority (higher is sooner).
    Reprioritise {
        id: CallbackId,
        priority: u8,
        by: String,
    },
    /// Time passed (at `poll_timeout`, or any time).
    Tick,
}

/// Orders of the scheduler, for its driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Write the callback's new state to the store.
    Persist {
        id: CallbackId,
        update: CallbackUpdate,
    },
    /// Queue the callback in the ACD as a callback entry under `call` (the
    /// call on which it was asked for), offered when an agent is free.
    Enqueue {
        id: CallbackId,
        call: CallId,
        queue: QueueId,
        number: String,
        /// The language the citizen chose (the callback script's).
        language: String,
        priority: u8,
    },
    /// Take the callback's entry out of the ACD (cancelled while queued).
    Withdraw { call: CallId },
}

/// The scheduler. See the module documentation.
#[derive(Debug)]
pub struct Scheduler {
    policy: Policy,
    hours: Option<Schedule>,
    list: BTreeMap<CallbackId, Callback>,
    /// ACD entry (the asking call) → the callback being attempted on it.
    in_acd: HashMap<CallId, CallbackId>,
    outputs: VecDeque<Output>,
}

impl Scheduler {
    /// A scheduler working in `hours` (always open without).
    pub fn new(policy: Policy, hours: Option<Schedule>) -> Self {
        Self {
            policy,
            hours,
            list: BTreeMap::new(),
            in_acd: HashMap::new(),
            outputs: VecDeque::new(),
        }
    }

    /// Callbacks still to be kept (pending or in the ACD).
    pub fn open_count(&self) -> usize {
        self.list.len()
    }

    /// Whether `id` is still to be kept (so a supervisor may change it).
    pub fn is_open(&self, id: CallbackId) -> bool {
        self.list.contains_key(&id)
    }

    /// Callbacks in the ACD now.
    pub fn in_acd_count(&self) -> usize {
        self.in_acd.len()
    }

    /// Whether the office is open at `now`.
    pub fn office_open(&self, now: Timestamp) -> bool {
        self.hours
            .as_ref()
            .is_none_or(|h| h.state_at(now) == ScheduleState::Open)
    }

    pub fn handle(&mut self, now: Timestamp, input: Input) {
        match input {
            Input::Loaded(list) => {
                for mut callback in list {
                    if !callback.status.is_open() {
                        continue;
                    }
                    if callback.status == CallbackStatus::Placing {
                        let mut update = callback.update(now);
                        update.status = CallbackStatus::Pending;
                        update.not_before = now;
                        update.outcome = Some(Outcome::Interrupted.as_str().into());
                        self.persist(&mut callback, update);
                    }
                    self.list.insert(callback.id, callback);
                }
            }
            Input::Added(callback) => {
                if callback.status.is_open() {
                    self.list.insert(callback.id, callback);
                }
            }
            Input::AddedInAcd(mut callback) => {
                if !callback.status.is_open() {
                    return;
                }
                let mut update = callback.update(now);
                update.status = CallbackStatus::Placing;
                update.attempts = callback.attempts.saturating_add(1);
                self.persist(&mut callback, update);
                self.in_acd.insert(callback.call, callback.id);
                self.list.insert(callback.id, callback);
            }
            Input::Outcome { call, outcome } => self.outcome(now, call, outcome),
            Input::Cancel { id, by } => {
                let Some(mut callback) = self.list.remove(&id) else {
                    return;
                };
                if self.in_acd.remove(&callback.call).is_some() {
                    self.outputs.push_back(Output::Withdraw {
                        call: callback.call,
                    });
                }
                let mut update = callback.update(now);
                update.status = CallbackStatus::Cancelled;
                update.by = Some(by);
                self.persist(&mut callback, update);
            }
            Input::Reprioritise { id, priority, by } => {
                if let Some(mut callback) = self.list.remove(&id) {
                    let mut update = callback.update(now);
                    update.priority = priority;
                    update.by = Some(by);
                    self.persist(&mut callback, update);
                    self.list.insert(id, callback);
                }
            }
            Input::Tick => {}
        }
        self.run(now);
    }

    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When to `Tick` next, if anything is waiting for time.
    pub fn poll_timeout(&self, now: Timestamp) -> Option<Timestamp> {
        let pending = self
            .list
            .values()
            .filter(|c| c.status == CallbackStatus::Pending);
        let mut next: Option<Timestamp> = None;
        let mut any = false;
        for c in pending {
            any = true;
            for at in [c.not_before, c.expires_at] {
                if at > now {
                    next = Some(next.map_or(at, |n| n.min(at)));
                }
            }
        }
        if any && !self.office_open(now) {
            let recheck = now.plus(self.policy.closed_recheck);
            next = Some(next.map_or(recheck, |n| n.min(recheck)));
        }
        next
    }

    fn outcome(&mut self, now: Timestamp, call: CallId, outcome: Outcome) {
        let Some(id) = self.in_acd.remove(&call) else {
            return;
        };
        let Some(mut callback) = self.list.remove(&id) else {
            return;
        };
        let mut update = callback.update(now);
        update.outcome = Some(outcome.as_str().into());
        update.status = match outcome {
            Outcome::Talked => CallbackStatus::Done,
            Outcome::Refused => CallbackStatus::Failed,
            Outcome::Interrupted => {
                update.attempts = callback.attempts.saturating_sub(1);
                update.not_before = now;
                CallbackStatus::Pending
            }
            Outcome::NoAnswer | Outcome::Failed => {
                let retry_at = now.plus(self.policy.retry_after);
                if callback.attempts >= self.policy.max_attempts {
                    CallbackStatus::Failed
                } else if retry_at >= callback.expires_at {
                    CallbackStatus::Expired
                } else {
                    update.not_before = retry_at;
                    CallbackStatus::Pending
                }
            }
        };
        let open = update.status.is_open();
        self.persist(&mut callback, update);
        if open {
            self.list.insert(id, callback);
        }
    }

    /// Expires what is past its window, then hands the due callbacks to
    /// the ACD while the office is open, highest priority and oldest first.
    fn run(&mut self, now: Timestamp) {
        let expired: Vec<CallbackId> = self
            .list
            .values()
            .filter(|c| c.status == CallbackStatus::Pending && c.expires_at <= now)
            .map(|c| c.id)
            .collect();
        for id in expired {
            if let Some(mut callback) = self.list.remove(&id) {
                let mut update = callback.update(now);
                update.status = CallbackStatus::Expired;
                self.persist(&mut callback, update);
            }
        }
        if !self.office_open(now) {
            return;
        }
        let mut due: Vec<&Callback> = self
            .list
            .values()
            .filter(|c| c.status == CallbackStatus::Pending && c.not_before <= now)
            .filter(|c| !self.in_acd.contains_key(&c.call))
            .collect();
        due.sort_by_key(|c| (std::cmp::Reverse(c.priority), c.requested_at, c.id));
        let room = self.policy.max_in_acd.saturating_sub(self.in_acd.len());
        let chosen: Vec<CallbackId> = due.into_iter().take(room).map(|c| c.id).collect();
        for id in chosen {
            let Some(mut callback) = self.list.remove(&id) else {
                continue;
            };
            let mut update = callback.update(now);
            update.status = CallbackStatus::Placing;
            update.attempts = callback.attempts.saturating_add(1);
            self.persist(&mut callback, update);
            self.in_acd.insert(callback.call, id);
            self.outputs.push_back(Output::Enqueue {
                id,
                call: callback.call,
                queue: callback.queue.clone(),
                number: callback.number.clone(),
                language: callback.language.clone(),
                priority: callback.priority,
            });
            self.list.insert(id, callback);
        }
    }

    /// Applies `update` to the scheduler's copy and orders it written.
    fn persist(&mut self, callback: &mut Callback, update: CallbackUpdate) {
        callback.status = update.status;
        callback.attempts = update.attempts;
        callback.not_before = update.not_before;
        callback.priority = update.priority;
        callback.outcome.clone_from(&update.outcome);
        callback.last_call = update.last_call;
        callback.updated_at = update.at;
        if update.by.is_some() {
            callback.updated_by.clone_from(&update.by);
        }
        self.outputs.push_back(Output::Persist {
            id: callback.id,
            update,
        });
    }
}
