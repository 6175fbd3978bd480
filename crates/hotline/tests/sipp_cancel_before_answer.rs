//! A caller who hangs up while it is still ringing: CANCEL gets 200, the
//! INVITE gets 487, and the call record says the caller cancelled.

mod support;

use std::time::Duration;

use support::{scenario, sipp, sipp_available, Hotline};

#[test]
fn cancel_before_answer_gets_487() {
    if !sipp_available("cancel_before_answer_gets_487") {
        return;
    }
    let hotline = Hotline::start(&[("HOTLINE_SIP_ANSWER_AFTER_MS", "3000")]);
    let run = sipp(
        hotline.sip,
        &[
            "-sf",
            &scenario("uac_cancel.xml"),
            "-s",
            "12345",
            "-m",
            "3",
            "-r",
            "10",
        ],
        Duration::from_secs(20),
    );
    assert!(
        run.succeeded(),
        "CANCEL scenario failed: {}\n{}",
        run.errors(),
        hotline.log()
    );
    let ended = hotline.wait_for_events("ended", 3, Duration::from_secs(5));
    assert_eq!(ended.len(), 3);
    for event in ended {
        assert_eq!(event["event"]["cause"], "cancel");
        assert_eq!(event["event"]["side"], "caller");
    }
    assert!(
        hotline.events().iter().all(|e| e["kind"] != "answered"),
        "no cancelled call may count as answered"
    );
}
