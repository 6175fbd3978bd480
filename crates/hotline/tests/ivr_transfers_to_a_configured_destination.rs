//! The IVR's transfer node sends the caller to a destination named in the
//! configuration (here a SIPp UAS standing in for another service's desk):
//! the hotline places the leg, bridges it, and ends the call when the
//! caller hangs up. Callers can never make it dial a number of their own.

mod support;

use std::time::Duration;

use support::{free_port, sipp_available, sipp_with_files, Hotline};

const SCRIPT: &str = r#"
[script]
name = "transfer_test"
description = "1 transfers the caller to the configured desk."
start = "menu"
languages = ["zh", "en"]
default_language = "zh"

[[menu]]
id = "menu"
prompts = ["main_menu"]
keys = { "1" = "to_desk" }
timeout_ms = 8000
retries = 1
invalid_prompt = "invalid_choice"
timeout_prompt = "no_input"
after_retries = "goodbye"

[[transfer]]
id = "to_desk"
destination = "desk"

[[hangup]]
id = "goodbye"
prompts = ["goodbye"]
reason = "ivr_hangup"
"#;

#[test]
fn the_ivr_transfers_to_a_configured_destination() {
    if !sipp_available("the_ivr_transfers_to_a_configured_destination") {
        return;
    }
    let scripts = tempfile::tempdir().expect("temp dir");
    std::fs::write(scripts.path().join("transfer_test.toml"), SCRIPT).expect("script");
    std::os::unix::fs::symlink(
        format!("{}/../../ivr_scripts/prompts", env!("CARGO_MANIFEST_DIR")),
        scripts.path().join("prompts"),
    )
    .expect("link the prompts");
    let scripts_dir = scripts.path().display().to_string();
    let desk_port = free_port();
    let desk = sipp_with_files(
        None,
        &[
            "-sn",
            "uas",
            "-p",
            &desk_port.to_string(),
            "-rtp_echo",
            "-m",
            "1",
        ],
        &[],
        Duration::from_secs(40),
    );
    let desk_uri = format!("sip:110@127.0.0.1:{desk_port}");
    let hotline = Hotline::start(&[
        ("HOTLINE_IVR_SCRIPTS_DIR", &scripts_dir),
        ("HOTLINE_IVR_SCRIPT", "transfer_test"),
        ("HOTLINE_DESTINATIONS_DESK", &desk_uri),
    ]);
    let caller = support::citizen_reaching_an_agent(&hotline).wait(Duration::from_secs(40));
    assert!(
        caller.succeeded(),
        "caller: {}\n{}",
        caller.errors(),
        hotline.log()
    );
    let desk = desk.wait(Duration::from_secs(10));
    assert!(
        desk.succeeded(),
        "the desk answered and was hung up when the caller left: {}\n{}",
        desk.errors(),
        hotline.log()
    );
    let transferred = hotline.wait_for_events("transferred", 1, Duration::from_secs(2));
    assert_eq!(transferred.len(), 1);
    assert_eq!(transferred[0]["event"]["to"], "desk");
    assert_eq!(transferred[0]["event"]["kind"], "external");
    assert!(hotline.wait_for_log(
        "transferring to a configured destination",
        Duration::from_secs(1)
    ));
}
