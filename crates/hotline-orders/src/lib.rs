//! Sans-IO work orders: the life of a citizen's request after the call,
//! from 受理 accept through 派单 dispatch, 办理 handle, 答复 reply, 督办
//! supervise and 办结 close to 回访 follow-up and 评价 evaluation (State
//! Council 2020 guidance on 12345 hotlines, GB/T 33358-2016).
//!
//! # What this crate owns
//!
//! - the dispatch catalogue ([`Catalogue`]): categories, their department,
//!   deadline in working days and follow-up, departments, districts and
//!   streets, checked once from configuration;
//! - working days ([`WorkingCalendar`]): weekdays, public holidays and
//!   make-up workdays in one time zone, and the deadline rule (see
//!   [`calendar`]);
//! - the order ([`WorkOrder`]): one [`Phase`], folded from [`OrderEvent`]s;
//! - permissions ([`Actor`], [`Role`]): every department reads every
//!   order, only the handling department changes it;
//! - inbox classes and report figures ([`Inbox`], [`OrderFigures`]);
//! - the rules loaded once for a running hotline ([`OrderRules`]).
//!
//! It must not touch the clock, a database, a socket or a task: no I/O, no
//! async. Case reference numbers come from the store; events go back to it.
//!
//! # The contract
//!
//! A driver keeps each order's events in an append-only log. To act:
//!
//! 1. fold the log: [`WorkOrder::from_events`];
//! 2. decide: [`WorkOrder::decide`]`(rules, now, actor, command)` (or
//!    [`WorkOrder::create`], [`WorkOrder::merge`]) returns the events to
//!    append, or an [`OrderError`]; it never changes the order, and a
//!    refused command appends nothing;
//! 3. append the events, and [`WorkOrder::apply`] them to the folded order
//!    (or fold again: the result is the same).
//!
//! `now` is the driver's wall clock ([`hotline_types::Timestamp`], unix ms);
//! deadlines are decided once and stored in the events, so a later change
//! of catalogue or calendar never rewrites history.

pub mod calendar;
mod catalogue;
mod decide;
mod error;
mod event;
mod inbox;
mod model;
mod order;
mod rules;

pub use calendar::{CalendarError, CalendarSpec, WorkingCalendar};
pub use catalogue::{
    Catalogue, CatalogueConfig, CatalogueError, Category, CategoryConfig, Department,
    DepartmentConfig, DistrictConfig, FollowUpConfig,
};
pub use decide::{
    Command, FollowUpRetry, MergeEvents, NewOrder, Rules, MAX_ATTACHMENTS,
    MAX_ATTACHMENT_NAME_CHARS,
};
pub use error::OrderError;
pub use event::{FollowUpAttempt, OrderChange, OrderEvent};
pub use inbox::{Inbox, InboxStatus, OrderFigures};
pub use model::{Actor, CategoryCode, Channel, Coordinates, DepartmentId, Location, Role, UserId};
pub use order::{
    Attachment, Closure, Counters, FollowUp, FollowUpCall, Note, PendingExtension, Phase, Reporter,
    WorkOrder,
};
pub use rules::OrderRules;
