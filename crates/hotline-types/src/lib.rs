//! Identifiers and the `CallEvent` vocabulary shared by every Hotline crate.
//!
//! This crate sits at the bottom of the workspace: it has no I/O, no clock
//! and no async. Every other crate may depend on it; it depends on none of
//! them. Events are the single source of truth of the hotline: the call
//! record, the citizen's history and every supervisor statistic are derived
//! from the [`CallEvent`]s that the call controller emits.

mod case_ref;
mod consent;
mod event;
mod ids;
pub mod pii;

pub use case_ref::{CaseRef, CaseRefError};
pub use consent::{ConsentPurpose, CONSENT_CHANNEL_PHONE_IVR};
pub use event::{CallEvent, CallEventRecord, HangupSide, Timestamp};
pub use ids::{
    AgentId, CallId, CallbackId, CategoryCode, CitizenId, DepartmentId, EventId, QueueId, UserId,
};
