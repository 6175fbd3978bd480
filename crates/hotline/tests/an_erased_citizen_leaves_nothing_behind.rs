//! The erasure that matters, end to end. A citizen (Zhang Wei, 13800138000)
//! with a closed work order whose follow-up is due is on record; the
//! hotline starts and:
//!
//! 1. the privacy officer adds their national ID (a rectification);
//! 2. they phone and, the agent on a break, leave a voice message that
//!    opens a work order;
//! 3. they phone again and talk to the agent: the conversation is recorded;
//! 4. the agent searches for them by national ID;
//! 5. the hotline follows their closed order up: it calls them through the
//!    trunk and they press 4;
//! 6. the privacy officer erases them, and reads the receipt.
//!
//! Then nothing of theirs is left: no text column of any table holds their
//! number, name or national ID (SQLite, and PostgreSQL when
//! `HOTLINE_TEST_PG_URL` is set), no file under the data directory holds
//! them (the database file and its WAL included, the spool, the
//! recordings: both recordings are gone), no log line at info or above
//! does, and the day's call statistics are the same as before.
//!
//! Skipped loudly without SIPp; required in CI.

mod support;

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use support::console::ConsoleClient;
use support::orders::{self, DataDir};
use support::{
    agent1_on_a_break, agent_path_scripts, citizen_leaving_a_message, citizen_reaching_an_agent,
    free_port, repo_root, sipp_available, Hotline,
};

const NUMBER: &str = "13800138000";
const NAME: &str = "Zhang Wei";
const NATIONAL_ID: &str = "110101199003074518";
const REASON: &str = "the caller is on the line and gave these details";

#[test]
fn an_erased_citizen_leaves_nothing_behind_on_sqlite() {
    if !sipp_available("an_erased_citizen_leaves_nothing_behind_on_sqlite") {
        return;
    }
    erase_and_search(DataDir::new());
}

#[test]
fn an_erased_citizen_leaves_nothing_behind_on_postgresql() {
    let Ok(url) = std::env::var("HOTLINE_TEST_PG_URL") else {
        eprintln!(
            "SKIPPED an_erased_citizen_leaves_nothing_behind_on_postgresql: \
             HOTLINE_TEST_PG_URL is not set (CI sets it)"
        );
        return;
    };
    if !sipp_available("an_erased_citizen_leaves_nothing_behind_on_postgresql") {
        return;
    }
    erase_and_search(DataDir::on_postgresql(&url));
}

fn erase_and_search(data: DataDir) {
    // The citizen and their closed order, its follow-up due.
    let citizen = data.with_store(async |store| {
        let citizen = store
            .create_citizen(
                &orders::ctx("li.agent", now()),
                &hotline_store::NewCitizen {
                    full_name: NAME.into(),
                    preferred_language: Some("zh".into()),
                    phones: vec![NUMBER.into()],
                    ..Default::default()
                },
            )
            .await
            .expect("citizen");
        orders::closed_with_follow_up_due(store, citizen).await;
        citizen
    });

    let scripts = agent_path_scripts();
    std::fs::copy(
        repo_root().join("ivr_scripts/follow_up.toml"),
        scripts.path().join("follow_up.toml"),
    )
    .expect("copy the follow-up script");
    let trunk_port = free_port();
    // The follow-up is placed at start; the citizen's phone answers it and
    // presses 4 once the question has been asked, 40 s in (the intro, the
    // reference, the reply and the question take some 39 s); the other
    // steps go on meanwhile.
    let reporter = orders::reporter_rating_the_follow_up_after(trunk_port, Duration::from_secs(40));
    let outbound = format!("sip:{{number}}@127.0.0.1:{trunk_port}");
    let scripts_dir = scripts.path().display().to_string();
    let hotline = Hotline::start_with_args(
        &["--demo"],
        &[
            data.env().as_slice(),
            &[
                ("HOTLINE_IVR_SCRIPTS_DIR", &scripts_dir),
                ("HOTLINE_IVR_SCRIPT", "agent_path"),
                ("HOTLINE_SIP_OUTBOUND_URI", &outbound),
                ("HOTLINE_CONSOLE_SECURE_COOKIES", "false"),
            ],
        ]
        .concat(),
    );
    let officer = ConsoleClient::login(hotline.http, "privacy1", "privacy1-demo-pass");

    // 1. Their national ID, added on their request.
    let rectified = officer.post(
        &format!("/api/privacy/citizens/{citizen}/rectify"),
        json!({ "request": "DPR-2026-0001", "national_id": NATIONAL_ID }),
    );
    assert_eq!(rectified.status, 200, "{rectified:?}");

    // 2. A voice message while the agent is on a break: a work order.
    let (_phone, agent) = agent1_on_a_break(&hotline);
    let caller = citizen_leaving_a_message(&hotline);
    assert!(caller.succeeded(), "{}\n{}", caller.errors(), hotline.log());
    let recorded = hotline.wait_for_events("voicemail_recorded", 1, Duration::from_secs(10));
    let order = recorded[0]["event"]["case_ref"]
        .as_str()
        .expect("the message became an order")
        .to_owned();

    // 3. A conversation with the agent, recorded.
    let available = agent.post("/api/agent/state", json!({ "state": "available" }));
    assert_eq!(available.status, 200, "{available:?}");
    let talk = citizen_reaching_an_agent(&hotline).wait(Duration::from_secs(60));
    assert!(talk.succeeded(), "{}\n{}", talk.errors(), hotline.log());
    let started = hotline.wait_for_events("recording_started", 1, Duration::from_secs(10));
    assert_eq!(started.len(), 1, "{}", hotline.log());

    // 4. The agent's search by national ID.
    let found = agent.get(&format!(
        "/api/citizens?q={NATIONAL_ID}&reason={}",
        REASON.replace(' ', "%20")
    ));
    assert_eq!(found.status, 200, "{found:?}");
    assert_eq!(found.body[0]["citizen"]["id"], citizen.0, "{found:?}");

    // 5. The follow-up call, answered and scored.
    let reporter = reporter.wait(Duration::from_secs(120));
    assert!(
        reporter.succeeded(),
        "{}\n{}",
        reporter.errors(),
        hotline.log()
    );
    assert!(
        hotline.wait_for_log("follow-up recorded on the order", Duration::from_secs(15)),
        "{}",
        hotline.log()
    );

    // Both recordings are on disk, and the day's figures are read.
    let recordings = Path::new(data.path()).join("recordings");
    let files = |dir: &Path| -> Vec<String> {
        std::fs::read_dir(dir)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    let before = files(&recordings);
    assert!(
        before.iter().any(|f| f.ends_with("-conversation.wav")) && before.len() >= 2,
        "{before:?}"
    );
    let supervisor = ConsoleClient::login(hotline.http, "supervisor1", "supervisor1-demo-pass");
    let figures = || {
        ["queues", "ivr", "agents"]
            .map(|report| supervisor.get(&format!("/api/reports/{report}")).body)
    };
    let figures_before = figures();
    assert!(
        figures_before[0].to_string().contains("housing"),
        "{:?}",
        figures_before
    );

    // 6. The erasure, and its receipt.
    let receipt = officer.post(
        &format!("/api/privacy/citizens/{citizen}/erase"),
        json!({ "request": "DPR-2026-0002" }),
    );
    assert_eq!(receipt.status, 200, "{receipt:?}");
    let receipt = receipt.body;
    assert_eq!(receipt["kind"], "erasure", "{receipt}");
    assert_eq!(receipt["officer"], "privacy1", "{receipt}");
    assert!(
        receipt["details"]["removed"]["recording_files"]
            .as_u64()
            .unwrap()
            >= 2,
        "{receipt}"
    );
    assert!(
        receipt["details"]["anonymised"]["calls"].as_u64().unwrap() >= 3,
        "the message, the conversation and the follow-up call: {receipt}"
    );
    assert_eq!(figures(), figures_before, "the day's statistics stay");
    let order = supervisor.get(&format!("/api/orders/{order}"));
    assert_eq!(
        order.status, 200,
        "the work order stays, anonymised: {order:?}"
    );
    assert!(files(&recordings).is_empty(), "{:?}", files(&recordings));

    // Nothing left: the log at info and above...
    let needles = [NUMBER, NAME, NATIONAL_ID];
    for line in hotline.log().lines() {
        let level = serde_json::from_str::<Value>(line)
            .ok()
            .and_then(|v| v["level"].as_str().map(str::to_owned))
            .unwrap_or_default();
        if matches!(level.as_str(), "DEBUG" | "TRACE") {
            continue;
        }
        for needle in needles {
            assert!(
                !line.contains(needle),
                "a log line names {needle:?}: {line}"
            );
        }
    }
    let (status, _) = hotline.stop_keeping_data();
    assert!(status.success(), "{status:?}");
    // ...every text column of every table...
    let values = data.text_values();
    assert!(values.len() > 100, "the tables were read: {}", values.len());
    for (table, column, value) in values {
        for needle in needles {
            assert!(
                !value.contains(needle),
                "{table}.{column} still holds {needle:?}: {value:?}"
            );
        }
    }
    // ...and every file under the data directory.
    let mut stack = vec![Path::new(data.path()).to_path_buf()];
    let mut scanned = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read the data dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let bytes = std::fs::read(&path).expect("read a file");
            scanned += 1;
            for needle in needles {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                    "{} still holds {needle:?}",
                    path.display()
                );
            }
        }
    }
    assert!(scanned >= 3, "the data directory holds the hotline's files");
}

fn now() -> hotline_types::Timestamp {
    hotline_types::Timestamp::from_system_time(std::time::SystemTime::now())
}
