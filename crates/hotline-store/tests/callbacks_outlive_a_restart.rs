//! The callback list keeps every promise across a restart (a second
//! connection to the same database), works in priority-then-age order,
//! gives a citizen who asks twice one callback, refuses to reopen a closed
//! one, and is covered by export and erasure.

mod common;

use common::*;
use hotline_store::{CallbackKind, CallbackStatus, NewCallback, NewCitizen, StoreError};
use hotline_types::{CallId, QueueId, Timestamp};

fn request(number: &str, queue: &str, at: i64, priority: u8) -> NewCallback {
    NewCallback {
        call: CallId::new(),
        number: number.into(),
        queue: QueueId::from(queue),
        kind: CallbackKind::AfterHours,
        language: "zh".into(),
        priority,
        requested_at: Timestamp(at),
        expires_at: Timestamp(at + 3 * 86_400_000),
        node: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callbacks_outlive_a_restart() {
    for ts in stores().await {
        let s = &ts.store;
        let first = s
            .add_callback(&request("13800000001", "general", T0, 0))
            .await
            .unwrap();
        assert_eq!(first.status, CallbackStatus::Pending, "{}", ts.label);
        assert_eq!(first.attempts, 0);
        assert_eq!(first.not_before, Timestamp(T0));
        // Asking again for the same queue while open: the same promise,
        // with the higher priority.
        let again = s
            .add_callback(&request("13800000001", "general", T0 + 60_000, 5))
            .await
            .unwrap();
        assert_eq!(again.id, first.id, "{}", ts.label);
        assert_eq!(again.priority, 5);
        let older = s
            .add_callback(&request("13800000002", "general", T0 - 60_000, 0))
            .await
            .unwrap();
        let other_queue = s
            .add_callback(&request("13800000001", "tax", T0, 0))
            .await
            .unwrap();
        assert_ne!(other_queue.id, first.id);

        // A restart: a new connection sees the same open list, in order.
        let reopened = ts.reopen().await;
        let open = reopened.open_callbacks().await.unwrap();
        let ids: Vec<_> = open.iter().map(|c| c.id).collect();
        assert_eq!(
            ids,
            vec![first.id, older.id, other_queue.id],
            "{}",
            ts.label
        );

        // An attempt, then its outcome, then a retry decision.
        let mut u = first.update(Timestamp(T0 + 1_000));
        u.status = CallbackStatus::Placing;
        u.attempts = 1;
        u.last_call = Some(CallId::new());
        let placing = reopened.update_callback(first.id, &u).await.unwrap();
        assert_eq!(placing.status, CallbackStatus::Placing);
        assert_eq!(placing.attempts, 1);
        let mut u = placing.update(Timestamp(T0 + 30_000));
        u.status = CallbackStatus::Pending;
        u.outcome = Some("no_answer".into());
        u.not_before = Timestamp(T0 + 30_000 + 600_000);
        let retry = reopened.update_callback(first.id, &u).await.unwrap();
        assert_eq!(retry.outcome.as_deref(), Some("no_answer"));
        assert_eq!(retry.not_before, Timestamp(T0 + 630_000));
        assert_eq!(retry.last_call, placing.last_call);

        // A supervisor cancels it; a late outcome cannot reopen it.
        let mut u = retry.update(Timestamp(T0 + 40_000));
        u.status = CallbackStatus::Cancelled;
        u.by = Some("supervisor1".into());
        let cancelled = s.update_callback(first.id, &u).await.unwrap();
        assert_eq!(cancelled.updated_by.as_deref(), Some("supervisor1"));
        let mut late = cancelled.update(Timestamp(T0 + 50_000));
        late.status = CallbackStatus::Done;
        assert!(
            matches!(
                s.update_callback(first.id, &late).await,
                Err(StoreError::InvalidValue { .. })
            ),
            "{}",
            ts.label
        );
        assert_eq!(
            s.callback(first.id).await.unwrap().status,
            CallbackStatus::Cancelled
        );
        let open: Vec<_> = s
            .open_callbacks()
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(open, vec![older.id, other_queue.id]);
        let listed = s
            .list_callbacks(Timestamp(T0 - 86_400_000), Timestamp(T0 + 86_400_000))
            .await
            .unwrap();
        assert_eq!(listed.len(), 3, "{}", ts.label);

        // Bad input is refused with a clear error.
        let mut bad = request("", "general", T0, 0);
        assert!(matches!(
            s.add_callback(&bad).await,
            Err(StoreError::InvalidValue {
                field: "number",
                ..
            })
        ));
        bad = request("13800000009", "general", T0, 0);
        bad.expires_at = Timestamp(T0);
        assert!(matches!(
            s.add_callback(&bad).await,
            Err(StoreError::InvalidValue {
                field: "expires_at",
                ..
            })
        ));

        // Export lists a citizen's callbacks; erasure removes them.
        let citizen = s
            .create_citizen(
                &admin(0),
                &NewCitizen {
                    full_name: "Li Wei".into(),
                    national_id: None,
                    preferred_language: None,
                    phones: vec!["13800000001".into()],
                    tags: Vec::new(),
                },
            )
            .await
            .unwrap();
        let export = s.export_citizen(&admin(1), citizen).await.unwrap();
        assert_eq!(
            export["callbacks"].as_array().unwrap().len(),
            2,
            "{}",
            ts.label
        );
        let report = s.erase_citizen(&admin(2), citizen).await.unwrap();
        assert_eq!(report.callbacks_deleted, 2, "{}", ts.label);
        assert!(s
            .callbacks_of_number("13800000001")
            .await
            .unwrap()
            .is_empty());
        assert_eq!(s.open_callbacks().await.unwrap().len(), 1);
        reopened.close().await;
        ts.finish().await;
    }
}
