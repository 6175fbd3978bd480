//! `hotline backup` while SIPp calls are running, `hotline restore` into
//! another data directory: every call the store had acknowledged when the
//! backup began is in the restored store, the voice message's recording is
//! there (its path pointing into the new directory, the same bytes), and a
//! hotline started on the restored data takes the demo agent's login.
//! A backup refuses a folder that is not empty; a restore refuses a data
//! directory that is not empty and a backup whose files do not match its
//! manifest.

mod support;

use std::process::{Command, Output};
use std::time::Duration;

use hotline_store::Store;
use hotline_types::CallId;
use support::{
    agent1_on_a_break, citizen_leaving_a_message, sipp_available, sipp_with_files, Hotline,
};

fn hotline_cli(data_dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(args)
        .current_dir(data_dir)
        .env("HOTLINE_LOG_LEVEL", "warn")
        .env("HOTLINE_DATABASE_DATA_DIR", data_dir)
        .env(
            "HOTLINE_DATABASE_URL",
            format!("sqlite://{}/hotline.db", data_dir.display()),
        )
        .output()
        .expect("run hotline")
}

fn ok(output: Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn refused(output: Output, what: &str) -> String {
    assert!(!output.status.success(), "{what} succeeded");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn call_id(text: &str) -> Option<CallId> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).ok()
}

async fn store_of(data_dir: &std::path::Path) -> Store {
    let key = std::fs::read(data_dir.join("national_id.key")).expect("the national-ID key");
    Store::connect(&format!("sqlite://{}/hotline.db", data_dir.display()), key)
        .await
        .expect("open the store")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_under_load_restores_every_call() {
    if !sipp_available("a_backup_under_load_restores_every_call") {
        return;
    }
    let (hotline, _scripts) = support::demo_on_the_agent_path(&[]);
    let source_dir = hotline.data_dir.path().to_path_buf();
    // A voice message first (a recording the backup must carry: the only
    // agent is on a break, so the queued citizen leaves one), then callers
    // arriving while the backup is taken.
    let (_phone, _agent) = tokio::task::block_in_place(|| agent1_on_a_break(&hotline));
    let message = tokio::task::block_in_place(|| citizen_leaving_a_message(&hotline));
    assert!(message.succeeded(), "voice message: {}", message.errors());
    let load = sipp_with_files(
        hotline.sip,
        &[
            "-sn", "uac", "-s", "12345", "-m", "20", "-r", "2", "-d", "2000",
        ],
        &[],
        Duration::from_secs(60),
    );
    tokio::task::block_in_place(|| {
        hotline.wait_for_events("ended", 8, Duration::from_secs(30));
    });

    // What the store has acknowledged when the backup begins.
    let source = store_of(&source_dir).await;
    let mut calls: Vec<CallId> = hotline
        .events()
        .iter()
        .filter_map(|e| call_id(e["call"].as_str()?))
        .collect();
    calls.sort_unstable_by_key(|c| c.to_string());
    calls.dedup();
    let mut acknowledged = Vec::new();
    for call in calls {
        if let Some(record) = source.call_record(call).await.expect("read a call") {
            if record.ended_at_ms.is_some() {
                acknowledged.push(record);
            }
        }
    }
    assert!(
        acknowledged.len() >= 8,
        "{} calls ended",
        acknowledged.len()
    );
    let voice_message = acknowledged
        .iter()
        .find(|r| r.voicemail_recording.is_some())
        .expect("the voice message's call")
        .clone();

    let backups = tempfile::tempdir().expect("temp dir");
    let target = backups.path().join("backup-1");
    let took = ok(
        hotline_cli(&source_dir, &["backup", target.to_str().unwrap()]),
        "backup",
    );
    assert!(took.contains("backed up the store and"), "{took}");
    assert!(
        took.contains("WARNING: the backup holds national_id.key"),
        "{took}"
    );
    assert!(refused(
        hotline_cli(&source_dir, &["backup", target.to_str().unwrap()]),
        "a second backup into the same folder"
    )
    .contains("is not empty"));
    let load = tokio::task::block_in_place(|| load.wait(Duration::from_secs(60)));
    assert!(
        load.succeeded(),
        "the calls during the backup: {}",
        load.errors()
    );

    // Restored elsewhere.
    let restored_dir = tempfile::tempdir().expect("temp dir");
    let restored_path = restored_dir.path().join("data");
    std::fs::create_dir_all(&restored_path).unwrap();
    let said = ok(
        hotline_cli(&restored_path, &["restore", target.to_str().unwrap()]),
        "restore",
    );
    assert!(said.contains("restored the store"), "{said}");
    assert!(refused(
        hotline_cli(&restored_path, &["restore", target.to_str().unwrap()]),
        "a restore over restored data"
    )
    .contains("is not empty"));
    let restored = store_of(&restored_path).await;
    for record in &acknowledged {
        let call = call_id(&record.call_id).unwrap();
        let again = restored
            .call_record(call)
            .await
            .unwrap()
            .unwrap_or_else(|| {
                panic!(
                    "call {} acknowledged before the backup is lost",
                    record.call_id
                )
            });
        assert_eq!(again.ended_at_ms, record.ended_at_ms);
        assert_eq!(again.ivr_path, record.ivr_path);
    }
    let call = call_id(&voice_message.call_id).unwrap();
    let moved = restored.call_record(call).await.unwrap().unwrap();
    let old_path = voice_message.voicemail_recording.unwrap();
    let new_path = moved.voicemail_recording.expect("the voice message");
    assert!(
        new_path.starts_with(&*restored_path.to_string_lossy()),
        "{new_path} points into the restored data"
    );
    assert_eq!(
        std::fs::read(&new_path).expect("the restored recording"),
        std::fs::read(&old_path).expect("the recorded one"),
        "the same recording"
    );
    restored.close().await;
    source.close().await;

    // A hotline on the restored data: the demo's accounts are there.
    let restored_url = format!("sqlite://{}/hotline.db", restored_path.display());
    let again = Hotline::start_with_args(
        &[],
        &[
            (
                "HOTLINE_DATABASE_DATA_DIR",
                &*restored_path.to_string_lossy(),
            ),
            ("HOTLINE_DATABASE_URL", &restored_url),
        ],
    );
    let login = support::console::request(
        again.http,
        "POST",
        "/api/login",
        &[],
        Some(&serde_json::json!({ "login": "agent1", "password": "agent1-demo-pass" })),
    );
    assert_eq!(login.status, 200, "{login:?}");

    // A damaged backup is refused before anything is written.
    let damaged = backups.path().join("backup-1");
    let db = damaged.join("hotline.db");
    let mut bytes = std::fs::read(&db).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&db, bytes).unwrap();
    let empty = tempfile::tempdir().expect("temp dir");
    let said = refused(
        hotline_cli(empty.path(), &["restore", damaged.to_str().unwrap()]),
        "a damaged backup",
    );
    assert!(said.contains("the backup is damaged"), "{said}");
    assert!(!empty.path().join("hotline.db").exists());
}
