//! What happened to an order: the append-only facts the driver stores.
//!
//! Each event carries its time and its author; everything an order is (its
//! phase, department, deadline, counters, reporters) is folded from them by
//! [`WorkOrder::apply`](crate::WorkOrder::apply). Events are self-contained:
//! deadlines are computed when they are decided and stored in the event, so
//! folding needs neither the catalogue nor the calendar, and a changed
//! catalogue never rewrites history.

use hotline_types::{CaseRef, CitizenId, Timestamp};
use serde::{Deserialize, Serialize};

use crate::model::{CategoryCode, Channel, DepartmentId, Location, UserId};

/// One fact in an order's log.
///
/// Serialised flat: `{"at": .., "by": .., "kind": "dispatched", ...}`; the
/// `kind` is the store's event-kind column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OrderEvent {
    pub at: Timestamp,
    pub by: UserId,
    #[serde(flatten)]
    pub change: OrderChange,
}

/// What changed, one variant per step of the 12345 workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum OrderChange {
    /// 受理: the order exists.
    Created {
        reference: CaseRef,
        channel: Channel,
        category: CategoryCode,
        /// The reporting citizen; `None` for an anonymous report.
        citizen: Option<CitizenId>,
        location: Location,
        summary: String,
    },
    /// 派单: sent to a department with the deadline to close it.
    Dispatched {
        department: DepartmentId,
        deadline: Timestamp,
    },
    /// The department's handler took it on.
    Accepted,
    NoteAdded {
        text: String,
    },
    /// A file added to the order's file (a photo, a letter); its bytes are
    /// the store's, under the order and `id`.
    AttachmentAdded {
        /// The order's own number for it: 1, 2, ...
        id: u32,
        /// `null` where an answer hides file names (the console's, to
        /// handlers of another department).
        #[schemars(with = "Option<String>")]
        name: String,
        content_type: String,
        bytes: u64,
        /// Hex SHA-256 of the bytes, so a copy can be checked.
        sha256: String,
    },
    /// The handler asks for more working days (延期申请).
    ExtensionRequested {
        working_days: u32,
        reason: String,
    },
    /// A supervisor decided; an approved extension moves the deadline.
    ExtensionDecided {
        approved: bool,
        new_deadline: Option<Timestamp>,
    },
    /// 退单: the department says the order is not theirs; back to dispatch.
    Returned {
        reason: String,
    },
    /// A dispatcher sent a returned order to a department again.
    Redispatched {
        department: DepartmentId,
        deadline: Timestamp,
    },
    /// 临期提醒: the hotline reminded the department that the deadline in
    /// force, `deadline`, is near. One per deadline: an approved extension,
    /// a re-dispatch or a reopen brings a new deadline, reminded of again.
    Reminded {
        deadline: Timestamp,
    },
    /// 督办: a supervisor pressed the department.
    Urged {
        note: String,
    },
    /// 答复: what the department told the citizen.
    Replied {
        text: String,
    },
    /// 办结. `resolved_on_call` when the agent settled it during the call (直接办结).
    Closed {
        resolved_on_call: bool,
    },
    /// The reporters are to be called back from `due_at`. (Not `at`: that
    /// is the envelope's time, and the event is serialised flat.)
    FollowUpDue {
        due_at: Timestamp,
    },
    /// 回访 + 评价 of one reporter (the order's own reference, or a merged
    /// duplicate's).
    FollowUpRecorded {
        reporter: CaseRef,
        score: u8,
        satisfied: bool,
    },
    /// A follow-up call reached no score (回访未果). `next_attempt_at`:
    /// when the hotline calls that reporter again; `None`: no more calls
    /// by the hotline, the reporter waits on the agents' follow-up list.
    FollowUpAttempted {
        reporter: CaseRef,
        outcome: FollowUpAttempt,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next_attempt_at: Option<Timestamp>,
    },
    /// 重办: an unsatisfied follow-up sends the order back to the
    /// department that closed it (the category's, for an order resolved on
    /// the call) with a new deadline.
    Reopened {
        department: DepartmentId,
        deadline: Timestamp,
    },
    /// This order duplicates `master`; its reporter is followed up there.
    MergedInto {
        master: CaseRef,
    },
    /// On the master: a duplicate's reporter now waits on this order.
    ReporterLinked {
        order: CaseRef,
        citizen: Option<CitizenId>,
    },
}

/// What a follow-up call that recorded no score came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpAttempt {
    /// Nobody picked up (busy, no answer, rejected).
    NoAnswer,
    /// The call could not be placed or broke down before an answer.
    Failed,
    /// The dial plan refuses the number, or it cannot be dialled: never
    /// tried again by the hotline.
    Refused,
    /// The citizen answered but gave no score (hung up, stayed silent).
    NoScore,
}

impl FollowUpAttempt {
    pub fn as_str(self) -> &'static str {
        match self {
            FollowUpAttempt::NoAnswer => "no_answer",
            FollowUpAttempt::Failed => "failed",
            FollowUpAttempt::Refused => "refused",
            FollowUpAttempt::NoScore => "no_score",
        }
    }

    /// Whether the hotline calls again (while attempts are left): only
    /// when nobody was reached. A refused number is never dialled again,
    /// and a citizen who answered and hung up is better asked by a person.
    pub fn is_retried(self) -> bool {
        matches!(self, FollowUpAttempt::NoAnswer | FollowUpAttempt::Failed)
    }
}

impl OrderChange {
    /// The `kind` name, for errors and the store.
    pub fn kind(&self) -> &'static str {
        match self {
            OrderChange::Created { .. } => "created",
            OrderChange::Dispatched { .. } => "dispatched",
            OrderChange::Accepted => "accepted",
            OrderChange::NoteAdded { .. } => "note_added",
            OrderChange::AttachmentAdded { .. } => "attachment_added",
            OrderChange::ExtensionRequested { .. } => "extension_requested",
            OrderChange::ExtensionDecided { .. } => "extension_decided",
            OrderChange::Returned { .. } => "returned",
            OrderChange::Redispatched { .. } => "redispatched",
            OrderChange::Reminded { .. } => "reminded",
            OrderChange::Urged { .. } => "urged",
            OrderChange::Replied { .. } => "replied",
            OrderChange::Closed { .. } => "closed",
            OrderChange::FollowUpDue { .. } => "follow_up_due",
            OrderChange::FollowUpRecorded { .. } => "follow_up_recorded",
            OrderChange::FollowUpAttempted { .. } => "follow_up_attempted",
            OrderChange::Reopened { .. } => "reopened",
            OrderChange::MergedInto { .. } => "merged_into",
            OrderChange::ReporterLinked { .. } => "reporter_linked",
        }
    }
}
