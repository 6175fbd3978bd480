//! IVR engine throughput on one core: engine steps per second, where a step
//! is one `handle_input` plus draining every action it produced.
//!
//! Runs whole calls through the shipped hotline (language, welcome, caller
//! lookup, main menu, a department queue, the agent call, the survey) and a
//! second journey with a case-status lookup and wrong keys, on simulated
//! time. Run with:
//!
//!     cargo run --release -p hotline-ivr --example ivr_bench [CALLS]

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_ivr::*;
use hotline_types::{CaseRef, Timestamp};

#[derive(Clone, Copy)]
enum Step {
    Start,
    PromptsEnd,
    Keys(&'static str),
    Timeout,
    LookupNotFound,
    LookupCase,
    AgentFinished,
}

struct Driver {
    ivr: Ivr,
    now: Instant,
    playing: Vec<PlaybackId>,
    lookup: Option<LookupId>,
    steps: u64,
    actions: u64,
}

impl Driver {
    fn feed(&mut self, input: Input) {
        self.steps += 1;
        self.ivr.handle_input(self.now, input);
        while let Some(a) = self.ivr.poll_action() {
            self.actions += 1;
            match &a {
                Action::Play { id, .. } | Action::Say { id, .. } => self.playing.push(*id),
                Action::StopPlayback { id } => self.playing.retain(|p| p != id),
                Action::Lookup(r) => self.lookup = Some(r.id),
                _ => {}
            }
            black_box(a);
        }
    }

    fn run(&mut self, step: Step, case_digits: &'static str) {
        self.now += Duration::from_millis(500);
        match step {
            Step::Start => self.feed(Input::Start),
            Step::PromptsEnd => {
                while let Some(id) = self.playing.pop() {
                    self.feed(Input::PromptFinished(id));
                }
            }
            Step::Keys(keys) => {
                let keys = if keys == "CASE" { case_digits } else { keys };
                for k in keys.chars() {
                    self.feed(Input::Digit(k));
                }
            }
            Step::Timeout => {
                if let Some(at) = self.ivr.poll_timeout() {
                    self.now = self.now.max(at);
                }
                self.feed(Input::Timeout);
            }
            Step::LookupNotFound | Step::LookupCase => {
                if let Some(id) = self.lookup.take() {
                    let outcome = if matches!(step, Step::LookupCase) {
                        LookupOutcome::Found {
                            fields: vec![
                                ("case_status".into(), "in_progress".into()),
                                ("case_department".into(), "housing".into()),
                            ],
                        }
                    } else {
                        LookupOutcome::NotFound
                    };
                    self.feed(Input::LookupResult(LookupResponse { id, outcome }));
                }
            }
            Step::AgentFinished => self.feed(Input::QueueResult(QueueOutcome::AgentFinished)),
        }
    }
}

use Step::*;

const REPORT_AND_SURVEY: &[Step] = &[
    Start,
    PromptsEnd,
    Keys("2"),
    PromptsEnd,
    LookupNotFound,
    PromptsEnd,
    Keys("2"),
    PromptsEnd,
    Keys("1"),
    PromptsEnd,
    AgentFinished,
    PromptsEnd,
    Keys("5"),
    PromptsEnd,
];

const CASE_STATUS_WITH_MISTAKES: &[Step] = &[
    Start,
    PromptsEnd,
    Keys("7"),
    PromptsEnd,
    Timeout,
    PromptsEnd,
    LookupNotFound,
    Keys("1"),
    PromptsEnd,
    Keys("CASE"),
    Keys("#"),
    LookupCase,
    PromptsEnd,
    PromptsEnd,
    PromptsEnd,
    PromptsEnd,
    Keys("9"),
    PromptsEnd,
    Keys("3"),
    Keys("2"),
    PromptsEnd,
    Keys("9"),
    Keys("0"),
    PromptsEnd,
    AgentFinished,
    PromptsEnd,
    Timeout,
    PromptsEnd,
    Keys("3"),
    PromptsEnd,
];

fn main() {
    let calls: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200_000);
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../ivr_scripts"));
    let env = Environment::new(
        [
            "housing",
            "transport",
            "social_security",
            "environment",
            "general",
        ],
        Vec::<String>::new(),
    );
    let load_started = Instant::now();
    let set = ScriptSet::load(&dir, env).expect("the shipped scripts load");
    let load_time = load_started.elapsed();
    let script: Arc<CompiledScript> = set.script("hotline").expect("hotline");
    let case = CaseRef::new(2026, 11, 20, 17).expect("valid");
    let case_digits: &'static str = Box::leak(case.digits().to_owned().into_boxed_str());
    // Monday 2026-11-23 10:00 Shanghai: open.
    let answered_at = Timestamp(1_795_399_200_000);

    let journeys = [REPORT_AND_SURVEY, CASE_STATUS_WITH_MISTAKES];
    let (mut steps, mut actions) = (0u64, 0u64);
    let started = Instant::now();
    let sim_start = Instant::now();
    for i in 0..calls {
        let mut d = Driver {
            ivr: Ivr::new(
                Arc::clone(&script),
                CallInfo {
                    caller: "13800138000".into(),
                    called: "12345".into(),
                    answered_at,
                },
            ),
            now: sim_start,
            playing: Vec::with_capacity(4),
            lookup: None,
            steps: 0,
            actions: 0,
        };
        for step in journeys[(i % 2) as usize] {
            d.run(*step, case_digits);
        }
        // Both journeys end with the survey: the benchmark measured real calls.
        assert_eq!(
            d.ivr.outcome(),
            Some(&Outcome::HungUp {
                reason: "survey_done".into()
            }),
            "journey {} ended at {:?}",
            i % 2 + 1,
            d.ivr.current_node()
        );
        steps += d.steps;
        actions += d.actions;
    }
    let elapsed = started.elapsed();
    let secs = elapsed.as_secs_f64();
    println!("load+compile of the shipped scripts (prompt catalog, calendar): {load_time:?}");
    println!("calls:        {calls}");
    println!(
        "engine steps: {steps} ({:.1} per call)",
        steps as f64 / calls as f64
    );
    println!(
        "actions:      {actions} ({:.1} per call, events included)",
        actions as f64 / calls as f64
    );
    println!("elapsed:      {elapsed:?}");
    println!("steps/s:      {:.0}", steps as f64 / secs);
    println!("calls/s:      {:.0}", calls as f64 / secs);
    println!("ns/step:      {:.0}", secs * 1e9 / steps as f64);
}
