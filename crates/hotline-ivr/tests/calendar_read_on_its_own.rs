//! The holiday calendar read on its own (as work-order deadlines use it):
//! the shipped Chinese calendar gives National Day as a holiday and its
//! make-up Saturday as a workday; a broken file is refused with its line.

use hotline_ivr::{read_calendar, DayOverride};
use jiff::civil::{date, Weekday};

#[test]
fn the_shipped_calendar_reads_holidays_and_make_up_workdays() {
    let file = format!(
        "{}/../../ivr_scripts/calendars/cn.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    let days = read_calendar(file.as_ref()).expect("the shipped calendar reads");
    assert!(matches!(
        days.get(&date(2026, 10, 1)),
        Some(DayOverride::Holiday { .. })
    ));
    let workdays: Vec<_> = days
        .iter()
        .filter(|(_, day)| matches!(day, DayOverride::Workday { .. }))
        .map(|(d, _)| *d)
        .collect();
    assert!(!workdays.is_empty());
    assert!(workdays
        .iter()
        .all(|d| matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)));
}

#[test]
fn a_broken_calendar_is_refused_with_its_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("broken.toml");
    std::fs::write(
        &file,
        "[[holiday]]\ndate = 2026-10-01\nname = \"National Day\"\n[[holiday]]\ndate = \"tomorrow\"\nname = \"x\"\n",
    )
    .expect("write");
    let problems = read_calendar(&file).expect_err("refused");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].line, 5, "{}", problems[0]);
    let missing = read_calendar(&dir.path().join("missing.toml")).expect_err("refused");
    assert!(missing[0].message.contains("cannot read"), "{}", missing[0]);
}
