//! Toll fraud across a restart: with `dialplan.max_calls_per_number_per_day
//! = 1`, the hotline follows up a closed work order by calling its reporter
//! (a SIPp UAS behind the trunk answers and scores it), is stopped and
//! started again the same day, and then finds a second closed order of the
//! same reporter due a follow-up. The restarted hotline reads today's calls
//! placed back from the call log, refuses to dial the number a second time
//! (`dial_refused`, `daily_limit`), and nothing reaches the trunk.

mod support;

use std::time::Duration;

use support::orders::{self, DataDir};
use support::trunk::Trunk;
use support::{free_port, sipp_available, Hotline};

const NUMBER: &str = "13900139000";

#[test]
fn a_number_called_today_is_not_called_again_after_a_restart() {
    if !sipp_available("a_number_called_today_is_not_called_again_after_a_restart") {
        return;
    }
    let data = DataDir::new();
    let reporter = data.with_store(async |store| {
        let reporter = orders::reporter(store, NUMBER).await;
        orders::closed_with_follow_up_due(store, reporter).await;
        reporter
    });
    let scripts = orders::follow_up_scripts();
    let scripts_dir = scripts.path().display().to_string();
    let start = |outbound: &str| {
        Hotline::start(
            &[
                data.env().as_slice(),
                &[
                    ("HOTLINE_IVR_SCRIPTS_DIR", &scripts_dir),
                    ("HOTLINE_IVR_SCRIPT", "plain"),
                    ("HOTLINE_SIP_OUTBOUND_URI", outbound),
                    ("HOTLINE_DIALPLAN_MAX_CALLS_PER_NUMBER_PER_DAY", "1"),
                ],
            ]
            .concat(),
        )
    };

    // The first follow-up call: dialled, answered and scored.
    let trunk_port = free_port();
    let answering = orders::reporter_rating_the_follow_up(trunk_port);
    let hotline = start(&format!("sip:{{number}}@127.0.0.1:{trunk_port}"));
    assert!(
        hotline.wait_for_log("follow-up recorded on the order", Duration::from_secs(60)),
        "{}",
        hotline.log()
    );
    assert!(answering.wait(Duration::from_secs(30)).succeeded());
    let (status, _) = hotline.stop_keeping_data();
    assert!(status.success(), "{status:?}");

    // The same reporter's second request is closed, its follow-up due.
    let second =
        data.with_store(async |store| orders::closed_with_follow_up_due(store, reporter).await);

    let silent = Trunk::new();
    let hotline = start(&silent.outbound_uri());
    assert!(
        hotline.wait_for_log(
            "today's calls placed restored into the dial plan's daily limit",
            Duration::from_secs(15)
        ),
        "{}",
        hotline.log()
    );
    let refused = hotline.wait_for_events("dial_refused", 1, Duration::from_secs(60));
    assert_eq!(refused.len(), 1, "{}", hotline.log());
    assert_eq!(refused[0]["event"]["number"], NUMBER);
    assert_eq!(refused[0]["event"]["purpose"], "follow_up");
    assert_eq!(refused[0]["event"]["reason"], "daily_limit");
    assert!(
        hotline
            .wait_for_events("dialled", 1, Duration::from_millis(500))
            .is_empty(),
        "nothing dialled after the restart: {}",
        hotline.log()
    );
    assert!(!silent.received_anything(), "nothing reached the trunk");
    let linked = hotline.wait_for_events("case_linked", 1, Duration::from_secs(1));
    assert_eq!(
        linked[0]["event"]["case_ref"],
        serde_json::to_value(&second).expect("json")
    );
}
