//! The rules a running hotline decides and lists orders by, owned once:
//! the checked catalogue, the working-day calendar and the due-soon window.
//! The binary loads them from its configuration at start; the console and
//! the drivers borrow [`Rules`] and [`Inbox`] from them.

use hotline_types::Timestamp;

use crate::{Catalogue, Inbox, Rules, WorkingCalendar};

/// What deciding and classifying orders needs, loaded once.
#[derive(Debug, Clone)]
pub struct OrderRules {
    pub catalogue: Catalogue,
    pub calendar: WorkingCalendar,
    /// An order is due soon within this many working days (see [`Inbox`]).
    pub due_soon_working_days: u32,
}

impl OrderRules {
    /// The rules [`crate::WorkOrder::decide`] takes.
    pub fn rules(&self) -> Rules<'_> {
        Rules {
            catalogue: &self.catalogue,
            calendar: &self.calendar,
        }
    }

    /// The inbox classes [`crate::Inbox::classify`] gives.
    pub fn inbox(&self) -> Inbox<'_> {
        Inbox {
            calendar: &self.calendar,
            due_soon_working_days: self.due_soon_working_days,
        }
    }

    /// One line per category for an operator checking the configuration:
    /// its department, its deadline in working days, and when an order of
    /// it accepted at `now` would be due.
    pub fn describe(&self, now: Timestamp) -> Vec<String> {
        let mut lines = vec![format!(
            "working days in {}; due soon within {} working day(s)",
            self.calendar.time_zone_name(),
            self.due_soon_working_days
        )];
        lines.extend(self.catalogue.categories().map(|category| {
            // A deadline is the first instant after its last day.
            let due = self
                .calendar
                .deadline(now, category.deadline_working_days)
                .and_then(|at| {
                    self.calendar
                        .local_date(Timestamp(at.as_millis().saturating_sub(1)))
                })
                .map_or_else(
                    |_| "beyond the calendar".to_owned(),
                    |day| day.strftime("%Y-%m-%d").to_string(),
                );
            format!(
                "{} ({}): {}, {} working days, due by the end of {due} if accepted now{}",
                category.code,
                category.name_en,
                category.department,
                category.deadline_working_days,
                if category.follow_up {
                    ", followed up"
                } else {
                    ""
                },
            )
        }));
        lines
    }
}
