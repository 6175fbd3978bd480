//! Working days: which local dates count, and the deadline that a number of
//! working days gives.
//!
//! Built from plain data (a time zone name, the working weekdays, public
//! holidays and make-up workdays), so the binary can fill it from the IVR's
//! calendar files (`ivr_scripts/calendars/*.toml`). Nothing here reads the
//! clock: every question comes with its time.
//!
//! # The deadline rule
//!
//! The day of acceptance never counts, whether it is a working day or not.
//! A deadline of N working days is the **end (the next local midnight) of
//! the Nth working day after the local date of acceptance**. So an order
//! accepted on Friday at 16:00 with 1 working day is due at Tuesday 00:00
//! (the end of Monday), and one accepted on Saturday or Sunday is due at the
//! same moment: a non-working day of acceptance needs no rule of its own.
//! An order is on time when it is closed at or before its deadline.
//! Zero working days is the end of the day of acceptance.
//!
//! Local midnight is found in the calendar's time zone; where a DST change
//! skips midnight the day starts at the first instant that exists.

use std::collections::BTreeSet;

use hotline_types::Timestamp;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;

/// Why a calendar could not be built, or a date is outside what it can count.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CalendarError {
    #[error("unknown time zone {name:?}: use an IANA name such as \"Asia/Shanghai\"")]
    UnknownTimeZone { name: String },
    #[error("no weekday is a working day: every deadline would be infinitely far")]
    NoWorkingWeekday,
    #[error("{date} is listed both as a public holiday and as a make-up workday")]
    HolidayAndWorkday { date: Date },
    #[error(
        "the time {at_ms} ms is outside the dates the calendar can count (years -9999..=9999)"
    )]
    OutOfRange { at_ms: i64 },
    #[error("counting on from {date} runs past the dates the calendar can count")]
    DateOutOfRange { date: Date },
}

/// The plain data a [`WorkingCalendar`] is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarSpec {
    /// An IANA time zone name, e.g. `Asia/Shanghai`.
    pub time_zone: String,
    /// Weekdays that are working days unless listed as holidays.
    pub working_weekdays: Vec<Weekday>,
    /// Dates that are not working days whatever their weekday.
    pub holidays: Vec<Date>,
    /// Dates that are working days whatever their weekday (China's weekend
    /// days worked to make up for a long holiday).
    pub make_up_workdays: Vec<Date>,
}

impl CalendarSpec {
    /// Monday to Friday in `time_zone`, no holidays yet.
    pub fn monday_to_friday(time_zone: &str) -> Self {
        Self {
            time_zone: time_zone.to_owned(),
            working_weekdays: vec![
                Weekday::Monday,
                Weekday::Tuesday,
                Weekday::Wednesday,
                Weekday::Thursday,
                Weekday::Friday,
            ],
            holidays: Vec::new(),
            make_up_workdays: Vec::new(),
        }
    }
}

/// Which days are working days, in one time zone.
#[derive(Debug, Clone)]
pub struct WorkingCalendar {
    time_zone: TimeZone,
    time_zone_name: String,
    /// Indexed by `Weekday::to_monday_zero_offset()`.
    working_weekdays: [bool; 7],
    holidays: BTreeSet<Date>,
    make_up_workdays: BTreeSet<Date>,
}

impl WorkingCalendar {
    /// Checks the spec: a known time zone, at least one working weekday and
    /// no date both a holiday and a make-up workday.
    pub fn new(spec: CalendarSpec) -> Result<Self, CalendarError> {
        let time_zone =
            TimeZone::get(&spec.time_zone).map_err(|_| CalendarError::UnknownTimeZone {
                name: spec.time_zone.clone(),
            })?;
        let mut working_weekdays = [false; 7];
        for day in &spec.working_weekdays {
            working_weekdays[weekday_index(*day)] = true;
        }
        if !working_weekdays.contains(&true) {
            return Err(CalendarError::NoWorkingWeekday);
        }
        let holidays: BTreeSet<Date> = spec.holidays.into_iter().collect();
        let make_up_workdays: BTreeSet<Date> = spec.make_up_workdays.into_iter().collect();
        if let Some(date) = holidays.intersection(&make_up_workdays).next() {
            return Err(CalendarError::HolidayAndWorkday { date: *date });
        }
        Ok(Self {
            time_zone,
            time_zone_name: spec.time_zone,
            working_weekdays,
            holidays,
            make_up_workdays,
        })
    }

    /// The IANA name the calendar was built with.
    pub fn time_zone_name(&self) -> &str {
        &self.time_zone_name
    }

    /// The time zone working days are counted in.
    pub fn time_zone(&self) -> &TimeZone {
        &self.time_zone
    }

    /// A make-up workday works, a holiday does not, other dates by weekday.
    pub fn is_working_day(&self, date: Date) -> bool {
        if self.make_up_workdays.contains(&date) {
            return true;
        }
        if self.holidays.contains(&date) {
            return false;
        }
        self.working_weekdays[weekday_index(date.weekday())]
    }

    /// The local date of `at` in the calendar's time zone.
    pub fn local_date(&self, at: Timestamp) -> Result<Date, CalendarError> {
        let instant = jiff::Timestamp::from_millisecond(at.as_millis()).map_err(|_| {
            CalendarError::OutOfRange {
                at_ms: at.as_millis(),
            }
        })?;
        Ok(instant.to_zoned(self.time_zone.clone()).date())
    }

    /// The first instant of `date` in the calendar's time zone.
    pub fn start_of_day(&self, date: Date) -> Result<Timestamp, CalendarError> {
        let zoned = date
            .to_zoned(self.time_zone.clone())
            .map_err(|_| CalendarError::DateOutOfRange { date })?;
        Ok(Timestamp(zoned.timestamp().as_millisecond()))
    }

    /// The `n`th working day after `date` (`date` itself when `n` is zero).
    pub fn nth_working_day_after(&self, date: Date, n: u32) -> Result<Date, CalendarError> {
        let mut day = date;
        let mut counted = 0;
        while counted < n {
            day = next_date(day)?;
            if self.is_working_day(day) {
                counted += 1;
            }
        }
        Ok(day)
    }

    /// The end of the `working_days`th working day after the local date of
    /// `accepted_at`: see the module's deadline rule.
    pub fn deadline(
        &self,
        accepted_at: Timestamp,
        working_days: u32,
    ) -> Result<Timestamp, CalendarError> {
        let last_day = self.nth_working_day_after(self.local_date(accepted_at)?, working_days)?;
        self.start_of_day(next_date(last_day)?)
    }

    /// A deadline moved on by `working_days` more working days: the end of
    /// the `working_days`th working day after the deadline's last day.
    pub fn extend(
        &self,
        deadline: Timestamp,
        working_days: u32,
    ) -> Result<Timestamp, CalendarError> {
        // The deadline is the first instant after its last day.
        self.deadline(
            Timestamp(deadline.as_millis().saturating_sub(1)),
            working_days,
        )
    }

    /// The start (local midnight) of the `working_days`th working day after
    /// the local date of `at`; `at` itself when `working_days` is zero.
    pub fn start_of_working_day_after(
        &self,
        at: Timestamp,
        working_days: u32,
    ) -> Result<Timestamp, CalendarError> {
        if working_days == 0 {
            return Ok(at);
        }
        let day = self.nth_working_day_after(self.local_date(at)?, working_days)?;
        self.start_of_day(day)
    }

    /// Working days `d` with `from < d <= to`: how many the deadline rule
    /// counts from a day of acceptance `from` to a last day `to`. Zero when
    /// `to` is not after `from`.
    pub fn working_days_between(&self, from: Date, to: Date) -> u32 {
        let mut count = 0u32;
        let mut day = from;
        while day < to {
            match day.tomorrow() {
                Ok(next) => day = next,
                Err(_) => break,
            }
            if self.is_working_day(day) {
                count = count.saturating_add(1);
            }
        }
        count
    }
}

fn weekday_index(day: Weekday) -> usize {
    // 0..=6 by jiff's contract.
    usize::try_from(day.to_monday_zero_offset()).unwrap_or(0)
}

fn next_date(date: Date) -> Result<Date, CalendarError> {
    date.tomorrow()
        .map_err(|_| CalendarError::DateOutOfRange { date })
}
