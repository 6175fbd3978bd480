//! The dial plan: which numbers the hotline may ever call through its
//! outbound trunk, and how often. A number a caller sent as their caller ID
//! (unauthenticated), typed into a menu, or named in a REFER reaches a
//! trunk only if it matches one of the configured patterns and has not
//! been called too often today: this is what stands between a hotline and
//! toll fraud (premium-rate and international numbers).
//!
//! Owns only the decision; the call cores ask it (through the `NumberCheck`
//! the driver gives them) before they dial and record a `dial_refused`
//! event when it says no. The day is the caller's to say: no clock here.

use std::collections::HashMap;
use std::sync::Mutex;

use regex::Regex;

/// A pattern of `dialplan.allow` that is not a regular expression.
#[derive(Debug)]
pub struct BadPattern {
    pub pattern: String,
    pub error: regex::Error,
}

impl std::fmt::Display for BadPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "dialplan.allow: {:?} is not a regular expression: {}",
            self.pattern, self.error
        )
    }
}

impl std::error::Error for BadPattern {}

/// Why a number may not be dialled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No pattern of `dialplan.allow` matches the whole number.
    OutsideDialPlan,
    /// The number was dialled `dialplan.max_calls_per_number_per_day` times today.
    DailyLimit,
}

impl Refusal {
    /// The reason as call events and logs spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::OutsideDialPlan => "outside_dial_plan",
            Refusal::DailyLimit => "daily_limit",
        }
    }
}

/// The checked dial plan.
#[derive(Debug)]
pub struct DialPlan {
    allow: Vec<Regex>,
    max_per_day: u32,
    /// Calls placed per number on the current day (days counted in UTC).
    /// Kept in memory; at start the driver restores today's counts from
    /// the call log (`restore`), so a restart does not reset the limit.
    placed: Mutex<(i64, HashMap<String, u32>)>,
}

impl DialPlan {
    /// Compiles the patterns; each must match a whole number (anchored here).
    pub fn new(allow: &[String], max_per_day: u32) -> Result<Self, BadPattern> {
        let allow = allow
            .iter()
            .map(|pattern| {
                let bare = pattern.trim_start_matches('^').trim_end_matches('$');
                Regex::new(&format!("^(?:{bare})$")).map_err(|error| BadPattern {
                    pattern: pattern.clone(),
                    error,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            allow,
            max_per_day,
            placed: Mutex::new((0, HashMap::new())),
        })
    }

    /// Whether the plan would let `number` be dialled at all (the daily
    /// count aside): asked before a callback is offered or accepted.
    pub fn allows(&self, number: &str) -> Result<(), Refusal> {
        let digits = number.strip_prefix('+').unwrap_or(number);
        let dialable = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
        if dialable && self.allow.iter().any(|re| re.is_match(number)) {
            Ok(())
        } else {
            Err(Refusal::OutsideDialPlan)
        }
    }

    /// The counts of `day`, a stale day's dropped.
    fn counts_of(&self, day: i64) -> std::sync::MutexGuard<'_, (i64, HashMap<String, u32>)> {
        let mut placed = self.placed.lock().unwrap_or_else(|e| e.into_inner());
        if placed.0 != day {
            *placed = (day, HashMap::new());
        }
        placed
    }

    /// Counts the calls already placed on `day` (the numbers dialled, one
    /// entry per call, as the call log lists them) on top of what this
    /// plan has counted for that day.
    pub fn restore(&self, day: i64, dialled: impl IntoIterator<Item = String>) {
        let mut placed = self.counts_of(day);
        for number in dialled {
            *placed.1.entry(number).or_insert(0) += 1;
        }
    }

    /// Asked right before dialling `number` on `day` (days since the Unix
    /// epoch, UTC): counts the call if it may go.
    pub fn permit(&self, number: &str, day: i64) -> Result<(), Refusal> {
        self.allows(number)?;
        let mut placed = self.counts_of(day);
        let count = placed.1.entry(number.to_owned()).or_insert(0);
        if *count >= self.max_per_day {
            return Err(Refusal::DailyLimit);
        }
        *count += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Mainland mobile numbers only (the shipped plan is tested with the
    /// shipped configuration, in the binary).
    fn plan() -> DialPlan {
        DialPlan::new(&["1[3-9][0-9]{9}".into()], 2).unwrap()
    }

    #[test]
    fn a_number_is_dialled_at_most_the_daily_limit() {
        let plan = plan();
        assert_eq!(plan.permit("13800138000", 100), Ok(()));
        assert_eq!(plan.permit("13800138000", 100), Ok(()));
        assert_eq!(plan.permit("13800138000", 100), Err(Refusal::DailyLimit));
        assert_eq!(plan.permit("13900139000", 100), Ok(()), "another number");
        assert_eq!(plan.permit("13800138000", 101), Ok(()), "a new day");
    }

    #[test]
    fn todays_calls_restored_after_a_restart_count_against_the_limit() {
        let plan = plan();
        plan.restore(100, ["13800138000".to_owned()]);
        assert_eq!(plan.permit("13800138000", 100), Ok(()));
        assert_eq!(plan.permit("13800138000", 100), Err(Refusal::DailyLimit));
        // Restored counts add to what was counted the same day.
        plan.restore(100, ["13900139000".to_owned(), "13900139000".to_owned()]);
        assert_eq!(plan.permit("13900139000", 100), Err(Refusal::DailyLimit));
        assert_eq!(plan.permit("13800138000", 100), Err(Refusal::DailyLimit));
        // Another day's counts replace a stale day.
        plan.restore(101, Vec::new());
        assert_eq!(plan.permit("13800138000", 101), Ok(()));
    }

    #[test]
    fn patterns_match_whole_numbers_and_bad_ones_are_named() {
        let plan = DialPlan::new(&["138".into()], 1).unwrap();
        assert_eq!(plan.allows("13800138000"), Err(Refusal::OutsideDialPlan));
        assert_eq!(plan.allows("138"), Ok(()));
        let err = DialPlan::new(&["(".into()], 1).unwrap_err().to_string();
        assert!(err.contains("dialplan.allow"), "{err}");
        let nothing = DialPlan::new(&[], 1).unwrap();
        assert_eq!(nothing.allows("13800138000"), Err(Refusal::OutsideDialPlan));
    }
}
