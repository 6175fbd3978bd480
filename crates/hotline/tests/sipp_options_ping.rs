//! Monitoring pings with OPTIONS get 200 with an Allow header.

mod support;

use std::time::Duration;

use support::{scenario, sipp, sipp_available, Hotline};

#[test]
fn options_gets_200_with_allow() {
    if !sipp_available("options_gets_200_with_allow") {
        return;
    }
    let hotline = Hotline::start(&[]);
    let run = sipp(
        hotline.sip,
        &["-sf", &scenario("options.xml"), "-s", "12345", "-m", "3"],
        Duration::from_secs(15),
    );
    assert!(run.succeeded(), "OPTIONS failed: {}", run.errors());
}
