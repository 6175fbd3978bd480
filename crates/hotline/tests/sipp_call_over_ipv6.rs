//! Calls over IPv6: SIPp calls `sip:12345@[::1]`, the hotline answers with an
//! `IN IP6` SDP and hangs up cleanly when the caller does.

mod support;

use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use support::{free_port, sipp, sipp_available, Hotline};

#[test]
fn sipp_calls_over_ipv6_are_answered() {
    if !sipp_available("sipp_calls_over_ipv6_are_answered") {
        return;
    }
    if UdpSocket::bind("[::1]:0").is_err() {
        eprintln!("\n!!!!!!!! SKIPPED sipp_calls_over_ipv6_are_answered: no IPv6 loopback on this machine !!!!!!!!\n");
        return;
    }
    let port = free_port();
    let listen = format!("[::1]:{port}");
    let hotline = Hotline::start(&[("HOTLINE_SIP_LISTEN", listen.as_str())]);
    let target: SocketAddr = listen.parse().expect("an IPv6 address");
    let run = sipp(
        target,
        &[
            "-sn", "uac", "-s", "12345", "-i", "::1", "-m", "3", "-r", "10", "-d", "300",
        ],
        Duration::from_secs(30),
    );
    assert!(
        run.succeeded(),
        "SIPp over IPv6 failed: {}\n{}",
        run.errors(),
        hotline.log()
    );
    let ended = hotline.wait_for_events("ended", 3, Duration::from_secs(5));
    assert_eq!(ended.len(), 3);
    for event in ended {
        assert_eq!(event["event"]["side"], "caller");
    }
}
