//! Merging a duplicate into its master writes both logs in one go: the
//! duplicate is merged away (closed for today's readers, pointing at the
//! master, out of every inbox) and its reporter waits on the master, whose
//! follow-up calls everyone who reported the problem.

mod common;

use common::orders::*;
use common::*;
use hotline_orders::{Command, OrderError, Phase};
use hotline_store::{CaseStatus, InboxQuery, NewCitizen, Store, StoreError};
use hotline_types::{CitizenId, Timestamp};

async fn citizen(s: &Store, name: &str) -> CitizenId {
    s.create_citizen(
        &admin(0),
        &NewCitizen {
            full_name: name.into(),
            ..NewCitizen::default()
        },
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn merged_orders_follow_up_every_reporter() {
    let desk = Desk::beijing();
    for ts in stores().await {
        let s = &ts.store;
        let label = ts.label;
        let master = desk
            .dispatched(s, at(0), "request", Some(citizen(s, "Chen Jing").await))
            .await;
        let duplicate = desk
            .dispatched(s, at(HOUR), "request", Some(citizen(s, "Yang Lei").await))
            .await;

        let ctx = desk_ctx("zhao.dispatch", at(2 * HOUR));
        let err = s
            .merge_orders(&ctx, at(2 * HOUR), &dispatcher(), &master, &master)
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Order(OrderError::MergeIntoSelf { .. })),
            "{label}: {err:?}"
        );
        let err = s
            .merge_orders(&ctx, at(2 * HOUR), &housing(), &duplicate, &master)
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Order(OrderError::RoleNotAllowed { .. })),
            "{label}: {err:?}"
        );
        assert_eq!(
            ts.log_seqs(&duplicate).await,
            [1, 2],
            "{label}: refused, unwritten"
        );

        let merged = s
            .merge_orders(&ctx, at(2 * HOUR), &dispatcher(), &duplicate, &master)
            .await
            .unwrap();
        assert_eq!(merged.duplicate.order.phase(), Phase::Merged);
        assert_eq!(merged.duplicate.events, 3);
        assert_eq!(merged.master.events, 3);
        assert_eq!(
            ts.log_kinds(&duplicate).await.last().unwrap(),
            "merged_into"
        );
        assert_eq!(
            ts.log_kinds(&master).await.last().unwrap(),
            "reporter_linked"
        );
        assert_eq!(
            ts.row_column(&duplicate, "phase").await.as_deref(),
            Some("merged")
        );
        let status = s.case_status(&duplicate).await.unwrap().unwrap();
        assert_eq!(status.status, CaseStatus::Closed, "{label}");
        assert_eq!(status.merged_into.as_deref(), Some(master.digits()));
        assert_eq!(status.reply, None, "{label}: nobody has replied yet");
        let query = InboxQuery::new("housing".into(), at(3 * HOUR), &desk.inbox(), 10).unwrap();
        let inbox: Vec<_> = s
            .department_inbox(&query)
            .await
            .unwrap()
            .orders
            .into_iter()
            .map(|l| l.reference)
            .collect();
        assert_eq!(inbox, std::slice::from_ref(&master), "{label}");
        // Merged again: the duplicate is no longer mergeable.
        let err = s
            .merge_orders(&ctx, at(3 * HOUR), &dispatcher(), &duplicate, &master)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::Order(OrderError::WrongPhase {
                    phase: Phase::Merged,
                    ..
                })
            ),
            "{label}: {err:?}"
        );

        // The master is closed; both reporters are called back.
        desk.ok(s, at(4 * HOUR), &housing(), &master, Command::Accept)
            .await;
        desk.ok(
            s,
            at(5 * HOUR),
            &housing(),
            &master,
            Command::Reply {
                text: "the lift works again".into(),
            },
        )
        .await;
        desk.ok(s, at(6 * HOUR), &housing(), &master, Command::Close)
            .await;
        for reference in [&master, &duplicate] {
            let status = s.case_status(reference).await.unwrap().unwrap();
            assert_eq!(
                status.reply.as_deref(),
                Some("the lift works again"),
                "{label}: a duplicate's caller hears the master's reply"
            );
        }
        let due = s.follow_ups_due(Timestamp(T0 + DAY), 10).await.unwrap();
        assert_eq!(due.len(), 2, "{label}: one line per reporter");
        assert!(due.iter().all(|f| f.order == master), "{due:?}");
        let reporters: Vec<_> = due.iter().map(|f| f.reporter.clone()).collect();
        assert_eq!(reporters, [master.clone(), duplicate.clone()], "{label}");
        for reporter in [&master, &duplicate] {
            desk.ok(
                s,
                at(DAY),
                &agent(),
                &master,
                Command::RecordFollowUp {
                    reporter: reporter.clone(),
                    score: 4,
                },
            )
            .await;
        }
        let read = s
            .work_order(&desk_ctx("li.agent", at(DAY)), &master)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(read.order.phase(), Phase::FollowedUp, "{label}");
        assert_eq!(read.order.follow_ups().len(), 2);
        assert!(s
            .follow_ups_due(Timestamp(T0 + DAY), 10)
            .await
            .unwrap()
            .is_empty());
        ts.finish().await;
    }
}
