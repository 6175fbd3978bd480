//! The retention job forgets recordings older than the cut-off and returns
//! their paths; newer recordings stay.

mod common;

use common::*;
use hotline_types::{CallId, Timestamp};

#[tokio::test]
async fn retention_expires_old_recordings() {
    for ts in stores().await {
        let old = CallId::new();
        let new = CallId::new();
        let day = 86_400_000;
        ts.store
            .append_events(&answered_call(
                old,
                "+8613900002000",
                "housing",
                -100 * day,
                1_000,
            ))
            .await
            .unwrap();
        ts.store
            .append_events(&answered_call(
                new,
                "+8613900002000",
                "housing",
                -10 * day,
                1_000,
            ))
            .await
            .unwrap();

        let expired = ts
            .store
            .expire_recordings(Timestamp(T0 - 90 * day))
            .await
            .unwrap();
        assert_eq!(expired, vec![format!("rec/{old}.wav")], "{}", ts.label);
        assert_eq!(
            ts.store.call_record(old).await.unwrap().unwrap().recording,
            None
        );
        assert!(ts
            .store
            .call_record(new)
            .await
            .unwrap()
            .unwrap()
            .recording
            .is_some());
        // Running it again finds nothing more.
        assert!(ts
            .store
            .expire_recordings(Timestamp(T0 - 90 * day))
            .await
            .unwrap()
            .is_empty());
        ts.finish().await;
    }
}
