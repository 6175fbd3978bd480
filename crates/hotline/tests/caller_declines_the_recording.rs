//! Issue 14's recording notice, end to end over loopback: the demo citizen
//! (13800138000, Chen Jing) calls, presses 9 by RFC 4733 while the notice
//! plays, is queued, reaches the demo agent (SIPp echoing RTP) and talks.
//! The agent's screen-pop shows the choice; afterwards no conversation
//! recording exists for the call (recording is on by default), the call's
//! events hold the consent, and the citizen's record has recording declined
//! through `phone_ivr` with the audit entry of the IVR through that call.

mod support;

use std::time::Duration;

use hotline_store::{Access, AuditContext, Store};
use hotline_types::{CallEvent, CallId, Timestamp};
use serde_json::json;
use support::console::ConsoleClient;
use support::{agent_phone, sipp_available, sipp_with_files, voice_ulaw, Hotline};

/// A scripts folder with the test menu `recording_notice` (the shipped
/// notice, then the housing queue at any hour) and the shipped prompts.
fn recording_notice_scripts() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = support::repo_root();
    std::fs::copy(
        root.join("tests/ivr/recording_notice.toml"),
        dir.path().join("recording_notice.toml"),
    )
    .expect("copy the test script");
    std::os::unix::fs::symlink(root.join("ivr_scripts/prompts"), dir.path().join("prompts"))
        .expect("link the prompts");
    dir
}

#[test]
fn a_caller_who_declines_the_recording_talks_unrecorded() {
    if !sipp_available("a_caller_who_declines_the_recording_talks_unrecorded") {
        return;
    }
    let scripts = recording_notice_scripts();
    let scripts_dir = scripts.path().display().to_string();
    let hotline = Hotline::start_with_args(
        &["--demo"],
        &[
            ("HOTLINE_IVR_SCRIPTS_DIR", &scripts_dir),
            ("HOTLINE_IVR_SCRIPT", "recording_notice"),
            ("HOTLINE_CONSOLE_SECURE_COOKIES", "false"),
        ],
    );
    let phone = agent_phone(&hotline, "agent1", "agent1-sip-pass");
    let agent = ConsoleClient::login(hotline.http, "agent1", "agent1-demo-pass");
    let socket = agent.open_socket();
    assert_eq!(agent.post("/api/agent/login", json!({})).status, 200);
    assert!(
        socket.wait_for_state("available", Duration::from_secs(5)),
        "{:?}",
        socket.all()
    );

    let citizen = sipp_with_files(
        hotline.sip,
        &[
            "-sf",
            &support::scenario("citizen_declines_the_recording.xml"),
            "-s",
            "12345",
            "-m",
            "1",
        ],
        &[("voice.ul", &voice_ulaw(12))],
        Duration::from_secs(40),
    );

    let (_, pop) = socket
        .wait_for("pop", Duration::from_secs(20))
        .unwrap_or_else(|| panic!("no screen-pop: {:?}\n{}", socket.all(), hotline.log()));
    assert_eq!(pop["queue"], "housing", "{pop}");
    assert!(
        pop["ivr_vars"]
            .to_string()
            .contains(r#"["consent_recording","declined"]"#),
        "the agent sees that the caller declined the recording: {pop}"
    );
    let call = pop["call"].as_str().expect("the call id").to_owned();
    assert!(
        socket
            .wait_for("answered", Duration::from_secs(10))
            .is_some(),
        "{:?}\n{}",
        socket.all(),
        hotline.log()
    );

    let citizen = citizen.wait(Duration::from_secs(40));
    assert!(citizen.succeeded(), "citizen: {}", citizen.errors());
    assert!(socket.wait_for_state("wrap_up", Duration::from_secs(10)));
    let phone = phone.wait(Duration::from_secs(10));
    assert!(phone.succeeded(), "agent phone: {}", phone.errors());
    // They talked: the bridge carried RTP both ways, unrecorded.
    assert!(hotline.wait_for_log("agent leg figures", Duration::from_secs(5)));
    assert!(
        hotline.log().contains("the conversation is not recorded"),
        "{}",
        hotline.log()
    );

    let (status, data) = hotline.stop_keeping_data();
    assert!(status.success());
    let recordings: Vec<String> = std::fs::read_dir(data.path().join("recordings"))
        .expect("the recordings folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !recordings
            .iter()
            .any(|f| f.starts_with(&call) && f.ends_with("-conversation.wav")),
        "no conversation recording for {call}: {recordings:?}"
    );

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let key = std::fs::read(data.path().join("national_id.key")).expect("the key");
        let url = format!("sqlite://{}/hotline.db", data.path().display());
        let store = Store::connect(&url, key).await.expect("open the store");
        let call_id = CallId(call.parse().expect("a uuid"));
        let record = store
            .call_record(call_id)
            .await
            .expect("query")
            .expect("a call record");
        assert_eq!(record.agent.as_deref(), Some("agent1"), "{record:?}");
        assert!(record.talk_ms.is_some_and(|t| t > 3_000), "{record:?}");
        assert_eq!(record.recording, None, "{record:?}");
        let events = store.call_events(call_id).await.expect("events");
        assert!(
            events.iter().any(|e| e.event
                == CallEvent::ConsentRecorded {
                    purpose: "recording".into(),
                    granted: false,
                    channel: "phone_ivr".into(),
                }),
            "{events:?}"
        );
        assert!(
            !events
                .iter()
                .any(|e| matches!(e.event, CallEvent::RecordingStarted { .. })),
            "{events:?}"
        );

        let now = Timestamp::from_system_time(std::time::SystemTime::now());
        let admin = AuditContext {
            actor: "test".into(),
            access: Access::Administration,
            reason: "checking the consent".into(),
            at: now,
        };
        let records = store
            .citizen_by_phone(&admin, "13800138000")
            .await
            .expect("the demo citizen");
        let chen = &records[0].citizen;
        assert_eq!(chen.full_name.as_deref(), Some("Chen Jing"));
        let consent = chen
            .consents
            .iter()
            .find(|c| c.what == "recording")
            .unwrap_or_else(|| panic!("a recording consent: {:?}", chen.consents));
        assert_eq!(
            (consent.granted, consent.channel.as_str()),
            (0, "phone_ivr")
        );
        let audit = store.audit_trail(&admin, chen.id).await.expect("audit");
        let entry = audit
            .iter()
            .find(|e| e.action == "record_consent")
            .unwrap_or_else(|| panic!("an audit entry of the consent: {audit:?}"));
        assert_eq!(entry.actor, "ivr");
        assert_eq!(entry.via_call.as_deref(), Some(call.as_str()));
        assert_eq!(entry.reason, "caller's choice in the IVR");
    });
}
