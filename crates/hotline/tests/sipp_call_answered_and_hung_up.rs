//! SIPp calls the hotline's number over UDP: every call is answered, the
//! caller hangs up, and each call leaves started → answered → ended events.

mod support;

use std::time::Duration;

use support::{sipp, sipp_available, Hotline};

#[test]
fn sipp_calls_are_answered_and_hung_up_cleanly() {
    if !sipp_available("sipp_calls_are_answered_and_hung_up_cleanly") {
        return;
    }
    let hotline = Hotline::start(&[]);
    let run = sipp(
        hotline.sip,
        &[
            "-sn", "uac", "-s", "12345", "-m", "10", "-r", "20", "-d", "300",
        ],
        Duration::from_secs(30),
    );
    assert!(
        run.succeeded(),
        "SIPp reported failed calls: {}\n{}",
        run.errors(),
        hotline.log()
    );
    let ended = hotline.wait_for_events("ended", 10, Duration::from_secs(5));
    assert_eq!(ended.len(), 10);
    for event in &ended {
        assert_eq!(event["event"]["side"], "caller");
        assert_eq!(event["event"]["cause"], "bye");
    }
    let events = hotline.events();
    let started = events
        .iter()
        .filter(|e| e["kind"] == "call_started")
        .count();
    let answered = events.iter().filter(|e| e["kind"] == "answered").count();
    assert_eq!((started, answered), (10, 10));
    let first = events
        .iter()
        .find(|e| e["kind"] == "call_started")
        .expect("a call_started event");
    assert_eq!(first["event"]["called"], "12345");
    assert_eq!(first["event"]["caller"], "sipp");
    // Operators see the same through /metrics (Prometheus text format).
    std::thread::sleep(Duration::from_millis(1_100));
    let metrics = hotline.metrics();
    for name in [
        "hotline_sip_messages_in_total",
        "hotline_call_events_total",
        "hotline_media_legs",
        "hotline_store_events_written_total",
    ] {
        assert!(
            metrics.contains(name),
            "{name} missing from /metrics:\n{metrics}"
        );
    }
    // Typed as Prometheus expects: totals are counters, and every counter
    // is a total.
    for line in metrics.lines().filter(|l| l.starts_with("# TYPE ")) {
        let mut words = line.split_whitespace().skip(2);
        let (name, kind) = (words.next().unwrap(), words.next().unwrap());
        assert_eq!(
            name.ends_with("_total"),
            kind == "counter",
            "{line}: a _total is a counter and a counter is a _total"
        );
    }
    assert!(metrics.contains("# TYPE hotline_store_events_written_total counter"));
    // The figures are not on the console's port (no http.metrics_token).
    assert!(!hotline.http_get("/metrics").contains("hotline_"));
    assert_eq!(hotline.http_get("/health").trim(), "ok");
    assert!(hotline.stop().success());
}
