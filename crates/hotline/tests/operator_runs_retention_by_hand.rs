//! An operator runs `hotline retention run` on a data folder holding calls
//! of simulated dates: a dry run lists what would go and deletes nothing;
//! the run deletes the recordings past 90 days and the voice messages past
//! 365 (files and references), blanks the numbers of calls past 365 days,
//! keeps everything newer, and prints the figures; `--now` of an earlier
//! date forgets less, and a `--now` later than tomorrow is refused without
//! `--dry-run`. Needs nothing external.

mod support;

use std::process::{Command, Output};

use support::orders::DataDir;
use support::retention::*;

fn hotline(data: &DataDir, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hotline"));
    command
        .arg("retention")
        .arg("run")
        .args(args)
        .env("HOTLINE_LOG_LEVEL", "warn");
    for (key, value) in data.env() {
        command.env(key, value);
    }
    command.output().expect("run hotline")
}

fn ok(data: &DataDir, args: &[&str]) -> String {
    let out = hotline(data, args);
    assert!(
        out.status.success(),
        "hotline retention run {args:?}:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn operator_runs_retention_by_hand() {
    let data = DataDir::new();
    let dir = recordings_dir(&data);
    let (
        talk_100,
        talk_100_file,
        talk_10,
        talk_10_file,
        message_400,
        message_400_file,
        message_30_file,
    ) = data.with_store(async |store| {
        let (talk_100, f100) = recorded_call(store, &dir, "13800001000", 100).await;
        let (talk_10, f10) = recorded_call(store, &dir, "13800001001", 10).await;
        let (message_400, m400) = voice_message(store, &dir, 400).await;
        let (_, m30) = voice_message(store, &dir, 30).await;
        (talk_100, f100, talk_10, f10, message_400, m400, m30)
    });

    // Forty days ago, the recording of 100 days ago was 60 days old.
    let forty_days_ago = jiff::Timestamp::from_millisecond(now().0 - 40 * DAY_MS)
        .unwrap()
        .to_string();
    let earlier = ok(&data, &["--dry-run", "--now", &forty_days_ago]);
    assert!(
        earlier.contains("conversation recordings") && earlier.contains("would forget 0"),
        "{earlier}"
    );

    let dry = ok(&data, &["--dry-run"]);
    assert!(dry.contains("dry run: nothing changed"), "{dry}");
    assert!(dry.contains("files that would be deleted: 2"), "{dry}");
    assert!(
        talk_100_file.exists() && message_400_file.exists(),
        "a dry run deletes nothing"
    );

    let refused = hotline(&data, &["--now", "2099-01-01"]);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("--dry-run"), "{err}");

    let record = std::path::Path::new(data.env()[1].1).join("retention.json");
    assert!(
        !record.exists(),
        "dry runs and other dates are not the day's run"
    );
    let done = ok(&data, &[]);
    assert!(
        record.exists(),
        "the day's run is recorded: serve's schedule counts from it"
    );
    assert!(
        done.contains("files deleted: 1 recordings, 1 voice messages; 0 already gone"),
        "{done}"
    );
    assert!(done.contains("forgot those of 1 calls"), "{done}");
    assert!(!talk_100_file.exists(), "past 90 days");
    assert!(!message_400_file.exists(), "past 365 days");
    assert!(
        talk_10_file.exists() && message_30_file.exists(),
        "newer files stay"
    );

    data.with_store(async |store| {
        let record = |call| async move { store.call_record(call).await.unwrap().unwrap() };
        assert_eq!(record(talk_100).await.recording, None);
        assert_eq!(
            record(talk_100).await.caller.as_deref(),
            Some("13800001000"),
            "100 days: the number stays"
        );
        assert!(record(talk_10).await.recording.is_some());
        let message = record(message_400).await;
        assert_eq!(
            message.voicemail_recording.as_deref(),
            Some(hotline_store::EXPIRED)
        );
        assert_eq!((message.caller, message.sip_call_id), (None, None));
    });

    // Again: nothing is left to do.
    let again = ok(&data, &[]);
    assert!(
        again.contains("files deleted: 0 recordings, 0 voice messages"),
        "{again}"
    );
}
