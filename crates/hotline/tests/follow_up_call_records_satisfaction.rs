//! The hotline follows up a closed work order (回访) by itself: an order in
//! the store, closed days ago with its follow-up due, is picked from the
//! follow-up calls due when the hotline starts; the reporter is dialled
//! through the outbound trunk (a SIPp UAS), hears the department's reply
//! read out and the follow-up question, and presses 4 (RFC 4733). The
//! order's log then has the evaluation: score 4, satisfied, recorded by the
//! hotline, and the order is followed up.

mod support;

use std::time::Duration;

use hotline_orders::{OrderChange, Phase};
use hotline_types::Timestamp;
use support::orders::{self, ctx, DataDir};
use support::{assert_text_spoken_once, free_port, sipp_available, Hotline};

#[test]
fn the_hotline_calls_the_reporter_and_records_their_satisfaction() {
    if !sipp_available("the_hotline_calls_the_reporter_and_records_their_satisfaction") {
        return;
    }
    let data = DataDir::new();
    let reference = data.with_store(async |store| {
        let reporter = orders::reporter(store, "13900139000").await;
        orders::closed_with_follow_up_due(store, reporter).await
    });

    // The reporter's phone behind the trunk answers and presses 4.
    let trunk_port = free_port();
    let trunk = orders::reporter_rating_the_follow_up(trunk_port);
    let scripts = orders::follow_up_scripts();
    let outbound = format!("sip:{{number}}@127.0.0.1:{trunk_port}");
    let scripts_dir = scripts.path().display().to_string();
    let hotline = Hotline::start(
        &[
            data.env().as_slice(),
            &[
                ("HOTLINE_IVR_SCRIPTS_DIR", &scripts_dir),
                ("HOTLINE_IVR_SCRIPT", "plain"),
                ("HOTLINE_SIP_OUTBOUND_URI", &outbound),
            ],
        ]
        .concat(),
    );
    assert!(
        hotline.wait_for_log("follow-up: dialling the reporter", Duration::from_secs(15)),
        "{}",
        hotline.log()
    );
    let trunk = trunk.wait(Duration::from_secs(90));
    assert!(
        trunk.succeeded(),
        "the reporter hears the question, presses 4 and gets the goodbye: {}\n{}",
        trunk.errors(),
        hotline.log()
    );
    assert!(
        hotline.wait_for_log("follow-up recorded on the order", Duration::from_secs(10)),
        "{}",
        hotline.log()
    );
    // Before the question the reporter heard the department's reply, read
    // out by espeak-ng (skipped, the call going on, where it is missing).
    assert_text_spoken_once(
        &hotline,
        "the_hotline_calls_the_reporter_and_records_their_satisfaction",
    );
    let (status, _data) = hotline.stop_keeping_data();
    assert!(status.success(), "{status:?}");

    data.with_store(async |store| {
        let now = Timestamp::from_system_time(std::time::SystemTime::now());
        let log = store
            .work_order_events(&ctx("test", now), &reference)
            .await
            .expect("read")
            .expect("the order");
        let recorded: Vec<_> = log
            .iter()
            .filter_map(|e| match &e.change {
                OrderChange::FollowUpRecorded {
                    reporter,
                    score,
                    satisfied,
                } => Some((
                    e.by.as_str().to_owned(),
                    reporter.clone(),
                    *score,
                    *satisfied,
                )),
                _ => None,
            })
            .collect();
        assert_eq!(
            recorded,
            [("hotline".to_owned(), reference.clone(), 4, true)],
            "{log:?}"
        );
        assert!(
            !log.iter()
                .any(|e| matches!(e.change, OrderChange::FollowUpAttempted { .. })),
            "one call, scored: {log:?}"
        );
        let order = store
            .work_order(&ctx("test", now), &reference)
            .await
            .expect("read")
            .expect("the order");
        assert_eq!(order.order.phase(), Phase::FollowedUp);
        assert!(store.follow_ups_due(now, 10).await.expect("due").is_empty());
    });
}
