//! The hotline ends the call first (its maximum call duration), sending BYE;
//! the caller answers it and the record says the system ended the call.

mod support;

use std::time::Duration;

use support::{scenario, sipp, sipp_available, Hotline};

#[test]
fn hotline_sends_bye_at_max_call_duration() {
    if !sipp_available("hotline_sends_bye_at_max_call_duration") {
        return;
    }
    let hotline = Hotline::start(&[("HOTLINE_SIP_MAX_CALL_SECS", "1")]);
    let run = sipp(
        hotline.sip,
        &[
            "-sf",
            &scenario("uac_hotline_hangs_up.xml"),
            "-s",
            "12345",
            "-m",
            "2",
            "-r",
            "10",
        ],
        Duration::from_secs(20),
    );
    assert!(
        run.succeeded(),
        "the hotline did not hang up cleanly: {}\n{}",
        run.errors(),
        hotline.log()
    );
    let ended = hotline.wait_for_events("ended", 2, Duration::from_secs(5));
    assert_eq!(ended.len(), 2);
    for event in ended {
        assert_eq!(event["event"]["side"], "system");
    }
}
