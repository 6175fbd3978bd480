//! Commands: who may ask what, and the events a granted command appends.
//!
//! Deciding never changes an order. It checks the actor's role, the
//! order's phase, the actor's department and the input, in that order,
//! computes deadlines with the calendar, and returns the events; the same
//! events are folded into a copy with [`WorkOrder::apply`] before they are
//! returned, so a decided history always folds.
//!
//! | command | who | phase |
//! |---|---|---|
//! | create | agent | — |
//! | dispatch (by the catalogue) | agent | new |
//! | resolve on the call (直接办结) | agent | new |
//! | accept | handler of the department | dispatched, reopened |
//! | add a note | handler of the department | any with a department |
//! | request an extension | handler of the department | in progress |
//! | decide an extension | supervisor | an extension waiting |
//! | return (退单) | handler of the department | dispatched, in progress, reopened |
//! | re-dispatch | dispatcher | returned |
//! | remind of the deadline (临期提醒) | agent (the hotline) | dispatched, in progress, replied, reopened; due soon, not reminded of this deadline |
//! | urge (督办) | supervisor | dispatched, in progress, replied, reopened |
//! | reply (答复) | handler of the department | in progress |
//! | close (办结) | handler of the department | replied |
//! | record a follow-up (回访) | agent | closed, reporter awaiting |
//! | record a follow-up call without a score | agent | closed, reporter awaiting |
//! | merge a duplicate | agent, dispatcher | duplicate before reply, master before close |

use hotline_types::{CaseRef, CitizenId, Timestamp};

use crate::calendar::WorkingCalendar;
use crate::catalogue::{Catalogue, Category};
use crate::error::OrderError;
use crate::event::{FollowUpAttempt, OrderChange, OrderEvent};
use crate::inbox::Inbox;
use crate::model::{Actor, CategoryCode, Channel, DepartmentId, Location, Role};
use crate::order::{Phase, WorkOrder};

/// What deciding needs besides the order: the catalogue and the calendar.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    pub catalogue: &'a Catalogue,
    pub calendar: &'a WorkingCalendar,
}

/// A new order as the agent takes it down.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOrder {
    /// Allocated by the store (one sequence per day).
    pub reference: CaseRef,
    pub channel: Channel,
    pub category: CategoryCode,
    pub citizen: Option<CitizenId>,
    pub location: Location,
    pub summary: String,
}

/// What an actor asks of an existing order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Send it to the category's department with the category's deadline.
    Dispatch,
    /// Answer and close during the call (直接办结); never dispatched.
    ResolveOnCall {
        reply: String,
    },
    Accept,
    AddNote {
        text: String,
    },
    /// Adds a file's description; the driver keeps its bytes under the
    /// `id` of the event this decides.
    AddAttachment {
        name: String,
        content_type: String,
        bytes: u64,
        sha256: String,
    },
    RequestExtension {
        working_days: u32,
        reason: String,
    },
    DecideExtension {
        approve: bool,
    },
    Return {
        reason: String,
    },
    Redispatch {
        department: DepartmentId,
    },
    /// Remind the department that the deadline is near: due within this
    /// many working days ([`Inbox::due_soon_until`]), not yet past, and not
    /// reminded of before.
    Remind {
        within_working_days: u32,
    },
    Urge {
        note: String,
    },
    Reply {
        text: String,
    },
    Close,
    /// The reporter's evaluation, 1 (very unsatisfied) to 5 (very satisfied).
    RecordFollowUp {
        reporter: CaseRef,
        score: u8,
    },
    /// A follow-up call to the reporter recorded no score; `retry` says
    /// when the hotline calls again.
    RecordFollowUpAttempt {
        reporter: CaseRef,
        outcome: FollowUpAttempt,
        retry: FollowUpRetry,
    },
}

/// How the hotline calls a reporter it did not reach again: `after` the
/// failed call, up to `attempts` calls in all; then (and at once after an
/// answer without a score or a refused number) the reporter waits on the
/// agents' follow-up list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowUpRetry {
    pub after: std::time::Duration,
    pub attempts: u32,
}

impl Command {
    /// The command's name in errors.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Dispatch => "dispatch",
            Command::ResolveOnCall { .. } => "resolve on the call",
            Command::Accept => "accept",
            Command::AddNote { .. } => "add a note",
            Command::AddAttachment { .. } => "add an attachment",
            Command::RequestExtension { .. } => "request an extension",
            Command::DecideExtension { .. } => "decide an extension",
            Command::Return { .. } => "return",
            Command::Redispatch { .. } => "re-dispatch",
            Command::Remind { .. } => "remind of the deadline",
            Command::Urge { .. } => "urge",
            Command::Reply { .. } => "reply",
            Command::Close => "close",
            Command::RecordFollowUp { .. } => "record a follow-up",
            Command::RecordFollowUpAttempt { .. } => "record a follow-up call",
        }
    }
}

/// The events of one merge: the duplicate's and the master's, to append to
/// each order's log (the duplicate's first).
#[derive(Debug, Clone, PartialEq)]
pub struct MergeEvents {
    pub duplicate: Vec<OrderEvent>,
    pub master: Vec<OrderEvent>,
}

impl WorkOrder {
    /// The `created` event of a new order (受理), after checking the
    /// category, the district and street, and the texts. A voice message
    /// may come with no location at all ([`Location::unknown`]): the
    /// citizen's words say where, once someone listens.
    pub fn create(
        rules: Rules<'_>,
        now: Timestamp,
        actor: &Actor,
        new: NewOrder,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        require_role(actor, "create an order", |r| matches!(r, Role::Agent))?;
        category(rules, &new.category)?;
        if !(new.channel == Channel::VoiceMessage && new.location.is_unknown()) {
            check_location(rules.catalogue, &new.location)?;
        }
        non_empty("summary", &new.summary)?;
        let event = OrderEvent {
            at: now,
            by: actor.user.clone(),
            change: OrderChange::Created {
                reference: new.reference,
                channel: new.channel,
                category: new.category,
                citizen: new.citizen,
                location: new.location,
                summary: new.summary.trim().to_owned(),
            },
        };
        // A created event always folds; this keeps it so.
        WorkOrder::from_created(&event)?;
        Ok(vec![event])
    }

    /// The events `command` appends, or why it is refused. Never changes `self`.
    pub fn decide(
        &self,
        rules: Rules<'_>,
        now: Timestamp,
        actor: &Actor,
        command: Command,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        let action = command.name();
        let phase = self.phase();
        let in_phase = |allowed: &[Phase]| {
            if allowed.contains(&phase) {
                Ok(())
            } else {
                Err(OrderError::WrongPhase { action, phase })
            }
        };
        let event = |change| OrderEvent {
            at: now,
            by: actor.user.clone(),
            change,
        };
        let events = match command {
            Command::Dispatch => {
                require_role(actor, action, |r| matches!(r, Role::Agent))?;
                in_phase(&[Phase::New])?;
                let category = category(rules, self.category())?;
                vec![event(OrderChange::Dispatched {
                    department: category.department.clone(),
                    deadline: rules
                        .calendar
                        .deadline(now, category.deadline_working_days)?,
                })]
            }
            Command::ResolveOnCall { reply } => {
                require_role(actor, action, |r| matches!(r, Role::Agent))?;
                in_phase(&[Phase::New])?;
                let category = category(rules, self.category())?;
                non_empty("reply", &reply)?;
                let mut events = vec![
                    event(OrderChange::Replied {
                        text: reply.trim().to_owned(),
                    }),
                    event(OrderChange::Closed {
                        resolved_on_call: true,
                    }),
                ];
                events.extend(self.follow_up_after_close(rules, category, now)?.map(event));
                events
            }
            Command::Accept => {
                self.require_handler(actor, action)?;
                in_phase(&[Phase::Dispatched, Phase::Reopened])?;
                self.require_department(actor)?;
                vec![event(OrderChange::Accepted)]
            }
            Command::AddNote { text } => {
                self.require_handler(actor, action)?;
                if self.department().is_none() || phase == Phase::Merged {
                    return Err(OrderError::WrongPhase { action, phase });
                }
                self.require_department(actor)?;
                non_empty("note", &text)?;
                vec![event(OrderChange::NoteAdded {
                    text: text.trim().to_owned(),
                })]
            }
            Command::AddAttachment {
                name,
                content_type,
                bytes,
                sha256,
            } => {
                self.require_handler(actor, action)?;
                if self.department().is_none() || phase == Phase::Merged {
                    return Err(OrderError::WrongPhase { action, phase });
                }
                self.require_department(actor)?;
                let name = attachment_name(&name)?;
                if self.attachments().len() >= MAX_ATTACHMENTS {
                    return Err(OrderError::TooManyAttachments {
                        max: MAX_ATTACHMENTS,
                    });
                }
                let id = u32::try_from(self.attachments().len() + 1).unwrap_or(u32::MAX);
                vec![event(OrderChange::AttachmentAdded {
                    id,
                    name,
                    content_type,
                    bytes,
                    sha256,
                })]
            }
            Command::RequestExtension {
                working_days,
                reason,
            } => {
                self.require_handler(actor, action)?;
                in_phase(&[Phase::InProgress])?;
                self.require_department(actor)?;
                if self.pending_extension().is_some() {
                    return Err(OrderError::ExtensionPending);
                }
                if working_days == 0 {
                    return Err(OrderError::ZeroExtension);
                }
                non_empty("reason", &reason)?;
                vec![event(OrderChange::ExtensionRequested {
                    working_days,
                    reason: reason.trim().to_owned(),
                })]
            }
            Command::DecideExtension { approve } => {
                require_role(actor, action, |r| matches!(r, Role::Supervisor))?;
                let pending = self
                    .pending_extension()
                    .ok_or(OrderError::NoExtensionPending)?;
                let new_deadline = match (approve, self.deadline()) {
                    (true, Some(deadline)) => {
                        Some(rules.calendar.extend(deadline, pending.working_days)?)
                    }
                    (true, None) => {
                        // A pending request implies an order in progress,
                        // which always has a deadline.
                        return Err(OrderError::WrongPhase { action, phase });
                    }
                    (false, _) => None,
                };
                vec![event(OrderChange::ExtensionDecided {
                    approved: approve,
                    new_deadline,
                })]
            }
            Command::Return { reason } => {
                self.require_handler(actor, action)?;
                in_phase(&[Phase::Dispatched, Phase::InProgress, Phase::Reopened])?;
                self.require_department(actor)?;
                non_empty("reason", &reason)?;
                vec![event(OrderChange::Returned {
                    reason: reason.trim().to_owned(),
                })]
            }
            Command::Redispatch { department } => {
                require_role(actor, action, |r| matches!(r, Role::Dispatcher))?;
                in_phase(&[Phase::Returned])?;
                if rules.catalogue.department(&department).is_none() {
                    return Err(OrderError::UnknownDepartment { department });
                }
                let category = category(rules, self.category())?;
                // The new department gets the category's full time.
                let deadline = rules
                    .calendar
                    .deadline(now, category.deadline_working_days)?;
                vec![event(OrderChange::Redispatched {
                    department,
                    deadline,
                })]
            }
            Command::Remind {
                within_working_days,
            } => {
                require_role(actor, action, |r| matches!(r, Role::Agent))?;
                let deadline = match self.deadline() {
                    Some(deadline) if phase.is_with_department() => deadline,
                    _ => return Err(OrderError::WrongPhase { action, phase }),
                };
                if self.reminded() {
                    return Err(OrderError::NoReminderDue {
                        reason: "the department was already reminded of this deadline",
                    });
                }
                if now > deadline {
                    return Err(OrderError::NoReminderDue {
                        reason: "the order is overdue: it is on the overdue list",
                    });
                }
                let inbox = Inbox {
                    calendar: rules.calendar,
                    due_soon_working_days: within_working_days,
                };
                if deadline > inbox.due_soon_until(now)? {
                    return Err(OrderError::NoReminderDue {
                        reason: "the deadline is not near yet",
                    });
                }
                vec![event(OrderChange::Reminded { deadline })]
            }
            Command::Urge { note } => {
                require_role(actor, action, |r| matches!(r, Role::Supervisor))?;
                if !phase.is_with_department() {
                    return Err(OrderError::WrongPhase { action, phase });
                }
                non_empty("note", &note)?;
                vec![event(OrderChange::Urged {
                    note: note.trim().to_owned(),
                })]
            }
            Command::Reply { text } => {
                self.require_handler(actor, action)?;
                in_phase(&[Phase::InProgress])?;
                self.require_department(actor)?;
                non_empty("reply", &text)?;
                vec![event(OrderChange::Replied {
                    text: text.trim().to_owned(),
                })]
            }
            Command::Close => {
                self.require_handler(actor, action)?;
                in_phase(&[Phase::Replied])?;
                self.require_department(actor)?;
                let category = category(rules, self.category())?;
                let mut events = vec![event(OrderChange::Closed {
                    resolved_on_call: false,
                })];
                events.extend(self.follow_up_after_close(rules, category, now)?.map(event));
                events
            }
            Command::RecordFollowUp { reporter, score } => {
                require_role(actor, action, |r| matches!(r, Role::Agent))?;
                if phase != Phase::Closed || self.follow_up_due().is_none() || self.reopen_due() {
                    return Err(OrderError::WrongPhase { action, phase });
                }
                if !(1..=5).contains(&score) {
                    return Err(OrderError::BadScore { score });
                }
                if !self
                    .follow_up_calls()
                    .iter()
                    .any(|c| c.reporter.order == reporter)
                {
                    return Err(OrderError::NotAwaitingFollowUp { reporter });
                }
                let satisfied = score >= rules.catalogue.follow_up().satisfied_from_score;
                let mut events = vec![event(OrderChange::FollowUpRecorded {
                    reporter,
                    score,
                    satisfied,
                })];
                if !satisfied {
                    let category = category(rules, self.category())?;
                    // Resolved on the call: the category's department
                    // takes it on now.
                    let department = self.department().unwrap_or(&category.department).clone();
                    events.push(event(OrderChange::Reopened {
                        department,
                        deadline: rules
                            .calendar
                            .deadline(now, category.deadline_working_days)?,
                    }));
                }
                events
            }
            Command::RecordFollowUpAttempt {
                reporter,
                outcome,
                retry,
            } => {
                require_role(actor, action, |r| matches!(r, Role::Agent))?;
                if phase != Phase::Closed || self.follow_up_due().is_none() || self.reopen_due() {
                    return Err(OrderError::WrongPhase { action, phase });
                }
                let call = self
                    .follow_up_calls()
                    .iter()
                    .find(|c| c.reporter.order == reporter)
                    .ok_or_else(|| OrderError::NotAwaitingFollowUp {
                        reporter: reporter.clone(),
                    })?;
                let made = call.attempts + 1;
                let next_attempt_at =
                    (outcome.is_retried() && made < retry.attempts).then(|| now.plus(retry.after));
                vec![event(OrderChange::FollowUpAttempted {
                    reporter,
                    outcome,
                    next_attempt_at,
                })]
            }
        };
        self.check_folds(&events)?;
        Ok(events)
    }

    /// Whether `actor` may merge this order, as a duplicate, into some
    /// other order: the role and this order's phase, the part of
    /// [`WorkOrder::merge`] that does not depend on the master (the
    /// console offers its merge button by it).
    pub fn may_be_merged_by(&self, actor: &Actor) -> Result<(), OrderError> {
        let action = "merge a duplicate";
        require_role(actor, action, |r| {
            matches!(r, Role::Agent | Role::Dispatcher)
        })?;
        if !self.phase().may_be_merged() {
            return Err(OrderError::WrongPhase {
                action,
                phase: self.phase(),
            });
        }
        Ok(())
    }

    /// Merges `duplicate` into `master`: the duplicate is `merged_into`,
    /// and each of its reporters (its own and any merged into it before)
    /// is linked on the master, which follows them all up.
    pub fn merge(
        now: Timestamp,
        actor: &Actor,
        duplicate: &WorkOrder,
        master: &WorkOrder,
    ) -> Result<MergeEvents, OrderError> {
        duplicate.may_be_merged_by(actor)?;
        if duplicate.reference() == master.reference() {
            return Err(OrderError::MergeIntoSelf {
                reference: master.reference().clone(),
            });
        }
        if !master.phase().may_take_reporters() {
            return Err(OrderError::WrongPhase {
                action: "merge into",
                phase: master.phase(),
            });
        }
        let event = |change| OrderEvent {
            at: now,
            by: actor.user.clone(),
            change,
        };
        let events = MergeEvents {
            duplicate: vec![event(OrderChange::MergedInto {
                master: master.reference().clone(),
            })],
            master: duplicate
                .reporters()
                .into_iter()
                .map(|r| {
                    event(OrderChange::ReporterLinked {
                        order: r.order,
                        citizen: r.citizen,
                    })
                })
                .collect(),
        };
        duplicate.check_folds(&events.duplicate)?;
        master.check_folds(&events.master)?;
        Ok(events)
    }

    /// `follow_up_due` after a close, when the category wants a follow-up
    /// and someone can be called.
    fn follow_up_after_close(
        &self,
        rules: Rules<'_>,
        category: &Category,
        closed_at: Timestamp,
    ) -> Result<Option<OrderChange>, OrderError> {
        if !category.follow_up || self.reporters().iter().all(|r| r.citizen.is_none()) {
            return Ok(None);
        }
        let after = rules.catalogue.follow_up().after_working_days;
        Ok(Some(OrderChange::FollowUpDue {
            due_at: rules
                .calendar
                .start_of_working_day_after(closed_at, after)?,
        }))
    }

    fn require_handler(&self, actor: &Actor, action: &'static str) -> Result<(), OrderError> {
        require_role(actor, action, |r| matches!(r, Role::Handler { .. }))
    }

    /// Only the handling department changes an order.
    fn require_department(&self, actor: &Actor) -> Result<(), OrderError> {
        match self.department() {
            Some(department) if actor.works_for(department) => Ok(()),
            Some(department) => Err(OrderError::NotYourDepartment {
                user: actor.user.clone(),
                department: department.clone(),
            }),
            None => Err(OrderError::WrongPhase {
                action: "change",
                phase: self.phase(),
            }),
        }
    }

    fn check_folds(&self, events: &[OrderEvent]) -> Result<(), OrderError> {
        let mut next = self.clone();
        for event in events {
            next.apply(event)?;
        }
        Ok(())
    }
}

fn require_role(
    actor: &Actor,
    action: &'static str,
    allowed: impl Fn(&Role) -> bool,
) -> Result<(), OrderError> {
    if allowed(&actor.role) {
        Ok(())
    } else {
        Err(OrderError::RoleNotAllowed {
            action,
            role: actor.role.name(),
        })
    }
}

fn category<'a>(rules: Rules<'a>, code: &CategoryCode) -> Result<&'a Category, OrderError> {
    rules
        .catalogue
        .category(code)
        .ok_or_else(|| OrderError::UnknownCategory {
            category: code.clone(),
        })
}

fn check_location(catalogue: &Catalogue, location: &Location) -> Result<(), OrderError> {
    non_empty("address", &location.address)?;
    let streets =
        catalogue
            .streets(&location.district)
            .ok_or_else(|| OrderError::UnknownDistrict {
                district: location.district.clone(),
            })?;
    if !streets.contains(&location.street) {
        return Err(OrderError::UnknownStreet {
            district: location.district.clone(),
            street: location.street.clone(),
        });
    }
    if location.coordinates.is_some_and(|c| !c.is_valid()) {
        return Err(OrderError::InvalidCoordinates);
    }
    Ok(())
}

fn non_empty(field: &'static str, text: &str) -> Result<(), OrderError> {
    if text.trim().is_empty() {
        Err(OrderError::EmptyText { field })
    } else {
        Ok(())
    }
}

/// Files one order may hold.
pub const MAX_ATTACHMENTS: usize = 20;

/// Characters an attachment's name may have.
pub const MAX_ATTACHMENT_NAME_CHARS: usize = 120;

/// The name as it is kept: trimmed, a file name only (no folder, no
/// control characters), never empty.
fn attachment_name(name: &str) -> Result<String, OrderError> {
    let name = name.trim();
    non_empty("attachment's name", name)?;
    let bad = name.chars().count() > MAX_ATTACHMENT_NAME_CHARS
        || name == "."
        || name == ".."
        || name
            .chars()
            .any(|c| c.is_control() || c == '/' || c == '\\');
    if bad {
        return Err(OrderError::BadAttachmentName {
            max: MAX_ATTACHMENT_NAME_CHARS,
        });
    }
    Ok(name.to_owned())
}
