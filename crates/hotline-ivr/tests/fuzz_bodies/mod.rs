//! The body of the `ivr_loader` fuzz target, shared by `fuzz/` (libFuzzer,
//! nightly) and `tests/fuzz_smoke.rs` (a bounded seeded run on stable, in CI).
//!
//! The input is script text, optionally followed by a NUL and the text of a
//! holiday calendar that the script can name as `holidays = "cal.toml"`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_ivr::*;

/// The prompts the scanned catalog has, in `en` and `zh`.
pub const PROMPTS: [&str; 6] = [
    "main_menu",
    "welcome",
    "invalid_choice",
    "no_input",
    "goodbye",
    "connecting",
];

/// A directory per thread (smoke tests run in parallel) with the prompt
/// catalog's files and the calendar of the current input.
struct Workdir {
    dir: tempfile::TempDir,
    prompts: PromptCatalog,
}

impl Workdir {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        for language in ["en", "zh"] {
            let sub = dir.path().join("prompts").join(language);
            std::fs::create_dir_all(&sub).expect("prompt directory");
            for name in PROMPTS {
                std::fs::write(sub.join(format!("{name}.wav")), b"").expect("prompt file");
            }
        }
        let prompts = PromptCatalog::scan(&dir.path().join("prompts")).expect("scan");
        Self { dir, prompts }
    }
}

thread_local! {
    static WORKDIR: Workdir = Workdir::new();
}

/// Any text as a script (and a calendar): never a panic. A refused script
/// comes with at least one error, every problem with a message, a fix and
/// a line inside its file; an accepted one has no error and runs a call
/// from `Start` through prompts, lookups, keys and timeouts without a panic.
pub fn ivr_loader(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (script, calendar) = text.split_once('\0').unwrap_or((&text, ""));
    WORKDIR.with(|w| {
        // Calendar paths are joined to the base directory and read: only a
        // script with no '/' (and no '\', which could escape one) may name
        // a file, and then only one in this directory (never /dev/zero).
        // Without a backslash the `holidays` key is spelt out, so the file
        // is written (a syscall per input) only when it can be read.
        let base_dir: Option<PathBuf> = if script.contains(['/', '\\']) {
            None
        } else {
            if script.contains("holidays") {
                std::fs::write(w.dir.path().join("cal.toml"), calendar).expect("calendar file");
            }
            Some(w.dir.path().to_path_buf())
        };
        let ctx = CompileContext {
            environment: Environment::new(["general", "housing"], ["emergency_110"]),
            prompts: w.prompts.clone(),
            base_dir,
            version: 1,
        };
        let (compiled, problems) = compile_script(Path::new("fuzz.toml"), script, &ctx);
        check_problems(&problems, script, calendar);
        let has_error = problems.iter().any(|p| p.severity == Severity::Error);
        match compiled {
            None => assert!(has_error, "refused without an error: {problems:?}"),
            Some(compiled) => {
                assert!(!has_error, "accepted with an error: {problems:?}");
                run_a_call(Arc::new(compiled));
            }
        }
    });
}

fn check_problems(problems: &[Problem], script: &str, calendar: &str) {
    for p in problems {
        let text = if p.file.ends_with("cal.toml") {
            calendar
        } else {
            script
        };
        let lines = text.split('\n').count();
        assert!(
            usize::try_from(p.line).is_ok_and(|l| l <= lines),
            "line {} of a {lines}-line file: {p}",
            p.line
        );
        assert!(!p.message.is_empty() && !p.fix.is_empty(), "{p:?}");
        let _ = p.to_string();
    }
}

/// Drives one call: finishes prompts, answers lookups "not found", presses
/// a few keys and lets timeouts fire, a bounded number of times.
fn run_a_call(script: Arc<CompiledScript>) {
    let call = CallInfo {
        caller: "13800138000".into(),
        called: "12345".into(),
        answered_at: hotline_types::Timestamp(1_795_399_200_000),
    };
    let mut ivr = Ivr::new(script, call);
    let mut now = Instant::now();
    ivr.handle_input(now, Input::Start);
    let mut keys = "1#20*9".chars().cycle();
    for _ in 0..32 {
        let mut replies = Vec::new();
        for action in std::iter::from_fn(|| ivr.poll_action()).take(256) {
            match action {
                Action::Play { id, .. } | Action::Say { id, .. } => {
                    replies.push(Input::PromptFinished(id))
                }
                Action::Lookup(request) => replies.push(Input::LookupResult(LookupResponse {
                    id: request.id,
                    outcome: LookupOutcome::NotFound,
                })),
                _ => {}
            }
        }
        if ivr.is_finished() {
            return;
        }
        if replies.is_empty() {
            match ivr.poll_timeout() {
                Some(at) if at.saturating_duration_since(now) < Duration::from_secs(600) => {
                    now = now.max(at);
                    replies.push(Input::Timeout);
                }
                _ => replies.push(Input::Digit(keys.next().unwrap_or('1'))),
            }
        }
        for input in replies {
            ivr.handle_input(now, input);
        }
    }
    ivr.handle_input(now, Input::Hangup);
}
