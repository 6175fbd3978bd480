//! What `hotline simulate` counts, the live one-line summary and the final
//! report.
//!
//! Outcomes of a simulated citizen's call, each counted once:
//! - **reached an agent**: a simulated agent answered it (a subset of the
//!   calls placed, counted when the agent's phone is connected);
//! - **completed**: it ended normally after the agent (either side hung up,
//!   with or without the survey);
//! - **abandoned**: the caller ran out of patience while waiting;
//! - **ended before an agent**: the hotline ended it in the menus (a
//!   goodbye, a voice message, an overflow rule): not the hotline's fault,
//!   but worth a look;
//! - **cut at the end**: still going when the run stopped;
//! - **failed**: something the hotline is to blame for: an INVITE refused
//!   or unanswered, RTP that stopped, the agent's audio that never reached
//!   the caller, a console request answered 5xx. Any failure makes the run
//!   exit non-zero.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Counters shared by every simulated caller and agent.
#[derive(Debug, Default)]
pub struct Tally {
    pub placed: AtomicU64,
    pub answered: AtomicU64,
    pub reached_agent: AtomicU64,
    pub abandoned: AtomicU64,
    pub completed: AtomicU64,
    pub ended_before_agent: AtomicU64,
    pub cut_at_end: AtomicU64,
    pub surveys: AtomicU64,
    /// Calls up now, and of them with an agent.
    pub active: AtomicI64,
    pub talking: AtomicI64,
    /// Agent side.
    pub pops: AtomicU64,
    pub agent_answers: AtomicU64,
    pub agent_hangups: AtomicU64,
    pub wrap_ups: AtomicU64,
    pub wrap_ups_late: AtomicU64,
    pub ring_no_answer: AtomicU64,
    agent_states: Mutex<BTreeMap<String, i64>>,
    failures: Mutex<BTreeMap<String, u64>>,
}

impl Tally {
    pub fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// A failure the hotline is to blame for, by cause.
    pub fn fail(&self, cause: impl Into<String>) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        *failures.entry(cause.into()).or_default() += 1;
    }

    pub fn failed(&self) -> u64 {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .sum()
    }

    /// An agent moved from state `from` (None: just started) to `to`.
    pub fn agent_state(&self, from: Option<&str>, to: &str) {
        let mut states = self.agent_states.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(from) = from {
            *states.entry(from.to_owned()).or_default() -= 1;
        }
        *states.entry(to.to_owned()).or_default() += 1;
    }

    fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// The live line: `[  35s] placed 33 · reached 21 · ...` (with only
    /// agents here: what they answered and wrapped up).
    pub fn live_line(&self, elapsed: Duration, callers_here: bool) -> String {
        let states = self.agent_states.lock().unwrap_or_else(|e| e.into_inner());
        let agents: Vec<String> = states
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(state, n)| format!("{n} {state}"))
            .collect();
        let agents = if agents.is_empty() {
            String::new()
        } else {
            format!(" · agents: {}", agents.join(", "))
        };
        if !callers_here {
            return format!(
                "[{:>5.0}s] answered by the agents {} · hung up by them {} · wrap-ups {} · failed {} · now {} talking{agents}",
                elapsed.as_secs_f64(),
                Self::get(&self.agent_answers),
                Self::get(&self.agent_hangups),
                Self::get(&self.wrap_ups),
                self.failed(),
                self.talking.load(Ordering::Relaxed),
            );
        }
        let completed = Self::get(&self.completed);
        format!(
            "[{:>5.0}s] placed {} · reached an agent {} · abandoned {} · completed {} ({:.2}/s) · failed {} · now {} up, {} talking{agents}",
            elapsed.as_secs_f64(),
            Self::get(&self.placed),
            Self::get(&self.reached_agent),
            Self::get(&self.abandoned),
            completed,
            completed as f64 / elapsed.as_secs_f64().max(0.001),
            self.failed(),
            self.active.load(Ordering::Relaxed),
            self.talking.load(Ordering::Relaxed),
        )
    }

    /// The final report, with `elapsed` the whole run.
    pub fn final_report(&self, elapsed: Duration, callers_here: bool) -> String {
        let mut out = String::new();
        let secs = elapsed.as_secs_f64().max(0.001);
        let completed = Self::get(&self.completed);
        let line = |out: &mut String, label: &str, value: u64| {
            let _ = writeln!(out, "  {label:<38} {value:>8}");
        };
        let _ = writeln!(out, "hotline simulate: {secs:.1} s");
        if callers_here {
            line(&mut out, "calls placed", Self::get(&self.placed));
            line(
                &mut out,
                "answered by the hotline",
                Self::get(&self.answered),
            );
            line(&mut out, "reached an agent", Self::get(&self.reached_agent));
            line(
                &mut out,
                "abandoned while waiting",
                Self::get(&self.abandoned),
            );
            line(&mut out, "completed", completed);
            line(
                &mut out,
                "ended by the hotline before an agent",
                Self::get(&self.ended_before_agent),
            );
            line(
                &mut out,
                "still up when the run ended",
                Self::get(&self.cut_at_end),
            );
            line(&mut out, "surveys answered", Self::get(&self.surveys));
            let _ = writeln!(
                out,
                "  {:<38} {:>8.2}",
                "calls completed per second",
                completed as f64 / secs
            );
        }
        let answers = Self::get(&self.agent_answers);
        if answers > 0 || Self::get(&self.pops) > 0 {
            line(&mut out, "screen-pops to the agents", Self::get(&self.pops));
            line(&mut out, "calls answered by the agents", answers);
            line(
                &mut out,
                "hung up by the agents",
                Self::get(&self.agent_hangups),
            );
            line(
                &mut out,
                "wrap-ups with a disposition",
                Self::get(&self.wrap_ups),
            );
            line(
                &mut out,
                "wrap-ups ended by the timer first",
                Self::get(&self.wrap_ups_late),
            );
            line(&mut out, "ring-no-answer", Self::get(&self.ring_no_answer));
        }
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        line(
            &mut out,
            "failed (the hotline's fault)",
            failures.values().sum(),
        );
        for (cause, n) in failures.iter() {
            let _ = writeln!(out, "    {n:>6} × {cause}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_counted_by_cause_and_reported() {
        let tally = Tally::default();
        Tally::add(&tally.placed);
        Tally::add(&tally.completed);
        tally.fail("INVITE answered 503");
        tally.fail("INVITE answered 503");
        tally.agent_state(None, "available");
        tally.agent_state(Some("available"), "on_call");
        assert_eq!(tally.failed(), 2);
        let live = tally.live_line(Duration::from_secs(10), true);
        assert!(live.contains("completed 1 (0.10/s)"), "{live}");
        assert!(live.contains("agents: 1 on_call"), "{live}");
        let report = tally.final_report(Duration::from_secs(10), true);
        assert!(report.contains("2 × INVITE answered 503"), "{report}");
    }
}
