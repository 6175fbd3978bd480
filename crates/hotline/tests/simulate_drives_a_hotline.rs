//! `hotline simulate` drives a running hotline end to end, with no SIPp:
//! three simulated agents register their phones (digest) and log in to the
//! console; simulated citizens call at a Poisson rate, press a key of the
//! test menu (housing or transport), wait, talk with audio while the agent's
//! key crosses the hotline's bridge, and hang up or answer the survey after
//! the agent does; the agents set dispositions. In the hotline's own call
//! events every queued call was answered by an agent and wrapped up, and
//! nothing ended in a way that blames the hotline.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{agent_path_scripts, Hotline};

const CALLS: usize = 8;

#[test]
fn simulated_agents_answer_simulated_citizens_and_wrap_up() {
    let scripts = agent_path_scripts();
    let scripts_dir = scripts.path().display().to_string();
    let hotline = Hotline::start_with_args(
        &["--demo", "--demo-agents", "3"],
        &[
            ("HOTLINE_IVR_SCRIPTS_DIR", &scripts_dir),
            ("HOTLINE_IVR_SCRIPT", "agent_path"),
            ("HOTLINE_CONSOLE_SECURE_COOKIES", "false"),
        ],
    );

    let started = Instant::now();
    let mut simulate = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(["simulate", "--sip", &hotline.sip.to_string()])
        .args(["--http", &hotline.http.to_string()])
        .args(["--agents", "3", "--calls-per-minute", "60"])
        .args(["--calls", &CALLS.to_string(), "--keys", "1|2"])
        .args(["--abandon-share", "0", "--talk", "2s..4s"])
        .args([
            "--ring",
            "0.3s..1s",
            "--wrap-up",
            "0.3s..1s",
            "--key-gap",
            "1s",
        ])
        .args(["--drain", "90s", "--report-every", "2s"])
        .args(["--rtp-ports", "31000-31999", "--seed", "7"])
        .current_dir(hotline.data_dir.path())
        .env("HOTLINE_LOG_LEVEL", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start hotline simulate");
    let deadline = started + Duration::from_secs(150);
    let status = loop {
        if let Some(status) = simulate.try_wait().expect("simulate's status") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = simulate.kill();
            break simulate.wait().expect("simulate's status");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let output = simulate.wait_with_output().expect("simulate's output");
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    let errors = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        status.success(),
        "simulate failed ({status}):\n{report}\n{errors}\n--- hotline ---\n{}",
        hotline.log()
    );
    assert!(
        report.contains("3 agents registered their phones"),
        "{report}"
    );
    assert_eq!(
        figure(&report, "calls placed"),
        Some(CALLS as u64),
        "{report}"
    );
    assert_eq!(
        figure(&report, "reached an agent"),
        Some(CALLS as u64),
        "{report}"
    );
    assert_eq!(figure(&report, "completed"), Some(CALLS as u64), "{report}");
    assert_eq!(
        figure(&report, "failed (the hotline's fault)"),
        Some(0),
        "{report}"
    );

    // The hotline's own account of every call (its last `ended` may be
    // logged a moment after the simulator saw the call end).
    hotline.wait_for_events("ended", CALLS, Duration::from_secs(10));
    hotline.wait_for_events("wrap_up_done", CALLS, Duration::from_secs(10));
    let events = hotline.events();
    let mut by_call: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for event in &events {
        let call = event["call"].as_str().unwrap_or_default().to_owned();
        let kind = event["kind"].as_str().unwrap_or_default().to_owned();
        by_call.entry(call).or_default().push(kind);
    }
    let calls_with = |kind: &str| -> BTreeSet<&String> {
        by_call
            .iter()
            .filter(|(_, kinds)| kinds.iter().any(|k| k == kind))
            .map(|(call, _)| call)
            .collect()
    };
    let started_calls = calls_with("call_started");
    let queued = calls_with("queued");
    let answered = calls_with("agent_answered");
    let wrapped = calls_with("wrap_up_done");
    let ended = calls_with("ended");
    assert_eq!(started_calls.len(), CALLS, "{report}\n{by_call:#?}");
    assert_eq!(
        queued, started_calls,
        "every call reached a queue: {by_call:#?}"
    );
    assert_eq!(
        answered, queued,
        "an agent answered every queued call: {by_call:#?}"
    );
    assert_eq!(
        wrapped, answered,
        "every answered call was wrapped up: {by_call:#?}"
    );
    assert_eq!(ended, started_calls, "every call ended: {by_call:#?}");
    assert!(
        calls_with("abandoned").is_empty() && calls_with("ring_no_answer").is_empty(),
        "{by_call:#?}"
    );
    for event in events.iter().filter(|e| e["kind"] == "ended") {
        let cause = event["event"]["cause"].as_str().unwrap_or_default();
        assert!(
            // The citizen's BYE, or the hotline's after the survey.
            ["bye", "local_hangup"].contains(&cause),
            "a call ended badly: {event}\n{report}"
        );
    }
    let dispositions: BTreeSet<String> = events
        .iter()
        .filter(|e| e["kind"] == "wrap_up_done")
        .filter_map(|e| e["event"]["disposition"].as_str().map(str::to_owned))
        .collect();
    assert!(!dispositions.is_empty());
    let agents: BTreeSet<String> = events
        .iter()
        .filter(|e| e["kind"] == "agent_answered")
        .filter_map(|e| e["event"]["agent"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        agents,
        ["agent1", "agent2"].map(String::from).into(),
        "housing and transport agents both worked"
    );
}

/// The number on the report line that starts with `label`.
fn figure(report: &str, label: &str) -> Option<u64> {
    report
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with(label))?
        .rsplit(' ')
        .next()?
        .parse()
        .ok()
}
