//! SIGTERM drains: new calls get 503 with Retry-After, the live call goes on
//! to its natural end, and the process then exits cleanly.

mod support;

use std::net::UdpSocket;
use std::time::Duration;

use support::{sipp, sipp_available, Hotline};

#[test]
fn sigterm_refuses_new_calls_and_lets_live_ones_finish() {
    if !sipp_available("sigterm_refuses_new_calls_and_lets_live_ones_finish") {
        return;
    }
    let hotline = Hotline::start(&[("HOTLINE_SHUTDOWN_DRAIN_SECS", "20")]);
    let target = hotline.sip;
    // One call that lasts 3 s.
    let live = std::thread::spawn(move || {
        sipp(
            target,
            &["-sn", "uac", "-s", "12345", "-m", "1", "-d", "3000"],
            Duration::from_secs(20),
        )
    });
    assert!(
        !hotline
            .wait_for_events("answered", 1, Duration::from_secs(5))
            .is_empty(),
        "{}",
        hotline.log()
    );
    // SIGTERM through the harness, on another thread, while the call is live.
    let stopper = std::thread::spawn(move || hotline.stop());
    std::thread::sleep(Duration::from_millis(500));
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    socket
        .set_read_timeout(Some(Duration::from_secs(2)))
        .expect("timeout");
    let invite = "INVITE sip:12345@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKdrain\r\nFrom: <sip:1@127.0.0.1>;tag=d\r\nTo: <sip:12345@127.0.0.1>\r\nCall-ID: drain1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
    socket.send_to(invite.as_bytes(), target).expect("send");
    let mut buf = [0u8; 2048];
    let n = socket.recv(&mut buf).expect("an answer while draining");
    let reply = String::from_utf8_lossy(&buf[..n]);
    assert!(reply.starts_with("SIP/2.0 503"), "{reply}");
    assert!(reply.contains("Retry-After:"), "{reply}");
    let run = live.join().expect("sipp thread");
    assert!(
        run.succeeded(),
        "the live call was cut short: {}",
        run.errors()
    );
    let status = stopper.join().expect("stopper thread");
    assert!(status.success(), "exit status {status:?}");
}
