//! The order core's one error type: every refused command and every history
//! that cannot be folded says what made it wrong. A refused command appends
//! nothing.

use hotline_types::CaseRef;

use crate::calendar::CalendarError;
use crate::model::{CategoryCode, DepartmentId, UserId};
use crate::order::Phase;

/// Why a command was refused or a history could not be folded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OrderError {
    // --- histories ---
    #[error("an order's history cannot be empty")]
    EmptyHistory,
    #[error("an order's history starts with created, not {kind}")]
    NotCreatedFirst { kind: &'static str },
    #[error("order {reference} was already created")]
    CreatedTwice { reference: CaseRef },
    #[error("{kind} is inconsistent: {problem}")]
    Inconsistent {
        kind: &'static str,
        problem: &'static str,
    },

    // --- who and when ---
    #[error("{action} is not allowed while the order is {phase}")]
    WrongPhase { action: &'static str, phase: Phase },
    #[error("a {role} may not {action}")]
    RoleNotAllowed {
        action: &'static str,
        role: &'static str,
    },
    #[error("{user} does not work for {department}, which handles this order")]
    NotYourDepartment {
        user: UserId,
        department: DepartmentId,
    },

    // --- what was asked ---
    #[error("unknown category {category}")]
    UnknownCategory { category: CategoryCode },
    #[error("unknown department {department}")]
    UnknownDepartment { department: DepartmentId },
    #[error("unknown district {district}")]
    UnknownDistrict { district: String },
    #[error("district {district} has no street {street}")]
    UnknownStreet { district: String, street: String },
    #[error("coordinates outside -90..=90 latitude, -180..=180 longitude")]
    InvalidCoordinates,
    #[error("the {field} is empty")]
    EmptyText { field: &'static str },
    #[error("an order holds at most {max} attachments")]
    TooManyAttachments { max: usize },
    #[error("an attachment's name may not hold a path, control characters or more than {max} characters")]
    BadAttachmentName { max: usize },
    #[error("score {score} is not between 1 and 5")]
    BadScore { score: u8 },
    #[error("an extension needs at least one working day")]
    ZeroExtension,
    #[error("an extension request is already waiting for a supervisor")]
    ExtensionPending,
    #[error("no extension request is waiting")]
    NoExtensionPending,
    #[error("{reporter} is not waiting for a follow-up on this order")]
    NotAwaitingFollowUp { reporter: CaseRef },
    #[error("no reminder is due: {reason}")]
    NoReminderDue { reason: &'static str },
    #[error("order {reference} cannot be merged into itself")]
    MergeIntoSelf { reference: CaseRef },
    #[error("reporter of {order} is already linked to this order")]
    AlreadyLinked { order: CaseRef },
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

impl OrderError {
    /// A stable name for the kind of refusal, for pages that word it in the
    /// user's language (`wrong_phase`, `not_your_department`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            OrderError::EmptyHistory
            | OrderError::NotCreatedFirst { .. }
            | OrderError::CreatedTwice { .. }
            | OrderError::Inconsistent { .. } => "inconsistent_history",
            OrderError::WrongPhase { .. } => "wrong_phase",
            OrderError::RoleNotAllowed { .. } => "role_not_allowed",
            OrderError::NotYourDepartment { .. } => "not_your_department",
            OrderError::UnknownCategory { .. } => "unknown_category",
            OrderError::UnknownDepartment { .. } => "unknown_department",
            OrderError::UnknownDistrict { .. } => "unknown_district",
            OrderError::UnknownStreet { .. } => "unknown_street",
            OrderError::InvalidCoordinates => "invalid_coordinates",
            OrderError::EmptyText { .. } => "empty_text",
            OrderError::TooManyAttachments { .. } => "too_many_attachments",
            OrderError::BadAttachmentName { .. } => "bad_attachment_name",
            OrderError::BadScore { .. } => "bad_score",
            OrderError::ZeroExtension => "zero_extension",
            OrderError::ExtensionPending => "extension_pending",
            OrderError::NoExtensionPending => "no_extension_pending",
            OrderError::NotAwaitingFollowUp { .. } => "not_awaiting_follow_up",
            OrderError::NoReminderDue { .. } => "no_reminder_due",
            OrderError::MergeIntoSelf { .. } => "merge_into_self",
            OrderError::AlreadyLinked { .. } => "already_linked",
            OrderError::Calendar(_) => "beyond_the_calendar",
        }
    }
}
