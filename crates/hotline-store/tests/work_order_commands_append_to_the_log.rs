//! A work order's life on disk: taking it down writes its row and its
//! `created` event; every granted command appends its events, numbered on
//! without gaps, and rewrites the row from the folded order (phase, status
//! for today's readers, department, deadline, handler, counters, close and
//! follow-up); reading it back folds the same order, and is audited.

mod common;

use common::orders::*;
use common::*;
use hotline_orders::{Command, Phase};
use hotline_store::{CaseStatus, NewCitizen};
use hotline_types::Timestamp;

#[tokio::test]
async fn work_order_commands_append_to_the_log() {
    let desk = Desk::beijing();
    for ts in stores().await {
        let s = &ts.store;
        let label = ts.label;
        let citizen = s
            .create_citizen(
                &admin(0),
                &NewCitizen {
                    full_name: "Wang Fang".into(),
                    phones: vec!["+8613900000123".into()],
                    ..NewCitizen::default()
                },
            )
            .await
            .unwrap();

        // 受理 on Sunday 2026-11-22, 16:00 in Beijing.
        let created = desk.create(s, at(0), "request", Some(citizen)).await;
        let order = created.order.reference().clone();
        assert!(
            order.to_string().starts_with("261122-00001-"),
            "{label}: the day's first reference, as cases get: {order}"
        );
        assert_eq!(created.events, 1);
        assert_eq!(created.order.phase(), Phase::New);
        assert_eq!(ts.log_kinds(&order).await, ["created"], "{label}");
        assert_eq!(ts.row_column(&order, "phase").await.as_deref(), Some("new"));
        assert_eq!(
            ts.row_column(&order, "status").await.as_deref(),
            Some("accepted")
        );
        assert_eq!(
            ts.row_column(&order, "department").await.as_deref(),
            Some("unassigned"),
            "{label}: not dispatched yet"
        );
        assert_eq!(
            ts.row_column(&order, "channel").await.as_deref(),
            Some("call")
        );
        assert_eq!(
            ts.row_column(&order, "street").await.as_deref(),
            Some("景山街道")
        );
        assert_eq!(
            ts.row_column(&order, "citizen_id").await,
            Some(citizen.0.to_string())
        );
        assert_eq!(
            ts.row_column(&order, "event_count").await.as_deref(),
            Some("1")
        );

        // 派单 by the catalogue: housing, 5 working days, due at the end of
        // Friday 2026-11-27 (Beijing), 16:00 UTC.
        let dispatched = desk
            .ok(s, at(60_000), &agent(), &order, Command::Dispatch)
            .await;
        let deadline = Timestamp(T0 + 5 * DAY + 8 * HOUR);
        assert_eq!(dispatched.order.deadline(), Some(deadline), "{label}");
        assert_eq!(dispatched.events, 2);
        assert_eq!(
            ts.row_column(&order, "status").await.as_deref(),
            Some("dispatched")
        );
        assert_eq!(
            ts.row_column(&order, "department").await.as_deref(),
            Some("housing")
        );
        assert_eq!(
            ts.row_column(&order, "deadline_at_ms").await,
            Some(deadline.as_millis().to_string())
        );

        // The department works it.
        desk.ok(s, at(HOUR), &housing(), &order, Command::Accept)
            .await;
        assert_eq!(
            ts.row_column(&order, "handler").await.as_deref(),
            Some("wang.housing")
        );
        assert_eq!(
            ts.row_column(&order, "status").await.as_deref(),
            Some("in_progress")
        );
        desk.ok(
            s,
            at(2 * HOUR),
            &housing(),
            &order,
            Command::AddNote {
                text: "visited the courtyard".into(),
            },
        )
        .await;
        desk.ok(
            s,
            at(3 * HOUR),
            &housing(),
            &order,
            Command::RequestExtension {
                working_days: 2,
                reason: "waiting for a contractor".into(),
            },
        )
        .await;
        assert_eq!(
            ts.row_column(&order, "extension_pending").await.as_deref(),
            Some("1")
        );
        let extended = desk
            .ok(
                s,
                at(4 * HOUR),
                &supervisor(),
                &order,
                Command::DecideExtension { approve: true },
            )
            .await;
        // Two more working days: the end of Tuesday 2026-12-01.
        let new_deadline = Timestamp(T0 + 9 * DAY + 8 * HOUR);
        assert_eq!(extended.order.deadline(), Some(new_deadline), "{label}");
        assert_eq!(
            ts.row_column(&order, "deadline_at_ms").await,
            Some(new_deadline.as_millis().to_string())
        );
        assert_eq!(
            ts.row_column(&order, "extension_pending").await.as_deref(),
            Some("0")
        );
        assert_eq!(
            ts.row_column(&order, "extensions_requested")
                .await
                .as_deref(),
            Some("1")
        );
        assert_eq!(
            ts.row_column(&order, "extensions_approved")
                .await
                .as_deref(),
            Some("1")
        );

        // 答复 is still the department's work; 办结 closes it on time.
        desk.ok(
            s,
            at(DAY),
            &housing(),
            &order,
            Command::Reply {
                text: "the drain was cleared".into(),
            },
        )
        .await;
        assert_eq!(
            ts.row_column(&order, "phase").await.as_deref(),
            Some("replied")
        );
        assert_eq!(
            ts.row_column(&order, "status").await.as_deref(),
            Some("in_progress"),
            "{label}: a replied order is open until it is closed"
        );
        assert_eq!(ts.row_column(&order, "replied").await.as_deref(), Some("1"));
        let closed = desk
            .ok(s, at(DAY + HOUR), &housing(), &order, Command::Close)
            .await;
        assert_eq!(closed.order.phase(), Phase::Closed);
        assert_eq!(closed.events, 9, "{label}: close and follow-up due");
        assert_eq!(
            ts.row_column(&order, "status").await.as_deref(),
            Some("closed")
        );
        assert_eq!(
            ts.row_column(&order, "closed_at_ms").await,
            Some((T0 + DAY + HOUR).to_string())
        );
        assert_eq!(
            ts.row_column(&order, "closed_on_time").await.as_deref(),
            Some("1")
        );
        assert_eq!(
            ts.row_column(&order, "resolved_on_call").await.as_deref(),
            Some("0")
        );
        assert_eq!(
            ts.row_column(&order, "follow_ups_awaited").await.as_deref(),
            Some("1")
        );
        assert_eq!(
            ts.row_column(&order, "follow_up_due_at_ms").await,
            closed
                .order
                .follow_up_due()
                .map(|t| t.as_millis().to_string())
        );

        // The log, numbered 1..=9 in the order it happened.
        assert_eq!(
            ts.log_seqs(&order).await,
            (1..=9).collect::<Vec<_>>(),
            "{label}"
        );
        assert_eq!(
            ts.log_kinds(&order).await,
            [
                "created",
                "dispatched",
                "accepted",
                "note_added",
                "extension_requested",
                "extension_decided",
                "replied",
                "closed",
                "follow_up_due"
            ],
            "{label}"
        );
        assert_eq!(
            ts.row_column(&order, "event_count").await.as_deref(),
            Some("9")
        );

        // Reading it back folds the same order; the reads are audited.
        let reader = desk_ctx("chen.supervisor", at(2 * DAY));
        let read = s.work_order(&reader, &order).await.unwrap().unwrap();
        assert_eq!(read, closed, "{label}");
        let log = s.work_order_events(&reader, &order).await.unwrap().unwrap();
        assert_eq!(log.len(), 9);
        assert_eq!(log[3].by.as_str(), "wang.housing");
        let actions = ts
            .raw_strings(&format!(
                "SELECT action FROM audit_log WHERE case_ref = '{}' ORDER BY audit_id",
                order.digits()
            ))
            .await;
        let actions: Vec<_> = actions.into_iter().flatten().collect();
        assert_eq!(actions[0], "create_work_order");
        assert_eq!(actions.iter().filter(|a| *a == "act_on_order").count(), 7);
        assert_eq!(
            actions.iter().filter(|a| *a == "view_work_order").count(),
            2,
            "{label}"
        );

        // Today's readers see it as a case.
        let status = s.case_status(&order).await.unwrap().unwrap();
        assert_eq!(status.status, CaseStatus::Closed);
        assert_eq!(status.department, "housing");
        assert_eq!(status.deadline_at_ms, Some(new_deadline.as_millis()));
        let detail = s.case_detail(&reader, &order).await.unwrap().unwrap();
        assert_eq!(detail.case.citizen, Some(citizen));
        assert!(s
            .work_order(
                &reader,
                &hotline_types::CaseRef::new(2026, 11, 22, 99).unwrap()
            )
            .await
            .unwrap()
            .is_none());
        ts.finish().await;
    }
}
