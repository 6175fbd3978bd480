//! The work order as a state machine folded from its events.
//!
//! [`WorkOrder::from_events`] folds a stored history; [`WorkOrder::apply`]
//! folds one more event and is the only place an order changes. It checks
//! that the event fits the order's phase (a history that skips a step is an
//! error), but not who wrote it: events are facts, permissions are checked
//! when a command is decided (`decide.rs`).

use hotline_types::{CaseRef, CitizenId, Timestamp};
use serde::Serialize;
use std::fmt;

use crate::error::OrderError;
use crate::event::{FollowUpAttempt, OrderChange, OrderEvent};
use crate::model::{CategoryCode, Channel, DepartmentId, Location, UserId};

/// Where an order is in its life.
///
/// ```text
/// New ──dispatched──▶ Dispatched ──accepted──▶ InProgress ──replied──▶ Replied ──closed──▶ Closed
///  │                   ▲   │returned             │returned                                 │
///  │      redispatched │   ▼                     ▼                         follow-up due,   │
///  │                  Returned ◀─────────────────┘                         all satisfied    ▼
///  │                                                                                   FollowedUp
///  └─replied + closed (resolved on the call)──▶ Closed
/// Closed ──unsatisfied follow-up──▶ Reopened ──accepted──▶ InProgress
/// New, Dispatched, InProgress, Returned, Reopened ──merged_into──▶ Merged
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Accepted by the hotline (受理), not yet dispatched.
    New,
    /// Waiting for the department to take it on.
    Dispatched,
    /// A handler is working on it.
    InProgress,
    /// The department gave it back (退单); waiting for a dispatcher.
    Returned,
    /// The citizen was answered; the handler has yet to close.
    Replied,
    /// Closed (办结); a follow-up may be due.
    Closed,
    /// Every reporter was called back and was satisfied.
    FollowedUp,
    /// A reporter was not satisfied (重办); back with the department.
    Reopened,
    /// A duplicate, followed up on its master.
    Merged,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::New => "new",
            Phase::Dispatched => "dispatched",
            Phase::InProgress => "in_progress",
            Phase::Returned => "returned",
            Phase::Replied => "replied",
            Phase::Closed => "closed",
            Phase::FollowedUp => "followed_up",
            Phase::Reopened => "reopened",
            Phase::Merged => "merged",
        }
    }

    /// Still work for a department: dispatched, in progress, replied or reopened.
    pub fn is_with_department(self) -> bool {
        matches!(
            self,
            Phase::Dispatched | Phase::InProgress | Phase::Replied | Phase::Reopened
        )
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A citizen waiting on an order: its own reporter or a merged duplicate's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Reporter {
    /// The order the citizen reported (their reference number).
    pub order: CaseRef,
    /// `None` for an anonymous report: nobody to call back.
    pub citizen: Option<CitizenId>,
}

/// A reporter still to be followed up for the latest close, and the
/// hotline's calls to them so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct FollowUpCall {
    pub reporter: Reporter,
    /// Follow-up calls that recorded no score.
    pub attempts: u32,
    /// What the latest of them came to.
    pub last_outcome: Option<FollowUpAttempt>,
    /// When the hotline calls next (the follow-up's due time before the
    /// first call); `None`: it does not, the reporter waits on the agents'
    /// follow-up list.
    pub next_attempt_at: Option<Timestamp>,
}

/// How often each thing happened to the order; never decreases.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Counters {
    pub returns: u32,
    pub redispatches: u32,
    pub urges: u32,
    pub extensions_requested: u32,
    pub extensions_approved: u32,
    pub extensions_refused: u32,
    /// Unsatisfied follow-ups that sent the order back (重办).
    pub reopens: u32,
    pub follow_ups: u32,
}

/// An extension request waiting for a supervisor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct PendingExtension {
    pub working_days: u32,
    pub reason: String,
    pub by: UserId,
    pub at: Timestamp,
}

/// A note in the order's file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Note {
    pub at: Timestamp,
    pub by: UserId,
    pub text: String,
}

/// A file in the order's file; the store keeps its bytes under `id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Attachment {
    pub id: u32,
    pub at: Timestamp,
    pub by: UserId,
    /// `null` where an answer hides file names (the console's, to
    /// handlers of another department).
    #[schemars(with = "Option<String>")]
    pub name: String,
    pub content_type: String,
    pub bytes: u64,
    pub sha256: String,
}

/// The latest close.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Closure {
    pub at: Timestamp,
    pub resolved_on_call: bool,
    /// Closed at or before the deadline in force then (always for an order
    /// resolved on the call, which never had one).
    pub on_time: bool,
}

/// One reporter's follow-up (回访) and evaluation (评价).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct FollowUp {
    pub at: Timestamp,
    pub by: UserId,
    pub reporter: CaseRef,
    pub score: u8,
    pub satisfied: bool,
}

/// A work order, as its events make it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct WorkOrder {
    reference: CaseRef,
    channel: Channel,
    category: CategoryCode,
    citizen: Option<CitizenId>,
    location: Location,
    summary: String,
    created_at: Timestamp,
    created_by: UserId,
    phase: Phase,
    department: Option<DepartmentId>,
    deadline: Option<Timestamp>,
    handler: Option<UserId>,
    pending_extension: Option<PendingExtension>,
    /// The deadline the department was last reminded of.
    reminded_of: Option<Timestamp>,
    notes: Vec<Note>,
    attachments: Vec<Attachment>,
    reply: Option<String>,
    closure: Option<Closure>,
    follow_up_due: Option<Timestamp>,
    /// Reporters still to call for the latest close.
    awaiting_follow_up: Vec<FollowUpCall>,
    /// A follow-up of the latest close was unsatisfied: a reopen is due.
    unsatisfied: bool,
    follow_ups: Vec<FollowUp>,
    linked: Vec<Reporter>,
    merged_into: Option<CaseRef>,
    counters: Counters,
    updated_at: Timestamp,
}

impl WorkOrder {
    /// Folds a whole history; the first event must be `created`.
    pub fn from_events(events: &[OrderEvent]) -> Result<Self, OrderError> {
        let (first, rest) = events.split_first().ok_or(OrderError::EmptyHistory)?;
        let mut order = Self::from_created(first)?;
        for event in rest {
            order.apply(event)?;
        }
        Ok(order)
    }

    /// A new order from its `created` event.
    pub fn from_created(event: &OrderEvent) -> Result<Self, OrderError> {
        let OrderChange::Created {
            reference,
            channel,
            category,
            citizen,
            location,
            summary,
        } = &event.change
        else {
            return Err(OrderError::NotCreatedFirst {
                kind: event.change.kind(),
            });
        };
        Ok(Self {
            reference: reference.clone(),
            channel: *channel,
            category: category.clone(),
            citizen: *citizen,
            location: location.clone(),
            summary: summary.clone(),
            created_at: event.at,
            created_by: event.by.clone(),
            phase: Phase::New,
            department: None,
            deadline: None,
            handler: None,
            pending_extension: None,
            reminded_of: None,
            notes: Vec::new(),
            attachments: Vec::new(),
            reply: None,
            closure: None,
            follow_up_due: None,
            awaiting_follow_up: Vec::new(),
            unsatisfied: false,
            follow_ups: Vec::new(),
            linked: Vec::new(),
            merged_into: None,
            counters: Counters::default(),
            updated_at: event.at,
        })
    }

    /// Folds one event. On error the order is unchanged.
    pub fn apply(&mut self, event: &OrderEvent) -> Result<(), OrderError> {
        let kind = event.change.kind();
        let wrong_phase = OrderError::WrongPhase {
            action: kind,
            phase: self.phase,
        };
        let phase = self.phase;
        match &event.change {
            OrderChange::Created { .. } => {
                return Err(OrderError::CreatedTwice {
                    reference: self.reference.clone(),
                })
            }
            OrderChange::Dispatched {
                department,
                deadline,
            } => {
                if phase != Phase::New {
                    return Err(wrong_phase);
                }
                self.phase = Phase::Dispatched;
                self.department = Some(department.clone());
                self.deadline = Some(*deadline);
            }
            OrderChange::Accepted => {
                if !matches!(phase, Phase::Dispatched | Phase::Reopened) {
                    return Err(wrong_phase);
                }
                self.phase = Phase::InProgress;
                self.handler = Some(event.by.clone());
            }
            OrderChange::AttachmentAdded {
                id,
                name,
                content_type,
                bytes,
                sha256,
            } => {
                if phase == Phase::Merged {
                    return Err(wrong_phase);
                }
                let next = self.attachments.len() + 1;
                if usize::try_from(*id).ok() != Some(next) {
                    return Err(OrderError::Inconsistent {
                        kind: "attachment_added",
                        problem: "attachments are numbered 1, 2, ... in order",
                    });
                }
                self.attachments.push(Attachment {
                    id: *id,
                    at: event.at,
                    by: event.by.clone(),
                    name: name.clone(),
                    content_type: content_type.clone(),
                    bytes: *bytes,
                    sha256: sha256.clone(),
                });
            }
            OrderChange::NoteAdded { text } => {
                if phase == Phase::Merged {
                    return Err(wrong_phase);
                }
                self.notes.push(Note {
                    at: event.at,
                    by: event.by.clone(),
                    text: text.clone(),
                });
            }
            OrderChange::ExtensionRequested {
                working_days,
                reason,
            } => {
                if phase != Phase::InProgress {
                    return Err(wrong_phase);
                }
                if self.pending_extension.is_some() {
                    return Err(OrderError::ExtensionPending);
                }
                self.pending_extension = Some(PendingExtension {
                    working_days: *working_days,
                    reason: reason.clone(),
                    by: event.by.clone(),
                    at: event.at,
                });
                self.counters.extensions_requested += 1;
            }
            OrderChange::ExtensionDecided {
                approved,
                new_deadline,
            } => {
                if self.pending_extension.is_none() {
                    return Err(OrderError::NoExtensionPending);
                }
                match (approved, new_deadline) {
                    (true, Some(deadline)) => {
                        self.deadline = Some(*deadline);
                        self.counters.extensions_approved += 1;
                    }
                    (false, None) => self.counters.extensions_refused += 1,
                    (true, None) => {
                        return Err(OrderError::Inconsistent {
                            kind,
                            problem: "an approved extension needs a new deadline",
                        })
                    }
                    (false, Some(_)) => {
                        return Err(OrderError::Inconsistent {
                            kind,
                            problem: "a refused extension keeps the deadline",
                        })
                    }
                }
                self.pending_extension = None;
            }
            OrderChange::Returned { .. } => {
                if !matches!(
                    phase,
                    Phase::Dispatched | Phase::InProgress | Phase::Reopened
                ) {
                    return Err(wrong_phase);
                }
                self.phase = Phase::Returned;
                self.department = None;
                self.deadline = None;
                self.handler = None;
                self.pending_extension = None;
                self.counters.returns += 1;
            }
            OrderChange::Redispatched {
                department,
                deadline,
            } => {
                if phase != Phase::Returned {
                    return Err(wrong_phase);
                }
                self.phase = Phase::Dispatched;
                self.department = Some(department.clone());
                self.deadline = Some(*deadline);
                self.counters.redispatches += 1;
            }
            OrderChange::Reminded { deadline } => {
                if !phase.is_with_department() {
                    return Err(wrong_phase);
                }
                if self.deadline != Some(*deadline) {
                    return Err(OrderError::Inconsistent {
                        kind,
                        problem: "a reminder names the deadline in force",
                    });
                }
                self.reminded_of = Some(*deadline);
            }
            OrderChange::Urged { .. } => {
                if !phase.is_with_department() {
                    return Err(wrong_phase);
                }
                self.counters.urges += 1;
            }
            OrderChange::Replied { text } => {
                if !matches!(phase, Phase::New | Phase::InProgress) {
                    return Err(wrong_phase);
                }
                self.phase = Phase::Replied;
                self.reply = Some(text.clone());
                self.pending_extension = None;
            }
            OrderChange::Closed { resolved_on_call } => {
                if phase != Phase::Replied {
                    return Err(wrong_phase);
                }
                if *resolved_on_call != self.department.is_none() {
                    return Err(OrderError::Inconsistent {
                        kind,
                        problem:
                            "an order is resolved on the call exactly when it was never dispatched",
                    });
                }
                self.phase = Phase::Closed;
                self.closure = Some(Closure {
                    at: event.at,
                    resolved_on_call: *resolved_on_call,
                    on_time: self.deadline.is_none_or(|deadline| event.at <= deadline),
                });
            }
            OrderChange::FollowUpDue { due_at } => {
                if phase != Phase::Closed || self.follow_up_due.is_some() {
                    return Err(wrong_phase);
                }
                let to_call: Vec<FollowUpCall> = self
                    .reporters()
                    .into_iter()
                    .filter(|r| r.citizen.is_some())
                    .map(|reporter| FollowUpCall {
                        reporter,
                        attempts: 0,
                        last_outcome: None,
                        next_attempt_at: Some(*due_at),
                    })
                    .collect();
                if to_call.is_empty() {
                    return Err(OrderError::Inconsistent {
                        kind,
                        problem: "no reporter of this order can be called back",
                    });
                }
                self.follow_up_due = Some(*due_at);
                self.awaiting_follow_up = to_call;
                self.unsatisfied = false;
            }
            OrderChange::FollowUpRecorded {
                reporter,
                score,
                satisfied,
            } => {
                if phase != Phase::Closed || self.unsatisfied {
                    return Err(wrong_phase);
                }
                if !(1..=5).contains(score) {
                    return Err(OrderError::BadScore { score: *score });
                }
                let index = self.awaited_index(reporter)?;
                self.awaiting_follow_up.remove(index);
                self.follow_ups.push(FollowUp {
                    at: event.at,
                    by: event.by.clone(),
                    reporter: reporter.clone(),
                    score: *score,
                    satisfied: *satisfied,
                });
                self.counters.follow_ups += 1;
                if !satisfied {
                    self.unsatisfied = true;
                } else if self.awaiting_follow_up.is_empty() {
                    self.phase = Phase::FollowedUp;
                }
            }
            OrderChange::FollowUpAttempted {
                reporter,
                outcome,
                next_attempt_at,
            } => {
                if phase != Phase::Closed || self.unsatisfied {
                    return Err(wrong_phase);
                }
                let index = self.awaited_index(reporter)?;
                let call = &mut self.awaiting_follow_up[index];
                call.attempts += 1;
                call.last_outcome = Some(*outcome);
                call.next_attempt_at = *next_attempt_at;
            }
            OrderChange::Reopened {
                department,
                deadline,
            } => {
                if phase != Phase::Closed || !self.unsatisfied {
                    return Err(wrong_phase);
                }
                self.phase = Phase::Reopened;
                self.department = Some(department.clone());
                self.deadline = Some(*deadline);
                self.handler = None;
                self.reply = None;
                self.closure = None;
                self.follow_up_due = None;
                self.awaiting_follow_up.clear();
                self.unsatisfied = false;
                self.counters.reopens += 1;
            }
            OrderChange::MergedInto { master } => {
                if !phase.may_be_merged() {
                    return Err(wrong_phase);
                }
                if master == &self.reference {
                    return Err(OrderError::MergeIntoSelf {
                        reference: master.clone(),
                    });
                }
                self.phase = Phase::Merged;
                self.merged_into = Some(master.clone());
                self.pending_extension = None;
            }
            OrderChange::ReporterLinked { order, citizen } => {
                if !phase.may_take_reporters() {
                    return Err(wrong_phase);
                }
                if order == &self.reference {
                    return Err(OrderError::MergeIntoSelf {
                        reference: order.clone(),
                    });
                }
                if self.linked.iter().any(|r| &r.order == order) {
                    return Err(OrderError::AlreadyLinked {
                        order: order.clone(),
                    });
                }
                self.linked.push(Reporter {
                    order: order.clone(),
                    citizen: *citizen,
                });
            }
        }
        self.updated_at = self.updated_at.max(event.at);
        Ok(())
    }

    pub fn reference(&self) -> &CaseRef {
        &self.reference
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    pub fn channel(&self) -> Channel {
        self.channel
    }

    pub fn category(&self) -> &CategoryCode {
        &self.category
    }

    pub fn citizen(&self) -> Option<CitizenId> {
        self.citizen
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    pub fn summary(&self) -> &str {
        &self.summary
    }

    pub fn created_at(&self) -> Timestamp {
        self.created_at
    }

    pub fn created_by(&self) -> &UserId {
        &self.created_by
    }

    /// The time of the latest event.
    pub fn updated_at(&self) -> Timestamp {
        self.updated_at
    }

    /// The department handling it now (`None` before dispatch, after a return).
    pub fn department(&self) -> Option<&DepartmentId> {
        self.department.as_ref()
    }

    /// The deadline in force (`None` before dispatch, after a return).
    pub fn deadline(&self) -> Option<Timestamp> {
        self.deadline
    }

    /// The handler who accepted it last, while it is with them.
    pub fn handler(&self) -> Option<&UserId> {
        self.handler.as_ref()
    }

    /// Whether the department was reminded of the deadline in force (临期提醒).
    pub fn reminded(&self) -> bool {
        self.deadline.is_some() && self.reminded_of == self.deadline
    }

    pub fn pending_extension(&self) -> Option<&PendingExtension> {
        self.pending_extension.as_ref()
    }

    pub fn notes(&self) -> &[Note] {
        &self.notes
    }

    pub fn attachments(&self) -> &[Attachment] {
        &self.attachments
    }

    /// What the citizen was told, since the latest reply.
    pub fn reply(&self) -> Option<&str> {
        self.reply.as_deref()
    }

    /// The latest close, unless reopened since.
    pub fn closure(&self) -> Option<Closure> {
        self.closure
    }

    /// The on-time figure: `Some(true)` when the latest close was at or
    /// before its deadline, `None` while the order is not closed.
    pub fn closed_on_time(&self) -> Option<bool> {
        self.closure.map(|c| c.on_time)
    }

    /// When the follow-up calls of the latest close are due.
    pub fn follow_up_due(&self) -> Option<Timestamp> {
        self.follow_up_due
    }

    /// The reporters still to call back for the latest close.
    pub fn reporters_to_call(&self) -> Vec<Reporter> {
        self.awaiting_follow_up
            .iter()
            .map(|c| c.reporter.clone())
            .collect()
    }

    /// The same, with the hotline's follow-up calls to each so far.
    pub fn follow_up_calls(&self) -> &[FollowUpCall] {
        &self.awaiting_follow_up
    }

    /// The earliest time the hotline is to call one of them.
    pub fn next_follow_up_call_at(&self) -> Option<Timestamp> {
        self.awaiting_follow_up
            .iter()
            .filter_map(|c| c.next_attempt_at)
            .min()
    }

    fn awaited_index(&self, reporter: &CaseRef) -> Result<usize, OrderError> {
        self.awaiting_follow_up
            .iter()
            .position(|c| &c.reporter.order == reporter)
            .ok_or_else(|| OrderError::NotAwaitingFollowUp {
                reporter: reporter.clone(),
            })
    }

    /// Every follow-up recorded, across reopens.
    pub fn follow_ups(&self) -> &[FollowUp] {
        &self.follow_ups
    }

    /// The order's own reporter, then those of merged duplicates.
    pub fn reporters(&self) -> Vec<Reporter> {
        let own = Reporter {
            order: self.reference.clone(),
            citizen: self.citizen,
        };
        std::iter::once(own)
            .chain(self.linked.iter().cloned())
            .collect()
    }

    /// The master, once merged.
    pub fn merged_into(&self) -> Option<&CaseRef> {
        self.merged_into.as_ref()
    }

    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// A reopen is due: a follow-up of the latest close was unsatisfied.
    pub fn reopen_due(&self) -> bool {
        self.unsatisfied
    }
}

impl Phase {
    /// A duplicate may be merged until the department has replied.
    pub(crate) fn may_be_merged(self) -> bool {
        matches!(
            self,
            Phase::New | Phase::Dispatched | Phase::InProgress | Phase::Returned | Phase::Reopened
        )
    }

    /// A master takes reporters until it is closed.
    pub(crate) fn may_take_reporters(self) -> bool {
        matches!(
            self,
            Phase::New
                | Phase::Dispatched
                | Phase::InProgress
                | Phase::Returned
                | Phase::Replied
                | Phase::Reopened
        )
    }
}
