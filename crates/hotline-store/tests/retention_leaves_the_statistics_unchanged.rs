//! Retention forgets recordings, voice messages and numbers, never what
//! was counted: the golden day's queue, agent, IVR, case and work-order
//! reports are the same before and after every kind expired, and stay the
//! same when the statistics are rebuilt from the anonymised calls and
//! their redacted events.

mod common;
mod golden_day;

use common::orders::{agent, Desk};
use common::retention::{city_policy, job, DAY};
use common::*;
use golden_day::*;
use hotline_orders::Command;
use hotline_store::{
    Bucket, IvrGrouping, OrderBucket, OrderGrouping, OrderReportQuery, QueueGrouping, ReportQuery,
    RetentionMode, Store,
};
use hotline_types::{CallEvent, CallEventRecord, Timestamp};
use serde_json::{json, Value};

/// Every report of the golden day, as JSON.
async fn reports(s: &Store, now: Timestamp) -> Value {
    let (from, to) = (Timestamp(D0), Timestamp(D0 + 24 * HOUR));
    let day = ReportQuery::new(from, to, Bucket::Hour, SHANGHAI);
    let orders = |grouping| OrderReportQuery {
        from,
        to,
        bucket: OrderBucket::Day,
        utc_offset_minutes: SHANGHAI,
        grouping,
        only: None,
        now,
    };
    json!({
        "queues": s.queue_report(&day, &QueueGrouping::Queue).await.unwrap(),
        "departments": s.queue_report(&day, &QueueGrouping::Department(departments())).await.unwrap(),
        "agents": s.agent_report(&day).await.unwrap(),
        "ivr": s.ivr_report(&day, &IvrGrouping::FullPath).await.unwrap(),
        "ivr_menu": s.ivr_report(&day, &IvrGrouping::After("main_menu".into())).await.unwrap(),
        "cases": s.case_report(from, to, now).await.unwrap(),
        "orders": s.order_report(&orders(OrderGrouping::Department)).await.unwrap(),
        "order_categories": s.order_report(&orders(OrderGrouping::Category)).await.unwrap(),
    })
}

#[tokio::test]
async fn retention_leaves_the_statistics_unchanged() {
    let golden = golden_day();
    let desk = Desk::beijing();
    for ts in stores().await {
        let s = &ts.store;
        let label = ts.label;
        // The day's calls, each conversation recorded.
        let mut events = golden.events.clone();
        let recorded: Vec<CallEventRecord> = golden
            .calls
            .values()
            .map(|call| {
                let last = golden.events.iter().rfind(|e| e.call_id == *call).unwrap();
                CallEventRecord::new(
                    *call,
                    last.at,
                    CallEvent::RecordingStarted {
                        recording: format!("rec/{call}.wav"),
                    },
                )
            })
            .collect();
        events.extend(recorded);
        s.append_events(&events).await.unwrap();
        // Two work orders of the day: one resolved on the call, one dispatched.
        let resolved = desk.create(s, hms(10, 0, 0), "request", None).await;
        let reply = Command::ResolveOnCall {
            reply: "explained on the call".into(),
        };
        desk.ok(
            s,
            hms(10, 5, 0),
            &agent(),
            resolved.order.reference(),
            reply,
        )
        .await;
        desk.dispatched(s, hms(11, 0, 0), "request", None).await;

        // Four years later every kind is past its window.
        let now = Timestamp(D0 + 4 * 365 * DAY);
        let before = reports(s, now).await;
        let report = s
            .apply_retention(&job(now), &city_policy(now), RetentionMode::Apply)
            .await
            .unwrap();
        assert_eq!(
            report.recordings.forgotten,
            golden.calls.len() as u64,
            "{label}: {report:?}"
        );
        assert!(report.voice_messages.forgotten > 0, "{label}: {report:?}");
        assert!(
            report.calls.calls >= golden.calls.len() as u64,
            "{label}: {report:?}"
        );
        let after = reports(s, now).await;
        assert_eq!(after, before, "{label}: the reports after retention");

        s.rebuild_statistics().await.unwrap();
        let rebuilt = reports(s, now).await;
        assert_eq!(
            rebuilt, before,
            "{label}: the reports rebuilt from the anonymised log"
        );
        ts.finish().await;
    }
}
