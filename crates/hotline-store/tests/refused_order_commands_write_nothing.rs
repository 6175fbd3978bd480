//! A command the order core refuses comes back with the core's own error
//! and writes nothing: not an event, not a column, not an audit entry, not
//! a reference number. The case API refuses to change a work order's row,
//! and the work-order API refuses a case that has no log.

mod common;

use common::orders::*;
use common::*;
use hotline_orders::{Command, OrderError, Phase};
use hotline_store::{CaseStatus, NewCase, StoreError};
use hotline_types::CaseRef;

#[tokio::test]
async fn refused_order_commands_write_nothing() {
    let desk = Desk::beijing();
    for ts in stores().await {
        let s = &ts.store;
        let label = ts.label;
        let order = desk.dispatched(s, at(0), "request", None).await;
        let row_before = (
            ts.row_column(&order, "updated_at_ms").await,
            ts.row_column(&order, "event_count").await,
            ts.row_column(&order, "phase").await,
        );
        let audit = "SELECT CAST(count(*) AS TEXT) FROM audit_log";
        let audit_before = ts.raw_strings(audit).await;

        // The water authority cannot take on a housing order.
        let err = s
            .act_on_order(
                &desk_ctx("liu.water", at(HOUR)),
                desk.rules(),
                at(HOUR),
                &water(),
                &order,
                Command::Accept,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(
                &err,
                StoreError::Order(OrderError::NotYourDepartment { user, department })
                    if user.as_str() == "liu.water" && department.as_str() == "housing"
            ),
            "{label}: {err:?}"
        );
        // Closing before a reply is the wrong phase.
        let err = s
            .act_on_order(
                &desk_ctx("wang.housing", at(HOUR)),
                desk.rules(),
                at(HOUR),
                &housing(),
                &order,
                Command::Close,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::Order(OrderError::WrongPhase {
                    phase: Phase::Dispatched,
                    ..
                })
            ),
            "{label}: {err:?}"
        );
        // An empty note is the core's to refuse; an endless one the store's.
        let err = s
            .act_on_order(
                &desk_ctx("wang.housing", at(HOUR)),
                desk.rules(),
                at(HOUR),
                &housing(),
                &order,
                Command::AddNote { text: "  ".into() },
            )
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::Order(OrderError::EmptyText { field: "note" })
            ),
            "{label}: {err:?}"
        );
        let err = s
            .act_on_order(
                &desk_ctx("wang.housing", at(HOUR)),
                desk.rules(),
                at(HOUR),
                &housing(),
                &order,
                Command::AddNote {
                    text: "x".repeat(8001),
                },
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::InvalidValue { field: "note", .. }),
            "{label}: {err:?}"
        );

        assert_eq!(
            ts.log_seqs(&order).await,
            [1, 2],
            "{label}: no event written"
        );
        let row_after = (
            ts.row_column(&order, "updated_at_ms").await,
            ts.row_column(&order, "event_count").await,
            ts.row_column(&order, "phase").await,
        );
        assert_eq!(row_after, row_before, "{label}: the row is unchanged");
        assert_eq!(
            ts.raw_strings(audit).await,
            audit_before,
            "{label}: nothing audited"
        );

        // A refused order uses up no reference: the next one is 00002.
        let err = s
            .create_work_order(
                &desk_ctx("li.agent", at(HOUR)),
                desk.rules(),
                at(HOUR),
                &agent(),
                new_order("fireworks", None),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(
                &err,
                StoreError::Order(OrderError::UnknownCategory { category }) if category.as_str() == "fireworks"
            ),
            "{label}: {err:?}"
        );
        let err = s
            .create_work_order(
                &desk_ctx("wang.housing", at(HOUR)),
                desk.rules(),
                at(HOUR),
                &housing(),
                new_order("request", None),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Order(OrderError::RoleNotAllowed { .. })),
            "{label}: {err:?}"
        );
        let next = desk.create(s, at(2 * HOUR), "request", None).await;
        assert_eq!(next.order.reference().sequence(), 2, "{label}");

        // An unknown reference.
        let nowhere = CaseRef::new(2026, 11, 22, 777).unwrap();
        let err = s
            .act_on_order(
                &desk_ctx("li.agent", at(HOUR)),
                desk.rules(),
                at(HOUR),
                &agent(),
                &nowhere,
                Command::Dispatch,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::NotFound { .. }),
            "{label}: {err:?}"
        );

        // The case API does not touch a work order's row...
        let ctx = desk_ctx("admin", at(3 * HOUR));
        let refused = |e: StoreError| matches!(e, StoreError::WorkOrderCase { .. });
        assert!(refused(
            s.transition_case(&ctx, &order, CaseStatus::InProgress)
                .await
                .unwrap_err()
        ));
        assert!(refused(
            s.add_case_note(&ctx, &order, "by hand").await.unwrap_err()
        ));
        assert!(refused(
            s.set_case_satisfaction(&order, 5).await.unwrap_err()
        ));
        let legacy = s
            .create_case(
                &ctx,
                &NewCase {
                    citizen: None,
                    call: None,
                    category: "request".into(),
                    department: "housing".into(),
                    summary: "opened with the case API".into(),
                },
            )
            .await
            .unwrap()
            .case_ref;
        assert!(refused(
            s.merge_cases(&ctx, &legacy, &order).await.unwrap_err()
        ));
        assert_eq!(ts.log_seqs(&order).await, [1, 2], "{label}");
        assert_eq!(
            ts.row_column(&order, "status").await.as_deref(),
            Some("dispatched")
        );

        // ...and the work-order API does not take a case without a log.
        let err = s.work_order(&ctx, &legacy).await.unwrap_err();
        assert!(
            matches!(&err, StoreError::LegacyCase { case_ref } if *case_ref == legacy),
            "{label}: {err:?}"
        );
        let err = s
            .act_on_order(
                &ctx,
                desk.rules(),
                at(3 * HOUR),
                &agent(),
                &legacy,
                Command::Dispatch,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::LegacyCase { .. }),
            "{label}: {err:?}"
        );
        ts.finish().await;
    }
}
