//! The script writers' tools: `check` lists problems with file:line,
//! `graph` draws every node and edge, `simulate` walks a script from typed
//! commands and shows prompts, actions and events.

mod common;

use common::*;
use hotline_ivr::*;
use hotline_types::CaseRef;

fn hotline() -> std::sync::Arc<CompiledScript> {
    ScriptSet::load(shipped_dir(), hotline_environment())
        .expect("loads")
        .script("hotline")
        .expect("hotline")
}

#[test]
fn graph_draws_every_node_and_edge_in_dot_and_mermaid() {
    let script = hotline();
    let g = graph(&script);
    assert!(g.dot.starts_with("digraph \"hotline\" {"));
    assert!(g.dot.trim_end().ends_with('}'));
    assert!(g.mermaid.starts_with("flowchart TD\n"));
    for id in script.node_ids() {
        assert!(
            g.dot.contains(&format!("\"{id}\" [shape=")),
            "{id} missing from DOT"
        );
        assert!(
            g.mermaid.contains(&format!("  n_{id}[")) || g.mermaid.contains(&format!("  n_{id}{{")),
            "{id} missing from Mermaid"
        );
    }
    assert!(g
        .dot
        .contains("\"main_menu\" -> \"case_enter\" [label=\"1\"];"));
    assert!(g
        .mermaid
        .contains("n_report_menu -->|\"1\"| n_connect_housing"));
    // The recording notice waits for a key like a menu, and leads on.
    assert!(g
        .dot
        .contains("\"recording_notice\" [shape=box, label=\"recording_notice\\n[consent]\"];"));
    assert!(g.dot.contains("\"welcome\" -> \"recording_notice\";"));
    assert!(g
        .dot
        .contains("\"recording_notice\" -> \"identify_caller\";"));
    assert!(g
        .mermaid
        .contains("n_recording_notice --> n_identify_caller"));
    assert!(g
        .dot
        .contains("\"queue_housing\" -> \"survey\" [label=\"after agent\"];"));
}

#[test]
fn simulate_walks_the_case_status_menu_from_typed_commands() {
    let case = CaseRef::new(2026, 11, 20, 17).expect("valid");
    let commands = format!(
        "; choose English, agree to the recording (no key), unknown caller, case status\n2\nt\nnotfound\n1\n{}#\nfound case_status=closed case_department=transport\n\n\n\n\nh\n",
        case.digits()
    );
    let mut out = Vec::new();
    let outcome = simulate(
        hotline(),
        CallInfo {
            caller: "13800138000".into(),
            called: "12345".into(),
            answered_at: monday_10am(),
        },
        commands.as_bytes(),
        &mut out,
    )
    .expect("runs");
    let text = String::from_utf8(out).expect("utf-8");
    for needle in [
        "zh/choose_language.wav",
        "en/welcome.wav",
        "en/recording_notice.wav",
        "✓ consent recording: granted (no key in time)",
        "? lookup CitizenByCaller",
        "? lookup CaseStatus",
        "LanguageSelected",
        "en/status_closed.wav",
        "en/dept_transport.wav",
        "♪ say [en] CaseRef",
    ] {
        assert!(text.contains(needle), "{needle:?} not in:\n{text}");
    }
    assert_eq!(
        outcome,
        Some(Outcome::CallerHungUp {
            node: Some("case_after".into())
        })
    );
}

#[test]
fn simulate_shows_the_callers_choice_at_the_recording_notice() {
    let mut out = Vec::new();
    simulate(
        hotline(),
        CallInfo {
            caller: "13800138000".into(),
            called: "12345".into(),
            answered_at: monday_10am(),
        },
        // Mandarin; 9 once the welcome and the notice have been heard.
        "1\n9\nh\n".as_bytes(),
        &mut out,
    )
    .expect("runs");
    let text = String::from_utf8(out).expect("utf-8");
    for needle in [
        "zh/recording_notice.wav",
        "✗ consent recording: declined",
        "ConsentRecorded { purpose: \"recording\", granted: false, channel: \"phone_ivr\" }",
        "VariableSet { name: \"consent_recording\", value: \"declined\" }",
        "? lookup CitizenByCaller",
    ] {
        assert!(text.contains(needle), "{needle:?} not in:\n{text}");
    }
}

#[test]
fn simulate_explains_commands_it_does_not_know() {
    let mut out = Vec::new();
    let outcome = simulate(
        hotline(),
        CallInfo {
            caller: String::new(),
            called: "12345".into(),
            answered_at: monday_10am(),
        },
        "dance\nfound\nt\n".as_bytes(),
        &mut out,
    )
    .expect("runs");
    let text = String::from_utf8(out).expect("utf-8");
    assert!(text.contains("unknown command \"dance\""), "{text}");
    assert!(text.contains("(no lookup pending)"), "{text}");
    assert!(text.contains("MenuRetry"), "{text}");
    assert_eq!(outcome, None);
    assert!(
        text.contains("input ended at node Some(\"language\")"),
        "{text}"
    );
}

#[test]
fn check_reports_problems_as_file_line_level_message_and_fix() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("check_tool");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        dir.join("a.toml"),
        "[script]\nname = \"a\"\nstart = \"q\"\nlanguages = [\"zh\"]\ndefault_language = \"zh\"\n\n[[queue]]\nid = \"q\"\nqueue = \"nowhere\"\noverflow = \"q\"\n",
    )
    .expect("write");
    let report = check(&dir, &hotline_environment()).expect("readable");
    assert!(report.has_errors());
    let line = report.to_string();
    assert!(
        line.contains("a.toml:9: error: queue \"nowhere\" is not defined in the configuration (fix: define the queue"),
        "{line}"
    );
    assert!(line.ends_with("1 error(s), 0 warning(s)"), "{line}");
}

#[test]
fn check_replays_transcripts_and_reports_the_one_that_no_longer_holds() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("check_transcripts");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("transcripts")).expect("mkdir");
    std::fs::write(
        dir.join("a.toml"),
        "[script]\nname = \"a\"\nstart = \"bye\"\nlanguages = [\"zh\"]\ndefault_language = \"zh\"\n\n[[hangup]]\nid = \"bye\"\nreason = \"done\"\n",
    )
    .expect("write");
    std::fs::write(
        dir.join("transcripts/ok.txt"),
        "script a\nexpect node bye\nexpect outcome hung_up done\n",
    )
    .expect("write");
    std::fs::write(
        dir.join("transcripts/stale.txt"),
        "script a\nexpect node bye\nexpect outcome hung_up agent_call_done\n",
    )
    .expect("write");
    let report = check(&dir, &hotline_environment()).expect("readable");
    let errors: Vec<&Problem> = report.errors().collect();
    assert_eq!(errors.len(), 1, "{report}");
    assert!(errors[0].file.ends_with("transcripts/stale.txt"));
    assert_eq!(errors[0].line, 3);
    assert!(errors[0]
        .message
        .contains("expected `outcome hung_up agent_call_done`"));
}
