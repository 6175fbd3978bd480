//! Public holidays do not count and make-up workdays do: China's National
//! Day week 2026 (1–7 October, with Sunday 20 September and Saturday
//! 10 October worked), from the IVR's own calendar file.

mod support;

use hotline_orders::{Command, Phase};
use support::*;

#[test]
fn national_day_week_is_skipped_and_the_make_up_saturday_counts() {
    let calendar = china_calendar();
    for day in 1..=7 {
        assert!(!calendar.is_working_day(date(&format!("2026-10-0{day}"))));
    }
    assert!(
        calendar.is_working_day(date("2026-10-10")),
        "a make-up Saturday"
    );
    assert!(
        calendar.is_working_day(date("2026-09-20")),
        "a make-up Sunday"
    );
    assert!(
        !calendar.is_working_day(date("2026-10-11")),
        "an ordinary Sunday"
    );

    // Accepted Wednesday 30 September: 8 Oct (1), 9 Oct (2), Saturday 10 Oct (3).
    assert_eq!(
        calendar.deadline(beijing("2026-09-30T10:00"), 3),
        Ok(beijing("2026-10-11T00:00"))
    );
    // Five working days: then Monday 12 and Tuesday 13.
    assert_eq!(
        calendar.deadline(beijing("2026-09-30T10:00"), 5),
        Ok(beijing("2026-10-14T00:00"))
    );
    assert_eq!(
        calendar.working_days_between(date("2026-09-30"), date("2026-10-13")),
        5
    );
}

#[test]
fn a_make_up_sunday_counts_before_a_holiday_friday() {
    let calendar = china_calendar();
    // Friday 18 September: Sunday 20 is worked, Friday 25 is Mid-Autumn.
    assert_eq!(
        calendar.deadline(beijing("2026-09-18T11:00"), 1),
        Ok(beijing("2026-09-21T00:00"))
    );
    // 20, 21, 22, 23, 24 → then 25..27 off, 28, 29, 30.
    assert_eq!(
        calendar.deadline(beijing("2026-09-18T11:00"), 8),
        Ok(beijing("2026-10-01T00:00"))
    );
}

#[test]
fn an_order_taken_during_the_holiday_counts_from_the_first_working_day() {
    // A citizen calls on National Day itself.
    let mut desk = Desk::new("2026-10-01T20:15");
    let order = desk.create(1, "consultation", Some(3));
    desk.ok(&order, &agent(), Command::Dispatch);
    // 8, 9, 10 October: due at the end of the make-up Saturday.
    assert_eq!(
        desk.order(&order).deadline(),
        Some(beijing("2026-10-11T00:00"))
    );
    assert_eq!(desk.order(&order).phase(), Phase::Dispatched);
}
