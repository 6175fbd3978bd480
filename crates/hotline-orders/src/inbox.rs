//! A department's inbox and the per-order figures of reports.
//!
//! Given `now`, an order with a department is new, in progress, due soon or
//! overdue; reports take each order's on-time figure and counters. Both are
//! read-only views of a [`WorkOrder`].

use hotline_types::Timestamp;
use serde::{Deserialize, Serialize};

use crate::calendar::{CalendarError, WorkingCalendar};
use crate::model::{CategoryCode, DepartmentId};
use crate::order::{Counters, Phase, WorkOrder};

/// Where an order stands in its department's inbox.
///
/// Overdue wins over due soon, which wins over new and in progress: the
/// colour a handler must see first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InboxStatus {
    /// Dispatched or reopened, not yet accepted.
    New,
    /// Accepted, or replied and waiting to be closed.
    InProgress,
    /// Not late yet, but the deadline falls within the due-soon window.
    DueSoon,
    /// Past its deadline and not closed.
    Overdue,
}

/// How an inbox classifies orders.
#[derive(Debug, Clone)]
pub struct Inbox<'a> {
    pub calendar: &'a WorkingCalendar,
    /// An order is due soon when its deadline is no later than the end of
    /// this many working days after today (1: today or the next working day).
    pub due_soon_working_days: u32,
}

impl Inbox<'_> {
    /// The end of the due-soon window at `now`: an order whose deadline is
    /// no later than this is due soon.
    pub fn due_soon_until(&self, now: Timestamp) -> Result<Timestamp, CalendarError> {
        self.calendar.deadline(now, self.due_soon_working_days)
    }

    /// The order's place in `department`'s inbox at `now`, or `None` when it
    /// is not there (another department's, returned, closed, merged).
    pub fn classify(
        &self,
        order: &WorkOrder,
        department: &DepartmentId,
        now: Timestamp,
    ) -> Result<Option<InboxStatus>, CalendarError> {
        if order.department() != Some(department) || !order.phase().is_with_department() {
            return Ok(None);
        }
        let waiting = if matches!(order.phase(), Phase::Dispatched | Phase::Reopened) {
            InboxStatus::New
        } else {
            InboxStatus::InProgress
        };
        let Some(deadline) = order.deadline() else {
            return Ok(Some(waiting));
        };
        if now > deadline {
            return Ok(Some(InboxStatus::Overdue));
        }
        let window_end = self.due_soon_until(now)?;
        if deadline <= window_end {
            return Ok(Some(InboxStatus::DueSoon));
        }
        Ok(Some(waiting))
    }
}

/// One order's line in a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct OrderFigures {
    pub category: CategoryCode,
    /// The department handling it now (`None` if never dispatched or returned).
    pub department: Option<DepartmentId>,
    /// `None` while not closed; see [`WorkOrder::closed_on_time`].
    pub closed_on_time: Option<bool>,
    pub resolved_on_call: bool,
    pub counters: Counters,
}

impl OrderFigures {
    pub fn of(order: &WorkOrder) -> Self {
        Self {
            category: order.category().clone(),
            department: order.department().cloned(),
            closed_on_time: order.closed_on_time(),
            resolved_on_call: order.closure().is_some_and(|c| c.resolved_on_call),
            counters: order.counters(),
        }
    }
}
