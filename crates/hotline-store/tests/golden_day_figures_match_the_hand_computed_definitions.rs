//! The golden day (tests/golden_day): every queue, department, agent and
//! IVR figure, computed by hand below from the calls' descriptions, is
//! exactly what the store reports, on SQLite and on PostgreSQL alike.
//! Thresholds: T = 20 s, short abandon 5 s unless said otherwise.

mod common;
mod golden_day;

use std::collections::BTreeMap;

use common::*;
use golden_day::*;
use hotline_store::{
    AgentFigures, AgentRow, Bucket, IvrFigures, IvrGrouping, QueueFigures, QueueGrouping, QueueRow,
    ReportQuery, SegmentOutcome, SurveyFigures, Thresholds, IVR_NOT_REACHED, IVR_STOPPED_THERE,
    TOTAL_KEY, UNASSIGNED_DEPARTMENT,
};
use hotline_types::Timestamp;

fn day(bucket: Bucket) -> ReportQuery {
    ReportQuery::new(Timestamp(D0), Timestamp(D0 + 24 * HOUR), bucket, SHANGHAI)
}

fn survey(distribution: [i64; 5]) -> SurveyFigures {
    let count: i64 = distribution.iter().sum();
    let sum: i64 = distribution
        .iter()
        .enumerate()
        .map(|(i, n)| (i as i64 + 1) * n)
        .sum();
    SurveyFigures {
        count,
        mean: (count > 0).then(|| sum as f64 / count as f64),
        distribution,
    }
}

/// Housing: entries C1 (answered 10 s), C2 (answered 35 s), C3 (abandoned
/// 3 s), C4 (abandoned 12 s), C5 (abandoned 50 s), C6 (answered 5 s, then
/// transferred out), C14 (overflowed after 120 s).
fn housing() -> QueueFigures {
    QueueFigures {
        offered: 7,
        // C1, C2, C6.
        answered: 3,
        // C1 (10 s), C6 (5 s) <= 20 s.
        answered_within_threshold: 2,
        // C4 (12 s), C5 (50 s) >= 5 s.
        abandoned: 2,
        // C4.
        abandoned_within_threshold: 1,
        // C3 (3 s).
        short_abandoned: 1,
        overflowed: 1,
        callback_requests: 0,
        callbacks_answered: 0,
        transferred_out: 1,
        ended_in_queue: 0,
        still_waiting: 0,
        ring_no_answers: 0,
        // 10 + 35 + 5 s.
        total_answer_wait_ms: 50_000,
        // C14's 120 s before the overflow.
        max_queued_ms: Some(120_000),
        handled: 3,
        // C1 160 s + C2 180 s + C6 120 s.
        talk_ms: 460_000,
        // C1.
        hold_ms: 20_000,
        // 30 + 20 + 40 s.
        wrap_ms: 90_000,
        service_level: Some(2.0 / 3.0),
        // (2 + 1) / (3 + 2).
        service_level_strict: Some(3.0 / 5.0),
        asa_ms: Some(50_000.0 / 3.0),
        // (460 + 20 + 90) / 3 s = 190 s.
        aht_ms: Some(570_000.0 / 3.0),
        abandonment_rate: Some(2.0 / 7.0),
        // C1 5 (alice), C2 2 (bob).
        survey: survey([0, 1, 0, 0, 1]),
    }
}

/// Transport: C6 after its transfer (answered 15 s), C8 (a ring-no-answer,
/// then answered 18 s), C17 (still waiting).
fn transport() -> QueueFigures {
    QueueFigures {
        offered: 3,
        answered: 2,
        answered_within_threshold: 2,
        abandoned: 0,
        abandoned_within_threshold: 0,
        short_abandoned: 0,
        overflowed: 0,
        callback_requests: 0,
        callbacks_answered: 0,
        transferred_out: 0,
        ended_in_queue: 0,
        still_waiting: 1,
        // C8: alice's phone rang out; the entry is still offered once.
        ring_no_answers: 1,
        total_answer_wait_ms: 33_000,
        // C17 is still waiting, so not counted: max(15, 18) s.
        max_queued_ms: Some(18_000),
        handled: 2,
        // C6 180 s + C8 120 s.
        talk_ms: 300_000,
        hold_ms: 0,
        // 10 + 12 s.
        wrap_ms: 22_000,
        service_level: Some(1.0),
        service_level_strict: Some(1.0),
        asa_ms: Some(16_500.0),
        // (300 + 22) / 2 s.
        aht_ms: Some(161_000.0),
        abandonment_rate: Some(0.0),
        survey: survey([0; 5]),
    }
}

/// General: C7 (a callback request after 60 s, taken by carol later), C14
/// after its overflow (answered 10 s).
fn general() -> QueueFigures {
    QueueFigures {
        offered: 2,
        // C14 only: a callback is not an answer of the waiting caller.
        answered: 1,
        answered_within_threshold: 1,
        abandoned: 0,
        abandoned_within_threshold: 0,
        short_abandoned: 0,
        overflowed: 0,
        callback_requests: 1,
        callbacks_answered: 1,
        transferred_out: 0,
        ended_in_queue: 0,
        still_waiting: 0,
        ring_no_answers: 0,
        total_answer_wait_ms: 10_000,
        // C7 waited 60 s before asking for the callback.
        max_queued_ms: Some(60_000),
        // The callback is agent work: C7 (180 + 15 s) and C14 (120 + 20 s).
        handled: 2,
        talk_ms: 300_000,
        hold_ms: 0,
        wrap_ms: 35_000,
        service_level: Some(1.0),
        service_level_strict: Some(1.0),
        asa_ms: Some(10_000.0),
        // (300 + 35) / 2 s.
        aht_ms: Some(167_500.0),
        abandonment_rate: Some(0.0),
        survey: survey([0; 5]),
    }
}

/// All queues: 12 queue entries (C6 and C14 count in two queues each).
fn total() -> QueueFigures {
    QueueFigures {
        offered: 12,
        answered: 6,
        answered_within_threshold: 5,
        abandoned: 2,
        abandoned_within_threshold: 1,
        short_abandoned: 1,
        overflowed: 1,
        callback_requests: 1,
        callbacks_answered: 1,
        transferred_out: 1,
        ended_in_queue: 0,
        still_waiting: 1,
        ring_no_answers: 1,
        // 50 + 33 + 10 s.
        total_answer_wait_ms: 93_000,
        max_queued_ms: Some(120_000),
        handled: 7,
        talk_ms: 1_060_000,
        hold_ms: 20_000,
        wrap_ms: 147_000,
        service_level: Some(5.0 / 6.0),
        // (5 + 1) / (6 + 2).
        service_level_strict: Some(6.0 / 8.0),
        asa_ms: Some(93_000.0 / 6.0),
        // (1060 + 20 + 147) / 7 s.
        aht_ms: Some(1_227_000.0 / 7.0),
        abandonment_rate: Some(2.0 / 12.0),
        survey: survey([0, 1, 0, 0, 1]),
    }
}

fn row(key: &str, figures: QueueFigures) -> QueueRow {
    QueueRow {
        key: key.into(),
        bucket_start_ms: D0,
        figures,
    }
}

fn agent(name: &str, figures: AgentFigures) -> AgentRow {
    AgentRow {
        agent: name.into(),
        bucket_start_ms: D0,
        figures,
    }
}

#[tokio::test]
async fn golden_day_figures_match_the_hand_computed_definitions() {
    let golden = golden_day();
    let mut per_backend = Vec::new();
    for ts in stores().await {
        let s = &ts.store;
        s.append_events(&golden.events).await.unwrap();
        let whole = day(Bucket::Whole);

        // Per queue.
        let queues = s.queue_report(&whole, &QueueGrouping::Queue).await.unwrap();
        assert_eq!(
            queues,
            vec![
                row("general", general()),
                row("housing", housing()),
                row("transport", transport())
            ],
            "{}",
            ts.label
        );

        // Per department: general is not in the mapping.
        let departments = s
            .queue_report(&whole, &QueueGrouping::Department(departments()))
            .await
            .unwrap();
        assert_eq!(
            departments,
            vec![
                row("construction", housing()),
                row("transport", transport()),
                row(UNASSIGNED_DEPARTMENT, general())
            ],
            "{}",
            ts.label
        );

        // In total.
        let all = s.queue_report(&whole, &QueueGrouping::Total).await.unwrap();
        assert_eq!(all, vec![row(TOTAL_KEY, total())], "{}", ts.label);

        // Housing's own thresholds (T 40 s, short abandon 2 s): C2 (35 s)
        // is within T; C3 (3 s) is an abandon, within T like C4 (12 s).
        let mut own = whole.clone();
        own.queue_thresholds.insert(
            "housing".into(),
            Thresholds {
                service_level_ms: 40_000,
                short_abandon_ms: 2_000,
            },
        );
        let with_own = s.queue_report(&own, &QueueGrouping::Queue).await.unwrap();
        let h = &with_own[1].figures;
        assert_eq!(with_own[1].key, "housing");
        assert_eq!(
            (
                h.answered_within_threshold,
                h.abandoned,
                h.short_abandoned,
                h.abandoned_within_threshold
            ),
            (3, 3, 0, 2)
        );
        assert_eq!(h.service_level, Some(1.0));
        // (3 + 2) / (3 + 3).
        assert_eq!(h.service_level_strict, Some(5.0 / 6.0));
        assert_eq!(h.abandonment_rate, Some(3.0 / 7.0));
        // The other queues keep the default thresholds.
        assert_eq!(with_own[2].figures, transport());

        // Housing by local hour: C1-C5 at 09h, C6 at 10h, C14 at 12h.
        let hourly = s
            .queue_report(&day(Bucket::Hour), &QueueGrouping::Queue)
            .await
            .unwrap();
        let housing_hours: Vec<(i64, i64)> = hourly
            .iter()
            .filter(|r| r.key == "housing")
            .map(|r| ((r.bucket_start_ms - D0) / HOUR, r.figures.offered))
            .collect();
        assert_eq!(
            housing_hours,
            vec![(9, 5), (10, 1), (12, 1)],
            "{}",
            ts.label
        );

        // Per agent.
        let agents = s.agent_report(&whole).await.unwrap();
        let expected_agents = vec![
            // alice: offers C1, C6, C8 (rang out), C14; answered C1, C6,
            // C14; C6 transferred; talk 160 + 120 + 120 s, hold 20 s,
            // wrap-up 30 + 40 + 20 s; AHT 510 / 3 s; C1's survey 5.
            agent(
                "alice",
                AgentFigures {
                    offers: 4,
                    answered: 3,
                    callbacks_answered: 0,
                    ring_no_answers: 1,
                    transferred_out: 1,
                    handled: 3,
                    talk_ms: 400_000,
                    hold_ms: 20_000,
                    wrap_ms: 90_000,
                    aht_ms: Some(170_000.0),
                    survey: survey([0, 0, 0, 0, 1]),
                },
            ),
            // bob: C2, C6 (transport), C8; talk 180 + 180 + 120 s,
            // wrap-up 20 + 10 + 12 s; AHT 522 / 3 s; C2's survey 2.
            agent(
                "bob",
                AgentFigures {
                    offers: 3,
                    answered: 3,
                    callbacks_answered: 0,
                    ring_no_answers: 0,
                    transferred_out: 0,
                    handled: 3,
                    talk_ms: 480_000,
                    hold_ms: 0,
                    wrap_ms: 42_000,
                    aht_ms: Some(174_000.0),
                    survey: survey([0, 1, 0, 0, 0]),
                },
            ),
            // carol: rung for C5 (abandoned while ringing) and C7's
            // callback, which she took: talk 180 s, wrap-up 15 s.
            agent(
                "carol",
                AgentFigures {
                    offers: 2,
                    answered: 1,
                    callbacks_answered: 1,
                    ring_no_answers: 0,
                    transferred_out: 0,
                    handled: 1,
                    talk_ms: 180_000,
                    hold_ms: 0,
                    wrap_ms: 15_000,
                    aht_ms: Some(195_000.0),
                    survey: survey([0; 5]),
                },
            ),
        ];
        assert_eq!(agents, expected_agents, "{}", ts.label);

        // IVR, in total: 16 incoming calls (C7b is the hotline calling
        // back, not counted); C15 was never answered; 10 reached a queue;
        // C9 self-service, C10 voicemail, C11 hung up, C12 asked for a
        // callback: 4 contained of 15 answered; C18 is still in the IVR.
        let ivr_total = s.ivr_report(&whole, &IvrGrouping::Total).await.unwrap();
        assert_eq!(ivr_total.len(), 1);
        assert_eq!(
            ivr_total[0].figures,
            IvrFigures {
                calls: 16,
                answered: 15,
                queued: 10,
                // C1, C2, C6, C7 (its callback), C8, C14.
                agent_answered: 6,
                // C3, C4, C5 (the call record counts short abandons too).
                abandoned: 3,
                in_progress: 1,
                contained: 4,
                self_service: 1,
                voicemail: 1,
                callback_request: 1,
                caller_hung_up: 1,
                other_ended: 0,
                containment_rate: Some(4.0 / 15.0),
            },
            "{}",
            ts.label
        );

        // IVR by the choice made after the main menu.
        let choices = s
            .ivr_report(&whole, &IvrGrouping::After("main_menu".into()))
            .await
            .unwrap();
        let by_key: BTreeMap<&str, &IvrFigures> = choices
            .iter()
            .map(|r| (r.key.as_str(), &r.figures))
            .collect();
        let keys: Vec<&str> = by_key.keys().copied().collect();
        assert_eq!(
            keys,
            vec![
                IVR_NOT_REACHED,
                IVR_STOPPED_THERE,
                "agent",
                "case_enter",
                "info",
                "report_menu"
            ]
        );
        // C1-C6, C8, C14, C17: 9 queued, 5 answered by agents, 3 abandons.
        let report = by_key["report_menu"];
        assert_eq!(
            (
                report.calls,
                report.queued,
                report.agent_answered,
                report.abandoned
            ),
            (9, 9, 5, 3)
        );
        assert_eq!(report.containment_rate, Some(0.0));
        assert_eq!(by_key["case_enter"].self_service, 1);
        assert_eq!(by_key["case_enter"].containment_rate, Some(1.0));
        assert_eq!(by_key[IVR_STOPPED_THERE].caller_hung_up, 1);
        // C10, C12 and C15 (never answered): 2 contained of 2 answered.
        let not_reached = by_key[IVR_NOT_REACHED];
        assert_eq!(
            (
                not_reached.calls,
                not_reached.answered,
                not_reached.contained
            ),
            (3, 2, 2)
        );
        assert_eq!(by_key["info"].in_progress, 1);

        // By full path: the case-status loop is one path, each node once.
        let paths = s.ivr_report(&whole, &IvrGrouping::FullPath).await.unwrap();
        assert!(paths
            .iter()
            .any(|r| r.key == CASE_STATUS && r.figures.self_service == 1));
        assert!(paths.iter().all(|r| r.key != CASE_STATUS_LOOP));

        // The segments of the transferred call, as counted.
        let c6 = s.queue_segments(golden.calls["C6"]).await.unwrap();
        let outcomes: Vec<(&str, SegmentOutcome, Option<i64>, Option<i64>)> = c6
            .iter()
            .map(|s| (s.queue.as_str(), s.outcome, s.wait_ms, s.talk_ms))
            .collect();
        assert_eq!(
            outcomes,
            vec![
                (
                    "housing",
                    SegmentOutcome::TransferredOut,
                    Some(5_000),
                    Some(120_000)
                ),
                (
                    "transport",
                    SegmentOutcome::Answered,
                    Some(15_000),
                    Some(180_000)
                ),
            ]
        );

        per_backend.push((queues, departments, all, hourly, agents, choices, paths));
        ts.finish().await;
    }
    // SQLite and PostgreSQL give identical figures.
    if let [sqlite, postgres] = per_backend.as_slice() {
        assert_eq!(sqlite, postgres);
    }
}
