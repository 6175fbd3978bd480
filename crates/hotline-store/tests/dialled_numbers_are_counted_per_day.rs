//! The numbers the hotline dialled out to today are read back from the
//! call log, one entry per call, so that the dial plan's daily limit holds
//! across a restart: callbacks dialled since the start of the day count
//! (also one whose call started the evening before), and so do work
//! orders' follow-up calls (which continue no call); yesterday's do not,
//! and neither do numbers that were only requested, refused or called in.

mod common;

use common::*;
use hotline_types::{CallEvent, CallId};

const HOUR: i64 = 3600 * 1000;

fn started(linked: Option<CallId>) -> CallEvent {
    CallEvent::CallStarted {
        caller: "12345".into(),
        called: "13800000001".into(),
        sip_call_id: String::new(),
        node: None,
        linked_call: linked,
    }
}

fn dialled(number: &str) -> CallEvent {
    CallEvent::Dialled {
        number: number.into(),
        purpose: "callback".into(),
    }
}

fn followed_up(number: &str) -> CallEvent {
    CallEvent::Dialled {
        number: number.into(),
        purpose: "follow_up".into(),
    }
}

#[tokio::test]
async fn dialled_numbers_are_counted_per_day() {
    for ts in stores().await {
        let s = &ts.store;
        let original = CallId::new();
        // The day starts at T0 + 24 h.
        let day = 24 * HOUR;
        let (yesterday, late_evening, morning, noon) =
            (CallId::new(), CallId::new(), CallId::new(), CallId::new());
        let (incoming, follow_up) = (CallId::new(), CallId::new());
        s.append_events(&[
            rec(original, 0, started(None)),
            rec(
                original,
                10,
                CallEvent::CallbackRequested {
                    queue: None,
                    number: "13800000009".into(),
                },
            ),
            // Yesterday's callback: not today's.
            rec(yesterday, 10 * HOUR, started(Some(original))),
            rec(yesterday, 10 * HOUR + 5, dialled("13800000001")),
            // Started before midnight, dialled after: today's.
            rec(late_evening, day - 60_000, started(Some(original))),
            rec(late_evening, day + 1_000, dialled("13800000001")),
            rec(morning, day + 2 * HOUR, started(Some(original))),
            rec(morning, day + 2 * HOUR + 5, dialled("13800000001")),
            rec(noon, day + 4 * HOUR, started(Some(original))),
            rec(noon, day + 4 * HOUR + 5, dialled("13900000002")),
            rec(
                noon,
                day + 4 * HOUR + 6,
                CallEvent::DialRefused {
                    number: "0090000000".into(),
                    purpose: "callback".into(),
                    reason: "outside_dial_plan".into(),
                },
            ),
            // A work order's follow-up call: placed, linked to no call.
            rec(follow_up, day + 4 * HOUR + 30, started(None)),
            rec(follow_up, day + 4 * HOUR + 35, followed_up("13700000003")),
            // A citizen calling in is not a call placed.
            rec(incoming, day + 5 * HOUR, started(None)),
        ])
        .await
        .unwrap();

        let mut today = s.numbers_dialled_since(at(day)).await.unwrap();
        today.sort();
        assert_eq!(
            today,
            ["13700000003", "13800000001", "13800000001", "13900000002"],
            "{}",
            ts.label
        );
        // Read again by a restarted process on the same database.
        let restarted = ts.reopen().await;
        assert_eq!(
            {
                let mut later = restarted
                    .numbers_dialled_since(at(day + 3 * HOUR))
                    .await
                    .unwrap();
                later.sort();
                later
            },
            ["13700000003", "13900000002"],
            "{}",
            ts.label
        );
        ts.finish().await;
    }
}
