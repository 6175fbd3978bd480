//! Opening hours decided on the wall clock in the hotline's time zone:
//! around midnight, on public holidays and on make-up workdays, and for a
//! call that crosses midnight while in the menu.

mod common;

use common::*;
use hotline_ivr::*;

const SCRIPT: &str = r#"
[script]
name = "t"
start = "hours"
languages = ["zh", "en"]
default_language = "zh"

[[schedule]]
id = "hours"
timezone = "Asia/Shanghai"
holidays = "calendars/cn.toml"
hours = { mon = ["08:00-20:00"], tue = ["08:00-20:00"], wed = ["08:00-20:00"], thu = ["08:00-20:00"], fri = ["08:00-20:00"], sat = ["22:00-24:00"], sun = ["00:00-02:00"] }
open = "open"
closed = "closed"
holiday = "holiday"

[[hangup]]
id = "open"
reason = "open"

[[hangup]]
id = "closed"
reason = "closed"

[[hangup]]
id = "holiday"
reason = "holiday"
"#;

fn decided_at(at: hotline_types::Timestamp) -> String {
    let call = Call::started(compile(SCRIPT), at);
    match call.ivr.outcome() {
        Some(Outcome::HungUp { reason }) => reason.clone(),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn saturday_late_hours_run_through_midnight_into_sunday() {
    // 2026-11-28 is a Saturday.
    assert_eq!(decided_at(shanghai(2026, 11, 28, 21, 59)), "closed");
    assert_eq!(decided_at(shanghai(2026, 11, 28, 22, 0)), "open");
    assert_eq!(decided_at(shanghai(2026, 11, 28, 23, 59)), "open");
    assert_eq!(decided_at(shanghai(2026, 11, 29, 0, 0)), "open");
    assert_eq!(decided_at(shanghai(2026, 11, 29, 1, 59)), "open");
    assert_eq!(decided_at(shanghai(2026, 11, 29, 2, 0)), "closed");
    // Friday just before midnight: Friday's hours ended at 20:00.
    assert_eq!(decided_at(shanghai(2026, 11, 27, 23, 59)), "closed");
    assert_eq!(decided_at(shanghai(2026, 11, 27, 19, 59)), "open");
    assert_eq!(decided_at(shanghai(2026, 11, 27, 20, 0)), "closed");
}

#[test]
fn the_time_zone_is_the_hotlines_not_utc() {
    // 02:30 UTC on a Monday is 10:30 in Shanghai: open.
    let utc = hotline_types::Timestamp(
        jiff::civil::date(2026, 11, 23)
            .at(2, 30, 0, 0)
            .in_tz("UTC")
            .expect("utc")
            .timestamp()
            .as_millisecond(),
    );
    assert_eq!(decided_at(utc), "open");
}

#[test]
fn public_holidays_and_make_up_workdays_follow_the_calendar() {
    // National Day, a Thursday: holiday all day.
    assert_eq!(decided_at(shanghai(2026, 10, 1, 10, 0)), "holiday");
    assert_eq!(decided_at(shanghai(2026, 10, 7, 23, 59)), "holiday");
    // The day after: an ordinary Thursday.
    assert_eq!(decided_at(shanghai(2026, 10, 8, 0, 0)), "closed");
    assert_eq!(decided_at(shanghai(2026, 10, 8, 10, 0)), "open");
    // Saturday 2026-10-10 is worked with Monday's hours.
    assert_eq!(decided_at(shanghai(2026, 10, 10, 10, 0)), "open");
    assert_eq!(decided_at(shanghai(2026, 10, 10, 22, 30)), "closed");
    // An ordinary Saturday at 10:00 is closed (only 22:00-24:00).
    assert_eq!(decided_at(shanghai(2026, 10, 17, 10, 0)), "closed");
}

#[test]
fn a_call_that_crosses_midnight_in_the_menu_uses_the_time_it_reaches_the_schedule() {
    let text = SCRIPT.replace("start = \"hours\"", "start = \"notice\"")
        + "\n[[play]]\nid = \"notice\"\nprompts = [\"after_hours\"]\nnext = \"hours\"\n";
    let script = compile(&text);
    // Answered Sunday 01:59:30; the notice plays until after 02:00.
    let mut call = Call::started(
        script,
        shanghai(2026, 11, 29, 1, 59).plus(std::time::Duration::from_secs(30)),
    );
    call.advance(60_000);
    call.prompts_end();
    assert_eq!(
        call.ivr.outcome(),
        Some(&Outcome::HungUp {
            reason: "closed".into()
        })
    );
}

#[test]
fn the_shipped_hotline_greets_holiday_callers_and_offers_after_hours_options() {
    let set = ScriptSet::load(shipped_dir(), hotline_environment()).expect("loads");
    let mut call = Call::started(
        set.script("hotline").expect("hotline"),
        shanghai(2026, 10, 1, 10, 0),
    );
    call.press("2");
    call.prompts_end();
    call.silence(); // the recording notice, agreed
    call.answer_lookup(LookupOutcome::NotFound);
    call.prompts_end(); // holiday greeting
    call.prompts_end(); // after-hours notice
    let played = call.played();
    assert_eq!(
        &played[played.len() - 3..],
        [
            "en/holiday_greeting",
            "en/after_hours",
            "en/after_hours_menu"
        ]
    );
    assert_eq!(call.ivr.var("office"), Some("holiday"));
}
