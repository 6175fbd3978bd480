//! The deadline rule: the end of the Nth working day after the day of
//! acceptance. Weekends do not count, a weekend acceptance is due when the
//! Friday's is, and a DST zone still ends days at local midnight.

mod support;

use hotline_orders::{CalendarError, CalendarSpec, WorkingCalendar};
use jiff::civil::Weekday;
use support::*;

fn plain_week(zone: &str) -> WorkingCalendar {
    WorkingCalendar::new(CalendarSpec::monday_to_friday(zone)).unwrap()
}

#[test]
fn one_working_day_from_friday_ends_with_monday() {
    let calendar = plain_week(SHANGHAI);
    // Friday 2026-11-06 at 16:00.
    assert_eq!(
        calendar.deadline(beijing("2026-11-06T16:00"), 1),
        Ok(beijing("2026-11-10T00:00"))
    );
    assert_eq!(
        calendar.deadline(beijing("2026-11-06T16:00"), 3),
        Ok(beijing("2026-11-12T00:00"))
    );
}

#[test]
fn the_day_of_acceptance_never_counts() {
    let calendar = plain_week(SHANGHAI);
    // Friday just after midnight, Friday just before midnight, Saturday, Sunday:
    // all due at the end of Monday.
    for accepted in [
        "2026-11-06T00:00",
        "2026-11-06T23:59",
        "2026-11-07T12:00",
        "2026-11-08T23:59",
    ] {
        assert_eq!(
            calendar.deadline(beijing(accepted), 1),
            Ok(beijing("2026-11-10T00:00")),
            "accepted {accepted}"
        );
    }
    // Zero working days: the end of the day of acceptance.
    assert_eq!(
        calendar.deadline(beijing("2026-11-07T12:00"), 0),
        Ok(beijing("2026-11-08T00:00"))
    );
}

#[test]
fn working_days_between_counts_what_the_deadline_counts() {
    let calendar = plain_week(SHANGHAI);
    assert_eq!(
        calendar.working_days_between(date("2026-11-06"), date("2026-11-09")),
        1
    );
    assert_eq!(
        calendar.working_days_between(date("2026-11-02"), date("2026-11-19")),
        13
    );
    assert_eq!(
        calendar.working_days_between(date("2026-11-09"), date("2026-11-06")),
        0
    );
    assert!(!calendar.is_working_day(date("2026-11-07")));
    assert!(calendar.is_working_day(date("2026-11-09")));
}

#[test]
fn in_a_dst_zone_the_day_ends_at_local_midnight() {
    let calendar = plain_week("America/New_York");
    // Friday 6 March 2026, 15:00 EST; clocks spring forward on Sunday 8 March.
    let accepted = local("America/New_York", "2026-03-06T15:00");
    let deadline = calendar.deadline(accepted, 5).unwrap();
    // Five working days: 9..13 March; due at the end of Friday 13th, in EDT.
    assert_eq!(deadline, local("America/New_York", "2026-03-14T00:00"));
    assert_eq!(
        deadline.millis_since(accepted),
        (7 * 24 + 9 - 1) * 3_600_000,
        "one hour shorter: the week crossed the change to summer time"
    );
    // And back in autumn (1 November 2026): a 25-hour Sunday.
    let accepted = local("America/New_York", "2026-10-30T09:00");
    assert_eq!(
        calendar.deadline(accepted, 1),
        Ok(local("America/New_York", "2026-11-03T00:00"))
    );
}

#[test]
fn a_working_saturday_can_be_configured() {
    let mut spec = CalendarSpec::monday_to_friday(SHANGHAI);
    spec.working_weekdays.push(Weekday::Saturday);
    let calendar = WorkingCalendar::new(spec).unwrap();
    assert_eq!(
        calendar.deadline(beijing("2026-11-06T16:00"), 1),
        Ok(beijing("2026-11-08T00:00"))
    );
}

#[test]
fn a_calendar_that_cannot_count_is_refused() {
    assert_eq!(
        WorkingCalendar::new(CalendarSpec::monday_to_friday("Mars/Olympus")).err(),
        Some(CalendarError::UnknownTimeZone {
            name: "Mars/Olympus".into()
        })
    );
    let mut idle = CalendarSpec::monday_to_friday(SHANGHAI);
    idle.working_weekdays.clear();
    assert_eq!(
        WorkingCalendar::new(idle).err(),
        Some(CalendarError::NoWorkingWeekday)
    );
    let mut both = CalendarSpec::monday_to_friday(SHANGHAI);
    both.holidays.push(date("2026-10-10"));
    both.make_up_workdays.push(date("2026-10-10"));
    assert_eq!(
        WorkingCalendar::new(both).err(),
        Some(CalendarError::HolidayAndWorkday {
            date: date("2026-10-10")
        })
    );
    let calendar = plain_week(SHANGHAI);
    assert!(matches!(
        calendar.deadline(hotline_types::Timestamp(i64::MAX), 1),
        Err(CalendarError::OutOfRange { .. })
    ));
}

#[test]
fn where_summer_time_skips_midnight_the_day_starts_at_one() {
    // Chile moves its clocks from Saturday 24:00 to Sunday 01:00 on
    // 6 September 2026: that Sunday has no midnight.
    let mut spec = CalendarSpec::monday_to_friday("America/Santiago");
    spec.working_weekdays = vec![Weekday::Saturday];
    let calendar = WorkingCalendar::new(spec).unwrap();
    let accepted = local("America/Santiago", "2026-08-31T10:00");
    let deadline = calendar.deadline(accepted, 1).unwrap();
    // The end of Saturday 5 September is the first instant of Sunday 6th.
    assert_eq!(deadline, local("America/Santiago", "2026-09-06T01:00"));
    assert_eq!(
        deadline.millis_since(local("America/Santiago", "2026-09-05T23:00")),
        3_600_000,
        "one real hour after Saturday 23:00"
    );
}
