//! `[[schedule]]`: the time zone, the weekly opening hours and the holiday
//! calendar file (holidays and working weekend days), read relative to the
//! scripts directory.

use std::path::Path;

use toml::Spanned;

use crate::error::{Problem, Severity};
use crate::raw::{RawCalendar, RawSchedule};
use crate::schedule::{parse_range, parse_weekday, DayOverride, OpenRange, Schedule};
use crate::script::NodeKind;

use super::{line_of, syntax_fix, syntax_message, Compiler};

impl Compiler<'_> {
    pub(super) fn build_schedule(&mut self, n: &RawSchedule) -> NodeKind {
        let what = format!("schedule {:?}", n.id.get_ref());
        let timezone = match jiff::tz::TimeZone::get(n.timezone.get_ref()) {
            Ok(tz) => tz,
            Err(_) => {
                self.error(
                    n.timezone.span(),
                    format!("{what}: unknown time zone {:?}", n.timezone.get_ref()),
                    "use an IANA name such as \"Asia/Shanghai\" or \"America/New_York\"",
                );
                jiff::tz::TimeZone::UTC
            }
        };
        let mut weekly: [Vec<OpenRange>; 7] = Default::default();
        let h = &n.hours;
        for (i, list) in [&h.mon, &h.tue, &h.wed, &h.thu, &h.fri, &h.sat, &h.sun]
            .into_iter()
            .enumerate()
        {
            for r in list {
                match parse_range(r.get_ref()) {
                    Ok(range) => weekly[i].push(range),
                    Err(e) => self.error(
                        r.span(),
                        format!("{what}: {e}"),
                        "write opening hours as \"08:30-12:00\"",
                    ),
                }
            }
        }
        let mut days = std::collections::BTreeMap::new();
        if let Some(path) = &n.holidays {
            match &self.ctx.base_dir {
                None => self.error(
                    path.span(),
                    format!("{what}: a holiday calendar needs the script's directory"),
                    "load the script from its directory (ScriptSet::load or check)",
                ),
                Some(base) => {
                    let file = base.join(path.get_ref());
                    match std::fs::read_to_string(&file) {
                        Ok(text) => {
                            let (parsed, problems) = parse_calendar(&file, &text);
                            self.problems.extend(problems);
                            days = parsed;
                        }
                        Err(e) => self.error(
                            path.span(),
                            format!("{what}: cannot read calendar {}: {e}", file.display()),
                            "check the path; it is relative to the scripts directory",
                        ),
                    }
                }
            }
        }
        if weekly.iter().all(Vec::is_empty) {
            let line = self.line(n.id.span());
            self.warn(
                line,
                format!("{what} has no opening hours: it is always closed"),
                "add hours, e.g. mon = [\"08:30-17:30\"]",
            );
        }
        let closed = self.target(&n.closed);
        NodeKind::Schedule {
            schedule: Box::new(Schedule {
                timezone,
                timezone_name: n.timezone.get_ref().clone(),
                weekly,
                days,
            }),
            open: self.target(&n.open),
            closed,
            holiday: n.holiday.as_ref().map_or(closed, |t| self.target(t)),
        }
    }
}

/// Reads a holiday calendar file on its own, for working days outside the
/// IVR (work-order deadlines): every date that overrides the weekly
/// pattern, or every problem found (each names the file and line).
pub fn read_calendar(
    file: &Path,
) -> Result<std::collections::BTreeMap<jiff::civil::Date, DayOverride>, Vec<Problem>> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        vec![Problem {
            severity: Severity::Error,
            file: file.to_path_buf(),
            line: 0,
            message: format!("cannot read the calendar: {e}"),
            fix: "check the path (relative to ivr.scripts_dir) and its permissions".into(),
        }]
    })?;
    let (days, problems) = parse_calendar(file, &text);
    if problems.iter().any(|p| p.severity == Severity::Error) {
        Err(problems)
    } else {
        Ok(days)
    }
}

/// Parses a holiday calendar; problems name the calendar file.
pub(crate) fn parse_calendar(
    file: &Path,
    text: &str,
) -> (
    std::collections::BTreeMap<jiff::civil::Date, DayOverride>,
    Vec<Problem>,
) {
    let mut problems = Vec::new();
    let mut days = std::collections::BTreeMap::new();
    let raw: RawCalendar = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let message = syntax_message(&e);
            problems.push(Problem {
                severity: Severity::Error,
                file: file.to_path_buf(),
                line: e.span().map_or(0, |s| line_of(text, s.start)),
                fix: syntax_fix(&message),
                message,
            });
            return (days, problems);
        }
    };
    let date_of = |d: &Spanned<toml::value::Datetime>, problems: &mut Vec<Problem>| {
        let v = d.get_ref();
        let parsed = match (v.date, v.time, v.offset) {
            (Some(date), None, None) => jiff::civil::Date::new(
                i16::try_from(date.year).unwrap_or(i16::MAX),
                i8::try_from(date.month).unwrap_or(0),
                i8::try_from(date.day).unwrap_or(0),
            )
            .ok(),
            _ => None,
        };
        if parsed.is_none() {
            problems.push(Problem {
                severity: Severity::Error,
                file: file.to_path_buf(),
                line: line_of(text, d.span().start),
                message: format!("{v} is not a calendar date"),
                fix: "write a plain date without quotes: date = 2026-10-01".into(),
            });
        }
        parsed
    };
    for h in &raw.holiday {
        if let Some(date) = date_of(&h.date, &mut problems) {
            days.insert(
                date,
                DayOverride::Holiday {
                    name: h.name.clone(),
                },
            );
        }
    }
    for w in &raw.workday {
        let Some(date) = date_of(&w.date, &mut problems) else {
            continue;
        };
        match parse_weekday(w.hours_like.get_ref()) {
            Some(hours_like) => {
                if days
                    .insert(
                        date,
                        DayOverride::Workday {
                            name: w.name.clone(),
                            hours_like,
                        },
                    )
                    .is_some()
                {
                    problems.push(Problem {
                        severity: Severity::Error,
                        file: file.to_path_buf(),
                        line: line_of(text, w.date.span().start),
                        message: format!("{date} is both a holiday and a workday"),
                        fix: "keep one of the two entries".into(),
                    });
                }
            }
            None => problems.push(Problem {
                severity: Severity::Error,
                file: file.to_path_buf(),
                line: line_of(text, w.hours_like.span().start),
                message: format!("hours_like {:?} is not a weekday", w.hours_like.get_ref()),
                fix: "use mon, tue, wed, thu, fri, sat or sun".into(),
            }),
        }
    }
    (days, problems)
}
