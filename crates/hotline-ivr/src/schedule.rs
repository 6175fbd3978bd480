//! Opening hours: weekly hours, public holidays and make-up workdays from a
//! calendar file, in the hotline's time zone. The engine gives the wall-clock
//! time; nothing here reads a clock.

use std::collections::BTreeMap;

use hotline_types::Timestamp;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;

/// Minutes since local midnight, end exclusive: `08:30-12:00` is 510..720.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenRange {
    pub start_minute: u16,
    pub end_minute: u16,
}

/// A calendar day that overrides the weekly hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DayOverride {
    /// A public holiday: closed, the schedule's holiday target applies.
    Holiday { name: String },
    /// A weekend day worked instead of a holiday: open with another weekday's hours.
    Workday { name: String, hours_like: Weekday },
}

/// What the schedule says about one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScheduleState {
    Open,
    Closed,
    Holiday,
}

/// The opening hours of one schedule node, checked at compile time.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub(crate) timezone: TimeZone,
    pub(crate) timezone_name: String,
    /// Indexed by `Weekday::to_monday_zero_offset()`.
    pub(crate) weekly: [Vec<OpenRange>; 7],
    pub(crate) days: BTreeMap<Date, DayOverride>,
}

impl Schedule {
    /// Whether the hotline is open at `at` (wall clock, UTC milliseconds).
    pub fn state_at(&self, at: Timestamp) -> ScheduleState {
        let Ok(ts) = jiff::Timestamp::from_millisecond(at.as_millis()) else {
            // Out of jiff's range (year beyond ±9999): nobody is calling then.
            return ScheduleState::Closed;
        };
        let local = ts.to_zoned(self.timezone.clone());
        let date = local.date();
        let minute =
            u16::try_from(i32::from(local.hour()) * 60 + i32::from(local.minute())).unwrap_or(0);
        let weekday = match self.days.get(&date) {
            Some(DayOverride::Holiday { .. }) => return ScheduleState::Holiday,
            Some(DayOverride::Workday { hours_like, .. }) => *hours_like,
            None => date.weekday(),
        };
        let ranges = &self.weekly[usize::try_from(weekday.to_monday_zero_offset()).unwrap_or(0)];
        if ranges
            .iter()
            .any(|r| r.start_minute <= minute && minute < r.end_minute)
        {
            ScheduleState::Open
        } else {
            ScheduleState::Closed
        }
    }

    /// The IANA name of the time zone, as written in the script.
    pub fn timezone_name(&self) -> &str {
        &self.timezone_name
    }
}

/// Parses `HH:MM-HH:MM` (24:00 allowed as an end).
pub(crate) fn parse_range(text: &str) -> Result<OpenRange, String> {
    let (a, b) = text
        .split_once('-')
        .ok_or_else(|| format!("{text:?} is not a range like \"08:30-17:30\""))?;
    let start = parse_hhmm(a.trim())?;
    let end = parse_hhmm(b.trim())?;
    if start >= end {
        return Err(format!(
            "{text:?} ends before it starts; a range that crosses midnight must be split: \"22:00-24:00\" on one day and \"00:00-02:00\" on the next"
        ));
    }
    Ok(OpenRange {
        start_minute: start,
        end_minute: end,
    })
}

fn parse_hhmm(text: &str) -> Result<u16, String> {
    let (h, m) = text
        .split_once(':')
        .ok_or_else(|| format!("{text:?} is not a time like \"08:30\""))?;
    let h: u16 = h
        .parse()
        .map_err(|_| format!("{text:?}: the hour is not a number"))?;
    let m: u16 = m
        .parse()
        .map_err(|_| format!("{text:?}: the minute is not a number"))?;
    if m > 59 || h > 24 || (h == 24 && m != 0) {
        return Err(format!("{text:?} is not a time between 00:00 and 24:00"));
    }
    Ok(h * 60 + m)
}

/// A weekday as scripts and calendars spell it: `mon` .. `sun`.
pub fn parse_weekday(text: &str) -> Option<Weekday> {
    Some(match text {
        "mon" => Weekday::Monday,
        "tue" => Weekday::Tuesday,
        "wed" => Weekday::Wednesday,
        "thu" => Weekday::Thursday,
        "fri" => Weekday::Friday,
        "sat" => Weekday::Saturday,
        "sun" => Weekday::Sunday,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_and_refuse_nonsense() {
        assert_eq!(
            parse_range("08:30-12:00"),
            Ok(OpenRange {
                start_minute: 510,
                end_minute: 720
            })
        );
        assert_eq!(parse_range("00:00-24:00").map(|r| r.end_minute), Ok(1440));
        assert!(parse_range("22:00-02:00").is_err());
        assert!(parse_range("8-12").is_err());
        assert!(parse_range("08:61-12:00").is_err());
        assert!(parse_range("24:30-25:00").is_err());
    }
}
