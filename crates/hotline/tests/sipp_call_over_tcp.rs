//! The same call over TCP (one connection, Content-Length framing).

mod support;

use std::time::Duration;

use support::{sipp, sipp_available, Hotline};

#[test]
fn sipp_calls_over_tcp_are_answered() {
    if !sipp_available("sipp_calls_over_tcp_are_answered") {
        return;
    }
    let hotline = Hotline::start(&[]);
    let run = sipp(
        hotline.sip,
        &[
            "-sn", "uac", "-s", "12345", "-t", "t1", "-m", "5", "-r", "10", "-d", "200",
        ],
        Duration::from_secs(30),
    );
    assert!(
        run.succeeded(),
        "SIPp reported failed calls over TCP: {}\n{}",
        run.errors(),
        hotline.log()
    );
    assert_eq!(
        hotline
            .wait_for_events("ended", 5, Duration::from_secs(5))
            .len(),
        5
    );
}
