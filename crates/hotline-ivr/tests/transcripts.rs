//! The scenario transcripts shipped in `ivr_scripts/transcripts/` replay
//! against the shipped scripts, and a wrong expectation fails on its line
//! with what was observed instead.

mod common;

use common::*;
use hotline_ivr::*;

/// The failing line and message of a transcript that must fail.
fn failure(text: &str) -> (usize, String) {
    match run_transcript(&bundle(), text) {
        Err(IvrError::TranscriptFailed { line, message }) => (line, message),
        other => panic!("expected a transcript failure, got {other:?}"),
    }
}

fn bundle() -> std::sync::Arc<ScriptBundle> {
    ScriptSet::load(shipped_dir(), hotline_environment())
        .expect("loads")
        .current()
}

#[test]
fn every_shipped_transcript_replays() {
    let bundle = bundle();
    let mut count = 0;
    for entry in std::fs::read_dir(shipped_dir().join("transcripts")).expect("dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "txt") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        if let Err(e) = run_transcript(&bundle, &text) {
            panic!("{}: {e}", path.display());
        }
        count += 1;
    }
    assert!(count >= 5, "only {count} transcripts");
}

#[test]
fn a_wrong_expectation_fails_on_its_line_and_shows_what_happened() {
    let text = "script hotline\nanswered 2026-11-23 10:00 Asia/Shanghai\n\npress 1\nexpect prompt zh/welcome\nexpect prompt en/welcome\n";
    let (line, message) = failure(text);
    assert_eq!(line, 6);
    assert!(
        message.contains("expected `prompt en/welcome`"),
        "{message}"
    );
    assert!(message.contains("outcome none"), "{message}");
}

#[test]
fn expectations_must_come_in_order() {
    let text = "script hotline\nanswered 2026-11-23 10:00 Asia/Shanghai\n\npress 1\nexpect prompt zh/welcome\nexpect prompt zh/choose_language\n";
    assert_eq!(failure(text).0, 6);
}

#[test]
fn commands_that_cannot_apply_are_reported() {
    for (text, needle) in [
        ("script hotline\nnotfound\n", "no lookup is pending"),
        ("script hotline\npress x\n", "takes keys"),
        ("script hotline\ndance\n", "unknown command `dance`"),
        ("script nosuch\npress 1\n", "no IVR script named"),
        ("press 1\n", "name the script first"),
        (
            "script hotline\nanswered yesterday\n",
            "answered YYYY-MM-DD",
        ),
    ] {
        let (_, message) = failure(text);
        assert!(message.contains(needle), "{text:?}: {message}");
    }
}
