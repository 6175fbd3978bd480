//! The seed fills the statistics tables consistently with the call
//! records: the 15-minute slots it writes give the same queue figures as
//! counting the queue segments one by one, every outcome and IVR reason
//! occurs, agents have occupancy, and cases have on-time figures.

mod common;

use std::time::Duration;

use common::*;
use hotline_store::{
    seed, Bucket, IvrGrouping, QueueGrouping, ReportQuery, SeedOptions, StatsGrouping,
    StatsOptions, TOTAL_KEY,
};
use hotline_types::Timestamp;

const DAY: i64 = 86_400_000;

#[tokio::test]
async fn seeded_statistics_agree_with_their_segments() {
    for ts in stores().await {
        let s = &ts.store;
        let mut options = SeedOptions::new(300, 3_000, 11, Timestamp(T0));
        options.days = 7;
        options.agents = 40;
        seed(s, &options).await.unwrap();
        let from = Timestamp(T0 / DAY * DAY - 7 * DAY);
        let to = Timestamp(T0 / DAY * DAY + DAY);

        // Slots against segments, per queue and 15 minutes.
        let query = ReportQuery::new(from, to, Bucket::Minutes15, 0);
        let slots = s.queue_report(&query, &QueueGrouping::Queue).await.unwrap();
        let segments = s
            .statistics(&StatsOptions {
                bucket: Some(Duration::from_secs(900)),
                ..StatsOptions::per_queue(from, to)
            })
            .await
            .unwrap();
        assert_eq!(slots.len(), segments.len(), "{}", ts.label);
        for (a, b) in slots.iter().zip(&segments) {
            let f = &a.figures;
            assert_eq!(
                (
                    &a.key,
                    a.bucket_start_ms,
                    f.offered,
                    f.answered,
                    f.abandoned
                ),
                (
                    &b.key,
                    b.bucket_start_ms,
                    b.offered,
                    b.answered,
                    b.abandoned
                )
            );
            assert_eq!(
                (
                    f.short_abandoned,
                    f.answered_within_threshold,
                    f.abandoned_within_threshold,
                    f.max_queued_ms
                ),
                (
                    b.short_abandoned,
                    b.answered_within_threshold,
                    b.abandoned_within_threshold,
                    b.max_wait_ms
                )
            );
            assert_eq!((f.asa_ms, f.aht_ms), (b.asa_ms, b.aht_ms));
        }

        // Every outcome occurs, and the outcomes add up to offered.
        let whole = ReportQuery::new(from, to, Bucket::Whole, 0);
        let total = s.queue_report(&whole, &QueueGrouping::Total).await.unwrap();
        let t = &total[0].figures;
        assert_eq!(total[0].key, TOTAL_KEY);
        for (name, n) in [
            ("answered", t.answered),
            ("abandoned", t.abandoned),
            ("short", t.short_abandoned),
            ("overflowed", t.overflowed),
            ("callbacks", t.callback_requests),
            ("callbacks answered", t.callbacks_answered),
            ("transferred", t.transferred_out),
            ("ring-no-answers", t.ring_no_answers),
            ("surveys", t.survey.count),
        ] {
            assert!(n > 0, "{}: no {name}", ts.label);
        }
        assert_eq!(
            t.offered,
            t.answered
                + t.abandoned
                + t.short_abandoned
                + t.overflowed
                + t.callback_requests
                + t.ended_in_queue
                + t.still_waiting
        );

        // Agents answered what the queues answered (callbacks included).
        let agents = s.agent_report(&whole).await.unwrap();
        let answered: i64 = agents.iter().map(|r| r.figures.answered).sum();
        assert_eq!(answered, t.answered + t.callbacks_answered, "{}", ts.label);
        let by_agent = s
            .statistics(&StatsOptions {
                grouping: StatsGrouping::Agent,
                ..StatsOptions::per_queue(from, to)
            })
            .await
            .unwrap();
        assert_eq!(by_agent.len(), agents.len());

        // IVR: every call once, every way of leaving the IVR.
        let ivr = s.ivr_report(&whole, &IvrGrouping::Total).await.unwrap();
        let i = &ivr[0].figures;
        assert_eq!(i.calls, 3_000, "{}", ts.label);
        for n in [
            i.self_service,
            i.voicemail,
            i.callback_request,
            i.caller_hung_up,
        ] {
            assert!(n > 0, "{}: {i:?}", ts.label);
        }
        assert_eq!(i.queued + i.contained, i.answered);

        // Agents were busy some of the time.
        let occupancy = s.occupancy(&whole).await.unwrap();
        assert!(!occupancy.is_empty());
        assert!(occupancy
            .iter()
            .all(|r| r.occupancy.is_some_and(|o| o > 0.0 && o < 1.0)));

        // Cases were done on time and late.
        let cases = s
            .case_report(from, to, Timestamp(T0 + 30 * DAY))
            .await
            .unwrap();
        let on_time: i64 = cases.iter().map(|r| r.on_time).sum();
        let late: i64 = cases.iter().map(|r| r.late).sum();
        assert!(on_time > 0 && late > 0, "{}: {cases:?}", ts.label);
        ts.finish().await;
    }
}
